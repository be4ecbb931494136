"""`docs-compile publish --site DIR --version V`: a versioned, immutable site archive in mike's layout.

Two real builds of the review-sentiment example (the second with a changed summary and a hostile name)
are published as 1.0 and 2.0 by the command line in a subprocess; the tests read the archive as a reader
and as Material's version selector would. The two builds have no PDFs (quick), so they are published with
--partial; a whole build with PDFs is published without it (`whole_build`).
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers.html_safety import active_markup
from helpers.project import AUDIENCES, CONTENT, REPO, write_tree

from compiler.commands.init import scaffold
from compiler.publish.archive_versions import Versions, version_key

MODEL = "review-sentiment"
HOSTILE = 'Reelview <script>alert("name")</script> classifier'
NEW_SUMMARY = "Sorts English film reviews into positive and negative, every 15 minutes."
MIKE = "\nextra:\n  version:\n    provider: mike\n"
"""The lines that turn on Material's version selector, added to the project's mkdocs.yml."""
PALETTE = {"primary: indigo": "primary: teal", "accent: indigo": "accent: amber"}
"""The project's own colours, which the "what changed" pages take from the built pages."""
RESERVED = "reserved names: changes (inside a model's folder), _archive (at the site's root)"


def _run(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """docs-compile in a subprocess, in `root`, as a release pipeline runs it."""
    return subprocess.run(
        [sys.executable, "-m", "compiler", *args], cwd=root, capture_output=True, text=True, check=False, timeout=300
    )


def _edit(model_yaml: Path, name: str, summary: str) -> None:
    text = model_yaml.read_text(encoding="utf-8")
    text = re.sub(r"(?m)^  name: .*$", lambda _: f"  name: {json.dumps(name)}", text, count=1)
    text = re.sub(r"(?m)^  summary: >-\n(    .*\n)+", lambda _: f"  summary: {json.dumps(summary)}\n", text, count=1)
    model_yaml.write_text(text, encoding="utf-8")


def _snapshot(root: Path) -> dict[str, tuple[int, bytes]]:
    """Every file and folder under root with its mtime (ns) and bytes: equal snapshots, untouched folders."""
    return {
        p.relative_to(root).as_posix(): (p.stat().st_mtime_ns, p.read_bytes() if p.is_file() else b"")
        for p in sorted([root, *root.rglob("*")])
    }


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two builds: v1/ (the example as shipped) and v2/ (new summary, hostile name), each with its content."""
    root = tmp_path_factory.mktemp("archive")
    shutil.copytree(AUDIENCES, root / "audiences")
    mkdocs = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    for old, new in PALETTE.items():
        assert old in mkdocs
        mkdocs = mkdocs.replace(old, new)
    (root / "mkdocs.yml").write_text(mkdocs + MIKE, encoding="utf-8")
    for side in ("v1", "v2"):
        shutil.copytree(CONTENT / MODEL, root / side / "content" / MODEL)
    _edit(root / "v2/content" / MODEL / "model.yaml", HOSTILE, NEW_SUMMARY)
    for side in ("v1", "v2"):
        done = _run(root, "build", "--no-pdf", "-q", "--content", f"{side}/content", "--out", f"{side}/build")
        assert done.returncode == 0, done.stderr
    return root


def _publish(root: Path, side: str, *args: str, partial: bool = True) -> subprocess.CompletedProcess[str]:
    """Publish the build of `side` (without PDFs: --partial unless told otherwise)."""
    given = ["--partial"] if partial else []
    return _run(root, "publish", "--content", f"{side}/content", "--out", f"{side}/build", *given, *args)


@pytest.fixture(scope="module")
def archive(root: Path) -> dict[str, Any]:
    """1.0 then 2.0 published into root/archive, each with --alias latest; their --json results."""
    results = {}
    for side, version in (("v1", "1.0"), ("v2", "2.0")):
        done = _publish(root, side, "--site", "archive", "--version", version, "--alias", "latest", "--json")
        assert done.returncode == 0, done.stdout + done.stderr
        results[version] = json.loads(done.stdout)
    return results


@pytest.fixture
def scratch(root: Path, archive: dict[str, Any], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of root (builds, content and the archive) to change freely; the working directory."""
    copy = tmp_path / "root"
    shutil.copytree(root, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


def test_versions_json_is_mikes_format_newest_first_with_the_alias_moved(root: Path, archive: dict[str, Any]) -> None:
    assert (root / "archive/versions.json").read_text() == (
        "[\n"
        '  {\n    "version": "2.0",\n    "title": "2.0",\n    "aliases": [\n      "latest"\n    ]\n  },\n'
        '  {\n    "version": "1.0",\n    "title": "1.0",\n    "aliases": []\n  }\n'
        "]\n"
    )
    assert archive["1.0"]["status"] == "published" and archive["1.0"]["moved"] == {}
    assert archive["2.0"]["moved"] == {"latest": "1.0"}
    assert archive["2.0"]["versions"] == ["2.0", "1.0"]
    assert archive["2.0"]["default"] == "latest"
    assert archive["2.0"]["models"] == [{"id": MODEL, "previous": "1.0", "changes": f"2.0/{MODEL}/changes/"}]
    assert sorted(archive["2.0"]["written"]) == ["2.0/", "latest/", "versions.json"]


def _redirect(page: Path) -> str:
    found = re.search(r'content="1; url=([^"]*)"', page.read_text(encoding="utf-8"))
    assert found, page
    return found.group(1)


def test_the_alias_and_the_index_redirect_to_the_same_page_of_the_new_version(root: Path, archive: Any) -> None:
    site = root / "archive"
    assert _redirect(site / "index.html") == "latest/"
    assert _redirect(site / "latest/index.html") == "../2.0/"
    assert _redirect(site / f"latest/{MODEL}/technical/index.html") == f"../../../2.0/{MODEL}/technical/"
    assert _redirect(site / "latest/404.html") == "../2.0/404.html"
    pages = sorted(p.relative_to(site / "2.0").as_posix() for p in (site / "2.0").rglob("*.html"))
    assert sorted(p.relative_to(site / "latest").as_posix() for p in (site / "latest").rglob("*")
                  if p.is_file()) == pages  # fmt: skip
    assert f"{MODEL}/changes/index.html" in pages


def test_each_model_page_links_what_changed_since_the_previous_version(root: Path, archive: Any) -> None:
    site = root / "archive"
    page = (site / f"2.0/{MODEL}/index.html").read_text(encoding="utf-8")
    link = '<p class="docs-compile-changes"><a href="changes/">What changed since version 1.0</a></p>'
    assert page.count(link) == 1
    assert page.index("</h1>") < page.index(link) < page.index('<h2 id="documents">')
    changes = (site / f"2.0/{MODEL}/changes/index.html").read_text(encoding="utf-8")
    assert "<h1>What changed since version 1.0</h1>" in changes
    assert f'<a href="../../../1.0/{MODEL}/">version 1.0</a>' in changes
    row = re.search(
        r"<tr><td><code>model.summary</code></td><td>changed</td><td>(.*?)</td><td>(.*?)</td></tr>", changes
    )
    assert row and row.group(1).startswith("&quot;Classifies English film reviews")
    assert row.group(2) == f"&quot;{NEW_SUMMARY}&quot;"
    assert "<td><code>model.name</code></td>" in changes
    first = (site / f"1.0/{MODEL}/index.html").read_text(encoding="utf-8")
    assert '<a href="changes/">First published version of this model</a>' in first
    assert "<h1>First published version</h1>" in (site / f"1.0/{MODEL}/changes/index.html").read_text()


def test_a_hostile_name_reaches_the_changes_page_only_as_text(root: Path, archive: Any) -> None:
    changes = (root / f"archive/2.0/{MODEL}/changes/index.html").read_text(encoding="utf-8")
    assert active_markup(changes) == []
    assert "&lt;script&gt;alert(&quot;name&quot;)&lt;/script&gt;" in changes  # the title, the link back, the table
    assert "<script" not in changes


def test_a_version_holds_the_built_site_and_sources_byte_for_byte(root: Path, archive: Any) -> None:
    version, build = root / "archive/2.0", root / "v2/build"
    manifest = json.loads((build / "manifest.json").read_bytes())
    record = json.loads((version / "_archive/publication.json").read_bytes())
    modified = {m["path"]: m for m in record["modified"]}
    assert list(modified) == [f"{MODEL}/index.html"]
    for output in manifest["outputs"]:
        if not output["path"].startswith("site/"):
            continue
        rel = output["path"].removeprefix("site/")
        expected = modified[rel]["sha256"] if rel in modified else output["sha256"]
        assert _sha(version / rel) == expected, rel
    assert modified[f"{MODEL}/index.html"]["built_sha256"] == _sha(build / "site" / MODEL / "index.html")
    for source in manifest["sources"]:
        assert _sha(version / "_archive/sources" / source["path"].split("/", 1)[1]) == source["sha256"]
    assert (version / "_archive/manifest.json").read_bytes() == (build / "manifest.json").read_bytes()


def test_publishing_the_same_build_again_changes_nothing(root: Path, archive: Any) -> None:
    before = _snapshot(root / "archive")
    done = _publish(root, "v2", "--site", "archive", "--version", "2.0", "--alias", "latest")
    assert done.returncode == 0, done.stderr
    assert done.stdout == (
        "archive/2.0/: already published; aliases: latest; index.html -> latest; "
        "review-sentiment changes since 1.0; 2 version(s)\n"
        "partial version (--partial): the PDF(s) of review-sentiment/leadership, review-sentiment/regulatory, "
        "review-sentiment/technical not built (--no-pdf)\n"
    )
    assert _snapshot(root / "archive") == before
    assert sorted(p.name for p in root.iterdir()) == ["archive", "audiences", "mkdocs.yml", "v1", "v2"]


def test_a_published_version_is_immutable_unless_forced(scratch: Path) -> None:
    before = _snapshot(scratch / "archive")
    refused = _publish(scratch, "v2", "--site", "archive", "--version", "1.0")
    assert refused.returncode == 2
    assert refused.stderr == (
        "error: archive/1.0/404.html: version 1.0 is already published with other "
        "content: this file differs (and 16 more file(s)); published versions are immutable "
        "(hint: publish under a new version, or pass --force to replace version 1.0)\n"
    )
    assert _snapshot(scratch / "archive") == before
    forced = _publish(scratch, "v2", "--site", "archive", "--version", "1.0", "--force", "--json")
    assert forced.returncode == 0, forced.stderr
    assert json.loads(forced.stdout)["status"] == "replaced"
    assert (scratch / "archive/1.0/_archive/manifest.json").read_bytes() == (
        scratch / "v2/build/manifest.json"
    ).read_bytes()
    assert (scratch / "archive/versions.json").read_bytes() == before["versions.json"][1]
    assert "First published version" in (scratch / f"archive/1.0/{MODEL}/changes/index.html").read_text()
    assert not list((scratch / "archive").glob(".*publish*")) and not list(scratch.glob(".*.lock"))


def test_a_publish_that_fails_midway_leaves_the_archive_as_it_was(scratch: Path) -> None:
    before = _snapshot(scratch / "archive")
    late = scratch / "v2/build/site/sitemap.xml"  # among the last files copied
    late.write_bytes(late.read_bytes() + b"<!-- edited -->")
    done = _publish(scratch, "v2", "--site", "archive", "--version", "3.0", "--alias", "latest")
    assert done.returncode == 2
    assert done.stderr == (
        "error: v2/build/site/sitemap.xml: changed since the build (its sha256 is not the one in the build's manifest) "
        "(hint: run `docs-compile build` again, then publish)\n"
    )
    assert _snapshot(scratch / "archive") == before
    shutil.copy(scratch / "v1/build/site/sitemap.xml", late)  # the same bytes as v2's: the build is whole again
    source = scratch / "v2/content" / MODEL / "evaluation/results.yaml"
    source.write_text(source.read_text() + "\n# edited after the build\n")
    done = _publish(scratch, "v2", "--site", "archive", "--version", "3.0")
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: v2/content/{MODEL}/evaluation/results.yaml: changed since the build")
    assert _snapshot(scratch / "archive") == before
    assert sorted(p.name for p in (scratch / "archive").iterdir()) == [
        ".nojekyll",
        "1.0",
        "2.0",
        "index.html",
        "latest",
        "versions.json",
    ]


def test_older_sources_that_no_longer_load_are_said_so_on_the_changes_page(scratch: Path) -> None:
    (scratch / "archive/2.0/_archive/sources" / MODEL / "model.yaml").write_text("model: [unclosed\n")
    done = _publish(scratch, "v2", "--site", "archive", "--version", "3.0")
    assert done.returncode == 0, done.stderr
    changes = (scratch / "archive/3.0" / MODEL / "changes/index.html").read_text(encoding="utf-8")
    assert "<h1>What changed since version 2.0</h1>" in changes
    assert "<p><strong>The two versions could not be compared:</strong> the sources do not load on their own" in changes


def test_a_new_folder_that_cannot_be_published_is_not_left_behind(scratch: Path) -> None:
    (scratch / "v1/build/site/extra.html").write_text("<p>not built</p>")
    done = _publish(scratch, "v1", "--site", "fresh", "--version", "1.0")
    assert done.returncode == 2
    assert done.stderr == (
        "error: v1/build/site/extra.html: is not listed in v1/build/manifest.json "
        "(hint: run `docs-compile build` again, then publish)\n"
    )
    assert not (scratch / "fresh").exists() and not list(scratch.glob(".fresh*"))


def test_a_second_publish_into_the_same_archive_waits_for_none(scratch: Path) -> None:
    from compiler.publish.output import output_lock

    before = _snapshot(scratch / "archive")
    with output_lock(scratch / "archive"):  # what a running publish holds
        done = _publish(scratch, "v2", "--site", "archive", "--version", "3.0")
    assert (done.returncode, done.stderr) == (
        3,
        "error: archive: another publish is writing this archive (hint: wait for it to finish)\n",
    )
    assert _snapshot(scratch / "archive") == before


def test_a_checkout_of_a_pages_branch_is_an_empty_archive(scratch: Path) -> None:
    (scratch / "pages").mkdir()
    (scratch / "pages/.git").write_text("gitdir: ../repo/.git/worktrees/pages\n")
    done = _publish(scratch, "v1", "--site", "pages", "--version", "1.0", "--alias", "latest")
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in (scratch / "pages").iterdir()) == [
        ".git", ".nojekyll", "1.0", "index.html", "latest", "versions.json"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "error: publish needs exactly one target (hint: --mlflow MODEL_ID, or --site DIR --version V)"),
        (("--mlflow", "m", "--site", "x"), "error: publish needs exactly one target (hint: --mlflow MODEL_ID, or --site DIR --version V)"),
        (("--mlflow", "m", "--alias", "latest"), "error: --alias: only with --site (hint: drop them, or publish with --site DIR)"),
        (("--site", "archive"), "error: --site needs --version (hint: e.g. --site site-archive --version 1.2.0)"),
        (
            ("--site", "archive", "--version", "../up"),
            "error: --version: '../up' is not a valid version name (hint: letters, digits and . _ + -, beginning with "
            "a letter or digit, at most 64 characters, not ending in .html or .json (e.g. 1.2.0, v2, latest))",
        ),
        (
            ("--site", "archive", "--version", "3.0", "--alias", "1.0"),
            "error: --alias: '1.0' is a published version (hint: an alias cannot have the name of a version)",
        ),
        (
            ("--site", "archive", "--version", "latest"),
            "error: --version: 'latest' is an alias of version 2.0 (hint: a version cannot have the name of an alias: choose another version name)",
        ),
        (
            ("--site", "archive", "--version", "3.0", "--default", "stable"),
            "error: --default: 'stable' is neither a version nor an alias of this archive (hint: choose one of: 3.0, 2.0, latest, 1.0)",
        ),
        (
            ("--site", "v2/build/site", "--version", "3.0"),
            "error: v2/build/site: --site overlaps the build (--out) folder (v2/build) (hint: publish into a folder of its own, e.g. --site site-archive)",
        ),
        (
            ("--site", "audiences", "--version", "3.0"),
            "error: audiences: --site is a folder with files but no versions.json: not a site archive (hint: name a new or empty folder, or an archive this command (or mike) wrote)",
        ),
    ],
)  # fmt: skip
def test_usage_errors_exit_2_and_change_nothing(scratch: Path, args: tuple[str, ...], message: str) -> None:
    before, paths = _snapshot(scratch / "archive"), sorted(scratch.rglob("*"))
    done = _publish(scratch, "v2", *args, partial="--mlflow" not in args)
    assert (done.returncode, done.stderr) == (2, message + "\n")
    assert _snapshot(scratch / "archive") == before
    assert sorted(scratch.rglob("*")) == paths


