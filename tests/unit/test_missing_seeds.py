"""A clone without ../shared/seeds says which tests it skipped and why; under CI it fails."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
SEED_TESTS = "tests/unit/test_collation.py"
REASON = "seed documents not found at"


def run_pytest(tmp_path: Path, *, ci: bool) -> subprocess.CompletedProcess:
    environment = {key: value for key, value in os.environ.items() if key not in ("CI", "PYTEST_ADDOPTS")}
    environment["LETTERHUB_TEST_SEEDS_DIR"] = str(tmp_path / "no-seeds-here")
    if ci:
        environment["CI"] = "true"
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-rs", SEED_TESTS],
        cwd=REPO_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def test_without_seeds_the_seed_tests_skip_with_one_line_saying_why(tmp_path):
    result = run_pytest(tmp_path, ci=False)
    assert result.returncode == 0, result.stdout
    reasons = [line for line in result.stdout.splitlines() if REASON in line and line.startswith("SKIPPED")]
    assert len(reasons) == 1 and reasons[0].startswith("SKIPPED [2]"), result.stdout
    assert "LETTERHUB_TEST_SEEDS_DIR" in reasons[0]
    assert "passed" in result.stdout and "2 skipped" in result.stdout  # the other tests still ran


def test_without_seeds_under_ci_is_a_failure(tmp_path):
    result = run_pytest(tmp_path, ci=True)
    assert result.returncode == 1, result.stdout
    assert "under CI this is a failure" in result.stdout and "2 errors" in result.stdout
