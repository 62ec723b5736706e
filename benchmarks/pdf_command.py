"""``letters pdf --language both`` timed as a whole command, against bare WeasyPrint as a whole process.

    .venv/bin/python benchmarks/pdf_command.py [--names 2000] [--rounds 5]

Writes the bilingual seed letter (seed 001 in English, seed 000 in Arabic, from ``shared/seeds``
beside the repository) with N organisations that confirmed it (the seeds' names, then the same
names with a counter word, as ``render_pdf.py`` makes them; ``signed_letter.py``) in a fresh
SQLite database, and then times, alternately, ``--rounds`` times:

- ours: ``python -m flask --app letterhub letters pdf ID --language both -o FILE``, the command a
  person runs, from its start to its exit (interpreter start-up, imports, database, render child);
- reference: a fresh ``python`` that imports WeasyPrint and renders the same letter written the
  obvious way as one plain HTML page (``render_pdf.reference_html``: an ``<ol>`` per language, the
  same fonts) to a file, also from its start to its exit.

The letter is open (no final document), so every run of ours is a fresh render. Memory:
the highest sum of resident memory over each command's whole process tree (the command and its
render children), sampled every 10 ms from this process, which is not timed. Prints one JSON line:
{"names": N, "seconds": median, "reference_seconds": median, "ratio": ..., "ratios": [per round],
 "peak_rss_mb": ..., "reference_peak_rss_mb": ...}. Target: ratio <= 0.5, peak <= 300 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import suppress
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from render_pdf import build_document, reference_html  # noqa: E402
from signed_letter import create_signed_letter  # noqa: E402

REFERENCE_SCRIPT = """
import sys
from weasyprint import HTML
HTML(filename=sys.argv[1], base_url=sys.argv[2]).write_pdf(sys.argv[3])
"""


def run_measured(command: list[str], environment: dict[str, str]) -> tuple[float, int]:
    """Wall seconds of ``command`` from start to exit, and the peak RSS (bytes) of its process tree."""
    import psutil

    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL)
    watched = psutil.Process(process.pid)
    peak = 0
    while process.poll() is None:
        total = 0
        with suppress(psutil.Error):
            for member in [watched, *watched.children(recursive=True)]:
                with suppress(psutil.Error):
                    total += member.memory_info().rss
        peak = max(peak, total)
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise SystemExit(f"{command} exited with {process.returncode}")
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    from letterhub.services.rendering import STATIC_DIR

    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        document = build_document(args.names)
        environment = {
            **os.environ,
            "LETTERHUB_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
            "LETTERHUB_SECRET_KEY": "benchmark",
            "LETTERHUB_INSTANCE_PATH": str(folder / "instance"),
        }
        flask = [sys.executable, "-m", "flask", "--app", "letterhub"]
        from letterhub import create_app
        from letterhub.extensions import db

        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "benchmark",
                "PASSWORD_HASH_PROFILE": "CHEAPEST",
                "DATABASE_URL": environment["LETTERHUB_DATABASE_URL"],
            }
        )
        with app.app_context():
            letter_id = create_signed_letter(args.names).id
            db.session.remove()
            db.engine.dispose()
        reference = folder / "reference.html"
        reference.write_text(reference_html(document), encoding="utf-8")
        ours_command = [
            *flask,
            "letters",
            "pdf",
            str(letter_id),
            "--language",
            "both",
            "-o",
            str(folder / "ours.pdf"),
        ]
        reference_command = [
            sys.executable,
            "-c",
            REFERENCE_SCRIPT,
            str(reference),
            STATIC_DIR.as_uri() + "/",
            str(folder / "reference.pdf"),
        ]
        run_measured(ours_command, environment)  # warm-up: the page cache, .pyc files
        run_measured(reference_command, environment)
        ours, theirs, ratios, peaks, reference_peaks = [], [], [], [], []
        for _ in range(args.rounds):
            seconds, peak = run_measured(ours_command, environment)
            reference_seconds, reference_peak = run_measured(reference_command, environment)
            ours.append(seconds)
            theirs.append(reference_seconds)
            ratios.append(round(seconds / reference_seconds, 2))
            peaks.append(peak)
            reference_peaks.append(reference_peak)
        seconds, reference_seconds = statistics.median(ours), statistics.median(theirs)
        print(
            json.dumps(
                {
                    "names": args.names,
                    "seconds": round(seconds, 2),
                    "reference_seconds": round(reference_seconds, 2),
                    "ratio": round(seconds / reference_seconds, 2),
                    "ratios": ratios,
                    "peak_rss_mb": round(max(peaks) / 2**20),
                    "reference_peak_rss_mb": round(max(reference_peaks) / 2**20),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