def test_the_default_stays_an_alias_and_a_hotfix_sorts_below_the_newest(scratch: Path) -> None:
    done = _publish(scratch, "v2", "--site", "archive", "--version", "1.0.1", "--title", "1.0.1 (hotfix)", "--json")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert (result["versions"], result["default"], result["aliases"]) == (["2.0", "1.0.1", "1.0"], "latest", [])
    entries = json.loads((scratch / "archive/versions.json").read_text())
    assert entries[1] == {"version": "1.0.1", "title": "1.0.1 (hotfix)", "aliases": []}
    assert _redirect(scratch / "archive/index.html") == "latest/"
    assert result["models"][0]["previous"] == "1.0"  # the version below it, not the last one published


def test_versions_sort_as_mike_sorts_them() -> None:
    names = ["1.0", "2.0", "10.0", "1.10", "1.9", "1.0rc1", "v3", "dev", "main", "2.0-hotfix", "2.0.1", "2.0a1"]
    # The order mike 2.2 (mike.versions.Versions) gives these names, newest first.
    mike = ["main", "dev", "10.0", "2.0.1", "2.0-hotfix", "2.0", "2.0a1", "1.10", "1.9", "1.0", "1.0rc1", "v3"]
    assert sorted(names, key=version_key, reverse=True) == mike
    versions = Versions()
    for name in names:
        versions.add(name, None, [])
    assert [e.version for e in versions.entries] == mike


