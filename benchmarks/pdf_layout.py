"""Benchmark: one PDF written by the render_pdf of another tree (e.g. the last commit) and by this checkout's.

Both run in one process on the same documents, runs alternated: only `compiler/publish/pdf.py` differs (the
other tree's copy is imported under another name and uses this checkout's other modules), so the difference
is what that module does, e.g. one layout instead of two for a document whose contents the build decides.

    git archive HEAD compiler | tar -x -C /tmp/before
    python benchmarks/pdf_layout.py --before /tmp/before --audience technical --runs 3 --model review-sentiment

Prints the median seconds per document, and whether both wrote the same bytes.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from compiler.render.document import Document

REPO = Path(__file__).resolve().parent.parent


def _module(tree: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("pdf_before", tree / "compiler" / "publish" / "pdf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["pdf_before"] = module
    spec.loader.exec_module(module)
    return module


def _documents(audience: str) -> list[Document]:
    from compiler.build import render_input
    from compiler.config.audiences import audience_layers, load_audiences
    from compiler.load.reader import load_project
    from compiler.render.incremental import render_all
    from compiler.validate.project import validate_project

    catalog = validate_project(load_project(REPO / "content"))
    audiences = load_audiences(audience_layers(REPO / "audiences", True), [audience])
    return list(render_all([render_input(m) for m in catalog.models], audiences, audiences, None))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--audience", default="technical")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--model", action="append", default=[], help="only this model (repeatable)")
    args = parser.parse_args()
    from compiler.publish import pdf as after

    before = _module(args.before.resolve())
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as tmp:
        work = Path(tmp)
        for doc in [d for d in _documents(args.audience) if not args.model or d.model_id in args.model]:
            times: dict[str, list[float]] = {"before": [], "after": []}
            written: dict[str, bytes] = {}
            for run in range(args.runs):
                for name, module in (("before", before), ("after", after)):
                    [task] = after._tasks([doc], work / name / "pdf", None, work / "assets", None, work / "cache", [])
                    task = replace(task, out_path=work / name / f"{run}.pdf")
                    started = time.perf_counter()
                    module.render_task(task)
                    times[name].append(time.perf_counter() - started)
                    written[name] = task.out_path.read_bytes()
            same = "same bytes" if written["before"] == written["after"] else "DIFFERENT bytes"
            print(
                f"{doc.slug:40} before {statistics.median(times['before']):6.2f} s   "
                f"after {statistics.median(times['after']):6.2f} s   ({same}; median of {args.runs})",
                flush=True,
            )


if __name__ == "__main__":
    main()
