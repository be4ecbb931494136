"""Load stage: YAML syntax errors in words a person reads — what is wrong, on which line, the likely fix — with
the offending line shown and a caret under the column. Each common PyYAML error, with its exact message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers.project import write_tree

from compiler.errors import SourceError
from compiler.load.reader import load_project
from compiler.load.yaml_errors import excerpt
from compiler.validate.project import validate_project

FILE = "content/m/model.yaml"

# (case, YAML text, expected first line after "file:", the excerpt: the line shown, then the caret line)
CASES: list[tuple[str, str, str, tuple[str, str]]] = [
    (
        "indented-more-than-the-key-above",
        "model:\n  name: x\n    id: m\n",
        "3:7: YAML syntax error: line 3 is indented more than `name:` on line 2, so YAML reads it as part of that "
        "value (hint: indent it by 2 spaces like `name:`, or quote a value that continues over several lines)",
        ("  3 |     id: m", "    |       ^"),
    ),
    (
        "indented-less-than-its-siblings",
        "model:\n    name: x\n  id: m\n",
        "3:3: YAML syntax error: line 3 is indented by 2 spaces, but the keys above it are indented by 4 (line 2) and "
        "0 (line 1) (hint: keys of one mapping start in the same column: line this key up with the keys it belongs "
        "with)",
        ("  3 |   id: m", "    |   ^"),
    ),
    (
        "missing-colon-before-another-key",
        "model:\n  name x\n  id: m\n",
        "2:3: YAML syntax error: line 2 has no ':' after its key, so YAML reads it and line 3 as one value (hint: "
        "write it as `name: x`, or join it to the value above if it continues that value)",
        ("  2 |   name x", "    |   ^"),
    ),
    (
        "missing-colon-on-the-last-line",
        "model:\n  id: m\n  name x\n",
        "3:3: YAML syntax error: line 3 has no ':' after its key (hint: write it as `name: x`, or join it to the "
        "value above if it continues that value)",
        ("  3 |   name x", "    |   ^"),
    ),
    (
        "colon-inside-a-value",
        "model:\n  summary: Note: it flags reviews\n",
        "2:16: YAML syntax error: a value holds ': ' but is not quoted, so YAML reads a second key on line 2 (hint: "
        'quote the value: summary: "Note: it flags reviews")',
        ("  2 |   summary: Note: it flags reviews", "    |                ^"),
    ),
    (
        "unclosed-double-quote",
        'model:\n  name: "PneumoTriage\n  id: m\n',
        '2:9: YAML syntax error: the quote " opened on line 2 is never closed (hint: end the value with " on the '
        'same line; a " inside the value is written \\")',
        ('  2 |   name: "PneumoTriage', "    |         ^"),
    ),
    (
        "unclosed-single-quote",
        "model:\n  name: 'PneumoTriage\n  id: m\n",
        "2:9: YAML syntax error: the quote ' opened on line 2 is never closed (hint: end the value with ' on the "
        "same line; a ' inside the value is written '')",
        ("  2 |   name: 'PneumoTriage", "    |         ^"),
    ),
    (
        "apostrophe-inside-single-quotes",
        "model:\n  name: 'it's'\n",
        "2:13: YAML syntax error: text follows the closing quote of a value (hint: inside '…' an apostrophe is "
        "written twice ('it''s'), or put the whole value in double quotes)",
        ("  2 |   name: 'it's'", "    |             ^"),
    ),
    (
        "text-after-a-closing-double-quote",
        'model:\n  name: "Pneumo" Triage\n',
        "2:18: YAML syntax error: text follows the closing quote of a value (hint: put the whole value inside the "
        'quotes; a " inside the value is written \\")',
        ('  2 |   name: "Pneumo" Triage', "    |                  ^"),
    ),
    (
        "unclosed-bracket",
        "factors:\n  levels: [female, male\n  id: sex\n",
        "2:11: YAML syntax error: the '[' opened on line 2 is never closed (hint: close the list with ']' on the same "
        "line, or write its entries on lines of their own)",
        ("  2 |   levels: [female, male", "    |           ^"),
    ),
    (
        "unclosed-brace",
        "model: {id: m, name: x\n",
        "1:8: YAML syntax error: the '{' opened on line 1 is never closed (hint: close the mapping with '}' on the "
        "same line, or write its entries on lines of their own)",
        ("  1 | model: {id: m, name: x", "    |        ^"),
    ),
    (
        "text-after-a-closing-bracket",
        "model:\n  name: [draft] triage\n",
        "2:17: YAML syntax error: text follows a closing bracket (hint: quote the value if the bracket is part of "
        'the text: "[draft] notes")',
        ("  2 |   name: [draft] triage", "    |                 ^"),
    ),
    (
        "tab-indentation",
        "model:\n\tid: m\n",
        "2:1: YAML syntax error: line 2 is indented with a tab (hint: YAML indentation uses spaces, not tabs: "
        "replace the tab with spaces)",
        ("  2 | \tid: m", "    | ^"),
    ),
    (
        "tab-after-a-colon",
        "model:\n  id:\tm\n",
        "2:6: YAML syntax error: a tab where YAML expects a space (hint: YAML separates and indents with spaces, not "
        "tabs: write a space)",
        ("  2 |   id:\tm", "    |      ^"),
    ),
    (
        "key-among-list-items",
        "model:\n  keywords:\n    - triage\n    name: x\n",
        "4:5: YAML syntax error: a key on line 4 stands among the items of the list that starts on line 3 (hint: "
        "every item of a list starts with '- ': indent the key under an item, or indent it less to end the list)",
        ("  4 |     name: x", "    |     ^"),
    ),
    (
        "list-item-out-of-line",
        "model:\n  keywords:\n    - triage\n  - chest\n",
        "4:3: YAML syntax error: the list item on line 4 is indented to match no list above it (hint: line the '-' "
        "up with the other items of its list)",
        ("  4 |   - chest", "    |   ^"),
    ),
    (
        "list-on-the-line-of-its-key",
        "model:\n  keywords: - triage\n",
        "2:13: YAML syntax error: a list item ('- ') cannot stand on the same line as its key (hint: start the list "
        "on the next line, indented under the key, or write it as [a, b])",
        ("  2 |   keywords: - triage", "    |             ^"),
    ),
    (
        "value-starting-with-at",
        "model:\n  contact: @team\n",
        "2:12: YAML syntax error: a value cannot start with '@' unless it is quoted (hint: quote it: contact: "
        '"@team")',
        ("  2 |   contact: @team", "    |            ^"),
    ),
    (
        "value-starting-with-a-star",
        "model:\n  name: * triage\n",
        "2:9: YAML syntax error: '*' starts an alias (a reference to an anchor), but no name follows it (hint: quote "
        "the value if '*' is part of the text, e.g. \"* item\")",
        ("  2 |   name: * triage", "    |         ^"),
    ),
    (
        "undefined-alias",
        "model:\n  name: *nothing\n",
        "2:9: YAML syntax error: found undefined alias '*nothing': no anchor '&nothing' is defined above it (hint: "
        "define `&nothing` on an earlier value, or quote the value if '*' is part of the text)",
        ("  2 |   name: *nothing", "    |         ^"),
    ),
    (
        "backslash-in-double-quotes",
        'model:\n  name: "C:\\models\\triage"\n',
        "2:13: YAML syntax error: a backslash inside double quotes starts an escape sequence, and this one is not "
        "valid (hint: write text with backslashes in single quotes ('C:\\Users\\me'), or write each backslash as \\\\)",
        ('  2 |   name: "C:\\models\\triage"', "    |             ^"),
    ),
    (
        "two-documents",
        "model: {}\n---\nmodel: {}\n",
        "2:1: YAML syntax error: more than one YAML document in this file (hint: remove the `---` separator; use "
        "`$include` to split a source)",
        ("  2 | ---", "    | ^"),
    ),
]


def _problem_lines(project: Path, text: str) -> list[str]:
    write_tree(project, {FILE: text})
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    [problem] = caught.value.problems
    return problem.format().split("\n")


@pytest.mark.parametrize(("case", "text", "first", "shown"), CASES, ids=[c[0] for c in CASES])
def test_each_common_syntax_error_says_what_where_and_how_to_fix_it(
    project: Path, case: str, text: str, first: str, shown: tuple[str, str]
) -> None:
    assert _problem_lines(project, text) == [f"{FILE}:{first}", *shown]


def test_the_excerpt_of_a_long_line_is_cut_around_the_column() -> None:
    line = "x" * 150 + ":" + "y" * 150
    shown, caret = excerpt(line, 7, 151)
    assert shown == "  7 | …" + line[100:200] + "…"
    assert caret.index("^") == shown.index(":")
    assert excerpt("a: b", 12, 1) == ("  12 | a: b", "     | ^")


def test_a_syntax_error_in_an_included_file_shows_that_file_and_line(project: Path) -> None:
    write_tree(
        project,
        {FILE: "model:\n  $include: info.yaml\n", "content/m/info.yaml": "id: m\nname 'x\n"},
    )
    with pytest.raises(SourceError) as caught:
        validate_project(load_project(project / "content"))
    assert caught.value.problems[0].format().split("\n") == [
        "content/m/info.yaml:2:1: YAML syntax error: line 2 has no ':' after its key (hint: write it as "
        "`name: 'x`, or join it to the value above if it continues that value)",
        "  2 | name 'x",
        "    | ^",
    ]


def test_the_command_line_shows_the_line_and_the_caret_and_json_keeps_the_place(project: Path) -> None:
    write_tree(project, {FILE: "model:\n  name: x\n    id: m\n"})
    run = [str(Path(sys.executable).parent / "docs-compile"), "validate"]
    shown = subprocess.run(run, cwd=project, capture_output=True, text=True, check=False)
    assert shown.returncode == 2
    assert shown.stderr.splitlines() == [
        f"error: {FILE}:3:7: YAML syntax error: line 3 is indented more than `name:` on line 2, so YAML reads it as "
        "part of that value (hint: indent it by 2 spaces like `name:`, or quote a value that continues over several "
        "lines)",
        "  3 |     id: m",
        "    |       ^",
    ]
    as_json = subprocess.run([*run, "--json"], cwd=project, capture_output=True, text=True, check=False)
    [error] = json.loads(as_json.stdout)["errors"]
    assert (error["file"], error["line"], error["column"]) == (FILE, 3, 7)
    assert error["message"].startswith("YAML syntax error: line 3 is indented more than `name:`")
