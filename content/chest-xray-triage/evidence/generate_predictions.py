"""Example evidence: write the synthetic test-set predictions of the chest X-ray triage example.

SYNTHETIC DEMONSTRATION DATA: the rows are drawn from a seeded generator and describe no patient
and no real model. `docs-compile resolve` computes every performance result of the example from the
two files this script writes (evidence sources `internal-test-predictions` and
`external-test-predictions`, declared `synthetic: true`, in ../model.yaml), so the numbers agree with
each other. The same seed always gives the same files, byte for byte. After running it, run
`docs-compile resolve --model chest-xray-triage` to refresh facts.lock.json.
Run from anywhere: `python content/chest-xray-triage/evidence/generate_predictions.py`.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np

SEED = 20250331
HERE = Path(__file__).resolve().parent
COLUMNS = ["study_id", "label", "score", "sex", "age_band", "manufacturer", "view", "site", "size", "drain"]

# site -> (cases, prevalence, share of AP views, manufacturer mix)
INTERNAL = {
    "site-1": (1000, 0.12, 0.35, {"GE HealthCare": 0.55, "Siemens Healthineers": 0.30, "Carestream": 0.15}),
    "site-2": (800, 0.11, 0.30, {"Philips": 0.60, "GE HealthCare": 0.25, "Carestream": 0.15}),
    "site-3": (600, 0.10, 0.40, {"Siemens Healthineers": 0.50, "Philips": 0.30, "Carestream": 0.20}),
}
EXTERNAL = {
    "site-4": (700, 0.08, 0.30, {"Fujifilm": 0.60, "Philips": 0.40}),
    "site-5": (500, 0.08, 0.35, {"Carestream": 0.50, "Siemens Healthineers": 0.50}),
}
AGE_BANDS = {"18-39": 0.27, "40-64": 0.40, "65+": 0.33}
# The files label themselves: docs-compile skips leading '#' lines of a predictions CSV.
HEADER = (
    "# SYNTHETIC demonstration data written by content/chest-xray-triage/evidence/generate_predictions.py "
    "(seed {seed}); describes no patient and no real model.\n"
)


def _pick(rng: np.random.Generator, shares: dict[str, float]) -> str:
    names = list(shares)
    weights = np.array([shares[n] for n in names])
    return str(names[rng.choice(len(names), p=weights / weights.sum())])


def _case(rng: np.random.Generator, site: str, prevalence: float, ap_share: float, mix: dict[str, float]) -> dict:
    label = int(rng.random() < prevalence)
    sex = "male" if rng.random() < (0.68 if label else 0.49) else "female"
    ages = {"18-39": 0.42, "40-64": 0.33, "65+": 0.25} if label else AGE_BANDS
    age = _pick(rng, ages)
    view = "AP" if rng.random() < ap_share + (0.15 if age == "65+" else 0.0) else "PA"
    size = ("large" if rng.random() < 0.45 else "small") if label else ""
    drain = int(label == 1 and rng.random() < 0.22)
    # Logit of the score: harder cases (small, AP, elderly) score lower; drains raise it (shortcut bias).
    if label:
        mean = 2.1 if size == "large" else 0.7
        mean += -0.45 if view == "AP" else 0.0
        mean += -0.2 if age == "65+" else 0.0
        mean += 0.8 if drain else 0.0
    else:
        mean = -2.3 + (0.45 if view == "AP" else 0.0) + (0.2 if age == "65+" else 0.0)
    logit = rng.normal(mean, 1.25)
    return {
        "label": label,
        "score": round(1.0 / (1.0 + math.exp(-logit)), 4),
        "sex": sex,
        "age_band": age,
        "manufacturer": _pick(rng, mix),
        "view": view,
        "site": site,
        "size": size,
        "drain": drain,
    }


def generate(sites: dict[str, tuple[int, float, float, dict[str, float]]], prefix: str, seed: int) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for site, (cases, prevalence, ap_share, mix) in sites.items():
        for _ in range(cases):
            row = _case(rng, site, prevalence, ap_share, mix)
            rows.append({"study_id": f"{prefix}-{len(rows) + 1:05d}", **row})
    return rows


def write(rows: list[dict], name: str, seed: int) -> None:
    with (HERE / name).open("w", newline="", encoding="utf-8") as handle:
        handle.write(HEADER.format(seed=seed))
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    write(generate(INTERNAL, "int", SEED), "internal-test-predictions.csv", SEED)
    write(generate(EXTERNAL, "ext", SEED + 1), "external-test-predictions.csv", SEED + 1)
