"""Semantic diff (check stage helper): what changed between two versions of a model source.

Each side is a model folder or a git revision of one (`HEAD~1:content/chest-xray-triage`). Both sides are
loaded, validated and resolved (their lock applied), then compared field by field on the typed source, so
formatting, comments and key order never show up as changes. Lists of records are
matched by their identity (id, version, name…; results by metric, dataset, operating point and slice),
so reordering is not a change either.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import tarfile
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from compiler._util.paths import display_path
from compiler.errors import CompilerError, Problem, UsageError
from compiler.load.reader import MODEL_FILE, load_project
from compiler.resolve.apply import never_resolved, resolved_source
from compiler.schema import Source
from compiler.validate.project import ValidModel, validate_project

# Path prefix -> why a change there is significant (it usually needs a new review or a regulatory
# change assessment). The longest matching prefix names the reason.
SIGNIFICANT: dict[str, str] = {
    "intended_use.purpose": "intended use",
    "intended_use.indications": "indications for use",
    "intended_use.population": "intended population",
    "intended_use.users": "intended users",
    "intended_use.environment": "use environment",
    "intended_use.workflow.decision_role": "decision role",
    "intended_use.out_of_scope": "out-of-scope uses",
    "intended_use.contraindications": "contraindications",
    "intended_use.foreseeable_misuse": "foreseeable misuse",
    "plain.warnings": "warnings",
    "plain.when_not_to_use": "when not to use",
    "model.risk_class": "risk class",
    "model.medical_device": "medical-device status",
    "model.regulatory.status": "regulatory status",
}
_IDENTITY_KEYS = ("id", "version", "term", "level", "name", "role")
_TREE = "tree"  # where a git side is extracted, inside its temporary folder
_RESULT_KEYS = ("metric", "dataset", "operating_point")


@dataclass(frozen=True)
class Change:
    """One field that was added, removed or changed, by path, with both values."""

    path: str
    kind: str
    """added, removed or changed."""
    old: Any
    new: Any
    significant: str = ""
    """Why the change is significant, or ''."""

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "old": self.old, "new": self.new, "significant": self.significant}


@dataclass(frozen=True)
class MetricChange:
    """A result present on both sides whose estimate or interval changed."""

    path: str
    metric: str
    old: tuple[Any, Any, Any]
    """(value, ci_low, ci_high) before."""
    new: tuple[Any, Any, Any]
    """(value, ci_low, ci_high) after."""

    @property
    def delta(self) -> float | None:
        old, new = self.old[0], self.new[0]
        return round(new - old, 6) if _num(old) and _num(new) else None

    @property
    def overlap(self) -> bool | None:
        """Whether the two 95% confidence intervals overlap (None when a side has no numeric interval)."""
        (_, ol, oh), (_, nl, nh) = self.old, self.new
        if not all(_num(v) for v in (ol, oh, nl, nh)):
            return None
        return bool(ol <= nh and nl <= oh)

    @property
    def outside_old_ci(self) -> bool | None:
        """Whether the new estimate lies outside the old interval."""
        (_, ol, oh), value = self.old, self.new[0]
        if not all(_num(v) for v in (ol, oh, value)):
            return None
        return bool(value < ol or value > oh)

    def as_dict(self) -> dict[str, Any]:
        keys = ("value", "ci_low", "ci_high")
        return {
            "path": self.path,
            "metric": self.metric,
            "old": dict(zip(keys, self.old, strict=True)),
            "new": dict(zip(keys, self.new, strict=True)),
            "delta": self.delta,
            "ci_overlap": self.overlap,
            "outside_old_ci": self.outside_old_ci,
        }


@dataclass
class DiffReport:
    """Everything that changed between two versions of one model."""

    model_id: str
    old_label: str
    new_label: str
    old_version: str
    new_version: str
    changes: list[Change] = field(default_factory=list)
    metrics: list[MetricChange] = field(default_factory=list)

    @property
    def significant(self) -> list[Change]:
        return [c for c in self.changes if c.significant]

    @property
    def major_version_change(self) -> bool:
        return _major(self.old_version) != _major(self.new_version)

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model_id,
            "old": {"source": self.old_label, "version": self.old_version},
            "new": {"source": self.new_label, "version": self.new_version},
            "major_version_change": self.major_version_change,
            "significant": [c.path for c in self.significant],
            "changes": [c.as_dict() for c in self.changes],
            "metrics": [m.as_dict() for m in self.metrics],
        }


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _major(version: str) -> str:
    match = re.match(r"^v?(\d+)", version)
    return match.group(1) if match else version


def _empty(value: Any) -> bool:
    return value is None or value == [] or value == {} or value == ""


def significance(path: str) -> str:
    """Why a change at this path is significant, or ''."""
    best = ""
    for prefix in SIGNIFICANT:
        if (path == prefix or path.startswith((prefix + ".", prefix + "["))) and len(prefix) > len(best):
            best = prefix
    return SIGNIFICANT.get(best, "")


# --- comparison ------------------------------------------------------------------------------------


def diff_sources(old: Source, new: Source, old_label: str = "old", new_label: str = "new") -> DiffReport:
    """Semantic diff of two typed sources."""
    report = DiffReport(new.model.id, old_label, new_label, str(old.model.version), str(new.model.version))
    _compare("", old.model_dump(mode="json"), new.model_dump(mode="json"), report)
    if report.major_version_change:
        report.changes = [
            Change(
                c.path, c.kind, c.old, c.new, c.significant or ("major version" if c.path == "model.version" else "")
            )
            for c in report.changes
        ]
    report.changes.sort(key=lambda c: c.path)
    report.metrics.sort(key=lambda m: m.path)
    return report


def _join(base: str, key: str) -> str:
    return f"{base}.{key}" if base else key


def _compare(path: str, old: Any, new: Any, report: DiffReport) -> None:
    if old == new:
        return
    if _empty(old) or _empty(new):
        kind = "added" if _empty(old) else "removed"
        report.changes.append(Change(path, kind, old, new, significance(path)))
    elif isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            _compare(_join(path, key), old.get(key), new.get(key), report)
    elif isinstance(old, list) and isinstance(new, list):
        _compare_lists(path, old, new, report)
    else:
        report.changes.append(Change(path, "changed", old, new, significance(path)))


def _compare_lists(path: str, old: list[Any], new: list[Any], report: DiffReport) -> None:
    if not all(isinstance(x, dict) for x in old + new):
        # Lists of text: order carries no meaning in the schema, so only membership counts.
        if sorted(map(str, old)) != sorted(map(str, new)):
            report.changes.append(Change(path, "changed", old, new, significance(path)))
        return
    label = _identity(path, old + new)
    old_by = {label(i, x): x for i, x in enumerate(old)}
    new_by = {label(i, x): x for i, x in enumerate(new)}
    for key in sorted(set(old_by) | set(new_by)):
        where = f"{path}[{key}]"
        before, after = old_by.get(key), new_by.get(key)
        if path == "evaluation.results" and before is not None and after is not None:
            _metric(where, before, after, report)
        _compare(where, before, after, report)


def _identity(path: str, items: list[dict[str, Any]]) -> Callable[[int, dict[str, Any]], str]:
    """How the records of a list are matched across versions: by their identity, else by position."""
    if path == "evaluation.results":
        return lambda _, r: _result_key(r)
    if path == "reviews":
        return lambda _, r: f"section={r.get('section')},role={r.get('role')},reviewer={r.get('reviewer')}"
    for key in _IDENTITY_KEYS:
        values = [x.get(key) for x in items]
        # Both sides are in `items`, so a record present on both appears twice.
        if all(isinstance(v, (str, int)) for v in values) and _unique_per_side(values, items):
            return _by_key(key)
    return lambda i, _: str(i)


def _by_key(key: str) -> Callable[[int, dict[str, Any]], str]:
    return lambda _, record: f"{key}={record.get(key)}"


def _unique_per_side(values: list[Any], items: list[dict[str, Any]]) -> bool:
    counts: dict[Any, int] = {}
    for v in values:
        counts[v] = counts.get(v, 0) + 1
    return all(c <= 2 for c in counts.values())


def _result_key(result: dict[str, Any]) -> str:
    parts = [f"{k}={result[k]}" for k in _RESULT_KEYS if result.get(k)]
    parts += [f"slice.{k}={v}" for k, v in sorted((result.get("slice") or {}).items())]
    return ",".join(parts)


def _metric(path: str, old: dict[str, Any], new: dict[str, Any], report: DiffReport) -> None:
    before = (old.get("value"), old.get("ci_low"), old.get("ci_high"))
    after = (new.get("value"), new.get("ci_low"), new.get("ci_high"))
    if before != after:
        report.metrics.append(MetricChange(path, str(new.get("metric")), before, after))


# --- sides -----------------------------------------------------------------------------------------


def resolved(model: ValidModel) -> tuple[Source, bool]:
    """The source with its fact references replaced by their locked values, and whether they were.

    A model that was never resolved (it names facts but has no lock file) is taken as written: check then
    reports what it cannot check. A lock that does not fit the source is an input error that names the
    model's version, so the user knows which side of a comparison to resolve again.
    """
    if never_resolved(model):
        return model.source, False
    try:
        return resolved_source(model), True
    except CompilerError as exc:
        version = f"{model.id} {model.source.model.version}"
        raise type(exc)([replace(p, message=f"{version}: {p.message}") for p in exc.problems]) from None


@contextlib.contextmanager
def open_side(spec: str) -> Iterator[tuple[str, ValidModel]]:
    """A diff side: a model folder, or REV:PATH read from git (extracted into a temporary folder)."""
    folder = Path(spec)
    if folder.name == MODEL_FILE:
        folder = folder.parent
    if (folder / MODEL_FILE).is_file():
        yield display_path(folder), load_folder(folder)
        return
    if ":" not in spec:
        raise UsageError.at(
            spec, f"no {MODEL_FILE} here", hint="pass a model folder or REV:PATH such as HEAD~1:content/<id>"
        )
    rev, path = spec.split(":", 1)
    with tempfile.TemporaryDirectory(prefix="docs-compile-diff-") as tmp, _placed_at(rev, Path(tmp) / _TREE):
        extracted = _git_extract(rev, path.strip("/"), Path(tmp))
        yield spec, load_folder(extracted)


@contextlib.contextmanager
def _placed_at(rev: str, tree: Path) -> Iterator[None]:
    """Errors about files of a revision's extracted tree name them as REV:PATH, not by the temporary folder."""
    try:
        yield
    except CompilerError as exc:
        root = tree.resolve()

        def placed(problem: Problem) -> Problem:
            file = Path(problem.location.file).resolve()
            if not problem.location.file or not file.is_relative_to(root):
                return problem
            where = f"{rev}:{file.relative_to(root).as_posix()}"
            return replace(problem, location=replace(problem.location, file=where))

        raise type(exc)([placed(p) for p in exc.problems]) from None


