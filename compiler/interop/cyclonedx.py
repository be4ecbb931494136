"""Export stage, CycloneDX: an ML-BOM (spec 1.6) with the model as a `machine-learning-model` component and its datasets as `data` components."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import uuid
from typing import Any

from compiler.interop.hf import task_of
from compiler.interop.losses import Collector, fmt_number, plain_text
from compiler.schema import Source
from compiler.schema.data import Dataset

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
# Namespace for the BOM serial number: the same source always gets the same urn:uuid.
_NAMESPACE = uuid.UUID("5f0c5e57-6d1b-4b8e-9d1c-2b0f6f1d8a11")
# modelParameters.approach.type and the words of the training algorithm or objective that name it (first match).
APPROACHES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("self-supervised", ("self-supervised", "contrastive pretraining", "masked language modelling")),
    ("semi-supervised", ("semi-supervised", "pseudo-label", "pseudo-labels")),
    ("reinforcement-learning", ("reinforcement learning", "rlhf", "policy gradient")),
    ("unsupervised", ("unsupervised", "clustering", "k-means")),
    ("supervised", ("supervised", "cross-entropy", "log loss", "logistic regression", "lambdarank", "lambdamart")),
)

MAPPING: tuple[tuple[str, str], ...] = (
    ("model.id", "component `bom-ref` (model:<id>), serialNumber seed"),
    ("model.name", "component `name`"),
    ("model.version", "component `version`"),
    ("model.summary", "component `description`, metadata.component.description (plain text)"),
    ("model.type", "modelCard.modelParameters.architectureFamily"),
    ("model.developers[].name", "component `manufacturer.name` and `publisher` (first), `authors[].name`"),
    ("model.contact.name", "component `manufacturer.contact[].name`"),
    ("model.contact.email", "component `manufacturer.contact[].email`"),
    ("model.contact.url", "externalReferences[type=support]"),
    ("model.license", "component `licenses[].expression`"),
    ("model.papers", "externalReferences[type=documentation]"),
    ("model.keywords", "component `tags`"),
    ("model.release_date", "component `properties[docs-compile:release_date]`"),
    ("model.domain", "component `properties[docs-compile:domain]`"),
    ("model.risk_class", "component `properties[docs-compile:risk_class]`"),
    ("system.model_class", "modelCard.modelParameters.modelArchitecture"),
    ("system.training.algorithm", "modelCard.modelParameters.approach.type (the kind of learning it names)"),
    ("system.training.objective", "modelCard.modelParameters.approach.type (the kind of learning it names)"),
    ("system.outputs[].type", "modelCard.modelParameters.outputs[].format; task (a Hub task, else the first output)"),
    ("system.outputs[].operating_points[].id", "considerations.performanceTradeoffs[]"),
    ("system.outputs[].operating_points[].threshold", "considerations.performanceTradeoffs[]"),
    ("system.outputs[].operating_points[].rationale", "considerations.performanceTradeoffs[]"),
    ("system.outputs[].operating_points[].default", "considerations.performanceTradeoffs[] (default)"),
    ("system.pretrained[].name", "component `pedigree.ancestors[].name`"),
    ("system.pretrained[].source", "component `pedigree.ancestors[].description`"),
    ("system.pretrained[].data", "component `pedigree.ancestors[].description` (pretrained on …)"),
    ("system.pretrained[].license", "component `pedigree.ancestors[].licenses[].license.name`"),
    ("system.inputs[].type", "modelCard.modelParameters.inputs[].format"),
    (
        "datasets[].id",
        "data component `bom-ref` (data:<id>), `data[].bom-ref` (dataset:<id>); modelParameters.datasets[].ref",
    ),
    ("datasets[].name", "data component `name`, `data[].name`"),
    ("datasets[].version", "data component `version`"),
    ("datasets[].role", "data component `data[].classification`"),
    ("datasets[].motivation.purpose", "data component `description`"),
    ("datasets[].composition.instances", "data component `data[].description`"),
    ("datasets[].composition.count", "data component `data[].contents.properties[count]`"),
    ("datasets[].collection.timeframe", "data component `data[].contents.properties[timeframe]`"),
    ("datasets[].collection.sites", "data component `data[].contents.properties[site]` (one per site)"),
    ("datasets[].composition.sensitive", "data component `data[].sensitiveData[]`"),
    ("datasets[].distribution.license", "data component `licenses[].expression`"),
    ("datasets[].maintenance.owner", "data component `data[].governance.owners[].organization.name`"),
    ("evaluation.metrics[].name", "quantitativeAnalysis.performanceMetrics[].type"),
    ("evaluation.results[].metric", "performanceMetrics[].type"),
    ("evaluation.results[].value", "performanceMetrics[].value"),
    ("evaluation.results[].ci_low", "performanceMetrics[].confidenceInterval.lowerBound"),
    ("evaluation.results[].ci_high", "performanceMetrics[].confidenceInterval.upperBound"),
    ("evaluation.results[].slice", "performanceMetrics[].slice (factor=level; …)"),
    ("evaluation.results[].dataset", "performanceMetrics[].slice (dataset=…)"),
    ("evaluation.results[].operating_point", "performanceMetrics[].slice (operating_point=…)"),
    ("intended_use.users[].role", "considerations.users[]"),
    ("intended_use.users[].qualification", "considerations.users[] (in brackets)"),
    ("intended_use.purpose", "considerations.useCases[0]"),
    ("intended_use.benefits", "considerations.useCases[]"),
    ("risk.limitations", "considerations.technicalLimitations[]"),
    ("risk.failure_modes", "considerations.technicalLimitations[]"),
    ("risk.ethics.harms", "considerations.ethicalConsiderations[].name"),
    ("risk.ethics.fraught_uses", "considerations.ethicalConsiderations[].name"),
    ("risk.ethics.mitigations", "considerations.ethicalConsiderations[].mitigationStrategy"),
    ("risk.hazards[].hazard", "considerations.ethicalConsiderations[].name"),
    ("risk.hazards[].harm", "considerations.ethicalConsiderations[].name (resulting harm)"),
    ("risk.hazards[].mitigations", "considerations.ethicalConsiderations[].mitigationStrategy"),
    ("risk.biases", "considerations.fairnessAssessments[].groupAtRisk"),
    ("factors.evaluation", "considerations.fairnessAssessments[].groupAtRisk (factor names)"),
    ("factors.relevant[].name", "considerations.fairnessAssessments[].groupAtRisk (per factor)"),
    ("factors.relevant[].levels", "considerations.fairnessAssessments[].groupAtRisk (levels)"),
    ("factors.relevant[].rationale", "considerations.fairnessAssessments[].harms (per factor)"),
    ("evaluation.fairness.findings", "considerations.fairnessAssessments[].harms"),
    ("evaluation.fairness.approach", "considerations.fairnessAssessments[].harms (when no findings)"),
    ("evaluation.fairness.mitigations", "considerations.fairnessAssessments[].mitigationStrategy"),
)


def filename(source: Source) -> str:
    return f"{source.model.id}.cdx.json"


def write(source: Source, collector: Collector) -> str:
    model = _model_component(source, collector)
    data = [_data_component(d, i, collector) for i, d in enumerate(source.datasets)]
    bom: dict[str, Any] = {
        "$schema": SCHEMA_URL,
        "bomFormat": "CycloneDX",
        "specVersion": SPEC_VERSION,
        "version": 1,
        "metadata": {
            "component": {
                "type": "machine-learning-model",
                "bom-ref": "meta:" + model["bom-ref"],
                "name": model["name"],
                "version": model["version"],
                "description": model["description"],
            }
        },
        "components": [model, *data],
        "dependencies": [
            {"ref": model["bom-ref"], "dependsOn": [d["bom-ref"] for d in data]},
            *({"ref": d["bom-ref"]} for d in data),
        ],
    }
    # The serial number is derived from the content, so identical sources give identical files.
    digest = hashlib.sha256(json.dumps(bom, sort_keys=True).encode()).hexdigest()
    bom["serialNumber"] = f"urn:uuid:{uuid.uuid5(_NAMESPACE, digest)}"
    return json.dumps(bom, indent=2, ensure_ascii=False) + "\n"


def _model_component(source: Source, collector: Collector) -> dict[str, Any]:
    m = source.model
    contact = {"name": m.contact.name, **({"email": m.contact.email} if m.contact.email else {})}
    component: dict[str, Any] = {
        "type": "machine-learning-model",
        "bom-ref": f"model:{m.id}",
        "manufacturer": {"name": m.developers[0].name, "contact": [contact]},
        "authors": [{"name": d.name} for d in m.developers],
        "publisher": m.developers[0].name,
        "name": m.name,
        "version": m.version,
        "description": plain_text(m.summary),
        "licenses": [{"expression": m.license}],
    }
    ancestors = [_ancestor(p) for p in source.system.pretrained]
    if ancestors:
        component["pedigree"] = {"ancestors": ancestors}
    refs = [{"type": "documentation", "url": url} for url in m.papers]
    if m.contact.url:
        refs.append({"type": "support", "url": m.contact.url})
    if refs:
        component["externalReferences"] = refs
    component["modelCard"] = {
        "bom-ref": f"model-card:{m.id}",
        "modelParameters": _parameters(source, collector),
        "quantitativeAnalysis": _analysis(source, collector),
        "considerations": _considerations(source, collector),
    }
    if m.keywords:
        component["tags"] = list(m.keywords)
    released = [{"name": "docs-compile:release_date", "value": m.release_date.isoformat()}] if m.release_date else []
    component["properties"] = [
        *released,
        {"name": "docs-compile:domain", "value": m.domain},
        {"name": "docs-compile:risk_class", "value": m.risk_class},
    ]
    return component


def _ancestor(p: Any) -> dict[str, Any]:
    described = p.source + (f"; pretrained on {p.data}" if p.data else "")
    ancestor: dict[str, Any] = {"type": "machine-learning-model", "name": p.name, "description": described}
    if p.license:
        ancestor["licenses"] = [{"license": {"name": p.license}}]
    return ancestor


def _approach(source: Source, collector: Collector) -> str | None:
    """The kind of learning the training algorithm or objective names, or None when it names none."""
    training = source.system.training
    text = f"{training.algorithm} {training.objective or ''}".lower()
    for approach, words in APPROACHES:
        if any(re.search(rf"\b{re.escape(w)}\b", text) for w in words):
            for name in ("algorithm", "objective") if training.objective else ("algorithm",):
                collector.changed(f"system.training.{name}", f"only the kind of learning is carried ('{approach}')")
            return approach
    collector.changed("system.training.algorithm", "names no kind of learning; modelParameters.approach is left out")
    return None


def _parameters(source: Source, collector: Collector) -> dict[str, Any]:
    params: dict[str, Any] = {}
    approach = _approach(source, collector)
    if approach:
        params["approach"] = {"type": approach}
    params |= {"task": task_of(source) or source.system.outputs[0].type, "architectureFamily": source.model.type}
    if source.system.model_class:
        params["modelArchitecture"] = source.system.model_class
    params["datasets"] = [{"ref": f"data:{d.id}"} for d in source.datasets]
    params["inputs"] = [{"format": i.type} for i in source.system.inputs]
    params["outputs"] = [{"format": o.type} for o in source.system.outputs]
    return params


def _analysis(source: Source, collector: Collector) -> dict[str, Any]:
    analysis: dict[str, Any] = {"performanceMetrics": _metrics(source, collector)}
    plots = _graphics(source)
    if plots:
        description = "Each metric per level of each factor, with 95% confidence intervals and the overall value."
        analysis["graphics"] = {"description": description, "collection": plots}
    return analysis


def _graphics(source: Source) -> list[dict[str, Any]]:
    """The subgroup plots of the documents (the same deterministic SVG), base64-encoded."""
    from compiler.render.plots import cached_subgroup_plot
    from compiler.render.results import default_point, factor_name, find_result

    names = {d.id: d.name for d in source.datasets}
    factors = list(dict.fromkeys([*source.factors.evaluation, *(f.id for f in source.factors.relevant)]))
    plots = []
    for metric in source.evaluation.metrics:
        overall = find_result(source, metric.id)
        dataset = overall.dataset if overall else None
        for factor in factors:
            rows = [
                r
                for r in source.evaluation.results
                if r.metric == metric.id and list(r.slice) == [factor] and dataset in (None, r.dataset)
            ]
            if not any(isinstance(r.value, float) for r in rows):
                continue
            label = factor_name(source, factor)
            svg, _ = cached_subgroup_plot(metric, label, rows, overall, default_point(source))
            on = f" on {names.get(dataset, dataset)}" if dataset else ""
            image = {"contentType": "image/svg+xml", "encoding": "base64", "content": base64.b64encode(svg).decode()}
            plots.append({"name": f"{metric.name} by {label.lower()}{on}", "image": image})
    return plots


def _metrics(source: Source, collector: Collector) -> list[dict[str, Any]]:
    names = {m.id: m.name for m in source.evaluation.metrics}
    if source.evaluation.results:
        collector.changed(
            "evaluation.results[].metric", "the metric's id is written as its name", len(source.evaluation.results)
        )
    out = []
    for i, r in enumerate(source.evaluation.results):
        value = collector.number(r.value, f"evaluation.results[{i}].value")
        if value is None:
            continue
        entry: dict[str, Any] = {"type": names[r.metric], "value": fmt_number(value)}
        parts = ([f"dataset={r.dataset}"] if r.dataset else []) + [f"{k}={v}" for k, v in r.slice.items()]
        parts += [f"operating_point={r.operating_point}"] if r.operating_point else []
        entry["slice"] = "; ".join(parts) if parts else "overall"
        low = collector.number(r.ci_low, f"evaluation.results[{i}].ci_low")
        high = collector.number(r.ci_high, f"evaluation.results[{i}].ci_high")
        if low is not None and high is not None:
            entry["confidenceInterval"] = {"lowerBound": fmt_number(low), "upperBound": fmt_number(high)}
        out.append(entry)
    return out


def _considerations(source: Source, collector: Collector) -> dict[str, Any]:
    use, risk = source.intended_use, source.risk
    users = [u.role + (f" ({u.qualification})" if u.qualification else "") for u in use.users]
    ethical: list[dict[str, str]] = []
    if risk.ethics:
        mitigation = "; ".join(risk.ethics.mitigations)
        for harm in [*risk.ethics.harms, *risk.ethics.fraught_uses]:
            ethical.append({"name": harm, **({"mitigationStrategy": mitigation} if mitigation else {})})
    for h in risk.hazards:
        ethical.append({"name": f"{h.hazard} (harm: {h.harm})", "mitigationStrategy": "; ".join(h.mitigations)})
    considerations: dict[str, Any] = {
        "users": users,
        "useCases": [plain_text(use.purpose), *use.benefits],
        "technicalLimitations": [*risk.limitations, *risk.failure_modes],
    }
    tradeoffs = _tradeoffs(source, collector)
    if tradeoffs:
        considerations["performanceTradeoffs"] = tradeoffs
    if ethical:
        considerations["ethicalConsiderations"] = ethical
    fairness = _fairness(source, collector)
    if fairness:
        considerations["fairnessAssessments"] = fairness
    return considerations


def _tradeoffs(source: Source, collector: Collector) -> list[str]:
    """One line per operating point: what its threshold trades, in the source's own rationale."""
    out = []
    for i, output in enumerate(source.system.outputs):
        for j, op in enumerate(output.operating_points):
            threshold = collector.number(op.threshold, f"system.outputs[{i}].operating_points[{j}].threshold")
            at = f" (threshold {fmt_number(threshold)})" if threshold is not None else ""
            default = ", the default" if op.default else ""
            out.append(f"{output.name}, operating point {op.id}{at}{default}: {op.rationale}")
    return out


