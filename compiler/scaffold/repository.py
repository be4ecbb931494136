"""Scaffolding: set up a repository for docs-compile (`docs-compile init` without a model id).

Everything is decided first (`plan`), then written (`write`). A file that exists is never replaced:
it is kept as it is, except .gitignore, which gains the lines it lacks and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Literal

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.config.project import CONFIG_FILE
from compiler.errors import UsageError
from compiler.load.reader import MODEL_FILE
from compiler.scaffold.files import (
    CI_FILES,
    PRE_COMMIT_FILE,
    CiName,
    Folders,
    ci_file,
    gitignore_entries,
    pre_commit_config,
    repository_folders,
    settings_file,
)
from compiler.scaffold.model import default_id, model_source
from compiler.scaffold.schemas import missing_schemas, model_schema_line, write_missing_schemas
from compiler.schema.editor import REGENERATE, SCHEMAS_DIR

CiChoice = Literal["all", "github", "gitlab", "none"]
CI_CHOICES: dict[CiChoice, tuple[CiName, ...]] = {
    "all": ("github", "gitlab"),
    "github": ("github",),
    "gitlab": ("gitlab",),
    "none": (),
}
GITIGNORE = ".gitignore"
_GITIGNORE_HEADER = "# docs-compile: the build output, the build cache and the virtualenv"

Action = Literal["create", "append", "keep", "schemas"]


@dataclass(frozen=True)
class Step:
    """One file (or the schemas folder) of the repository and what init does with it."""

    path: str
    """Relative to the repository root, '/'-separated."""
    action: Action
    text: str = ""
    """The whole new text (create, append)."""
    note: str = ""
    """Why a file is kept, or which lines are appended."""
    files: tuple[str, ...] = ()
    """The schema files to write (schemas)."""


@dataclass
class Outcome:
    """What init did, by path relative to the repository root."""

    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    notes: dict[str, str] = field(default_factory=dict)
    """Why a path was kept, or what was added to it."""
    model: str | None = None
    """The first model's source, when init created it."""


def plan(
    root: Path, model_id: str | None, ci: CiChoice, today: date | None = None, folders: Folders | None = None
) -> list[Step]:
    """What init would write into ROOT: the settings, a first model, .gitignore lines, pre-commit, CI, schemas.

    MODEL_ID None: the folder's name as an id, and no model at all when the content folder holds one already.
    FOLDERS None: those of ROOT/docs-compile.yaml, else the defaults (`repository_folders`).
    """
    folders = folders or repository_folders(root)
    return [
        _file(root, CONFIG_FILE, settings_file(folders)),
        *_first_model(root, folders, model_id, today),
        _gitignore(root, folders),
        _file(root, PRE_COMMIT_FILE, pre_commit_config(folders)),
        *(_file(root, CI_FILES[name][0], ci_file(name, folders)) for name in CI_CHOICES[ci]),
        _schemas(root),
    ]


def write(root: Path, steps: list[Step]) -> Outcome:
    """Carry out the steps of `plan`; each file is written whole (atomic_write) or not at all."""
    outcome = Outcome()
    for step in steps:
        try:
            if step.note:
                outcome.notes[step.path] = step.note
            if step.action == "keep":
                outcome.kept.append(step.path)
            elif step.action == "schemas":
                outcome.created += write_missing_schemas(root, list(step.files))
            else:
                atomic_write(root / step.path, step.text)
                (outcome.created if step.action == "create" else outcome.updated).append(step.path)
                if step.path.endswith("/" + MODEL_FILE):
                    outcome.model = step.path
        except OSError as exc:
            raise UsageError.at(
                display_path(root / step.path),
                f"cannot write: {exc.strerror or exc}",
                hint="check the folder's permissions",
            ) from None
    return outcome


def _file(root: Path, path: str, text: str) -> Step:
    if (root / path).exists() or (root / path).is_symlink():
        return Step(path, "keep", note="exists; init never overwrites")
    for folder in Path(path).parents:
        if (root / folder).exists() and not (root / folder).is_dir():
            raise UsageError.at(
                display_path(root / folder),
                f"not a folder, so init cannot write {path}",
                hint="rename or remove it, then run init again",
            )
    return Step(path, "create", text)


def _first_model(root: Path, folders: Folders, model_id: str | None, today: date | None) -> list[Step]:
    if model_id is None:
        content = root / folders.content
        models = sorted(content.glob(f"*/{MODEL_FILE}")) if content.is_dir() else []
        if models:
            return [Step(folders.content, "keep", note=f"holds {len(models)} model(s)")]
        model_id = default_id(root)
    path = f"{folders.content}/{model_id}/{MODEL_FILE}"
    return [_file(root, path, model_source(model_id, today, model_schema_line(root / path, root)))]


def _gitignore(root: Path, folders: Folders) -> Step:
    path = root / GITIGNORE
    text = path.read_text(encoding="utf-8", errors="replace") if path.is_file() else ""
    present = {_ignored(line) for line in text.splitlines()}
    missing = [entry for entry in gitignore_entries(folders) if _ignored(entry) not in present]
    if not missing:
        return Step(GITIGNORE, "keep", note="has the entries")
    if text and not text.endswith("\n"):
        text += "\n"
    added = "\n".join([_GITIGNORE_HEADER, *missing]) + "\n"
    return Step(GITIGNORE, "append" if path.exists() else "create", text + added, note="added " + ", ".join(missing))


def _ignored(line: str) -> str:
    """A .gitignore line as the folder it names: `/build/`, `build/` and `build` are the same entry."""
    return line.strip().strip("/")


def _schemas(root: Path) -> Step:
    """The schema files schemas/ lacks; the ones there are kept (they may be another version's: REGENERATE)."""
    missing = missing_schemas(root)
    if not missing:
        return Step(SCHEMAS_DIR, "keep", note=f"exists; `{REGENERATE}` regenerates it")
    return Step(SCHEMAS_DIR, "schemas", files=tuple(missing))
