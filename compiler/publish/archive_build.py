"""Publish stage, site archive: a build folder read and checked, and one version of the archive staged from it.

A version is the built site, byte for byte, plus `_archive/`: the build's manifest, the model sources it was
built from and `publication.json` (what publishing added). The only built file that changes is each model's
page, which gains the link to its "what changed" page; publication.json records its sha256 before and after.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from compiler._util.paths import display_path
from compiler._util.safe_open import read_bytes
from compiler.check.diff import DiffReport, diff_sources, load_folder, resolved
from compiler.errors import CompilerError, UsageError
from compiler.load.reader import MODEL_FILE
from compiler.publish.archive_pages import CHANGES, ChangesPage, body_palette, changes_html, with_changes_link
from compiler.publish.archive_versions import INDEX_FILE, Versions
from compiler.publish.exports import EXPORT_FILE
from compiler.publish.manifest import MANIFEST

ARCHIVE = "_archive"
"""Inside a version: what docs-compile keeps to check and compare versions (not part of the built site)."""
SOURCES = f"{ARCHIVE}/sources"
PUBLICATION = f"{ARCHIVE}/publication.json"
REBUILD = "run `docs-compile build` again, then publish"
EXPORTS = "exports"
"""Where a build keeps each model's resolved source (compiler/publish/writer.py, exports.py)."""
MODEL_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
"""A model id as the schema allows it (compiler/schema/base.py): a folder name in every version."""


@dataclass(frozen=True)
class Build:
    """A build folder as checked against its manifest: the manifest's bytes, its models, the files to copy."""

    manifest: bytes
    models: list[str]
    site_root: Path
    site_files: dict[str, str]
    """Path inside the site -> sha256."""
    content: Path
    sources: dict[str, tuple[Path, str]]
    """Path inside the version (`_archive/sources/<id>/...`) -> (the content file, sha256)."""
    documents: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Model id -> the audiences it was built for."""
    pdfs: frozenset[tuple[str, str]] = frozenset()
    """(model id, audience) of every PDF the build wrote."""
    domains: dict[str, str | None] = field(default_factory=dict)
    """Model id -> its domain (which audiences apply), from the build's JSON export; None when unreadable."""

    @property
    def fingerprint(self) -> dict[str, str]:
        """Every file of the version that comes from the build, with its sha256: what immutability compares."""
        return {**self.site_files, **{rel: sha for rel, (_, sha) in self.sources.items()}}


