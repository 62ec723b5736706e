"""How long the final PDF takes, against bare WeasyPrint on the same letter.

    .venv/bin/python benchmarks/render_pdf.py [--sizes 54 500 2000] [--runs 5] [--rounds 2] [--variant NAME]

Builds the bilingual seed letter (seed 001 in English, seed 000 in Arabic, read from
``shared/seeds`` beside the repository) with N signatories per language (the seeds' names,
then the same names followed by a counter word: "… Branch 2", "… فرع 2"), renders it
with ``render_letter_pdf`` and, in the same run, renders a plain reference: the same
letter as one straightforward HTML page with an ``<ol>`` per language, given to bare
WeasyPrint (``HTML(string=...).write_pdf()``) with the same fonts.

Each renderer is timed in its own fresh child process (as the worker renders each final
document in a fresh child): a warm-up, then ``--runs`` timed renders. Children alternate,
ours then the reference, ``--rounds`` times, and the median of each renderer's pooled runs
is reported, so that both see the same load on a shared machine. (Timing both in one
process, alternating render by render, slowed ours by a third at 2,000: the reference's
garbage and heap stay behind.) Peak memory comes from a fresh child per
renderer (two renders): its own peak resident size, or the highest sum over it and its
descendants sampled every 5 ms with psutil if that is higher. Memory is never sampled during timed renders: the sampling
thread competes for the GIL and slowed them by up to half.

Prints one JSON line per N:
{"n": N, "seconds": median, "reference_seconds": median, "ratio": ..., "peak_rss_mb": M, "pages": P}

``--variant`` measures an earlier state of the renderer, to show what each optimisation buys:
``serial-gc`` (cyclic GC left on during layout), ``default`` (what ``render_letter_pdf``
does today: GC paused during layout). This measures the languages laid out one after the
other in one process; the worker and ``letters pdf`` lay them out in two processes at once
when there are two cores (``pdf_command.py`` and ``close_letter.py`` measure that).
"""

from __future__ import annotations

import argparse
import io
import json
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from html import escape
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO.parent / "shared" / "seeds"
sys.path.insert(0, str(REPO))


def seed_letter(number: int, heading: str, item: str) -> tuple[str, str, list[str]]:
    (path,) = SEEDS.glob(f"{number:03d}_*.txt")
    letter, _, signatories = path.read_text(encoding="utf-8").partition(heading)
    paragraphs = letter.strip().split("\n\n")
    names = [m.group(1).strip() for m in re.finditer(item, signatories, re.M)]
    return paragraphs[0], "\n\n".join(paragraphs[1:]), names


def names_for(seed_names: list[str], n: int, counter_word: str) -> list[str]:
    """``n`` unique names: the seed's, then the seed's with a counter word and a number."""
    names = []
    for i in range(n):
        base = seed_names[i % len(seed_names)]
        round_ = i // len(seed_names)
        names.append(base if round_ == 0 else f"{base} {counter_word} {round_ + 1}")
    return names


def build_document(n: int):
    from letterhub.services.rendering import LanguageText, LetterDocument, Signatory

    ar_addressees, ar_body, ar_names = seed_letter(0, "### الموقعون:", r"^\d+\.\s+(.+)$")
    en_addressees, en_body, en_names = seed_letter(1, "Signatories:", r"^-?\s*\d+-\s*(.+)$")
    en = LanguageText(
        "en",
        "Joint letter",
        en_addressees,
        "Geneva, February 2018",
        en_body,
        "Signatories:",
        tuple(Signatory(name) for name in names_for(en_names, n, "Branch")),
    )
    ar = LanguageText(
        "ar",
        "رسالة مشتركة",
        ar_addressees,
        "جنيف، شباط ٢٠١٨",
        ar_body,
        "الموقعون:",
        tuple(Signatory(name) for name in names_for(ar_names, n, "فرع")),
    )
    return LetterDocument(
        (en, ar),
        author="Coalition",
        verification_code="K7Q2-9XPA",
        verification_url="https://letters.example.org/v/K7Q2-9XPA",
    )


