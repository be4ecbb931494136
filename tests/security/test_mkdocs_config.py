"""Issue 14 item 2: MkDocs configuration that runs code or reads the environment (docs/security.md, promise 3).

Only the repository's own mkdocs.yml (the working directory's) is used, never one an audience pack brings;
in it, hooks, `!ENV`, `!relative` and `theme.custom_dir` leading outside, remote `extra_javascript` /
`extra_css`, `INHERIT` and plugins beyond `search` are refused with a placed error unless the file allows
them under `extra.docs_compile.allow`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.project import AUDIENCES, REPO, minimal_source, write_tree

from compiler.errors import ConfigError
from compiler.publish.mkdocs_config import check_config_file

HOOK = "from pathlib import Path\n\ndef on_config(config):\n    Path({marker!r}).write_text('ran')\n    return config\n"
SHELL = (REPO / "mkdocs.yml").read_text(encoding="utf-8")


def _project(root: Path, mkdocs_extra: str = "", audiences: Path = AUDIENCES) -> Path:
    write_tree(root, {"content/demo/model.yaml": minimal_source()})
    (root / "mkdocs.yml").write_text(SHELL + mkdocs_extra, encoding="utf-8")
    return audiences


def _build(cli: Callable[..., Result], audiences: Path) -> Result:
    return cli("build", "--no-pdf", "--quiet", "--audiences", audiences)


def _line_of(root: Path, text: str) -> int:
    lines = (root / "mkdocs.yml").read_text(encoding="utf-8").splitlines()
    return next(number for number, line in enumerate(lines, 1) if text in line)


def _pages(root: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in (root / "build" / "site").rglob("*.html"))


def test_item2_an_audience_packs_own_mkdocs_yml_is_not_used(project: Path, cli: Callable[..., Result]) -> None:
    """A third-party pack beside its own mkdocs.yml with hooks: the working directory's mkdocs.yml is used."""
    pack = project / "vendor" / "pack"
    shutil.copytree(AUDIENCES, pack / "audiences")
    (pack / "hook.py").write_text(HOOK.format(marker=str(project / "pwned")), encoding="utf-8")
    (pack / "mkdocs.yml").write_text(SHELL + "hooks:\n  - hook.py\n", encoding="utf-8")
    _project(project)
    result = _build(cli, pack / "audiences")
    assert result.exit_code == 0, result.output
    assert not (project / "pwned").exists()


def test_item2_hooks_are_refused_and_not_run(project: Path, cli: Callable[..., Result]) -> None:
    (project / "hook.py").write_text(HOOK.format(marker=str(project / "pwned")), encoding="utf-8")
    audiences = _project(project, "hooks:\n  - hook.py\n")
    result = _build(cli, audiences)
    assert result.exit_code == 2
    line = _line_of(project, "- hook.py")
    assert (
        f"error: mkdocs.yml:{line}:3: hooks run Python code during the build (hint: allow it in this file with "
        "extra: {docs_compile: {allow: [hooks]}} if the repository owner means it)"
    ) in result.output
    assert not (project / "pwned").exists()
    assert not (project / "build").exists()