def read_build(out: Path, content: Path) -> Build:
    """The build folder's manifest, site files and sources, checked: every site file listed, every source named."""
    manifest_path = out / MANIFEST
    shown = display_path(manifest_path)
    body = manifest_path.read_bytes()
    try:
        manifest = json.loads(body)
        models = [str(m["id"]) for m in manifest["models"]]
        documents = {str(m["id"]): tuple(map(str, m.get("documents", []))) for m in manifest["models"]}
        pdfs = frozenset((str(p["model"]), str(p["audience"])) for p in manifest["pdfs"])
        outputs = {str(o["path"]): str(o["sha256"]) for o in manifest["outputs"]}
        sources = [(str(s["path"]), str(s["sha256"])) for s in manifest["sources"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UsageError.at(shown, f"not a docs-compile build manifest ({exc})", hint=REBUILD) from None
    for model in models:
        if not MODEL_ID.match(model):
            raise UsageError.at(shown, f"'{model}' is not a model id", hint=REBUILD)
    listed = {p.removeprefix("site/"): sha for p, sha in outputs.items() if p.startswith("site/")}
    site_root = out / "site"
    if not listed or not site_root.is_dir():
        raise UsageError.at(shown, "the build has no site", hint=REBUILD)
    on_disk = {p.relative_to(site_root).as_posix() for p in site_root.rglob("*") if not p.is_dir()}
    for rel in sorted(on_disk ^ set(listed)):
        where = "is not listed in" if rel in on_disk else "is missing, though listed in"
        raise UsageError.at(display_path(site_root / rel), f"{where} {shown}", hint=REBUILD)
    refuse_reserved(site_root, listed, documents)
    found = _sources(sources, content, models, shown)
    return Build(body, models, site_root, listed, content, found, documents, pdfs, _domains(out, models))


def refuse_reserved(site_root: Path, site_files: dict[str, str], documents: dict[str, tuple[str, ...]]) -> None:
    """A built page where the archive puts its own (`<model-id>/changes/`, `_archive/`) is a UsageError naming it.

    Checked before anything is staged: a build with an audience named `changes` cannot be published.
    """
    for rel in sorted(site_files):
        parts = rel.split("/")
        model = parts[0] if len(parts) > 1 and parts[0] in documents and parts[1] == CHANGES else None
        if parts[0] != ARCHIVE and model is None:
            continue
        reserved = f"reserved names: {CHANGES} (inside a model's folder), {ARCHIVE} (at the site's root)"
        if model is not None and CHANGES in documents[model]:
            raise UsageError.at(
                CHANGES,
                f"the audience '{CHANGES}' is built into {model}/{CHANGES}/, where the archive puts the model's "
                f'"what changed" page; {reserved}',
                hint="rename the audience's folder under audiences/, build again, then publish",
            )
        raise UsageError.at(
            display_path(site_root / rel),
            f"the built site has a file where the archive puts its own; {reserved}",
            hint="rename the page (a site page of mkdocs.yml, or an audience), build again, then publish",
        )


def _domains(out: Path, models: list[str]) -> dict[str, str | None]:
    """Each model's domain, as its export in the build (`exports/<id>/model.json`) records it."""
    found: dict[str, str | None] = {}
    for model in models:
        try:
            export = json.loads(read_bytes(out / EXPORTS / model / EXPORT_FILE, [out]))
            found[model] = str(export["source"]["model"]["domain"])
        except (CompilerError, OSError, ValueError, KeyError, TypeError):
            found[model] = None
    return found


def _sources(
    listed: list[tuple[str, str]], content: Path, models: list[str], shown: str
) -> dict[str, tuple[Path, str]]:
    """Where each source file of the build is now, by its path inside a version."""
    found: dict[str, tuple[Path, str]] = {}
    for path, sha in listed:
        parts = PurePosixPath(path).parts
        if len(parts) < 3 or parts[1] not in models or any(p in ("", ".", "..") for p in parts):
            raise UsageError.at(shown, f"source path '{path}' is not a model's file", hint=REBUILD)
        if parts[0] != content.name:
            raise UsageError.at(
                shown,
                f"the build was made from the content folder '{parts[0]}', not '{content.name}'",
                hint="pass the build's content folder with --content",
            )
        found[f"{SOURCES}/{'/'.join(parts[1:])}"] = (content.joinpath(*parts[1:]), sha)
    for model in models:
        if f"{SOURCES}/{model}/{MODEL_FILE}" not in found:
            raise UsageError.at(shown, f"the build lists no {MODEL_FILE} of model '{model}'", hint=REBUILD)
    return found


def stage_version(
    stage: Path, build: Build, versions: Versions, site: Path, version: str, omitted: list[str]
) -> list[dict[str, Any]]:
    """Write the version into `stage`: the site and sources (each byte checked), the manifest, the changes pages;
    `omitted` is what the build lacks compared with a whole build (archive_partial), recorded as a partial version."""
    for rel, sha in sorted(build.site_files.items()):
        _put(stage / rel, read_bytes(build.site_root / rel, [build.site_root]), sha, build.site_root / rel)
    for rel, (source, sha) in sorted(build.sources.items()):
        _put(stage / rel, read_bytes(source, [build.content]), sha, source)
    (stage / ARCHIVE / MANIFEST).write_bytes(build.manifest)
    models, modified = [], []
    for model_id in build.models:
        model, changed = _stage_changes(stage, model_id, versions, site, version)
        models.append(model)
        modified += changed
    record: dict[str, Any] = {"version": version, "models": models, "modified": modified, "partial": bool(omitted)}
    if omitted:
        record["omitted"] = omitted
    (stage / PUBLICATION).write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return models


def _put(dest: Path, body: bytes, sha: str, source: Path) -> None:
    if hashlib.sha256(body).hexdigest() != sha:
        raise UsageError.at(
            display_path(source),
            "changed since the build (its sha256 is not the one in the build's manifest)",
            hint=REBUILD,
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    dest.write_bytes(body)


def _stage_changes(
    stage: Path, model_id: str, versions: Versions, site: Path, version: str
) -> tuple[dict[str, Any], list[dict[str, str]]]:
    """The model's changes page and the link to it on its page; returns its record and the page it modified."""
    previous = next(
        (
            e.version
            for e in versions.older_than(version)
            if (site / e.version / SOURCES / model_id / MODEL_FILE).is_file()
        ),
        None,
    )
    old = site / previous / SOURCES / model_id if previous is not None else None
    name, report, error = _compare(old, stage / SOURCES / model_id, previous, version)
    model_page = stage / model_id / INDEX_FILE
    built = model_page.read_bytes() if model_page.is_file() else b""
    palette = body_palette(built.decode("utf-8", "replace"))
    page = ChangesPage(model_id, name, version, previous, report, error, _stylesheets(built), palette)
    changes = stage / model_id / CHANGES / INDEX_FILE  # free: read_build refused a build with pages there
    changes.parent.mkdir(parents=True, exist_ok=True)
    changes.write_bytes(changes_html(page).encode("utf-8"))
    record = {"id": model_id, "previous": previous, "changes": f"{version}/{model_id}/{CHANGES}/"}
    try:
        linked = with_changes_link(built.decode("utf-8"), page.link_text) if built else None
    except UnicodeDecodeError:
        linked = None
    if linked is None:
        return record, []
    model_page.write_bytes(linked.encode("utf-8"))
    digest = hashlib.sha256
    return record, [
        {
            "path": f"{model_id}/{INDEX_FILE}",
            "built_sha256": digest(built).hexdigest(),
            "sha256": digest(linked.encode("utf-8")).hexdigest(),
        }
    ]


def _stylesheets(model_page: bytes) -> tuple[str, ...]:
    """The style sheets of the model's page (MkDocs wrote it), in its order, as seen from the changes page below it."""
    hrefs = re.findall(rb'<link rel="stylesheet" href="([^"]+)"', model_page)
    return tuple(
        h if re.match(r"^([a-z][a-z0-9+.-]*:|/)", h) else f"../{h}"
        for h in (b.decode("utf-8", "replace") for b in hrefs)
    )


def _compare(old: Path | None, new: Path, previous: str | None, version: str) -> tuple[str, DiffReport | None, str]:
    """The model's name, its semantic diff against the previous version's sources, or why there is none."""
    name = new.name
    try:
        current = load_folder(new)
        name = current.source.model.name
        if old is None:
            return name, None, ""
        report = diff_sources(
            resolved(load_folder(old))[0], resolved(current)[0], f"version {previous}", f"version {version}"
        )
    except CompilerError as exc:
        reasons = "; ".join(f"{p.field}: {p.message}" if p.field else p.message for p in exc.problems[:3])
        return name, None, f"the sources do not load on their own with this docs-compile ({reasons})"
    return name, report, ""
