"""Site archive helpers: mike's versions.json read and written, alias moves, redirect pages, the changes link."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from compiler.errors import ConfigError, UsageError
from compiler.publish.archive_build import refuse_reserved
from compiler.publish.archive_pages import body_palette, with_changes_link
from compiler.publish.archive_versions import alias_pages, load_versions, redirect_page, redirect_target

MIKE_FILE = """[
  {
    "version": "2.0",
    "title": "2.0 (current)",
    "aliases": [
      "latest",
      "stable"
    ],
    "properties": {
      "hidden": false
    }
  },
  {
    "version": "1.0",
    "title": "1.0",
    "aliases": []
  }
]
"""


def test_a_file_mike_wrote_reads_and_writes_back_unchanged(tmp_path: Path) -> None:
    (tmp_path / "versions.json").write_text(MIKE_FILE)
    versions = load_versions(tmp_path / "versions.json")
    assert versions.dumps() == MIKE_FILE
    assert versions.find("stable") is versions.entries[0]
    assert [e.version for e in versions.older_than("2.0")] == ["1.0"]


def test_an_alias_moves_and_the_versions_stay_newest_first(tmp_path: Path) -> None:
    (tmp_path / "versions.json").write_text(MIKE_FILE)
    versions = load_versions(tmp_path / "versions.json")
    assert versions.add("1.1", "1.1 hotfix", ["stable"]) == {"stable": "2.0"}
    assert json.loads(versions.dumps())[:2] == [
        {"version": "2.0", "title": "2.0 (current)", "aliases": ["latest"], "properties": {"hidden": False}},
        {"version": "1.1", "title": "1.1 hotfix", "aliases": ["stable"]},
    ]
    with pytest.raises(UsageError, match=r"'1\.0' is a published version"):
        versions.add("3.0", None, ["1.0"])
    with pytest.raises(UsageError, match=r"'latest' is an alias of version 2\.0"):
        versions.add("latest", None, [])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[{", "tmp/versions.json:1:3: not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"version": "1"}', 'tmp/versions.json: not a list of versions (hint: mike\'s format: a list of {"version", "title", "aliases"})'),
        ('[{"version": "1"}]', 'tmp/versions.json: [0]: entry 1 is not a version (hint: mike\'s format: a list of {"version", "title", "aliases"})'),
        (
            '[{"version": "1", "title": "1", "aliases": ["../x"]}]',
            "tmp/versions.json: [0]: '../x' is not a usable or unique name (hint: mike's format: a list of {\"version\", \"title\", \"aliases\"})",
        ),
    ],
)  # fmt: skip
def test_a_broken_versions_file_is_a_placed_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "tmp").mkdir()
    (tmp_path / "tmp/versions.json").write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_versions(Path("tmp/versions.json"))
    assert caught.value.format() == message


def test_redirect_pages_point_at_the_same_page_and_cannot_leave_their_quotes(tmp_path: Path) -> None:
    pages = alias_pages("2.0", ["index.html", "m/index.html", "404.html", 'x"<script>/index.html'])
    assert redirect_target_of(tmp_path, pages["index.html"]) == "../2.0/"
    assert redirect_target_of(tmp_path, pages["m/index.html"]) == "../../2.0/m/"
    assert redirect_target_of(tmp_path, pages["404.html"]) == "../2.0/404.html"
    hostile = pages['x"<script>/index.html']
    assert "<script>/" not in hostile and 'x"' not in hostile
    assert redirect_target_of(tmp_path, hostile) == "../../2.0/x%22%3Cscript%3E/"
    page = redirect_page("latest/")  # mike's template, as `mike set-default latest` writes it
    assert '<meta http-equiv="refresh" content="1; url=latest/" />' in page
    assert '"latest/" + window.location.search + window.location.hash' in page


def redirect_target_of(folder: Path, page: str) -> str | None:
    (folder / "page.html").write_text(page)
    return redirect_target(folder / "page.html")


def test_the_changes_link_goes_after_the_title_or_at_the_end_of_the_page() -> None:
    material = '<body><article class="md-content__inner md-typeset"><h1 id="m">M</h1><p>x</p></article></body>'
    assert with_changes_link(material, "What changed since version 1.0") == (
        '<body><article class="md-content__inner md-typeset"><h1 id="m">M</h1>\n'
        '<p class="docs-compile-changes"><a href="changes/">What changed since version 1.0</a></p>'
        "<p>x</p></article></body>"
    )
    other = "<body><h2>M</h2></body>"
    assert with_changes_link(other, "<b>") == (
        '<body><h2>M</h2>\n<p class="docs-compile-changes"><a href="changes/">&lt;b&gt;</a></p></body>'
    )
    assert with_changes_link("plain text", "x") is None


def test_the_changes_page_takes_only_the_palette_of_the_built_page() -> None:
    built = (
        '<body dir="ltr" data-md-color-scheme="slate" data-md-color-primary="deep-orange" '
        'data-md-color-accent="x&quot; onload=&quot;alert(1)" onload="alert(2)" class="c">'
    )
    assert body_palette(built) == (
        ("dir", "ltr"),
        ("data-md-color-scheme", "slate"),
        ("data-md-color-primary", "deep-orange"),
    )  # an attribute value with anything but letters, digits, spaces, - and _ is dropped; others are not read
    assert body_palette("<p>no body</p>") == ()


@pytest.mark.parametrize(
    ("page", "where"),
    [
        ("_archive/notes/index.html", "site/_archive/notes/index.html"),
        ("m/changes", "site/m/changes"),
    ],
)
def test_a_built_page_in_a_reserved_place_is_refused_by_its_path(tmp_path: Path, page: str, where: str) -> None:
    with pytest.raises(UsageError) as caught:
        refuse_reserved(tmp_path / "site", {"index.html": "", page: ""}, {"m": ("technical",)})
    assert str(caught.value.problems[0].location) == str(tmp_path / where)
    assert caught.value.problems[0].message == (
        "the built site has a file where the archive puts its own; reserved names: changes (inside a model's "
        "folder), _archive (at the site's root)"
    )
    refuse_reserved(tmp_path / "site", {"index.html": "", "m/technical/index.html": ""}, {"m": ("technical",)})