def load_folder(folder: Path) -> ValidModel:
    """Load and validate one model folder (its parent is the content root)."""
    catalog = validate_project(load_project(folder.parent, [folder.name]))
    model = catalog.get(folder.name)
    if model is None:  # pragma: no cover - validate_project raises instead
        raise UsageError.at(display_path(folder), "model did not load")
    return model


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False)
    except FileNotFoundError:
        raise UsageError("git is not installed; pass model folders instead of revisions") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise UsageError.at(
            " ".join(args[:2]), message[-1] if message else "git failed", hint="check the revision and path"
        )
    return done.stdout


def _commit(rev: str, top: Path, spec: str) -> str:
    """The commit id a user's revision names; git only ever receives that id, never the user's text.

    A revision beginning with '-' would be read by git as an option (`--output=FILE` writes a file), so it
    is refused before git runs; `--end-of-options` keeps any other text a revision.
    """
    if rev.startswith("-"):
        raise UsageError.at(
            spec, f"the revision '{rev}' begins with '-'", hint="name a commit, tag or branch, e.g. HEAD~1:content/<id>"
        )
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "--end-of-options", f"{rev}^{{commit}}"],
        cwd=top,
        capture_output=True,
        check=False,
    )
    commit = done.stdout.decode("ascii", "replace").strip()
    if done.returncode != 0 or not re.fullmatch(r"[0-9a-f]{40,64}", commit):
        raise UsageError.at(
            spec,
            f"'{rev}' is not a commit of this repository",
            hint="check the revision: a commit, tag or branch",
        )
    return commit