def reference_html(document) -> str:
    """The same letter, written the obvious way: one page, an <ol> per language."""
    from letterhub.services.markdown import render_markdown
    from letterhub.services.rendering import STATIC_DIR

    fonts = (STATIC_DIR / "fonts").as_uri()
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><style>",
        f"@font-face {{ font-family: 'Noto Serif'; src: url('{fonts}/NotoSerif-Regular.ttf') }}",
        f"@font-face {{ font-family: 'Noto Serif'; src: url('{fonts}/NotoSerif-Bold.ttf'); font-weight: bold }}",
        f"@font-face {{ font-family: 'Noto Naskh Arabic'; src: url('{fonts}/NotoNaskhArabic-Regular.ttf') }}",
        f"@font-face {{ font-family: 'Noto Naskh Arabic'; src: url('{fonts}/NotoNaskhArabic-Bold.ttf'); font-weight: bold }}",
        "@page { size: A4; margin: 22mm 20mm; @bottom-right { content: counter(page) ' / ' counter(pages) } }",
        "section { page-break-before: always } [lang=en] { font-family: 'Noto Serif' }",
        "[lang=ar] { font-family: 'Noto Naskh Arabic', 'Noto Serif' }",
        "</style></head><body>",
    ]
    for text in document.texts:
        direction = "rtl" if text.language == "ar" else "ltr"
        parts.append(f"<section lang='{text.language}' dir='{direction}'>")
        parts.append("".join(f"<p>{escape(line)}</p>" for line in text.addressees.splitlines()))
        parts.append(f"<h1>{escape(text.title)}</h1><p>{escape(text.date_place)}</p>")
        parts.append(str(render_markdown(text.body_markdown)))
        parts.append(f"<h2>{escape(text.signatories_heading)}</h2><ol>")
        parts.append("".join(f"<li>{escape(s.name)}</li>" for s in text.signatories))
        parts.append("</ol></section>")
    parts.append("</body></html>")
    return "".join(parts)


class PeakMemory:
    """Highest total RSS of this process and its descendants, sampled in a thread."""

    def __init__(self, interval: float = 0.005):
        import psutil

        self._process = psutil.Process()
        self._interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self):
        import psutil

        while not self._stop.is_set():
            total = 0
            for process in [self._process, *self._process.children(recursive=True)]:
                with suppress(psutil.Error):
                    total += process.memory_info().rss
            self.peak = max(self.peak, total)
            self._stop.wait(self._interval)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def renderer(kind: str, document, variant: str):
    """A no-argument function that renders ``document`` the ``kind`` way ("ours" or "reference")."""
    from weasyprint import HTML

    from letterhub.services import rendering

    if kind == "reference":
        html = reference_html(document)
        base_url = rendering.STATIC_DIR.as_uri() + "/"
        return lambda: HTML(string=html, base_url=base_url).write_pdf()
    if variant == "serial-gc":

        @contextmanager
        def collector_left_on() -> Iterator[None]:  # an earlier renderer: no pause of the collector
            yield

        rendering._no_cyclic_gc = collector_left_on
    return lambda: rendering.render_letter_pdf(document)


def measure_times(kind: str, n: int, runs: int, variant: str) -> dict:
    """Run in a child process: warm up, then time ``runs`` renders (seconds each) and count the pages."""
    import pypdf

    render = renderer(kind, build_document(n), variant)
    pdf = render()  # warm-up: fonts, templates, worker processes
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        render()
        times.append(time.perf_counter() - start)
    return {"times": times, "pages": len(pypdf.PdfReader(io.BytesIO(pdf)).pages)}


def measure_memory(kind: str, n: int, variant: str) -> dict:
    """Run in a fresh child process: the peak resident memory of two renders (warm-up and one more).

    The sampling thread competes for the GIL, so memory is never measured on timed renders.
    This process's own peak (``ru_maxrss``) covers both renders; the sampler adds any child
    processes alive at the same time.
    """
    import resource

    render = renderer(kind, build_document(n), variant)
    render()
    with PeakMemory() as memory:
        render()
    own_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"peak_rss_mb": round(max(memory.peak, own_peak) / 2**20)}


def in_child(what: str, n: int, runs: int, variant: str) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        what,
        "--sizes",
        str(n),
        "--runs",
        str(runs),
        "--variant",
        variant,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    return json.loads(output.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[54, 500, 2000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--variant", default="default", choices=["default", "serial-gc"])
    parser.add_argument(
        "--rounds",
        type=int,
        default=2,
        help="child processes per renderer, alternating; their runs are pooled",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        kind, _, what = args.child.partition(":")
        if what == "times":
            print(json.dumps(measure_times(kind, args.sizes[0], args.runs, args.variant)))
        else:
            print(json.dumps(measure_memory(kind, args.sizes[0], args.variant)))
        return
    for n in args.sizes:
        times: dict[str, list[float]] = {"ours": [], "reference": []}
        for _ in range(args.rounds):
            for kind in times:
                measured = in_child(f"{kind}:times", n, args.runs, args.variant)
                times[kind] += measured["times"]
                if kind == "ours":
                    pages = measured["pages"]
        seconds, reference_seconds = statistics.median(times["ours"]), statistics.median(times["reference"])
        ours, reference = (
            in_child("ours:memory", n, 0, args.variant),
            in_child("reference:memory", n, 0, args.variant),
        )
        print(
            json.dumps(
                {
                    "n": n,
                    "seconds": round(seconds, 3),
                    "reference_seconds": round(reference_seconds, 3),
                    "ratio": round(seconds / reference_seconds, 2),
                    "peak_rss_mb": ours["peak_rss_mb"],
                    "pages": pages,
                    "reference_peak_rss_mb": reference["peak_rss_mb"],
                    "variant": args.variant,
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
