"""Closing a letter until all its final documents are stored, against bare WeasyPrint on the same three.

    .venv/bin/python benchmarks/close_letter.py [--names 2000] [--rounds 3]

Creates the bilingual seed letter with N organisations that confirmed it (``signed_letter.py``)
in a fresh SQLite database, then, alternately, ``--rounds`` times:

- ours: close signing (``publishing.close_signing``, committed) and run the worker's documents
  pass (``publishing.render_queued_documents``, what ``flask worker`` does: claim, read the
  letter, render in a bounded child, store) until the bilingual, English and Arabic documents
  are all stored; then reopen the letter for the next round. The fork server is started by a
  warm-up round, as in a running worker.
- reference: a fresh Python process that imports WeasyPrint and, timed from then on, renders the
  same three documents written the obvious way (``render_pdf.reference_html``: one plain page,
  an ``<ol>`` per language, the same fonts) with bare ``HTML(string=...).write_pdf()``.

Prints one JSON line: {"names": N, "seconds": median, "reference_seconds": median, "ratio": ...,
"ratios": [per round], "pages": {...}}. Target: ratio <= 0.5.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from render_pdf import build_document, reference_html  # noqa: E402
from signed_letter import create_signed_letter  # noqa: E402

REFERENCE_SCRIPT = """
import json, sys, time
from weasyprint import HTML
pages = json.load(open(sys.argv[1]))
start = time.perf_counter()
for html in pages:
    HTML(string=html, base_url=sys.argv[2]).write_pdf()
print(time.perf_counter() - start)
"""


def reference_seconds(pages_file: Path, base_url: str) -> float:
    output = subprocess.run(
        [sys.executable, "-c", REFERENCE_SCRIPT, str(pages_file), base_url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return float(output.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    import pypdf

    from letterhub import create_app
    from letterhub.extensions import db
    from letterhub.models import RenderStatus
    from letterhub.services import publishing
    from letterhub.services.rendering import STATIC_DIR

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        document = build_document(args.names)
        pages_file = folder / "reference.json"
        pages_file.write_text(
            json.dumps(
                [
                    reference_html(replace(document, texts=texts))
                    for texts in (document.texts, *((t,) for t in document.texts))
                ]
            ),
            encoding="utf-8",
        )
        base_url = STATIC_DIR.as_uri() + "/"
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark",
                "PASSWORD_HASH_PROFILE": "CHEAPEST",
                "DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
                "BASE_URL": "https://letters.example.org",
            }
        )
        with app.app_context():
            letter = create_signed_letter(args.names)

            def close_and_render() -> tuple[float, dict[str, int]]:
                publishing.close_signing(letter)
                db.session.commit()
                start = time.perf_counter()
                while publishing.render_queued_documents()["rendered"]:
                    pass
                seconds = time.perf_counter() - start
                documents = publishing.documents_of(letter)
                assert [d.status for d in documents] == [RenderStatus.READY] * 3, documents
                pages = {d.languages: len(pypdf.PdfReader(io.BytesIO(d.pdf)).pages) for d in documents}
                publishing.reopen_signing(letter)
                db.session.commit()
                return seconds, pages

            close_and_render()  # warm-up: the fork server, the database's pages
            reference_seconds(pages_file, base_url)
            ours, theirs, ratios = [], [], []
            for _ in range(args.rounds):
                seconds, pages = close_and_render()
                reference = reference_seconds(pages_file, base_url)
                ours.append(seconds)
                theirs.append(reference)
                ratios.append(round(seconds / reference, 2))
            db.session.remove()
        median, reference_median = statistics.median(ours), statistics.median(theirs)
        print(
            json.dumps(
                {
                    "names": args.names,
                    "seconds": round(median, 2),
                    "reference_seconds": round(reference_median, 2),
                    "ratio": round(median / reference_median, 2),
                    "ratios": ratios,
                    "pages": pages,
                    "load": round(os.getloadavg()[0], 1),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