def test_item2_an_env_secret_reaches_no_page(
    project: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CI_SECRET_TOKEN", "s3cr3t-token-value")
    audiences = _project(project, "copyright: !ENV [CI_SECRET_TOKEN]\n")
    result = _build(cli, audiences)
    assert result.exit_code == 2
    line = _line_of(project, "!ENV")
    assert (
        f"error: mkdocs.yml:{line}:12: !ENV reads the environment (a CI secret would reach every page)"
    ) in result.output
    assert "s3cr3t-token-value" not in result.output
    assert not (project / "build").exists()


def test_item2_custom_dir_outside_the_project_is_not_copied(
    tmp_path: Path, cli: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    outside = tmp_path / "elsewhere"
    write_tree(outside, {"outside-secret.txt": "private notes"})
    root = tmp_path / "repo"
    root.mkdir()
    monkeypatch.chdir(root)
    audiences = _project(root, "")
    text = (root / "mkdocs.yml").read_text(encoding="utf-8")
    (root / "mkdocs.yml").write_text(
        text.replace("  name: material\n", "  name: material\n  custom_dir: ../elsewhere\n")
    )
    result = _build(cli, audiences)
    assert result.exit_code == 2
    line = _line_of(root, "custom_dir")
    assert f"error: mkdocs.yml:{line}:15: theme.custom_dir ../elsewhere is outside the project" in result.output
    assert not list(root.rglob("outside-secret.txt"))


@pytest.mark.parametrize(
    ("key", "url"),
    [("extra_javascript", "http://127.0.0.1:9/x.js"), ("extra_css", "//127.0.0.1:9/x.css")],
)
def test_item2_a_remote_script_or_style_is_not_added(
    project: Path, cli: Callable[..., Result], key: str, url: str
) -> None:
    text = SHELL.replace(f"{key}:\n", f"{key}:\n  - {url}\n", 1)
    write_tree(project, {"content/demo/model.yaml": minimal_source(), "mkdocs.yml": text})
    result = _build(cli, AUDIENCES)
    assert result.exit_code == 2
    line = _line_of(project, url)
    assert f"error: mkdocs.yml:{line}:5: {key} {url} is not a file of the site" in result.output
    assert not (project / "build").exists()


def test_item2_the_allow_list_lets_the_owner_enable_a_key(project: Path, cli: Callable[..., Result]) -> None:
    """What the repository owner allows by name is built as MkDocs would: the check refuses only by default."""
    (project / "hook.py").write_text(HOOK.format(marker=str(project / "ran")), encoding="utf-8")
    text = SHELL.replace("extra_javascript:\n", "extra_javascript:\n  - https://example.org/x.js\n", 1)
    text += "hooks:\n  - hook.py\nextra:\n  docs_compile:\n    allow: [hooks, remote_assets]\n"
    write_tree(project, {"content/demo/model.yaml": minimal_source(), "mkdocs.yml": text})
    result = _build(cli, AUDIENCES)
    assert result.exit_code == 0, result.output
    assert (project / "ran").read_text() == "ran"
    assert 'src="https://example.org/x.js"' in _pages(project)


def _problems(tmp_path: Path, text: str) -> list[str]:
    (tmp_path / "mkdocs.yml").write_text(text, encoding="utf-8")
    try:
        check_config_file(tmp_path / "mkdocs.yml")
    except ConfigError as exc:
        return [f"{p.location.line}:{p.location.column}: {p.message}" for p in exc.problems]
    return []


ALLOW_SNIPPETS = "extra:\n  docs_compile:\n    allow: ['extension:pymdownx.snippets']\n"


def test_item2_relative_outside_the_project_is_refused(tmp_path: Path) -> None:
    text = "site_name: x\nmarkdown_extensions:\n  - pymdownx.snippets:\n      base_path: !relative $config_dir/../..\n"
    assert _problems(tmp_path, text + ALLOW_SNIPPETS) == ["4:18: !relative $config_dir/../.. leads outside the project"]
    inside = "site_name: x\nmarkdown_extensions:\n  - pymdownx.snippets:\n      base_path: !relative $config_dir/docs\n"
    assert _problems(tmp_path, inside + ALLOW_SNIPPETS) == []


def test_a_markdown_extension_beyond_the_shared_dialect_needs_an_allow(tmp_path: Path) -> None:
    """An extension runs over every generated page: pymdownx.snippets would let an audience template copy any
    repository file (.env) into the site."""
    text = "site_name: x\nmarkdown_extensions:\n  - abbr\n  - pymdownx.snippets\n  - pymdownx.keys: {}\n"
    assert _problems(tmp_path, text) == [
        "4:5: Markdown extension 'pymdownx.snippets' runs on every generated page, whose text comes from untrusted sources",
        "5:20: Markdown extension 'pymdownx.keys' runs on every generated page, whose text comes from untrusted sources",
    ]
    allowed = text + "extra:\n  docs_compile:\n    allow: ['extension:pymdownx.snippets', 'extension:pymdownx.keys']\n"
    assert _problems(tmp_path, allowed) == []


def test_remote_fonts_and_analytics_need_an_allow(tmp_path: Path) -> None:
    text = "site_name: x\ntheme:\n  name: material\n  font:\n    text: Roboto\nextra:\n  analytics:\n    provider: google\n"
    assert _problems(tmp_path, text) == [
        "5:5: theme.font loads the fonts from Google Fonts in every reader's browser",
        "8:5: extra.analytics sends every reader's visits to a third party",
    ]
    assert _problems(tmp_path, "site_name: x\ntheme:\n  name: material\n  font: false\n") == []
    assert _problems(tmp_path, "site_name: x\nx: !relative $docs_dir/../../etc\n") == [
        "2:4: !relative $docs_dir/../../etc leads outside the project"
    ]


def test_item2_an_installed_plugin_beyond_search_is_refused(tmp_path: Path) -> None:
    """material/privacy downloads every external asset at build time; any plugin is code."""
    text = "site_name: x\nplugins:\n  - search\n  - material/privacy\n  - material/tags: {}\n"
    assert _problems(tmp_path, text) == [
        "4:5: plugin 'material/privacy' runs code and is not allowed",
        "5:20: plugin 'material/tags' runs code and is not allowed",
    ]
    allowed = text + "extra:\n  docs_compile:\n    allow: ['plugin:material/privacy', 'plugin:material/tags']\n"
    assert _problems(tmp_path, allowed) == []


def test_item2_inherit_and_an_unknown_allow_are_refused(tmp_path: Path) -> None:
    text = "INHERIT: ../pack/mkdocs.yml\nsite_name: x\nextra:\n  docs_compile:\n    allow: [hook]\n"
    assert _problems(tmp_path, text) == [
        "1:10: INHERIT reads another configuration file",
        "5:13: unknown allow 'hook' (did you mean 'hooks'?)",
    ]
