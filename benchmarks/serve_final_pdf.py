"""How long serving a stored final PDF takes, through the whole Flask stack.

Builds a closed letter with the seed letter's 54 + 54 signatories on a throw-away SQLite
database (or LETTERHUB_BENCH_DATABASE_URL), renders its final documents once, then downloads
the combined PDF N times with a signed-in test client and prints one JSON line:
{"requests": N, "pdf_bytes": B, "median_ms": M, "p95_ms": P, "render_seconds": R}.
Target: a stored final PDF is served in under 50 ms.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
SEEDS = REPO.parent / "shared" / "seeds"


def seed_names(number: int) -> list[str]:
    (path,) = SEEDS.glob(f"{number:03d}_*.txt")
    names = []
    for line in path.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*-?\s*(\d+)\s*[-.]\s*(.+?)\s*\.?$", line)
        if match:
            names.append(match.group(2))
    return names[-54:]


def main(requests: int = 200) -> None:
    from letterhub import create_app
    from letterhub.extensions import db
    from letterhub.models import ImportedSignatory
    from letterhub.services import accounts, drafting, publishing

    workdir = Path(tempfile.mkdtemp())
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "benchmark",
            "PASSWORD_HASH_PROFILE": "CHEAPEST",
            "DATABASE_URL": os.environ.get(
                "LETTERHUB_BENCH_DATABASE_URL", f"sqlite:///{workdir / 'bench.db'}"
            ),
            "RATELIMIT_ENABLED": False,
            "WTF_CSRF_ENABLED": False,
        }
    )
    with app.app_context():
        db.create_all()
        user = accounts.create_user("bench@example.org", "Bench", "benchmark-password")
        text = {
            **drafting.empty_fields(),
            "title_en": "Benchmark letter",
            "title_ar": "رسالة",
            "body_en": "Body.",
            "body_ar": "نص.",
        }
        letter = drafting.create_letter(user, text, coalition="Benchmark")
        letter.source = "imported"
        for language, number in (("en", 1), ("ar", 0)):
            for position, name in enumerate(seed_names(number), start=1):
                db.session.add(
                    ImportedSignatory(letter_id=letter.id, language=language, position=position, name=name)
                )
        publishing.close_signing(letter, by=user)
        db.session.commit()
        started = time.perf_counter()
        publishing.render_queued_documents()
        render_seconds = time.perf_counter() - started
        letter_id = letter.id

    client = app.test_client()
    client.post("/login", data={"email": "bench@example.org", "password": "benchmark-password"})
    url = f"/letters/{letter_id}/final.pdf"
    size = len(client.get(url).data)  # warm-up
    timings = []
    for _ in range(requests):
        started = time.perf_counter()
        response = client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200 and len(response.data) == size
    timings.sort()
    print(
        json.dumps(
            {
                "requests": requests,
                "pdf_bytes": size,
                "median_ms": round(statistics.median(timings), 2),
                "p95_ms": round(timings[int(len(timings) * 0.95) - 1], 2),
                "render_seconds": round(render_seconds, 2),
            }
        )
    )


if __name__ == "__main__":
    main()
