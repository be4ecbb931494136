"""Scaffolding (beside the stages): the files `docs-compile init` writes for a new model or a new repository.

`model` holds the commented source of a new model, `files` the text of a repository's settings, pre-commit
and CI files (rendered from `compiler/templates/`), `schemas` the editors' schemas and the `$schema` line
that points a model file at them, and `repository` decides what to write and writes it, never replacing a
file that exists.
"""
