"""Benchmark: load + validate of a content folder, with one compiler tree against another, runs alternated.

Each run is a fresh process that imports the compiler from the given tree and times `load_project` followed by
`validate_project` of every model (imports and interpreter start left out). Three ways, side by side:

- `before`: the tree given by --before (e.g. an export of the last commit), reading as it did;
- `after`: this checkout, without a cache (libyaml where installed);
- `after-cached`: this checkout with the build cache a previous run filled (`compiler.load.cached`), as the
  next build finds it; the key's code fingerprint is counted.

    git archive HEAD compiler | tar -x -C /tmp/before       # the tree to compare with
    python benchmarks/load_validate.py --before /tmp/before --models 100 --runs 5

Writes a JSON report (medians and every run, in seconds) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from catalog import make_project  # noqa: E402

_TIMED = """
import json, sys, time
from pathlib import Path
from compiler.validate.project import validate_project
cached = sys.argv[1] == "cached"
if cached:
    from compiler.cache import Cache
    from compiler.load.cached import load_project
    cache = Cache(Path(sys.argv[2]))
    started = time.perf_counter()
    catalog = validate_project(load_project(Path("content"), None, cache), cache)
else:
    from compiler.load.reader import load_project
    started = time.perf_counter()
    catalog = validate_project(load_project(Path("content")))
seconds = time.perf_counter() - started
print(json.dumps({"seconds": seconds, "models": len(catalog.models)}))
"""


def run_once(tree: Path, project: Path, cache: Path | None) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    args = [sys.executable, "-c", _TIMED, "cached" if cache else "plain", str(cache or "")]
    done = subprocess.run(args, cwd=project, env=env, capture_output=True, text=True, check=True)
    return float(json.loads(done.stdout)["seconds"])


def measure(project: Path, before: Path, runs: int, work: Path) -> dict[str, list[float]]:
    cache = work / f"cache-{project.name}"
    run_once(REPO, project, cache)  # fills the cache, as the build before would have
    times: dict[str, list[float]] = {"before": [], "after": [], "after-cached": []}
    for _ in range(runs):  # alternated, so that a busy moment of the machine falls on every side alike
        times["before"].append(run_once(before, project, None))
        times["after"].append(run_once(REPO, project, None))
        times["after-cached"].append(run_once(REPO, project, cache))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="a compiler tree to compare with")
    parser.add_argument("--models", type=int, default=100, help="size of the synthetic catalog")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", type=Path, default=HERE / "results" / "load_validate.json")
    args = parser.parse_args()
    report: dict[str, dict[str, object]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        examples = work / "examples"
        (examples / "content").mkdir(parents=True)
        for model in sorted((REPO / "content").iterdir()):
            if (model / "model.yaml").is_file():
                subprocess.run(["cp", "-r", str(model), str(examples / "content")], check=True)
        catalog = make_project(work / f"catalog-{args.models}", args.models)
        for name, project in (("examples (4 models)", examples), (f"catalog ({args.models} models)", catalog)):
            times = measure(project, args.before.resolve(), args.runs, work)
            report[name] = {"median": {k: statistics.median(v) for k, v in times.items()}, "runs": times}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"{'content':24} {'before':>9} {'after':>9} {'cached':>9}  (median of {args.runs}, seconds)")
    for name, row in report.items():
        median = row["median"]
        assert isinstance(median, dict)
        print(f"{name:24} {median['before']:9.3f} {median['after']:9.3f} {median['after-cached']:9.3f}")


if __name__ == "__main__":
    main()
