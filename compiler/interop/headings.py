"""Import stage: what a card's section heading means, and where the section's text goes in a source.

Cards name the same thing many ways: "Intended use", "Uses", "Direct Use", "Primary intended uses" and
"Evaluated Use" all say what the model is for. `SYNONYMS` is the table, kept as data: a heading is normalised
(lower case, no numbering, no "[optional]", "&" read as "and", no trailing colon or full stop) and looked up
whole, then by the patterns of `PATTERNS` in order. A heading that names no part of a source (e.g. "Datasets")
takes its meaning from the heading above it (`in_context`). `Sections` then puts a section's text where its
meaning says: bullets become list items, tables become results, BibTeX becomes the citation.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from compiler.interop.hf_card import items, labelled, own_rows, spdx, subject, table_facts, tables, yaml_scalar
from compiler.interop.importing import UNSPECIFIED, Imported, slug

# The parts of a source a section can fill.
DESCRIPTION = "description"
MODEL_TYPE = "model_type"
RELEASE_DATE = "release_date"
VERSION = "version"
PAPERS = "papers"
CONTACT = "contact"
AUTHORS = "authors"
LICENSE = "license"
CITATION = "citation"
INTENDED_USE = "intended_use"
USERS = "users"
OUT_OF_SCOPE = "out_of_scope"
INSTRUCTIONS = "instructions"
LIMITATIONS = "limitations"
BIASES = "biases"
FAILURE_MODES = "failure_modes"
ETHICS = "ethics"
RECOMMENDATIONS = "recommendations"
TRAINING_DATA = "training_data"
EVALUATION_DATA = "evaluation_data"
DATA = "data"  # training or evaluation data, as the heading above says
RESULTS = "results"
METRICS = "metrics"
FACTORS = "factors"
HYPERPARAMETERS = "hyperparameters"
PREPROCESSING = "preprocessing"
ARCHITECTURE = "architecture"
HARDWARE = "hardware"
SOFTWARE = "software"
SOURCES = "sources"
TRAINING = "training"  # a heading over training details: its own text is training, its children data
EVALUATION = "evaluation"  # a heading over evaluation details: its own text results, its children data

_TABLE: dict[str, str] = {
    DESCRIPTION: "model description | description | model details | model overview | overview | model summary"
    " | summary | about | introduction",
    MODEL_TYPE: "model type",
    RELEASE_DATE: "release date | model date | date",
    VERSION: "model version | version",
    PAPERS: "paper and samples | paper or other resource for more information | papers | paper | references"
    " | more information",
    SOURCES: "model sources",
    CONTACT: "where to send questions or comments about the model | model card contact | contact | questions",
    AUTHORS: "model card authors | authors | developers",
    LICENSE: "license | licence | licensing",
    CITATION: "citation | citations | citation information | bibtex entry and citation info | bibtex | how to cite"
    " | cite | reference",
    INTENDED_USE: "intended use | intended uses | uses | model use | direct use | evaluated use"
    " | primary intended uses | primary intended use | secondary uses | downstream use | use cases"
    " | intended uses and limitations",
    USERS: "primary intended users | intended users",
    OUT_OF_SCOPE: "out-of-scope use | out-of-scope uses | out-of-scope use cases | out of scope use"
    " | out of scope uses | misuse and out-of-scope use | misuse, malicious use, and out-of-scope use",
    INSTRUCTIONS: "how to get started with the model | how to use | how to use the model | how to use this model"
    " | usage",
    LIMITATIONS: "limitations | known limitations | bias, risks, and limitations | bias, risks and limitations"
    " | risks, limitations and biases | limitations and bias | limitations and biases"
    " | performance and limitations | caveats and recommendations | caveats | disclaimer",
    BIASES: "known biases | bias | biases",
    FAILURE_MODES: "failure modes",
    ETHICS: "ethical considerations | ethics | broader implications | ethical considerations and limitations",
    RECOMMENDATIONS: "recommendations",
    TRAINING_DATA: "training data | pretraining data | pre-training data | training dataset | training datasets"
    " | training and evaluation data",
    EVALUATION_DATA: "evaluation data | testing data | test data | evaluation dataset | evaluation datasets"
    " | testing data, factors and metrics",
    DATA: "data | dataset | datasets",
    RESULTS: "results | evaluation results | eval results | performance | scores | accuracy | benchmarks"
    " | benchmark results | quantitative analyses",
    EVALUATION: "evaluation",
    METRICS: "metrics",
    FACTORS: "factors",
    TRAINING: "training | training procedure | training details | model pretraining | pretraining",
    HYPERPARAMETERS: "training hyperparameters | pretraining hyperparameters | hyperparameters"
    " | training configuration",
    PREPROCESSING: "preprocessing | note preprocessing",
    ARCHITECTURE: "model architecture | model architecture and objective | architecture",
    HARDWARE: "hardware | compute infrastructure",
    SOFTWARE: "software | framework versions",
}
"""Each meaning with the headings (normalised, separated by '|') that carry it: the synonym table."""

SYNONYMS: dict[str, str] = {name.strip(): kind for kind, names in _TABLE.items() for name in names.split("|")}
"""Normalised heading -> the part of a source its section fills."""

PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\bout[- ]of[- ]scope\b|\bmisuse\b"), OUT_OF_SCOPE),
    (re.compile(r"\bintended (uses?|users?)\b"), INTENDED_USE),
    (re.compile(r"\blimitations?\b|\brisks?\b"), LIMITATIONS),
    (re.compile(r"\bbias(es)?\b"), BIASES),
    (re.compile(r"\bethic"), ETHICS),
    (re.compile(r"\b(pre-?)?training data(sets?)?\b"), TRAINING_DATA),
    (re.compile(r"\b(evaluation|testing|test) data(sets?)?\b"), EVALUATION_DATA),
    (re.compile(r"\bhyper-?parameters\b"), HYPERPARAMETERS),
    (re.compile(r"\b(eval(uation)?|test) results?\b|\bresults on\b|\bbenchmarks?\b"), RESULTS),
    (re.compile(r"\bcit(e|ation)\b|\bbibtex\b"), CITATION),
    (re.compile(r"\blicen[cs]e\b"), LICENSE),
]
"""Looked up in order when the whole heading is not in `SYNONYMS`."""

# Headings that open a card rather than name its model ("Model Overview", "Model Card").
GENERIC_TITLES = re.compile(r"^(model card|model overview|overview|description|readme|introduction)$", re.I)


def normalise(title: str) -> str:
    """A heading as the table spells it: lower case, no numbering, '&' as 'and', no trailing ':' or '.'."""
    text = re.sub(r"\s*\[optional\]\s*", " ", title, flags=re.I)
    text = re.sub(r"[*_`]", "", text)  # emphasis inside a heading
    text = re.sub(r"^\s*(\d+(\.\d+)*\.?|[ivx]+\.)\s+", "", text, flags=re.I)  # "4.", "2.1", "iv."
    text = text.replace("&", " and ").replace("?", "")
    text = " ".join(text.split()).lower()
    return text.rstrip(":.").strip()


def classify(title: str) -> str | None:
    """What a section with this heading fills, or None when the table does not know it."""
    key = normalise(title)
    if key in SYNONYMS:
        return SYNONYMS[key]
    for pattern, kind in PATTERNS:
        if pattern.search(key):
            return kind
    return None


def in_context(kind: str | None, parents: list[str | None]) -> str | None:
    """A section's meaning given the meanings of the headings above it (nearest last)."""
    for parent in reversed(parents):
        if kind == DATA:
            if parent in (TRAINING, TRAINING_DATA):
                return TRAINING_DATA
            if parent in (EVALUATION, EVALUATION_DATA, RESULTS):
                return EVALUATION_DATA
        elif kind is None and parent in (
            INTENDED_USE,
            OUT_OF_SCOPE,
            LIMITATIONS,
            TRAINING_DATA,
            EVALUATION_DATA,
            RESULTS,
        ):
            return parent
    if kind == DATA:
        return TRAINING_DATA
    return kind


