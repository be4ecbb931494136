"""Issue 14, item 10 (part): `sign` refuses reviewer names and roles holding control or format characters."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import Result
from helpers.project import minimal_source, write_tree

from compiler.check.signoff import canonical_sha256

Cli = Callable[..., Result]


def _project(root: Path, reviews: str = "") -> Path:
    text = yaml.safe_dump(minimal_source("demo"), sort_keys=False) + reviews + "# end of file\n"
    write_tree(root, {"content/demo/model.yaml": text})
    return root / "content/demo/model.yaml"


def _sign(cli: Cli, section: str, reviewer: str, role: str = "product") -> Result:
    return cli("sign", "demo", "--section", section, "--reviewer", reviewer, "--role", role, "--date", "2025-02-03")


@pytest.mark.parametrize(
    ("character", "shown"),
    [("\x85", "\\x85"), ("\u2028", "\\u2028"), ("\x1b", "\\x1b"), ("\u202e", "\\u202e"), ("\u200b", "\\u200b")],
)
@pytest.mark.parametrize("option", ["--reviewer", "--role"])
def test_item10_a_reviewer_name_with_u0085_is_refused_by_sign(
    project: Path, cli: Cli, character: str, shown: str, option: str
) -> None:
    path = _project(project)
    before = path.read_bytes()
    name = f"Ada{character}Reviewer"
    result = (
        _sign(cli, "intended_use", name, "product")
        if option == "--reviewer"
        else _sign(cli, "intended_use", "Ada", name)
    )
    assert result.exit_code == 2
    assert path.read_bytes() == before
    assert result.stderr == (
        f"error: {option}: 'Ada{shown}Reviewer' holds a control or format character ({shown}) "
        "(hint: type the name as it should be shown, without line breaks or invisible characters)\n"
    )


def test_item10_a_source_already_holding_u0085_does_not_break_later_signs(project: Path, cli: Cli) -> None:
    data = minimal_source("demo")
    old = {
        "section": "model",
        "reviewer": "Ada\x85Reviewer",
        "role": "product",
        "date": "2025-01-02",
        "sha256": "0" * 64,
    }
    reviews = "reviews:\n" + "".join(
        f'  {"- " if i == 0 else "  "}{k}: "{v}"\n' if k != "date" else f"    {k}: {v}\n"
        for i, (k, v) in enumerate(old.items())
    )
    path = _project(project, reviews)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["reviews"][0]["section"] == "model"
    result = _sign(cli, "intended_use", "Grace Reviewer")
    assert result.exit_code == 0, result.output
    again = _sign(cli, "intended_use", "Grace Reviewer")
    assert again.exit_code == 0, again.output
    loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert [(r["section"], r["reviewer"]) for r in loaded["reviews"]] == [
        ("model", loaded["reviews"][0]["reviewer"]),
        ("intended_use", "Grace Reviewer"),
    ]
    assert loaded["reviews"][1]["date"] == date(2025, 2, 3)
    assert loaded["reviews"][1]["sha256"] == canonical_sha256({**data, **loaded}, "intended_use")
    assert path.read_text(encoding="utf-8").endswith("# end of file\n")
