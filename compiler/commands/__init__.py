"""Command line: one module per command; each defines `command`, a click command registered lazily in compiler.cli.

A command only parses its options, calls one stage function and prints the result. The options every
command shares arrive as its first argument, a `compiler.cli.Settings` (click's `pass_obj`).
"""
