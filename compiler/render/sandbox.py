"""Render stage (template sandbox): the one Jinja environment for every template an audience supplies.

Audience folders are untrusted templates (docs/security.md): their section templates and print
layouts alike run in `jinja2.sandbox` (no Python internals), are read only from files inside the
audiences folder (no link out of it), and every render has a budget of output characters and seconds
(`DOCS_COMPILE_LIMIT_TEMPLATE_OUTPUT_CHARS`, `DOCS_COMPILE_LIMIT_TEMPLATE_SECONDS`). The budget is
checked where template code runs: each loop iteration, call, attribute or item read, operator that
builds text (`+`, `*`, `**`, `%`, `~`), filter, and each piece of output.
"""

from __future__ import annotations

import contextvars
import os
import re
import time
import types
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator, Frame
from jinja2.loaders import split_template_path
from jinja2.sandbox import SandboxedEnvironment

from compiler._util.paths import display_path
from compiler._util.safe_open import read_text
from compiler.errors import Location
from compiler.load import limits

TEMPLATE_ERRORS: tuple[type[Exception], ...] = (
    jinja2.TemplateError,
    ArithmeticError,
    AttributeError,
    LookupError,
    RecursionError,
    TypeError,
    ValueError,
)
"""What a template's own code can raise: a mistake (or an attack) in the template, reported at its line."""

_POWER_BITS = 1 << 16
"""Largest integer `**` may build (about 20,000 digits): computing a power takes time before any size check."""


class BudgetExceeded(jinja2.TemplateRuntimeError):
    """A render went over its budget of output characters or seconds."""


class _Budget:
    """What one render may still spend."""

    def __init__(self, bounds: limits.Limits) -> None:
        self.largest = bounds.template_output_chars
        self.left = bounds.template_output_chars
        self.seconds = bounds.template_seconds
        self.deadline = time.monotonic() + bounds.template_seconds

    def tick(self) -> None:
        if time.monotonic() > self.deadline:
            raise BudgetExceeded(
                f"the template took longer than {self.seconds} s and was stopped ({limits.hint('template_seconds')})"
            )

    def spend(self, chars: int) -> None:
        self.left -= chars
        if self.left < 0:
            raise BudgetExceeded(self.too_long("output"))
        self.tick()

    def sized(self, value: Any) -> Any:
        if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > self.largest:
            raise BudgetExceeded(self.too_long("a value it builds"))
        self.tick()
        return value

    def too_long(self, what: str) -> str:
        return f"the template's {what} exceeds {self.largest:,} characters ({limits.hint('template_output_chars')})"


_CURRENT: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("template_budget", default=None)


class _BudgetedCode(CodeGenerator):
    """Compiled templates that report to the budget where the sandbox has no hook of its own."""

    def visit_For(self, node: nodes.For, frame: Frame) -> None:
        # Nested loops over data already at hand call nothing: the iteration itself must count.
        node.iter = nodes.Call(nodes.EnvironmentAttribute("budgeted_iter"), [node.iter], [], None, None)
        super().visit_For(node, frame)

    def visit_Concat(self, node: nodes.Concat, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Concat(node, frame)
        self.write(")")

    def visit_Filter(self, node: nodes.Filter, frame: Frame) -> None:
        self.write("environment.sized(")
        super().visit_Filter(node, frame)
        self.write(")")


class BudgetedSandbox(SandboxedEnvironment):
    """`jinja2.sandbox` with a budget per render: output characters, the size of any value built, seconds."""

    code_generator_class = _BudgetedCode
    intercepted_binops = frozenset({"+", "*", "**", "%"})

    def concat(self, parts: Iterable[str]) -> str:
        """Template.render joins its output here: the budget of one render starts and ends with it."""
        if _CURRENT.get() is not None:  # a render inside a render spends the outer budget
            return "".join(parts)
        budget = _Budget(limits.current())
        token = _CURRENT.set(budget)
        try:
            return "".join(_metered(parts, budget))
        finally:
            _CURRENT.reset(token)

    def sized(self, value: Any) -> Any:
        budget = _CURRENT.get()
        return value if budget is None else budget.sized(value)

    def budgeted_iter(self, iterable: Any) -> Any:
        budget = _CURRENT.get()
        return iterable if budget is None else _ticking(iter(iterable), budget)

    def call(self, context: jinja2.runtime.Context, obj: Any, /, *args: Any, **kwargs: Any) -> Any:
        budget = _CURRENT.get()
        if budget is not None:
            _check_width(obj, args, budget)
        return self.sized(super().call(context, obj, *args, **kwargs))

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: Any, right: Any) -> Any:
        budget = _CURRENT.get()
        if budget is not None:
            _check_operands(operator, left, right, budget)
        return self.sized(super().call_binop(context, operator, left, right))

    def getattr(self, obj: Any, attribute: str) -> Any:
        return self.sized(super().getattr(obj, attribute))

    def getitem(self, obj: Any, argument: Any) -> Any:
        return self.sized(super().getitem(obj, argument))


