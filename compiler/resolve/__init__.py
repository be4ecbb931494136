"""Resolve stage: evidence becomes facts.

Two halves: `apply` (used by every build) replaces fact references with the values of the model's
lock file; `run` (the `docs-compile resolve` command) reads the trackers, evaluation files and
predictions named by the references and writes that lock. `refs` is the reference syntax, `lock` the
lock file, `readers/` one reader per kind of evidence source.
"""
