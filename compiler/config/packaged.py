"""The defaults that ship with docs-compile: the audiences and the base MkDocs configuration.

In an installed wheel they are package data under `compiler/_packaged/` (setup.py copies them there from
the top level of docs-compile's repository). In a source checkout or an editable install they are read
where they are kept: `audiences/` and `mkdocs.yml` at the top level of the checkout. A repository's own
`audiences/` folder and `mkdocs.yml` are layered over these (docs/architecture.md, "Layers").
"""

from __future__ import annotations

from pathlib import Path

from compiler.errors import ConfigError

_PACKAGE = Path(__file__).resolve().parent.parent
_INSTALLED = _PACKAGE / "_packaged"
_CHECKOUT = _PACKAGE.parent


def _packaged(name: str) -> Path:
    for base in (_INSTALLED, _CHECKOUT):
        if (base / name).exists():
            return base / name
    raise ConfigError.at(
        str(_INSTALLED / name),
        f"the packaged {name} are missing from this installation",
        hint="reinstall docs-compile (pip install --force-reinstall docs-compile)",
    )


def packaged_audiences() -> Path:
    """The folder of the audiences docs-compile ships (technical, regulatory, clinician, leadership, _common)."""
    return _packaged("audiences")


def packaged_mkdocs_config() -> Path:
    """The base mkdocs.yml of the site (Material, search, the shipped style), under a repository's own."""
    return _packaged("mkdocs.yml")
