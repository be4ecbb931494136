"""docs/audiences.md, followed literally: a new user adds an audience, builds it and sees the page.

The tutorial's fenced blocks are its steps, in order:

- a `bash` block holds commands; each is a `docs-compile` command, run with the real CLI;
- a block with `title="<path>"` is a file to write at that path, except that
- a `text` block with `title="<page>"` is what the built page at that path shows, line by line, in order.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from pathlib import Path
from typing import Any

from helpers.project import REPO

TUTORIAL = REPO / "docs" / "audiences.md"
FENCE = re.compile(r"^```(\w+)(?: title=\"([^\"]+)\")?\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def steps(markdown: str) -> list[tuple[str, str, str]]:
    """(language, title, body) of every fenced block, in document order."""
    return [(m.group(1), m.group(2) or "", m.group(3)) for m in FENCE.finditer(markdown)]


def page_text(path: Path) -> str:
    """The visible text of a built page's article, whitespace collapsed."""
    import lxml.html

    article = lxml.html.parse(str(path)).getroot().find(".//article")
    assert article is not None, f"{path} has no <article>"
    return " ".join(article.text_content().split())


def test_the_tutorial_has_the_steps_a_new_user_takes() -> None:
    found = steps(TUTORIAL.read_text(encoding="utf-8"))
    files = [title for language, title, _ in found if title and language != "text"]
    assert files == ["audiences/product/audience.yaml", "audiences/product/sections/at-a-glance.md.j2"]
    commands = [line for language, _, body in found if language == "bash" for line in body.splitlines()]
    assert commands == ["docs-compile init demo", "docs-compile build --model demo --audience product --no-pdf"]
    assert [title for language, title, _ in found if language == "text"] == ["build/site/demo/product/index.html"]


def test_following_the_tutorial_builds_the_page_it_shows(project: Path, cli: Callable[..., Any]) -> None:
    # "Before you start": a repository with content/ only; the packaged audiences lie under its own.
    assert not (project / "audiences").exists() and not (project / "mkdocs.yml").exists()
    checked = 0
    for language, title, body in steps(TUTORIAL.read_text(encoding="utf-8")):
        if language == "bash":
            for line in body.splitlines():
                program, *args = shlex.split(line)
                assert program == "docs-compile", f"the tutorial runs something other than docs-compile: {line}"
                result = cli(*args)
                assert result.exit_code == 0, f"{line}\n{result.output}"
        elif language == "text" and title:
            shown, position = page_text(project / title), 0
            for expected in body.splitlines():
                position = shown.find(" ".join(expected.split()), position)
                assert position >= 0, f"{title} does not show {expected!r} (in this order):\n{shown}"
            checked += 1
        elif title:
            (project / title).parent.mkdir(parents=True, exist_ok=True)
            (project / title).write_text(body, encoding="utf-8")
    assert checked == 1