def model_name_from_title(title: str) -> str | None:
    """The model a card's first heading names ("Model Card: Whisper" -> "Whisper"), or None for a generic
    heading such as "Model Overview" or one that names a section ("Description")."""
    name = re.sub(r"^\s*model card\s*(for|of|:|-|–)\s*", "", title, flags=re.I)
    name = re.sub(r"\s*(model card|card)\s*$", "", name, flags=re.I).strip(" :-–")
    if not name or GENERIC_TITLES.match(name) or normalise(name) in SYNONYMS:
        return None
    return name


# --- where a section's text goes ---------------------------------------------------------------------

_FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.M | re.S)
_BIBTEX = re.compile(r"^\s*@\w+\s*[{(]")
_URL = re.compile(r"https?://[^\s<>\"')\]]+")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
PAIR = re.compile(r"^\s*[-*+][ \t]+(?:\*\*)?`?([A-Za-z_][\w .()/-]{0,60}?)`?(?:\*\*)?\s*:\s*(?:\*\*)?\s*(.+?)\s*$")
_TOOL = re.compile(r"^\s*[-*+][ \t]+([A-Za-z][\w.-]*(?: [A-Za-z][\w.-]*)*)\s+v?(\d+(?:\.\d+)+[\w.+-]*)\s*$")
_ISO_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_VERSION = re.compile(r"^v?\d+(\.\d+){0,3}([-+][0-9A-Za-z.+-]+)?$")
_AGAINST = re.compile(
    r"\b(caution against|recommend against|advise against|not (be )?(intended|suitable|appropriate|designed) for"
    r"|should not be used|must not be used|do not use)\b",
    re.I,
)
_DEVELOPED = re.compile(
    r"\bdeveloped by (?:researchers at |the )?([A-Z][\w&.-]*(?: [A-Z][\w&.-]*)*)"
    r"|\b(?:[Rr]esearchers|[Ee]ngineers|[Ss]cientists) at ([A-Z][\w&.-]+)[^.]{0,60}\bdevelop"
)
_TRAINED = re.compile(r"[^.\n]*\b(?:pre-?)?train(?:ed|ing)\b[^.\n]{0,80}?\b(?:on|from)\b[^.\n]*\.?")
_LABELS = {
    "sources": TRAINING_DATA,
    "training data": TRAINING_DATA,
    "dataset": TRAINING_DATA,
    "datasets": TRAINING_DATA,
    "author": AUTHORS,
    "authors": AUTHORS,
    "developed by": AUTHORS,
    "license": LICENSE,
    "version": VERSION,
}