def test_v_prefixed_names_sort_as_mike_sorts_them_below_bare_numbers() -> None:
    """mike keeps `v` as a word of the loose version: v-names are releases, below every name that starts with a
    digit (so v0.9 below 0.1.0), numeric among themselves. docs/archive.md says so; an archive should use one style."""
    names = ["v0.9", "0.1.0", "v1.10", "v1.9", "1.0", "main", "V2", "v1.0"]
    # The order mike 2.2.0 (mike.versions.Versions, with verspec's LooseVersion) gives these names, newest first.
    mike = ["V2", "main", "1.0", "0.1.0", "v1.10", "v1.9", "v1.0", "v0.9"]
    assert sorted(names, key=version_key, reverse=True) == mike


@pytest.fixture(scope="module")
def whole_build(root: Path) -> Path:
    """A whole build with PDFs, quick: a project whose only audience is a one-page note of its own."""
    project = write_tree(
        root / "whole",
        {
            "docs-compile.yaml": "packaged_audiences: false\n",
            "audiences/note/audience.yaml": {
                "title": "Note",
                "description": "A one-page note.",
                "sections": ["note"],
                "outputs": ["site", "pdf"],
                "pdf": {"compact_header": True, "toc": False},
            },
            "audiences/note/sections/note.md.j2": "## Note { #note }\n\n{{ model.name }}.\n",
        },
    )
    shutil.copytree(root / "v1/content", project / "content")
    done = _run(project, "build", "-q")
    assert done.returncode == 0, done.stderr
    return project


