"""The wheel is the product: built from this checkout, installed into a fresh virtualenv outside it, and used in a
new repository that holds nothing but what `docs-compile init` writes — the README's "use it in your repository"
commands, in order — then again with a repository audience that extends a packaged one and an own mkdocs.yml.

Slow (a virtualenv with every dependency, from the package index or pip's cache): about two minutes.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from helpers.project import REPO
from pypdf import PdfReader

pytestmark = pytest.mark.slow

README_BLOCK = re.compile(r"<!-- repository-commands -->\n```bash\n(.*?)```", re.DOTALL)


@dataclass(frozen=True)
class Installed:
    wheel: Path
    venv: Path
    env: dict[str, str]

    def run(self, *args: str, cwd: Path, code: int | None = 0) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            [str(a) for a in args], cwd=cwd, env=self.env, capture_output=True, text=True, timeout=900, check=False
        )
        if code is not None:
            assert done.returncode == code, f"{' '.join(args)} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done


def _checkout_copy(target: Path) -> Path:
    """The files of this checkout that git would commit (tracked or new, not ignored), copied."""
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=REPO, capture_output=True, check=True
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Installed:
    root = tmp_path_factory.mktemp("wheel")
    source = _checkout_copy(root / "source")
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "--no-deps", "-q", "-w", root / "dist", source], check=True, capture_output=True)
    (wheel,) = (root / "dist").glob("docs_compile-*.whl")
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", venv], check=True)
    subprocess.run([venv / "bin/python", "-m", "pip", "install", "-q", wheel], check=True, capture_output=True)
    path = [p for p in os.environ.get("PATH", "").split(os.pathsep) if not Path(p, "docs-compile").exists()]
    env = {
        **os.environ,
        "PATH": os.pathsep.join([str(venv / "bin"), *path]),
        "PYTHONPATH": "",
        "VIRTUAL_ENV": str(venv),
    }
    env.pop("DOCS_COMPILE_CACHE", None)
    return Installed(wheel, venv, env)


def readme_commands() -> list[str]:
    """The README's "use it in your repository" commands, without comments."""
    found = README_BLOCK.search((REPO / "README.md").read_text(encoding="utf-8"))
    assert found, "README.md lost its <!-- repository-commands --> block"
    return [line.split("  #")[0].strip() for line in found.group(1).splitlines() if line.strip()]


