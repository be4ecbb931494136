"""Issue 14, item 10 (part): no message the CLI prints can drive the terminal (ANSI, OSC-8, line breaks, bidi)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers.project import write_tree

from compiler.commands.init import scaffold
from compiler.errors import CompilerError, Location, Problem, printable

OSC8 = "\x1b]8;;https:evil.example\x1b\\triage\x1b]8;;\x1b\\"
"""A folder name that a terminal shows as a link 'triage' to evil.example (no '/', so it is one folder)."""


def test_item10_an_osc8_escape_in_a_folder_name_reaches_the_terminal_escaped(project: Path) -> None:
    write_tree(project, {f"content/{OSC8}/model.yaml": scaffold("triage").replace("intended_use:", "intended_usee:")})
    result = subprocess.run(
        [sys.executable, "-m", "compiler", "validate"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 2
    assert "\x1b" not in result.stderr
    shown = "\\x1b]8;;https:evil.example\\x1b\\triage\\x1b]8;;\\x1b\\"
    assert result.stderr == (  # every error at once: the folder's name is escaped in each
        f"error: content/{shown}/model.yaml:9:7: model.id: model id 'triage' differs from its folder '{shown}' "
        f"(hint: rename one; use `id: {shown}`)\n"
        f"error: content/{shown}/model.yaml:28:1: intended_usee: "
        "unknown key 'intended_usee' (hint: did you mean 'intended_use'?)\n"
        "2 errors\n"
    )


@pytest.mark.parametrize(
    ("character", "shown"),
    [
        ("\x1b", "\\x1b"),  # ANSI and OSC sequences
        ("\x07", "\\x07"),  # BEL ends an OSC sequence
        ("\r", "\\r"),  # overwrites the line
        ("\n", "\\n"),  # a fake second error line
        ("\x7f", "\\x7f"),
        ("\x9b", "\\x9b"),  # C1 CSI
        ("\x85", "\\x85"),  # NEL, a line break for splitlines()
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
        ("\u202e", "\\u202e"),  # right-to-left override
        ("\u2066", "\\u2066"),  # isolates
        ("\u2069", "\\u2069"),
        ("\u200f", "\\u200f"),
        ("\u061c", "\\u061c"),
    ],
)
def test_item10_control_characters_are_escaped_in_every_part_of_a_problem(character: str, shown: str) -> None:
    problem = Problem(Location(f"a{character}.yaml", 1, 2), f"m{character}", f"f{character}", f"h{character}")
    assert problem.format() == f"a{shown}.yaml:1:2: f{shown}: m{shown} (hint: h{shown})"
    unplaced = CompilerError([Problem(Location(""), f"m{character}", hint=f"h{character}")])
    assert unplaced.format() == f"m{shown} (hint: h{shown})"
    assert str(CompilerError([problem])) == problem.format()


def test_item10_printable_text_is_unchanged() -> None:
    text = "content/chest-xray/model.yaml: résumé — 95% CI 0.91–0.95, tab\there, 中文, emoji ✓"
    assert printable(text) == text
