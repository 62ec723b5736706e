"""Reading a served form as a browser does; shared by the tests and the benchmarks."""

from __future__ import annotations

import re

_CSRF_FIELD = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form served at ``path`` (as a browser would read it)."""
    page = client.get(path).get_data(as_text=True)
    match = _CSRF_FIELD.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)
