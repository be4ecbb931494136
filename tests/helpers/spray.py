"""Test helper: every text field of the source schema, and hostile payloads to put in each (issue 14 property test)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from compiler.schema import json_schema

# Fields that are not prose: where facts come from (paths, tracker addresses, column names, filled in
# or read by resolve). A payload there is a broken reference, not text that reaches a page.
NOT_PROSE = (
    "evidence.",
    "system.monitoring.signals[].history",
    "evaluation.results[].source",
    "system.architecture.diagrams[].file",  # a file in the model's folder, read through safe_open
)


@dataclass(frozen=True)
class TextField:
    path: str
    """Generic field path: `[]` is an element of a list, `*` a value of a mapping."""
    markdown: bool


def text_fields() -> list[TextField]:
    """Every Markdown field and every free-text string field of `Source`, read from its JSON schema."""
    schema = json_schema()
    defs = schema["$defs"]
    found: dict[str, TextField] = {}

    def walk(node: dict[str, Any], path: str) -> None:
        while "$ref" in node:
            node = defs[node["$ref"].rsplit("/", 1)[-1]]
        for alternative in node.get("anyOf", []) + node.get("oneOf", []) + node.get("allOf", []):
            walk(alternative, path)
        if node.get("type") == "string" and not {"pattern", "enum", "const", "format"} & node.keys():
            markdown = node.get("contentMediaType") == "text/markdown"
            found.setdefault(path, TextField(path, markdown))
        for key, child in node.get("properties", {}).items():
            walk(child, f"{path}.{key}" if path else key)
        if isinstance(node.get("additionalProperties"), dict):
            walk(node["additionalProperties"], f"{path}.*")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{path}[]")

    walk(schema, "")
    return [f for f in found.values() if not f.path.startswith(NOT_PROSE)]


def _steps(path: str) -> list[str]:
    return re.findall(r"\[\]|[^.\[\]]+", path)


def set_field(data: Any, path: str, value: str) -> str | None:
    """Put value at the generic path, in the first list element / mapping value where the path exists.

    A list of strings gets the value appended; a missing last list or mapping of strings is created. Returns the value replaced (None if new);
    raises LookupError when no element of the source has the field's parent.
    """
    steps = _steps(path)

    def go(node: Any, i: int) -> tuple[bool, str | None]:
        step, last = steps[i], i == len(steps) - 1
        if step in ("[]", "*"):
            if not isinstance(node, (list, dict)):
                return False, None
            if last and isinstance(node, list):
                node.append(value)  # not the first: other fields may name it (a factor level in results)
                return True, None
            keys = list(range(len(node))) if isinstance(node, list) else list(node)
            for key in keys:
                if last:
                    old, node[key] = node[key], value
                    return True, old
                done, old = go(node[key], i + 1)
                if done:
                    return True, old
            return False, None
        if not isinstance(node, dict):
            return False, None
        if last:
            old = node.get(step)
            node[step] = value
            return True, old if isinstance(old, str) else None
        if step not in node and i == len(steps) - 2 and steps[-1] in ("[]", "*"):
            node[step] = [value] if steps[-1] == "[]" else {"spray": value}
            return True, None
        return go(node[step], i + 1) if step in node else (False, None)

    done, old = go(data, 0)
    if not done:
        raise LookupError(path)
    return old


def replace_everywhere(data: Any, old: str, new: str) -> Any:
    """Every string equal to `old` (a name other fields refer to, such as a factor level) becomes `new`."""
    if isinstance(data, dict):
        return {replace_everywhere(k, old, new): replace_everywhere(v, old, new) for k, v in data.items()}
    if isinstance(data, list):
        return [replace_everywhere(v, old, new) for v in data]
    return new if data == old else data


def inline_includes(node: Any, base: Path) -> Any:
    """The source with every `$include` replaced by the included file, so every field is in one tree."""
    if isinstance(node, dict):
        if set(node) == {"$include"}:
            return inline_includes(yaml.safe_load((base / node["$include"]).read_text(encoding="utf-8")), base)
        return {k: inline_includes(v, base) for k, v in node.items()}
    if isinstance(node, list):
        return [inline_includes(v, base) for v in node]
    return node


# --- payloads: each, if it ran, sets window.__pwned or the title, or fetches from the listener ---------

Payload = Callable[[str, str], str]
"""(marker, listener host:port) -> text."""

FAMILIES: dict[str, Payload] = {
    "html-script": lambda m, here: f"<script>window.__pwned='{m}';fetch('http://{here}/{m}/script')</script>",
    "html-img-onerror": lambda m, here: f"<img src=x onerror=\"window.__pwned='{m}'\">",
    "html-svg-onload": lambda m, here: "<svg onload=\"document.title='HACK'+'ED'\"><circle r=1 /></svg>",
    "html-iframe": lambda m, here: f'<iframe src="http://{here}/{m}/iframe"></iframe>',
    "html-a-javascript": lambda m, here: f"<a href=\"javascript:window.__pwned='{m}'\">link {m}</a>",
    "entity-script": lambda m, here: f"&lt;script&gt;window.__pwned='{m}'&lt;/script&gt;",
    "entity-hex": lambda m, here: (
        f"&#x3C;script&#x3E;window.__pwned='{m}'&#x3C;/script&#x3E; <img src=x &#x6F;nerror=\"window.__pwned='{m}'\">"
    ),
    "md-link-javascript": lambda m, here: f"[click {m}](javascript:window.__pwned='{m}')",
    "md-image-listener": lambda m, here: f"![img {m}](http://{here}/{m}/image.png)",
    "md-link-data": lambda m, here: f"[data {m}](data:text/html,<script>window.__pwned='{m}'</script>)",
    "id-config": lambda m, here: (
        '<span id="__config">{"features": ["content.tooltips"], '
        f'"search": "data:text/javascript,window.__pwned=\'{m}\'"}}</span>'
    ),
    "name-form": lambda m, here: (
        f'<form name="__search" id="__drawer"><input name="{m}"></form>'
        '<img name="getElementById"><label for="__toc">toc</label>'
    ),
    "mermaid-init": lambda m, here: (
        "```mermaid\n"
        f"%%{{init: {{'themeCSS': 'svg {{ background: url(http://{here}/{m}/init.png) }}', 'htmlLabels': true}}}}%%\n"
        f"flowchart LR\n  A[\"<<img src='http://{here}/{m}/label.png'>>\"] --> B\n```"
    ),
    "mermaid-front-matter": lambda m, here: (
        "```mermaid\n---\nconfig:\n"
        f'  themeCSS: "svg {{ background-image: url(http://{here}/{m}/front.png) }}"\n---\n'
        "flowchart LR\n  C --> D\n```"
    ),
}


def mermaid_payload(marker: str, here: str) -> str:
    """A diagram (not a fence) for fields that hold Mermaid source: front matter and an HTML label.

    An `%%{init}%%` directive there is refused by validation (a placed error), so it cannot be in the one build.
    """
    return (
        f'---\nconfig:\n  themeCSS: "svg {{ background-image: url(http://{here}/{marker}/front.png) }}"\n---\n'
        f"flowchart LR\n  A[\"<<img src='http://{here}/{marker}/label.png' onerror='window.__pwned=1'>>\"]"
        f" --> B[{marker}]\n"
    )


def spray_value(index: int, field: TextField, here: str, per_field: int) -> tuple[str, list[str]]:
    """The payload text for the index-th field and the families it holds (families rotate over fields)."""
    marker = f"SPRAY{index:03d}"
    if field.path.rsplit(".", 1)[-1] == "mermaid":
        return mermaid_payload(marker, here), ["mermaid-diagram"]
    names = list(FAMILIES)
    chosen = [names[(index * per_field + k) % len(names)] for k in range(per_field)]
    return "\n\n".join([marker, *(FAMILIES[n](marker, here) for n in chosen)]), chosen
