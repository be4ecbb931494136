"""Import stage, Hugging Face: map a model card's front matter, `model-index` and sections onto a partial source.

Sections are read by what their heading means (`headings`), so a card in the Hub's template, a Trainer card, a
research lab's Markdown card or a bare README all map; the template's own bullet formats (what the Hugging Face
export writes) are read exactly first, so a round trip gives back what was exported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.interop import headings as h
from compiler.interop import hf
from compiler.interop.hf_card import as_list, is_number, number, read_card, sections, spdx, table_row, yaml_scalar
from compiler.interop.importing import Imported, slug

_LABELLED = re.compile(r"^[-*][ \t]+\*\*(.+?):\*\*[ \t]*(.*)$")
_DATASET = re.compile(r"^- \*\*(.+?)\*\* \(`([^`]+)`, ([a-z]+)\): (.*)$")
_FACTOR = re.compile(r"^- \*\*(.+?)\*\* \(`([^`]+)`\): (.*)$")
_THRESHOLD = re.compile(r"^- Decision threshold `([^`]+)`( \(default\))?: (\S+) — (.*)$")
_KEYED = re.compile(r"^- `([^`]+)`: (.*)$")
_CONTACT = re.compile(r"^(?P<name>[^<(]+?)\s*(?:<(?P<email>[^>\s]+@[^>\s]+)>)?\s*(?:\((?P<url>https?://[^)\s]+)\))?$")
_URL = re.compile(r"^https?://[^\s<>\"']+$")

_SPLIT = {v: k for k, v in hf.ROLE_SPLIT.items()} | {"val": "tune", "dev": "tune", "eval": "test", "evaluation": "test"}
_SKIPPED_METRICS = re.compile(r"(runtime|samples_per_second|steps_per_second|^step$|^epoch$)", re.I)
_LAST_UPDATED = re.compile(r"^\s*(last updated|updated|last modified|date)\s*:.*$", re.I | re.M)


def read(path: Path) -> Imported:
    """Parse a Hugging Face model card; invalid front matter is an error that names line and column."""
    front, body = read_card(path)
    imported = Imported("hf", path.name)
    reader = Reader(imported)
    reader.front_matter(front)
    reader.body(body)
    reader.finish()
    return imported


def split_role(split: str) -> str | None:
    """The dataset role a split names (`validation_mismatched` -> tune), or None when it names none."""
    s = split.strip().lower()
    if s in _SPLIT:
        return _SPLIT[s]
    if s.startswith("train"):
        return "train"
    if re.match(r"^(valid|dev|val\b|val_)", s):
        return "tune"
    if re.match(r"^test", s):
        return "test"
    return None


class Reader(h.Sections):
    def __init__(self, imported: Imported) -> None:
        super().__init__(imported)
        self.table: list[dict[str, Any]] = []
        self.factors: list[dict[str, Any]] = []
        self.thresholds: list[dict[str, Any]] = []
        self.output_name: str | None = None
        self.pipeline: Any = None

    # --- front matter ------------------------------------------------------------------------

    def front_matter(self, front: dict[str, Any]) -> None:
        front = dict(front)
        self.pipeline = front.get("pipeline_tag")
        self._front_license(
            front.pop("license", None), front.pop("license_name", None), front.pop("license_link", None)
        )
        languages = as_list(front.pop("language", None))
        if languages:
            self.model["languages"] = [str(x) for x in languages]
        tags = as_list(front.pop("tags", None))
        if tags:
            self.model["keywords"] = [str(x) for x in tags]
        for name in as_list(front.pop("datasets", None)):  # the Hub's `datasets` are the training data
            self.dataset(str(name), role="train", trained=True)
        for name in as_list(front.pop("metrics", None)):
            self.metric(str(name))
        base = as_list(front.pop("base_model", None))
        if base:
            self.system["pretrained"] = [{"name": str(b), "source": "Hugging Face Hub"} for b in base]
        if isinstance(front.get("model_name"), str):
            self.model["name"] = front.pop("model_name")
        self._model_index(front.pop("model-index", None))
        for key, value in front.items():
            self.imp.keep(f"front matter: {key}", value)

    def _front_license(self, license_id: Any, name: Any, link: Any) -> None:
        if license_id is None:
            return
        text = str(license_id)
        if text == "other" and isinstance(name, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$|^LicenseRef-", name):
            self.model["license"] = name if name.startswith("LicenseRef-") else hf.HF_LICENSES.get(name.lower(), name)
        elif text != "other" and spdx(text):
            self.model["license"] = spdx(text)
        else:
            self.imp.keep("front matter: license", text)
            self.model["license"] = "LicenseRef-" + slug(str(name or "other"))
        if name is not None and self.model.get("license") != name:
            self.imp.keep("front matter: license_name", name)
        if link is not None:
            self.imp.keep("front matter: license_link", link)

    def _model_index(self, index: Any) -> None:
        if index is None:
            return
        if not isinstance(index, list) or not all(isinstance(e, dict) for e in index):
            self.imp.keep("front matter: model-index", index)
            return
        results = [r for entry in index for r in entry.get("results") or []]
        for entry in index:
            if isinstance(entry.get("name"), str):
                self.model.setdefault("name", entry["name"])
        names = _names_per_type(results)
        for result in results:
            self._index_result(result, names)

    def _index_result(self, result: Any, names: dict[str, set[str]]) -> None:
        task = result.get("task") if isinstance(result, dict) else None
        dataset = result.get("dataset") if isinstance(result, dict) else None
        if not isinstance(task, dict) or not isinstance(result.get("metrics"), list):
            self.imp.keep("model-index result", result)
            return
        if isinstance(task.get("name"), str):
            self.output_name = self.output_name or task["name"]
        if task.get("type") not in (hf.TASK_TYPE, self.pipeline):
            self.imp.keep("model-index task", task)
        ds = self._index_dataset(dataset if isinstance(dataset, dict) else {})
        for metric in result["metrics"]:
            value = number(metric.get("value")) if isinstance(metric, dict) else None
            if value is None or not metric.get("type"):
                self.imp.keep("model-index metric", metric)
                continue
            kind, name = str(metric["type"]), metric.get("name")
            distinct = isinstance(name, str) and len(names.get(kind, set())) > 1
            mid = self.metric(name if distinct else kind, name)
            if isinstance(metric.get("value"), str) and str(metric["value"]).strip().endswith("%"):
                self.metrics[mid]["unit"] = "%"
            row: dict[str, Any] = {"metric": mid, "value": value, "dataset": ds}
            if isinstance(metric.get("config"), str):
                row["operating_point"] = slug(metric["config"])
            if any(_same(r, row) for r in self.results):
                self.imp.keep("model-index metric (a second value for the same metric and dataset)", metric)
                continue
            self.results.append(row)
            self.index_results += 1
            extra = {k: v for k, v in metric.items() if k not in ("type", "name", "value", "config")}
            if extra:
                self.imp.keep(f"model-index metric {metric['type']}", extra)

    def _index_dataset(self, d: dict[str, Any]) -> str:
        """The dataset of a model-index result: one per type, config and split, so that results stay apart."""
        if not d.get("type") and not d.get("name"):
            return self.unspecified()
        kind = str(d.get("type") or d.get("name"))
        config = d.get("config") if isinstance(d.get("config"), str) else None
        split = d.get("split") if isinstance(d.get("split"), str) else None
        role = split_role(split) if split else None
        did = slug(kind)
        known = self.datasets.get(did)
        # Apart from the same type's entry when that is training data (front matter) or another config or split.
        apart = known is not None and (
            bool(config)
            or (known.get("_trained") and role not in ("train", "tune"))
            or known.get("_split", split) != split
        )
        if apart:
            did = slug("-".join(x for x in (kind, config, split or "evaluation") if x))
        entry = self.dataset(kind, d.get("name"), role or "test", did=did)
        entry["_split"] = split
        if role is None:
            self.imp.confirm[did] = (
                f"TODO: confirm the role (the card names split {split!r})"
                if split
                else ("TODO: confirm the role (the card names no split)")
            )
        parts = [f"{config} config" if config else "", f"{split} split" if split else ""]
        if any(parts):
            entry["version"] = ", ".join(p for p in parts if p)
        extra = {k: v for k, v in d.items() if k not in ("type", "name", "split", "config")}
        if extra:
            self.imp.keep(f"model-index dataset {kind}", extra)
        return did

    # --- body --------------------------------------------------------------------------------

    def body(self, body: str) -> None:
        parents: list[tuple[int, str | None]] = []
        for level, title, raw in sections(body):
            text = self.citations(_informative(raw))
            while parents and parents[-1][0] >= level:
                parents.pop()
            own = h.classify(title) if title else None
            kind = h.in_context(own, [k for _, k in parents])
            parents.append((level, kind))
            if level == 0 or (not self.titled and own is None and not self.intro):
                self._title(title, text)
                continue
            self.titled = True
            template = SECTIONS.get(h.normalise(title))
            rest = template(self, text) if template is not None and text else text
            if rest and kind is not None:
                rest = self.section(kind, title, rest, unchanged=rest == text)
            if rest:
                self.imp.keep(f"section: {title}", rest)

    def _title(self, title: str, text: str) -> None:
        """The card's first heading and the text before the first section: the model's name and introduction."""
        if title:
            self.titled = True
            name = h.model_name_from_title(title)
            if name and "://" not in name:
                self.model.setdefault("name", name)
            elif title:
                self.imp.keep("heading", title)
        for line in _LAST_UPDATED.finditer(text):
            self.imp.keep("introduction: date line", line.group(0).strip())
        full = _LAST_UPDATED.sub("", text)
        lines = [x for x in full.split("\n") if "[![" not in x]
        intro = re.sub(r"<style>.*?</style>", "", "\n".join(lines), flags=re.S).strip()
        self.intro = "\n\n".join(p for p in (self.intro, intro) if p)

    def eval_set_results(self, text: str) -> str:
        """The Trainer's "It achieves the following results on the evaluation set" list, when the card has
        no model-index results: each line one result on the evaluation set of the dataset the card names."""
        if self.index_results or "results on the evaluation set" not in text:
            return text
        on = re.search(r"on the (.+?) dataset", text)
        did = h.UNSPECIFIED
        if on:
            did = slug(f"{on.group(1)}-evaluation")
            self.dataset(on.group(1), f"{on.group(1)} (evaluation set)", did=did)
            self.imp.confirm[did] = "TODO: confirm the role (the card says 'evaluation set')"
        else:
            self.unspecified()
        for line in text.split("\n"):
            pair = h.PAIR.match(line)
            value = number(pair.group(2)) if pair else None
            if pair and value is not None and not _SKIPPED_METRICS.search(pair.group(1)):
                name = re.sub(r"^eval_", "", pair.group(1).strip())
                self.results.append({"metric": self.metric(name, name), "value": value, "dataset": did})
        return text

    # --- the template's own formats (what the Hugging Face export writes) ---------------------

    def _labelled_description(self, text: str) -> str:
        plain: list[str] = []
        for line in text.split("\n"):
            match = _LABELLED.match(line.strip())
            if not match:
                plain.append(line)
            elif not self._labelled(match.group(1).strip(), match.group(2).strip()):
                self.imp.keep(f"Model Description: {match.group(1).strip()}", match.group(2).strip())
        return "\n".join(plain).strip()

    def _labelled(self, label: str, value: str) -> bool:
        if value in ("", hf.NO_INFO):
            return True
        if label == hf.DEVELOPED_BY:
            separator = ";" if ";" in value else ","
            self.model["developers"] = [{"name": n.strip()} for n in value.split(separator) if n.strip()]
        elif label == hf.FUNDED_BY:
            self.model["funding"] = value
        elif label == hf.MODEL_TYPE:
            self.model["type"] = value
        elif label.startswith("Language") and "languages" not in self.model:
            self.model["languages"] = [x.strip() for x in value.split(",") if x.strip()]
        elif label == hf.VERSION and re.match(r"^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.+-]+)?$", value):
            self.model["version"] = value
        elif label == hf.RELEASE_DATE and re.match(r"^\d{4}-\d{2}-\d{2}$", value):
            self.model["release_date"] = value
        elif label == hf.FINETUNED_FROM and "pretrained" not in self.system:
            self.system["pretrained"] = [{"name": n.strip(), "source": "Hugging Face Hub"} for n in value.split(",")]
        else:
            # Licence and languages already come from the front matter; anything else is kept.
            return label in (hf.LICENSE, hf.FINETUNED_FROM) or label.startswith("Language")
        return True

    def _sources(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            match = _LABELLED.match(line.strip())
            if match and match.group(1) == hf.PAPER and _URL.match(match.group(2).strip()):
                self.model.setdefault("papers", []).append(match.group(2).strip())
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _datasets_section(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            match = _DATASET.match(line.strip())
            if match and match.group(3) in hf.ROLE_SPLIT:
                did = self.dataset(match.group(2), match.group(1))["id"]
                self.datasets[did]["role"] = match.group(3)
                self.datasets[did]["motivation"] = {"purpose": match.group(4)}
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _factors(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            match = _FACTOR.match(line.strip())
            if match and re.match(r"^[a-z0-9][a-z0-9._-]*$", match.group(2)):
                levels = [x.strip() for x in match.group(3).split(",") if x.strip()]
                self.factors.append({"id": match.group(2), "name": match.group(1), "levels": levels})
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _metrics_section(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            metric, threshold = _FACTOR.match(line.strip()), _THRESHOLD.match(line.strip())
            if threshold and is_number(yaml_scalar(threshold.group(3))):
                op = {"id": slug(threshold.group(1)), "threshold": float(yaml_scalar(threshold.group(3)))}
                op |= {"rationale": threshold.group(4)} | ({"default": True} if threshold.group(2) else {})
                self.thresholds.append(op)
            elif metric:
                mid = self.metric(metric.group(2), metric.group(1))
                self.metrics[mid]["rationale"] = metric.group(3)
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _hyperparameters_template(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            labelled, keyed = _LABELLED.match(line.strip()), _KEYED.match(line.strip())
            if labelled and labelled.group(1) == hf.REGIME:
                self.training["algorithm"] = labelled.group(2).strip()
            elif keyed:
                value = yaml_scalar(keyed.group(2))
                self.training.setdefault("hyperparameters", {})[keyed.group(1)] = (
                    value if isinstance(value, (str, int, float, bool)) else keyed.group(2)
                )
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _software_template(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            keyed = _KEYED.match(line.strip())
            if keyed:
                self.system.setdefault("software_versions", {})[keyed.group(1)] = keyed.group(2).strip()
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _results_table(self, text: str) -> str:
        lines = [line.strip() for line in text.split("\n") if line.strip()]
        header = "| Metric | Dataset | Subgroup | Operating point | Value | 95% CI | n |"
        if not lines or lines[0] != header:
            return text
        names = {m.get("name", mid): mid for mid, m in self.metrics.items()}
        rest = []
        for line in lines[2:]:
            row = table_row(line, names)
            if row is None:
                rest.append(line)
            else:
                self.table.append(row)
        return "\n".join([header, lines[1], *rest]) if rest else ""

    def _owner(self, text: str) -> str:
        self.model["owner"] = text
        return ""

    def _contact_line(self, text: str) -> str:
        match = _CONTACT.match(" ".join(text.split()))
        if not match or not text:
            return text
        self.model["contact"] = {k: v for k, v in match.groupdict().items() if v}
        return ""

    # --- assembling --------------------------------------------------------------------------

    def finish(self) -> None:
        data = self.imp.data
        intro = self.eval_set_results(self.intro)
        evaluated = [
            d["motivation"]["purpose"] for d in self.datasets.values() if d.get("motivation", {}).get("purpose")
        ]
        self.infer([intro, self.model.get("summary", ""), *evaluated])
        if intro and "summary" not in self.model:
            self.model["summary"] = intro
        elif intro:
            self.imp.keep("section: introduction", intro)
        if self.citations_found:
            self.model["citation"] = "\n\n".join(self.citations_found)
        self._merge_table()
        if self.output_name or self.thresholds:
            output: dict[str, Any] = {"name": self.output_name} if self.output_name else {}
            if self.thresholds:
                output["operating_points"] = self.thresholds
            self.system["outputs"] = [output]
        known_ops = {op["id"] for op in self.thresholds}
        for r in self.results:
            if r.get("operating_point") not in known_ops and "operating_point" in r:
                self.imp.keep(f"model-index config of {r['metric']}", r.pop("operating_point"))
        if self.training:
            self.system["training"] = self.training
        if self.architecture:
            self.system["architecture"] = self.architecture
        parts = {"model": self.model, "intended_use": self.use, "system": self.system, "risk": self.risk}
        data.update({k: v for k, v in parts.items() if v})
        if self.datasets:
            data["datasets"] = [{k: v for k, v in d.items() if not k.startswith("_")} for d in self.datasets.values()]
        evaluation: dict[str, Any] = {}
        if self.metrics:
            _kinds_from_values(self.metrics, self.results)
            evaluation["metrics"] = list(self.metrics.values())
        if self.results:
            evaluation["results"] = self.results
        if evaluation:
            data["evaluation"] = evaluation
        if self.factors:
            data["factors"] = {"relevant": self.factors}

    def _merge_table(self) -> None:
        """Sliced rows of the results table are added; overall rows lend their CI and n to model-index values."""
        factor_levels = {f["id"]: f["levels"] for f in self.factors}
        for row in self.table:
            same = [r for r in self.results if _same_result(r, row)]
            slices_known = all(level in factor_levels.get(f, []) for f, level in row.get("slice", {}).items())
            if same:
                same[0].update({k: v for k, v in row.items() if k in ("ci_low", "ci_high", "n")})
            elif slices_known and (row.get("dataset") is None or row.get("dataset") in self.datasets):
                self.results.append(row)
            else:
                self.imp.keep("results table row", row)


Template = Callable[[Reader, str], str]

SECTIONS: dict[str, Template] = {
    "model description": Reader._labelled_description,
    "model sources": Reader._sources,
    "training data": Reader._datasets_section,
    "testing data": Reader._datasets_section,
    "training hyperparameters": Reader._hyperparameters_template,
    "factors": Reader._factors,
    "metrics": Reader._metrics_section,
    "results": Reader._results_table,
    "software": Reader._software_template,
    "model card authors": Reader._owner,
    "model card contact": Reader._contact_line,
}
"""The template's own bullet formats, read exactly before a section's meaning is (headings: `Sections`)."""


def _same_result(result: dict[str, Any], row: dict[str, Any]) -> bool:
    keys = ("metric", "dataset", "operating_point")
    return not row.get("slice") and all(result.get(k) == row.get(k) for k in keys)


def _kinds_from_values(metrics: dict[str, dict[str, Any]], results: list[dict[str, Any]]) -> None:
    """A card says nothing of a metric's kind, and a metric is a proportion unless told otherwise: one whose
    values or bounds leave [0, 1] (a latency in ms, an uplift that may be negative) is imported as `other`, so
    that the new source does not break the proportion rule with the card's own numbers."""
    for mid, metric in metrics.items():
        values = [r.get(k) for r in results if r.get("metric") == mid for k in ("value", "ci_low", "ci_high")]
        if "kind" not in metric and any(is_number(v) and not 0 <= float(v) <= 1 for v in values):
            metric["kind"] = "other"


def _names_per_type(results: list[Any]) -> dict[str, set[str]]:
    """The display names each metric type carries across a card's results ("Test WER", "Dev WER (+LM)")."""
    names: dict[str, set[str]] = {}
    for result in results:
        metrics = result.get("metrics") if isinstance(result, dict) else None
        for m in metrics if isinstance(metrics, list) else []:
            if isinstance(m, dict) and m.get("type"):
                names.setdefault(str(m["type"]), set()).add(str(m.get("name") or m["type"]))
    return names


def _same(a: dict[str, Any], b: dict[str, Any]) -> bool:
    keys = ("metric", "dataset", "operating_point", "slice")
    return all(a.get(k) == b.get(k) for k in keys)


_PLACEHOLDER_TEXT = re.compile(r"^\s*(\[more information needed\]|more information needed\.?)\s*$", re.I | re.M)


def _informative(text: str) -> str:
    """The section without the template's "More information needed" lines and HTML comments."""
    text = "" if text.strip() == hf.NO_INFO else text
    return _PLACEHOLDER_TEXT.sub("", text).strip()
