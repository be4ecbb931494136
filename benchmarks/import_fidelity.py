"""Import fidelity on a corpus of real public model cards: which of each card's facts reach a mapped field.

The corpus is tests/data/real-cards/ (sources and licences in its SOURCES.md); the facts of each card are listed
by hand in tests/data/real-cards/expectations.yaml, so the benchmark does not grade itself. Each card is imported
as `docs-compile import` does (the model.yaml written and validated); a fact counts as mapped when it appears in a
field of the written model.yaml that holds that kind of fact (never imported-unmapped.yaml):

    description      model.summary
    intended_use     intended_use.purpose, .instructions, .users[].role
    out_of_scope     intended_use.out_of_scope[]
    limitations      risk.limitations[], risk.biases[], risk.failure_modes[]
    training_data    datasets with role train or tune (name, id, version, motivation.purpose)
    evaluation_data  datasets with role test, tune or external (the same fields)
    data             any dataset
    results          evaluation.results[]: value equal, metric id or name naming the metric, dataset id or name
                     naming the dataset ("unspecified" when the card names none), split in the dataset's
                     version, name or id
    license          model.license (equal)
    citation         model.citation
    authors          model.developers[].name, model.owner

Text is compared case-insensitively with whitespace, typographic quotes and Markdown emphasis normalised.
For cards with `model-index`, the benchmark also reads every model-index result from the card itself and checks
that one imported result keeps it (metric name, dataset, split, value) and that no two imported results collide.

    python benchmarks/import_fidelity.py [--json benchmarks/results/import_fidelity.json]

Prints a Markdown table (per card and total) and writes the JSON. The same corpus gives the same numbers.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from compiler.interop import hf_import, mct, monai
from compiler.interop.hf_card import read_card
from compiler.interop.importing import UNSPECIFIED, Imported, write_import

CORPUS = Path(__file__).resolve().parents[1] / "tests" / "data" / "real-cards"
READERS = {"hf": hf_import.read, "mct": mct.read, "monai": monai.read}
KINDS = (
    "description",
    "intended_use",
    "out_of_scope",
    "limitations",
    "training_data",
    "evaluation_data",
    "data",
    "results",
    "license",
    "citation",
    "authors",
)
GOAL = 0.90


def normal(text: Any) -> str:
    text = str(text).replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a Markdown link reads as its text
    text = re.sub(r"[*_`\\]", "", text)
    return " ".join(text.lower().split())


def imported_source(card: dict[str, Any], work: Path, name: str) -> dict[str, Any]:
    imported: Imported = READERS[card["format"]](CORPUS / card["file"])
    written = write_import(work / "content", name, imported)
    return yaml.safe_load(written.model_file.read_text(encoding="utf-8"))


def fields(source: dict[str, Any], kind: str) -> list[str]:
    """The texts of the imported source that may hold a fact of this kind (TODO placeholders left out)."""
    model, use, risk = source["model"], source["intended_use"], source.get("risk", {})
    if kind == "description":
        out = [model.get("summary")]
    elif kind == "intended_use":
        out = [use.get("purpose"), use.get("instructions"), *(u.get("role") for u in use.get("users", []))]
    elif kind == "out_of_scope":
        out = list(use.get("out_of_scope", []))
    elif kind == "limitations":
        out = [*risk.get("limitations", []), *risk.get("biases", []), *risk.get("failure_modes", [])]
    elif kind in ("training_data", "evaluation_data", "data"):
        roles = {"training_data": ("train", "tune"), "evaluation_data": ("test", "tune", "external")}.get(kind)
        out = [
            value
            for d in source.get("datasets", [])
            if roles is None or d["role"] in roles
            for value in (d.get("name"), d.get("id"), d.get("version"), (d.get("motivation") or {}).get("purpose"))
        ]
    elif kind == "citation":
        out = [model.get("citation")]
    elif kind == "authors":
        out = [model.get("owner"), *(d.get("name") for d in model.get("developers", []))]
    else:
        raise ValueError(kind)
    return [normal(t) for t in out if t and "TODO:" not in str(t)]


def result_found(source: dict[str, Any], want: dict[str, Any]) -> bool:
    metrics = {m["id"]: m for m in source.get("evaluation", {}).get("metrics", [])}
    datasets = {d["id"]: d for d in source.get("datasets", [])}
    for r in source.get("evaluation", {}).get("results", []):
        if not isinstance(r.get("value"), (int, float)) or abs(r["value"] - float(want["value"])) > 1e-9:
            continue
        metric = metrics.get(r["metric"], {})
        if normal(want["metric"]) not in (normal(r["metric"]), normal(metric.get("name", ""))):
            continue
        ds = datasets.get(r.get("dataset") or "", {})
        where = normal(f"{ds.get('id', '')} {ds.get('name', '')} {ds.get('version', '')}")
        if want.get("dataset") is None:
            if r.get("dataset") not in (None, UNSPECIFIED):
                continue
        elif normal(want["dataset"]) not in where:
            continue
        if want.get("split") and normal(want["split"]) not in where:
            continue
        return True
    return False


def text_found(source: dict[str, Any], kind: str, phrase: str) -> bool:
    if kind == "license":
        return source["model"].get("license") == phrase
    return any(normal(phrase) in text for text in fields(source, kind))


def index_check(card: dict[str, Any], source: dict[str, Any]) -> dict[str, int]:
    """Every model-index result of the card (read here, from the card) kept distinct and complete."""
    if card["format"] != "hf":
        return {"index_results": 0, "index_kept": 0, "collisions": 0}
    front, _ = read_card(CORPUS / card["file"])
    wanted = []
    for entry in front.get("model-index") or []:
        for result in entry.get("results") or []:
            d = result.get("dataset") or {}
            for m in result.get("metrics") or []:
                wanted.append(
                    {
                        "metric": m.get("name") or m.get("type"),
                        "dataset": d.get("name") or d.get("type"),
                        "split": d.get("split"),
                        "value": str(m.get("value")).replace(",", ".").rstrip("%"),
                    }
                )
    keys = [
        json.dumps([r["metric"], r.get("dataset"), r.get("operating_point"), r.get("slice")], sort_keys=True)
        for r in source.get("evaluation", {}).get("results", [])
    ]
    kept = sum(result_found(source, w) for w in wanted)
    return {"index_results": len(wanted), "index_kept": kept, "collisions": len(keys) - len(set(keys))}


def facts(card: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for kind in KINDS:
        value = card.get(kind)
        if value is None:
            continue
        out.extend((kind, v) for v in (value if isinstance(value, list) else [value]))
    return out


def measure(name: str, card: dict[str, Any], work: Path) -> dict[str, Any]:
    source = imported_source(card, work, name)
    rows, missed = facts(card), []
    for kind, want in rows:
        ok = result_found(source, want) if kind == "results" else text_found(source, kind, str(want))
        if not ok:
            missed.append({"kind": kind, "fact": want})
    return {"card": name, "facts": len(rows), "mapped": len(rows) - len(missed), "missed": missed} | index_check(
        card, source
    )


def run() -> dict[str, Any]:
    cards = yaml.safe_load((CORPUS / "expectations.yaml").read_text(encoding="utf-8"))
    with tempfile.TemporaryDirectory() as tmp:
        rows = [measure(slug_of(name), card, Path(tmp)) for name, card in cards.items()]
    total = sum(r["facts"] for r in rows)
    mapped = sum(r["mapped"] for r in rows)
    index = sum(r["index_results"] for r in rows)
    kept = sum(r["index_kept"] for r in rows)
    return {
        "goal": GOAL,
        "cards": rows,
        "total": {
            "cards": len(rows),
            "facts": total,
            "mapped": mapped,
            "share": round(mapped / total, 3) if total else None,
            "index_results": index,
            "index_kept": kept,
            "collisions": sum(r["collisions"] for r in rows),
        },
    }


def slug_of(name: str) -> str:
    return re.sub(r"[^a-z0-9._-]+", "-", name.lower()).strip("-")[:80]


def table(report: dict[str, Any]) -> str:
    lines = [
        "| card | facts | mapped | share | model-index results kept | collisions |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for r in report["cards"]:
        index = f"{r['index_kept']} / {r['index_results']}" if r["index_results"] else "–"
        share = f"{r['mapped'] / r['facts']:.0%}" if r["facts"] else "–"
        lines.append(f"| {r['card']} | {r['facts']} | {r['mapped']} | {share} | {index} | {r['collisions']} |")
    t = report["total"]
    lines.append(
        f"| **total ({t['cards']} cards)** | **{t['facts']}** | **{t['mapped']}** | **{t['share']:.1%}** | "
        f"**{t['index_kept']} / {t['index_results']}** | **{t['collisions']}** |"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, default=Path("benchmarks/results/import_fidelity.json"))
    args = parser.parse_args()
    report = run()
    print(table(report))
    missed = [(r["card"], m) for r in report["cards"] for m in r["missed"]]
    if missed:
        print("\nNot mapped:")
        for card, m in missed:
            print(f"- {card}: {m['kind']}: {m['fact']}")
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1, sort_keys=True, default=str) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
