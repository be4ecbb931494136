"""Export stage, CycloneDX: an ML-BOM (spec 1.6) with the model as a `machine-learning-model` component and its datasets as `data` components."""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any

from compiler.interop.losses import Collector, fmt_number
from compiler.schema import Source
from compiler.schema.data import Dataset

SPEC_VERSION = "1.6"
SCHEMA_URL = "http://cyclonedx.org/schema/bom-1.6.schema.json"
# Namespace for the BOM serial number: the same source always gets the same urn:uuid.
_NAMESPACE = uuid.UUID("5f0c5e57-6d1b-4b8e-9d1c-2b0f6f1d8a11")

MAPPING: tuple[tuple[str, str], ...] = (
    ("model.id", "component `bom-ref` (model:<id>), serialNumber seed"),
    ("model.name", "component `name`"),
    ("model.version", "component `version`"),
    ("model.summary", "component `description`"),
    ("model.type", "modelCard.modelParameters.architectureFamily"),
    ("model.developers[].name", "component `manufacturer.name` (first), `authors[].name`"),
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
    ("system.outputs[].type", "modelCard.modelParameters.outputs[].format; task (first output)"),
    ("system.inputs[].type", "modelCard.modelParameters.inputs[].format"),
    ("datasets[].id", "data component `bom-ref` (data:<id>); modelParameters.datasets[].ref"),
    ("datasets[].name", "data component `name`, `data[].name`"),
    ("datasets[].version", "data component `version`"),
    ("datasets[].role", "data component `data[].classification`"),
    ("datasets[].motivation.purpose", "data component `description`"),
    ("datasets[].composition.count", "data component `data[].contents.properties[count]`"),
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
        "name": m.name,
        "version": m.version,
        "description": m.summary,
        "licenses": [{"expression": m.license}],
    }
    refs = [{"type": "documentation", "url": url} for url in m.papers]
    if m.contact.url:
        refs.append({"type": "support", "url": m.contact.url})
    if refs:
        component["externalReferences"] = refs
    component["modelCard"] = {
        "bom-ref": f"model-card:{m.id}",
        "modelParameters": _parameters(source),
        "quantitativeAnalysis": {"performanceMetrics": _metrics(source, collector)},
        "considerations": _considerations(source),
    }
    if m.keywords:
        component["tags"] = list(m.keywords)
    component["properties"] = [
        {"name": "docs-compile:release_date", "value": m.release_date.isoformat()},
        {"name": "docs-compile:domain", "value": m.domain},
        {"name": "docs-compile:risk_class", "value": m.risk_class},
    ]
    return component


def _parameters(source: Source) -> dict[str, Any]:
    params: dict[str, Any] = {"task": source.system.outputs[0].type, "architectureFamily": source.model.type}
    if source.system.model_class:
        params["modelArchitecture"] = source.system.model_class
    params["datasets"] = [{"ref": f"data:{d.id}"} for d in source.datasets]
    params["inputs"] = [{"format": i.type} for i in source.system.inputs]
    params["outputs"] = [{"format": o.type} for o in source.system.outputs]
    return params


def _metrics(source: Source, collector: Collector) -> list[dict[str, Any]]:
    names = {m.id: m.name for m in source.evaluation.metrics}
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


def _considerations(source: Source) -> dict[str, Any]:
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
        "useCases": [use.purpose, *use.benefits],
        "technicalLimitations": [*risk.limitations, *risk.failure_modes],
    }
    if ethical:
        considerations["ethicalConsiderations"] = ethical
    fairness = _fairness(source)
    if fairness:
        considerations["fairnessAssessments"] = fairness
    return considerations


def _fairness(source: Source) -> list[dict[str, str]]:
    out = [{"groupAtRisk": bias} for bias in source.risk.biases]
    fairness = source.evaluation.fairness
    if fairness:
        names = {f.id: f.name for f in source.factors.relevant}
        group = ", ".join(names.get(f, f) for f in source.factors.evaluation) or "all evaluated groups"
        entry = {"groupAtRisk": group, "harms": fairness.findings or fairness.approach}
        if fairness.mitigations:
            entry["mitigationStrategy"] = "; ".join(fairness.mitigations)
        out.append(entry)
    return out


def _data_component(d: Dataset, i: int, collector: Collector) -> dict[str, Any]:
    data: dict[str, Any] = {"type": "dataset", "name": d.name}
    count = collector.number(d.composition.count, f"datasets[{i}].composition.count")
    if count is not None:
        data["contents"] = {"properties": [{"name": "count", "value": fmt_number(count)}]}
    data["classification"] = d.role
    if d.composition.sensitive:
        data["sensitiveData"] = [d.composition.sensitive]
    data["governance"] = {"owners": [{"organization": {"name": d.maintenance.owner}}]}
    component: dict[str, Any] = {"type": "data", "bom-ref": f"data:{d.id}", "name": d.name}
    if d.version:
        component["version"] = d.version
    component["description"] = d.motivation.purpose
    if d.distribution.license:
        component["licenses"] = [{"expression": d.distribution.license}]
    component["data"] = [data]
    return component
