"""Export stage, Hugging Face: a README.md with `ModelCardData` front matter and the Hub's model card sections."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

import yaml

from compiler.interop.losses import Collector, fmt_number
from compiler.schema import Source

# Hub licence ids for the SPDX ids that have one; any other expression goes out as `other` + `license_name`.
_HUB_LICENSES = """
Apache-2.0 MIT BSD-2-Clause BSD-3-Clause GPL-2.0 GPL-3.0 LGPL-3.0 AGPL-3.0 MPL-2.0 EPL-2.0 CC0-1.0 CC-BY-4.0
CC-BY-SA-4.0 CC-BY-NC-4.0 CC-BY-NC-SA-4.0 CC-BY-NC-ND-4.0 OpenRAIL BigScience-OpenRAIL-M CreativeML-OpenRAIL-M
Artistic-2.0 BSL-1.0 ISC Unlicense WTFPL ODbL-1.0 PDDL-1.0 Llama2 Llama3 Gemma
"""
HF_LICENSES: dict[str, str] = {spdx.lower(): spdx for spdx in _HUB_LICENSES.split()}

# Dataset role <-> model-index split.
ROLE_SPLIT = {
    "train": "train",
    "tune": "validation",
    "test": "test",
    "external": "external",
    "monitoring": "monitoring",
    "corpus": "corpus",
}
TASK_TYPE = "other"
# Hub pipeline tags, each with words that name its input and words that name its output (or the model type): the
# first whose words both occur in the source decides. Data, not code: add a row for another task.
TASKS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("image-segmentation", ("image", "scan", "ct", "mri"), ("segmentation", "mask", "contour")),
    ("object-detection", ("image", "video", "photograph"), ("bounding box", "boxes", "detection")),
    ("image-classification", ("image", "radiograph", "photograph"), ("flag", "class", "label", "probability")),
    ("automatic-speech-recognition", ("audio", "speech"), ("transcript", "transcription")),
    ("audio-classification", ("audio", "speech"), ("class", "label")),
    ("text-generation", ("text",), ("generated", "generation", "llm", "chat")),
    ("translation", ("text",), ("translation", "translated")),
    ("token-classification", ("text",), ("entities", "entity", "tags")),
    ("text-classification", ("text",), ("label", "class", "sentiment", "flag", "probability")),
    ("tabular-classification", ("tabular", "table", "record", "records"), ("class", "label", "probability", "flag")),
    ("tabular-regression", ("tabular", "table", "record", "records"), ("regression", "estimate")),
)
NO_INFO = "[More Information Needed]"

# Bullet labels of the Model Description section (the Hub template's, plus version and release date).
DEVELOPED_BY = "Developed by"
FUNDED_BY = "Funded by"
MODEL_TYPE = "Model type"
LANGUAGES = "Language(s)"
LICENSE = "License"
VERSION = "Version"
RELEASE_DATE = "Release date"
FINETUNED_FROM = "Finetuned from model"
PAPER = "Paper"
REGIME = "Training regime"

MAPPING: tuple[tuple[str, str], ...] = (
    ("model.name", "front matter `model-index[].name`; title `# Model Card for …`"),
    ("model.summary", "### Model Description (text)"),
    ("model.developers[].name", "### Model Description: **Developed by**"),
    ("model.funding", "### Model Description: **Funded by**"),
    ("model.type", "### Model Description: **Model type**"),
    ("model.languages", "front matter `language`"),
    ("model.license", "front matter `license` (+ `license_name` when `license: other`)"),
    ("model.version", "### Model Description: **Version**"),
    ("model.release_date", "### Model Description: **Release date**"),
    ("model.keywords", "front matter `tags`"),
    ("model.papers", "### Model Sources: **Paper**"),
    ("model.citation", "## Citation"),
    ("model.owner", "## Model Card Authors"),
    ("model.contact.name", "## Model Card Contact"),
    ("model.contact.email", "## Model Card Contact"),
    ("model.contact.url", "## Model Card Contact"),
    ("intended_use.purpose", "### Direct Use"),
    ("intended_use.out_of_scope", "### Out-of-Scope Use"),
    ("intended_use.instructions", "## How to Get Started with the Model"),
    ("risk.limitations", "## Bias, Risks, and Limitations"),
    ("risk.biases", "### Known Biases"),
    ("risk.failure_modes", "### Failure Modes"),
    ("system.pretrained[].name", "front matter `base_model` (Hub model ids only); **Finetuned from model**"),
    ("system.inputs[].type", "front matter `pipeline_tag`; `model-index[].results[].task.type` (with the outputs)"),
    ("system.outputs[].type", "front matter `pipeline_tag`; `model-index[].results[].task.type` (with the inputs)"),
    ("system.preprocessing", "#### Preprocessing"),
    ("system.training.algorithm", "#### Training Hyperparameters: **Training regime**"),
    ("system.training.hyperparameters", "#### Training Hyperparameters (one bullet each)"),
    ("system.architecture.summary", "### Model Architecture and Objective"),
    ("system.hardware", "#### Hardware"),
    ("system.software_versions", "#### Software"),
    ("system.outputs[].operating_points[].id", "#### Metrics: decision threshold bullets; `metrics[].config`"),
    ("system.outputs[].operating_points[].threshold", "#### Metrics: decision threshold bullets"),
    ("system.outputs[].operating_points[].rationale", "#### Metrics: decision threshold bullets"),
    ("system.outputs[].operating_points[].default", "#### Metrics: decision threshold bullets"),
    ("datasets[].id", "front matter `datasets` (train and tune only); `model-index[].results[].dataset.type`"),
    ("datasets[].name", "`model-index[].results[].dataset.name`"),
    ("datasets[].role", "`model-index[].results[].dataset.split` (tune = validation); ### Training/Testing Data"),
    ("datasets[].motivation.purpose", "### Training Data / #### Testing Data (one bullet per dataset)"),
    ("factors.relevant[].id", "#### Factors"),
    ("factors.relevant[].name", "#### Factors"),
    ("factors.relevant[].levels", "#### Factors"),
    ("evaluation.metrics[].id", "front matter `metrics`; `model-index[].results[].metrics[].type`"),
    ("evaluation.metrics[].name", "`metrics[].name`; #### Metrics"),
    ("evaluation.metrics[].rationale", "#### Metrics"),
    ("evaluation.results[].metric", "`model-index[].results[].metrics[].type` (overall results)"),
    ("evaluation.results[].value", "`model-index[].results[].metrics[].value` (overall results)"),
    ("evaluation.results[].dataset", "`model-index[].results[].dataset` (overall results)"),
    ("evaluation.results[].operating_point", "`model-index[].results[].metrics[].config` (overall results)"),
    ("evaluation.results[].slice", "### Results table: Subgroup (model-index has no place for slices)"),
    ("evaluation.results[].ci_low", "### Results table: 95% CI (model-index has no place for intervals)"),
    ("evaluation.results[].ci_high", "### Results table: 95% CI"),
    ("evaluation.results[].n", "### Results table: n"),
    ("evaluation.results[].sd", "### Results table: SD (model-index has no place for a standard deviation)"),
)


def filename(source: Source) -> str:
    return "README.md"


def task_of(source: Source) -> str | None:
    """The Hub pipeline tag the source's inputs, outputs and model type name, or None when no row of TASKS fits."""
    inputs = " ".join(f"{i.name} {i.type}" for i in source.system.inputs).lower()
    outputs = " ".join(f"{o.name} {o.type}" for o in source.system.outputs).lower() + " " + source.model.type.lower()
    for task, input_words, output_words in TASKS:
        if _names_any(inputs, input_words) and _names_any(outputs, output_words):
            return task
    return None


