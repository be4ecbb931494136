"""Publish stage, site archive: whether a build holds every document a whole build of its sources writes.

A published version is immutable, so a build made with `--model`, `--audience` or `--no-pdf` would stay in the
archive as a version that lacks models, documents or PDFs. The build's manifest records what it wrote: its models,
each model's documents (audiences) and every PDF. Compared with what a whole build writes — every model of the
content folder, each in every audience that applies to its domain (its domain from the build's JSON export), and a
PDF for each document of an audience whose outputs include pdf — anything missing makes the build partial.
"""

from __future__ import annotations

from pathlib import Path

from compiler._util.paths import display_path
from compiler.config.audiences import Audience, load_audiences
from compiler.errors import UsageError
from compiler.load.reader import discover
from compiler.publish.archive_build import Build
from compiler.publish.manifest import MANIFEST

_SHOWN = 4
"""Names listed per kind of omission before "and N more"."""


def omissions(build: Build, audiences: list[Audience]) -> list[str]:
    """What the build lacks compared with a whole build, one phrase per kind (models, documents, PDFs); [] if none."""
    by_name = {a.name: a for a in audiences}
    models = sorted({folder.name for folder in discover(build.content)} - set(build.models))
    documents = [
        f"{model}/{audience.name}"
        for model in build.models
        for audience in audiences
        if _applies(audience, build.domains.get(model)) and audience.name not in build.documents.get(model, ())
    ]
    pdfs = [
        f"{model}/{name}"
        for model in build.models
        for name in build.documents.get(model, ())
        if name in by_name and "pdf" in by_name[name].config.outputs and (model, name) not in build.pdfs
    ]
    found = []
    if models:
        found.append(f"model(s) {_listed(models)} of {display_path(build.content)} not built (--model)")
    if documents:
        found.append(f"document(s) {_listed(documents)} not built (--audience)")
    if pdfs:
        found.append(f"the PDF(s) of {_listed(pdfs)} not built (--no-pdf)")
    return found


def check_whole(build: Build, out: Path, layers: list[Path], own_only: bool, partial: bool) -> list[str]:
    """The build's omissions, with the audiences a whole build uses (as `compiler.build` loads them); a UsageError
    when there are some and `partial` (--partial) was not given."""
    found = omissions(build, load_audiences(layers, own_only=own_only))
    if found and not partial:
        raise UsageError.at(
            display_path(out / MANIFEST),
            f"a partial build: {'; '.join(found)}; a published version is immutable and would keep only these "
            "documents",
            hint="build again without --model, --audience and --no-pdf, then publish; or pass --partial to publish "
            "this build as a partial version",
        )
    return found


def _applies(audience: Audience, domain: str | None) -> bool:
    """Whether a whole build writes this audience's document of a model of `domain` (None: not known)."""
    return audience.applies(domain) if domain is not None else not audience.config.applies_to


def _listed(names: list[str]) -> str:
    more = len(names) - _SHOWN
    return ", ".join(names[:_SHOWN]) + (f" and {more} more" if more > 0 else "")
