"""How full an export is: elements or fields filled, counted the same way for every model and format.

Run `python tests/interop/test_export_counts.py` (from the repository, with the project installed) for the table of
the examples under content/, or `python tests/interop/test_export_counts.py DIR` to count exports saved in DIR as
`<model>.<format>` (with the `--json` report beside them as `<model>.<format>.report.json`).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

NOT_STATED = "Not stated in the source."
NO_RESULT = "No result reported in the source"
NO_INFO = "[More Information Needed]"
FORMATS = ("hf", "cyclonedx", "chai")


def chai_counts(text: str) -> dict[str, int]:
    """Leaf elements with real text; ValueJson with a unit; labels repeated within one KeyMetrics section."""
    from lxml import etree

    root = etree.fromstring(text.encode("utf-8"))
    leaves = [e for e in root.iter() if isinstance(e.tag, str) and len(e) == 0]
    filled = [e for e in leaves if (e.text or "").strip() and e.text not in (NOT_STATED, NO_RESULT)]
    values = [e for e in leaves if e.tag.endswith("}ValueJson")]
    repeated = 0
    for results in (e for e in root.iter() if isinstance(e.tag, str) and e.tag.endswith("}Results")):
        labels = Counter(item[0].text for item in results)
        repeated += sum(n - 1 for n in labels.values())
    return {
        "filled": len(filled),
        "distinct": len({e.text for e in filled}),
        "value_json": len(values),
        "with_unit": sum("unit" in json.loads(e.text or "{}") for e in values),
        "repeated_labels": repeated,
        "markdown": sum(("**" in (e.text or "")) or ("](" in (e.text or "")) for e in leaves),
    }


def _leaves(value: Any) -> int:
    if isinstance(value, dict):
        return sum(_leaves(v) for v in value.values())
    if isinstance(value, list):
        return sum(_leaves(v) for v in value)
    return 0 if value in (None, "") else 1


def cyclonedx_counts(text: str) -> dict[str, int]:
    """Filled fields of the components (the model and its data), and of the model card alone."""
    bom = json.loads(text)
    card = bom["components"][0].get("modelCard", {})
    return {
        "filled": _leaves(bom["components"]),
        "model_card": _leaves(card),
        "graphics": len(card.get("quantitativeAnalysis", {}).get("graphics", {}).get("collection", [])),
    }


def hf_counts(text: str) -> dict[str, int]:
    """Filled front matter fields, and sections whose body is not the Hub's placeholder."""
    front = yaml.safe_load(text.split("---\n")[1])
    body = text.split("---\n", 2)[2]
    sections = [part.strip() for part in body.split("\n#")[1:]]
    filled = [s for s in sections if s.split("\n", 1)[1:] and NO_INFO not in s.split("\n", 1)[1]]
    return {"front_matter": _leaves(front), "sections": len(filled)}


COUNTERS = {"hf": hf_counts, "cyclonedx": cyclonedx_counts, "chai": chai_counts}


def loss_counts(losses: list[dict[str, Any]]) -> dict[str, int]:
    """Lines of the loss report, lines saying a value is carried in another form, and values not carried at all."""
    return {
        "loss lines": len(losses),
        "changed lines": sum(loss["kind"] == "changed" for loss in losses),
        "values not carried": sum(loss["count"] for loss in losses if loss["kind"] == "not-carried"),
    }


def _current() -> dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from helpers.project import EXAMPLES, REPO

    from compiler.interop import applicable, export
    from compiler.load.reader import load_project
    from compiler.resolve.apply import resolved_source
    from compiler.validate.project import validate_project

    found = {}
    for example in EXAMPLES:
        source = resolved_source(validate_project(load_project(REPO / "content", [example])).models[0])
        for fmt in (f for f in FORMATS if f in applicable(source)):
            result = export(source, fmt)
            losses = [loss.as_dict() for loss in result.losses]
            found[(example, fmt)] = (COUNTERS[fmt](result.text), loss_counts(losses))
    return found


def _saved(folder: Path) -> dict[tuple[str, str], tuple[dict[str, int], dict[str, int]]]:
    found = {}
    for path in sorted(folder.iterdir()):
        model, _, fmt = path.name.rpartition(".")
        if fmt in COUNTERS and path.with_name(path.name + ".report.json").is_file():
            report = json.loads(path.with_name(path.name + ".report.json").read_text(encoding="utf-8"))
            found[(model, fmt)] = (COUNTERS[fmt](path.read_text(encoding="utf-8")), loss_counts(report["losses"]))
    return found


def main(argv: list[str]) -> None:
    found = _saved(Path(argv[0])) if argv else _current()
    for fmt in FORMATS:
        rows = [(model, counts, losses) for (model, f), (counts, losses) in sorted(found.items()) if f == fmt]
        if not rows:
            continue
        keys, loss_keys = list(rows[0][1]), list(rows[0][2])
        print(f"\n{fmt}\n| model | " + " | ".join(keys + loss_keys) + " |")
        print("|---" * (len(keys) + len(loss_keys) + 1) + "|")
        for model, counts, losses in rows:
            print(f"| {model} | " + " | ".join(str(x) for x in [*counts.values(), *losses.values()]) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])


# --- the counts themselves can tell a full export from a thin one ----------------------------------------------------

REAL = Path(__file__).resolve().parent.parent / "data" / "real-cards"


def test_a_real_chai_card_counts_as_complete() -> None:
    counts = chai_counts((REAL / "chai" / "OrbDoc_Voice-to-SOAP.xml").read_text(encoding="utf-8"))
    assert counts["with_unit"] == counts["value_json"] == 10
    assert counts["repeated_labels"] == 0 and counts["markdown"] == 0


def test_repeated_labels_and_markdown_are_counted() -> None:
    ns = "https://mc.chai.org/v0.2/schema.xsd"
    result = '<MetricResult><Label>AUROC</Label><ValueJson>{"kind":"single","value":1}</ValueJson></MetricResult>'
    text = f'<A xmlns="{ns}"><Results>{result * 3}</Results><Summary>**bold**</Summary></A>'
    counts = {"filled": 7, "distinct": 3, "value_json": 3, "with_unit": 0, "repeated_labels": 2, "markdown": 1}
    assert chai_counts(text) == counts


def test_a_real_cyclonedx_bom_and_a_hub_card_are_counted() -> None:
    counts = cyclonedx_counts((REAL / "cyclonedx" / "Model-Card-With-Dataset.bom.json").read_text(encoding="utf-8"))
    assert counts == {"filled": 50, "model_card": 22, "graphics": 0}
    card = "---\nlicense: mit\ntags:\n- a\n- b\n---\n\n# Title\n\n## Uses\n\nText.\n\n## Bias\n\n[More Information Needed]\n"
    assert hf_counts(card) == {"front_matter": 3, "sections": 1}