def test_pdfs_in_a_version_are_the_bytes_the_build_wrote(whole_build: Path) -> None:
    done = _run(whole_build, "publish", "--site", "archive", "--version", "1.0")  # a whole build: no --partial
    assert done.returncode == 0, done.stderr
    manifest = json.loads((whole_build / "build/manifest.json").read_text())
    (entry,) = manifest["pdfs"]
    outputs = {o["path"]: o["sha256"] for o in manifest["outputs"]}
    archived = whole_build / "archive/1.0" / "pdf" / MODEL / "note.pdf"
    assert _sha(archived) == entry["sha256"] == outputs[entry["path"]] == outputs[f"site/{entry['path']}"]
    page = (whole_build / f"archive/1.0/{MODEL}/note/index.html").read_text(encoding="utf-8")
    assert f'href="../../pdf/{MODEL}/note.pdf"' in page
    record = json.loads((whole_build / "archive/1.0/_archive/publication.json").read_text())
    assert record["partial"] is False and "omitted" not in record


def test_a_partial_build_is_refused_unless_partial(scratch: Path) -> None:
    before = _snapshot(scratch / "archive")
    hint = (
        "(hint: build again without --model, --audience and --no-pdf, then publish; or pass --partial to publish "
        "this build as a partial version)"
    )
    pdfs = "the PDF(s) of review-sentiment/leadership, review-sentiment/regulatory, review-sentiment/technical"
    refused = _publish(scratch, "v2", "--site", "archive", "--version", "3.0", partial=False)
    assert (refused.returncode, refused.stderr) == (
        2,
        f"error: v2/build/manifest.json: a partial build: {pdfs} not built (--no-pdf); a published version is "
        f"immutable and would keep only these documents {hint}\n",
    )
    write_tree(scratch, {"v2/content/second/model.yaml": scaffold("second")})  # a model the build lacks
    refused = _publish(scratch, "v2", "--site", "archive", "--version", "3.0", partial=False)
    assert refused.stderr.startswith(
        "error: v2/build/manifest.json: a partial build: model(s) second of v2/content not built (--model); "
    )
    assert _snapshot(scratch / "archive") == before
    done = _publish(scratch, "v2", "--site", "archive", "--version", "3.0", "--json")
    assert done.returncode == 0, done.stderr
    omitted = ["model(s) second of v2/content not built (--model)", f"{pdfs} not built (--no-pdf)"]
    assert json.loads(done.stdout)["omitted"] == omitted
    record = json.loads((scratch / "archive/3.0/_archive/publication.json").read_text())
    assert (record["partial"], record["omitted"]) == (True, omitted)


