"""Import stage, MONAI: read a bundle's `configs/metadata.json` (and the bundle's README) into a partial source.

A MONAI bundle keeps its facts in `metadata.json` (name, version and changelog, task, description, authors, data
source, evaluation metrics, references, network input and output formats) and its prose in `docs/README.md`.
The README is read as any Markdown card is (`hf_import`); the metadata's values take precedence over it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from compiler._util.paths import display_path
from compiler.errors import SourceError
from compiler.interop.hf_card import is_number, read_card
from compiler.interop.importing import UNSPECIFIED, Imported, merge, slug

_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_VERSIONS = {"monai_version": "MONAI", "pytorch_version": "PyTorch", "numpy_version": "NumPy"}


def read(path: Path) -> Imported:
    """Parse a bundle's metadata.json (+ the README beside it); invalid JSON names line and column."""
    shown = display_path(path)
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SourceError.at(shown, "file not found") from None
    except UnicodeDecodeError as exc:
        raise SourceError.at(shown, f"not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise SourceError.at(shown, f"invalid JSON: {exc.msg}", line=exc.lineno, column=exc.colno) from None
    if not isinstance(meta, dict) or not any(k in meta for k in ("version", "network_data_format", "task")):
        raise SourceError.at(
            shown,
            "not a MONAI bundle metadata.json: expected an object with `version`, `task` or `network_data_format`",
            line=1,
            column=1,
            hint="pass the bundle's configs/metadata.json",
        )
    imported = Imported("monai", path.name)
    readme = bundle_readme(path)
    if readme is not None:
        _read_readme(readme, imported)
    given = _Metadata(imported).read(dict(meta))
    imported.data = merge(imported.data, given)
    return imported


def bundle_readme(metadata: Path) -> Path | None:
    """The README of the bundle a metadata.json belongs to: docs/README.md of the bundle, or one beside it."""
    bundle = metadata.parent.parent if metadata.parent.name == "configs" else metadata.parent
    for candidate in (bundle / "docs" / "README.md", bundle / "README.md", metadata.parent / "README.md"):
        if candidate.is_file():
            return candidate
    return None


def _read_readme(readme: Path, imported: Imported) -> None:
    from compiler.interop.hf_import import Reader

    front, body = read_card(readme)
    reader = Reader(imported)
    reader.front_matter(front)
    reader.body(body)
    reader.finish()


class _Metadata:
    def __init__(self, imported: Imported) -> None:
        self.imp = imported
        self.data: dict[str, Any] = {}

    def read(self, meta: dict[str, Any]) -> dict[str, Any]:
        model = self.data.setdefault("model", {})
        name = meta.pop("name", None) or meta.get("task")
        if isinstance(name, str) and name.strip():
            model["name"] = name.strip()
        self._version(model, meta.pop("version", None), meta.pop("changelog", None))
        for key, target in (("task", "type"), ("description", "summary")):
            if isinstance(meta.get(key), str) and meta[key].strip():
                model[target] = meta.pop(key).strip()
        authors = meta.pop("authors", None)
        if isinstance(authors, str) and authors.strip():
            model["developers"] = [{"name": authors.strip()}]
            model["owner"] = authors.strip()
        if isinstance(meta.get("intended_use"), str):
            self.data["intended_use"] = {"purpose": meta.pop("intended_use")}
        self._references(model, meta.pop("references", None))
        self._software(meta)
        self._data(meta.pop("data_source", None), meta.pop("label_classes", None))
        self._io(meta.pop("network_data_format", None), meta.pop("pred_classes", None))
        self._metrics(meta.pop("eval_metrics", None))
        for key, value in meta.items():
            self.imp.keep(key, value)
        return self.data

    def _version(self, model: dict[str, Any], version: Any, changelog: Any) -> None:
        if isinstance(version, str) and version.strip():
            model["version"] = version.strip()
            changes = changelog.get(version) if isinstance(changelog, dict) else None
            if isinstance(changes, str) and changes.strip():
                self.data["lifecycle"] = {"versions": [{"version": version.strip(), "changes": changes.strip()}]}
        if changelog:
            self.imp.keep("changelog", changelog)

    def _references(self, model: dict[str, Any], references: Any) -> None:
        texts = [str(r).strip() for r in references or [] if str(r).strip()]
        if texts:
            model["citation"] = "\n\n".join(texts)
            model["papers"] = [u.rstrip(".,;") for t in texts for u in _URL.findall(t)]

    def _software(self, meta: dict[str, Any]) -> None:
        versions = {label: str(meta.pop(key)) for key, label in _VERSIONS.items() if meta.get(key)}
        for key in ("optional_packages_version", "required_packages_version"):
            packages = meta.pop(key, None)
            if isinstance(packages, dict):
                versions.update({str(k): str(v) for k, v in packages.items()})
        if versions:
            self.data.setdefault("system", {})["software_versions"] = versions

    def _data(self, source: Any, labels: Any) -> None:
        if not isinstance(source, str) or not source.strip():
            return
        entry: dict[str, Any] = {"id": slug(source), "name": source.strip(), "role": "train"}
        entry["motivation"] = {"purpose": f"Training data of the bundle: {source.strip()}."}
        link = _URL.search(source)
        if link:
            entry["distribution"] = {"how": f"Available at {link.group(0)}"}
        if isinstance(labels, str) and labels.strip():
            entry["composition"] = {"labels": labels.strip()}
        self.data["datasets"] = [entry]

    def _io(self, formats: Any, pred_classes: Any) -> None:
        if not isinstance(formats, dict):
            return
        system = self.data.setdefault("system", {})
        for part, target in (("inputs", "inputs"), ("outputs", "outputs")):
            entries: dict[str, Any] = formats[part] if isinstance(formats.get(part), dict) else {}
            found = [self._tensor(name, spec, part) for name, spec in entries.items() if isinstance(spec, dict)]
            if found:
                system[target] = found
        if isinstance(pred_classes, str) and system.get("outputs"):
            system["outputs"][0]["meaning"] = pred_classes
        self.imp.keep("network_data_format", formats)

    def _tensor(self, name: str, spec: dict[str, Any], part: str) -> dict[str, Any]:
        described = [str(spec[k]) for k in ("type", "format", "modality") if spec.get(k)]
        shape = spec.get("spatial_shape")
        if isinstance(shape, list) and shape:
            described.append("spatial shape " + " × ".join(str(s) for s in shape))
        if spec.get("num_channels"):
            described.append(f"{spec['num_channels']} channel(s)")
        return {"name": name, "type": ", ".join(described) or "tensor"}

    def _metrics(self, metrics: Any) -> None:
        if not isinstance(metrics, dict):
            return
        found = {k: float(v) for k, v in metrics.items() if is_number(v)}
        if not found:
            return
        evaluation = self.data.setdefault("evaluation", {})
        evaluation["metrics"] = [{"id": slug(k), "name": k} for k in found]
        evaluation["results"] = [{"metric": slug(k), "value": v, "dataset": UNSPECIFIED} for k, v in found.items()]
        unspecified = {"id": UNSPECIFIED, "name": "Unspecified (the card names no dataset)", "role": "test"}
        self.data.setdefault("datasets", []).append(unspecified)
        self.imp.confirm[UNSPECIFIED] = "TODO: the bundle names no dataset for eval_metrics"
