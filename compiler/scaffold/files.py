"""Scaffolding: the text of a repository's settings, pre-commit and CI files, rendered from the packaged templates.

The same functions write docs-compile's own `examples/ci/` (`python -m compiler.scaffold.files examples/ci`),
so the examples and what `docs-compile init` scaffolds are one text (a test holds them equal).
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from compiler import __version__
from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.config.project import CONFIG_FILE, DEFAULT_POLICY, RULES, load_config
from compiler.errors import ConfigError, UsageError

CiName = Literal["github", "gitlab"]
CI_FILES: dict[CiName, tuple[str, str]] = {
    "github": (".github/workflows/docs.yml", "github-docs.yaml"),
    "gitlab": (".gitlab-ci.yml", "gitlab-ci.yaml"),
}
"""CI system -> (where init writes its file in a repository, its template under compiler/templates/repo/)."""

EXAMPLES: dict[CiName, str] = {"github": "docs.yml", "gitlab": "gitlab-ci.yml"}
"""CI system -> its file name in docs-compile's examples/ci/."""

PRE_COMMIT_FILE = ".pre-commit-config.yaml"
CACHE_DIR = ".docs-compile-cache"
VENV_DIR = ".venv"

# Folder names go into YAML, shell lines and the pre-commit hooks' regular expressions unquoted.
_PLAIN_FOLDER = re.compile(r"^[A-Za-z0-9_-]+(?:/[A-Za-z0-9_-]+)*$")
_NOT_PLAIN = "init writes this folder into the CI and pre-commit files and needs a plain relative path"
_PLAIN_HINT = "use letters, digits, '-', '_' and '/' (e.g. docs/models), or write those files by hand"


@dataclass(frozen=True)
class Folders:
    """The repository's folders that its CI and pre-commit files name (docs-compile.yaml `content:` and `out:`)."""

    content: str = "content"
    out: str = "build"


DEFAULT_FOLDERS = Folders()


def repository_folders(root: Path, content: str | None = None, out: str | None = None) -> Folders:
    """The folders of the repository in ROOT: `content` and `out` when given (init's --content and --out, relative
    to ROOT), else those of ROOT/docs-compile.yaml, else the defaults.

    A folder given that differs from the one docs-compile.yaml sets is a UsageError: init never edits that file.
    """
    path = root / CONFIG_FILE
    config = load_config(path) if path.is_file() else None
    found = Folders(content=str(config.content), out=str(config.out)) if config is not None else DEFAULT_FOLDERS
    for field in ("content", "out"):
        if config is not None and not _PLAIN_FOLDER.match(getattr(found, field)):
            raise ConfigError.at(display_path(path), _NOT_PLAIN, field=field, hint=_PLAIN_HINT)
    given = {"content": content, "out": out}
    for field, value in given.items():
        if value is None:
            continue
        if not _PLAIN_FOLDER.match(value):
            raise UsageError.at(f"--{field}", f"'{value}': {_NOT_PLAIN}", hint=_PLAIN_HINT)
        if config is not None and value != getattr(found, field):
            raise UsageError.at(
                display_path(path),
                f"sets {field}: {getattr(found, field)}, but --{field} is {value}; init never edits this file",
                field=field,
                hint=f"change `{field}:` in {CONFIG_FILE} and run init again, or drop --{field}",
            )
    folders = Folders(content=content or found.content, out=out or found.out)
    inner, outer = sorted((folders.content, folders.out), key=len, reverse=True)
    if f"{inner}/".startswith(f"{outer}/"):
        given_names = [f"--{field}" for field, value in given.items() if value is not None]
        raise UsageError.at(
            ", ".join(given_names) or display_path(path),
            f"the content folder ({folders.content}) and the output folder ({folders.out}) overlap; every build "
            "replaces the output folder whole",
            hint="choose two separate folders, e.g. --content models --out site-out",
        )
    return folders


def _template(name: str) -> str:
    return resources.files("compiler").joinpath(f"templates/repo/{name}").read_text(encoding="utf-8")


def _render(name: str, folders: Folders, version: str = __version__) -> str:
    text = _template(name)
    for key, value in (("__CONTENT__", folders.content), ("__OUT__", folders.out), ("__VERSION__", version)):
        text = text.replace(key, value)
    return text


def settings_file(folders: Folders = DEFAULT_FOLDERS) -> str:
    """docs-compile.yaml: the folders, then every rule and review-policy default as a commented-out line."""
    width = max(len(name) for name in RULES) + 2
    rules = "\n".join(f"#  {name + ':':<{width}} {severity:<8} # {text}" for name, (severity, text) in RULES.items())
    policy = "\n".join(f"#    {path}: {need}" for path, need in DEFAULT_POLICY.items())
    return _render("docs-compile.yaml", folders).replace("__RULES__", rules).replace("__POLICY__", policy)


def pre_commit_config(folders: Folders = DEFAULT_FOLDERS) -> str:
    """.pre-commit-config.yaml with docs-compile's validate and check hooks, run from the environment."""
    return _render("pre-commit-config.yaml", folders)


def ci_file(name: CiName, folders: Folders = DEFAULT_FOLDERS) -> str:
    """The CI file of one system (github: GitHub Actions workflow, gitlab: .gitlab-ci.yml)."""
    return _render(CI_FILES[name][1], folders)


def gitignore_entries(folders: Folders = DEFAULT_FOLDERS) -> list[str]:
    """The .gitignore lines a repository needs: the build output, the build cache and the virtualenv that the
    README creates inside the repository."""
    return [f"{folders.out}/", f"{CACHE_DIR}/", f"{VENV_DIR}/"]


def write_examples(folder: Path) -> list[Path]:
    """Write the CI files with the default folders into FOLDER under their example names (examples/ci/)."""
    written = []
    for name, file_name in EXAMPLES.items():
        atomic_write(folder / file_name, ci_file(name))
        written.append(folder / file_name)
    return written


if __name__ == "__main__":
    for path in write_examples(Path(sys.argv[1] if len(sys.argv) > 1 else "examples/ci")):
        print(f"wrote {display_path(path)}")