def test_a_build_for_some_audiences_is_partial(scratch: Path) -> None:
    built = _run(
        scratch, "build", "-q", "--no-pdf", "--audience", "leadership", "--content", "v1/content", "--out", "v3"
    )
    assert built.returncode == 0, built.stderr
    refused = _run(scratch, "publish", "--content", "v1/content", "--out", "v3", "--site", "archive", "--version", "3")
    assert refused.returncode == 2
    assert refused.stderr.startswith(
        "error: v3/manifest.json: a partial build: document(s) review-sentiment/technical, "
        "review-sentiment/regulatory not built (--audience); the PDF(s) of review-sentiment/leadership not built "
        "(--no-pdf); "
    )


def test_an_audience_named_like_an_archive_folder_is_refused_by_name(scratch: Path) -> None:
    shutil.copytree(scratch / "audiences/leadership", scratch / "audiences/changes")
    built = _run(scratch, "build", "-q", "--no-pdf", "--audience", "changes", "--content", "v1/content", "--out", "v3")
    assert built.returncode == 0, built.stderr
    assert (scratch / f"v3/site/{MODEL}/changes/index.html").is_file()
    before = _snapshot(scratch / "archive")
    args = ("--content", "v1/content", "--out", "v3", "--site", "archive", "--version", "3.0", "--partial")
    done = _run(scratch, "publish", *args)
    assert (done.returncode, done.stderr) == (
        2,
        f"error: changes: the audience 'changes' is built into {MODEL}/changes/, where the archive puts the "
        f"model's \"what changed\" page; {RESERVED} (hint: rename the audience's folder under audiences/, build "
        "again, then publish)\n",
    )
    assert _snapshot(scratch / "archive") == before and not list(scratch.glob(".archive.publish-*"))


