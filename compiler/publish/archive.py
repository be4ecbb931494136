"""Publish stage, site archive: a built site published as an immutable version of a mike-style archive folder.

`docs-compile publish --site DIR --version V` copies `<out>/site/` into `DIR/V/`, with the model sources the
build was made from (`DIR/V/_archive/sources/<model-id>/`) and the build's manifest, adds to each model a page
of what changed since the previous published version (the semantic diff of the archived sources), moves the
aliases, and updates `DIR/index.html` and `DIR/versions.json`. docs/archive.md describes the layout and rules.

Everything is gathered and checked first: the build against its manifest (every copied byte is hashed), the
sources against the hashes the build recorded. The new version is written into a folder beside DIR and renamed
into place; versions.json is written last. A publish that fails leaves DIR as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compiler._util.atomic import atomic_write
from compiler._util.paths import display_path
from compiler.config.audiences import audience_layers
from compiler.errors import BuildBusy, CompilerError, UsageError
from compiler.publish.archive_build import ARCHIVE, PUBLICATION, SOURCES, Build, read_build, stage_version
from compiler.publish.archive_partial import check_whole
from compiler.publish.archive_versions import (
    INDEX_FILE,
    VERSIONS_FILE,
    Versions,
    alias_pages,
    check_name,
    load_versions,
    redirect_page,
    redirect_target,
)
from compiler.publish.manifest import MANIFEST
from compiler.publish.output import output_lock

NOJEKYLL = ".nojekyll"
_STAGE_TAG = ".publish-"


@dataclass(frozen=True)
class ArchiveRequest:
    """What to publish where: the build folder, its content folder, and the version's name and aliases."""

    site: Path
    version: str
    out: Path
    content: Path
    aliases: tuple[str, ...] = ()
    title: str | None = None
    default: str | None = None
    force: bool = False
    partial: bool = False
    """Publish a build made with --model, --audience or --no-pdf (refused otherwise)."""
    audience_layers: tuple[Path, ...] = ()
    """The audiences a whole build uses (compiler.config.audiences.audience_layers); () the build's default."""
    own_audiences_only: bool = False
    """docs-compile.yaml's `packaged_audiences: false`: a whole build writes only the top layer's audiences."""


@dataclass
class Archived:
    """What the publish did (JSON-ready for --json)."""

    site: str
    version: str
    status: str
    """published, replaced (--force) or unchanged (the same build was already published)."""
    aliases: list[str]
    moved: dict[str, str]
    """Aliases taken from another version: {alias: the version that held it}."""
    default: str
    versions: list[str]
    models: list[dict[str, Any]] = field(default_factory=list)
    """Per model: id, the version compared with (None: first published), the changes page."""
    written: list[str] = field(default_factory=list)
    """What changed in DIR (folders and files, relative to it); empty for a publish that changed nothing."""
    omitted: list[str] = field(default_factory=list)
    """What the build lacks compared with a whole build (published with --partial); empty for a whole build."""

    def as_dict(self) -> dict[str, Any]:
        return dict(sorted(self.__dict__.items()))


def publish_version(request: ArchiveRequest) -> Archived:
    """Publish the build in `request.out` as version `request.version` of the archive `request.site`."""
    for name, kind in [(request.version, "version"), *((a, "alias") for a in request.aliases)]:
        check_name(name, kind)
    if request.default is not None:
        check_name(request.default, "default")
    site = Path(os.path.abspath(request.site))
    _refuse_unsafe_site(site, request.out, request.content)
    if not (request.out / MANIFEST).is_file():
        raise UsageError.at(
            display_path(request.out / MANIFEST),
            f"no build output: {MANIFEST} not found",
            hint="run `docs-compile build` first, or pass the build folder with --out",
        )
    created = not site.exists()
    try:
        with _archive_lock(site), output_lock(Path(os.path.abspath(request.out))):
            build = read_build(request.out, request.content)
            layers = list(request.audience_layers) or audience_layers(None)
            omitted = check_whole(build, request.out, layers, request.own_audiences_only, request.partial)
            site.mkdir(parents=True, exist_ok=True)
            return _publish(request, site, build, omitted)
    except OSError as exc:
        raise CompilerError.at(
            display_path(site),
            f"cannot write the archive: {exc.strerror or exc}; the archive is kept as it was",
            hint="free disk space or fix the folder's permissions, then publish again",
        ) from None
    finally:
        if created and site.is_dir() and not any(site.iterdir()):
            site.rmdir()


