"""WeasyPrint's page-by-page progress stays out of the logs unless the app logs at DEBUG."""

from __future__ import annotations

import pytest

from letterhub.services.rendering import render_letter_pdf

from ..conftest import make_app
from .test_render_limits import letter


@pytest.mark.parametrize(("level", "progress_logged"), [("INFO", False), ("WARNING", False), ("DEBUG", True)])
def test_weasyprints_progress_lines_are_logged_only_when_debugging(
    database, tmp_path, capsys, level, progress_logged
):
    make_app(database, tmp_path, LOG_LEVEL=level, LOG_FORMAT="json")
    capsys.readouterr()
    render_letter_pdf(letter(paragraphs=20))  # two pages and more
    logged = capsys.readouterr().err
    assert ("Creating layout - Page 2" in logged) is progress_logged
    assert ('"logger": "weasyprint.progress"' in logged) is progress_logged
