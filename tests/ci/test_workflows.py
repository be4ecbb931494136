"""The CI files docs-compile ships and scaffolds: linted (actionlint, the CI systems' schemas), the same text in
examples/ci/ as `docs-compile init` writes, every docs-compile command in them real, and their scripts run."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.git import GIT_ENV, git
from helpers.project import REPO

from compiler.scaffold.files import EXAMPLES, CiName, ci_file

ACTION = REPO / "action.yml"
EXAMPLES_CI = REPO / "examples" / "ci"
HOOKS = REPO / ".pre-commit-hooks.yaml"
BIN = Path(sys.executable).parent
ENV = {**GIT_ENV, "PATH": f"{BIN}:/usr/bin:/bin", "HOME": "/nonexistent", "LC_ALL": "C.UTF-8"}
REGENERATE = "python -m compiler.scaffold.files examples/ci"


class _Yaml12(yaml.SafeLoader):
    """YAML as GitHub reads it: only true and false are booleans (a workflow's `on:` stays a key)."""


_Yaml12.yaml_implicit_resolvers = {
    first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Yaml12.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"), list("tf"))


def _tool(name: str) -> str:
    """A linter the test extra installs into the environment (never skipped: a missing one fails)."""
    found = shutil.which(name, path=f"{BIN}:{os.environ.get('PATH', '')}")
    assert found, f"`{name}` is not installed: pip install -e '.[test]' installs it"
    return found


def _actionlint(*files: Path, cwd: Path = REPO) -> list[str]:
    """actionlint's findings (with shellcheck on every `run:` script), one line each."""
    done = subprocess.run(
        [_tool("actionlint"), "-oneline", "-no-color", "-shellcheck", _tool("shellcheck"), *map(str, files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**ENV, "PATH": f"{BIN}:/usr/bin:/bin"},
    )
    assert done.returncode in (0, 1), done.stderr
    return done.stdout.splitlines()


def _schema_errors(builtin: str, file: Path) -> str:
    done = subprocess.run(
        [_tool("check-jsonschema"), "--builtin-schema", builtin, str(file)], capture_output=True, text=True
    )
    return "" if done.returncode == 0 else done.stdout + done.stderr


def _docs_compile(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["docs-compile", *args], cwd=cwd, capture_output=True, text=True, env=ENV)


@pytest.fixture(scope="module")
def repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A repository set up by `docs-compile init`, released once (tag v0.1.0), then edited."""
    root = tmp_path_factory.mktemp("repo")
    done = _docs_compile(root, "init", "--model", "demo")
    assert done.returncode == 0, done.stderr
    git(root, "init", "-q", "-b", "main")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "first")
    git(root, "tag", "v0.1.0")
    source = root / "content/demo/model.yaml"
    source.write_text(source.read_text().replace("TODO one paragraph", "A new paragraph"), encoding="utf-8")
    yield root


# --- the same text everywhere ---------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "file_name"), list(EXAMPLES.items()))
def test_examples_are_what_init_writes(name: CiName, file_name: str) -> None:
    example = EXAMPLES_CI / file_name
    assert example.read_text(encoding="utf-8") == ci_file(name), f"{example} is out of date: run `{REGENERATE}`"


def test_init_writes_the_example_files(repo: Path) -> None:
    assert (repo / ".github/workflows/docs.yml").read_bytes() == (EXAMPLES_CI / "docs.yml").read_bytes()
    assert (repo / ".gitlab-ci.yml").read_bytes() == (EXAMPLES_CI / "gitlab-ci.yml").read_bytes()


def test_scaffolded_hooks_are_the_published_hooks(repo: Path) -> None:
    published = {hook["id"]: hook for hook in yaml.safe_load(HOOKS.read_text())}
    config = yaml.safe_load((repo / ".pre-commit-config.yaml").read_text())
    [local] = config["repos"]
    assert local["repo"] == "local"
    assert [hook["id"] for hook in local["hooks"]] == list(published)
    for hook in local["hooks"]:
        assert hook["language"] == "system"
        want = {k: published[hook["id"]][k] for k in ("name", "entry", "files", "pass_filenames")}
        assert {k: hook[k] for k in want} == want


def _hooks_by_stage(config: Path) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The hooks pre-commit runs before a commit (no `stages`, or `pre-commit` among them), and the others."""
    hooks = [hook for repo in yaml.safe_load(config.read_text())["repos"] for hook in repo["hooks"]]
    on_commit = [hook for hook in hooks if "pre-commit" in hook.get("stages", ["pre-commit"])]
    return on_commit, [hook for hook in hooks if hook not in on_commit]


def test_a_commit_of_the_fresh_scaffold_passes_its_hooks(repo: Path) -> None:
    """Before a commit only validate runs; check (exit 1 on the scaffold's TODOs) runs when asked, until enabled."""
    on_commit, manual = _hooks_by_stage(repo / ".pre-commit-config.yaml")
    assert [hook["id"] for hook in on_commit] == ["docs-compile-validate"]
    assert [(hook["id"], hook["stages"]) for hook in manual] == [("docs-compile-check", ["manual"])]
    for hook in on_commit:
        done = subprocess.run(hook["entry"].split(), cwd=repo, capture_output=True, text=True, env=ENV)
        assert done.returncode == 0, done.stderr
    gates = subprocess.run(manual[0]["entry"].split(), cwd=repo, capture_output=True, text=True, env=ENV)
    assert gates.returncode == 1  # why it waits: the TODOs fail the release gates
    text = (repo / ".pre-commit-config.yaml").read_text()
    assert "pre-commit run --hook-stage manual docs-compile-check --all-files" in text
    assert "delete the `stages:` line to run it before every commit" in text


# --- linted ----------------------------------------------------------------------------------------------


def test_example_workflow_passes_actionlint() -> None:
    assert _actionlint(EXAMPLES_CI / "docs.yml") == []


def test_scaffolded_workflow_passes_actionlint(repo: Path) -> None:
    assert _actionlint(Path(".github/workflows/docs.yml"), cwd=repo) == []


def test_actionlint_finds_a_mistake(tmp_path: Path) -> None:
    """The linter is live: a misspelt context and an unquoted variable in the example are reported."""
    broken = (EXAMPLES_CI / "docs.yml").read_text().replace("steps.gates.outputs.sarif", "step.gates.outputs.sarif")
    broken = broken.replace('>> "$GITHUB_OUTPUT"', ">> $GITHUB_OUTPUT")
    (tmp_path / "docs.yml").write_text(broken)
    found = "\n".join(_actionlint(tmp_path / "docs.yml", cwd=tmp_path))
    assert 'undefined variable "step"' in found
    assert "SC2086" in found


def _action_as_workflow(action: dict[str, Any]) -> dict[str, Any]:
    """action.yml's steps as the one job of a reusable workflow, with its inputs and outputs: actionlint reads
    workflows only, and this way checks every expression, context and `run:` script (shellcheck) of the action."""
    inputs = {
        name: {"description": spec["description"], "type": "string", "required": False, "default": spec["default"]}
        for name, spec in action["inputs"].items()
    }
    outputs = {
        name: {"description": spec["description"], "value": f"${{{{ jobs.action.outputs.{name} }}}}"}
        for name, spec in action["outputs"].items()
    }
    job = {
        "runs-on": "ubuntu-24.04",
        "outputs": {name: spec["value"] for name, spec in action["outputs"].items()},
        "steps": action["runs"]["steps"],
    }
    return {"on": {"workflow_call": {"inputs": inputs, "outputs": outputs}}, "jobs": {"action": job}}


def test_action_steps_pass_actionlint(tmp_path: Path) -> None:
    action = yaml.safe_load(ACTION.read_text())
    assert action["runs"]["using"] == "composite"
    workflow = tmp_path / "action-as-workflow.yml"
    workflow.write_text(yaml.safe_dump(_action_as_workflow(action), sort_keys=False, width=200))
    assert _actionlint(workflow, cwd=tmp_path) == [], workflow.read_text()


def test_actionlint_finds_a_mistake_in_the_action(tmp_path: Path) -> None:
    text = (
        ACTION.read_text()
        .replace("inputs.pdf ==", "inputs.pfd ==")
        .replace('install "$requirement"', "install $requirement")
    )
    workflow = tmp_path / "action-as-workflow.yml"
    workflow.write_text(yaml.safe_dump(_action_as_workflow(yaml.safe_load(text)), sort_keys=False, width=200))
    found = "\n".join(_actionlint(workflow, cwd=tmp_path))
    assert 'property "pfd" is not defined' in found
    assert "SC2086" in found


def _readme_workflows() -> list[dict[str, Any]]:
    """The workflows in examples/ci/README.md that use the action, pointed at this checkout's action.yml."""
    text = (EXAMPLES_CI / "README.md").read_text()
    found = []
    for block in re.findall(r"```yaml\n(.*?)```", text, re.S):
        workflow = yaml.load(block, Loader=_Yaml12)
        steps = [s for job in workflow.get("jobs", {}).values() for s in job["steps"]]
        ours = [s for s in steps if re.fullmatch(r"[\w<>.-]+/docs-compile@\S+", s.get("uses", ""))]
        for step in ours:
            step["uses"] = "./"
        if ours:
            found.append(workflow)
    return found


def test_readme_workflows_use_the_action_as_it_is(tmp_path: Path) -> None:
    """The README's workflows with `uses: ./`: every input and output of the action they name exists."""
    git(tmp_path, "init", "-q")  # actionlint finds local actions from the repository's root
    shutil.copy(ACTION, tmp_path / "action.yml")
    workflows = tmp_path / ".github/workflows"
    workflows.mkdir(parents=True)
    found = _readme_workflows()
    assert found, "examples/ci/README.md shows no workflow using the action"
    for number, workflow in enumerate(found):
        (workflows / f"readme-{number}.yml").write_text(yaml.safe_dump(workflow, sort_keys=False, width=200))
    typo = found[0]
    [step] = [s for job in typo["jobs"].values() for s in job["steps"] if s.get("uses") == "./"]
    step.setdefault("with", {})["pfd"] = "true"
    (workflows / "typo.yml").write_text(yaml.safe_dump(typo, sort_keys=False, width=200))
    lines = _actionlint(*sorted(workflows.iterdir()), cwd=tmp_path)
    assert [line for line in lines if "typo.yml" not in line] == []
    assert any('input "pfd" is not defined in action' in line for line in lines), lines


def test_action_metadata_matches_the_schema() -> None:
    assert _schema_errors("vendor.github-actions", ACTION) == ""


def test_workflow_matches_the_schema() -> None:
    assert _schema_errors("vendor.github-workflows", EXAMPLES_CI / "docs.yml") == ""


def test_gitlab_pipeline_matches_the_schema(repo: Path) -> None:
    assert _schema_errors("vendor.gitlab-ci", repo / ".gitlab-ci.yml") == ""


def test_gitlab_schema_finds_a_mistake(tmp_path: Path) -> None:
    broken = tmp_path / ".gitlab-ci.yml"
    broken.write_text((EXAMPLES_CI / "gitlab-ci.yml").read_text().replace("  script:", "  scripts:", 1))
    assert _schema_errors("vendor.gitlab-ci", broken) != ""


def test_gitlab_pipeline_shape(repo: Path) -> None:
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    assert pipeline["stages"] == ["validate", "check", "build"]
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and "script" in job}
    assert {name: job["stage"] for name, job in jobs.items()} == {
        "validate": "validate",
        "check": "check",
        "build": "build",
    }
    assert jobs["check"]["artifacts"]["when"] == "always"
    assert jobs["build"]["artifacts"]["paths"] == ["build/site/", "build/pdf/", "build/manifest.json"]


# --- every docs-compile command in them is real ----------------------------------------------------------


def _scripts() -> dict[str, list[str]]:
    """Every shell text the shipped CI files run, by file."""
    workflow = yaml.safe_load((EXAMPLES_CI / "docs.yml").read_text())
    gitlab = yaml.safe_load((EXAMPLES_CI / "gitlab-ci.yml").read_text())
    action = yaml.safe_load(ACTION.read_text())
    hooks = yaml.safe_load(HOOKS.read_text())
    return {
        "docs.yml": [step["run"] for job in workflow["jobs"].values() for step in job["steps"] if "run" in step],
        "gitlab-ci.yml": [
            line
            for job in [gitlab["default"], *(j for j in gitlab.values() if isinstance(j, dict) and "script" in j)]
            for line in job.get("before_script", []) + job.get("script", [])
        ],
        "action.yml": [step["run"] for step in action["runs"]["steps"] if "run" in step],
        ".pre-commit-hooks.yaml": [hook["entry"] for hook in hooks],
    }


def _invocations() -> dict[str, set[str]]:
    """docs-compile command -> every option the shipped files give it."""
    found: dict[str, set[str]] = {}
    for texts in _scripts().values():
        for text in texts:
            for command, rest in re.findall(r"\bdocs-compile ([a-z]+)([^\n]*)", text):
                found.setdefault(command, set()).update(re.findall(r"--[a-z][a-z-]*", rest))
    return found


def test_ci_files_run_the_whole_pipeline() -> None:
    for name, texts in _scripts().items():
        commands = {c for text in texts for c in re.findall(r"\bdocs-compile ([a-z]+)", text)}
        expected = (
            {"validate", "check"} if name == ".pre-commit-hooks.yaml" else {"validate", "resolve", "check", "build"}
        )
        assert expected <= commands, name


def test_every_docs_compile_command_and_option_exists() -> None:
    invocations = _invocations()
    assert {"validate", "resolve", "check", "build", "diff"} <= set(invocations)
    for command, options in sorted(invocations.items()):
        done = _docs_compile(REPO, command, "--help")
        assert done.returncode == 0, f"docs-compile {command} --help: {done.stderr}"
        offered = set(re.findall(r"--[a-z][a-z-]*", done.stdout))
        assert options <= offered, f"docs-compile {command} has no {sorted(options - offered)}"


# --- their scripts run -----------------------------------------------------------------------------------


def _run(script: str, cwd: Path, tmp: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """A `run:` script as GitHub Actions runs it (bash -eo pipefail), with the runner's files in TMP."""
    runner = {
        "RUNNER_TEMP": str(tmp / "runner"),
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary"),
    }
    (tmp / "runner").mkdir(exist_ok=True)
    for name in ("output", "summary"):
        (tmp / name).touch()
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**ENV, **runner, **env},
    )


def _outputs(tmp: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in (tmp / "output").read_text().splitlines())


def _step(name: str) -> str:
    workflow = yaml.safe_load((EXAMPLES_CI / "docs.yml").read_text())
    [step] = [s for s in workflow["jobs"]["docs"]["steps"] if s.get("name") == name]
    return str(step["run"])


@pytest.mark.slow
def test_workflow_steps_run(repo: Path, tmp_path: Path) -> None:
    """Validate, the gates (exit 1 on the scaffold's TODOs, with a SARIF report), the change log, the build."""
    assert _run(_step("Validate sources"), repo, tmp_path).returncode == 0
    assert _run(_step("Facts lock is current"), repo, tmp_path).returncode == 0
    gates = _run(_step("Release gates"), repo, tmp_path)
    assert gates.returncode == 1, gates.stderr
    sarif = Path(_outputs(tmp_path)["sarif"])
    assert sarif.parent == tmp_path / "runner" / "docs-compile"
    assert json.loads(sarif.read_text())["version"] == "2.1.0"
    changes = _run(_step("Change log against the last release"), repo, tmp_path)
    assert changes.returncode == 0, changes.stderr
    assert "A new paragraph" in (tmp_path / "summary").read_text()
    built = _run(_step("Build site and PDFs"), repo, tmp_path)
    assert built.returncode == 0, built.stderr
    workflow = yaml.safe_load((EXAMPLES_CI / "docs.yml").read_text())
    uploads = [s["with"]["path"] for s in workflow["jobs"]["docs"]["steps"] if "upload-artifact" in s.get("uses", "")]
    for path in " ".join(uploads[:2]).split():
        assert (repo / path).exists(), path
    assert sorted(p.name for p in (repo / "build/pdf/demo").iterdir()) == [
        "leadership.pdf",
        "regulatory.pdf",
        "technical.pdf",
    ]


@pytest.mark.slow
def test_gitlab_jobs_run(repo: Path, tmp_path: Path) -> None:
    """Each job's script in one shell, as the GitLab runner runs it; the artifacts it keeps exist afterwards."""
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    codes = {}
    for name in pipeline["stages"]:
        done = _run("\n".join(pipeline[name]["script"]), repo, tmp_path)
        codes[name] = done.returncode
        for path in pipeline[name].get("artifacts", {}).get("paths", []):
            assert (repo / path).exists(), f"{name}: artifact {path} missing"
    assert codes == {"validate": 0, "check": 1, "build": 0}  # check: the scaffold's TODOs fail the gates
    assert json.loads((repo / "reports/check.sarif").read_text())["version"] == "2.1.0"


def _action_script() -> str:
    action = yaml.safe_load(ACTION.read_text())
    [step] = [s for s in action["runs"]["steps"] if s.get("id") == "docs"]
    return str(step["run"])


def _action_env(**given: str) -> dict[str, str]:
    defaults = {
        name.upper(): str(spec["default"]) for name, spec in yaml.safe_load(ACTION.read_text())["inputs"].items()
    }
    return {**{k: defaults[k] for k in ("COMMANDS", "ARGS", "AGAINST", "OUT", "PDF")}, **given}


def test_action_version_is_the_release_it_belongs_to() -> None:
    """The action's tag pins docs-compile: its default `version` is the package version of the same release."""
    from compiler import __version__

    inputs = yaml.safe_load(ACTION.read_text())["inputs"]
    assert inputs["version"]["default"] == __version__
    assert f"docs-compile[mlflow]=={__version__}" in ci_file("github")  # the workflows pin the same version
    assert f"<org>/docs-compile@v{__version__}" in (EXAMPLES_CI / "README.md").read_text()


@pytest.mark.parametrize(
    ("package", "installed"),
    [
        ("docs-compile", "docs-compile==0.1.0"),
        ("docs-compile[mlflow]", "docs-compile[mlflow]==0.1.0"),
        ("./dist/docs_compile-0.1.0-py3-none-any.whl", "./dist/docs_compile-0.1.0-py3-none-any.whl"),
        ("git+https://example.org/docs-compile@main", "git+https://example.org/docs-compile@main"),
    ],
)
def test_action_pins_a_package_name_and_installs_a_path_or_url_as_given(
    tmp_path: Path, package: str, installed: str
) -> None:
    action = yaml.safe_load(ACTION.read_text())
    [step] = [s for s in action["runs"]["steps"] if s.get("name") == "Install docs-compile"]
    # pip and docs-compile stand-ins that print what they were asked for.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/python").write_text('#!/bin/sh\necho "$@"\n')
    (tmp_path / "bin/docs-compile").write_text("#!/bin/sh\n")
    for stub in (tmp_path / "bin").iterdir():
        stub.chmod(0o755)
    env = {"PACKAGE": package, "VERSION": str(action["inputs"]["version"]["default"])}
    done = _run(step["run"], tmp_path, tmp_path, PATH=f"{tmp_path / 'bin'}:/usr/bin:/bin", **env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"-m pip install {installed}"


def test_action_runs_and_gives_its_outputs(repo: Path, tmp_path: Path) -> None:
    done = _run(
        _action_script(), repo, tmp_path, **_action_env(COMMANDS="validate resolve build", PDF="false", OUT="site-only")
    )
    assert done.returncode == 0, done.stdout + done.stderr
    outputs = _outputs(tmp_path)
    assert outputs == {"site": str(repo / "site-only/site"), "manifest": str(repo / "site-only/manifest.json")}
    assert (repo / "site-only/site/index.html").is_file()
    assert not (repo / "site-only/pdf").exists()
    assert "::group::docs-compile validate" in done.stdout


@pytest.mark.parametrize(("settings", "folder"), [("out: public\n", "public"), ("", "build")])
def test_action_builds_into_the_out_of_docs_compile_yaml_when_out_is_empty(
    repo: Path, tmp_path: Path, settings: str, folder: str
) -> None:
    """The input `out` is empty by default: docs-compile.yaml's `out:` (else build), and the outputs name it."""
    copy = tmp_path / "repo"
    shutil.copytree(repo, copy, ignore=shutil.ignore_patterns("build", "site-only", "reports", ".docs-compile-cache"))
    (copy / "docs-compile.yaml").write_text(settings)
    assert _action_env()["OUT"] == ""
    done = _run(_action_script(), copy, tmp_path, **_action_env(COMMANDS="build", PDF="false"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert _outputs(tmp_path) == {"site": str(copy / folder / "site"), "manifest": str(copy / folder / "manifest.json")}
    assert (copy / folder / "site/index.html").is_file()
    assert sorted(p.name for p in copy.iterdir() if p.name in ("build", "public")) == [folder]


def test_action_refuses_out_in_args(repo: Path, tmp_path: Path) -> None:
    done = _run(_action_script(), repo, tmp_path, **_action_env(COMMANDS="build", ARGS="--out elsewhere"))
    assert done.returncode == 2
    assert "::error::give the output folder with the input 'out', not in 'args'" in done.stdout
    assert _outputs(tmp_path) == {}


def test_action_check_fails_with_a_report(repo: Path, tmp_path: Path) -> None:
    done = _run(_action_script(), repo, tmp_path, **_action_env(COMMANDS="check build", AGAINST="v0.1.0"))
    assert done.returncode == 1
    assert Path(_outputs(tmp_path)["sarif"]).is_file()
    assert "::group::docs-compile build" not in done.stdout  # a failed gate stops the run


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ({"COMMANDS": "validate deploy"}, "::error::unknown command 'deploy'"),
        ({"PDF": "yes"}, "::error::the input 'pdf' is 'yes'"),
    ],
)
def test_action_refuses_bad_inputs(repo: Path, tmp_path: Path, given: dict[str, str], message: str) -> None:
    done = _run(_action_script(), repo, tmp_path, **_action_env(**given))
    assert done.returncode == 2
    assert message in done.stdout
    assert _outputs(tmp_path) == {}
