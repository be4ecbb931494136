"""Command line: help, version, exit codes, JSON errors, schema output, no traceback for input mistakes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import jsonschema
from helpers.project import write_tree

from compiler import __version__
from compiler.commands.init import scaffold
from compiler.schema import SCHEMA_ID


def _run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


def test_help_lists_commands_and_exit_codes(project: Path, cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    for name in ("validate", "schema", "init"):
        assert f"  {name} " in result.output
    assert (
        "Exit codes: 0 ok, 1 a release gate failed, 2 an input or usage error, 3 another build is running on the "
        "output folder." in " ".join(result.output.split())
    )


def test_version(cli) -> None:
    result = cli("--version")
    assert result.exit_code == 0
    assert result.output.strip() == f"docs-compile, version {__version__}"


def test_unknown_command_is_a_usage_error(project: Path) -> None:
    result = _run("valdate", cwd=project)
    assert result.returncode == 2
    assert "no such command 'valdate' (did you mean 'validate'?)" in result.stderr


def test_validate_exit_codes_and_json(project: Path) -> None:
    write_tree(project, {"content/good/model.yaml": scaffold("good")})
    ok = _run("validate", "--json", cwd=project)
    assert ok.returncode == 0, ok.stderr
    assert json.loads(ok.stdout) == {"ok": True, "models": ["good"], "errors": [], "warnings": []}

    write_tree(project, {"content/bad/model.yaml": scaffold("bad").replace("intended_use:", "intended_usee:")})
    bad = _run("validate", cwd=project)
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
    assert bad.stderr.startswith("error: content/bad/model.yaml:28:1: intended_usee: unknown key 'intended_usee'")

    as_json = _run("validate", "--json", cwd=project)
    assert as_json.returncode == 2
    payload = json.loads(as_json.stdout)
    assert payload["ok"] is False and payload["exit_code"] == 2
    assert payload["errors"][0] == {
        "file": "content/bad/model.yaml",
        "line": 28,
        "column": 1,
        "field": "intended_usee",
        "message": "unknown key 'intended_usee'",
        "hint": "did you mean 'intended_use'?",
    }


def test_validate_paths_and_missing_folder(project: Path) -> None:
    write_tree(project, {"models/one/model.yaml": scaffold("one")})
    ok = _run("validate", "models/one/model.yaml", cwd=project)
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok: 1 model(s) valid: one"
    missing = _run("validate", "--content", "nowhere", cwd=project)
    assert missing.returncode == 2
    assert missing.stderr.strip() == "error: nowhere: content folder not found (hint: pass --content DIR)"
    not_model = _run("validate", "models", cwd=project)
    assert not_model.returncode == 2
    assert "models: no model.yaml here" in not_model.stderr


def test_schema_is_draft_2020_12_and_validates_a_source(project: Path, cli) -> None:
    result = cli("schema")
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == SCHEMA_ID
    jsonschema.Draft202012Validator.check_schema(schema)
    from compiler.load.parse import PythonLoader

    data = PythonLoader(scaffold("demo")).get_single_data()
    jsonschema.Draft202012Validator(schema).validate(data)
    assert schema["properties"]["intended_use"]["description"].startswith("What the model is for")
    described = schema["$defs"]["IntendedUse"]["properties"]
    assert all(prop.get("description") for prop in described.values())


def test_schema_out_file_is_stable(project: Path, cli) -> None:
    assert cli("schema", "--out", "build/schema.json").exit_code == 0
    first = (project / "build/schema.json").read_bytes()
    assert cli("schema", "--out", "build/schema.json").exit_code == 0
    assert (project / "build/schema.json").read_bytes() == first


def test_every_schema_field_has_a_description(cli) -> None:
    schema = json.loads(cli("schema").output)
    missing = [
        f"{name}.{prop}"
        for name, definition in schema["$defs"].items()
        for prop, body in definition.get("properties", {}).items()
        if not body.get("description")
    ]
    assert missing == []
