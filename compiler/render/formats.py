"""Render stage helpers: how numbers, dates, Markdown fields and absent values are written in documents."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from markupsafe import Markup, escape

from compiler.render.markup import escape_markdown, to_html
from compiler.render.view import FieldError, Missing, unwrap
from compiler.schema import Metric, Result
from compiler.schema.base import is_fact_ref


def finalize(value: Any) -> Any:
    """Every printed value: plain text escaped for Markdown and HTML; None and missing fields refused."""
    if isinstance(value, Markup):
        return value
    if value is None:
        raise FieldError("", "a template printed an empty value (None)")
    if isinstance(value, Missing):
        str(value)  # raises FieldError naming the source field
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return Markup(escape_markdown(as_written(value)))
    return Markup(escape_markdown(str(value)))


def as_written(value: int | float) -> str:
    """A number printed without a filter: exactly as the source has it — no thousands separators (a seed, a
    year, an identifier) and every digit of a fraction (a learning rate of 0.0003 stays 0.0003)."""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value)) if "e" not in repr(value) else repr(value)
    return repr(value) if isinstance(value, float) else str(value)


SIGNIFICANT = 3
"""Significant digits `num` keeps for a fraction its decimals would round away (0.00012 -> '0.00012')."""


def number(value: Any, digits: int | None = None) -> str:
    """A quantity with thousands separators: 1204 -> '1,204'; a fraction keeps 3 decimals, or `digits`.

    A whole float prints without decimals (1204.0 -> '1,204'). A small fraction keeps three significant
    digits where the decimals would keep one or none, so a non-zero value never prints as zero
    (0.0003 -> '0.0003', 0.00512 -> '0.00512'). Use it for
    counts and measures; a value printed without a filter is printed as written (no separators). An
    unresolved fact reference prints as '[unresolved: …]', a value not given (None) as 'not stated'; anything
    else is an error.

    Example:
        {{ source.datasets[0].composition.count | num }} cases; AUROC {{ result("auroc").value | num(2) }}
    """
    value = unwrap(value)
    if value is None:
        return "not stated"
    if is_fact_ref(value):
        return f"[unresolved: {value}]"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float):
        if digits is None and value.is_integer() and abs(value) >= 1:
            return f"{int(value):,}"
        places = 3 if digits is None else digits
        if value != 0 and abs(value) < 10 ** (1 - places):  # the decimals would keep one digit or none
            return f"{value:.{SIGNIFICANT}g}"
        return f"{value:,.{places}f}"
    raise FieldError("", f"expected a number, found {value!r}")


def pct(value: Any, digits: int = 1) -> str:
    """A proportion as a percentage with `digits` decimals: 0.912 -> '91.2%'.

    Example:
        {{ result("sensitivity").value | pct(0) }} of patients with the condition are flagged
    """
    value = unwrap(value)
    if is_fact_ref(value):
        return f"[unresolved: {value}]"
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise FieldError("", f"expected a number, found {value!r}")
    return f"{float(value) * 100:.{digits}f}%"


def format_value(value: Any, metric: Metric | None) -> str:
    """A point estimate written as its metric's kind asks (proportion 0.912, time 120 ms, count 1,204)."""
    if is_fact_ref(value):
        return f"[unresolved: {value}]"
    kind = metric.kind if metric else "proportion"
    unit = f" {metric.unit}" if metric and metric.unit else ""
    if kind == "count":
        return f"{round(float(value)):,}{unit}"
    if kind == "time":
        return f"{float(value):,.0f}{unit}" if abs(float(value)) >= 10 else f"{float(value):,.2f}{unit}"
    return f"{float(value):.3f}{unit}"


def format_result(result: Result, metric: Metric | None, *, with_n: bool = True) -> str:
    """'0.912 (95% CI 0.889–0.931), n = 1,204'."""
    text = format_value(result.value, metric)
    if result.ci_low is not None and result.ci_high is not None:
        low, high = format_value(result.ci_low, metric), format_value(result.ci_high, metric)
        if metric and metric.unit:
            low = low.removesuffix(f" {metric.unit}")
        text += f" (95% CI {low}–{high})"
    if with_n and result.n is not None:
        text += f", n = {number(result.n)}"
    return text


NOT_RELEASED = "not released"
"""What the `date` filter prints for a date the source leaves out: a model's release date before it is released."""


def format_date(value: Any, style: str = "iso") -> str:
    """A date as ISO ('2025-03-12') or, with `"long"`, in words ('12 March 2025'); an absent date (a model not
    released yet has no `release_date`) prints 'not released', never a blank.

    Example:
        Released {{ model.release_date | date("long") }}
    """
    value = unwrap(value)
    if value is None:
        return NOT_RELEASED
    if not isinstance(value, date):
        raise FieldError("", f"expected a date, found {value!r}")
    return value.isoformat() if style == "iso" else f"{value.day} {value:%B %Y}"