def _git_extract(rev: str, path: str, into: Path) -> Path:
    """Extract the model folder's parent (so includes between models still resolve) at a revision."""
    top = Path(_git(["rev-parse", "--show-toplevel"], Path.cwd()).decode().strip())
    commit = _commit(rev, top, f"{rev}:{path}")
    parent = str(Path(path).parent) if Path(path).parent != Path(".") else "."
    archive = into / "side.tar"
    archive.write_bytes(_git(["archive", "--format=tar", commit, "--", parent], top))
    with tarfile.open(archive) as tar:
        tar.extractall(into / _TREE, filter="data")
    folder = into / _TREE / path
    if not (folder / MODEL_FILE).is_file():
        raise UsageError.at(
            f"{rev}:{path}", f"no {MODEL_FILE} at this revision", hint="check the path inside the repository"
        )
    return folder


def released_spec(released: str, content: Path, model_id: str) -> str | None:
    """The diff side of a model in the last release, or None when the model was not in it (a first release).

    `released` is a folder holding released model folders, or a git revision of this repository.
    """
    folder = Path(released)
    if folder.is_dir():
        return str(folder / model_id) if (folder / model_id / MODEL_FILE).is_file() else None
    top = Path(_git(["rev-parse", "--show-toplevel"], Path.cwd()).decode().strip())
    commit = _commit(released, top, released)
    try:
        rel = (content.resolve() / model_id).relative_to(top.resolve()).as_posix()
    except ValueError:
        raise UsageError.at(display_path(content), "the content folder is not inside the git repository") from None
    probe = subprocess.run(["git", "cat-file", "-e", f"{commit}:{rel}/{MODEL_FILE}"], cwd=top, capture_output=True)
    return f"{released}:{rel}" if probe.returncode == 0 else None


