"""Render stage: one Markdown body per (model, audience) from the audience's Jinja2 section templates.

Templates produce Markdown. Every printed plain value is escaped for Markdown and HTML (the
environment's `finalize`), Markdown fields pass the sanitiser (`md`, `md_inline`), and a missing value
is an error naming the audience, template, line and source field — never a blank.
"""

from __future__ import annotations

import hashlib
import re
import types
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

from compiler import __version__
from compiler._util.paths import display_path
from compiler.check.coverage import CoverageRow
from compiler.check.signoff import SignoffRow, signoff_rows
from compiler.config.audiences import Audience
from compiler.errors import Location, Problem, RenderError
from compiler.load.reader import LoadedModel
from compiler.render import formats
from compiler.render.document import Document, DocumentMeta
from compiler.render.view import FieldError, Tracker, unwrap, wrap
from compiler.schema import Metric, Result, Source

COMMON_FOLDER = "_common"
PAGE_TEMPLATE = "page.md.j2"


@dataclass(frozen=True)
class RenderInput:
    """What the render stage needs of one model: its source (facts resolved) and where it came from."""

    loaded: LoadedModel
    source: Source
    source_sha256: str
    provenance: dict[str, Any] = field(default_factory=dict)
    file_hashes: dict[str, str] = field(default_factory=dict)
    """sha256 of each source file, by path relative to the model's folder."""


_ENVIRONMENTS: dict[tuple[Any, ...], jinja2.Environment] = {}


def environment(audience: Audience) -> jinja2.Environment:
    """The Jinja2 environment of an audience: its search path, then the shared `_common` folder.

    Kept while no template file changes (name, size and modification time), so each template is
    compiled once per process rather than once per document.
    """
    folders = [*audience.search_path, audience.folder.parent / COMMON_FOLDER]
    state = tuple(
        (str(p), s.st_size, s.st_mtime_ns)
        for f in folders
        if f.is_dir()
        for p in sorted(f.rglob("*.j2"))
        for s in [p.stat()]
    )
    key = (tuple(str(f) for f in folders), state)
    if key not in _ENVIRONMENTS:
        if len(_ENVIRONMENTS) > 32:
            _ENVIRONMENTS.clear()
        _ENVIRONMENTS[key] = _new_environment(folders)
    return _ENVIRONMENTS[key]


def _new_environment(folders: list[Path]) -> jinja2.Environment:
    # Audience folders are data anyone may add: the sandbox keeps their templates away from Python internals.
    env = SandboxedEnvironment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders if f.is_dir()]),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=formats.finalize,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(
        md=formats.md_block,
        md_inline=formats.md_inline,
        num=formats.number,
        pct=formats.pct,
        date=formats.format_date,
        or_na=formats.or_na,
        or_missing=formats.or_missing,
        join_list=formats.join_list,
        label=formats.label,
        slug=formats.slug,
        code=formats.code,
        url=formats.url,
        raw=unwrap,
    )
    return env


def render_document(model: RenderInput, audience: Audience, audiences: list[Audience]) -> Document:
    """Render one audience's document for one model."""
    env = environment(audience)
    helpers = _Helpers(model, audience, audiences)
    context = helpers.context()
    parts: list[str] = []
    for section in audience.config.sections:
        helpers.tracker.section = section
        parts.append(_render(env, f"sections/{section}.md.j2", {**context, "section": section}, audience, section))
    helpers.tracker.section = ""
    body = _render(env, PAGE_TEMPLATE, {**context, "sections": Markup("\n".join(parts))}, audience)
    return Document(
        model_id=model.source.model.id,
        audience=audience,
        meta=document_meta(model, audience),
        markdown=_tidy(body),
        assets=dict(sorted(helpers.assets.items())),
        warnings=tuple(helpers.warnings),
    )


def render_page(audience: Audience, template: str, context: dict[str, Any]) -> str:
    """Render a site page that belongs to an audience but not to one model (e.g. 'how to read')."""
    return _tidy(_render(environment(audience), template, context, audience))


def render_datasheet(model: RenderInput, audience: Audience, index: int) -> str:
    """One dataset's Gebru datasheet as a page of its own (the technical view also includes it)."""
    helpers = _Helpers(model, audience, [audience])
    context = {**helpers.context(), "dataset": wrap(model.source.datasets[index], f"datasets[{index}]", None)}
    return _tidy(_render(environment(audience), "datasheet-page.md.j2", context, audience))


