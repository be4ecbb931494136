"""One module per command; each defines `command`, a click command registered lazily in compiler.cli."""
