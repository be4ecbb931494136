"""Load stage: YAML syntax errors in words a person reads — what is wrong, on which line, the likely fix —
with the offending line shown and a caret under the column.

PyYAML says what its parser expected ("expected <block end>, but found '?'"); a person wants to know what
they wrote. Each common error is recognised from PyYAML's problem and context, and from the text around it
(the line above, its indentation, the quote or bracket that is open), and is placed where the fix goes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import yaml

from compiler.errors import Location, Problem, printable

_WIDTH = 100
"""Longest excerpt shown; a longer line is cut around the column."""
_GENERIC_HINT = "check the indentation and the quoting of this line and the line above"
_TAB_HINT = "YAML indentation uses spaces, not tabs: replace the tab with spaces"


@dataclass
class SyntaxProblem(Problem):
    """A problem shown with the line it is on and a caret under the column (the lines start with spaces)."""

    excerpt: tuple[str, ...] = ()

    def format(self) -> str:
        return "\n".join([super().format(), *(printable(line) for line in self.excerpt)])


@dataclass(frozen=True)
class _Explained:
    line: int
    column: int
    """0-based, as PyYAML's marks count."""
    message: str
    hint: str


@dataclass(frozen=True)
class _Error:
    """What PyYAML reported, with the file's lines."""

    problem: str
    context: str
    line: int
    column: int
    context_line: int
    context_column: int
    lines: list[str]

    def text(self, line: int) -> str:
        return self.lines[line] if 0 <= line < len(self.lines) else ""

    def at(self, message: str, hint: str) -> _Explained:
        return _Explained(self.line, self.column, message, hint)

    def at_context(self, message: str, hint: str) -> _Explained:
        return _Explained(self.context_line, self.context_column, message, hint)


def syntax_problem(shown: str, text: str, exc: yaml.MarkedYAMLError) -> SyntaxProblem:
    """The YAML error as a placed problem: plain words, a likely fix, the line and a caret."""
    mark, context = exc.problem_mark or exc.context_mark, exc.context_mark or exc.problem_mark
    line, column = (mark.line, mark.column) if mark else (0, 0)
    error = _Error(
        exc.problem or "",
        exc.context or "",
        line,
        column,
        context.line if context else line,
        context.column if context else column,
        text.split("\n"),
    )
    found = _explain(error)
    return SyntaxProblem(
        Location(shown, found.line + 1, found.column + 1),
        f"YAML syntax error: {found.message}",
        hint=found.hint,
        excerpt=excerpt(error.text(found.line), found.line + 1, found.column + 1),
    )


