"""Load stage (YAML parser): text to a node tree with line and column, by libyaml where it is installed.

Safe YAML only: nodes are composed, never constructed into objects, and the reader builds values from them
with PyYAML's safe constructor. libyaml (PyYAML's C binding) composes about ten times faster than the
pure-Python parser and marks nodes with the same line and column. When the text is not valid YAML, it is
parsed again by the pure-Python parser, whose error names the character position and reads better (see
`compiler.load.yaml_errors`); whatever that parser accepts, it returns, so libyaml never refuses a document
the pure-Python parser reads. A text with a tab goes to the pure-Python parser alone: libyaml reads tabs
where PyYAML refuses them (`key:<tab>value`), and the two must agree on what is YAML.
"""

from __future__ import annotations

from typing import Any

import yaml
from yaml.nodes import Node

WITH_LIBYAML = bool(getattr(yaml, "__with_libyaml__", False))


class _Resolver(yaml.resolver.Resolver):
    """YAML 1.1 core resolver without implicit timestamps: dates stay text until the schema reads them."""


_Resolver.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.resolver.Resolver.yaml_implicit_resolvers.items()
}


class PythonLoader(
    yaml.reader.Reader,
    yaml.scanner.Scanner,
    yaml.parser.Parser,
    yaml.composer.Composer,
    yaml.constructor.SafeConstructor,
    _Resolver,
):
    """PyYAML's own parser: slower, with errors that point at a character."""

    def __init__(self, stream: str) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)
        yaml.composer.Composer.__init__(self)
        yaml.constructor.SafeConstructor.__init__(self)
        _Resolver.__init__(self)


Loader: Any = PythonLoader
if WITH_LIBYAML:
    from yaml.cyaml import CParser  # type: ignore[attr-defined]

    class _CLoader(CParser, yaml.constructor.SafeConstructor, _Resolver):
        """libyaml's parser with the same resolver and the safe constructor."""

        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            yaml.constructor.SafeConstructor.__init__(self)
            _Resolver.__init__(self)

    Loader = _CLoader


def compose(text: str, *, fast: bool = WITH_LIBYAML) -> tuple[Node | None, Any]:
    """The single document of `text` as a node tree, and the loader whose safe constructor builds its scalars.

    Raises PyYAML's own error (MarkedYAMLError, ReaderError) when the text is not valid YAML.
    """
    if fast and Loader is not PythonLoader and "\t" not in text:
        loader = Loader(text)
        try:
            return loader.get_single_node(), loader
        except yaml.YAMLError:
            pass  # parsed again below, for the pure-Python parser's error (or its reading)
        finally:
            loader.dispose()
    loader = PythonLoader(text)
    try:
        return loader.get_single_node(), loader
    finally:
        loader.dispose()
