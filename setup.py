"""Packaging: the repository's `audiences/` and `mkdocs.yml` ship inside the wheel as the packaged defaults.

They stay where the design card puts them (top level of this repository) and are copied into
`compiler/_packaged/` of the built package only, so there is one copy to edit and none that can drift.
An editable install or a source checkout finds them at the top level (compiler/config/packaged.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
PACKAGED = {"audiences": "audiences", "mkdocs.yml": "mkdocs.yml"}
"""Top-level source -> its name under compiler/_packaged/ in the built package."""


class BuildWithDefaults(build_py):
    """build_py, plus the packaged defaults copied into the build tree (skipped for editable installs)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "compiler" / "_packaged"
        for source, name in PACKAGED.items():
            path, dest = ROOT / source, target / name
            if path.is_dir():
                shutil.rmtree(dest, ignore_errors=True)
                shutil.copytree(path, dest, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".*"))
            else:
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)


setup(cmdclass={"build_py": BuildWithDefaults})
