"""Rendering a PDF with a ceiling on time and memory.

A letter body is user input, and WeasyPrint will try to lay out whatever it is given: a body
of hundreds of pages, or a list of tens of thousands of names, can take minutes and gigabytes.
The worker and the CLI therefore render in a child process that has an address-space limit
(``RLIMIT_AS``) and is killed when it runs past its time. The caller gets the PDF bytes or a
:class:`RenderLimitExceeded` with a message a coordinator can act on; no partial file is
written, and the worker process itself stays healthy for the next document.

Children come from a fork server that has already imported the renderer, so starting one costs
milliseconds rather than the seconds an import of WeasyPrint takes. The documents of one letter
are rendered together (:func:`render_batch_within_limits`), each language laid out once:

- on a machine with a core per language, in one child per language at the same time
  (:func:`letterhub.services.rendering.render_language_parts`): each writes the documents that
  are its language alone and its part of the bilingual document, footers numbered through the
  whole document once the children have told each other (through this process) their page
  counts; this process joins the parts (:func:`letterhub.services.rendering.join_parts`). A
  bilingual letter then takes about the time of its longer language rather than of both.
- otherwise (one core, more languages than cores, or a memory ceiling too low to share), in one
  child, which lays out the languages one after the other and reuses their pages
  (:func:`letterhub.services.rendering.render_letter_pdfs`).

The ceilings hold for the whole render either way: ``seconds`` from the first child's start to the
last PDF, and ``memory_mb`` of address space shared out between the children (each gets its
share; a share under :data:`MIN_CHILD_MEMORY_MB` keeps the render in one child).
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import time
from contextlib import suppress
from multiprocessing.connection import Connection, wait

from flask import current_app

from .rendering import (
    LetterDocument,
    RenderedPart,
    join_parts,
    language_documents,
    parts_of,
    render_language_parts,
    render_letter_pdfs,
    warm_up,
)

RENDERER_MODULE = "letterhub.services.rendering"


class RenderLimitExceeded(Exception):
    """The render went past its time or memory ceiling; ``reason`` is "time" or "memory".

    ``reason`` is the value of :class:`letterhub.models.RenderErrorKind` the worker stores; the
    message is for the operator (CLI, log). Coordinators read :func:`letterhub.labels.render_error`.
    """

    def __init__(self, reason: str, limit: float):
        self.reason, self.limit = reason, limit
        if reason == "time":
            message = (
                f"the PDF took longer than {limit:g} seconds to lay out; shorten the letter or "
                "raise PDF_RENDER_SECONDS"
            )
        else:
            message = (
                f"the PDF needed more than {limit:g} MB of memory to lay out; shorten the letter or "
                "raise PDF_RENDER_MEMORY_MB"
            )
        super().__init__(message)


class RenderFailed(Exception):
    """The renderer raised an error in the child process (its type and message are kept)."""


def _context(start_method: str = "forkserver"):
    if start_method == "fork":
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([RENDERER_MODULE])
    return context


# A child of a parallel render gets memory_mb / (number of children); below this it would not
# hold a 2,000-name language (a forked command's child starts at about 250 MB of address space).
MIN_CHILD_MEMORY_MB = 512


def _limit_memory(memory_mb: int) -> None:
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(
            resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY and hard < limit else limit)
        )


def _render_child(documents: list[LetterDocument], memory_mb: int, results: Connection) -> None:
    _limit_memory(memory_mb)
    try:
        pdfs = render_letter_pdfs(documents)
    except MemoryError:
        results.send(("memory", None))
    except Exception as error:  # reported to the parent, which raises RenderFailed
        results.send(("error", f"{type(error).__name__}: {error}"))
    else:
        results.send(("pdfs", pdfs))
    finally:
        results.close()


def render_within_limits(document: LetterDocument, *, one_shot: bool = False) -> bytes:
    """:func:`render_letter_pdf_bounded` with the app's ceilings (``PDF_RENDER_SECONDS``, ``PDF_RENDER_MEMORY_MB``).

    ``one_shot``: the caller is a command that renders once and exits (``letters pdf``). It has
    imported the renderer already and runs no threads, so its child is a plain fork of it: a
    fork server would start a second interpreter and import WeasyPrint again, which is most of
    what a person waits for on a short letter.
    """
    return render_batch_within_limits([document], start_method="fork" if one_shot else "forkserver")[0]


def render_batch_within_limits(
    documents: list[LetterDocument], *, start_method: str = "forkserver"
) -> list[bytes]:
    """:func:`render_letter_pdfs_bounded` with the app's ceilings (``PDF_RENDER_SECONDS``,
    ``PDF_RENDER_MEMORY_MB``), which then hold for the batch: a letter's three documents together
    take little more than its bilingual document alone."""
    config = current_app.config
    return render_letter_pdfs_bounded(
        documents,
        seconds=float(config["PDF_RENDER_SECONDS"]),
        memory_mb=int(config["PDF_RENDER_MEMORY_MB"]),
        start_method=start_method,
    )


def render_letter_pdf_bounded(
    document: LetterDocument, *, seconds: float, memory_mb: int, start_method: str = "forkserver"
) -> bytes:
    """``render_letter_pdf(document)`` in a child limited to ``seconds`` and ``memory_mb`` of address space.

    ``memory_mb`` is virtual memory (what ``RLIMIT_AS`` counts), which runs a few hundred MB above
    the resident size: the default leaves a wide margin over the ~200 MB resident that a
    2,000-name bilingual letter needs (rendering its three documents together holds the same two
    layouts). 0 means no limit, for either. A forked child (``start_method="fork"``) counts the
    address space it inherits too: about 250 MB for a command that has loaded the app.
    """
    return render_letter_pdfs_bounded(
        [document], seconds=seconds, memory_mb=memory_mb, start_method=start_method
    )[0]


def available_cores() -> int:
    """The processors this process may run on (what ``os.cpu_count()`` says, less any pinning)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def render_processes(documents: list[LetterDocument], memory_mb: int) -> int:
    """How many children render ``documents``: one per language when there is a core for each
    and the memory ceiling shared out still leaves each :data:`MIN_CHILD_MEMORY_MB`; else one."""
    singles = language_documents(documents)
    if not 2 <= len(singles) <= available_cores():
        return 1
    if memory_mb and memory_mb // len(singles) < MIN_CHILD_MEMORY_MB:
        return 1
    if any(len(set(parts_of(document, singles))) != len(document.texts) for document in documents):
        return 1  # a language twice in one document: the single layout handles it
    return len(singles)


