"""Import stage, Hugging Face: map a model card's front matter and template sections onto a partial source."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compiler.interop import hf
from compiler.interop.hf_card import as_list, is_number, read_card, section_key, sections, table_row, yaml_scalar
from compiler.interop.importing import Imported, slug

_LABELLED = re.compile(r"^[-*][ \t]+\*\*(.+?):\*\*[ \t]*(.*)$")
_DATASET = re.compile(r"^- \*\*(.+?)\*\* \(`([^`]+)`, ([a-z]+)\): (.*)$")
_FACTOR = re.compile(r"^- \*\*(.+?)\*\* \(`([^`]+)`\): (.*)$")
_THRESHOLD = re.compile(r"^- Decision threshold `([^`]+)`( \(default\))?: (\S+) — (.*)$")
_KEYED = re.compile(r"^- `([^`]+)`: (.*)$")
_BULLET = re.compile(r"^[-*+][ \t]+(.*)$")
_CONTACT = re.compile(r"^(?P<name>[^<(]+?)\s*(?:<(?P<email>[^>\s]+@[^>\s]+)>)?\s*(?:\((?P<url>https?://[^)\s]+)\))?$")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_SPLIT = {v: k for k, v in hf.ROLE_SPLIT.items()} | {"val": "tune", "dev": "tune", "eval": "test", "evaluation": "test"}


def read(path: Path) -> Imported:
    """Parse a Hugging Face model card; invalid front matter is an error that names line and column."""
    front, body = read_card(path)
    imported = Imported("hf", path.name)
    reader = _Reader(imported)
    reader.front_matter(front)
    reader.body(body)
    reader.finish()
    return imported


class _Reader:
    def __init__(self, imported: Imported) -> None:
        self.imp = imported
        self.model: dict[str, Any] = {}
        self.use: dict[str, Any] = {}
        self.risk: dict[str, Any] = {}
        self.system: dict[str, Any] = {}
        self.training: dict[str, Any] = {}
        self.architecture: dict[str, Any] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []
        self.table: list[dict[str, Any]] = []
        self.factors: list[dict[str, Any]] = []
        self.thresholds: list[dict[str, Any]] = []
        self.output_name: str | None = None
        self.intro = ""
        self.titled = False

    # --- front matter ------------------------------------------------------------------------

    def front_matter(self, front: dict[str, Any]) -> None:
        front = dict(front)
        self._license(front.pop("license", None), front.pop("license_name", None), front.pop("license_link", None))
        languages = as_list(front.pop("language", None))
        if languages:
            self.model["languages"] = [str(x) for x in languages]
        tags = as_list(front.pop("tags", None))
        if tags:
            self.model["keywords"] = [str(x) for x in tags]
        for name in as_list(front.pop("datasets", None)):
            self._dataset(str(name))
        for name in as_list(front.pop("metrics", None)):
            self._metric(str(name))
        base = as_list(front.pop("base_model", None))
        if base:
            self.system["pretrained"] = [{"name": str(b), "source": "Hugging Face Hub"} for b in base]
        if isinstance(front.get("model_name"), str):
            self.model["name"] = front.pop("model_name")
        self._model_index(front.pop("model-index", None))
        for key, value in front.items():
            self.imp.keep(f"front matter: {key}", value)

    def _license(self, license_id: Any, name: Any, link: Any) -> None:
        if license_id is None:
            return
        text = str(license_id)
        if text == "other" and isinstance(name, str) and re.match(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$|^LicenseRef-", name):
            self.model["license"] = name if name.startswith("LicenseRef-") or " " in name else _spdx(name)
        elif text in hf.HF_LICENSES:
            self.model["license"] = hf.HF_LICENSES[text]
        elif re.match(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$", text) and text != "other":
            self.model["license"] = text
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
        for entry in index:
            if isinstance(entry.get("name"), str):
                self.model.setdefault("name", entry["name"])
            for result in entry.get("results") or []:
                self._index_result(result)

    def _index_result(self, result: Any) -> None:
        task = result.get("task") if isinstance(result, dict) else None
        dataset = result.get("dataset") if isinstance(result, dict) else None
        if not isinstance(task, dict) or not isinstance(dataset, dict) or not dataset.get("type"):
            self.imp.keep("model-index result", result)
            return
        if isinstance(task.get("name"), str):
            self.output_name = self.output_name or task["name"]
        if task.get("type") != hf.TASK_TYPE:
            self.imp.keep("model-index task", task)
        ds = self._dataset(str(dataset["type"]), dataset.get("name"), dataset.get("split"))
        extra = {k: v for k, v in dataset.items() if k not in ("type", "name", "split")}
        if extra:
            self.imp.keep(f"model-index dataset {dataset['type']}", extra)
        for metric in result.get("metrics") or []:
            value = metric.get("value") if isinstance(metric, dict) else None
            if not isinstance(metric, dict) or not metric.get("type") or not is_number(value):
                self.imp.keep("model-index metric", metric)
                continue
            mid = self._metric(str(metric["type"]), metric.get("name"))
            row: dict[str, Any] = {"metric": mid, "value": float(value), "dataset": ds}
            if isinstance(metric.get("config"), str):
                row["operating_point"] = slug(metric["config"])
            self.results.append(row)
            extra = {k: v for k, v in metric.items() if k not in ("type", "name", "value", "config")}
            if extra:
                self.imp.keep(f"model-index metric {metric['type']}", extra)

    def _dataset(self, name: str, display: Any = None, split: Any = None) -> str:
        did = slug(name)
        entry = self.datasets.setdefault(did, {"id": did, "name": name})
        if isinstance(display, str) and display:
            entry["name"] = display
        if isinstance(split, str):
            entry["role"] = _SPLIT.get(split.lower(), "test")
        return did

    def _metric(self, name: str, display: Any = None) -> str:
        mid = slug(name)
        entry = self.metrics.setdefault(mid, {"id": mid})
        if isinstance(display, str) and display:
            entry["name"] = display
        return mid

    # --- body --------------------------------------------------------------------------------

    def body(self, body: str) -> None:
        for level, title, text in sections(body):
            text = "" if text == hf.NO_INFO else text
            handler = _SECTIONS.get(section_key(title))
            rest: str | None
            if level == 1 and title and not self.titled:
                self.model.setdefault("name", re.sub(r"^Model Card for\s+", "", title))
                self.intro, self.titled, rest = text, True, None
            elif handler is not None:
                rest = handler(self, text)
            else:
                rest = text
            if rest:
                self.imp.keep(f"section: {title or '(before the first heading)'}", rest)

    def _description(self, text: str) -> str:
        plain: list[str] = []
        for line in text.split("\n"):
            match = _LABELLED.match(line.strip())
            if not match:
                plain.append(line)
            elif not self._labelled(match.group(1).strip(), match.group(2).strip()):
                self.imp.keep(f"Model Description: {match.group(1).strip()}", match.group(2).strip())
        summary = "\n".join(plain).strip()
        if summary:
            self.model["summary"] = summary
        return ""

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

    def _items(self, text: str) -> list[str]:
        bullets = [m.group(1).strip() for line in text.split("\n") if (m := _BULLET.match(line.strip()))]
        return bullets if bullets else ([" ".join(text.split())] if text else [])

    def _datasets_section(self, text: str) -> str:
        rest = []
        for line in text.split("\n"):
            match = _DATASET.match(line.strip())
            if match and match.group(3) in hf.ROLE_SPLIT:
                did = self._dataset(match.group(2), match.group(1))
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
                mid = self._metric(metric.group(2), metric.group(1))
                self.metrics[mid]["rationale"] = metric.group(3)
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _hyperparameters(self, text: str) -> str:
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

    def _software(self, text: str) -> str:
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

    def _citation(self, text: str) -> str:
        code = re.sub(r"^(```|~~~)[\w-]*\n|\n?(```|~~~)$", "", text.strip())
        if code:
            self.model["citation"] = code.strip()
        return ""

    def _contact(self, text: str) -> str:
        match = _CONTACT.match(" ".join(text.split()))
        if not match or not text:
            return text
        self.model["contact"] = {k: v for k, v in match.groupdict().items() if v}
        return ""

    # --- assembling --------------------------------------------------------------------------

    def finish(self) -> None:
        data = self.imp.data
        if self.intro and "summary" not in self.model:
            self.model["summary"] = self.intro
        elif self.intro:
            self.imp.keep("section: introduction", self.intro)
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
            data["datasets"] = list(self.datasets.values())
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


Handler = Callable[[_Reader, str], str | None]


def _setter(section: str, key: str) -> Handler:
    """A handler that stores the section's text under one key of a part of the source."""

    def handle(reader: _Reader, text: str) -> None:
        if text:
            getattr(reader, section)[key] = text

    return handle


