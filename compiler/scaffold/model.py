"""Scaffolding: the commented source of a new model (`docs-compile init MODEL_ID`), and model ids."""

from __future__ import annotations

import re
from datetime import date
from importlib import resources
from pathlib import Path

from compiler.errors import UsageError
from compiler.schema.editor import schema_line

ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
DEFAULT_ID = "my-model"
_ID_HINT = "use lower-case letters, digits, '.', '_' and '-', e.g. sepsis-risk"


def model_source(model_id: str, today: date | None = None, schema: str | None = None) -> str:
    """The text of a new model.yaml for MODEL_ID, dated today unless `today` is given.

    `schema` is its first line, pointing editors at the model schema (`compiler/scaffold/schemas.py`); the
    default fits `content/<id>/model.yaml` under the repository root.
    """
    template = resources.files("compiler").joinpath("templates/init.yaml").read_text(encoding="utf-8")
    return (
        template.replace("__SCHEMA__", schema or schema_line("model", 2))
        .replace("__ID__", model_id)
        .replace("__DATE__", (today or date.today()).isoformat())
    )


def checked_id(model_id: str) -> str:
    """MODEL_ID itself when it is a valid id, else a UsageError (exit 2) saying what an id may hold."""
    if not ID.match(model_id):
        raise UsageError.at(model_id, "not a valid model id", hint=_ID_HINT)
    return model_id


def default_id(folder: Path) -> str:
    """The first model's id for a repository in FOLDER: the folder's name as a slug when that is a valid id."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", folder.resolve().name.lower()).strip("-._")[:80]
    return slug if ID.match(slug) else DEFAULT_ID
