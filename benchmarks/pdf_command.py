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

The letter is open (no final document), so every run of ours is a fresh render. Memory, sampled
every 10 ms (PSS every 50 ms) from this process (which is not timed) over each command's whole
process tree (the command and its render child): the highest sum of resident memory
(``peak_rss_mb``; a forked child's pages shared with its parent count twice), the highest sum
of proportional set sizes (``peak_pss_mb``: shared pages split between the processes that share
them, so the tree's real footprint) and the largest single process (``peak_process_mb``). Prints one JSON line:
{"names": N, "seconds": median, "reference_seconds": median, "ratio": ..., "ratios": [per round],
 "cpu_seconds": median, "reference_cpu_seconds": median, "cpu_ratios": [per round],
 "peak_rss_mb": ..., "peak_pss_mb": ..., "peak_process_mb": ..., "reference_peak_rss_mb": ...}.
Target: ratio <= 0.5, peak <= 300 MB. On a shared machine the CPU seconds (user + system of the
whole tree) drift less than the wall seconds; the target is on wall seconds, what a person waits for.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
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


def proportional_set_size(pid: int) -> int:
    """The process's PSS in bytes (``/proc/PID/smaps_rollup``; 0 where it cannot be read)."""
    with suppress(OSError), open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def run_measured(command: list[str], environment: dict[str, str]) -> tuple[float, dict[str, float]]:
    """Wall seconds of ``command`` from start to exit, and figures of its process tree: ``cpu``
    (user + system seconds, render child included), and the peaks in bytes of ``rss`` (sum of
    resident sizes), ``pss`` (sum of proportional set sizes) and ``process`` (the largest one)."""
    import psutil

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=REPO, env=environment, stdout=subprocess.DEVNULL)
    watched = psutil.Process(process.pid)
    peaks: dict[str, float] = {"rss": 0, "pss": 0, "process": 0}
    samples = 0
    while process.poll() is None:
        # PSS costs the kernel a walk of the page tables (about a millisecond for a render
        # process): read it every fifth sample only, so the sampler stays light.
        with_pss, samples = samples % 5 == 0, samples + 1
        rss = pss = largest = 0
        with suppress(psutil.Error):
            for member in [watched, *watched.children(recursive=True)]:
                with suppress(psutil.Error):
                    resident = member.memory_info().rss
                    rss, largest = rss + resident, max(largest, resident)
                    pss += proportional_set_size(member.pid) if with_pss else 0
        peaks["rss"], peaks["pss"] = max(peaks["rss"], rss), max(peaks["pss"], pss)
        peaks["process"] = max(peaks["process"], largest)
        time.sleep(0.01)
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if process.returncode != 0:
        raise SystemExit(f"{command} exited with {process.returncode}")
    peaks["cpu"] = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return seconds, peaks


def prepare(folder: Path, names: int) -> tuple[dict[str, str], list[str], list[str]]:
    """Write the letter's database and the reference page in ``folder``; return the environment
    and the two commands (ours, reference)."""
    from letterhub import create_app
    from letterhub.extensions import db
    from letterhub.services.rendering import STATIC_DIR

    environment = {
        **os.environ,
        "LETTERHUB_DATABASE_URL": f"sqlite:///{folder / 'bench.db'}",
        "LETTERHUB_SECRET_KEY": "benchmark",
        "LETTERHUB_INSTANCE_PATH": str(folder / "instance"),
    }
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "DATABASE_URL": environment["LETTERHUB_DATABASE_URL"],
        }
    )
    with app.app_context():
        letter_id = create_signed_letter(names).id
        db.session.remove()
        db.engine.dispose()
    reference = folder / "reference.html"
    reference.write_text(reference_html(build_document(names)), encoding="utf-8")
    flask = [sys.executable, "-m", "flask", "--app", "letterhub"]
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
    return environment, ours_command, reference_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--names", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--prepare",
        type=Path,
        metavar="FOLDER",
        help="only write the database and reference page in FOLDER and print the environment and "
        "both commands as JSON, to time them with another tool (e.g. /usr/bin/time -v)",
    )
    args = parser.parse_args()

    if args.prepare:
        args.prepare.mkdir(parents=True, exist_ok=True)
        environment, ours_command, reference_command = prepare(args.prepare.resolve(), args.names)
        variables = {key: value for key, value in environment.items() if key.startswith("LETTERHUB_")}
        print(json.dumps({"environment": variables, "ours": ours_command, "reference": reference_command}))
        return
    with tempfile.TemporaryDirectory() as temporary:
        environment, ours_command, reference_command = prepare(Path(temporary), args.names)
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
                    "cpu_seconds": round(statistics.median(p["cpu"] for p in peaks), 2),
                    "reference_cpu_seconds": round(statistics.median(p["cpu"] for p in reference_peaks), 2),
                    "cpu_ratios": [
                        round(a["cpu"] / b["cpu"], 2) for a, b in zip(peaks, reference_peaks, strict=True)
                    ],
                    **{
                        f"peak_{kind}_mb": round(max(p[kind] for p in peaks) / 2**20)
                        for kind in ("rss", "pss", "process")
                    },
                    "reference_peak_rss_mb": round(max(p["rss"] for p in reference_peaks) / 2**20),
                    "reference_peak_pss_mb": round(max(p["pss"] for p in reference_peaks) / 2**20),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    main()