def md_block(value: Any) -> Markup:
    """A Markdown field as a block of sanitised HTML: paragraphs, lists, emphasis and links kept, raw HTML removed.

    Example:
        {{ source.intended_use.purpose | md }}
    """
    text = _text(value)
    return Markup(f'\n<div class="md-field" markdown="0">\n{to_html(text)}\n</div>\n')


_TAG = re.compile(r"(<[^>]*>)")
_INLINE_SPECIAL = {c: f"&#{ord(c)};" for c in "\\`*_[]{}|~"}


def md_inline(value: Any) -> Markup:
    """A Markdown field as one line of sanitised HTML, for table cells and list items (paragraphs become `<br>`).

    Example:
        {% for d in source.datasets %}| {{ d.name }} | {{ d.motivation.purpose | md_inline }} |
        {% endfor %}
    """
    html = to_html(_text(value)).strip()
    html = re.sub(r"</p>\s*<p>", "<br>", html)
    html = re.sub(r"^<p>|</p>$", "", html)
    parts = _TAG.split(" ".join(html.split()))
    # Text between tags must not be read as Markdown a second time (emphasis, pipes in tables).
    escaped = [p if p.startswith("<") else "".join(_INLINE_SPECIAL.get(c, c) for c in p) for p in parts]
    return Markup("".join(escaped))


def _text(value: Any) -> str:
    value = unwrap(value)
    if value is None:
        raise FieldError("", "a Markdown field is missing")
    return str(value)


def or_na(value: Any, reason: str = "") -> Any:
    """The value, or '*Not applicable*' (followed by the reason, if given) when the source leaves it out.

    Example:
        {{ model.regulatory.status | or_na("not a regulated product") }}
    """
    if _present(value):
        return value
    return Markup("*Not applicable*") + (Markup(f" — {escape_markdown(reason)}") if reason else Markup(""))


def or_missing(value: Any) -> Any:
    """The value, or a visible '**Not documented** (`field.path`)' marker, for views that show their gaps.

    Example:
        Cite as: {{ model.citation | or_missing }}
    """
    if _present(value):
        return value
    path = value.path if isinstance(value, Missing) else ""
    marker = f"**Not documented** (`{escape(path)}`)" if path else "**Not documented**"
    return Markup(marker)


def _present(value: Any) -> bool:
    raw = unwrap(value)
    return raw is not None and raw != "" and raw != [] and raw != {}


def join_list(values: Any, sep: str = ", ") -> Markup:
    """A list of plain values, each escaped, joined with `sep` (default ', ').

    Example:
        {{ source.system.deployment_forms | join_list }}; {{ source.risk.limitations | join_list("; ") }}
    """
    if not isinstance(values, Iterable):
        raise FieldError("", f"join_list expects a list, found {values!r}")
    return Markup(sep).join(Markup(escape_markdown(str(unwrap(v)))) for v in values)


def sentence(value: Any) -> Markup:
    """A plain value as a sentence: escaped, with a full stop added unless it already ends with one (or with
    '!', '?', or a closing bracket or quote after one).

    Example:
        *Creators:* {{ source.datasets[0].motivation.creators | sentence }}
    """
    text = str(unwrap(value)).rstrip()
    if text and not text.rstrip(")\"'’”").endswith((".", "!", "?")):
        text += "."
    return Markup(escape_markdown(text))


def code(value: Any) -> Markup:
    """Inline code: shown literally in a monospaced font, safe from Markdown and HTML.

    Example:
        {{ model.id | code }}
    """
    text = str(escape(str(unwrap(value))))
    return Markup("<code>" + "".join(_INLINE_SPECIAL.get(c, c) for c in text) + "</code>")


def slug(value: Any) -> Markup:
    """A heading anchor or id: lower-case letters, digits and hyphens only ('Risk Management' -> 'risk-management').

    Example:
        ## Risks { #{{ section | slug }} }
    """
    return Markup(re.sub(r"[^a-z0-9-]+", "-", str(unwrap(value)).lower()))


def url(value: Any) -> Markup:
    """A relative link target, percent-encoded so that Markdown reads it as written.

    Example:
        [Datasheet](datasheets/{{ source.datasets[0].id | url }}.md)
    """
    from urllib.parse import quote

    return Markup(quote(str(unwrap(value)), safe="/#.-"))


ACRONYMS = {"ai": "AI", "api": "API", "llm": "LLM", "ml": "ML", "ui": "UI"}
"""Words an identifier spells in lower case that a reader expects in capitals ('ui' -> 'UI')."""


def label(value: Any) -> str:
    """An identifier as words: 'acceptable-with-benefit' -> 'Acceptable with benefit', 'ui' -> 'UI'.

    Example:
        {{ model.risk_class | label }}
    """
    words = str(unwrap(value)).replace("-", " ").replace("_", " ").split(" ")
    text = " ".join(ACRONYMS.get(word, word) for word in words)
    return text[:1].upper() + text[1:]
