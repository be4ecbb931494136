"""Scaffolding: a repository's `schemas/` for editors, and the `$schema` line that points a new model file at it.

A model file's line is relative to the file (yaml-language-server resolves it from the file's folder), so it
depends on where the content folder is: `content/<id>/model.yaml` goes up two folders, `docs/models/<id>/model.yaml`
three. `init` and `import` write the schema files that are missing and never replace one.
"""

from __future__ import annotations

import os
from pathlib import Path

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.errors import UsageError
from compiler.schema.editor import PARTS, REGENERATE, SCHEMAS_DIR, schema_line, schema_text


def model_schema_line(model_file: Path, root: Path) -> str:
    """The `$schema` line of MODEL_FILE for the schemas in ROOT/schemas/; UsageError when the file is outside ROOT."""
    relative = Path(os.path.relpath(os.path.abspath(model_file), os.path.abspath(root)))
    if relative.parts[:1] == ("..",):
        where = "the working directory" if Path(root).resolve() == Path.cwd().resolve() else display_path(root)
        raise UsageError.at(
            display_path(model_file.parent.parent),
            f"the content folder is outside the repository ({where}), where {SCHEMAS_DIR}/ goes",
            hint="run docs-compile in the repository's root folder with a content folder inside it",
        )
    return schema_line("model", len(relative.parts) - 1)


def missing_schemas(root: Path) -> list[str]:
    """The schema files ROOT/schemas/ lacks, as paths relative to ROOT; UsageError when `schemas` is not a folder."""
    folder = root / SCHEMAS_DIR
    if (folder.exists() or folder.is_symlink()) and not folder.is_dir():
        raise UsageError.at(
            display_path(folder),
            "not a folder, so the editors' schemas cannot be written there",
            hint=f"rename or remove it, then run `{REGENERATE}`",
        )
    return [
        f"{SCHEMAS_DIR}/{part.file_name}"
        for part in PARTS
        if not ((folder / part.file_name).exists() or (folder / part.file_name).is_symlink())
    ]


def write_missing_schemas(root: Path, missing: list[str] | None = None) -> list[str]:
    """Write the schema files ROOT/schemas/ lacks (or the given ones), each whole; the paths written, relative to ROOT."""
    wanted = missing_schemas(root) if missing is None else missing
    kinds = {f"{SCHEMAS_DIR}/{part.file_name}": part.kind for part in PARTS}
    for path in wanted:
        atomic_write(root / path, schema_text(kinds[path]))
    return wanted