def test_the_default_moves_only_when_asked_or_on_the_first_publish(scratch: Path) -> None:
    beta = _publish(scratch, "v2", "--site", "archive", "--version", "3.0rc1", "--alias", "beta", "--json")
    assert beta.returncode == 0, beta.stderr
    assert json.loads(beta.stdout)["default"] == "latest"  # as mike deploy: a pre-release leaves the default
    assert _redirect(scratch / "archive/index.html") == "latest/"
    moved = _publish(scratch, "v2", "--site", "archive", "--version", "3.0rc1", "--alias", "beta", "--default", "beta")
    assert moved.returncode == 0, moved.stderr
    assert _redirect(scratch / "archive/index.html") == "beta/"
    first = _publish(scratch, "v2", "--site", "fresh", "--version", "1.0")
    assert first.returncode == 0, first.stderr
    assert _redirect(scratch / "fresh/index.html") == "1.0/"  # the first publish: no alias, the version


def test_the_changes_page_takes_the_colours_of_the_site(root: Path, archive: Any) -> None:
    def body(page: Path) -> str:
        found = re.search(r"<body[^>]*>", page.read_text(encoding="utf-8"))
        assert found, page
        return found.group(0)

    built = body(root / f"archive/2.0/{MODEL}/index.html")
    assert 'data-md-color-primary="teal" data-md-color-accent="amber"' in built
    assert body(root / f"archive/2.0/{MODEL}/changes/index.html") == built
    changes = (root / f"archive/2.0/{MODEL}/changes/index.html").read_text(encoding="utf-8")
    assert "indigo" not in changes
    assert '<link rel="stylesheet" href="../../assets/stylesheets/docs-compile.css">' in changes