class Sections:
    """The parts of a source a card's sections fill, and the generic handler for each meaning."""

    def __init__(self, imported: Imported) -> None:
        self.imp = imported
        self.model: dict[str, Any] = {}
        self.use: dict[str, Any] = {}
        self.risk: dict[str, Any] = {}
        self.system: dict[str, Any] = {}
        self.training: dict[str, Any] = {}
        self.architecture: dict[str, Any] = {}
        self.datasets: dict[str, dict[str, Any]] = {}
        self.metrics: dict[str, dict[str, Any]] = {}
        self.results: list[dict[str, Any]] = []
        self.index_results = 0
        self.citations_found: list[str] = []
        self.described = False
        self.intro = ""
        self.titled = False

    # --- parts shared by every reader ----------------------------------------------------------

    def dataset(
        self, name: str, display: Any = None, role: str = "test", did: str | None = None, trained: bool = False
    ) -> dict[str, Any]:
        did = did or slug(name)
        entry = self.datasets.setdefault(did, {"id": did, "name": name, "role": role})
        if isinstance(display, str) and display:
            entry["name"] = display
        entry["role"] = role if not trained or "_trained" not in entry else entry["role"]
        if trained:
            entry["_trained"] = True
        return entry

    def unspecified(self) -> str:
        """The explicit dataset of results whose card names none (never a silent drop)."""
        self.dataset(UNSPECIFIED, "Unspecified (the card names no dataset)", did=UNSPECIFIED)
        self.imp.confirm[UNSPECIFIED] = "TODO: the card names no dataset for these results"
        return UNSPECIFIED

    def metric(self, name: str, display: Any = None, distinct: bool = False) -> str:
        """The id of a metric; `distinct`: names that differ get ids that differ ("HumanEval", "HumanEval+")."""
        base = slug(name.replace("+", " plus").replace("#", " sharp") if distinct else name)
        mid, n = base, 2
        while distinct and self.metrics.get(mid, {}).get("name", display) != display:
            mid, n = f"{base}-{n}", n + 1
        entry = self.metrics.setdefault(mid, {"id": mid})
        if isinstance(display, str) and display:
            entry["name"] = display
        return mid

    def citations(self, text: str) -> str:
        """The text without its BibTeX blocks, which become the model's citation wherever they stand."""

        def take(match: re.Match[str]) -> str:
            if _BIBTEX.match(match.group(2)):
                self.citations_found.append(match.group(2).strip())
                return ""
            return match.group(0)

        return _FENCE.sub(take, text).strip()

    # --- generic handlers ------------------------------------------------------------------------

    def section(self, kind: str, title: str, text: str, unchanged: bool = True) -> str:
        """Put a section's text where its meaning says; what does not fit is returned (to be kept)."""
        handler = _GENERIC.get(kind)
        return handler(self, title, text, unchanged) if handler else text

    def _description(self, title: str, text: str, unchanged: bool) -> str:
        if self.described:
            return text
        self.model["summary"], self.described = text, True
        if named := subject(text):
            self.model.setdefault("name", named)
        return ""

    def _append(self, part: dict[str, Any], key: str, text: str) -> None:
        part[key] = f"{part[key]}\n\n{text}" if part.get(key) else text

    def _intended(self, title: str, text: str, unchanged: bool) -> str:
        """What the model is for; a paragraph that warns against a use ("we caution against ...") is out of scope."""
        paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
        against = [p for p in paragraphs if _AGAINST.search(p)]
        if against:
            self.use.setdefault("out_of_scope", []).extend(" ".join(p.split()) for p in against)
        kept = "\n\n".join(p for p in paragraphs if p not in against)
        if kept:
            self._append(self.use, "purpose", kept)
        return ""

    def _instructions(self, title: str, text: str, unchanged: bool) -> str:
        self._append(self.use, "instructions", text)
        return ""

    def _release_date(self, title: str, text: str, unchanged: bool) -> str:
        found = _ISO_DATE.search(text)
        if found and "release_date" not in self.model:
            self.model["release_date"] = found.group(1)
            return ""
        return text

    def _version(self, title: str, text: str, unchanged: bool) -> str:
        if _VERSION.match(text.strip()) and "version" not in self.model:
            self.model["version"] = text.strip()
            return ""
        return text

    def _papers(self, title: str, text: str, unchanged: bool) -> str:
        urls = [u.rstrip(".,;") for u in _URL.findall(text)]
        papers = self.model.setdefault("papers", [])
        papers.extend(u for u in urls if u not in papers)
        prose = _URL.sub("", re.sub(r"\[([^\]]*)\]\([^)]*\)", "", text))
        return text if len(prose.split()) > 12 or not urls else ""

    def _contact(self, title: str, text: str, unchanged: bool) -> str:
        contact = self.model.setdefault("contact", {})
        email, url = _EMAIL.search(text), _URL.search(text)
        if email:
            contact["email"] = email.group(0)
        elif url:
            contact["url"] = url.group(0).rstrip(".,;")
        return "" if email or url else text

    def _authors(self, title: str, text: str, unchanged: bool) -> str:
        names = items(text)
        if len(names) == 1 and "," in names[0] and len(names[0]) < 200:
            names = [n.strip() for n in names[0].split(",") if n.strip()]
        self.model["developers"] = [{"name": n} for n in names]
        return ""

    def _license(self, title: str, text: str, unchanged: bool) -> str:
        found = spdx(text)
        if found and "license" not in self.model:
            self.model["license"] = found
            return ""
        return text if not found else ""

    def _citation(self, title: str, text: str, unchanged: bool) -> str:
        code = re.sub(r"^(```|~~~)[\w-]*\n|\n?(```|~~~)$", "", text.strip()).strip()
        code = re.sub(r"^\*\*BibTeX:?\*\*:?\s*", "", code)
        if code and not self.citations_found:
            self.citations_found.append(code)
        return ""

    def _hyperparameters(self, title: str, text: str, unchanged: bool) -> str:
        rest = []
        for line in text.split("\n"):
            pair = PAIR.match(line)
            if pair:
                value = yaml_scalar(pair.group(2))
                keep = value if isinstance(value, (str, int, float, bool)) else pair.group(2)
                self.training.setdefault("hyperparameters", {})[pair.group(1).strip()] = keep
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _software(self, title: str, text: str, unchanged: bool) -> str:
        rest = []
        for line in text.split("\n"):
            tool = _TOOL.match(line)
            if tool:
                self.system.setdefault("software_versions", {})[tool.group(1)] = tool.group(2)
            else:
                rest.append(line)
        return "\n".join(rest).strip()

    def _training(self, title: str, text: str, unchanged: bool) -> str:
        self._append(self.training, "procedure", text)
        return ""

    def _results(self, title: str, text: str, unchanged: bool) -> str:
        """Markdown and HTML tables as results, unless the model-index already gave them (or the template)."""
        if not unchanged or self.index_results:
            return text
        found, rest = tables(text)
        kept = [t for t in found if not self.table_results(t, title)]
        return "\n\n".join([rest, *("\n".join(" | ".join(r) for r in t) for t in kept)]).strip()

    def table_results(self, table: list[list[str]], title: str = "") -> bool:
        """A table of numbers as results (rows datasets, columns metrics; or rows metrics): True when it was one;
        of a table that compares models, the card's own rows, on the benchmark its section names."""
        rows = own_rows(table, self.model.get("name"))
        if rows is not None:
            ds = self.dataset(title, role="test")["id"] if title and rows else self.unspecified()
            for name, value in rows:
                self.results.append({"metric": self.metric(name, name, distinct=True), "value": value, "dataset": ds})
            return bool(rows)
        found = table_facts(table)
        for metric, label, value in found:
            ds = self.dataset(label, role="test")["id"] if label else self.unspecified()
            self.results.append({"metric": self.metric(metric, metric), "value": value, "dataset": ds})
        return bool(found)

    def infer(self, texts: list[str]) -> None:
        """Facts a card states in its prose or in a "label | value" list rather than under a heading of their own:
        who developed the model, what it was trained on, its licence and version."""
        for text in texts:
            for label, value in labelled(text):
                kind = _LABELS.get(normalise(label))
                if kind == TRAINING_DATA and not self._trained_described():
                    _data("train")(self, "Training data", value, True)
                elif kind == AUTHORS and "developers" not in self.model:
                    self.model["developers"] = [{"name": value}]
                elif kind in (LICENSE, VERSION):
                    self.section(kind, label, value)
        joined = "\n\n".join(texts)
        if "developers" not in self.model and (found := _DEVELOPED.search(joined)):
            self.model["developers"] = [{"name": found.group(1) or found.group(2)}]
        if not self._trained_described() and (found := _TRAINED.search(joined)):
            _data("train")(self, "Training data", " ".join(found.group(0).split()), True)

    def _trained_described(self) -> bool:
        return any(d["role"] == "train" and (d.get("motivation") or {}).get("purpose") for d in self.datasets.values())