def _refuse_unsafe_site(site: Path, out: Path, content: Path) -> None:
    """DIR must be a folder of its own: not the build folder (replaced whole by every build), not the sources."""
    if site.exists() and not site.is_dir():
        raise UsageError.at(display_path(site), "--site is not a folder", hint="name a new or an archive folder")
    real = site.resolve()
    for name, folder in (("build (--out)", out), ("content", content)):
        other = Path(os.path.abspath(folder)).resolve()
        if real == other or real.is_relative_to(other) or other.is_relative_to(real):
            raise UsageError.at(
                display_path(site),
                f"--site overlaps the {name} folder ({display_path(other)})",
                hint="publish into a folder of its own, e.g. --site site-archive",
            )
    # Hidden entries do not count: a fresh checkout of a pages branch holds `.git` (and perhaps `.nojekyll`).
    if (
        site.is_dir()
        and any(not p.name.startswith(".") for p in site.iterdir())
        and not (site / VERSIONS_FILE).is_file()
    ):
        raise UsageError.at(
            display_path(site),
            f"--site is a folder with files but no {VERSIONS_FILE}: not a site archive",
            hint="name a new or empty folder, or an archive this command (or mike) wrote",
        )


@contextmanager
def _archive_lock(site: Path) -> Iterator[None]:
    """One publish at a time per archive: the lock `.<DIR>.lock` beside DIR, like a build's beside its output."""
    site.parent.mkdir(parents=True, exist_ok=True)
    with ExitStack() as stack:
        try:
            stack.enter_context(output_lock(site))
        except BuildBusy:
            raise BuildBusy.at(
                display_path(site), "another publish is writing this archive", hint="wait for it to finish"
            ) from None
        yield


class _Stage:
    """Folders written beside DIR (`.<DIR>.publish-*`) before anything is put in place.

    Inside DIR when DIR is a mount point, as renames do not cross file systems. Made only when something is to
    be written, so a publish that changes nothing touches nothing.
    """

    def __init__(self, site: Path) -> None:
        self.site = site
        self.path: Path | None = None

    def folder(self, name: str) -> Path:
        if self.path is None:
            self.path = Path(tempfile.mkdtemp(prefix=_stage_prefix(self.site), dir=_stage_parent(self.site)))
        return self.path / name

    def remove(self) -> None:
        if self.path is not None:
            shutil.rmtree(self.path, ignore_errors=True)


def _publish(request: ArchiveRequest, site: Path, build: Build, omitted: list[str]) -> Archived:
    _clean_leftovers(site)
    versions = load_versions(site / VERSIONS_FILE)
    target = site / request.version
    moved = versions.add(request.version, request.title, list(request.aliases))
    status = _status(request, target, build)
    entry = versions.find(request.version)
    assert entry is not None  # just added
    default = _default(request, site, versions)
    stage = _Stage(site)
    try:
        pending: list[tuple[Path, Path]] = []  # (staged folder, its place in DIR)
        if status == "unchanged":
            models, pages_of = _published_models(target), target
        else:
            pages_of = stage.folder("version")
            models = stage_version(pages_of, build, versions, site, request.version, omitted)
            pending.append((pages_of, target))
        pages = sorted(p.relative_to(pages_of).as_posix() for p in pages_of.rglob("*.html") if p.is_file())
        wanted = alias_pages(request.version, pages)
        for alias in entry.aliases:
            if not _holds_exactly(site / alias, wanted):
                pending.append((_stage_files(stage.folder(f"alias-{alias}"), wanted), site / alias))
        # Everything is written and checked: now into place, versions.json last.
        for new, place in pending:
            _put_in_place(new, place, stage.folder("old"))
        written = [f"{place.name}/" for _, place in pending]
        written += _write_if_changed(site / INDEX_FILE, redirect_page(f"{default}/"), site)
        written += _write_if_changed(site / NOJEKYLL, "", site)
        written += _write_if_changed(site / VERSIONS_FILE, versions.dumps(), site)
    finally:
        stage.remove()
    return Archived(
        site=display_path(site),
        version=request.version,
        status=status,
        aliases=list(entry.aliases),
        moved=moved,
        default=default,
        versions=[e.version for e in versions.entries],
        models=models,
        written=written,
        omitted=omitted,
    )