def document_meta(model: RenderInput, audience: Audience) -> DocumentMeta:
    info = model.source.model
    version = str(info.version)
    return DocumentMeta(
        doc_id=f"DC-{info.id.upper()}-{audience.name.upper()}-{version}",
        title=f"{audience.config.title} — {info.name}",
        audience_title=audience.config.title,
        model_id=info.id,
        model_name=info.name,
        model_version=version,
        release_date=info.release_date,
        status=info.status,
        source_sha256=model.source_sha256,
        compiler_version=__version__,
        authors=tuple(d.name for d in info.developers),
        keywords=tuple(info.keywords),
        language=(info.languages[0] if info.languages else "en"),
    )


def _render(env: jinja2.Environment, name: str, context: dict[str, Any], audience: Audience, section: str = "") -> str:
    try:
        return env.get_template(name).render(context)
    except jinja2.TemplateNotFound as exc:
        if exc.name != name:  # included or extended by the template: point at that line
            raise _placed(exc, audience, env, name) from None
        where = _listed_at(audience, section)
        hint = "add the template to the audience folder or remove it from `sections`" if section else ""
        problem = Problem(where, f"audience '{audience.name}': template '{exc.name}' not found", "", hint)
        raise RenderError([problem]) from None
    except jinja2.TemplateSyntaxError as exc:
        file = display_path(Path(exc.filename)) if exc.filename else name
        problem = Problem(Location(file, exc.lineno, 1), f"audience '{audience.name}': {exc.message}")
        raise RenderError([problem]) from None
    except (
        FieldError,
        jinja2.TemplateError,
        RenderError,
        ArithmeticError,
        AttributeError,
        LookupError,
        RecursionError,
        TypeError,
        ValueError,
    ) as exc:  # whatever a template's own code raises is a mistake in that template
        if isinstance(exc, RenderError):
            raise
        raise _placed(exc, audience, env, name) from None


def _listed_at(audience: Audience, section: str) -> Location:
    """Where audience.yaml lists a section (the line of `- <section>`), else the file itself."""
    path = audience.folder / "audience.yaml"
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        lines = []
    for number, line in enumerate(lines, 1):
        found = re.match(rf"^(\s*-\s*){re.escape(section)}\s*(#.*)?$", line) if section else None
        if found:
            return Location(display_path(path), number, len(found.group(1)) + 1)
    return Location(display_path(path), 1, 1)


def _placed(exc: Exception, audience: Audience, env: jinja2.Environment, name: str) -> RenderError:
    """A RenderError naming the template file and line of the innermost template frame."""
    file, line = name, 0
    tb: types.TracebackType | None = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            file, line = display_path(Path(filename)), tb.tb_lineno
        tb = tb.tb_next
    field_path = exc.path if isinstance(exc, FieldError) else ""
    message = str(exc) if not isinstance(exc, KeyError) else f"no such key {exc}"
    if isinstance(exc, jinja2.TemplateNotFound):
        message = f"template '{exc.name}' not found"
    hint = "fill in the field in the source, or guard the template with `{% if … %}`" if field_path else ""
    return RenderError(
        [Problem(Location(file, line, 1 if line else 0), f"audience '{audience.name}': {message}", field_path, hint)]
    )


def _tidy(text: str) -> str:
    """At most one blank line in a row, one newline at the end: stable golden files."""
    lines = [line.rstrip() for line in text.splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out).strip() + "\n"


