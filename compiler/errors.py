"""Errors shared by every stage: stages raise them, only the CLI prints them and picks the exit code."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_OK = 0
EXIT_GATE = 1
EXIT_INPUT = 2
EXIT_BUSY = 3
"""Another build holds the output folder; nothing was written, try again when it has finished."""


# What a terminal acts on rather than shows: C0 and C1 controls (ESC starts ANSI and OSC-8 sequences),
# DEL, the Unicode line breaks that splitlines() honours, and the bidirectional overrides that reorder
# what is shown. Tab stays. A folder name or a source value can hold any of them.
_UNPRINTABLE = re.compile("[\x00-\x08\x0a-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text safe to print on a terminal: every control character written as a Python escape (`\\x1b`, `\\u2028`)."""
    return _UNPRINTABLE.sub(lambda m: repr(m.group())[1:-1], text)


@dataclass(frozen=True)
class Location:
    """A place in a source file: 1-based line and column, as editors count them."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass
class Problem:
    """One input mistake: where, which field, what is wrong, and how to fix it."""

    location: Location
    message: str
    field: str = ""
    hint: str = ""

    def format(self) -> str:
        """The problem as one line for a terminal; control characters from any part are shown escaped."""
        text = f"{self.location}: "
        if self.field:
            text += f"{self.field}: "
        text += self.message
        if self.hint:
            text += f" (hint: {self.hint})"
        return printable(text)

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.location.file,
            "line": self.location.line,
            "column": self.location.column,
            "field": self.field,
            "message": self.message,
            "hint": self.hint,
        }


class CompilerError(Exception):
    """Base of every error docs-compile raises on purpose. Exit code 2 unless a subclass says otherwise."""

    exit_code = EXIT_INPUT

    def __init__(self, problems: list[Problem] | str) -> None:
        if isinstance(problems, str):
            problems = [Problem(Location(""), problems)]
        self.problems = problems
        super().__init__("\n".join(p.format() for p in problems))

    @classmethod
    def at(
        cls,
        file: str | Path,
        message: str,
        *,
        line: int = 0,
        column: int = 0,
        field: str = "",
        hint: str = "",
    ) -> CompilerError:
        return cls([Problem(Location(str(file), line, column), message, field, hint)])

    @classmethod
    def placed(cls, where: Location, message: str, *, field: str = "", hint: str = "") -> CompilerError:
        """An error at a known place (a Location from the loader)."""
        return cls([Problem(where, message, field, hint)])

    def format(self) -> str:
        lines = []
        for p in self.problems:
            lines.append(
                p.format() if p.location.file else printable(p.message + (f" (hint: {p.hint})" if p.hint else ""))
            )
        return "\n".join(lines)


class SourceError(CompilerError):
    """The model source (YAML) is unreadable or invalid."""


class ConfigError(CompilerError):
    """An audience, framework, profile or project configuration file is invalid."""


class UsageError(CompilerError):
    """The command line asks for something that cannot be done (unknown model, missing folder…)."""


class EvidenceError(CompilerError):
    """A fact reference could not be resolved from its evidence source."""


class RenderError(CompilerError):
    """A template failed while rendering a document."""


class GateFailure(CompilerError):
    """A release gate failed (check); the input itself was readable."""

    exit_code = EXIT_GATE


class BuildBusy(CompilerError):
    """Another build is writing the same output folder right now."""

    exit_code = EXIT_BUSY