def test_the_wheel_carries_the_packaged_defaults_and_nothing_of_the_checkout(installed: Installed) -> None:
    names = zipfile.ZipFile(installed.wheel).namelist()
    assert all(n.startswith(("compiler/", "docs_compile-")) for n in names), [
        n for n in names if not n.startswith(("compiler/", "docs_compile-"))
    ]
    for audience in ("technical", "regulatory", "clinician", "leadership"):
        assert f"compiler/_packaged/audiences/{audience}/audience.yaml" in names
    assert "compiler/_packaged/audiences/_common/page.md.j2" in names
    assert "compiler/_packaged/mkdocs.yml" in names
    assert "compiler/fonts/DejaVuSans.ttf" in names
    assert any(n.startswith("compiler/config/frameworks/") and n.endswith(".yaml") for n in names)
    assert any(n.startswith("compiler/config/profiles/") and n.endswith(".yaml") for n in names)
    # No copy can drift: the packaged files are this checkout's top-level ones, byte for byte.
    with zipfile.ZipFile(installed.wheel) as wheel:
        for path in sorted((REPO / "audiences").rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                rel = path.relative_to(REPO).as_posix()
                assert wheel.read(f"compiler/_packaged/{rel}") == path.read_bytes(), rel
        assert wheel.read("compiler/_packaged/mkdocs.yml") == (REPO / "mkdocs.yml").read_bytes()


def test_a_new_repository_runs_the_readme_commands_with_the_packaged_defaults(
    installed: Installed, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    where = installed.run("python", "-c", "import compiler; print(compiler.__file__)", cwd=repo).stdout
    assert Path(where.strip()).is_relative_to(installed.venv) and not Path(where.strip()).is_relative_to(REPO)
    archive = tmp_path / "docs-archive"
    commands = readme_commands()
    assert commands[:2] == ["python3 -m venv .venv && . .venv/bin/activate", "pip install docs-compile"]
    codes = {"docs-compile check": 1}  # the scaffold's TODOs are what check reports
    for line in commands[2:]:
        if line.startswith("docs-compile serve"):
            _serve_briefly(installed, repo)
            continue
        args = line.replace("../docs-archive", str(archive)).split()
        installed.run(*args, cwd=repo, code=codes.get(line, 0))
    model_id = "sepsis-risk"
    assert (repo / f"content/{model_id}/model.yaml").is_file()
    manifest = json.loads((repo / "build/manifest.json").read_text())
    pdfs = sorted((repo / "build/pdf").rglob("*.pdf"))
    assert [p.relative_to(repo / "build/pdf").as_posix() for p in pdfs] == [
        f"{model_id}/leadership.pdf",
        f"{model_id}/regulatory.pdf",
        f"{model_id}/technical.pdf",
    ]
    assert all(len(PdfReader(p).pages) >= 1 for p in pdfs)
    assert (repo / "build/site/index.html").is_file() and manifest
    versions = json.loads((archive / "versions.json").read_text())
    assert [v["version"] for v in versions] == ["0.2.0", "0.1.0"] and versions[0]["aliases"] == ["latest"]
    assert (repo / "audiences/clinician/audience.yaml").is_file()  # audiences copy
    assert json.loads((repo / f"{model_id}.cdx.json").read_text())["bomFormat"] == "CycloneDX"


def _serve_briefly(installed: Installed, repo: Path) -> None:
    before = sorted(p.relative_to(repo).as_posix() for p in (repo / "build").rglob("*"))
    server = subprocess.Popen(
        ["docs-compile", "serve", "--port", "0"], cwd=repo, env=installed.env, stderr=subprocess.PIPE, text=True
    )
    try:
        assert server.stderr is not None
        line = server.stderr.readline()
        found = re.search(r"on (http://127\.0\.0\.1:\d+/)", line)
        assert found, line
        with urllib.request.urlopen(found.group(1), timeout=60) as response:
            assert response.status == 200
    finally:
        server.terminate()
        server.wait(timeout=60)
    assert sorted(p.relative_to(repo).as_posix() for p in (repo / "build").rglob("*")) == before


def test_a_repository_audience_over_a_packaged_one_and_an_own_mkdocs_yml(installed: Installed, tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "content").mkdir(parents=True)
    shutil.copytree(REPO / "content" / "chest-xray-triage", repo / "content" / "chest-xray-triage")
    (repo / "audiences/ward").mkdir(parents=True)
    (repo / "audiences/ward/audience.yaml").write_text(
        yaml.safe_dump(
            {
                "title": "Ward summary",
                "description": "For the nurses of the ward.",
                "extends": "clinician",
                "sections": ["ward-note", "how-well-it-works"],
                "outputs": ["site", "pdf"],
                "pdf": {"profile": "accessible", "compact_header": True, "toc": False},
            }
        )
    )
    (repo / "audiences/ward/sections").mkdir()
    (repo / "audiences/ward/sections/ward-note.md.j2").write_text(
        "## On the ward { #ward-note }\n\n{{ model.name }} flags X-rays for the ward round.\n"
    )
    (repo / "mkdocs.yml").write_text("site_name: Hospital model documentation\ntheme:\n  palette:\n    primary: teal\n")
    installed.run("docs-compile", "validate", cwd=repo)
    installed.run("docs-compile", "check", cwd=repo)
    installed.run("docs-compile", "build", "--audience", "ward", "--audience", "clinician", cwd=repo)
    listing = installed.run("docs-compile", "audiences", cwd=repo).stdout
    assert "ward: Ward summary (own: audiences/ward/audience.yaml, extends clinician)" in listing
    text = "\n".join(page.extract_text() for page in PdfReader(repo / "build/pdf/chest-xray-triage/ward.pdf").pages)
    assert "On the ward" in text and "flags X-rays for the ward round" in text
    assert "Sensitivity" in text  # the clinician's section, found through extends in the packaged layer
    index = (repo / "build/site/index.html").read_text()
    assert "Hospital model documentation" in index and 'data-md-color-primary="teal"' in index
