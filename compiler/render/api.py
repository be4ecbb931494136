"""Render stage: the template API — the variables, functions and filters an audience's templates may use.

`docs/templates.md` is generated from this module's docstrings (`compiler/render/apidoc.py`):

    python -m compiler.render.apidoc > docs/templates.md
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar, Protocol

from markupsafe import Markup

from compiler.check.signoff import SignoffRow, signoff_rows
from compiler.config.audiences import Audience
from compiler.load.reader import LoadedModel
from compiler.render import evidence, formats, monitoring, results, tables
from compiler.render.crossref import CrossReference, Heading, Reads
from compiler.render.diagrams import container_diagram, file_figure
from compiler.render.document import DocumentMeta
from compiler.render.plots import cached_subgroup_plot, figure
from compiler.render.view import FieldError, unwrap, wrap
from compiler.schema import Result, Source

FILTERS: dict[str, Callable[..., Any]] = {
    "md": formats.md_block,
    "md_inline": formats.md_inline,
    "num": formats.number,
    "pct": formats.pct,
    "date": formats.format_date,
    "or_na": formats.or_na,
    "or_missing": formats.or_missing,
    "join_list": formats.join_list,
    "sentence": formats.sentence,
    "label": formats.label,
    "slug": formats.slug,
    "code": formats.code,
    "url": formats.url,
    "raw": unwrap,
}
"""The filters of the template API, beside Jinja's built-in ones (`upper`, `join`, `selectattr`…)."""

VARIABLES: dict[str, str] = {
    "source": "The model's whole source, read through a view: `{{ source.evaluation.study.design | md }}`. "
    "An optional field the source leaves out is falsy (`{% if source.risk.cybersecurity %}`) and an error "
    "naming the field if printed; a misspelt field is an error, never a blank.",
    "model": "Short for `source.model`: `{{ model.name }}`, `{{ model.version }}`.",
    "section": "The id of the section being rendered, as listed in `audience.yaml`: "
    "`## Risks { #{{ section | slug }} }`. Section templates only.",
    "sections": "The rendered sections, in order. `page.md.j2` only.",
    "audience": "The audience's `audience.yaml` settings: `{{ audience.title }}`, `{{ audience.description }}`.",
    "audience_name": "The audience's folder name, e.g. `clinician`.",
    "meta": "Document control: `doc_id`, `title`, `model_version`, `release_date`, `status`, `source_sha256`, "
    "`compiler_version`: `{{ meta.doc_id }}`.",
    "provenance": "Where the model's facts come from, as written to `manifest.json` (a mapping; empty when "
    "every number is written in the source). Prefer `provenance_rows()` and `computed_results()`.",
    "dataset": "The dataset of a datasheet page (`datasheet-page.md.j2` only): `{{ dataset.name }}`.",
}
"""What a template finds in its context besides the functions, with a description for docs/templates.md."""


_RESULT_FIELDS = ("value", "ci_low", "ci_high", "n")
"""What `metric()` and the subgroup tables print of a result, as read for the cross-reference."""


class RenderModel(Protocol):
    """What the template API reads of a model (the render stage's `RenderInput`)."""

    @property
    def loaded(self) -> LoadedModel: ...

    @property
    def source(self) -> Source: ...

    @property
    def provenance(self) -> dict[str, Any]: ...

    @property
    def histories(self) -> dict[str, dict[str, Any]]: ...