def _stage_prefix(site: Path) -> str:
    return f".{site.name}{_STAGE_TAG}"


def _stage_parent(site: Path) -> Path:
    return site.parent if site.stat().st_dev == site.parent.stat().st_dev else site


def _clean_leftovers(site: Path) -> None:
    """Staging folders of publishes that were killed (under the lock, no live publish owns one)."""
    for path in sorted(_stage_parent(site).glob(f"{_stage_prefix(site)}*")):
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)


def _status(request: ArchiveRequest, target: Path, build: Build) -> str:
    """unchanged, published or replaced; UsageError when the version exists with other bytes and no --force."""
    if not target.exists() and not target.is_symlink():
        return "published"
    archived = _archived_fingerprint(target)
    if archived == build.fingerprint:
        return "unchanged"
    if request.force:
        return "replaced"
    if archived is None:
        raise UsageError.at(
            display_path(target),
            f"version {request.version} exists but was not published by docs-compile ({ARCHIVE}/{MANIFEST} missing)",
            hint="choose another version, or pass --force to replace it",
        )
    new = build.fingerprint
    differing = sorted(rel for rel in archived.keys() | new.keys() if archived.get(rel) != new.get(rel))
    first = differing[0]
    how = "is not in the build" if first not in new else "is new in the build" if first not in archived else "differs"
    more = f" (and {len(differing) - 1} more file(s))" if len(differing) > 1 else ""
    raise UsageError.at(
        display_path(target / first),
        f"version {request.version} is already published with other content: this file {how}{more}; "
        "published versions are immutable",
        hint=f"publish under a new version, or pass --force to replace version {request.version}",
    )


def _archived_fingerprint(target: Path) -> dict[str, str] | None:
    """The fingerprint of a published version, from the build manifest archived with it."""
    try:
        manifest = json.loads((target / ARCHIVE / MANIFEST).read_bytes())
        site = {
            str(o["path"]).removeprefix("site/"): str(o["sha256"])
            for o in manifest["outputs"]
            if str(o["path"]).startswith("site/")
        }
        sources = {f"{SOURCES}/{str(s['path']).split('/', 1)[1]}": str(s["sha256"]) for s in manifest["sources"]}
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None
    return {**site, **sources}


def _default(request: ArchiveRequest, site: Path, versions: Versions) -> str:
    """--default; else the default DIR/index.html names now, as mike's deploy never changes it; else (the first
    publish) the first alias given, else the version."""
    if request.default is not None:
        if versions.find(request.default) is None:
            raise UsageError.at(
                "--default",
                f"'{request.default}' is neither a version nor an alias of this archive",
                hint=f"choose one of: {', '.join(versions.names())}",
            )
        return request.default
    current = (redirect_target(site / INDEX_FILE) or "").strip("/")
    if current and versions.find(current) is not None:
        return current
    return request.aliases[0] if request.aliases else request.version


def _published_models(target: Path) -> list[dict[str, Any]]:
    try:
        models: list[dict[str, Any]] = json.loads((target / PUBLICATION).read_text(encoding="utf-8"))["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return models


def _holds_exactly(folder: Path, files: dict[str, str]) -> bool:
    """Whether `folder` is a real folder holding exactly these files with exactly this text."""
    if folder.is_symlink() or not folder.is_dir():
        return False
    present = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if not p.is_dir()}
    if present != set(files):
        return False
    return all((folder / rel).read_bytes() == text.encode("utf-8") for rel, text in files.items())


def _stage_files(folder: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_bytes(text.encode("utf-8"))
    return folder


def _put_in_place(new: Path, place: Path, trash: Path) -> None:
    """Rename `new` to `place`; what was there goes to `trash` (removed with the stage), and comes back on failure."""
    trash.mkdir(exist_ok=True)
    old = trash / place.name
    had = place.exists() or place.is_symlink()
    if had:
        place.rename(old)
    try:
        new.rename(place)
    except OSError:
        if had:
            old.rename(place)
        raise


def _write_if_changed(path: Path, text: str, site: Path) -> list[str]:
    body = text.encode("utf-8")
    if path.is_file() and not path.is_symlink() and path.read_bytes() == body:
        return []
    atomic_write(path, body)
    return [path.relative_to(site).as_posix()]