_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


def is_hub_model(name: str, where: str) -> bool:
    """Whether a pretrained component is a Hugging Face Hub model: named by its Hub id, from the Hub."""
    return bool(_HUB_ID.match(name)) and "hugging face" in where.lower()


def _names_any(text: str, words: tuple[str, ...]) -> bool:
    return any(re.search(rf"\b{re.escape(word)}\b", text) for word in words)


def hf_license(spdx: str) -> tuple[str, str | None]:
    """(Hub licence id, license_name) for an SPDX expression."""
    if spdx.lower() in HF_LICENSES:
        return spdx.lower(), None
    return "other", spdx


def write(source: Source, collector: Collector) -> str:
    if source.model.status != "draft":
        collector.changed(
            "model.status", f"a Hub card has no status: '{source.model.status}' becomes 'draft' on import"
        )
    front = front_matter(source, collector)
    head = yaml.safe_dump(front, sort_keys=False, allow_unicode=True, width=10_000)
    return f"---\n{head}---\n\n{body(source, collector)}"


def front_matter(source: Source, collector: Collector) -> dict[str, Any]:
    m = source.model
    license_id, license_name = hf_license(m.license)
    data: dict[str, Any] = {"license": license_id}
    if license_name:
        data["license_name"] = license_name
    if m.languages:
        data["language"] = list(m.languages)
    if m.keywords:
        data["tags"] = list(m.keywords)
    # The Hub's `datasets` are the training data; test sets appear in model-index with their split.
    trained = [d.id for d in source.datasets if d.role in ("train", "tune")]
    if trained:
        data["datasets"] = trained
    data["metrics"] = [metric.id for metric in source.evaluation.metrics]
    task = task_of(source)
    if task:
        data["pipeline_tag"] = task
    how = (
        f"only the Hub task they name is carried ('{task}')" if task else f"no Hub task fits; the task is '{TASK_TYPE}'"
    )
    collector.changed("system.inputs[].type", how, len(source.system.inputs))
    collector.changed("system.outputs[].type", how, len(source.system.outputs))
    hub = [p.name for p in source.system.pretrained if is_hub_model(p.name, p.source)]
    if hub:
        data["base_model"] = hub
    others = len(source.system.pretrained) - len(hub)
    if others:
        how = "not a Hub model id, so not in `base_model`; named under 'Finetuned from model'"
        collector.changed("system.pretrained[].name", how, others)
    index = model_index(source, collector)
    if index:
        data["model-index"] = index
    return data


