"""No log line holds a working signing link: not the error line of a failed request, not an access line."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request

import pytest
from werkzeug.serving import make_server

from letterhub.logs import mask_tokens
from letterhub.services.tokens import issue_invitation_token

from ..conftest import free_port


@pytest.fixture(params=["json", "text"])
def app_config(request):
    return {"PROPAGATE_EXCEPTIONS": False, "LOG_FORMAT": request.param}


def fail_while_rendering(monkeypatch, token: str) -> None:
    from letterhub.views import signing

    def broken_render(*args, **kwargs):
        raise RuntimeError(f"the page for /sign/{token} and {token} could not be drawn")

    monkeypatch.setattr(signing, "_render", broken_render)


def test_the_error_line_of_a_failed_signing_page_holds_no_token(app, client, invite, monkeypatch, capsys):
    _invitation, link = invite()
    token = link.rsplit("/", 1)[1]
    fail_while_rendering(monkeypatch, token)
    capsys.readouterr()
    response = client.get(f"/sign/{token}")
    assert response.status_code == 500
    logged = capsys.readouterr().err
    assert "Exception on /sign/[token] [GET]" in logged
    assert "could not be drawn" in logged and "RuntimeError" in logged  # the traceback is there
    assert token not in logged
    assert token.split(".")[0] not in logged and token.split(".")[-1] not in logged
    if app.config["LOG_FORMAT"] == "json":
        lines = [json.loads(line) for line in logged.splitlines() if line.startswith("{")]
        (error,) = [line for line in lines if line["level"] == "ERROR"]
        assert error["path"] == "/sign/[token]" and error["method"] == "GET"
        assert error["request_id"] == response.headers["X-Request-ID"]
        assert "/sign/[token] and [token] could not be drawn" in error["exception"]


def test_werkzeugs_access_line_holds_no_token(app, invite, capsys):
    _invitation, link = invite()
    token = link.rsplit("/", 1)[1]
    port = free_port()
    server = make_server("127.0.0.1", port, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    capsys.readouterr()
    try:
        trusted = {"Host": "localhost"}  # BASE_URL's host: another Host is refused before any view
        page = urllib.request.Request(f"http://127.0.0.1:{port}/sign/{token}?lang=en", headers=trusted)
        with urllib.request.urlopen(page, timeout=10) as reply:  # noqa: S310 (an http:// URL built above)
            assert reply.status == 200
        tampered = urllib.request.Request(f"http://127.0.0.1:{port}/sign/{token}x", headers=trusted)
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(tampered, timeout=10)  # noqa: S310 (an http:// URL built above)
        refused.value.close()
    finally:
        server.shutdown()
        thread.join()
    logged = capsys.readouterr().err
    access = [line for line in logged.splitlines() if "werkzeug" in line]
    assert any("GET /sign/[token]?lang=en HTTP/1.1" in line and " 200 " in line for line in access)
    assert any("GET /sign/[token] HTTP/1.1" in line and " 404 " in line for line in access)
    assert token not in logged


@pytest.mark.parametrize(
    "line",
    [
        "GET /sign/{token} HTTP/1.1",
        "POST /sign/{token}/opened",
        "https://letters.example.org/sign/{token}?lang=ar",
        "BadSignature('{token} is not signed')",
        "link={token}",
        "%2Fsign%2F{token}",
    ],
)
def test_tokens_are_masked_wherever_they_appear_in_a_line(line):
    token = issue_invitation_token(123, "a secret key").token
    masked = mask_tokens(line.format(token=token))
    assert token not in masked and token.rsplit(".", 1)[1] not in masked
    assert "[token]" in masked


@pytest.mark.parametrize(
    "line",
    [
        "GET /letters/12/edit HTTP/1.1",
        "letterhub.services.transliteration.consonant_skeleton failed",
        "sha256=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "focal.point@archive.example.org",
    ],
)
def test_other_text_is_left_as_it_is(line):
    assert mask_tokens(line) == line
