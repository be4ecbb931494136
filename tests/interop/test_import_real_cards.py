"""Import stage on real public cards (tests/data/real-cards/): every card imports, validates and builds, and each
defect found on real cards stays fixed."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from helpers.project import REPO

from compiler.interop.hf_card import iso_date, number, spdx
from compiler.interop.hf_import import split_role
from compiler.interop.importing import UNMAPPED_FILE, UNSPECIFIED
from compiler.load.reader import load_project
from compiler.schema import Source
from compiler.validate.project import validate_project

CORPUS = REPO / "tests" / "data" / "real-cards"
CARDS: dict[str, dict[str, Any]] = yaml.safe_load((CORPUS / "expectations.yaml").read_text(encoding="utf-8"))


def imported(project: Path, cli: Callable[..., Any], card: str, model_id: str | None = None) -> Source:
    spec = CARDS[card]
    model_id = model_id or card.lower()
    result = cli("import", "--from", spec["format"], CORPUS / spec["file"], "--id", model_id)
    assert result.exit_code == 0, result.output
    return validate_project(load_project(project / "content", [model_id])).models[0].source


def card_text(project: Path, name: str, text: str) -> Path:
    path = project / name
    path.write_text(text, encoding="utf-8")
    return path


def model_text(project: Path, model_id: str) -> str:
    return (project / "content" / model_id / "model.yaml").read_text(encoding="utf-8")


def kept(project: Path, model_id: str) -> dict[str, Any]:
    return yaml.safe_load((project / "content" / model_id / UNMAPPED_FILE).read_text(encoding="utf-8"))["unmapped"]


@pytest.mark.parametrize("card", sorted(CARDS))
def test_every_corpus_card_imports_with_exit_0_and_validates(card: str, project: Path, cli: Any) -> None:
    source = imported(project, cli, card)
    assert source.model.id == card.lower()
    assert cli("validate").exit_code == 0


def test_the_corpus_has_twenty_cards_of_every_kind_with_their_sources() -> None:
    assert len(CARDS) >= 20
    assert {spec["format"] for spec in CARDS.values()} == {"hf", "mct", "monai"}
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    for spec in CARDS.values():
        assert (CORPUS / spec["file"]).is_file()
        assert f"`{spec['file'].split('/')[0]}`" in sources, spec["file"]


def test_imported_real_cards_build(project: Path, cli: Any) -> None:
    imported(project, cli, "openai-whisper", "whisper")
    imported(project, cli, "monai-spleen_ct_segmentation", "spleen")
    shutil.copytree(REPO / "audiences", project / "audiences")
    shutil.copy(REPO / "mkdocs.yml", project / "mkdocs.yml")
    result = cli("build", "--no-pdf", "-q")
    assert result.exit_code == 0, result.output
    assert (project / "build" / "site" / "whisper").is_dir() and (project / "build" / "site" / "spleen").is_dir()


# --- Model Card Toolkit --------------------------------------------------------------------------


def test_mct_date_that_is_not_iso_and_string_values(project: Path, cli: Any) -> None:
    s = imported(project, cli, "mct-full", "mct")  # version date "2020/02/02", values "0.9", bounds "0.85"
    assert s.model.release_date.isoformat() == "2020-02-02"
    assert s.lifecycle.versions[0].date.isoformat() == "2020-02-02"
    assert [(r.metric, r.value, r.ci_low, r.ci_high) for r in s.evaluation.results] == [("accuracy", 0.9, 0.85, 0.95)]
    assert kept(project, "mct")["model_details.version.date (as written)"] == "2020/02/02"


def test_mct_licence_names_and_dates_as_cards_write_them() -> None:
    assert [iso_date(t) for t in ("2020/02/02", "08/28/2020", "28/08/2020", "2020-01-01T10:00", "May 2020")] == [
        "2020-02-02",
        "2020-08-28",
        "2020-08-28",
        "2020-01-01",
        None,
    ]
    assert [spdx(t) for t in ("Apache 2.0", "apache-2.0", "CC-BY-4.0", "mit", "other")] == [
        "Apache-2.0",
        "Apache-2.0",
        "CC-BY-4.0",
        "MIT",
        None,
    ]
    assert [number(t) for t in ("0.9", "0,912", "21.48%", "1,000", "1.0.0", "n/a")] == [
        0.9,
        0.912,
        21.48,
        1000.0,
        None,
        None,
    ]


# --- model-index ---------------------------------------------------------------------------------


def test_model_index_metric_name_and_split_are_kept_and_results_distinct(project: Path, cli: Any) -> None:
    s = imported(project, cli, "hf-nvidia-stt_en_citrinet_1024_ls", "citrinet")
    datasets = {d.id: d for d in s.datasets}
    rows = [(r.metric, r.value, datasets[r.dataset].name, datasets[r.dataset].version) for r in s.evaluation.results]
    assert rows == [
        ("wer", 2.5, "LibriSpeech (clean)", "clean config, test split"),
        ("wer", 6.3, "LibriSpeech (other)", "other config, test split"),
    ]
    assert s.evaluation.metrics[0].name == "Test WER"
    assert datasets["librispeech_asr"].role == "train"  # the front matter's `datasets`: training data


def test_metrics_of_one_type_with_different_names_stay_apart(project: Path, cli: Any) -> None:
    card = card_text(project, "asr.md", _index_card([("wer", "Test WER", "19.06"), ("wer", "Dev WER (+LM)", "12.3")]))
    assert cli("import", "--from", "hf", card, "--id", "asr").exit_code == 0
    s = validate_project(load_project(project / "content", ["asr"])).models[0].source
    assert [(m.id, m.name) for m in s.evaluation.metrics] == [("test-wer", "Test WER"), ("dev-wer-lm", "Dev WER (+LM)")]
    assert [(r.metric, r.value) for r in s.evaluation.results] == [("test-wer", 19.06), ("dev-wer-lm", 12.3)]


def test_unknown_splits_are_not_forced_to_test(project: Path, cli: Any) -> None:
    assert [split_role(s) for s in ("dev_r1", "validation_mismatched", "test_r1+test_r2", "train", "other")] == [
        "tune",
        "tune",
        "test",
        "train",
        None,
    ]
    card = card_text(project, "nli.md", _index_card([("accuracy", "Accuracy", "0,9")], split="mystery"))
    assert cli("import", "--from", "hf", card, "--id", "nli").exit_code == 0
    assert "role: test  # TODO: confirm the role (the card names split 'mystery')" in model_text(project, "nli")


def test_results_without_a_dataset_keep_an_explicit_unspecified_dataset(project: Path, cli: Any) -> None:
    s = imported(project, cli, "hf-spacy-en_core_web_sm", "spacy")
    assert len(s.evaluation.results) == 9 and {r.dataset for r in s.evaluation.results} == {UNSPECIFIED}
    assert "role: test  # TODO: the card names no dataset for these results" in model_text(project, "spacy")
    names = [m.name for m in s.evaluation.metrics]
    assert "NER Precision" in names and "SENTER Precision" in names  # one type, two names: two metrics


def test_front_matter_datasets_are_training_data(project: Path, cli: Any) -> None:
    s = imported(project, cli, "hf-google-vit-base-patch16-224", "vit")
    assert [(d.id, d.role) for d in s.datasets if d.id.startswith("imagenet")] == [
        ("imagenet", "train"),
        ("imagenet-21k", "train"),
    ]


# --- sections of cards outside the template -------------------------------------------------------


def test_headings_outside_the_template_map_through_the_synonym_table(project: Path, cli: Any) -> None:
    s = imported(project, cli, "openai-whisper", "whisper")
    assert s.model.name == "Whisper"  # from "# Model Card: Whisper"
    assert s.model.summary.startswith("The Whisper models are trained for speech recognition")
    assert s.model.type.startswith("Sequence-to-sequence ASR")
    assert s.intended_use.purpose.startswith("The primary intended users of these models are AI researchers")
    assert s.intended_use.out_of_scope[0].startswith("In particular, we caution against using Whisper models")
    assert any("hallucination" in item for item in s.risk.limitations)
    assert [d.role for d in s.datasets] == ["train"] and "680,000 hours" in s.datasets[0].motivation.purpose
    assert [d.name for d in s.model.developers] == ["OpenAI"]
    assert "section: Broader Implications" in kept(project, "whisper")


def test_the_name_never_comes_from_a_heading_such_as_model_overview(project: Path, cli: Any) -> None:
    s = imported(project, cli, "monai-spleen_ct_segmentation", "spleen")  # README: "# Description", "# Model Overview"
    assert s.model.name == "Decathlon spleen segmentation"
    card = card_text(project, "overview.md", "# Model Overview\n\nSegments the liver.\n\n## Limitations\n\n- Adults\n")
    result = cli("import", "--from", "hf", card)
    assert result.exit_code == 2 and "the card names no model" in result.output


def test_last_updated_is_not_the_summary(project: Path, cli: Any) -> None:
    s = imported(project, cli, "openai-gpt-2", "gpt2")
    assert s.model.name == "GPT-2"
    assert "Last updated" not in s.model.summary
    assert kept(project, "gpt2")["introduction: date line"] == "Last updated: November 2019"
    assert s.intended_use.out_of_scope[0].startswith("Because large-scale language models like GPT-2")


def test_trainer_hyperparameter_lists(project: Path, cli: Any) -> None:
    s = imported(project, cli, "hf-anuragshas-wav2vec2-large-xls-r-300m-bg", "xlsr")
    hyper = s.system.training.hyperparameters
    assert (hyper["learning_rate"], hyper["train_batch_size"], hyper["num_epochs"]) == (7.5e-05, 32, 50.0)
    assert hyper["optimizer"] == "Adam with betas=(0.9,0.999) and epsilon=1e-08"
    assert s.system.software_versions["Transformers"] == "4.17.0.dev0"


def test_html_tables_become_results(project: Path, cli: Any) -> None:
    card = card_text(
        project,
        "llm.md",
        "---\nlicense: apache-2.0\n---\n# Tiny LM\n\nA small language model.\n\n## Evaluation\n\n"
        "<table><thead><tr><th>Benchmark</th><th>Accuracy</th><th>F1</th></tr></thead>\n"
        "<tbody><tr><td>MMLU (5-shot)</td><td>61.2</td><td>-</td></tr>\n"
        "<tr><td><b>GSM8K</b></td><td>48.0</td><td>0.52</td></tr></tbody></table>\n",
    )
    assert cli("import", "--from", "hf", card, "--id", "tiny").exit_code == 0
    s = validate_project(load_project(project / "content", ["tiny"])).models[0].source
    datasets = {d.id: d.name for d in s.datasets}
    assert [(r.metric, datasets[r.dataset or ""], r.value) for r in s.evaluation.results] == [
        ("accuracy", "MMLU (5-shot)", 61.2),
        ("accuracy", "GSM8K", 48.0),
        ("f1", "GSM8K", 0.52),
    ]


def test_bibtex_goes_into_the_citation_wherever_it_stands(project: Path, cli: Any) -> None:
    s = imported(project, cli, "hf-Geotrend-bert-base-en-cased", "geotrend")  # under "### How to cite"
    assert (s.model.citation or "").startswith("@inproceedings{smallermbert,")
    s = imported(project, cli, "hf-Hate-speech-CNERG-dehatebert-mono-english", "hate")  # under no citation heading
    assert (s.model.citation or "").startswith("@article{aluru2020deep,")
    assert "@article" not in s.model.summary


# --- import never invents facts --------------------------------------------------------------------


def test_what_the_card_does_not_give_is_marked_todo_never_a_silent_fact(project: Path, cli: Any) -> None:
    s = imported(project, cli, "openai-whisper", "whisper")  # states no ISO release date and no version
    text = model_text(project, "whisper")
    assert "0.0.0" not in text
    assert "version: 'TODO: version (not in the imported card)'" in text
    assert (s.model.release_date, s.model.status) == (None, "draft")  # left out, not 1970-01-01
    assert "\n  release_date:" not in text


def test_check_reports_the_version_an_import_could_not_source(project: Path, cli: Any) -> None:
    imported(project, cli, "openai-whisper", "whisper")
    shutil.copytree(REPO / "audiences", project / "audiences")
    result = cli("check")
    assert result.exit_code != 0 and "model.version" in result.output
    assert 'is a placeholder ("TODO: version (not in the imported card)")' in result.output


def _index_card(metrics: list[tuple[str, str, str]], split: str = "test") -> str:
    rows = "".join(f"    - type: {t}\n      name: {n}\n      value: {v}\n" for t, n, v in metrics)
    return (
        "---\nlicense: mit\nmodel-index:\n- name: Demo\n  results:\n  - task:\n      type: other\n"
        f"    dataset:\n      type: demo/data\n      name: Demo data\n      split: {split}\n    metrics:\n{rows}"
        "---\n\n# Demo\n\nA demo.\n"
    )


# --- an LLM card whose benchmark tables are HTML and compare models --------------------------------------


def test_html_comparison_tables_give_the_cards_own_rows_only(project: Path, cli: Any) -> None:
    s = imported(project, cli, "qwen-codeqwen1.5", "codeqwen")
    assert s.model.name == "CodeQwen1.5"  # the subject of its introduction ("CodeQwen1.5 is the …")
    names = {m.id: m.name for m in s.evaluation.metrics}
    found = {(names[r.metric], r.dataset, r.value) for r in s.evaluation.results}
    assert ("HumanEval+ 0-shot (CodeQwen1.5-Chat)", "evalplus-humaneval-mbpp", 78.7) in found
    assert ("C++ (CodeQwen1.5)", "multipl-e", 52.2) in found and ("C# (CodeQwen1.5)", "multipl-e", 55.7) in found
    assert ("Spider Execution Accuracy Dev Set (CodeQwen1.5-Chat)", "text-to-sql", 77.9) in found
    assert len(found) == len(s.evaluation.results) == 34  # distinct: "HumanEval" and "HumanEval+" do not collide
    values = {r.value for r in s.evaluation.results}
    assert not values & {33.5, 35.4, 47.6, 76.8, 85.4, 84.1, 59.5}  # the rows of CodeLlama, StarCoder2, GPT…


def test_a_comparison_table_without_the_models_row_is_kept_not_imported(project: Path, cli: Any) -> None:
    card = card_text(
        project,
        "cmp.md",
        "---\nlicense: mit\n---\n\n# Tiny-LM\n\n## Introduction\n\nTinyLM2 is a small language model.\n\n"
        "## Evaluation\n\n<table><tr><th>Model</th><th>MMLU</th></tr>"
        "<tr><td>Other-7B</td><td>61.0</td></tr><tr><td>Another-3B</td><td>55.5</td></tr></table>\n",
    )
    assert cli("import", "--from", "hf", card, "--id", "tiny").exit_code == 0
    s = validate_project(load_project(project / "content", ["tiny"])).models[0].source
    assert s.evaluation.results == []
    assert "Other-7B | 61.0" in str(kept(project, "tiny"))
