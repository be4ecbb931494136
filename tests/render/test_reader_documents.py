"""Render and print, issue 15 items 4, 6 and 8: the evidence appendix by source, the submission details and
signature block of the regulatory view, approvals by section title, the clinician summary's test population and
PPV, and defined terms in print (compiler/render/evidence.py, results.py, crossref.py, print_layout.py)."""

from __future__ import annotations

import shutil
from functools import cache
from pathlib import Path

import lxml.html
from helpers.pdf_documents import document
from helpers.project import AUDIENCES, CONTENT

from compiler.build import render_input
from compiler.config.audiences import load_audiences
from compiler.config.profiles import load_profile
from compiler.load.reader import load_project
from compiler.publish.pdfs import responsible_organisation
from compiler.publish.print_layout import prepare_body
from compiler.render import results
from compiler.render.crossref import field_title
from compiler.render.engine import render_document
from compiler.render.evidence import fact_groups
from compiler.schema import Source
from compiler.validate.project import validate_project


@cache
def _rendered(model_id: str, audience: str) -> str:
    (valid,) = validate_project(load_project(CONTENT, [model_id])).models
    every = load_audiences(AUDIENCES)
    wanted = next(a for a in every if a.name == audience)
    return render_document(render_input(valid), wanted, every).markdown


def _section(markdown: str, heading: str) -> str:
    return markdown.split(heading, 1)[1].split("\n## ", 1)[0]


# --- the evidence appendix ------------------------------------------------------------------------------------


LOCK = {
    "facts": {
        "computed://test/sensitivity@high?sex=female": {
            "value": 0.9, "source": "test", "metric": "sensitivity", "slice": {"sex": "female"},
            "path": "evidence/p.csv", "sha256": "ab" * 32, "synthetic": True, "method": "Wilson, on 40 positives",
        },
        "computed://test/sensitivity@high?sex=female#ci_low": {"value": 0.78, "source": "test", "metric": "sensitivity"},
        "computed://test/sensitivity@high?sex=female#ci_high": {"value": 0.96, "source": "test", "metric": "sensitivity"},
        "computed://test/sensitivity@high?sex=female#n": {"value": 40, "source": "test", "metric": "sensitivity"},
        "computed://test/auroc": {
            "value": 0.95, "source": "test", "metric": "auroc", "path": "evidence/p.csv", "sha256": "ab" * 32,
            "synthetic": True, "method": "bootstrap",
        },
        "mlflow://tracking@0a1b2c/params/learning_rate": {"value": "0.0003", "source": "tracking", "run_id": "0a1b2c"},
    }
}  # fmt: skip


def test_facts_are_grouped_by_source_with_their_interval_and_count_on_one_row() -> None:
    groups = fact_groups(LOCK, {"sensitivity": "Sensitivity", "auroc": "AUROC"}.get)
    assert [g.source for g in groups] == ["test", "tracking"]
    test = groups[0]
    assert dict(test.common) == {"Path": "evidence/p.csv", "SHA-256": "ab" * 32, "Synthetic": "yes"}
    auroc, sensitivity = test.facts
    assert (auroc.label, auroc.value, auroc.interval, auroc.n) == ("AUROC, overall", "0.95", "", "")
    assert sensitivity.label == "Sensitivity, operating point high, sex = female"
    assert (sensitivity.value, sensitivity.interval, sensitivity.n) == ("0.9", "0.78–0.96", "40")
    assert dict(sensitivity.details) == {"Method": "Wilson, on 40 positives"}
    (param,) = groups[1].facts
    assert param.label == "params › learning_rate" and param.value == "0.0003"
    assert dict(param.details) == {"Run ID": "0a1b2c"}


def test_the_appendix_reads_as_labelled_fields_not_a_repr_and_is_left_out_of_search() -> None:
    appendix = _section(_rendered("chest-xray-triage", "technical"), "## Evidence appendix")
    assert appendix.startswith(' { #evidence-appendix }\n\n<div class="evidence-body" data-search-exclude markdown>')
    assert "{'" not in appendix and "True" not in appendix
    assert '??? info "2 facts from internal-test-predictions"' in appendix
    assert "| Sensitivity, operating point high-sensitivity, size = large<br>" in appendix
    assert "| 0.991736 | 0.954669–0.99854 | 121 |" in appendix


def test_a_collapsed_block_prints_open_with_its_summary_as_title(tmp_path: Path) -> None:
    markdown = '## A\n\n??? info "3 facts"\n\n    | Fact | Value |\n    |---|---|\n    | a | 1 |\n'
    body = prepare_body(document("technical", markdown), tmp_path / "a", tmp_path / "c", load_profile("accessible"))
    root = lxml.html.fragment_fromstring(body.html, create_parent="div")
    assert not list(root.iter("details")) and not list(root.iter("summary"))
    (block,) = [d for d in root.iter("div") if "details" in (d.get("class") or "").split()]
    assert "details-title" in block[0].get("class", "").split() and block[0].text_content() == "3 facts"
    assert block.find(".//table") is not None