def _fairness(source: Source, collector: Collector) -> list[dict[str, str]]:
    out = [{"groupAtRisk": bias} for bias in source.risk.biases]
    fairness = source.evaluation.fairness
    mitigation = "; ".join(fairness.mitigations) if fairness else ""
    if fairness and fairness.findings:
        collector.changed(
            "evaluation.fairness.approach", "left out: the findings fill `harms`, and there is no other place"
        )
    if fairness:
        names = {f.id: f.name for f in source.factors.relevant}
        group = ", ".join(names.get(f, f) for f in source.factors.evaluation) or "all evaluated groups"
        entry = {"groupAtRisk": group, "harms": plain_text(fairness.findings or fairness.approach)}
        if mitigation:
            entry["mitigationStrategy"] = mitigation
        out.append(entry)
    for factor in source.factors.relevant:
        entry = {"groupAtRisk": f"{factor.name}: {', '.join(factor.levels)}"}
        if factor.rationale:
            entry["harms"] = factor.rationale
        if mitigation:
            entry["mitigationStrategy"] = mitigation
        out.append(entry)
    return out


def _data_component(d: Dataset, i: int, collector: Collector) -> dict[str, Any]:
    data: dict[str, Any] = {"bom-ref": f"dataset:{d.id}", "type": "dataset", "name": d.name}
    count = collector.number(d.composition.count, f"datasets[{i}].composition.count")
    properties = [{"name": "count", "value": fmt_number(count)}] if count is not None else []
    if d.collection.timeframe:
        properties.append({"name": "timeframe", "value": d.collection.timeframe})
    properties += [{"name": "site", "value": site} for site in d.collection.sites]
    if properties:
        data["contents"] = {"properties": properties}
    data["classification"] = d.role
    data["description"] = plain_text(d.composition.instances)
    if d.composition.sensitive:
        data["sensitiveData"] = [d.composition.sensitive]
    data["governance"] = {"owners": [{"organization": {"name": d.maintenance.owner}}]}
    component: dict[str, Any] = {"type": "data", "bom-ref": f"data:{d.id}", "name": d.name}
    if d.version:
        component["version"] = d.version
    component["description"] = plain_text(d.motivation.purpose)
    if d.distribution.license:
        component["licenses"] = [{"expression": d.distribution.license}]
    component["data"] = [data]
    return component