class _Helpers:
    """The functions a template may call; they read the typed source, not the views."""

    def __init__(self, model: RenderInput, audience: Audience, audiences: list[Audience]) -> None:
        self.model = model
        self.source = model.source
        self.audience = audience
        self.audiences = audiences
        self.tracker = Tracker()
        self.assets: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self.metrics = {m.id: m for m in self.source.evaluation.metrics}

    def context(self) -> dict[str, Any]:
        s = self.source
        return {
            "source": wrap(s, "", self.tracker),
            "model": wrap(s.model, "model", self.tracker),
            "audience": self.audience.config,
            "audience_name": self.audience.name,
            "meta": document_meta(self.model, self.audience),
            "provenance": self.model.provenance,
            "provenance_rows": self.provenance_rows,
            "metric": self.metric,
            "result": self.result,
            "results_for": self.results_for,
            "subgroups": self.subgroups,
            "intersections": self.intersections,
            "metric_name": lambda mid: self.metrics[mid].name if mid in self.metrics else mid,
            "default_point": self.default_point,
            "per_1000": self.per_1000,
            "plot_subgroups": self.plot_subgroups,
            "trends": self.trends,
            "diagrams": self.diagrams,
            "mermaid": self.mermaid,
            "requirement_rows": self.requirement_rows,
            "coverage_of": self.coverage_of,
            "framework_rows": self.framework_rows,
            "framework_summary": self.framework_summary,
            "signoffs": self.signoffs,
            "all_signoffs": self.all_signoffs,
            "factor_name": self.factor_name,
            "slice_label": self.slice_label,
            "anchor": lambda *parts: "-".join(str(unwrap(p)) for p in parts),
        }

    # --- results -------------------------------------------------------------------------------

    def default_point(self) -> str | None:
        points = [op for out in self.source.system.outputs for op in out.operating_points]
        chosen = next((op for op in points if op.default), points[0] if points else None)
        return chosen.id if chosen else None

    def result(
        self, metric_id: str, slice: dict[str, str] | None = None, op: str | None = None, dataset: str | None = None
    ) -> Result | None:
        """The result for a metric and slice (overall by default), at the default operating point."""
        wanted = dict(unwrap(slice) or {})
        found = [r for r in self.source.evaluation.results if r.metric == metric_id and r.slice == wanted]
        if dataset:
            found = [r for r in found if r.dataset == dataset]
        if op:
            # A result without an operating point is threshold-free (e.g. AUROC) or the only one there is.
            found = [r for r in found if r.operating_point == op] or [r for r in found if r.operating_point is None]
        else:
            default = self.default_point()
            found.sort(key=lambda r: 0 if r.operating_point in (default, None) else 1)
        return found[0] if found else None

    def metric(self, result: Any, with_n: bool = True) -> str:
        """'0.912 (95% CI 0.889–0.931), n = 1,204' for a result (or a metric id, meaning its overall result)."""
        raw = unwrap(result)
        if isinstance(raw, str):
            found = self.result(raw)
            if found is None:
                raise FieldError("evaluation.results", f"no overall result for metric '{raw}'")
            raw = found
        if raw is None:
            raise FieldError("evaluation.results", "no such result")
        return formats.format_result(raw, self.metrics.get(raw.metric), with_n=with_n)

    def results_for(self, metric_id: str) -> list[Result]:
        return [r for r in self.source.evaluation.results if r.metric == metric_id]

    def subgroups(self) -> list[tuple[str, str, list[Result]]]:
        """(metric id, factor id, results per level) for every metric reported on one factor."""
        groups: dict[tuple[str, str], list[Result]] = {}
        for r in self.source.evaluation.results:
            if len(r.slice) == 1:
                groups.setdefault((r.metric, next(iter(r.slice))), []).append(r)
        return [(m, f, rs) for (m, f), rs in groups.items()]

    def intersections(self) -> list[Result]:
        return [r for r in self.source.evaluation.results if len(r.slice) > 1]

    def factor_name(self, factor_id: str) -> str:
        return next((f.name for f in self.source.factors.relevant if f.id == unwrap(factor_id)), str(factor_id))

    def slice_label(self, slice: Any) -> str:
        items = unwrap(slice) or {}
        return " × ".join(f"{self.factor_name(k)}: {v}" for k, v in items.items()) or "Overall"

    def per_1000(self) -> dict[str, Any]:
        """The 'per 1,000 people' example computed from prevalence and overall sensitivity/specificity."""
        plain = self.source.plain
        if plain is None or plain.per_1000 is None:
            raise FieldError("plain.per_1000", "source field 'plain.per_1000' is missing")
        example = plain.per_1000
        op = example.operating_point or self.default_point()
        sens, spec = self.result("sensitivity", op=op), self.result("specificity", op=op)
        if sens is None or spec is None or not isinstance(example.prevalence, float):
            raise FieldError(
                "plain.per_1000", "the per-1,000 example needs a prevalence and overall sensitivity and specificity"
            )
        if not isinstance(sens.value, float) or not isinstance(spec.value, float):
            raise FieldError("evaluation.results", "sensitivity and specificity must be resolved numbers")
        with_condition = round(1000 * example.prevalence)
        found = round(sens.value * with_condition)
        without = 1000 - with_condition
        cleared = round(spec.value * without)
        return {
            "population": example.population,
            "prevalence": example.prevalence,
            "with_condition": with_condition,
            "found": found,
            "missed": with_condition - found,
            "without": without,
            "cleared": cleared,
            "false_alarms": without - cleared,
            "flagged": found + without - cleared,
            "operating_point": op,
        }

    # --- figures -------------------------------------------------------------------------------

    def plot_subgroups(self, metric_id: str, factor_id: str) -> Markup:
        """An SVG plot of a metric per level of a factor (95% CI bars, overall line), as a figure."""
        metric = self.metrics[metric_id]
        overall = self.result(metric_id)
        # One dataset per plot: the one the overall result comes from (levels recur across test sets).
        dataset = overall.dataset if overall else None
        rows = [
            r
            for r in self.source.evaluation.results
            if r.metric == metric_id and list(r.slice) == [factor_id] and (dataset is None or r.dataset == dataset)
        ]
        factor = self.factor_name(factor_id)
        svg, alt = _plot(metric, factor, rows, overall, self.default_point())
        path = f"assets/{metric_id}-by-{factor_id}.svg"
        self.assets[path] = svg
        names = {d.id: d.name for d in self.source.datasets}
        on = f" on {names.get(dataset, dataset)}" if dataset else ""
        caption = f"{metric.name} by {factor.lower()}{on}, with 95% confidence intervals."
        return Markup(
            f'\n<figure class="plot" id="fig-{formats.slug(metric_id)}-{formats.slug(factor_id)}">'
            f'<img src="{escape(path)}" alt="{escape(alt)}">'
            f"<figcaption>{escape(caption)}</figcaption></figure>\n"
        )

    def trends(self) -> list[dict[str, Any]]:
        """Monitoring trend figures (history against alert threshold); a crossed threshold is also a warning."""
        from compiler.render.monitoring import trends
        from compiler.validate.project import ValidModel

        found = []
        for trend in trends(ValidModel(self.model.loaded, self.source)):
            path = f"assets/{trend.filename}"
            self.assets[path] = trend.svg
            if trend.warning and trend.warning not in self.warnings:
                self.warnings.append(trend.warning)
            figure = Markup(
                f'\n<figure class="plot trend" id="trend-{formats.slug(trend.signal_id)}">'
                f'<img src="{escape(path)}" alt="{escape(trend.alt)}">'
                f"<figcaption>{escape(trend.caption)}</figcaption></figure>\n"
            )
            found.append(
                {"signal": trend.signal_id, "figure": figure, "crossed": trend.crossed, "warning": trend.warning}
            )
        return found

    def diagrams(self) -> list[dict[str, Any]]:
        """Hand-written diagrams, plus a container diagram generated from components and flows if none is."""
        from compiler.render.diagrams import container_diagram

        arch = self.source.system.architecture
        found = [
            {"id": d.id, "title": d.title, "alt": d.alt, "mermaid": d.mermaid, "generated": False}
            for d in arch.diagrams
        ]
        if not any(d.level == "container" for d in arch.diagrams):
            generated = container_diagram(arch)
            if generated is not None:
                found.insert(0, {"generated": True, **generated})
        return found

    def mermaid(self, text: Any) -> Markup:
        """A Mermaid fence; the fence is longer than any backtick run in the text, so it cannot be closed early."""
        body = str(unwrap(text)).strip("\n")
        longest = max((len(run) for run in body.split("\n") if set(run.strip()) == {"`"}), default=0)
        fence = "`" * max(3, longest + 1)
        return Markup(f"\n{fence}mermaid\n{body}\n{fence}\n")

    def provenance_rows(self) -> list[dict[str, str]]:
        """The facts' provenance as table rows: key, value, where it came from, and the rest."""
        rows = []
        facts = self.model.provenance.get("facts", self.model.provenance)
        for key, fact in sorted(facts.items()) if isinstance(facts, dict) else []:
            info = fact if isinstance(fact, dict) else {"value": fact}
            details = "; ".join(f"{k}: {v}" for k, v in sorted(info.items()) if k not in ("value", "source"))
            rows.append(
                {
                    "key": str(key),
                    "value": str(info.get("value", "—")),
                    "source": str(info.get("source", "—")),
                    "details": details or "—",
                }
            )
        return rows

    # --- coverage and approvals ----------------------------------------------------------------

    def requirement_rows(self) -> list[CoverageRow]:
        return requirement_rows(self.source, self.audience, self.tracker.reads)

    def framework_rows(self) -> list[CoverageRow]:
        """Coverage of this audience's frameworks, each row linked to the section of this document that shows it."""
        from compiler.check.coverage import coverage

        rows = coverage(self.source, self.audience.config.frameworks)
        return [replace(row, section=self._section_showing(row.fields)) for row in rows]

    def framework_summary(self, name: str | None = None) -> list[dict[str, Any]]:
        """Per framework of an audience (this one by default): title, counts, percent covered, open rows."""
        from compiler.check.coverage import assess, summarise

        audience = self.audience if name is None else next((a for a in self.audiences if a.name == name), None)
        if audience is None:
            raise FieldError("", f"no audience '{name}' to report coverage of")
        found = assess(self.source, audience.config.frameworks)
        summaries = []
        for summary in summarise(found):
            open_rows = [
                a.row for a in found if a.row.framework == summary.framework and a.row.status in ("missing", "partial")
            ]
            summaries.append({**summary.as_dict(), "applicable": summary.applicable, "open": open_rows})
        return summaries

    def _section_showing(self, fields: tuple[str, ...]) -> str:
        """The section that read the fields most specifically (document order breaks ties), or ''."""
        wanted = [re.sub(r"\[[^\]]*\]", "[]", f) for f in fields]
        best, chosen = 0, ""
        for name in self.audience.config.sections:
            score = max(
                (len(w) if _within(read, w) else len(read) for read in self.tracker.reads.get(name, ()) for w in wanted
                 if _within(read, w) or _within(w, read)),
                default=0,
            )  # fmt: skip
            if score > best:
                best, chosen = score, name
        return chosen

    def coverage_of(self, name: str) -> list[CoverageRow]:
        audience = next((a for a in self.audiences if a.name == name), None)
        if audience is None:
            raise FieldError("", f"no audience '{name}' to report coverage of")
        return requirement_rows(self.source, audience, {})

    def signoffs(self) -> list[SignoffRow]:
        return signoff_rows(self.model.loaded, self.source, self.audience)

    def all_signoffs(self) -> list[SignoffRow]:
        rows: dict[tuple[str, str, str, str], SignoffRow] = {}
        for audience in self.audiences:
            if not audience.applies(self.source.model.domain):
                continue
            for row in signoff_rows(self.model.loaded, self.source, audience):
                rows[(row.section, row.role, row.date, row.reviewer)] = row
        return sorted(rows.values(), key=lambda r: (r.section, r.role, r.date, r.reviewer))


