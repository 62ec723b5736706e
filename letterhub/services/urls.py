"""Where a ``next`` parameter may send the browser: only to a path on this site.

Browsers are lenient readers of URLs: they drop tabs and newlines anywhere, strip leading
control characters and spaces, read ``\\`` as ``/`` and treat ``//host`` as another site.
So a target is accepted only when it is a plain same-site path, whatever a browser does to
it: it starts with exactly one ``/``, has no backslash, no ``//`` at its start, no control,
format or whitespace character, and neither it nor its percent-decoded or NFKC-normalised
form (fullwidth ``／`` becomes ``/``, as do other slashes that look like one) says otherwise. Anything else is refused as a whole, not
repaired.
"""

from __future__ import annotations

import unicodedata
from urllib.parse import unquote, urlsplit

MAX_TARGET_LENGTH = 2000
# Slashes NFKC leaves alone (it maps the fullwidth ones itself); read as what they look like.
SLASH_LOOKALIKES = str.maketrans(
    {"\u2044": "/", "\u2215": "/", "\u29f8": "/", "\u29f5": "\\", "\u29f9": "\\", "\ufe68": "\\"}
)


def _plain_path(candidate: str) -> bool:
    if not candidate.startswith("/") or candidate.startswith("//"):
        return False
    if "\\" in candidate:
        return False
    # Cc (controls: tab, CR, LF, NUL), Cf (format: bidi marks, zero width), Z* (spaces).
    if any(unicodedata.category(char)[0] in "CZ" for char in candidate):
        return False
    parts = urlsplit(candidate)
    return not parts.scheme and not parts.netloc


def safe_redirect_target(target: str | None) -> str | None:
    """``target`` if it is a path on this site that no browser reads as another host, else None."""
    if not target or len(target) > MAX_TARGET_LENGTH:
        return None
    forms = [target, unquote(target)]
    forms += [unicodedata.normalize("NFKC", form).translate(SLASH_LOOKALIKES) for form in forms]
    return target if all(_plain_path(form) for form in forms) else None
