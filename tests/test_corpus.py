"""Hostile-input corpus: every case in tests/corpus/ is built over a previous good build.

A case is a folder with `case.yaml` (category, description, expected exit code, message fragment,
where the message must point) plus the files it is about. `base: true` starts from the source
`docs-compile init` writes, changed by `overlay` (deep merge), `set` (dotted paths), `rawset` (raw
YAML text), `rename` and `remove`. `write` produces files with exact bytes (encodings, BOMs, CRLF,
NUL bytes, generated sizes), `append`/`replace_text` edit a copy of the repository's audiences or
mkdocs.yml, `symlinks` creates links, `env` sets environment variables. `LISTENER` in any text is
replaced by the address of a local TCP listener that must never receive a connection.

Every case must end with its exit code and no traceback. A failing case must name the file and
position (`path:line:col: `), give the same errors with `--json`, and leave the previous build
untouched with no temporary folders beside it. A succeeding case must leave a complete new build
(every file listed in its manifest, with its hash) and no script, handler, frame or remote fetch
in the site.
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from helpers.html_safety import html_problems, theme_scripts, tree_digest
from helpers.network import accepted_connections, local_listener
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

CORPUS = Path(__file__).resolve().parent / "corpus"
CASES = sorted(p.name for p in CORPUS.iterdir() if (p / "case.yaml").is_file())
MODEL = "content/demo/model.yaml"
LOCATED = re.compile(r"^error: (?P<file>[^:\n]+?)(?::(?P<line>\d+):(?P<col>\d+))?: ")


def test_corpus_is_large_and_covers_every_category() -> None:
    specs = [_spec(name) for name in CASES]
    categories = {s["category"] for s in specs}
    assert len(specs) >= 80
    assert categories >= {
        "yaml",
        "encoding",
        "schema",
        "values",
        "includes",
        "limits",
        "injection",
        "disclosure",
        "audiences",
        "mkdocs",
    }
    for name, spec in zip(CASES, specs, strict=True):
        assert spec["description"], name
        assert spec["exit"] == 0 or (spec.get("message") and "where" in spec), name


@pytest.fixture(scope="module")
def listener() -> Iterator[socket.socket]:
    with local_listener(16) as server:
        yield server


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str], set[str]]:
    """A good build of the init source: (its folder, its digest, the theme's own inline scripts)."""
    from compiler.build import BuildOptions, build

    root = tmp_path_factory.mktemp("previous")
    source = minimal_source("demo")
    source["model"]["name"] = "Previous build"
    write_tree(root, {MODEL: source})
    build(
        BuildOptions(
            content=root / "content",
            audiences=AUDIENCES,
            out=root / "build",
            pdf=False,
            mkdocs_config=REPO / "mkdocs.yml",
        )
    )
    out = root / "build"
    return out, tree_digest(out), theme_scripts(out / "site")


@pytest.mark.parametrize("name", CASES)
def test_case(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    listener: socket.socket,
    previous: tuple[Path, dict[str, str], set[str]],
) -> None:
    spec = _spec(name)
    port = listener.getsockname()[1]
    project = tmp_path / "project"
    audiences = _materialise(CORPUS / name, spec, project, f"127.0.0.1:{port}")
    for key, value in spec.get("env", {}).items():
        monkeypatch.setenv(key, value)
    monkeypatch.chdir(project)
    prev_out, prev_digest, scripts = previous
    shutil.copytree(prev_out, project / "build", copy_function=os.link)

    args = ["build", "--content", "content", "--audiences", str(audiences), "--out", "build"]
    args += ["--audience", "leadership"] if spec.get("pdf") else ["--no-pdf"]
    result = CliRunner().invoke(_cli(), args)
    text = result.stdout + result.stderr
    assert "Traceback" not in text, text
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == spec["exit"], text
    assert accepted_connections(listener) == 0, "the build connected to the listener"
    assert not [p.name for p in project.glob(".build.*") if p.is_dir()], "temporary folders left beside the output"

    if spec["exit"] != 0:
        _assert_placed(result.stderr, spec)
        assert tree_digest(project / "build") == prev_digest, "the previous build was changed"
        json_result = CliRunner().invoke(_cli(), [*args, "--json"])
        _assert_same_json(json_result.stdout, result.stderr, spec["exit"])
        assert tree_digest(project / "build") == prev_digest
    else:
        site = project / "build" / "site"
        _assert_complete(project / "build")
        assert html_problems(site, scripts) == []
        pages = "\n".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
        for needle in spec.get("absent", []):
            assert needle.replace("LISTENER", f"127.0.0.1:{port}") not in pages, needle
        for needle in spec.get("present", []):
            assert needle in pages, needle
        for path in (project / "build").rglob("*"):  # no file from outside the project in any output
            assert not path.is_file() or b"root:x:0:0" not in path.read_bytes(), path
        if spec.get("pdf"):
            _assert_pdf_clean(project / "build", spec)


def _cli() -> Any:
    from compiler.cli import cli

    return cli


def _spec(name: str) -> dict[str, Any]:
    spec: dict[str, Any] = yaml.safe_load((CORPUS / name / "case.yaml").read_text(encoding="utf-8"))
    return spec


# --- building a case's project ---------------------------------------------------------------------


def _materialise(case: Path, spec: dict[str, Any], project: Path, address: str) -> Path:
    """Write the case's project; returns the audiences folder to build with."""
    project.mkdir(parents=True)
    if spec.get("base"):
        text = _source_text(spec)
        if spec.get("crlf"):
            text = text.replace("\n", "\r\n")
        body = text.replace("LISTENER", address).encode()
        (project / MODEL).parent.mkdir(parents=True)
        (project / MODEL).write_bytes(b"\xef\xbb\xbf" + body if spec.get("bom") else body)
    for path in sorted(case.rglob("*")):
        rel = path.relative_to(case)
        if path.is_file() and rel.name != "case.yaml":
            (project / rel).parent.mkdir(parents=True, exist_ok=True)
            (project / rel).write_bytes(path.read_bytes().replace(b"LISTENER", address.encode()))
    for rel, how in spec.get("write", {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).write_bytes(_bytes(how))
    edits = {**spec.get("append", {}), **spec.get("replace_text", {})}
    own = edits or (case / "audiences").is_dir() or (case / "mkdocs.yml").is_file()
    if own:
        shutil.copytree(AUDIENCES, project / "audiences", dirs_exist_ok=True)
        if not (project / "mkdocs.yml").exists():
            shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    for rel, extra in spec.get("append", {}).items():
        with (project / rel).open("a", encoding="utf-8") as handle:
            handle.write(extra)
    for rel, (old, new) in spec.get("replace_text", {}).items():
        text = (project / rel).read_text(encoding="utf-8")
        assert old in text, f"{rel} no longer contains {old!r}: update the case"
        (project / rel).write_text(text.replace(old, new, 1), encoding="utf-8")
    for rel, target in spec.get("symlinks", {}).items():
        (project / rel).parent.mkdir(parents=True, exist_ok=True)
        (project / rel).symlink_to(target)
    return Path("audiences") if own else AUDIENCES


def _source_text(spec: dict[str, Any]) -> str:
    source = minimal_source("demo")
    for old, new in spec.get("rename", {}).items():
        parent, key = _parent(source, old)
        parent[new.split(".")[-1]] = parent.pop(key)
    for path in spec.get("remove", []):
        parent, key = _parent(source, path)
        del parent[key]
    source = _merge(source, _expand(spec.get("overlay", {})))
    for path, value in spec.get("set", {}).items():
        parent, key = _parent(source, path)
        parent[key] = _expand(value)
    raws = {}
    for i, (path, raw) in enumerate(spec.get("rawset", {}).items()):
        parent, key = _parent(source, path)
        parent[key] = marker = f"RAW-VALUE-{i}"
        raws[marker] = raw
    text = yaml.safe_dump(source, sort_keys=False, allow_unicode=True, width=1_000_000)
    for marker, raw in raws.items():
        text = text.replace(marker, raw)
    return text


def _parent(data: Any, dotted: str) -> tuple[Any, Any]:
    *path, last = [int(p) if p.isdigit() else p for p in dotted.split(".")]
    for part in path:
        data = data[part]
    return data, last


def _merge(base: Any, overlay: Any) -> Any:
    if isinstance(base, dict) and isinstance(overlay, dict):
        merged = copy.deepcopy(base)
        for key, value in overlay.items():
            merged[key] = _merge(base.get(key), value)
        return merged
    return overlay


def _expand(value: Any) -> Any:
    """`{$text: s, times: n}` -> s repeated; `{$list: item, times: n}` -> n items ({i} numbered)."""
    if isinstance(value, dict) and "$text" in value:
        return str(value["$text"]) * int(value["times"])
    if isinstance(value, dict) and "$list" in value:
        item = value["$list"]
        return [item.format(i=i) if isinstance(item, str) else _expand(item) for i in range(int(value["times"]))]
    if isinstance(value, dict):
        return {k: _expand(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v) for v in value]
    return value


def _bytes(how: dict[str, Any]) -> bytes:
    if "hex" in how:
        return bytes.fromhex(how["hex"])
    text = how["text"]
    if "repeat" in how:
        unit, times = how["repeat"]
        text += unit * times + how.get("suffix", "")
    if how.get("crlf"):
        text = text.replace("\n", "\r\n")
    body: bytes = text.encode(how.get("encoding", "utf-8"))
    return b"\xef\xbb\xbf" + body if how.get("bom") else body


# --- what a finished case must show ---------------------------------------------------------------


def _assert_placed(stderr: str, spec: dict[str, Any]) -> None:
    """The message fragment is in an error line that names the expected file (and line:col when given)."""
    lines = [line for line in stderr.splitlines() if line.startswith("error: ")]
    assert lines, stderr
    hits = [line for line in lines if spec["message"] in line]
    assert hits, f"{spec['message']!r} not in:\n{stderr}"
    where = spec["where"]
    for line in hits:
        found = LOCATED.match(line)
        if not where:  # an error about the environment, not a file
            return
        if not found:
            continue
        place = found["file"] + (f":{found['line']}:{found['col']}" if found["line"] else "")
        if ":" in where.split("/")[-1] and place == where:
            return
        if ":" not in where.split("/")[-1] and found["file"].startswith(where) and found["line"]:
            return
    pytest.fail(f"no error line names {where} with a position:\n{stderr}")


def _assert_same_json(stdout: str, stderr: str, code: int) -> None:
    payload = json.loads(stdout)
    assert payload["ok"] is False and payload["exit_code"] == code
    from compiler.errors import Location, Problem

    formatted = []
    for e in payload["errors"]:
        assert set(e) == {"file", "line", "column", "field", "message", "hint"}
        problem = Problem(Location(e["file"], e["line"], e["column"]), e["message"], e["field"], e["hint"])
        formatted.append(
            problem.format() if e["file"] else problem.message + (f" (hint: {e['hint']})" if e["hint"] else "")
        )
    text = [line.removeprefix("error: ") for line in stderr.splitlines() if line.startswith("error: ")]
    assert formatted == text


def _assert_complete(out: Path) -> None:
    """Every file of the output is listed in manifest.json with its hash, and every listed file exists."""
    manifest = json.loads((out / "manifest.json").read_text())
    listed = {e["path"]: e["sha256"] for e in manifest["outputs"]}
    actual = {k: v for k, v in tree_digest(out).items() if k != "manifest.json"}
    assert listed == actual


def _assert_pdf_clean(out: Path, spec: dict[str, Any]) -> None:
    import pikepdf

    pdfs = sorted((out / "pdf").rglob("*.pdf"))
    assert pdfs
    for path in pdfs:
        with pikepdf.open(path) as pdf:
            streams = b"".join(o.read_bytes() for o in pdf.objects if isinstance(o, pikepdf.Stream))
            images = [o for o in pdf.objects if isinstance(o, pikepdf.Stream) and o.get("/Subtype") == "/Image"]
        assert images == [], f"{path.name} embeds an image no audience asked for"
        for needle in ("root:x:0:0", *spec.get("absent", [])):
            assert needle.encode() not in streams and needle.encode() not in path.read_bytes()