def render_letter_pdfs_bounded(
    documents: list[LetterDocument], *, seconds: float, memory_mb: int, start_method: str = "forkserver"
) -> list[bytes]:
    """``render_letter_pdfs(documents)`` with the ceilings of :func:`render_letter_pdf_bounded` for
    the whole batch: each language laid out once for all the documents, in a child of its own
    when :func:`render_processes` allows, else all in one child."""
    processes = render_processes(documents, memory_mb)
    if processes > 1:
        return _render_in_parallel(documents, processes, seconds, memory_mb, start_method)
    context = _context(start_method)
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_render_child, args=(list(documents), memory_mb, sender), daemon=True)
    child.start()
    sender.close()
    kind, payload = "died", None
    try:
        if not receiver.poll(seconds or None):
            kind = "time"
        else:
            with suppress(EOFError):  # EOF: the child died without a word
                kind, payload = receiver.recv()
    finally:
        receiver.close()
        if child.is_alive():
            child.kill()
        child.join()
    if kind == "time":
        raise RenderLimitExceeded("time", seconds)
    if kind == "died":
        # Out of memory inside C code (Pango, HarfBuzz) ends in a crash rather than MemoryError.
        if memory_mb and child.exitcode is not None and child.exitcode < 0:
            raise RenderLimitExceeded("memory", memory_mb)
        raise RenderFailed(f"the render process stopped unexpectedly (exit code {child.exitcode})")
    if kind == "memory":
        raise RenderLimitExceeded("memory", memory_mb)
    if kind == "error" or not isinstance(payload, list) or len(payload) != len(documents):
        raise RenderFailed(str(payload))
    return payload


