"""`docs-compile serve`: build the site, serve it on localhost, rebuild when sources change."""

from __future__ import annotations

import contextlib
import functools
import http.server
import signal
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from compiler.cli import Settings, echo, guarded, setting
from compiler.commands.build import build_options
from compiler.config.audiences import DEFAULT_FOLDER
from compiler.config.project import CONFIG_FILE
from compiler.errors import CompilerError, UsageError


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@click.command("serve")
@click.option("--port", type=int, default=8000, show_default=True, help="Port on 127.0.0.1.")
@click.option("--model", "models", multiple=True, metavar="ID", help="Serve only this model (repeatable).")
@click.option("--audience", "audience_names", multiple=True, metavar="NAME", help="Only this audience (repeatable).")
@setting("content")
@setting("audiences")
@setting("quiet")
@click.pass_obj
@guarded
def command(settings: Settings, port: int, models: tuple[str, ...], audience_names: tuple[str, ...]) -> None:
    """Build the site (without PDFs) and serve it on http://127.0.0.1:PORT/, rebuilding on change.

    Builds into a temporary folder of its own, removed when it stops, so the release output (`build/`)
    and its PDFs are never touched. Watches the content folder, the repository's audiences, mkdocs.yml
    and docs-compile.yaml. A build that fails is reported and the last good site stays up.
    """
    # Stopped by a signal (a CI job's timeout, `kill`), it still removes its folder on the way out.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    with tempfile.TemporaryDirectory(prefix="docs-compile-serve-") as scratch:
        _serve(replace(settings, out=Path(scratch) / "build"), port, models, audience_names)


def _serve(settings: Settings, port: int, models: tuple[str, ...], audience_names: tuple[str, ...]) -> None:
    from compiler.build import build

    site = Path(settings.out).resolve() / "site"
    # The handler looks the folder up on every request, so a swapped-in rebuild is served at once.
    server = _bind(port, functools.partial(_Handler, directory=str(site)))  # before a build that may take minutes
    options = build_options(settings, models, audience_names, pdf=False)
    since = snapshot(watched_inputs(settings))
    try:
        build(options)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        echo(f"serving {site} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)", err=True)
        for _ in _changes(lambda: watched_inputs(settings), since):
            try:
                build(options)
                echo("rebuilt", err=True)
            except CompilerError as error:
                echo("build failed; still serving the last good site:", *error.format().split("\n"), err=True)
    finally:
        server.shutdown()
        server.server_close()


def _bind(port: int, handler: Any) -> http.server.ThreadingHTTPServer:
    try:
        return http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError as exc:
        raise UsageError.at(
            f"127.0.0.1:{port}", f"cannot serve on this port: {exc.strerror or exc}", hint="choose another --port"
        ) from None


def watched_inputs(settings: Settings) -> list[Path]:
    """What a rebuild depends on, whether or not it exists yet: the content folder, the repository's audiences,
    mkdocs.yml and its extra pages, docs-compile.yaml."""
    from compiler.publish.site_config import site_configuration

    own = [settings.audiences or Path(DEFAULT_FOLDER), Path("mkdocs.yml"), Path(CONFIG_FILE)]
    with contextlib.suppress(CompilerError):  # a broken mkdocs.yml: the rebuild reports it
        own += site_configuration(settings.mkdocs).files
    return [Path(settings.content), *own]


def _changes(inputs: Callable[[], list[Path]], since: list[tuple[str, int]]) -> Iterator[None]:
    """Once per change to the inputs since the snapshot `since` (taken before the first build, so an edit made
    while it ran counts); the list of inputs is asked again each time, so a folder made later is watched too."""
    last = since
    while True:
        _wait(inputs())
        now = snapshot(inputs())
        if now != last:
            last = now
            yield None


def snapshot(paths: list[Path]) -> list[tuple[str, int]]:
    """Every input file with its modification time (nanoseconds); a missing input is simply absent."""
    files = [f for p in paths if p.exists() for f in ([p] if p.is_file() else sorted(p.rglob("*"))) if f.is_file()]
    return [(str(f), f.stat().st_mtime_ns) for f in files]


def _wait(paths: list[Path]) -> None:
    """Until something under the inputs changes, or a second has passed (the snapshot decides what changed)."""
    existing = [p for p in paths if p.exists()]
    try:
        from watchfiles import watch
    except ImportError:  # watchfiles is the [serve] extra: without it, poll every second
        time.sleep(1)
        return
    if not existing:
        time.sleep(1)
        return
    next(iter(watch(*existing, rust_timeout=1000, yield_on_timeout=True, debounce=200)))