class TemplateAPI(CrossReference):
    """The functions a template may call, for one model and one audience.

    They read the typed source, not the views; the ones that show source fields on a template's behalf
    record those reads, so the requirements cross-reference links to the section that shows them.
    """

    GROUPS: ClassVar[dict[str, tuple[str, ...]]] = {
        "Results": ("result", "results_for", "metric", "metric_name", "default_point", "subgroups", "intersections",
                    "subgroup_layout", "factor_name", "slice_label", "per_1000", "tested_on"),
        "Figures and diagrams": ("plot_subgroups", "trends", "diagrams", "mermaid"),
        "Coverage and approvals": ("requirement_rows", "framework_rows", "framework_summary", "coverage_of",
                                   "applicability", "applies", "not_applicable", "signoffs", "all_signoffs", "section_title", "shown_in"),
        "Evidence": ("evidence_sources", "computed_results", "provenance_rows", "fact_groups"),
        "Links": ("anchor", "heading"),
    }  # fmt: skip
    """Every function templates may call, by topic (the order of docs/templates.md)."""

    def __init__(self, model: RenderModel, audience: Audience, audiences: list[Audience]) -> None:
        self.model = model
        self.source = model.source
        self.audience = audience
        self.audiences = audiences
        self.tracker = Reads()
        self.headings: dict[str, Heading] = {}
        self.assets: dict[str, bytes] = {}
        self.warnings: list[str] = []
        self.metrics = {m.id: m for m in self.source.evaluation.metrics}

    def context(self, meta: DocumentMeta) -> dict[str, Any]:
        """The template context of a section or page: the variables and every function."""
        variables = {
            "source": wrap(self.source, "", self.tracker),
            "model": wrap(self.source.model, "model", self.tracker),
            "audience": self.audience.config,
            "audience_name": self.audience.name,
            "meta": meta,
            "provenance": self.model.provenance,
        }
        return {**variables, **{name: getattr(self, name) for names in self.GROUPS.values() for name in names}}

    def _shows(self, *paths: str) -> None:
        """Count source fields a function prints for the template as read by the current section."""
        for path in paths:
            self.tracker.read(path)

    def _shows_results(self, *shown: Result, fields: tuple[str, ...] = _RESULT_FIELDS) -> None:
        """Count the printed fields of these results (found by identity in the source) as read."""
        wanted = {id(r) for r in shown}
        for i, r in enumerate(self.source.evaluation.results):
            if id(r) in wanted:
                self._shows(*(f"evaluation.results[{i}].{name}" for name in fields))

    # --- results -------------------------------------------------------------------------------

    def result(
        self, metric_id: str, slice: dict[str, str] | None = None, op: str | None = None, dataset: str | None = None
    ) -> Result | None:
        """The result of a metric for a slice (overall by default) at an operating point, or none.

        `slice` maps factor ids to levels; `op` is an operating point id (default: the default point,
        or a threshold-free result); `dataset` narrows to one dataset.

        Example:
            {% if result("auroc") %}{{ metric(result("auroc")) }}{% endif %}
            {{ result("sensitivity", {"sex": "female"}, op="high-sensitivity").value | pct }}
        """
        wanted = unwrap(slice)
        if wanted is not None and not isinstance(wanted, dict):
            raise FieldError("", f"result(): the slice must be a mapping of factor id to level, found {wanted!r}")
        return results.find_result(self.source, unwrap(metric_id), wanted, unwrap(op), unwrap(dataset))

    def results_for(self, metric_id: str) -> list[Result]:
        """Every result of a metric (overall, per subgroup, per operating point), in source order.

        Example:
            {% for r in results_for("auroc") %}- {{ slice_label(r.slice) }}: {{ metric(r) }}
            {% endfor %}
        """
        return [r for r in self.source.evaluation.results if r.metric == unwrap(metric_id)]

    def metric(self, result: Any, with_n: bool = True) -> str:
        """A result written as its metric's kind asks, with its 95% CI and n: `0.912 (95% CI 0.889–0.931), n = 1,204`.

        Takes a result (from `result()`, `results_for()` or a loop over `source.evaluation.results`) or a
        metric id, meaning that metric's overall result; `with_n=false` leaves out the n. A metric id
        without an overall result is an error.

        Example:
            {{ metric("auroc") }}
            {% for r in results_for("auroc") %}{{ metric(r, false) }}{% endfor %}
        """
        raw = unwrap(result)
        if isinstance(raw, str):
            found = self.result(raw)
            if found is None:
                raise FieldError("evaluation.results", f"no overall result for metric '{raw}'")
            raw = found
        if raw is None:
            raise FieldError("evaluation.results", "no such result")
        if not isinstance(raw, Result):
            raise FieldError("", f"metric(): expected a result or a metric id, found {raw!r}")
        self._shows_results(raw)
        return formats.format_result(raw, self.metrics.get(raw.metric), with_n=with_n)

    def metric_name(self, metric_id: str) -> str:
        """A metric's name (`auroc` -> 'AUROC'), or the id itself when the source declares no such metric.

        Example:
            {{ metric_name("auroc") }}: {{ metric("auroc") }}
        """
        found = self.metrics.get(unwrap(metric_id))
        return found.name if found else metric_id

    def default_point(self) -> str | None:
        """The id of the default operating point (marked `default`, else the first declared), or none.

        Example:
            {% set op = default_point() %}{% if op %}At the {{ op }} operating point:{% endif %}
        """
        return results.default_point(self.source)

    def subgroups(self) -> list[tuple[str, str, list[Result]]]:
        """(metric id, factor id, results per level) for every metric reported on a single factor.

        Example:
            {% for metric_id, factor_id, rows in subgroups() %}{{ plot_subgroups(metric_id, factor_id) }}{% endfor %}
        """
        every = self.source.evaluation.results
        return [
            (p.metric, p.factor, [r for r in every if r.metric == p.metric and list(r.slice) == [p.factor]])
            for p in tables.single_factor_plots(self.source)
        ]

    def intersections(self) -> list[Result]:
        """The results on two or more factors at once (intersectional subgroups), in source order.

        Example:
            {% for r in intersections() %}- {{ slice_label(r.slice) }}: {{ metric(r) }}
            {% endfor %}
        """
        return [r for r in self.source.evaluation.results if len(r.slice) > 1]

    def subgroup_layout(self) -> tables.SubgroupLayout:
        """The subgroup results as tables to lay out: `.datasets`, each with `.title`, `.anchor` and `.tables`.

        A table has `.factors` (names), `.metrics` (ids, one column each), `.rows` (each with `.group`,
        `.operating_point` and `.cells`: a result or none per metric), `.point`, `.by_point`,
        `.threshold_free` and `.plots` to show after it; `.plots` of the layout belong to no table.
        The macro `subgroup_tables` in `_common/macros.md.j2` lays it out.

        Example:
            {% for ds in subgroup_layout().datasets %}#### {{ ds.title }}
            {% for table in ds.tables %}**{{ table.factors | join(" × ") }}**: {{ table.rows | length }} groups
            {% endfor %}{% endfor %}
        """
        layout = tables.subgroup_layout(self.source)
        self._shows("evaluation", "evaluation.results", "datasets")
        self._shows(*(f"datasets[{i}].name" for i, d in enumerate(self.source.datasets) if d.name))
        cells = [c for ds in layout.datasets for t in ds.tables for row in t.rows for c in row.cells if c is not None]
        self._shows_results(*cells, fields=(*_RESULT_FIELDS, "slice", "operating_point", "dataset"))
        return layout

    def factor_name(self, factor_id: str) -> str:
        """A factor's name (`sex` -> 'Sex'), or the id itself when the source declares no such factor.

        Example:
            {% for f in source.factors.evaluation %}{{ factor_name(f) }}{% endfor %}
        """
        return results.factor_name(self.source, str(unwrap(factor_id)))

    def slice_label(self, slice: Any) -> str:
        """A slice in words: `{"sex": "female", "age": "65+"}` -> 'Sex: female × Age: 65+'; empty -> 'Overall'.

        Example:
            {% for r in results_for("auroc") %}| {{ slice_label(r.slice) }} | {{ metric(r) }} |
            {% endfor %}
        """
        items = unwrap(slice) or {}
        if not isinstance(items, dict):
            raise FieldError("", f"slice_label(): expected a slice (factor id to level), found {items!r}")
        return " × ".join(f"{self.factor_name(k)}: {v}" for k, v in items.items()) or "Overall"

    def per_1000(self) -> results.PerThousand:
        """The 'per 1,000 people' example from `plain.per_1000` and the overall sensitivity and specificity.

        Has `population`, `prevalence`, `with_condition`, `found`, `missed`, `without`, `cleared`,
        `false_alarms`, `flagged` and `operating_point`. An error when the source lacks any of them.

        Example:
            {% set ex = per_1000() %}Of {{ ex.with_condition | num }} with the condition, {{ ex.missed | num }} are missed.
        """
        return results.per_thousand(self.source)

    def tested_on(self) -> results.TestedOn | None:
        """Whom the overall sensitivity and specificity were measured on, or none when the source cannot say:
        `dataset` (name), `setting` (when its cases were collected), `people`, `with_condition`, `prevalence` and `ppv`.

        Example:
            {% set t = tested_on() %}{% if t %}Tested on {{ t.people | num }} people; {{ t.prevalence | pct }} had it.{% endif %}
        """
        return results.tested_on(self.source)

    # --- figures -------------------------------------------------------------------------------

    def plot_subgroups(self, metric_id: str, factor_id: str) -> Markup:
        """A figure: the metric per level of the factor, with 95% CI bars and the overall value as a line.

        Drawn on the dataset of the metric's overall result; the SVG becomes an asset of the document.

        Example:
            {{ plot_subgroups("auroc", "sex") }}
        """
        metric_id, factor_id = str(unwrap(metric_id)), str(unwrap(factor_id))
        if metric_id not in self.metrics:
            raise FieldError("evaluation.metrics", f"plot_subgroups(): the source declares no metric '{metric_id}'")
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
        svg, alt = cached_subgroup_plot(metric, factor, rows, overall, self.default_point())
        path = f"assets/{metric_id}-by-{factor_id}.svg"
        self.assets[path] = svg
        names = {d.id: d.name for d in self.source.datasets}
        on = f" on {names.get(dataset, dataset)}" if dataset else ""
        caption = f"{metric.name} by {factor.lower()}{on}, with 95% confidence intervals."
        return figure("plot", f"fig-{formats.slug(metric_id)}-{formats.slug(factor_id)}", path, alt, caption)

    def trends(self) -> list[dict[str, Any]]:
        """Monitoring trends: per signal with a history, its plot against the alert threshold.

        Each has `signal` (id), `figure`, `crossed` (the threshold was crossed) and `warning` (text, or
        none). A crossed threshold is also a warning of the build.

        Example:
            {% for t in trends() %}{% if t.crossed %}**{{ t.warning }}**{% endif %}{{ t.figure }}{% endfor %}
        """
        found = []
        for trend in monitoring.trends(self.source, self.model.histories):
            path = f"assets/{trend.filename}"
            self.assets[path] = trend.svg
            if trend.warning and trend.warning not in self.warnings:
                self.warnings.append(trend.warning)
            shown = figure("plot trend", f"trend-{formats.slug(trend.signal_id)}", path, trend.alt, trend.caption)
            found.append(
                {"signal": trend.signal_id, "figure": shown, "crossed": trend.crossed, "warning": trend.warning}
            )
        return found

    def diagrams(self) -> list[dict[str, Any]]:
        """The architecture diagrams: the hand-written ones, plus a container diagram generated from the
        declared components and flows when none is at container level.

        Each has `id`, `title`, `alt` (text alternative), `mermaid` (the diagram's text, or none), `figure` (an
        exported SVG or PNG as a captioned figure, or none) and `generated`.

        Example:
            {% for d in diagrams() %}{% if d.figure %}{{ d.figure }}{% else %}{{ mermaid(d.mermaid) }}
            **{{ d.title }}.** {{ d.alt }}{% endif %}
            {% endfor %}
        """
        arch = self.source.system.architecture
        found = []
        for index, d in enumerate(arch.diagrams):
            shown = None
            if d.file is not None:
                asset, data, shown = file_figure(self.model.loaded, index, d)
                self.assets[asset] = data
            found.append(
                {"id": d.id, "title": d.title, "alt": d.alt, "mermaid": d.mermaid, "figure": shown, "generated": False}
            )
        if not any(d.level == "container" for d in arch.diagrams):
            generated = container_diagram(arch)
            if generated is not None:
                found.insert(0, {"generated": True, "figure": None, **generated})
        return found

    def mermaid(self, text: Any) -> Markup:
        """A Mermaid diagram as a fenced block: drawn by the site's Mermaid, a static SVG in PDFs.

        The fence is longer than any backtick run in the text, so the text cannot close it early.

        Example:
            {{ mermaid("flowchart LR\\n  A --> B") }}
        """
        body = str(unwrap(text)).strip("\n")
        longest = max((len(run) for run in body.split("\n") if set(run.strip()) == {"`"}), default=0)
        fence = "`" * max(3, longest + 1)
        return Markup(f"\n{fence}mermaid\n{body}\n{fence}\n")

    # --- coverage and approvals ----------------------------------------------------------------

    def signoffs(self) -> list[SignoffRow]:
        """The sign-offs this audience requires (`signoffs:`) and those recorded for its sections.

        Each row has `section`, `role`, `reviewer`, `date` and `status`: approved, stale (the section
        changed since) or missing.

        Example:
            {% for s in signoffs() %}| {{ s.section | code }} | {{ s.role }} | {{ s.status | label }} |
            {% endfor %}
        """
        return signoff_rows(self.model.loaded, self.source, self.audience)

    def all_signoffs(self) -> list[SignoffRow]:
        """The sign-offs of every audience that applies to the model, each once, sorted by section and role.

        Example:
            {% for s in all_signoffs() if s.status != "approved" %}- {{ s.section | code }}: {{ s.status }}
            {% endfor %}
        """
        rows: dict[tuple[str, str, str, str], SignoffRow] = {}
        for audience in self.audiences:
            if not audience.applies(self.source.model.domain):
                continue
            for row in signoff_rows(self.model.loaded, self.source, audience):
                rows[(row.section, row.role, row.date, row.reviewer)] = row
        return sorted(rows.values(), key=lambda r: (r.section, r.role, r.date, r.reviewer))

    # --- evidence ------------------------------------------------------------------------------

    def evidence_sources(self) -> list[evidence.EvidenceRow]:
        """The declared evidence sources: `id`, `kind`, `location` (tracking URI or path) and `synthetic`.

        Example:
            {% for e in evidence_sources() %}| {{ e.id | code }} | {{ e.kind | label }} | {{ e.location | code }} |
            {% endfor %}
        """
        rows = evidence.evidence_rows(self.source)
        shown = ["evidence", "evidence.sources"]
        if rows:
            fields = {"id", "kind", *(row.location_field for row in rows)}
            if any(row.kind in ("predictions", "timeseries") for row in rows):
                fields.add("synthetic")
            shown += ["evidence.sources[]", *(f"evidence.sources[].{name}" for name in sorted(fields))]
        self._shows(*shown)
        return rows

    def computed_results(self) -> list[evidence.ComputedRow]:
        """The results computed from predictions files by `docs-compile resolve`, as locked.

        Each has `used_by`, `path`, `sha256`, `synthetic`, `rows`, `results` and `intervals` (how the
        95% intervals were computed, in words).

        Example:
            {% for c in computed_results() %}| {{ c.path | code }} | {{ c.results | num }} | {{ c.intervals }} |
            {% endfor %}
        """
        return evidence.computed_rows(self.model.provenance)

    def provenance_rows(self) -> list[dict[str, str]]:
        """The locked facts as table rows: `key`, `value`, `source` and `details` (the rest of the provenance).

        Example:
            {% for fact in provenance_rows() %}| {{ fact.key | code }} | {{ fact.value }} | {{ fact.source }} |
            {% endfor %}
        """
        return evidence.provenance_rows(self.model.provenance)

    def fact_groups(self) -> list[evidence.FactGroup]:
        """The locked facts by evidence source, for reading: each group has `source`, `common` (the provenance
        its facts share, as (label, value) pairs) and `facts`, each with `label` (the metric, operating point
        and slice in words), `key` (the reference), `value`, `interval`, `n` and `details` ((label, value)
        pairs particular to it).

        Example:
            {% for g in fact_groups() %}{{ g.source }}: {% for f in g.facts %}{{ f.label }} = {{ f.value }}; {% endfor %}
            {% endfor %}
        """
        return evidence.fact_groups(self.model.provenance, self.metric_name)

    # --- links ---------------------------------------------------------------------------------

    def anchor(self, *parts: Any) -> str:
        """An anchor made of the parts joined by hyphens: `anchor("fig", "auroc")` -> 'fig-auroc'.

        Example:
            <a id="{{ anchor('result', 'auroc') | slug }}"></a>
        """
        return "-".join(str(unwrap(p)) for p in parts)