class _PipeExchange:
    """The child's side of :class:`letterhub.services.rendering.PageCountExchange`: its pipe to the parent."""

    def __init__(self, connection: Connection):
        self._connection = connection
        self._counts: list[int] | None = None

    def tell(self, count: int) -> None:
        self._connection.send(("pages", count))

    def ready(self) -> bool:
        return self._counts is not None or self._connection.poll()

    def counts(self) -> list[int]:
        if self._counts is None:
            _kind, self._counts = self._connection.recv()
        return self._counts


def _language_child(
    documents: list[LetterDocument], index: int, memory_mb: int, connection: Connection
) -> None:
    _limit_memory(memory_mb)
    try:
        for part in render_language_parts(documents, index, _PipeExchange(connection)):
            connection.send(("part", part))
    except MemoryError:
        connection.send(("memory", None))
    except Exception as error:  # reported to the parent, which raises RenderFailed
        connection.send(("error", f"{type(error).__name__}: {error}"))
    else:
        connection.send(("done", None))
    finally:
        connection.close()


def _render_in_parallel(
    documents: list[LetterDocument], processes: int, seconds: float, memory_mb: int, start_method: str
) -> list[bytes]:
    """One child per language (:func:`render_language_parts`), this process passing on their page
    counts and joining each document's parts as soon as it has them all."""
    context = _context(start_method)
    if start_method == "fork":
        # Fonts loaded and letter.css parsed once here rather than in each child (~30 ms each).
        warm_up()
    deadline = time.monotonic() + seconds if seconds else None
    children: list = []
    connections: list[Connection] = []
    counts: list[int | None] = [None] * processes
    parts: dict[int, list[RenderedPart]] = {}
    pdfs: dict[int, bytes] = {}
    try:
        for index in range(processes):
            mine, theirs = context.Pipe()
            child = context.Process(
                target=_language_child,
                args=(documents, index, memory_mb // processes, theirs),
                daemon=True,
            )
            child.start()
            theirs.close()
            children.append(child)
            connections.append(mine)
        running = set(range(processes))
        while running:
            timeout = None if deadline is None else max(0.0, deadline - time.monotonic())
            ready = wait([connections[index] for index in running], timeout)
            if not ready:
                raise RenderLimitExceeded("time", seconds)
            for waited in ready:
                index = next(index for index in running if connections[index] is waited)
                try:
                    kind, payload = connections[index].recv()
                except EOFError:  # the child died without a word
                    children[index].join(5)
                    exitcode = children[index].exitcode
                    # Out of memory inside C code (Pango, HarfBuzz) ends in a crash rather than MemoryError.
                    if memory_mb and exitcode is not None and exitcode < 0:
                        raise RenderLimitExceeded("memory", memory_mb) from None
                    raise RenderFailed(
                        f"a render process stopped unexpectedly (exit code {exitcode})"
                    ) from None
                if kind == "pages":
                    counts[index] = payload
                    if all(count is not None for count in counts):
                        for other in running:
                            connections[other].send(("counts", counts))
                elif kind == "part":
                    got = parts.setdefault(payload.document, [])
                    got.append(payload)
                    if len(got) == payload.of:
                        pdfs[payload.document] = join_parts(sorted(got, key=lambda part: part.position))
                elif kind == "done":
                    running.discard(index)
                elif kind == "memory":
                    raise RenderLimitExceeded("memory", memory_mb)
                else:
                    raise RenderFailed(str(payload))
    finally:
        for connection in connections:
            connection.close()
        for child in children:
            if child.is_alive():
                child.kill()
            child.join()
    if len(pdfs) != len(documents):
        raise RenderFailed(f"the render processes made {len(pdfs)} of {len(documents)} documents")
    return [pdfs[number] for number in range(len(documents))]