def diff_specs(old_spec: str, new_spec: str) -> DiffReport:
    """Load both sides, apply their locks (see `resolved`), and diff them."""
    with open_side(old_spec) as (old_label, old), open_side(new_spec) as (new_label, new):
        return diff_sources(resolved(old)[0], resolved(new)[0], old_label, new_label)


# --- output ----------------------------------------------------------------------------------------


def _show(value: Any, limit: int = 100) -> str:
    import json

    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _values(c: Change, limit: int = 100) -> str:
    """Old -> new; for lists of text only the items that came and went."""
    if c.kind == "added":
        return _show(c.new, limit)
    if c.kind == "removed":
        return _show(c.old, limit)
    if isinstance(c.old, list) and isinstance(c.new, list):
        gone = [x for x in c.old if x not in c.new]
        came = [x for x in c.new if x not in c.old]
        return " ".join([*(f"-{_show(x, limit)}" for x in gone), *(f"+{_show(x, limit)}" for x in came)])
    return f"{_show(c.old, limit)} -> {_show(c.new, limit)}"


def _estimate(triple: tuple[Any, Any, Any]) -> str:
    value, low, high = triple
    ci = f" ({low}–{high})" if low is not None and high is not None else ""
    return f"{value}{ci}"


def _overlap_text(m: MetricChange) -> str:
    return {True: "CIs overlap", False: "CIs do not overlap", None: "no CI to compare"}[m.overlap]


def format_text(report: DiffReport) -> str:
    """The diff as plain text, significant changes first."""
    lines = [
        f"{report.model_id}: {report.old_label} ({report.old_version}) -> {report.new_label} ({report.new_version})"
    ]
    if not report.changes:
        return lines[0] + "\nno changes"
    if report.significant:
        lines.append("significant changes (need a new review or a regulatory change assessment):")
        lines += [f"  ! {c.path}: {c.significant}" for c in report.significant]
    lines.append(f"changes ({len(report.changes)}):")
    marks = {"added": "+", "removed": "-", "changed": "~"}
    for c in report.changes:
        lines.append(f"  {marks[c.kind]} {c.path}: {_values(c)}")
    if report.metrics:
        lines.append(f"metric changes ({len(report.metrics)}):")
        for m in report.metrics:
            delta = f"{m.delta:+g}" if m.delta is not None else "n/a"
            lines.append(f"  {m.path}: {_estimate(m.old)} -> {_estimate(m.new)}, delta {delta}, {_overlap_text(m)}")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def format_markdown(report: DiffReport) -> str:
    """The diff as Markdown (for a change log or the regulatory revision history)."""
    out = [
        f"## Changes to {report.model_id}: {report.old_version} → {report.new_version}",
        "",
        f"Compared `{report.old_label}` with `{report.new_label}`.",
        "",
    ]
    if not report.changes:
        return "\n".join([*out, "No changes."]) + "\n"
    if report.significant:
        out += ["**Significant changes** (need a new review or a regulatory change assessment):", ""]
        out += [f"- `{c.path}` — {c.significant}" for c in report.significant]
        out.append("")
    out += ["| Field | Change | Old | New |", "|---|---|---|---|"]
    for c in report.changes:
        old = "" if c.kind == "added" else _cell(_show(c.old, 60))
        new = "" if c.kind == "removed" else _cell(_show(c.new, 60))
        out.append(f"| `{_cell(c.path)}` | {c.kind} | {old} | {new} |")
    if report.metrics:
        out += ["", "| Result | Old (95% CI) | New (95% CI) | Change | CIs |", "|---|---|---|---|---|"]
        for m in report.metrics:
            delta = f"{m.delta:+g}" if m.delta is not None else "n/a"
            out.append(
                f"| `{_cell(m.path)}` | {_estimate(m.old)} | {_estimate(m.new)} | {delta} | {_overlap_text(m)} |"
            )
    return "\n".join(out) + "\n"