Handler = Callable[[Sections, str, str, bool], str]


def _lister(part: str, key: str) -> Handler:
    """A handler that adds the section's bullets (or paragraphs) to a list."""

    def handle(reader: Sections, title: str, text: str, unchanged: bool) -> str:
        getattr(reader, part).setdefault(key, []).extend(items(text))
        return ""

    return handle


def _setter(part: str, key: str, short: bool = False) -> Handler:
    """A handler that stores the section's text under one key (a short one on one line)."""

    def handle(reader: Sections, title: str, text: str, unchanged: bool) -> str:
        if short and (len(text) > 300 or "\n\n" in text):
            return text
        reader._append(getattr(reader, part), key, " ".join(text.split()) if short else text)
        return ""

    return handle


def _data(role: str) -> Handler:
    """A handler that describes the training (or evaluation) data: the one dataset the front matter names,
    or else a dataset of its own."""

    def handle(reader: Sections, title: str, text: str, unchanged: bool) -> str:
        trained = [d for d in reader.datasets.values() if d.get("_trained")] if role == "train" else []
        entry = trained[0] if len(trained) == 1 else None
        if entry is None:
            did = "training-data" if role == "train" else "evaluation-data"
            entry = reader.dataset(title, role=role, did=did)
        purpose = entry.setdefault("motivation", {})
        purpose["purpose"] = f"{purpose['purpose']}\n\n{text}" if purpose.get("purpose") else text
        return ""

    return handle


