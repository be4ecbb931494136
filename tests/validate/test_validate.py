"""Validate stage: a corpus of bad inputs, each with its exact place and message."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from helpers.project import write_tree

from compiler.commands.init import scaffold
from compiler.errors import SourceError
from compiler.load.reader import load_project
from compiler.validate.project import validate_project

FILE = "content/demo/model.yaml"
BASE = scaffold("demo", date(2026, 1, 15))


def _edit(old: str, new: str) -> str:
    assert BASE.count(old) == 1, old
    return BASE.replace(old, new)


def _at(text: str, needle: str) -> tuple[int, int]:
    """1-based line and column of the first occurrence of needle in text."""
    index = text.index(needle)
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def _errors(project: Path, text: str | bytes) -> list[str]:
    write_tree(project, {FILE: text})
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    return [p.format().split("\n")[0] for p in caught.value.problems]  # a YAML error's excerpt lines follow


TAB_TEXT = _edit("  purpose: TODO what", "\tpurpose: TODO what")
BRACKET_TEXT = _edit("  relevant: []", "  relevant: [a, b")

# (case id, source text, needle whose position the error names, expected "field: message (hint)")
CASES: list[tuple[str, str | bytes, str, str]] = [
    (
        "typo-top-level-key",
        _edit("intended_use:\n", "intended_usee:\n"),
        "intended_usee:",
        "intended_usee: unknown key 'intended_usee' (hint: did you mean 'intended_use'?)",
    ),
    (
        "typo-nested-key",
        _edit("  owner: TODO accountable", "  ownr: TODO accountable"),
        "ownr:",
        "model.ownr: unknown key 'ownr' (hint: did you mean 'owner'?)",
    ),
    (
        "unknown-key-no-close-match",
        _edit("  medical_device: false\n", "  medical_device: false\n  zzz: 1\n"),
        "zzz:",
        "model.zzz: unknown key 'zzz' (hint: valid keys here: citation, contact, data_notice, developers, domain, funding, "
        "id, illustrative, keywords, languages, license, medical_device, name, owner, papers, regulatory, reimbursement, release_date, "
        "risk_class, stakeholders_consulted, standards, status, summary, third_parties, type, version)",
    ),
    (
        "missing-required-field",
        _edit("  owner: TODO accountable team\n", ""),
        "model:",
        "model.owner: required field is missing (hint: add `owner:`; `docs-compile schema` describes every field)",
    ),
    (
        "invalid-date",
        _edit("release_date: 2026-01-15", "release_date: 2026-02-30"),
        "2026-02-30",
        "model.release_date: expected a date (YYYY-MM-DD), found text ('2026-02-30')",
    ),
    (
        "date-not-a-date",
        _edit("release_date: 2026-01-15", "release_date: next week"),
        "next week",
        "model.release_date: expected a date (YYYY-MM-DD), found text ('next week')",
    ),
    (
        "unquoted-version",
        _edit('  version: "0.1.0"  ', "  version: 1.5  "),
        "1.5",
        'model.version: write the version as quoted text, e.g. "1.5", so YAML keeps it exact',
    ),
    (
        "bad-version",
        _edit('  version: "0.1.0"  ', "  version: latest  "),
        "latest",
        "model.version: expected a version such as 2.1.0 or 3.0.0-rc.1, a fact reference such as "
        "mlflow://<run_id>/metrics/<key>, or \"TODO: …\" while it is not known, found str 'latest'",
    ),
    (
        "enum-typo",
        _edit("risk_class: minimal ", "risk_class: hihg    "),
        "hihg",
        "model.risk_class: expected one of minimal, limited, high, unacceptable, found 'hihg' (hint: did you mean 'high'?)",
    ),
    (
        "pattern-enum-typo",
        _edit("status: draft ", "status: relesed"),
        "relesed",
        "model.status: expected one of draft, in-review, released, retired, found 'relesed' (hint: did you mean 'released'?)",
    ),
    (
        "bad-identifier",
        _edit("  - id: train\n", "  - id: Train Set\n"),
        "Train Set",
        "datasets[0].id: 'Train Set' does not have the expected form (hint: use lower-case letters, digits, '.', '_' and "
        "'-', starting with a letter or digit)",
    ),
    (
        "bad-license",
        _edit("license: LicenseRef-Proprietary", "license: all rights reserved"),
        "all rights reserved",
        "model.license: 'all rights reserved' does not have the expected form (hint: use an SPDX id such as Apache-2.0, "
        "MIT, CC-BY-4.0, or LicenseRef-Proprietary)",
    ),
    (
        "bad-email",
        _edit("email: todo@example.org", "email: not-an-address"),
        "not-an-address",
        "model.contact.email: 'not-an-address' does not have the expected form (hint: write an e-mail address such as "
        "team@example.org)",
    ),
    (
        "list-where-mapping-expected",
        _edit("  contact:\n    name: TODO team\n    email: todo@example.org\n", "  contact:\n    - TODO team\n"),
        "- TODO team",
        "model.contact: expected a mapping (key: value), found a list",
    ),
    (
        "mapping-where-list-expected",
        _edit("  out_of_scope:\n    - TODO uses the model is not meant for\n", "  out_of_scope:\n    first: x\n"),
        "first: x",
        "intended_use.out_of_scope: expected a list, found a mapping",
    ),
    (
        "text-where-number-expected",
        _edit("      count: 0", "      count: many"),
        "many",
        "datasets[0].composition.count: expected a whole number of 0 or more, or a fact reference such as "
        "mlflow://<run_id>/metrics/<key>, found str 'many'",
    ),
    (
        "negative-count",
        _edit("      count: 0", "      count: -3"),
        "-3",
        "datasets[0].composition.count: expected a whole number of 0 or more, or a fact reference such as "
        "mlflow://<run_id>/metrics/<key>, found int -3",
    ),
    (
        "nan-metric",
        _edit("      value: 0.5\n", "      value: .nan\n"),
        ".nan",
        "evaluation.results[0].value: must be a finite number, not NaN or infinity",
    ),
    (
        "infinite-metric",
        _edit("      ci_high: 0.6\n", "      ci_high: .inf\n"),
        ".inf",
        "evaluation.results[0].ci_high: must be a finite number, not NaN or infinity",
    ),
    (
        "ci-low-above-high",
        _edit("      ci_low: 0.4\n", "      ci_low: 0.7\n"),
        "ci_low: 0.7",
        "evaluation.results[0].ci_low: ci_low (0.7) is greater than ci_high (0.6) (hint: swap the bounds: ci_low is "
        "the lower one)",
    ),
    (
        "malformed-fact-reference",
        _edit("      value: 0.5\n", "      value: mlflow:/run/metrics/acc\n"),
        "mlflow:/run",
        "evaluation.results[0].value: expected a number or a fact reference such as mlflow://<run_id>/metrics/<key>, "
        "found str 'mlflow:/run/metrics/acc'",
    ),
    (
        "boolean-where-text-expected",
        _edit("  name: TODO model name", "  name: yes"),
        "yes",
        "model.name: expected text, found a boolean (true)",
    ),
    (
        "empty-list",
        _edit("  out_of_scope:\n    - TODO uses the model is not meant for\n", "  out_of_scope: []\n"),
        "[]",
        "intended_use.out_of_scope: must have at least 1 item(s)",
    ),
    (
        "empty-text",
        _edit("  purpose: TODO what the model is for.", '  purpose: ""'),
        '""',
        "intended_use.purpose: must not be empty (hint: write the text, or remove the key)",
    ),
    (
        "unknown-metric-reference",
        _edit("    - metric: accuracy\n", "    - metric: acuracy\n"),
        "acuracy",
        "evaluation.results[0].metric: unknown metric 'acuracy' (hint: did you mean 'accuracy'?)",
    ),
    (
        "unknown-dataset-reference",
        _edit("      dataset: train\n", "      dataset: test\n"),
        "test\n",
        "evaluation.results[0].dataset: unknown dataset 'test' (hint: declared: train)",
    ),
    (
        "id-differs-from-folder",
        _edit("  id: demo ", "  id: other"),
        "other",
        "model.id: model id 'other' differs from its folder 'demo' (hint: rename one; use `id: demo`)",
    ),
    (
        "duplicate-key",
        _edit("  owner: TODO accountable team\n", "  owner: TODO accountable team\n  owner: again\n"),
        "owner: again",
        "model.owner: duplicate key 'owner' (first defined at line 21) (hint: remove one of them; YAML would silently "
        "keep only the last)",
    ),
    (
        "tab-indentation",
        TAB_TEXT,
        "\tpurpose",
        f"YAML syntax error: line {_at(TAB_TEXT, chr(9))[0]} is indented with a tab (hint: YAML indentation uses spaces, not tabs: replace the "
        "tab with spaces)",
    ),
    (
        "unclosed-bracket",
        BRACKET_TEXT,
        "[a, b",
        f"YAML syntax error: the '[' opened on line {_at(BRACKET_TEXT, '[a, b')[0]} is never closed (hint: close the list with ']' on the same line, "
        "or write its entries on lines of their own)",
    ),
    (
        "python-tag",
        _edit("  name: TODO model name", "  name: !!python/object:os.system ls"),
        "!!python",
        "YAML error: could not determine a constructor for the tag 'tag:yaml.org,2002:python/object:os.system' "
        "(hint: tags such as !!python/object are not allowed; write plain values)",
    ),
    (
        "two-documents",
        BASE + "---\nmodel: {}\n",
        "---\nmodel: {}",
        "YAML syntax error: more than one YAML document in this file (hint: remove the `---` separator; use `$include` "
        "to split a source)",
    ),
    (
        "merge-key",
        _edit("  medical_device: false\n", "  medical_device: false\n  <<: {a: 1}\n"),
        "<<",
        "keys must be plain text (hint: merge keys (<<) are not supported: use `$include`)",
    ),
    (
        "top-level-list",
        "- model\n- other\n",
        "- model",
        "expected a mapping (key: value) at the top of the file, found a list (hint: start with `model:`; run "
        "`docs-compile init ID` for a template)",
    ),
    ("empty-file", "", "", "file is empty (hint: a model source starts with `model:`)"),
    ("comments-only", "# nothing here\n", "", "file is empty (hint: a model source starts with `model:`)"),
    (
        "non-utf8",
        BASE.replace("TODO organisation", "Caf\udce9 Org").encode("utf-8", "surrogateescape"),
        "Caf",
        "not valid UTF-8: byte 0xe9 cannot be decoded (hint: save the file as UTF-8)",
    ),
    (
        "binary",
        b"model:\n  id: demo\x00\x01\x02",
        "model",
        "binary file: found a NUL byte (hint: a source must be UTF-8 text)",
    ),
]


@pytest.mark.parametrize(("case", "text", "needle", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_is_placed_and_explained(
    project: Path, case: str, text: str | bytes, needle: str, expected: str
) -> None:
    errors = _errors(project, text)
    as_text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
    if case == "non-utf8":
        line, column = _at(as_text, "Caf")
        column += 3
    elif case == "binary":
        line, column = 2, 1
    elif needle:
        line, column = _at(as_text, needle)
        if case == "ci-low-above-high":
            column += len("ci_low: ")
        if case == "tab-indentation":
            column = 1
    else:
        line, column = 1, 1
    assert errors == [f"{FILE}:{line}:{column}: {expected}"]


def test_every_error_of_every_model_at_once(project: Path) -> None:
    write_tree(
        project,
        {
            "content/a/model.yaml": scaffold("a").replace("  owner: TODO accountable team\n", ""),
            "content/b/model.yaml": scaffold("b")
            .replace("intended_use:\n", "intended_usee:\n")
            .replace("count: 0", "count: x"),
            "content/c/model.yaml": "model: [\n",
            "content/d/model.yaml": scaffold("d"),
        },
    )
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    files = [p.location.file for p in caught.value.problems]
    assert files == sorted(files)
    assert files.count("content/a/model.yaml") == 1
    assert files.count("content/b/model.yaml") == 2  # the misspelt intended_use (once), the bad count
    assert files.count("content/c/model.yaml") == 1
    assert "content/d/model.yaml" not in files


def test_alias_bomb_is_refused_quickly(project: Path) -> None:
    lines = ["a: &a [x, x, x, x, x, x, x, x, x, x]"]
    for i, name in enumerate("bcdefghi"):
        prev = "abcdefghi"[i]
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 10) + "]")
    errors = _errors(project, "\n".join(lines) + "\n")
    assert len(errors) == 1
    assert "the source expands to more than 200,000 values" in errors[0]
    assert "billion laughs" in errors[0]


def test_deep_nesting_is_refused(project: Path) -> None:
    errors = _errors(project, "model: " + "[" * 100 + "]" * 100 + "\n")
    assert errors == [f"{FILE}:1:72: nested deeper than 64 levels (hint: flatten the structure)"]


def test_huge_file_is_refused(project: Path) -> None:
    errors = _errors(project, "model:\n  summary: " + "x" * (5 * 1024 * 1024) + "\n")
    assert errors == [
        f"{FILE}:1:1: file is too large (5,242,899 bytes; the limit is 4,194,304) (hint: split it with `$include` or "
        "move data into an evidence file)"
    ]


def test_too_long_text_field(project: Path) -> None:
    errors = _errors(project, _edit("  purpose: TODO what the model is for.", "  purpose: " + "y" * 20_001))
    line, column = _at(_edit("  purpose: TODO what the model is for.", "  purpose: " + "y" * 20_001), "yyy")
    assert errors == [
        f"{FILE}:{line}:{column}: intended_use.purpose: text is too long (20,001 characters) (hint: move long material "
        "into a separate document and link it)"
    ]


def test_component_model_ref_must_exist_in_catalog(project: Path) -> None:
    text = _edit(
        "    summary: TODO how the system is put together.\n",
        "    summary: TODO how the system is put together.\n"
        "    components:\n"
        "      - {id: ranker, name: Ranker, kind: model, description: ranks, model_ref: reranker}\n",
    )
    errors = _errors(project, text)
    line, column = _at(text, "reranker}")
    assert errors == [
        f"{FILE}:{line}:{column}: system.architecture.components[0].model_ref: model 'reranker' is not in the catalog "
        "(hint: add that model under content/ or remove model_ref)"
    ]