def model_index(source: Source, collector: Collector) -> list[dict[str, Any]]:
    """Overall results (no slice) grouped by dataset; model-index has no place for slices, CIs or n."""
    names = {m.id: m.name for m in source.evaluation.metrics}
    datasets = {d.id: d for d in source.datasets}
    grouped: dict[str, list[dict[str, Any]]] = {}
    for i, r in enumerate(source.evaluation.results):
        if r.slice or r.dataset is None:
            continue
        value = collector.number(r.value, f"evaluation.results[{i}].value")
        if value is None:
            continue
        entry: dict[str, Any] = {"type": r.metric, "value": value, "name": names[r.metric]}
        if r.operating_point:
            entry["config"] = r.operating_point
        grouped.setdefault(r.dataset, []).append(entry)
    task = {"type": task_of(source) or TASK_TYPE, "name": source.system.outputs[0].name}
    results = [
        {
            "task": dict(task),
            "dataset": {"type": ds, "name": datasets[ds].name, "split": ROLE_SPLIT[datasets[ds].role]},
            "metrics": metrics,
        }
        for ds, metrics in grouped.items()
    ]
    return [{"name": source.model.name, "results": results}] if results else []


# --- body --------------------------------------------------------------------------------------


def body(source: Source, collector: Collector) -> str:
    m, use, risk, system = source.model, source.intended_use, source.risk, source.system
    out: list[str] = [f"# Model Card for {m.name}", ""]
    out += ["## Model Details", "", "### Model Description", "", m.summary, ""]
    out += _bullets(_description(source))
    if m.papers:
        out += ["### Model Sources", "", *[f"- **{PAPER}:** {url}" for url in m.papers], ""]
    out += ["## Uses", "", "### Direct Use", "", use.purpose, ""]
    out += ["### Out-of-Scope Use", "", *_list(use.out_of_scope)]
    out += ["## Bias, Risks, and Limitations", "", *_list(risk.limitations)]
    if risk.biases:
        out += ["### Known Biases", "", *_list(risk.biases)]
    if risk.failure_modes:
        out += ["### Failure Modes", "", *_list(risk.failure_modes)]
    if use.instructions:
        out += ["## How to Get Started with the Model", "", use.instructions, ""]
    out += _training(source)
    out += _evaluation(source, collector)
    out += [
        "## Technical Specifications",
        "",
        "### Model Architecture and Objective",
        "",
        system.architecture.summary,
        "",
    ]
    if system.hardware or system.software_versions:
        out += ["### Compute Infrastructure", ""]
        if system.hardware:
            out += ["#### Hardware", "", system.hardware, ""]
        if system.software_versions:
            out += ["#### Software", "", *[f"- `{k}`: {v}" for k, v in sorted(system.software_versions.items())], ""]
    if m.citation:
        out += ["## Citation", "", "```", m.citation, "```", ""]
    out += ["## Model Card Authors", "", m.owner, ""]
    out += ["## Model Card Contact", "", contact_line(m.contact.name, m.contact.email, m.contact.url), ""]
    return "\n".join(out)


def contact_line(name: str, email: str | None, url: str | None) -> str:
    return name + (f" <{email}>" if email else "") + (f" ({url})" if url else "")


