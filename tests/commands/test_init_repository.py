"""`docs-compile init` without a model id: a repository set up for docs-compile, keeping what exists."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from click.testing import Result

from compiler.config.project import DEFAULT_POLICY, RULES, ProjectConfig, load_config

BIN = Path(sys.executable).parent
SCAFFOLD = [
    ".github/workflows/docs.yml",
    ".gitignore",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    "docs-compile.yaml",
]


def _docs_compile(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": str(cwd), "LC_ALL": "C.UTF-8"}
    return subprocess.run(["docs-compile", *args], cwd=cwd, capture_output=True, text=True, env=env)


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_init_sets_up_a_repository_that_validates(tmp_path: Path) -> None:
    root = tmp_path / "Sepsis Risk"
    root.mkdir()
    done = _docs_compile(root, "init")
    assert done.returncode == 0, done.stderr
    files = _files(root)
    assert [p for p in files if not p.startswith("schemas/")] == [
        *SCAFFOLD[:4],
        "content/sepsis-risk/model.yaml",
        SCAFFOLD[4],
    ]
    assert "schemas/model.schema.json" in files
    assert done.stdout.splitlines()[-4:] == [
        "next:",
        "  fill in the TODOs of content/sepsis-risk/model.yaml",
        "  docs-compile validate",
        "  docs-compile build",
    ]
    assert "created .gitlab-ci.yml" in done.stdout.splitlines()
    validated = _docs_compile(root, "validate")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout == "ok: 1 model(s) valid: sepsis-risk\n"


def test_the_model_points_editors_at_the_written_schema(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("init", "--model", "demo").exit_code == 0
    source = project / "content/demo/model.yaml"
    first = source.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    assert (source.parent / match.group(1)).resolve().is_file(), f"{first} names no written schema"


def test_a_second_run_keeps_every_file_and_exits_0(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("init").exit_code == 0
    before = _files(project)
    again = cli("init")
    assert again.exit_code == 0, again.output
    assert _files(project) == before
    assert "created" not in again.stdout
    assert "kept    docs-compile.yaml (exists; init never overwrites)" in again.stdout
    assert "kept    content (holds 1 model(s))" in again.stdout
    assert "kept    .gitignore (has the entries)" in again.stdout


def test_existing_files_are_kept_and_the_rest_written(project: Path, cli: Callable[..., Result]) -> None:
    (project / ".gitlab-ci.yml").write_text("# ours\n")
    (project / "docs-compile.yaml").write_text("rules: {readability: off}\n")
    result = cli("init", "--model", "m1")
    assert result.exit_code == 0, result.output
    assert (project / ".gitlab-ci.yml").read_text() == "# ours\n"
    assert (project / "docs-compile.yaml").read_text() == "rules: {readability: off}\n"
    assert (project / ".github/workflows/docs.yml").is_file()
    assert "kept    .gitlab-ci.yml (exists; init never overwrites)" in result.stdout


def test_gitignore_gains_only_the_missing_lines(project: Path, cli: Callable[..., Result]) -> None:
    (project / ".gitignore").write_text("node_modules/\n/build")  # no final newline; /build is build/
    result = cli("init", "--ci", "none")
    assert result.exit_code == 0, result.output
    text = (project / ".gitignore").read_text()
    assert text == (
        "node_modules/\n/build\n# docs-compile: the build output, the build cache and the virtualenv\n"
        ".docs-compile-cache/\n.venv/\n"
    )
    assert "updated .gitignore (added .docs-compile-cache/, .venv/)" in result.stdout
    assert cli("init", "--ci", "none").exit_code == 0
    assert (project / ".gitignore").read_text() == text


def test_a_new_gitignore(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("init", "--ci", "none").exit_code == 0
    # .venv/: the README's first command creates the virtualenv inside the repository.
    assert (project / ".gitignore").read_text().splitlines()[1:] == ["build/", ".docs-compile-cache/", ".venv/"]


@pytest.mark.parametrize(
    ("ci", "written"),
    [
        ("github", [".github/workflows/docs.yml"]),
        ("gitlab", [".gitlab-ci.yml"]),
        ("none", []),
        ("all", [".github/workflows/docs.yml", ".gitlab-ci.yml"]),
    ],
)
def test_ci_choice(project: Path, cli: Callable[..., Result], ci: str, written: list[str]) -> None:
    assert cli("init", "--ci", ci).exit_code == 0
    assert [p for p in (".github/workflows/docs.yml", ".gitlab-ci.yml") if (project / p).exists()] == written


@pytest.mark.parametrize("args", [("--model", "Bad Id"), ("--model", "-x"), ("--model", "")])
def test_an_invalid_model_id_writes_nothing(project: Path, cli: Callable[..., Result], args: tuple[str, ...]) -> None:
    result = cli("init", *args)
    assert result.exit_code == 2
    assert "not a valid model id (hint: use lower-case letters" in result.stderr
    assert list(project.iterdir()) == []


@pytest.mark.parametrize(
    ("folder", "model_id"), [("Sepsis Risk v2", "sepsis-risk-v2"), ("--", "my-model"), ("ÄÖ", "my-model")]
)
def test_the_first_model_is_named_after_the_folder(
    project: Path, cli: Callable[..., Result], folder: str, model_id: str
) -> None:
    result = cli("init", "--root", folder, "--ci", "none")
    assert (project / folder / "content" / model_id / "model.yaml").is_file()
    assert f"  cd {shlex.quote(folder)}" in result.stdout.splitlines()


def test_no_first_model_when_the_content_has_models(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("init", "existing").exit_code == 0
    result = cli("init")
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (project / "content").iterdir()) == ["existing"]
    assert "fill in the TODOs" not in result.stdout
    assert cli("init", "--model", "second").exit_code == 0
    assert sorted(p.name for p in (project / "content").iterdir()) == ["existing", "second"]


def test_root_is_created_and_named_in_the_next_steps(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("init", "--root", "repos/new", "--model", "m")
    assert result.exit_code == 0, result.output
    assert (project / "repos/new/content/m/model.yaml").is_file()
    assert "  cd repos/new" in result.stdout.splitlines()


def test_json_result(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("init", "--json", "--ci", "github", "--model", "m")
    payload = json.loads(result.stdout)
    assert payload["ok"] is True
    assert payload["model"] == "content/m/model.yaml"
    assert payload["created"][:4] == [
        "docs-compile.yaml",
        "content/m/model.yaml",
        ".gitignore",
        ".pre-commit-config.yaml",
    ]
    assert payload["next"] == [
        "fill in the TODOs of content/m/model.yaml",
        "docs-compile validate",
        "docs-compile build",
    ]
    assert json.loads(cli("init", "--json", "--ci", "github").stdout)["created"] == []


def test_folders_come_from_an_existing_settings_file(project: Path, cli: Callable[..., Result]) -> None:
    (project / "docs-compile.yaml").write_text("content: models\nout: public\n")
    result = cli("init", "--model", "m")
    assert result.exit_code == 0, result.output
    assert (project / "models/m/model.yaml").is_file()
    assert (project / ".gitignore").read_text().splitlines()[1] == "public/"
    assert "for model in models/*/; do" in (project / ".github/workflows/docs.yml").read_text()
    assert "path: public/site" in (project / ".github/workflows/docs.yml").read_text()
    assert "paths: [public/site/, public/pdf/, public/manifest.json]" in (project / ".gitlab-ci.yml").read_text()
    hooks = yaml.safe_load((project / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hooks[0]["files"] == r"^models/.*\.(ya?ml|json|csv)$"


def test_a_folder_that_cannot_go_into_ci_files(project: Path, cli: Callable[..., Result]) -> None:
    (project / "docs-compile.yaml").write_text("out: 'my build'\n")
    result = cli("init")
    assert result.exit_code == 2
    assert "docs-compile.yaml: out: init writes this folder into the CI and pre-commit files" in result.stderr
    assert sorted(p.name for p in project.iterdir()) == ["docs-compile.yaml"]


def test_a_file_in_the_way_stops_init_before_it_writes(project: Path, cli: Callable[..., Result]) -> None:
    (project / ".github").write_text("not a folder")
    result = cli("init")
    assert result.exit_code == 2
    assert "error: .github: not a folder, so init cannot write .github/workflows/docs.yml" in result.stderr
    assert sorted(p.name for p in project.iterdir()) == [".github"]


def test_root_that_is_a_file(project: Path, cli: Callable[..., Result]) -> None:
    (project / "f").write_text("")
    result = cli("init", "--root", "f")
    assert result.exit_code == 2
    assert "error: f: not a folder" in result.stderr


def test_model_id_and_repository_options_do_not_mix(project: Path, cli: Callable[..., Result]) -> None:
    result = cli("init", "m1", "--ci", "none")
    assert result.exit_code == 2
    assert "MODEL_ID scaffolds one model; --root, --model and --ci set up a repository" in result.stderr
    assert list(project.iterdir()) == []


def test_the_settings_file_loads_and_holds_the_defaults(project: Path, cli: Callable[..., Result]) -> None:
    assert cli("init", "--ci", "none").exit_code == 0
    path = project / "docs-compile.yaml"
    assert load_config(path) == ProjectConfig()
    # Every commented-out key (`#key` or `#  key`, not prose `# text`) shows a default: used, it changes nothing.
    uncommented = re.sub(r"(?m)^#(?=[a-z_]|  )", "", path.read_text())
    path.write_text(uncommented)
    config = load_config(path)
    assert {rule: config.severity(rule) for rule in RULES} == {rule: default for rule, (default, _) in RULES.items()}
    assert config.review_policy.sections == DEFAULT_POLICY
    assert config.audiences == "audiences"
    assert config.packaged_audiences is True
    assert config.released == "v1.0.0"


def _schema_target(source: Path) -> Path:
    """The file the first line of SOURCE points editors at, as yaml-language-server resolves it."""
    first = source.read_text().splitlines()[0]
    match = re.fullmatch(r"# yaml-language-server: \$schema=(\S+)", first)
    assert match, first
    return (source.parent / match.group(1)).resolve()


def test_the_schema_line_follows_the_content_folder_of_the_settings(project: Path, cli: Callable[..., Result]) -> None:
    (project / "docs-compile.yaml").write_text("content: docs/models\n")
    assert cli("init", "--model", "m1", "--ci", "none").exit_code == 0
    source = project / "docs/models/m1/model.yaml"
    assert source.read_text().startswith("# yaml-language-server: $schema=../../../schemas/model.schema.json\n")
    assert _schema_target(source) == project / "schemas/model.schema.json"
    assert _schema_target(source).is_file()


def test_content_and_out_options_go_into_every_file(tmp_path: Path) -> None:
    """Repository mode honours --content and --out: the settings, the model, .gitignore, pre-commit and CI."""
    root = tmp_path / "repo"
    done = _docs_compile(
        tmp_path, "init", "--root", "repo", "--model", "m1", "--content", "models", "--out", "site-out"
    )
    assert done.returncode == 0, done.stderr
    config = load_config(root / "docs-compile.yaml")
    assert (str(config.content), str(config.out)) == ("models", "site-out")
    assert _schema_target(root / "models/m1/model.yaml") == root / "schemas/model.schema.json"
    assert (root / ".gitignore").read_text().splitlines()[1] == "site-out/"
    workflow = (root / ".github/workflows/docs.yml").read_text()
    assert "for model in models/*/; do" in workflow and "path: site-out/site" in workflow
    assert "paths: [site-out/site/, site-out/pdf/, site-out/manifest.json]" in (root / ".gitlab-ci.yml").read_text()
    hooks = yaml.safe_load((root / ".pre-commit-config.yaml").read_text())["repos"][0]["hooks"]
    assert hooks[0]["files"] == r"^models/.*\.(ya?ml|json|csv)$"
    validated = _docs_compile(root, "validate")
    assert (validated.returncode, validated.stdout) == (0, "ok: 1 model(s) valid: m1\n")
    assert not (root / "content").exists() and not (tmp_path / "models").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ("--content", "../elsewhere"),
            "error: --content: '../elsewhere': init writes this folder into the CI and pre-commit files and needs a "
            "plain relative path (hint: use letters, digits, '-', '_' and '/' (e.g. docs/models), or write those "
            "files by hand)",
        ),
        (
            ("--content", "site/models", "--out", "site"),
            "error: --content, --out: the content folder (site/models) and the output folder (site) overlap; every "
            "build replaces the output folder whole (hint: choose two separate folders, e.g. --content models --out "
            "site-out)",
        ),
    ],
)
def test_folders_init_cannot_use_are_refused(
    project: Path, cli: Callable[..., Result], args: tuple[str, ...], message: str
) -> None:
    result = cli("init", *args)
    assert (result.exit_code, result.stderr) == (2, message + "\n")
    assert list(project.iterdir()) == []


def test_an_option_that_contradicts_the_settings_file_is_refused(project: Path, cli: Callable[..., Result]) -> None:
    (project / "docs-compile.yaml").write_text("content: models\n")
    result = cli("init", "--content", "docs/models")
    assert result.exit_code == 2
    assert result.stderr == (
        "error: docs-compile.yaml: content: sets content: models, but --content is docs/models; init never edits "
        "this file (hint: change `content:` in docs-compile.yaml and run init again, or drop --content)\n"
    )
    assert sorted(p.name for p in project.iterdir()) == ["docs-compile.yaml"]
    assert cli("init", "--content", "models", "--ci", "none").exit_code == 0  # the same folder: fine


def test_schemas_gain_the_missing_files_and_keep_the_others(project: Path, cli: Callable[..., Result]) -> None:
    (project / "schemas").mkdir()
    (project / "schemas/model.schema.json").write_text("{}\n")
    result = cli("init", "--ci", "none", "--model", "m1")
    assert result.exit_code == 0, result.output
    assert (project / "schemas/model.schema.json").read_text() == "{}\n"
    assert sorted(p.name for p in (project / "schemas").iterdir()) == [
        "dataset.schema.json",
        "model.schema.json",
        "results.schema.json",
    ]
    assert "created schemas/dataset.schema.json" in result.stdout.splitlines()
    assert "created schemas/model.schema.json" not in result.stdout
