"""Where the app's files are, in a checkout and in an installed wheel alike.

The source tree keeps ``templates/`` and ``migrations/`` at its top level; a wheel carries them
inside the package (``setup.py`` copies them there at build time).
"""

from __future__ import annotations

from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent
IN_CHECKOUT = (PROJECT_DIR / "pyproject.toml").is_file()


def app_folder(name: str) -> Path:
    """``templates`` or ``migrations``: inside the package when installed, else the checkout's."""
    shipped = PACKAGE_DIR / name
    return shipped if shipped.is_dir() else PROJECT_DIR / name


TEMPLATES_DIR = app_folder("templates")
MIGRATIONS_DIR = app_folder("migrations")