def _metered(parts: Iterable[str], budget: _Budget) -> Iterator[str]:
    for part in parts:
        try:
            budget.spend(len(part))
        except BudgetExceeded as exc:
            throw = getattr(parts, "throw", None)
            if throw is not None:
                throw(exc)  # raised inside the template's own frame, so the error names its line
            raise
        yield part


def _ticking(items: Iterator[Any], budget: _Budget) -> Iterator[Any]:
    for item in items:
        budget.tick()
        yield item


_DIGITS = re.compile(r"\d+")


def _wider_than(text: str, largest: int) -> bool:
    """Whether a format string asks for a field wider (or more precise) than the budget allows."""
    return any(len(d) > len(str(largest)) or int(d) > largest for d in _DIGITS.findall(text))


def _check_operands(operator: str, left: Any, right: Any, budget: _Budget) -> None:
    """Refuse what would be too large before it is built: repeated text, huge powers, wide formats."""
    if operator == "*":
        count, sequence = (left, right) if isinstance(left, int) else (right, left)
        if (
            isinstance(count, int)
            and isinstance(sequence, str | list | tuple)
            and len(sequence) * count > budget.largest
        ):
            raise BudgetExceeded(budget.too_long("a value it builds"))
    elif operator == "**" and isinstance(left, int) and isinstance(right, int) and right > 0:
        if abs(left).bit_length() * right > _POWER_BITS:
            raise BudgetExceeded(f"{left} ** {right} is too large a number for a template")
    elif operator == "%" and isinstance(left, str) and _wider_than(left, budget.largest):
        raise BudgetExceeded(budget.too_long("a value it formats"))
    budget.tick()


def _check_width(obj: Any, args: tuple[Any, ...], budget: _Budget) -> None:
    """Refuse a text method asked for more characters than the budget (`center`, `ljust`, `zfill`, `format`…)."""
    # Only functions and built-in methods are looked into: a view object answers any attribute name.
    method = obj.__wrapped__ if isinstance(obj, types.FunctionType) and hasattr(obj, "__wrapped__") else obj
    owner = method.__self__ if isinstance(method, types.BuiltinMethodType) else None  # str.format: wrapped
    if isinstance(owner, str):
        if any(isinstance(a, int) and a > budget.largest for a in args):
            raise BudgetExceeded(budget.too_long("a value it builds"))
        if getattr(method, "__name__", "") in ("format", "format_map") and _wider_than(owner, budget.largest):
            raise BudgetExceeded(budget.too_long("a value it formats"))
    budget.tick()


class ContainedLoader(jinja2.BaseLoader):
    """Templates from the first folder that has them, read only when the real file lies inside one of `roots`."""

    def __init__(self, folders: Sequence[Path], roots: Sequence[Path]) -> None:
        self.folders = tuple(Path(f) for f in folders)
        self.roots = tuple(Path(r) for r in roots)

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses `..`
        found = next((f.joinpath(*pieces) for f in self.folders if f.joinpath(*pieces).is_file()), None)
        if found is None:
            raise jinja2.TemplateNotFound(template)
        source = read_text(found, self.roots)
        mtime = found.stat().st_mtime_ns
        return source, str(found), lambda: _unchanged(found, mtime)


def _unchanged(path: Path, mtime: int) -> bool:
    try:
        return os.stat(path).st_mtime_ns == mtime
    except OSError:
        return False


def sandboxed_environment(
    folders: Sequence[Path],
    roots: Sequence[Path],
    *,
    finalize: Callable[..., Any] | None = None,
    trim_blocks: bool = False,
    lstrip_blocks: bool = False,
    keep_trailing_newline: bool = False,
) -> jinja2.Environment:
    """The environment for templates an audience supplies, searched in `folders` and read only inside `roots`.

    The policy is fixed (sandbox, budget, contained loader, strict undefined values, autoescape); only
    the layout of the output can be chosen.
    """
    return BudgetedSandbox(
        loader=ContainedLoader(folders, roots),
        undefined=jinja2.StrictUndefined,
        autoescape=True,
        finalize=finalize,
        trim_blocks=trim_blocks,
        lstrip_blocks=lstrip_blocks,
        keep_trailing_newline=keep_trailing_newline,
    )


def error_location(exc: BaseException, fallback: str) -> Location:
    """Where a template failed: a syntax error's line, else the innermost template frame of the traceback."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        file = display_path(Path(exc.filename)) if exc.filename else fallback
        return Location(file, exc.lineno or 0, 1 if exc.lineno else 0)
    file, line = fallback, 0
    tb = exc.__traceback__
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if filename.endswith(".j2"):
            file, line = display_path(Path(filename)), tb.tb_lineno
        tb = tb.tb_next
    return Location(file, line, 1 if line else 0)