def test_a_defined_term_is_defined_in_print_where_it_is_first_used_outside_tables(tmp_path: Path) -> None:
    markdown = (
        "## PACS and more\n\n| Term |\n|---|\n| PACS |\n\nThe PACS shows it. Later the PACS again.\n\n"
        "*[PACS]: The hospital system that stores X-rays.\n"
    )
    body = prepare_body(document("clinician", markdown), tmp_path / "a", tmp_path / "c", load_profile("accessible"))
    root = lxml.html.fragment_fromstring(body.html, create_parent="div")
    abbrs = list(root.iter("abbr"))
    assert len(abbrs) == 4  # heading, table cell, two in the paragraph
    defined = [a for a in abbrs if "defined" in (a.get("class") or "")]
    assert len(defined) == 1 and defined[0].getparent().tag == "p"
    assert defined[0].get("title") == "The hospital system that stores X-rays."
    assert [a.get("title") for a in abbrs if a is not defined[0]] == [None, None, None]


# --- the regulatory view: submission details, signatures, approvals ---------------------------------------------


def test_the_submission_details_name_the_manufacturer_each_authorisation_and_the_signatories() -> None:
    details = _section(_rendered("chest-xray-triage", "regulatory"), "## Submission details")
    assert "| Manufacturer | **Harbourview Medical Imaging, Inc.**<br>400 Harbour Street" in details
    assert "| FDA establishment registration | 3012345678 (illustrative) |" in details
    assert "| Submission | Traditional 510(k) premarket notification" in details
    assert (
        "| United States | 510(k) cleared | K250000 (illustrative) | Class II | QFM | 21 CFR 892.2080 | 2025-03-14 |"
        in details
    )
    assert (
        "| Alex Okafor (fictional) | Person responsible for regulatory compliance (MDR Art 15) | Approved | | |"
        in details
    )


def test_a_model_without_regulatory_details_shows_the_manufacturer_from_its_developers(tmp_path: Path) -> None:
    shutil.copytree(CONTENT / "review-sentiment", tmp_path / "review-sentiment")
    details = _section(_rendered("review-sentiment", "regulatory"), "## Submission details")
    assert "| AI system | Reelview review sentiment classifier, version" in details
    assert "| Manufacturer | **Marquee Media Ltd." in details or "| Manufacturer |" not in details
    assert "Signatures" not in details and "| Jurisdiction |" not in details


def test_the_pdf_author_is_the_manufacturer_the_regulatory_details_name() -> None:
    (valid,) = validate_project(load_project(CONTENT, ["chest-xray-triage"])).models
    source = valid.source
    assert source.model.regulatory and source.model.regulatory.manufacturer
    renamed = source.model.regulatory.manufacturer.model_copy(update={"name": "Harbourview Holdings B.V."})
    regulatory = source.model.regulatory.model_copy(update={"manufacturer": renamed})
    changed = source.model_copy(update={"model": source.model.model_copy(update={"regulatory": regulatory})})
    assert responsible_organisation(changed) == "Harbourview Holdings B.V."


def test_approvals_name_the_section_and_link_where_this_document_shows_it() -> None:
    approvals = _section(_rendered("chest-xray-triage", "regulatory"), "## Approvals")
    assert "<code>intended&#95;use</code>" not in approvals
    assert (
        "| Plain-language summary (shown in [1(h) Instructions for use](#instructions-for-use){ .xref }) | clinician |"
        in approvals
    )
    assert "| Risk management (shown in " in approvals and "[5. Risk management system](#risk-management)" in approvals


def test_a_source_path_is_named_by_the_schema_titles() -> None:
    assert field_title(Source, "risk") == "Risk management"
    assert field_title(Source, "datasets[0].composition") == "Datasets › Composition"
    assert field_title(Source, "datasets[role=test].collection.timeframe") == "Datasets › Collection › Timeframe"


# --- the clinician summary ----------------------------------------------------------------------------------


def test_the_clinician_summary_says_whom_the_numbers_come_from_and_explains_the_ppv() -> None:
    body = _rendered("chest-xray-triage", "clinician")
    (valid,) = validate_project(load_project(CONTENT, ["chest-xray-triage"])).models
    t = results.tested_on(render_input(valid).source)
    assert t is not None and (t.people, t.with_condition) == (2400, 280)
    assert "**Tested on:** Internal test set (temporal hold-out, sites 1–3)." in body
    assert "2,400 patients, of whom 280 (11.7%) had the condition." in body
    # 42% of flags right at the test's 11.7%; at the example's 3%: 28 of 190 flagged.
    assert (
        "In the test, 42% of flagged patients had the condition, because 11.7% of the tested patients had it." in body
    )
    assert "fewer flags are right: 28 of 190, about 15%." in body


def test_the_clinician_summary_gives_each_jurisdiction_with_its_own_identifier() -> None:
    body = _rendered("chest-xray-triage", "clinician")
    assert (
        "**Approval.** United States: 510(k) cleared, K250000 (illustrative); "
        "European Union: CE marked, CE certificate 0123-MDR-4567 (illustrative)." in body
    )