_PLOTS: dict[str, tuple[bytes, str]] = {}


def _plot(
    metric: Metric, factor: str, rows: list[Result], overall: Result | None, point: str | None
) -> tuple[bytes, str]:
    """subgroup_plot, drawn once per process for the same inputs (audiences of one model share their plots)."""
    from compiler.render.plots import subgroup_plot

    key = hashlib.sha256(
        repr(
            (metric.model_dump(), factor, [r.model_dump() for r in rows], overall and overall.model_dump(), point)
        ).encode()
    ).hexdigest()
    if key not in _PLOTS:
        if len(_PLOTS) > 64:
            _PLOTS.clear()
        _PLOTS[key] = subgroup_plot(metric, factor, rows, overall, point)
    return _PLOTS[key]


def requirement_rows(source: Source, audience: Audience, reads: dict[str, set[str]]) -> list[CoverageRow]:
    """One row per field the audience requires: covered or missing, and the section that shows it."""
    data = source.model_dump(mode="json", exclude_none=True)
    rows = []
    for i, path in enumerate(audience.config.requires):
        covered = _present_at(data, path.replace("[]", ".[]").split("."))
        section = next(
            (
                name
                for name in audience.config.sections
                if any(p == path or p.startswith((path + ".", path + "[")) for p in reads.get(name, ()))
            ),
            "",
        )
        rows.append(
            CoverageRow(
                framework=f"audience:{audience.name}",
                requirement_id=f"{audience.name}-{i + 1:02d}",
                text=path,
                citation=f"audiences/{audience.name}/audience.yaml",
                fields=(path,),
                status="covered" if covered else "missing",
                section=section if covered else "",
            )
        )
    return rows


def _within(path: str, prefix: str) -> bool:
    """Whether path is prefix or lies below it (`a.b` is within `a`, `a[]` and `a.b[].c` within `a.b`)."""
    return path == prefix or path.startswith((prefix + ".", prefix + "["))


def _present_at(node: Any, parts: list[str]) -> bool:
    parts = [p for p in parts if p]
    if not parts:
        return node not in (None, "", [], {})
    head, rest = parts[0], parts[1:]
    if head == "[]":
        return isinstance(node, list) and bool(node) and all(_present_at(item, rest) for item in node)
    return isinstance(node, dict) and head in node and _present_at(node[head], rest)


ProgressFn = Callable[[Document], None]
