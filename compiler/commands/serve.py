"""`docs-compile serve`: build the site, serve it on localhost, rebuild when sources change."""

from __future__ import annotations

import functools
import http.server
import signal
import sys
import tempfile
import threading
from collections.abc import Iterable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from compiler.cli import Settings, echo, guarded, setting
from compiler.commands.build import build_options
from compiler.config.audiences import DEFAULT_FOLDER
from compiler.config.project import CONFIG_FILE
from compiler.errors import CompilerError


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

    options = build_options(settings, models, audience_names, pdf=False)
    build(options)
    site = Path(settings.out).resolve() / "site"
    # The handler looks the folder up on every request, so a swapped-in rebuild is served at once.
    handler = functools.partial(_Handler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", port), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    echo(f"serving {site} on http://127.0.0.1:{server.server_address[1]}/ (Ctrl+C to stop)", err=True)
    own = [settings.audiences or Path(DEFAULT_FOLDER), Path("mkdocs.yml"), Path(CONFIG_FILE)]
    watched = [p for p in (Path(settings.content), *own) if p.exists()]
    try:
        for _changes in _watch(watched):
            try:
                build(options)
                echo("rebuilt", err=True)
            except CompilerError as error:
                echo("build failed; still serving the last good site:", *error.format().split("\n"), err=True)
    finally:
        server.shutdown()
        server.server_close()


def _watch(paths: list[Path]) -> Iterable[object]:
    try:
        from watchfiles import watch
    except ImportError:  # watchfiles is the [serve] extra; poll modification times without it
        return _poll(paths)
    return watch(*paths)


def _poll(paths: list[Path]) -> Iterator[list[tuple[str, float]]]:
    import time

    def stamp() -> list[tuple[str, float]]:
        files = [f for p in paths for f in ([p] if p.is_file() else p.rglob("*")) if f.is_file()]
        return sorted((str(f), f.stat().st_mtime) for f in files)

    last = stamp()
    while True:
        time.sleep(1)
        now = stamp()
        if now != last:
            last = now
            yield now
