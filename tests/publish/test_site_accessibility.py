"""Publish stage, the site's theme overrides: the error page's relative links, datasheet sections as headings,
the named search dialog, and a repository's own theme folder layered over docs-compile's.

The axe-core run over every page type, the diagrams and keyboard scrolling are in tests/test_browser.py.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from helpers.browser import chromium
from helpers.project import AUDIENCES, minimal_source, write_tree
from helpers.serving import serve

from compiler.build import BuildOptions, build
from compiler.config.packaged import packaged_mkdocs_config
from compiler.publish.site_config import THEME_OVERRIDES, SiteConfiguration

MATERIAL = Path(__import__("material").__file__).parent / "templates"
LINK = re.compile(r'\s(?:href|src)="([^"]*)"')
INDIGO = "rgb(64, 81, 181)"
"""The header's colour in the packaged palette: the theme's style sheet has loaded."""


def _source() -> dict[str, object]:
    return minimal_source("scan")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("a11y")
    write_tree(root, {"content/scan/model.yaml": _source()})
    build(BuildOptions(content=root / "content", audiences=AUDIENCES, out=root / "build", pdf=False))
    return root / "build" / "site"


def _project(root: Path, mkdocs: str, files: dict[str, str] | None = None) -> Path:
    write_tree(root, {"content/scan/model.yaml": _source(), "mkdocs.yml": mkdocs, **(files or {})})
    return root


def _build(cli: Callable[..., Result]) -> Result:
    return cli("build", "--no-pdf", "--quiet", "--audiences", AUDIENCES)


def test_the_error_page_links_relative_to_the_top_of_the_site(site: Path) -> None:
    page = (site / "404.html").read_text(encoding="utf-8")
    links = LINK.findall(page)
    assert links and not [link for link in links if link.startswith("/")]
    assets = [link for link in links if link.startswith("assets/")]
    assert "assets/stylesheets/docs-compile.css" in assets and "assets/javascripts/docs-compile.js" in assets
    for link in assets:
        assert (site / link).is_file(), link
    assert '"base": "."' in page
    assert '<a href=".">Go to the model catalog</a>' in page


def test_with_a_site_url_the_error_page_links_under_its_path(project: Path, cli: Callable[..., Result]) -> None:
    _project(project, "site_url: https://docs.example.org/models/\n")
    assert _build(cli).exit_code == 0
    links = LINK.findall((project / "build" / "site" / "404.html").read_text(encoding="utf-8"))
    assert "/models/assets/stylesheets/docs-compile.css" in links
    assert not [link for link in links if link.startswith("assets/")]
    # Every other page still links relative to itself.
    assert 'href="assets/stylesheets/docs-compile.css"' in (project / "build" / "site" / "index.html").read_text()


@pytest.mark.browser
def test_the_error_page_is_styled_under_a_sub_path_and_from_files(site: Path, tmp_path: Path) -> None:
    shutil.copytree(site, tmp_path / "docs" / "models")
    with chromium() as browser, serve(tmp_path / "docs") as url:
        for address in (f"{url}models/404.html", (site / "404.html").as_uri()):
            page = browser.new_page()
            failed: list[str] = []
            page.on("requestfailed", lambda r, failed=failed: failed.append(r.url))
            page.on("response", lambda r, failed=failed: failed.append(r.url) if r.status >= 400 else None)
            page.goto(address, wait_until="load")
            assert page.evaluate("getComputedStyle(document.querySelector('.md-header')).backgroundColor") == INDIGO
            catalog = page.locator("article a").get_attribute("href")
            assert page.evaluate("(href) => new URL(href, location.href).href", catalog) == address.removesuffix(
                "404.html"
            )
            assert [u for u in failed if "/assets/" in u] == [], address
            page.close()


def test_a_datasheet_page_has_its_sections_as_headings(site: Path) -> None:
    page = (site / "scan" / "datasheets" / "train" / "index.html").read_text(encoding="utf-8")
    headings = re.findall(r'<h3 id="[^"]+">([^<]+)</h3>', page)
    assert headings[:4] == ["Motivation", "Composition", "Collection", "Preprocessing and labelling"]
    assert {"Distribution", "Maintenance"} <= set(headings)
    contents = page.split('aria-label="Table of contents"', 1)[1].split("</nav>", 1)[0]
    assert contents.count('class="md-nav__link"') > len(headings)  # the dataset, and each section under it
    # Inside the technical document the same parts stay run-in labels under the dataset's heading.
    document = (site / "scan" / "technical" / "index.html").read_text(encoding="utf-8")
    assert "<strong>Motivation.</strong>" in document and '<h4 id="motivation"' not in document


def test_every_page_names_its_search_dialog(site: Path) -> None:
    pages = sorted(site.rglob("*.html"))
    assert len(pages) > 5
    for page in pages:
        assert '<div class="md-search" data-md-component="search" role="dialog" aria-label="Search">' in (
            page.read_text(encoding="utf-8")
        ), page


@pytest.mark.parametrize(
    "partial", sorted(p.relative_to(THEME_OVERRIDES) for p in THEME_OVERRIDES.glob("partials/*.html"))
)
def test_an_overridden_partial_is_the_installed_themes_with_one_line_changed(partial: Path) -> None:
    """A Material upgrade that changes a partial this folder overrides fails here, so the copy is redone."""

    def body(path: Path) -> list[str]:
        return re.sub(r"^\{#-.*?-#\}\n", "", path.read_text(encoding="utf-8"), flags=re.DOTALL).splitlines()

    ours, theirs = body(THEME_OVERRIDES / partial), body(MATERIAL / partial)
    assert len(ours) == len(theirs)
    changed = [(a, b) for a, b in zip(ours, theirs, strict=True) if a != b]
    assert len(changed) == 1 and "aria-label" in changed[0][0], changed


def test_a_repositorys_theme_folder_is_layered_over_docs_compiles(project: Path, cli: Callable[..., Result]) -> None:
    mkdocs = "theme:\n  name: material\n  custom_dir: site-theme\n"
    own = {
        "site-theme/404.html": '{% extends "main.html" %}\n{% block content %}<h1>Lost? Ask the ML platform team</h1>{% endblock %}\n',
        "site-theme/partials/copyright.html": '<div class="md-copyright">Cardiology AI group</div>\n',
        "site-theme/assets/images/badge.svg": "<svg xmlns='http://www.w3.org/2000/svg'/>\n",
    }
    _project(project, mkdocs, own)
    assert _build(cli).exit_code == 0
    site = project / "build" / "site"
    catalog = (site / "index.html").read_text(encoding="utf-8")
    assert "Cardiology AI group" in catalog  # the repository's partial
    assert 'role="dialog" aria-label="Search"' in catalog  # docs-compile's partial, not overridden, stays
    assert "Lost? Ask the ML platform team" in (site / "404.html").read_text(encoding="utf-8")  # theirs over ours
    assert (site / "assets" / "images" / "badge.svg").is_file()
    assert (site / "assets" / "javascripts" / "docs-compile.js").is_file()
    # The repository's folder is read, never written.
    assert sorted(
        p.relative_to(project).as_posix() for p in (project / "site-theme").rglob("*") if p.is_file()
    ) == sorted(own)


def test_a_theme_folder_that_is_not_there_is_a_placed_error(project: Path, cli: Callable[..., Result]) -> None:
    _project(project, "site_name: Models\ntheme:\n  name: material\n  custom_dir: site-theme\n")
    result = _build(cli)
    assert result.exit_code == 2
    assert "error: mkdocs.yml:4:15: theme.custom_dir: site-theme is not a folder (hint: name a folder" in result.output
    assert not (project / "build").exists()


def test_the_theme_files_are_inputs_of_the_build(project: Path) -> None:
    """A change to a file of the repository's theme folder builds again (the inputs key reads every theme file)."""
    _project(project, "theme:\n  custom_dir: site-theme\n", {"site-theme/partials/copyright.html": "<div>one</div>\n"})
    files = SiteConfiguration(packaged_mkdocs_config(), project / "mkdocs.yml").files
    assert THEME_OVERRIDES / "partials" / "search.html" in files
    assert project / "site-theme" / "partials" / "copyright.html" in files
    options = BuildOptions(
        content=project / "content",
        audiences=AUDIENCES,
        out=project / "build",
        pdf=False,
        mkdocs_config=Path("mkdocs.yml"),
    )
    assert not build(options).unchanged
    assert build(options).unchanged
    (project / "site-theme" / "partials" / "copyright.html").write_text("<div>two</div>\n", encoding="utf-8")
    assert not build(options).unchanged
    assert "<div>two</div>" in (project / "build" / "site" / "index.html").read_text(encoding="utf-8")


def test_a_mkdocs_yml_that_is_not_yaml_is_still_a_placed_error(project: Path, cli: Callable[..., Result]) -> None:
    """The inputs key reads the repository's mkdocs.yml for its theme folder before the build checks the file."""
    _project(project, "site_name: [unclosed\n")
    result = _build(cli)
    assert result.exit_code == 2
    assert result.output.startswith("error: mkdocs.yml:2:1: mkdocs.yml is not valid: expected ',' or ']'")
