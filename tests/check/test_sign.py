"""`docs-compile sign`: a text edit of the reviews block; sign-offs go stale when content changes and stay
fresh when only key order, comments or formatting change."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from pathlib import Path

import yaml
from click.testing import Result
from helpers.project import OWN_AUDIENCES_ONLY, minimal_source, write_tree

from compiler.check.signoff import canonical_sha256

Cli = Callable[..., Result]

SOURCE = """# The demo model. This comment must survive signing.
model:
  id: demo
  name: Demo   # trailing comment
  version: "0.1.0"
  release_date: 2025-01-01
  type: logistic regression
  summary: A demo model.
  domain: other
  risk_class: minimal
  developers:
    - name: Example Lab
  owner: ML team
  contact: {name: ML team, email: ml@example.org}
  license: MIT

intended_use:
  purpose: Sorts support tickets by topic.
  users:
    - role: support agent
  out_of_scope:
    - Any decision about a person
"""


def write_project(root: Path) -> Path:
    rest = {k: v for k, v in minimal_source().items() if k not in ("model", "intended_use")}
    text = SOURCE + yaml.safe_dump(rest, sort_keys=False) + "# end of file\n"
    write_tree(root, {"content/demo/model.yaml": text})
    return root / "content/demo/model.yaml"


def sign(cli: Cli, section: str = "intended_use", reviewer: str = "Ada Reviewer", role: str = "product") -> Result:
    return cli("sign", "demo", "--section", section, "--reviewer", reviewer, "--role", role, "--date", "2025-02-03")


def test_sign_records_the_canonical_hash_and_keeps_the_rest(project: Path, cli: Cli) -> None:
    path = write_project(project)
    before = path.read_text(encoding="utf-8")
    result = sign(cli)
    assert result.exit_code == 0, result.output
    after = path.read_text(encoding="utf-8")
    assert after.startswith(before)  # nothing above is touched; the block is appended
    data = yaml.safe_load(after)
    (review,) = data["reviews"]
    assert review == {
        "section": "intended_use",
        "reviewer": "Ada Reviewer",
        "role": "product",
        "date": date(2025, 2, 3),
        "sha256": canonical_sha256(data, "intended_use"),
    }
    assert "# trailing comment" in after and "# end of file" in after
    assert cli("validate").exit_code == 0
    assert not list(path.parent.glob("*.tmp"))


def test_signing_again_updates_the_entry(project: Path, cli: Cli) -> None:
    path = write_project(project)
    assert sign(cli).exit_code == 0
    assert sign(cli, role="legal").exit_code == 0
    text = path.read_text(encoding="utf-8").replace("Sorts support tickets", "Routes support tickets")
    path.write_text(text, encoding="utf-8")
    assert sign(cli).exit_code == 0
    reviews = yaml.safe_load(path.read_text(encoding="utf-8"))["reviews"]
    assert [(r["role"], r["sha256"] == canonical_sha256(yaml.safe_load(text), "intended_use")) for r in reviews] == [
        ("product", True),
        ("legal", False),
    ]


def test_editing_the_section_makes_the_signoff_stale(project: Path, cli: Cli) -> None:
    path = write_project(project)
    assert sign(cli).exit_code == 0
    write_tree(
        project,
        {"audiences/a/audience.yaml": {"title": "A", "description": "A.", "sections": ["x"]}, **OWN_AUDIENCES_ONLY},
    )
    assert json.loads(cli("check", "--json").output)["models"][0]["signoffs"][0]["status"] == "approved"
    path.write_text(path.read_text(encoding="utf-8").replace("Any decision about a person", "Hiring"), encoding="utf-8")
    result = cli("check", "--json")
    assert result.exit_code == 1
    report = json.loads(result.output)["models"][0]
    assert report["signoffs"][0]["status"] == "stale"
    (finding,) = [f for f in report["findings"] if f["rule"] == "signoff-stale"]
    assert finding["message"] == (
        "sign-off of 'intended_use' by Ada Reviewer (product, 2025-02-03) is stale: the section changed since"
    )
    assert finding["file"] == "content/demo/model.yaml" and finding["line"] == 18


def test_reordering_keys_and_comments_keeps_it_fresh(project: Path, cli: Cli) -> None:
    path = write_project(project)
    assert sign(cli).exit_code == 0
    write_tree(
        project,
        {"audiences/a/audience.yaml": {"title": "A", "description": "A.", "sections": ["x"]}, **OWN_AUDIENCES_ONLY},
    )
    text = path.read_text(encoding="utf-8")
    reordered = text.replace(
        "  purpose: Sorts support tickets by topic.\n  users:\n    - role: support agent\n",
        "  users: [{role: 'support agent'}]   # who uses it\n  # why it exists\n  purpose: >-\n    Sorts support\n    tickets by topic.\n",
    )
    assert reordered != text
    path.write_text(reordered, encoding="utf-8")
    result = cli("check", "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["models"][0]["signoffs"][0]["status"] == "approved"


def test_required_signoffs_are_reported_missing(project: Path, cli: Cli) -> None:
    write_project(project)
    audience = {
        "title": "Clinician summary",
        "description": "For clinicians.",
        "sections": ["x"],
        "signoffs": [{"role": "clinician", "sections": ["intended_use"]}],
    }
    write_tree(project, {"audiences/clinician/audience.yaml": audience, **OWN_AUDIENCES_ONLY})
    result = cli("check")
    assert result.exit_code == 1
    assert "the clinician audience requires a sign-off of 'intended_use' by role 'clinician'" in result.output
    assert "hint: docs-compile sign demo --section intended_use --reviewer NAME --role clinician" in result.output
    assert sign(cli, role="clinician").exit_code == 0
    assert cli("check").exit_code == 0


def test_flow_style_empty_reviews_is_replaced(project: Path, cli: Cli) -> None:
    path = write_project(project)
    path.write_text(path.read_text(encoding="utf-8") + "reviews: []  # none yet\n", encoding="utf-8")
    assert sign(cli).exit_code == 0
    text = path.read_text(encoding="utf-8")
    assert 'reviews:  # none yet\n  - section: "intended_use"\n' in text
    assert len(yaml.safe_load(text)["reviews"]) == 1


def test_input_mistakes(project: Path, cli: Cli) -> None:
    path = write_project(project)
    original = path.read_text(encoding="utf-8")
    result = sign(cli, section="intended_uses")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: content/demo/model.yaml: section 'intended_uses' does not exist (hint: did you mean 'intended_use'?)"
    )
    assert sign(cli, section="reviews").exit_code == 2
    bad_date = cli("sign", "demo", "--section", "plain", "--reviewer", "A", "--role", "r", "--date", "03/02/2025")
    assert bad_date.exit_code == 2 and "'03/02/2025' is not a date" in bad_date.stderr
    # A sign-off that would not validate (a reviewer name beyond the text limit) leaves the file as it was.
    result = sign(cli, reviewer="x" * 20_001)
    assert result.exit_code == 2
    assert path.read_text(encoding="utf-8") == original


def test_a_list_index_past_the_end_is_a_missing_section(project: Path, cli: Cli) -> None:
    """`datasets[9]` of a source with one dataset once ended in an IndexError traceback."""
    write_project(project)
    result = sign(cli, section="datasets[9]")
    assert result.exit_code == 2
    assert "section 'datasets[9]' does not exist" in result.stderr
    assert "Traceback" not in result.stderr