def excerpt(text: str, line: int, column: int) -> tuple[str, ...]:
    """The line, numbered, and a caret under the 1-based column; a long line is cut around the column."""
    start = 0
    if len(text) > _WIDTH:
        start = max(0, min(column - 1 - _WIDTH // 2, len(text) - _WIDTH))
    shown = text[start : start + _WIDTH]
    before = "…" if start else ""
    after = "…" if start + _WIDTH < len(text) else ""
    # The caret's padding repeats the tabs of the line, so it stands under the column in any terminal.
    pad = before.replace("…", " ") + "".join(c if c == "\t" else " " for c in shown[: max(0, column - 1 - start)])
    number = str(line)
    return (f"  {number} | {before}{shown}{after}", f"  {' ' * len(number)} | {pad}^")


def _explain(error: _Error) -> _Explained:
    for test, explain in _EXPLAINERS:
        if test(error):
            found = explain(error)
            if found is not None:
                return found
    words = error.problem + (f" ({error.context})" if error.context and error.context != error.problem else "")
    return error.at(words or "invalid YAML", _GENERIC_HINT)


# --- reading the text around an error -----------------------------------------------------------------

# Linear on any line (no nested quantifiers): the value is what follows ': ', stripped afterwards.
_KEY = re.compile(r"^ *(?:- +)?(?P<key>[^\s#'\"][^:#]*|\"[^\"]*\"|'[^']*'):(?:[ \t](?P<value>.*)|$)")


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _content_above(error: _Error, line: int) -> int | None:
    """The nearest line above that holds more than blanks or a comment."""
    for i in range(line - 1, -1, -1):
        stripped = error.text(i).strip()
        if stripped and not stripped.startswith("#"):
            return i
    return None


def _key_of(text: str) -> tuple[str, str] | None:
    """(key, inline value) of a `key: value` line, None when the line is no key."""
    match = _KEY.match(text)
    if match is None:
        return None
    return match["key"].strip(), (match["value"] or "").strip()


def _quoted(value: str) -> str:
    if '"' not in value:
        return f'"{value}"'
    return "'" + value.replace("'", "''") + "'"


def _write_as(text: str) -> str:
    """How a line of `key value` (its colon missing) is written."""
    words = text.strip().removeprefix("- ").split(None, 1)
    if not words:
        return "`key: value`"
    return f"`{words[0]}: {words[1]}`" if len(words) == 2 else f"`{words[0]}: <value>`"


# --- explainers, tried in order -----------------------------------------------------------------------


def _mapping_value(error: _Error) -> _Explained | None:
    """'mapping values are not allowed here': ': ' inside a value, a key without a colon above, or a line
    indented more than the key above (YAML reads it as that value's next line)."""
    here = error.text(error.line)
    first = re.search(r":(\s|$)", here[: error.column])
    if first is not None:
        key, value = here[: first.start()].strip().removeprefix("- "), here[first.end() :].strip()
        return error.at(
            f"a value holds ': ' but is not quoted, so YAML reads a second key on line {error.line + 1}",
            f"quote the value: {key}: {_quoted(value)}",
        )
    above = _content_above(error, error.line)
    if above is None:
        return None
    owner_line = _key_above(error, error.line)
    text = error.text(above)
    if owner_line is not None and owner_line != above:
        owner = _key_of(error.text(owner_line))
        if owner is not None and owner[1] and _indent(text) > _indent(error.text(owner_line)):
            above = owner_line  # the lines between continue the value of that key
    owner = _key_of(error.text(above))
    if owner is None and text.lstrip().startswith("- "):
        item = text.strip()
        return error.at(
            f"line {error.line + 1} is indented under the list item `{item}` on line {above + 1}, which is text, "
            "not a mapping",
            f"to give the item keys, write it as `{item}: <value>` and line the keys up with it",
        )
    if owner is None or (not owner[1] and _indent(text) >= _indent(here)):
        return _Explained(
            above,
            _indent(text),
            f"line {above + 1} has no ':' after its key, so YAML reads it and line {error.line + 1} as one value",
            f"write it as {_write_as(text)}, or join it to the value above if it continues that value",
        )
    return error.at(
        f"line {error.line + 1} is indented more than `{owner[0]}:` on line {above + 1}, so YAML reads it as part "
        "of that value",
        f"indent it by {_spaces(_indent(error.text(above)))} like `{owner[0]}:`, or quote a value that continues "
        "over several lines",
    )


def _key_above(error: _Error, line: int) -> int | None:
    """The nearest line above that is a `key:` line."""
    for i in range(line - 1, -1, -1):
        if _key_of(error.text(i)) is not None:
            return i
    return None


def _spaces(count: int) -> str:
    return f"{count} space" + ("" if count == 1 else "s")


def _missing_colon(error: _Error) -> _Explained:
    text = error.text(error.context_line)
    return error.at_context(
        f"line {error.context_line + 1} has no ':' after its key",
        f"write it as {_write_as(text)}, or join it to the value above if it continues that value",
    )


def _unclosed_quote(error: _Error) -> _Explained:
    quote = error.text(error.context_line)[error.context_column : error.context_column + 1] or '"'
    inside = '\\"' if quote == '"' else "''"
    return error.at_context(
        f"the quote {quote} opened on line {error.context_line + 1} is never closed",
        f"end the value with {quote} on the same line; a {quote} inside the value is written {inside}",
    )


def _flow(error: _Error) -> _Explained:
    opening = "[" if "sequence" in error.context else "{"
    closing = "]" if opening == "[" else "}"
    what = "list" if opening == "[" else "mapping"
    if error.line > error.context_line:
        return error.at_context(
            f"the '{opening}' opened on line {error.context_line + 1} is never closed",
            f"close the {what} with '{closing}' on the same line, or write its entries on lines of their own",
        )
    found = re.search(r"but got (.*)$", error.problem)
    return error.at(
        f"expected ',' or '{closing}' in the {what} opened at column {error.context_column + 1}, found "
        f"{found[1] if found else 'something else'}",
        f"separate the entries with ', ', close the {what} with '{closing}', and quote entries that hold ':', "
        "brackets or commas",
    )


def _tab(error: _Error) -> _Explained:
    before = error.text(error.line)[: error.column]
    if before.strip(" \t"):
        return error.at(
            "a tab where YAML expects a space", "YAML separates and indents with spaces, not tabs: write a space"
        )
    return error.at(f"line {error.line + 1} is indented with a tab", _TAB_HINT)


def _reserved(error: _Error) -> _Explained:
    char = re.search(r"character '(.)'", error.problem)
    here = error.text(error.line)
    owner = _key_of(here)
    example = f"{owner[0]}: {_quoted(owner[1])}" if owner and owner[1] else f'"{here[error.column :].strip()}"'
    return error.at(
        f"a value cannot start with '{char[1] if char else '?'}' unless it is quoted", f"quote it: {example}"
    )


def _alias_or_anchor(error: _Error) -> _Explained:
    char = "*" if "alias" in error.context else "&"
    what = "an alias (a reference to an anchor)" if char == "*" else "an anchor (a name for this value)"
    return error.at_context(
        f"'{char}' starts {what}, but no name follows it",
        f"quote the value if '{char}' is part of the text, e.g. \"{char} item\"",
    )


def _undefined_alias(error: _Error) -> _Explained:
    name = re.search(r"alias '(.*)'", error.problem)
    alias = name[1] if name else "?"
    return error.at(
        f"found undefined alias '*{alias}': no anchor '&{alias}' is defined above it",
        f"define `&{alias}` on an earlier value, or quote the value if '*' is part of the text",
    )


def _duplicate_anchor(error: _Error) -> _Explained:
    name = re.search(r"anchor '(.*?)'", error.context)
    return error.at(
        f"the anchor '&{name[1] if name else '?'}' is defined twice (first on line {error.context_line + 1})",
        "give each anchor its own name",
    )


def _escape(error: _Error) -> _Explained:
    return error.at(
        "a backslash inside double quotes starts an escape sequence, and this one is not valid",
        "write text with backslashes in single quotes ('C:\\Users\\me'), or write each backslash as \\\\",
    )


def _block_end(error: _Error) -> _Explained | None:
    """'expected <block end>, but found …': a line indented to match no block, a key among list items, or
    text after a closing quote or bracket."""
    found = re.search(r"but found '(.*)'$", error.problem)
    token = found[1] if found else ""
    here = error.text(error.line)
    above = _content_above(error, error.line)
    if token == "<block mapping start>" and above is not None:
        return error.at(
            f"line {error.line + 1} is indented by {_spaces(_indent(here))}, but the keys above it are indented "
            f"by {_indent(error.text(above))} (line {above + 1}) and {error.context_column} (line {error.context_line + 1})",
            "keys of one mapping start in the same column: line this key up with the keys it belongs with",
        )
    if token == "?":
        return error.at(
            f"a key on line {error.line + 1} stands among the items of the list that starts on line "
            f"{error.context_line + 1}",
            "every item of a list starts with '- ': indent the key under an item, or indent it less to end the list",
        )
    if token == "-":
        return error.at(
            f"the list item on line {error.line + 1} is indented to match no list above it",
            "line the '-' up with the other items of its list",
        )
    if token == "<scalar>":
        return _after_value(error, here)
    return None


def _after_value(error: _Error, here: str) -> _Explained:
    before = here[: error.column].rstrip()
    if before.endswith("'"):
        return error.at(
            "text follows the closing quote of a value",
            "inside '…' an apostrophe is written twice ('it''s'), or put the whole value in double quotes",
        )
    if before.endswith('"'):
        return error.at(
            "text follows the closing quote of a value",
            'put the whole value inside the quotes; a " inside the value is written \\"',
        )
    if before.endswith(("]", "}")):
        return error.at(
            "text follows a closing bracket", 'quote the value if the bracket is part of the text: "[draft] notes"'
        )
    return error.at(
        f"line {error.line + 1} holds no key: it has no ':' and is not indented under a key",
        f"write it as {_write_as(here)}, or indent it to continue the value above",
    )


def _sequence_entry(error: _Error) -> _Explained:
    return error.at(
        "a list item ('- ') cannot stand on the same line as its key",
        "start the list on the next line, indented under the key, or write it as [a, b]",
    )


def _node_content(error: _Error) -> _Explained:
    found = re.search(r"but found '(.*)'$", error.problem)
    return error.at(
        f"unexpected '{found[1] if found else '?'}' where a value should start",
        "quote the value if the character is part of the text",
    )


def _document_start(error: _Error) -> _Explained:
    return error.at("text after the end-of-document marker '...'", "remove the `...` line")


def _two_documents(error: _Error) -> _Explained:
    return error.at(
        "more than one YAML document in this file", "remove the `---` separator; use `$include` to split a source"
    )


def _problem(pattern: str) -> Callable[[_Error], bool]:
    return lambda error: re.search(pattern, error.problem) is not None


def _context(pattern: str) -> Callable[[_Error], bool]:
    return lambda error: re.search(pattern, error.context) is not None


_EXPLAINERS: tuple[tuple[Callable[[_Error], bool], Callable[[_Error], _Explained | None]], ...] = (
    (_context("expected a single document"), _two_documents),
    (_problem("^mapping values are not allowed"), _mapping_value),
    (_problem("^could not find expected ':'"), _missing_colon),
    (_context("^while scanning a quoted scalar"), _unclosed_quote),
    (_context("^while parsing a flow (sequence|mapping)"), _flow),
    (_problem(r"tab|'\\t'"), _tab),
    (_problem("^found character '.' that cannot start any token"), _reserved),
    (_context("^while scanning an? (alias|anchor)"), _alias_or_anchor),
    (_problem("^found undefined alias"), _undefined_alias),
    (_context("^found duplicate anchor"), _duplicate_anchor),
    (_context("^while scanning a double-quoted scalar"), _escape),
    (_problem("^expected <block end>"), _block_end),
    (_problem("^sequence entries are not allowed"), _sequence_entry),
    (_problem("^expected the node content"), _node_content),
    (_problem("^expected '<document start>'"), _document_start),
)
