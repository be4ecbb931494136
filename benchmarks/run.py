"""Benchmark: `docs-compile build` against the naive pipeline on synthetic catalogs of N models, in one run.

For each N: a full build with an empty cache, the naive pipeline (benchmarks/naive.py), a no-op rebuild,
a rebuild after one model's edit; the peak memory of each (the sum over the process tree, sampled
from /proc every 20 ms, so worker processes count); the site's size. Once per run: `docs-compile --help`
start-up and `validate` of one model. Every figure is the median of --repeats runs. Prints a table and
writes the same as JSON.

    python benchmarks/run.py --sizes 10,100,1000 --pdf-sizes 10,100 --repeats 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from catalog import edit_model, make_project  # noqa: E402

PYTHON = sys.executable


@dataclass
class Measure:
    seconds: float
    peak_rss: int
    """Bytes: the largest sum of RSS over the process and its descendants seen while it ran."""


def _tree_rss(root: int) -> int:
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
            with open(f"/proc/{pid}/task/{pid}/children") as handle:
                todo.extend(int(c) for c in handle.read().split())
        except (OSError, ValueError):
            continue
    return total


def measure(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> Measure:
    """Run a command; its wall time and the peak RSS of its process tree. Fails loudly on a non-zero exit."""
    started = time.perf_counter()
    process = subprocess.Popen(args, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(process.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = process.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"{' '.join(map(str, args))} failed ({process.returncode}):\n{out[-2000:]}\n{err[-4000:]}")
    return Measure(seconds, peak)


def median(values: list[Measure]) -> dict[str, float]:
    return {
        "seconds": round(statistics.median(m.seconds for m in values), 3),
        "peak_rss_mb": round(statistics.median(m.peak_rss for m in values) / 2**20, 1),
    }


def folder_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def bench_size(n: int, *, pdf: bool, audiences: list[str], repeats: int, jobs: int, work: Path) -> dict[str, Any]:
    """Every measurement for one catalog size."""
    project = make_project(work / f"n{n}", n)
    cache = project / ".docs-compile-cache"
    env = {**os.environ, "DOCS_COMPILE_CACHE": str(cache)}
    build = [PYTHON, "-m", "compiler", "build", "--out", "out", "--jobs", str(jobs), "-q"]
    build += [f"--audience={a}" for a in audiences] + ([] if pdf else ["--no-pdf"])
    naive = [PYTHON, str(HERE / "naive.py"), str(project), str(project / "naive-out")]
    naive += [f"--audience={a}" for a in audiences] + ([] if pdf else ["--no-pdf"])
    code = dict(env, PYTHONPATH=str(snapshot_code(work)))
    full, base, noop, edit = [], [], [], []
    for _ in range(repeats):
        shutil.rmtree(cache, ignore_errors=True)
        full.append(measure(build, project, code))
        base.append(measure(naive, project, code))
    site_bytes, naive_site_bytes = folder_bytes(project / "out" / "site"), folder_bytes(project / "naive-out" / "site")
    for _ in range(repeats):
        noop.append(measure(build, project, code))
    models = sorted(p for p in (project / "content").iterdir() if p.is_dir())
    for k in range(repeats):
        edit_model(models[len(models) // 2], k)
        edit.append(measure(build, project, code))
    result = {
        "n": n,
        "pdf": pdf,
        "audiences": audiences or "all",
        "pdfs": len(list((project / "out" / "pdf").rglob("*.pdf"))) if pdf else 0,
        "pages": len(list((project / "out" / "site").rglob("*.html"))),
        "build": median(full),
        "naive": median(base),
        "noop": median(noop),
        "edit_one": median(edit),
        "site_bytes": site_bytes,
        "naive_site_bytes": naive_site_bytes,
    }
    result["ratios"] = {
        "build_vs_naive": round(result["build"]["seconds"] / result["naive"]["seconds"], 3),
        "noop_vs_build": round(result["noop"]["seconds"] / result["build"]["seconds"], 4),
        "edit_vs_build": round(result["edit_one"]["seconds"] / result["build"]["seconds"], 4),
    }
    shutil.rmtree(project / "naive-out", ignore_errors=True)
    return result


def snapshot_code(work: Path) -> Path:
    """A copy of the compiler package the whole run uses: an edit to the working tree during a long run
    would otherwise change the cache keys between a build and its no-op rebuild."""
    target = work / "code"
    if not (target / "compiler").is_dir():
        shutil.copytree(HERE.parent / "compiler", target / "compiler", ignore=shutil.ignore_patterns("__pycache__"))
        # The packaged defaults sit beside the package in a checkout (compiler/config/packaged.py).
        shutil.copytree(HERE.parent / "audiences", target / "audiences", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copyfile(HERE.parent / "mkdocs.yml", target / "mkdocs.yml")
    return target


def bench_startup(repeats: int, work: Path) -> dict[str, Any]:
    """`docs-compile --help` and `validate` of one model, as a user runs them (the console script)."""
    project = make_project(work / "startup", 4)
    script = shutil.which("docs-compile") or "docs-compile"
    helps = [measure([script, "--help"], project) for _ in range(max(5, repeats))]
    one = sorted(p.name for p in (project / "content").iterdir())[0]
    validates = [measure([script, "validate", f"content/{one}"], project) for _ in range(max(3, repeats))]
    return {"help": median(helps), "validate_one": median(validates)}


def table(sizes: list[dict[str, Any]], startup: dict[str, Any]) -> str:
    rows = [
        "| N | PDFs | build s | naive s | build/naive | no-op s (% build) | one edit s (% build) "
        "| peak RSS build / naive / no-op / edit MB | site MB (naive) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in sizes:
        rows.append(
            f"| {r['n']:,} | {r['pdfs'] if r['pdf'] else 'site only'} | {r['build']['seconds']:.1f} "
            f"| {r['naive']['seconds']:.1f} | {r['ratios']['build_vs_naive']:.2f}× "
            f"| {r['noop']['seconds']:.2f} ({100 * r['ratios']['noop_vs_build']:.1f}%) "
            f"| {r['edit_one']['seconds']:.1f} ({100 * r['ratios']['edit_vs_build']:.1f}%) "
            f"| {r['build']['peak_rss_mb']:.0f} / {r['naive']['peak_rss_mb']:.0f} / {r['noop']['peak_rss_mb']:.0f}"
            f" / {r['edit_one']['peak_rss_mb']:.0f} "
            f"| {r['site_bytes'] / 1e6:.1f} ({r['naive_site_bytes'] / 1e6:.1f}) |"
        )
    rows.append("")
    rows.append(
        f"`docs-compile --help`: {startup['help']['seconds']:.3f} s; "
        f"`docs-compile validate` of one model: {startup['validate_one']['seconds']:.2f} s"
    )
    return "\n".join(rows)


def machine() -> dict[str, Any]:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if "model name" in line
        ),
        platform.processor(),
    )
    memory = next(
        (int(line.split()[1]) * 1024 for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line),
        0,
    )
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1),
        "python": platform.python_version(),
        "system": platform.platform(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes", default="10,100,1000", help="Catalog sizes (site + PDFs up to the largest --pdf-sizes)."
    )
    parser.add_argument("--pdf-sizes", default="10,100", help="Sizes also measured with PDFs; the others site only.")
    parser.add_argument(
        "--pdf-audience", action="append", default=[], help="Build only these audiences for the PDF runs."
    )
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--work", type=Path, default=Path("/tmp/docs-compile-bench"))
    parser.add_argument("--json", type=Path, default=HERE / "results.json")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    pdf_sizes = {int(s) for s in args.pdf_sizes.split(",") if s}
    args.work.mkdir(parents=True, exist_ok=True)
    startup = bench_startup(args.repeats, args.work)
    results = []
    for n in sizes:
        results.append(bench_size(n, pdf=False, audiences=[], repeats=args.repeats, jobs=args.jobs, work=args.work))
        if n in pdf_sizes:
            results.append(
                bench_size(
                    n, pdf=True, audiences=args.pdf_audience, repeats=args.repeats, jobs=args.jobs, work=args.work
                )
            )
        print(table(results, startup), flush=True)
    report = {"machine": machine(), "jobs": args.jobs, "repeats": args.repeats, "sizes": results, "startup": startup}
    args.json.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
    print(f"\n{json.dumps(report['machine'])}\nwritten {args.json}")


if __name__ == "__main__":
    main()
