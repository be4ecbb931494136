"""A repository's own audiences and mkdocs.yml over the packaged ones; docs-compile.yaml sets the folders."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from helpers.project import AUDIENCES, write_tree

from compiler.config.audiences import audience_layers, load_audiences
from compiler.config.packaged import packaged_audiences, packaged_mkdocs_config
from compiler.errors import ConfigError
from compiler.publish.site_config import merge

PACKAGED = ["technical", "regulatory", "clinician", "leadership"]


def test_the_packaged_defaults_are_this_repositorys_top_level_folders_in_a_checkout() -> None:
    assert packaged_audiences().resolve() == AUDIENCES.resolve()
    assert packaged_mkdocs_config().resolve() == (AUDIENCES.parent / "mkdocs.yml").resolve()


def test_without_an_own_folder_the_packaged_audiences_are_built(project: Path) -> None:
    assert [a.name for a in load_audiences(audience_layers(None))] == PACKAGED


def test_an_own_folder_overrides_a_packaged_audience_file_by_file(project: Path) -> None:
    write_tree(project, {"audiences/technical/sections/intended-use.md.j2": "## Ours\n"})
    (technical,) = load_audiences(audience_layers(None), ["technical"])
    assert technical.search_path == (Path("audiences/technical"), AUDIENCES / "technical")
    assert technical.folder == AUDIENCES / "technical"  # the packaged audience.yaml still configures it
    assert technical.common == (AUDIENCES / "_common",)


def test_a_new_audience_extends_a_packaged_one_across_the_layers(project: Path) -> None:
    write_tree(
        project,
        {
            "audiences/ward/audience.yaml": {
                "title": "Ward summary",
                "description": "For ward nurses.",
                "extends": "clinician",
                "sections": ["warnings"],
            },
            "audiences/clinician/print.css": "h1 { color: teal; }\n",
            "audiences/_common/site/site.css": "body { margin: 0; }\n",
        },
    )
    ward = next(a for a in load_audiences(audience_layers(None)) if a.name == "ward")
    assert ward.search_path == (
        Path("audiences/ward"),
        Path("audiences/clinician"),
        AUDIENCES / "clinician",
    )
    assert ward.common == (Path("audiences/_common"), AUDIENCES / "_common")


def test_a_folder_that_configures_and_overrides_nothing_is_a_placed_error(project: Path) -> None:
    write_tree(project, {"audiences/regulatroy/print.css": "h1 {}\n"})
    with pytest.raises(ConfigError) as caught:
        load_audiences(audience_layers(None))
    (problem,) = caught.value.problems
    assert problem.location.file == "audiences/regulatroy/audience.yaml"
    assert "overrides no audience" in problem.message and problem.hint == "did you mean 'regulatory'?"


def test_extends_of_an_unknown_audience_names_every_layers_audiences(project: Path) -> None:
    write_tree(
        project,
        {"audiences/x/audience.yaml": {"title": "X", "description": "d", "extends": "clinican", "sections": ["a"]}},
    )
    with pytest.raises(ConfigError) as caught:
        load_audiences(audience_layers(None))
    assert caught.value.problems[0].hint == "did you mean 'clinician'?"


def test_packaged_audiences_can_be_left_out(project: Path) -> None:
    write_tree(project, {"audiences/only/audience.yaml": {"title": "Only", "description": "d", "sections": ["a"]}})
    assert [a.name for a in load_audiences(audience_layers(None, packaged=False), own_only=True)] == ["only"]
    (only,) = load_audiences(audience_layers(None, packaged=False), own_only=True)
    assert only.common == (AUDIENCES / "_common",)  # the shared templates still come from the package
    with pytest.raises(ConfigError, match="audiences folder not found"):
        audience_layers(Path("elsewhere"))


def test_a_build_uses_the_override_the_new_audience_and_the_merged_site(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    (project / "mkdocs.yml").unlink(missing_ok=True)
    write_tree(
        project,
        {
            "audiences/leadership/sections/brief.md.j2": "## Our own brief\n\nWritten by the repository.\n",
            "audiences/product/audience.yaml": {
                "title": "Product one-pager",
                "description": "For product managers.",
                "extends": "technical",
                "sections": ["intended-use"],
            },
            "mkdocs.yml": "site_name: Cardiology models\ndocs_dir: pages\nnav:\n  - Contact: contact.md\n"
            "markdown_extensions:\n  - abbr\n",
            "pages/contact.md": "# Contact\n\n*[AI]: artificial intelligence\n\nAsk the AI team.\n",
            "pages/assets/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg"/>',
        },
    )
    result = cli("build", "--no-pdf", "--quiet")
    assert result.exit_code == 0, result.output
    site = project / "build" / "site"
    assert "Our own brief" in (site / "review-sentiment/leadership/index.html").read_text()
    assert "Intended use" in (site / "review-sentiment/product/index.html").read_text()
    index = (site / "index.html").read_text()
    assert "<title>Cardiology models</title>" in index or "Cardiology models" in index
    assert 'href="contact/"' in index
    assert '<abbr title="artificial intelligence">AI</abbr>' in (site / "contact/index.html").read_text()
    assert (site / "assets/logo.svg").is_file()
    assert "assets/javascripts/mermaid.min.js" in index  # the base's script stays


def test_extra_pages_may_not_be_html_or_replace_a_generated_page(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    write_tree(
        project,
        {
            "mkdocs.yml": "docs_dir: pages\n",
            "pages/evil.html": "<script>alert(1)</script>",
            "pages/index.md": "# Not the catalog\n",
        },
    )
    result = cli("build", "--no-pdf")
    assert result.exit_code == 2
    assert "pages/evil.html: an extra page must be Markdown" in result.stderr
    assert "pages/index.md: 'index.md' is a page docs-compile generates" in result.stderr


def test_merge_adds_to_the_style_and_script_lists_and_replaces_other_lists() -> None:
    base = {"theme": {"name": "material", "features": ["a"]}, "extra_css": ["x.css"], "plugins": ["search"]}
    own = {"theme": {"logo": "l.svg", "features": ["b"]}, "extra_css": ["x.css", "y.css"], "plugins": ["tags"]}
    assert merge(base, own) == {
        "theme": {"name": "material", "features": ["b"], "logo": "l.svg"},
        "extra_css": ["x.css", "y.css"],
        "plugins": ["tags"],
    }


def test_docs_compile_yaml_sets_the_folders_and_the_option_wins(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    (project / "content").rename(project / "models")
    write_tree(project, {"docs-compile.yaml": "content: models\nout: public\n"})
    assert cli("validate").stdout == "ok: 1 model(s) valid: review-sentiment\n"
    assert cli("build", "--no-pdf", "--quiet", "--audience", "leadership").exit_code == 0
    assert (project / "public/site/index.html").is_file() and not (project / "build").exists()
    assert cli("validate", "--content", "nowhere").exit_code == 2


def test_a_bad_docs_compile_yaml_is_a_placed_error_for_every_command(project: Path, cli: Callable[..., Any]) -> None:
    write_tree(project, {"docs-compile.yaml": "content: models\nconten: x\n"})
    result = cli("validate")
    assert result.exit_code == 2
    assert result.stderr.startswith("error: docs-compile.yaml:2:1: ")


def test_the_audiences_command_lists_origins_overrides_and_files_that_replace_nothing(
    project: Path, cli: Callable[..., Any]
) -> None:
    write_tree(
        project,
        {
            "audiences/clinician/print.css": "h1 { color: teal; }\n",
            "audiences/clinician/section/warnings.md.j2": "## Misplaced\n",
            "audiences/ward/audience.yaml": {
                "title": "Ward summary",
                "description": "For ward nurses.",
                "extends": "clinician",
                "sections": ["warnings"],
            },
        },
    )
    lines = cli("audiences").stdout.splitlines()
    assert "clinician: Clinician summary (overridden: " in lines[2]
    assert lines[3:5] == [
        "    overrides: print.css, section/warnings.md.j2",
        "    not used (a misspelt name?): section/warnings.md.j2",
    ]
    assert lines[-1] == "ward: Ward summary (own: audiences/ward/audience.yaml, extends clinician)"
    copied = cli("audiences", "copy", "leadership")
    assert copied.exit_code == 0 and (project / "audiences/leadership/sections/brief.md.j2").is_file()
    again = cli("audiences", "copy", "leadership")
    assert again.exit_code == 2 and "already exists; copy never overwrites" in again.stderr


def test_a_repository_whose_mkdocs_yml_documents_something_else_can_leave_it_out(
    copy_examples: Callable[..., Path], cli: Callable[..., Any]
) -> None:
    project = copy_examples("review-sentiment", audiences=False)
    write_tree(project, {"mkdocs.yml": "site_name: Our Python package\nplugins:\n  - search\n  - mkdocstrings\n"})
    assert cli("build", "--no-pdf", "-q", "--audience", "leadership").exit_code == 2  # its plugin is not ours
    write_tree(project, {"docs-compile.yaml": "mkdocs: false\n"})
    assert cli("build", "--no-pdf", "-q", "--audience", "leadership").exit_code == 0
    assert "Our Python package" not in (project / "build/site/index.html").read_text()
    write_tree(project, {"docs-compile.yaml": "mkdocs: site/mkdocs.yml\n", "site/mkdocs.yml": "site_name: Models\n"})
    assert cli("build", "--no-pdf", "-q", "--audience", "leadership").exit_code == 0
    assert "<title>Models</title>" in (project / "build/site/index.html").read_text()