def _description(source: Source) -> list[tuple[str, str]]:
    m = source.model
    # Semicolons, since names such as "Acme, Inc." hold commas.
    rows = [(DEVELOPED_BY, "; ".join(d.name for d in m.developers))]
    if m.funding:
        rows.append((FUNDED_BY, " ".join(m.funding.split())))
    rows.append((MODEL_TYPE, m.type))
    if m.languages:
        rows.append((LANGUAGES, ", ".join(m.languages)))
    rows += [(LICENSE, m.license), (VERSION, m.version)]
    rows += [(RELEASE_DATE, m.release_date.isoformat())] if m.release_date else []
    if source.system.pretrained:
        rows.append((FINETUNED_FROM, ", ".join(p.name for p in source.system.pretrained)))
    return rows


def _training(source: Source) -> list[str]:
    training = source.system.training
    out = ["## Training Details", "", "### Training Data", ""]
    out += _datasets(d for d in source.datasets if d.role in ("train", "tune"))
    out += ["### Training Procedure", ""]
    if source.system.preprocessing:
        out += ["#### Preprocessing", "", source.system.preprocessing, ""]
    out += ["#### Training Hyperparameters", "", f"- **{REGIME}:** {training.algorithm}"]
    # YAML text keeps the type: 4.0 stays a float, '42' stays text.
    out += [f"- `{k}`: {_yaml_text(v)}" for k, v in sorted(training.hyperparameters.items())]
    return [*out, ""]


def _evaluation(source: Source, collector: Collector) -> list[str]:
    ev = source.evaluation
    out = ["## Evaluation", "", "### Testing Data, Factors & Metrics", "", "#### Testing Data", ""]
    out += _datasets(d for d in source.datasets if d.role not in ("train", "tune"))
    if source.factors.relevant:
        out += ["#### Factors", ""]
        out += [f"- **{f.name}** (`{f.id}`): {', '.join(f.levels)}" for f in source.factors.relevant] + [""]
    out += ["#### Metrics", ""]
    out += [f"- **{metric.name}** (`{metric.id}`): {metric.rationale}" for metric in ev.metrics]
    for i, output in enumerate(source.system.outputs):
        for j, op in enumerate(output.operating_points):
            threshold = collector.number(op.threshold, f"system.outputs[{i}].operating_points[{j}].threshold")
            if threshold is None:
                continue
            default = " (default)" if op.default else ""
            out.append(f"- Decision threshold `{op.id}`{default}: {_scalar(threshold)} — {op.rationale}")
    out += ["", "### Results", "", *results_table(source, collector), ""]
    return out


def results_table(source: Source, collector: Collector) -> list[str]:
    """Every result with its slice, interval, standard deviation (a column only when a result has one) and n: what
    model-index cannot hold."""
    names = {m.id: m.name for m in source.evaluation.metrics}
    with_sd = any(r.sd is not None for r in source.evaluation.results)
    heads = ["Metric", "Dataset", "Subgroup", "Operating point", "Value", "95% CI", *(["SD"] if with_sd else []), "n"]
    rows = ["| " + " | ".join(heads) + " |", "|" + "---|" * len(heads)]
    for i, r in enumerate(source.evaluation.results):
        value = collector.number(r.value, f"evaluation.results[{i}].value")
        if value is None:
            continue
        low = collector.number(r.ci_low, f"evaluation.results[{i}].ci_low")
        high = collector.number(r.ci_high, f"evaluation.results[{i}].ci_high")
        sd = collector.number(r.sd, f"evaluation.results[{i}].sd")
        subgroup = ", ".join(f"{k}={v}" for k, v in r.slice.items()) or "overall"
        ci = f"{_scalar(low)} – {_scalar(high)}" if low is not None and high is not None else ""
        n = "" if r.n is None or isinstance(r.n, str) else str(r.n)
        cells = [names[r.metric], r.dataset or "", subgroup, r.operating_point or "", _scalar(value), ci]
        cells += [("" if sd is None else _scalar(sd)), n] if with_sd else [n]
        rows.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return rows if len(rows) > 2 else [NO_INFO]


def _datasets(datasets: Iterable[Any]) -> list[str]:
    lines = [f"- **{d.name}** (`{d.id}`, {d.role}): {' '.join(d.motivation.purpose.split())}" for d in datasets]
    return [*lines, ""] if lines else [NO_INFO, ""]


def _bullets(rows: list[tuple[str, str]]) -> list[str]:
    return [*[f"- **{label}:** {value}" for label, value in rows], ""]


def _list(items: Iterable[str]) -> list[str]:
    return [*[f"- {' '.join(item.split())}" for item in items], ""]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return fmt_number(value)
    return str(value)


def _yaml_text(value: Any) -> str:
    text = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
    return text.removesuffix("\n").removesuffix("\n...").strip()


def _cell(text: str) -> str:
    return re.sub(r"\s+", " ", text).replace("|", "\\|")