@pytest.mark.browser
def test_materials_version_selector_works_from_a_plain_static_server(root: Path, archive: Any) -> None:
    from helpers.browser import ARGS, CHROMIUM
    from helpers.serving import serve

    if not CHROMIUM.exists():
        pytest.skip("Debian's chromium is not installed at /usr/bin/chromium (./scripts/test installs it)")
    from playwright.sync_api import sync_playwright

    with serve(root / "archive") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        page = browser.new_page()
        page.goto(url, wait_until="networkidle")
        assert page.url == f"{url}2.0/"  # index.html -> latest/ -> 2.0/
        selector = page.locator(".md-version")
        selector.wait_for()
        assert selector.locator(".md-version__current").inner_text() == "2.0"
        assert selector.locator(".md-version__link").all_inner_texts() == ["2.0", "1.0"]
        selector.hover()
        with page.expect_navigation(wait_until="networkidle"):
            selector.locator(".md-version__link", has_text="1.0").click()
        assert page.url == f"{url}1.0/"
        page.goto(f"{url}latest/{MODEL}/", wait_until="networkidle")
        assert page.url == f"{url}2.0/{MODEL}/"
        page.locator(".docs-compile-changes a").click()
        page.wait_for_load_state("networkidle")
        assert page.url == f"{url}2.0/{MODEL}/changes/"
        assert page.locator("h1").inner_text() == "What changed since version 1.0"
        browser.close()
