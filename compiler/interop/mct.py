"""Import stage, Model Card Toolkit: read a Google MCT model card JSON (schema 0.0.1 or 0.0.2) into a partial source."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, TypeGuard

from compiler._util.paths import display_path
from compiler.errors import SourceError
from compiler.interop.hf_card import as_list, iso_date, number, spdx
from compiler.interop.importing import Imported, slug

_VERSION = re.compile(r"^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.+-]+)?$")
_URL = re.compile(r"^https?://[^\s<>\"']+$")
_EMAIL = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[A-Za-z]{2,}$")
_SPDX = re.compile(r"^[A-Za-z0-9][A-Za-z0-9.+-]*$")
SLICE_FACTOR = "slice"


def read(path: Path) -> Imported:
    """Parse an MCT JSON file; invalid JSON is an error that names line and column."""
    shown = display_path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourceError.at(shown, "file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError.at(shown, f"not UTF-8 text ({exc.reason})") from None
    try:
        card = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SourceError.at(shown, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(card, dict) or "model_details" not in card:
        raise SourceError.at(
            shown, "not a Model Card Toolkit card: expected an object with `model_details`", line=1, column=1
        )
    imported = Imported("mct", path.name)
    _Mapper(imported).card(card)
    return imported


class _Mapper:
    def __init__(self, imported: Imported) -> None:
        self.imp = imported
        self.data = imported.data

    def card(self, card: dict[str, Any]) -> None:
        card = dict(card)
        version = card.pop("schema_version", None)
        if version not in (None, "0.0.1", "0.0.2"):
            self.imp.keep("schema_version", version)
        self.details(_mapping(card.pop("model_details", None)))
        self.parameters(_mapping(card.pop("model_parameters", None)))
        self.analysis(_mapping(card.pop("quantitative_analysis", None)))
        self.considerations(_mapping(card.pop("considerations", None)))
        for key, value in card.items():
            self.imp.keep(key, value)

    def details(self, d: dict[str, Any]) -> None:
        model = self.data.setdefault("model", {})
        _text(model, "name", d.pop("name", None))
        overview, documentation = d.pop("overview", None), d.pop("documentation", None)
        _text(model, "summary", overview or documentation)
        if overview and documentation:
            self.imp.keep("model_details.documentation", documentation)
        owners = [o for o in d.pop("owners", None) or [] if isinstance(o, dict) and o.get("name")]
        if owners:
            model["developers"] = [{"name": str(o["name"])} for o in owners]
            model["owner"] = str(owners[0]["name"])
            model["contact"] = _contact(owners[0])
        self.version(model, _mapping(d.pop("version", None)))
        self.license(model, d.pop("license", None), d.pop("licenses", None))
        refs = [r.get("reference") if isinstance(r, dict) else r for r in d.pop("references", None) or []]
        papers = [r for r in refs if isinstance(r, str) and _URL.match(r)]
        if papers:
            model["papers"] = papers
        for r in refs:
            if r not in papers:
                self.imp.keep("model_details.references", r)
        citations = d.pop("citations", None) or as_list(d.pop("citation", None))
        texts = [c.get("citation") if isinstance(c, dict) else c for c in citations]
        texts = [t for t in texts if isinstance(t, str) and t.strip()]
        if texts:
            model["citation"] = "\n\n".join(str(t) for t in texts)
        for key, value in d.items():
            self.imp.keep(f"model_details.{key}", value)

    def version(self, model: dict[str, Any], v: dict[str, Any]) -> None:
        name, when, diff = v.pop("name", None), v.pop("date", None), v.pop("diff", None)
        entry: dict[str, Any] = {}
        if isinstance(name, str) and _VERSION.match(name):
            model["version"] = entry["version"] = name
        elif name is not None:
            self.imp.keep("model_details.version.name", name)
        day = iso_date(when) if isinstance(when, str) else None
        if day:
            model["release_date"] = entry["date"] = day
            if day != when:
                self.imp.keep("model_details.version.date (as written)", when)
        elif when is not None:
            self.imp.keep("model_details.version.date", when)
        if diff:
            entry["changes"] = str(diff)
        if entry:
            self.data["lifecycle"] = {"versions": [entry]}
        for key, value in v.items():
            self.imp.keep(f"model_details.version.{key}", value)

    def license(self, model: dict[str, Any], single: Any, many: Any) -> None:
        listed = single if isinstance(single, list) else many  # 0.0.2 cards also write `license: [{...}]`
        entries = (
            [{"identifier": single}] if isinstance(single, str) else [x for x in listed or [] if isinstance(x, dict)]
        )
        ids = [str(e["identifier"]) for e in entries if e.get("identifier")]
        for e in entries:
            if e.get("custom_text"):
                self.imp.keep("model_details.licenses.custom_text", e["custom_text"])
        if not ids and entries:
            model["license"] = "LicenseRef-Custom"
        elif ids:
            named = ["LicenseRef-Proprietary" if i.lower() == "proprietary" else spdx(i) or i for i in ids]
            valid = [i for i in named if _SPDX.match(i) or i.startswith("LicenseRef-")]
            if valid:
                model["license"] = " AND ".join(valid)
            for i in named:
                if i not in valid:
                    self.imp.keep("model_details.licenses.identifier", i)

    def parameters(self, p: dict[str, Any]) -> None:
        model, system = self.data.setdefault("model", {}), self.data.setdefault("system", {})
        architecture = p.pop("model_architecture", None)
        if isinstance(architecture, str) and architecture:
            model["type"] = architecture
            system["architecture"] = {"summary": architecture}
        for key, target in (("input_format", "inputs"), ("output_format", "outputs")):
            value = p.pop(key, None)
            if isinstance(value, str) and value:
                system[target] = [{"type": value}]
        data = p.pop("data", None)
        sets: list[tuple[str | None, Any]]
        if isinstance(data, dict):  # 0.0.1: {train: {...}, eval: {...}}
            sets = [
                (role, d) for role, d in (("train", data.pop("train", None)), ("test", data.pop("eval", None))) if d
            ]
            for key, value in data.items():
                self.imp.keep(f"model_parameters.data.{key}", value)
        else:
            sets = [(None, d) for d in data or []]
        datasets = [self.dataset(role, d, i) for i, (role, d) in enumerate(sets) if isinstance(d, dict)]
        if datasets:
            self.data["datasets"] = datasets
        for key, value in p.items():
            self.imp.keep(f"model_parameters.{key}", value)

    def dataset(self, role: str | None, d: dict[str, Any], i: int) -> dict[str, Any]:
        d = dict(d)
        name = str(d.pop("name", None) or f"dataset {i + 1}")
        description = d.pop("description", None)
        text = f"{name} {description or ''}".lower()
        guessed = "train" if "train" in text else "tune" if "valid" in text else "test"
        entry: dict[str, Any] = {"id": slug(name), "name": name, "role": role or guessed}
        if description:
            entry["motivation"] = {"purpose": str(description)}
        link = d.pop("link", None)
        if link:
            entry["distribution"] = {"how": f"Available at {link}"}
        sensitive = d.pop("sensitive", None)
        if isinstance(sensitive, dict):
            sensitive = "; ".join(str(s) for s in sensitive.get("sensitive_data") or [])
        elif isinstance(sensitive, bool):
            sensitive = "contains human or other sensitive data" if sensitive else "no sensitive data"
        if sensitive:
            entry["composition"] = {"sensitive": sensitive}
        for key, value in d.items():
            self.imp.keep(f"model_parameters.data[{name}].{key}", value)
        return entry

    def analysis(self, q: dict[str, Any]) -> None:
        metrics: dict[str, dict[str, Any]] = {}
        results, slices, thresholds = [], [], []
        for m in q.pop("performance_metrics", None) or []:
            row = self.metric(m, metrics)
            if row is None:
                continue
            if "slice" in row:
                slices.append(row["slice"][SLICE_FACTOR])
            if "operating_point" in row:
                thresholds.append(row.pop("_threshold"))
            results.append(row)
        if metrics:
            self.data["evaluation"] = {"metrics": list(metrics.values()), "results": results}
        if slices:
            levels = sorted(set(slices))
            self.data["factors"] = {"relevant": [{"id": SLICE_FACTOR, "name": "Slice (imported)", "levels": levels}]}
        if thresholds:
            points = [{"id": _op_id(t), "threshold": t} for t in sorted(set(thresholds))]
            outputs = self.data.setdefault("system", {}).setdefault("outputs", [{}])
            outputs[0]["operating_points"] = points
        for key, value in q.items():
            self.imp.keep(f"quantitative_analysis.{key}", value)

    def metric(self, m: Any, metrics: dict[str, dict[str, Any]]) -> dict[str, Any] | None:
        # MCT 0.0.2 writes values, bounds and thresholds as strings ("0.9"): read them as the numbers they are.
        if isinstance(m, dict):
            m = {k: _numeric(v) if k in ("value", "threshold") else v for k, v in m.items()}
            if isinstance(m.get("confidence_interval"), dict):
                m["confidence_interval"] = {k: _numeric(v) for k, v in m["confidence_interval"].items()}
        value = m.get("value") if isinstance(m, dict) else None
        ci = m.get("confidence_interval") if isinstance(m, dict) else None
        if not isinstance(m, dict) or not m.get("type") or not (_number(value) or isinstance(ci, dict)):
            self.imp.keep("quantitative_analysis.performance_metrics", m)
            return None
        mid = slug(str(m["type"]))
        metrics.setdefault(mid, {"id": mid, "name": str(m["type"])})
        low, high = (ci or {}).get("lower_bound"), (ci or {}).get("upper_bound")
        if not _number(value):
            if not (_number(low) and _number(high)):
                self.imp.keep("quantitative_analysis.performance_metrics", m)
                return None
            value = (float(low) + float(high)) / 2
            self.imp.keep(f"metric {m['type']}: no point estimate, midpoint of the interval used", m)
        row: dict[str, Any] = {"metric": mid, "value": float(value)}
        if _number(low) and _number(high):
            row["ci_low"], row["ci_high"] = float(low), float(high)
        if m.get("slice"):
            row["slice"] = {SLICE_FACTOR: str(m["slice"])}
        if _number(m.get("threshold")):
            row["operating_point"] = _op_id(float(m["threshold"]))
            row["_threshold"] = float(m["threshold"])
        extra = {k: v for k, v in m.items() if k not in ("type", "value", "confidence_interval", "slice", "threshold")}
        if extra:
            self.imp.keep(f"metric {m['type']}", extra)
        return row

    def considerations(self, c: dict[str, Any]) -> None:
        use, risk = self.data.setdefault("intended_use", {}), self.data.setdefault("risk", {})
        users = _descriptions(c.pop("users", None))
        if users:
            use["users"] = [{"role": u} for u in users]
        cases = _descriptions(c.pop("use_cases", None))
        if cases:
            use["purpose"] = "\n".join(f"- {case}" for case in cases) if len(cases) > 1 else cases[0]
        limitations = _descriptions(c.pop("limitations", None))
        if limitations:
            risk["limitations"] = limitations
        ethics = [e for e in c.pop("ethical_considerations", None) or [] if isinstance(e, dict)]
        harms = [str(e["name"]) for e in ethics if e.get("name")]
        mitigations = [str(e["mitigation_strategy"]) for e in ethics if e.get("mitigation_strategy")]
        if harms or mitigations:
            risk["ethics"] = {"harms": harms, "mitigations": mitigations}
        for key, value in c.items():
            self.imp.keep(f"considerations.{key}", value)


def _mapping(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, dict) else {}


def _text(target: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, str) and value.strip():
        target[key] = value.strip()


def _contact(owner: dict[str, Any]) -> dict[str, Any]:
    contact: dict[str, Any] = {"name": str(owner["name"])}
    how = owner.get("contact")
    if isinstance(how, str):
        if _EMAIL.match(how):
            contact["email"] = how
        elif _URL.match(how):
            contact["url"] = how
        else:
            contact["address"] = how
    return contact


def _descriptions(items: Any) -> list[str]:
    out = []
    for item in items or []:
        text = item.get("description") if isinstance(item, dict) else item
        if isinstance(text, str) and text.strip():
            out.append(" ".join(text.split()))
    return out


def _number(value: Any) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _numeric(value: Any) -> Any:
    found = number(value) if isinstance(value, str) else None
    return value if found is None else found


def _op_id(threshold: float) -> str:
    return "threshold-" + f"{threshold:g}".replace(".", "-").replace("+", "")