_GENERIC: dict[str, Handler] = {
    DESCRIPTION: Sections._description,
    MODEL_TYPE: _setter("model", "type", short=True),
    RELEASE_DATE: Sections._release_date,
    VERSION: Sections._version,
    PAPERS: Sections._papers,
    SOURCES: Sections._papers,
    CONTACT: Sections._contact,
    AUTHORS: Sections._authors,
    LICENSE: Sections._license,
    CITATION: Sections._citation,
    INTENDED_USE: Sections._intended,
    USERS: Sections._intended,
    OUT_OF_SCOPE: _lister("use", "out_of_scope"),
    INSTRUCTIONS: Sections._instructions,
    LIMITATIONS: _lister("risk", "limitations"),
    BIASES: _lister("risk", "biases"),
    FAILURE_MODES: _lister("risk", "failure_modes"),
    TRAINING_DATA: _data("train"),
    EVALUATION_DATA: _data("test"),
    RESULTS: Sections._results,
    EVALUATION: Sections._results,
    HYPERPARAMETERS: Sections._hyperparameters,
    SOFTWARE: Sections._software,
    TRAINING: Sections._training,
    PREPROCESSING: _setter("system", "preprocessing"),
    ARCHITECTURE: _setter("architecture", "summary"),
    HARDWARE: _setter("system", "hardware"),
}
"""Meaning -> handler; meanings without one (ethics, recommendations, metrics, factors) are kept as written."""
