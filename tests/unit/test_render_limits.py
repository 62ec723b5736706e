"""A render that runs past its time or memory ceiling stops with a clear error and no file."""

from __future__ import annotations

import pytest

from letterhub.services.render_limits import RenderFailed, RenderLimitExceeded, render_letter_pdf_bounded
from letterhub.services.rendering import LanguageText, LetterDocument, Signatory

from ..conftest import pdf_text


def letter(paragraphs: int = 1, names: int = 2) -> LetterDocument:
    body = "\n\n".join(["A paragraph of the letter that goes on for a while. " * 30] * paragraphs)
    signatories = tuple(Signatory(f"Organisation {n}") for n in range(1, names + 1))
    return LetterDocument((LanguageText("en", "Joint letter", "", "", body, "Signatories:", signatories),))


def test_a_letter_within_its_limits_renders_as_usual():
    pdf = render_letter_pdf_bounded(letter(), seconds=60, memory_mb=2048)
    text = " ".join(pdf_text(pdf).split())
    assert "1. Organisation 1" in text and "2. Organisation 2" in text


def test_a_render_past_its_time_is_stopped_with_a_message_naming_the_setting():
    render_letter_pdf_bounded(letter(), seconds=60, memory_mb=0)  # the fork server is up: only layout counts
    with pytest.raises(RenderLimitExceeded) as stopped:
        render_letter_pdf_bounded(letter(paragraphs=400), seconds=0.5, memory_mb=0)
    assert stopped.value.reason == "time"
    assert "longer than 0.5 seconds" in str(stopped.value) and "PDF_RENDER_SECONDS" in str(stopped.value)


def test_a_render_past_its_memory_is_stopped_with_a_message_naming_the_setting():
    with pytest.raises(RenderLimitExceeded) as stopped:
        render_letter_pdf_bounded(letter(names=3000), seconds=120, memory_mb=200)
    assert stopped.value.reason == "memory"
    assert "more than 200 MB" in str(stopped.value) and "PDF_RENDER_MEMORY_MB" in str(stopped.value)


def test_an_error_inside_the_renderer_comes_back_with_its_type_and_message():
    with pytest.raises(RenderFailed, match="ValueError: a letter needs at least one language text"):
        render_letter_pdf_bounded(LetterDocument(()), seconds=60, memory_mb=0)


def test_a_command_that_renders_once_forks_itself_and_keeps_the_time_ceiling():
    pdf = render_letter_pdf_bounded(letter(), seconds=60, memory_mb=2048, start_method="fork")
    assert "1. Organisation 1" in " ".join(pdf_text(pdf).split())
    with pytest.raises(RenderLimitExceeded) as stopped:
        render_letter_pdf_bounded(letter(paragraphs=400), seconds=0.5, memory_mb=0, start_method="fork")
    assert stopped.value.reason == "time"
