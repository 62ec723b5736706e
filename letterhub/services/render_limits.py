"""Rendering a PDF with a ceiling on time and memory.

A letter body is user input, and WeasyPrint will try to lay out whatever it is given: a body
of hundreds of pages, or a list of tens of thousands of names, can take minutes and gigabytes.
The worker and the CLI therefore render in a child process that has an address-space limit
(``RLIMIT_AS``) and is killed when it runs past its time. The caller gets the PDF bytes or a
:class:`RenderLimitExceeded` with a message a coordinator can act on; no partial file is
written, and the worker process itself stays healthy for the next document.

Children come from a fork server that has already imported the renderer, so starting one costs
milliseconds rather than the seconds an import of WeasyPrint takes. The documents of one letter
are rendered in one child (:func:`render_batch_within_limits`): each language is laid out once
there and its pages reused (:func:`letterhub.services.rendering.render_letter_pdfs`).
"""

from __future__ import annotations

import multiprocessing
import resource
from contextlib import suppress
from multiprocessing.connection import Connection

from flask import current_app

from .rendering import LetterDocument, render_letter_pdfs

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


def _render_child(documents: list[LetterDocument], memory_mb: int, results: Connection) -> None:
    if memory_mb:
        limit = memory_mb * 1024 * 1024
        _soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        resource.setrlimit(
            resource.RLIMIT_AS, (limit, hard if hard != resource.RLIM_INFINITY and hard < limit else limit)
        )
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


def render_letter_pdfs_bounded(
    documents: list[LetterDocument], *, seconds: float, memory_mb: int, start_method: str = "forkserver"
) -> list[bytes]:
    """``render_letter_pdfs(documents)`` in one child, with the ceilings of :func:`render_letter_pdf_bounded`
    for the whole batch: one warm process lays out each language once for all the documents."""
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
