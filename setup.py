"""Build hook: the wheel carries ``templates/`` and ``migrations/`` inside the package.

The source tree keeps them at the top level (the layout the project follows); a wheel gets
them as ``letterhub/templates`` and ``letterhub/migrations``, so an installed app renders its
pages and upgrades its database. ``create_app`` looks in the package first, then the source
tree. An editable install needs no copy: it reads the source tree.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED_FOLDERS = ("templates", "migrations")


class BuildWithAppFiles(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        for folder in SHIPPED_FOLDERS:
            shipped = Path(self.build_lib) / "letterhub" / folder
            shutil.rmtree(shipped, ignore_errors=True)  # no file of an earlier build survives
            for source in sorted((ROOT / folder).rglob("*")):
                if source.is_file() and "__pycache__" not in source.parts and source.suffix != ".pyc":
                    target = Path(self.build_lib) / "letterhub" / source.relative_to(ROOT)
                    self.mkpath(str(target.parent))
                    self.copy_file(str(source), str(target))


setup(cmdclass={"build_py": BuildWithAppFiles})