def _lister(section: str, key: str) -> Handler:
    """A handler that stores the section's bullets (or its one paragraph) as a list."""

    def handle(reader: _Reader, text: str) -> None:
        if text:
            getattr(reader, section)[key] = reader._items(text)

    return handle


_SECTIONS: dict[str, Handler] = {
    "model description": _Reader._description,
    "model sources": _Reader._sources,
    "direct use": _setter("use", "purpose"),
    "out-of-scope use": _lister("use", "out_of_scope"),
    "bias, risks, and limitations": _lister("risk", "limitations"),
    "known biases": _lister("risk", "biases"),
    "failure modes": _lister("risk", "failure_modes"),
    "how to get started with the model": _setter("use", "instructions"),
    "training data": _Reader._datasets_section,
    "testing data": _Reader._datasets_section,
    "preprocessing": _setter("system", "preprocessing"),
    "training hyperparameters": _Reader._hyperparameters,
    "factors": _Reader._factors,
    "metrics": _Reader._metrics_section,
    "results": _Reader._results_table,
    "model architecture and objective": _setter("architecture", "summary"),
    "hardware": _setter("system", "hardware"),
    "software": _Reader._software,
    "citation": _Reader._citation,
    "model card authors": _setter("model", "owner"),
    "model card contact": _Reader._contact,
}


def _same_result(result: dict[str, Any], row: dict[str, Any]) -> bool:
    keys = ("metric", "dataset", "operating_point")
    return not row.get("slice") and all(result.get(k) == row.get(k) for k in keys)


def _spdx(name: str) -> str:
    return hf.HF_LICENSES.get(name.lower(), name)


def _kinds_from_values(metrics: dict[str, dict[str, Any]], results: list[dict[str, Any]]) -> None:
    """A card says nothing of a metric's kind, and a metric is a proportion unless told otherwise: one whose
    values or bounds leave [0, 1] (a latency in ms, an uplift that may be negative) is imported as `other`, so
    that the new source does not break the proportion rule with the card's own numbers."""
    for mid, metric in metrics.items():
        values = [r.get(k) for r in results if r.get("metric") == mid for k in ("value", "ci_low", "ci_high")]
        if "kind" not in metric and any(is_number(v) and not 0 <= float(v) <= 1 for v in values):
            metric["kind"] = "other"
