"""Export stage, CHAI: the Coalition for Health AI applied model card (schema v0.2) as XML, validated offline."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

from compiler.interop.chai_values import labels_of, note_units, value_json
from compiler.interop.losses import NOT_STATED, Collector, bibtex, plain_text
from compiler.schema import Source
from compiler.schema.evaluation import Result

NAMESPACE = "https://mc.chai.org/v0.2/schema.xsd"
SCHEMA_FILE = "chai-mc-schema-v0.2.xsd"
DSIG_FILE = "xmldsig-core-schema.xsd"
DSIG_URL = "http://www.w3.org/TR/xmldsig-core/xmldsig-core-schema.xsd"

MAPPING: tuple[tuple[str, str], ...] = (
    ("model.name", "BasicInfo/ModelName"),
    ("model.developers[].name", "BasicInfo/ModelDeveloper"),
    ("model.contact", "BasicInfo/DeveloperContact"),
    ("model.status", "ReleaseInfo/ReleaseStage"),
    ("model.release_date", "ReleaseInfo/ReleaseDate"),
    ("model.version", "ReleaseInfo/ReleaseVersion"),
    ("system.deployment_forms", "ReleaseInfo/GlobalAvailability"),
    ("system.compatibility", "ReleaseInfo/EHRCompatibility/EHR"),
    ("model.regulatory.status", "ReleaseInfo/RegulatoryApproval"),
    ("model.regulatory.device_class", "ReleaseInfo/RegulatoryApproval"),
    ("model.regulatory.file_number", "ReleaseInfo/RegulatoryApproval"),
    ("model.summary", "ModelSummary/Summary"),
    ("model.keywords", "ModelSummary/Keywords/Keyword"),
    ("intended_use.purpose", "UsesAndDirections/IntendedUseAndWorkflow"),
    ("intended_use.workflow", "UsesAndDirections/IntendedUseAndWorkflow"),
    ("intended_use.users", "UsesAndDirections/PrimaryIntendedUsers (role, qualification, training)"),
    ("intended_use.instructions", "UsesAndDirections/HowToUse"),
    ("intended_use.population", "UsesAndDirections/TargetedPatientPopulation"),
    ("intended_use.indications", "UsesAndDirections/TargetedPatientPopulation (Indications: …)"),
    ("intended_use.out_of_scope", "UsesAndDirections/CautionedOutOfScopeSettings"),
    ("intended_use.contraindications", "UsesAndDirections/CautionedOutOfScopeSettings"),
    ("risk.limitations", "Warnings/KnownRisksAndLimitations"),
    ("risk.failure_modes", "Warnings/KnownRisksAndLimitations"),
    ("risk.biases", "Warnings/KnownBiasesOrEthicalConsiderations"),
    ("risk.ethics.harms", "Warnings/KnownBiasesOrEthicalConsiderations"),
    ("risk.clinical_risk_level", "Warnings/ClinicalRiskLevel"),
    ("system.outputs[].name", "AISystemFacts/OutcomesAndOutputs"),
    ("system.outputs[].meaning", "AISystemFacts/OutcomesAndOutputs"),
    ("system.outputs[].type", "AISystemFacts/OutputAndInputDataTypes"),
    ("model.type", "AISystemFacts/ModelType"),
    ("system.pretrained[].name", "AISystemFacts/FoundationModels"),
    ("system.pretrained[].source", "AISystemFacts/FoundationModels"),
    ("system.inputs[].source", "AISystemFacts/InputDataSource"),
    ("system.inputs[].name", "AISystemFacts/OutputAndInputDataTypes"),
    ("system.inputs[].type", "AISystemFacts/OutputAndInputDataTypes"),
    ("datasets[].name", "AISystemFacts/DevelopmentDataCharacterization; KeyMetrics/*/TestingDataDescription"),
    ("datasets[].role", "AISystemFacts/DevelopmentDataCharacterization"),
    ("datasets[].composition.count", "AISystemFacts/DevelopmentDataCharacterization"),
    ("datasets[].collection.timeframe", "AISystemFacts/DevelopmentDataCharacterization"),
    ("datasets[].collection.sites", "AISystemFacts/DevelopmentDataCharacterization"),
    ("datasets[].collection.consent", "Resources/PatientConsentOrDisclosure"),
    ("evaluation.fairness.mitigations", "AISystemFacts/BiasMitigationApproaches (with the approach)"),
    ("lifecycle.post_market.plan", "AISystemFacts/OngoingMaintenance"),
    ("lifecycle.updates.process", "AISystemFacts/OngoingMaintenance"),
    ("lifecycle.updates.frequency", "AISystemFacts/OngoingMaintenance"),
    ("lifecycle.updates.correction_frequency", "AISystemFacts/OngoingMaintenance"),
    ("risk.cybersecurity.controls", "AISystemFacts/Security"),
    ("system.explainability", "AISystemFacts/Transparency"),
    ("model.funding", "TransparencyInformation/FundingSource"),
    ("model.third_parties", "TransparencyInformation/ThirdPartyInformation"),
    ("model.stakeholders_consulted", "TransparencyInformation/StakeholdersConsulted"),
    ("evaluation.metrics[].name", "KeyMetrics/*/Results/MetricResult/Label"),
    ("evaluation.metrics[].rationale", "KeyMetrics/UsefulnessUsabilityEfficacy/MetricGoal"),
    ("evaluation.study.endpoints", "KeyMetrics/UsefulnessUsabilityEfficacy/MetricGoal"),
    ("evaluation.fairness.approach", "KeyMetrics/FairnessEquity/MetricGoal"),
    ("evaluation.fairness.findings", "KeyMetrics/FairnessEquity/Interpretation"),
    ("factors.relevant[].name", "KeyMetrics/FairnessEquity/MetricGoal, TestType (the factors compared)"),
    ("evaluation.external[].party", "KeyMetrics/SafetyReliability/MetricGoal, TestType"),
    ("evaluation.external[].setting", "KeyMetrics/SafetyReliability/MetricGoal, TestingDataDescription"),
    ("evaluation.external[].demographics", "KeyMetrics/SafetyReliability/TestingDataDescription"),
    ("evaluation.metrics[].unit", "KeyMetrics/*/MetricResult/ValueJson unit ('%' for proportions, in percent)"),
    ("evaluation.metrics[].kind", "KeyMetrics/*/MetricResult/ValueJson unit ('%' for proportions, in percent)"),
    ("evaluation.results[].metric", "MetricResult/Label"),
    ("evaluation.results[].value", "MetricResult/ValueJson estimate"),
    ("evaluation.results[].ci_low", "MetricResult/ValueJson lower (level 95)"),
    ("evaluation.results[].ci_high", "MetricResult/ValueJson upper (level 95)"),
    ("evaluation.results[].sd", "MetricResult/ValueJson sd (kind mean_sd, when there is no interval)"),
    ("evaluation.results[].slice", "FairnessEquity (sliced results), Label"),
    ("evaluation.results[].dataset", "SafetyReliability (external datasets); Label (on <dataset name>)"),
    ("evaluation.results[].operating_point", "MetricResult/Label"),
    ("evaluation.study.design", "KeyMetrics/UsefulnessUsabilityEfficacy/TestType (SafetyReliability without external)"),
    ("evaluation.study.statistical_plan", "KeyMetrics/*/ValidationProcessAndJustification"),
    ("evaluation.external[].process", "KeyMetrics/SafetyReliability/ValidationProcessAndJustification"),
    ("evaluation.study.acceptance_criteria", "KeyMetrics/UsefulnessUsabilityEfficacy/Interpretation"),
    ("evaluation.human_ai", "KeyMetrics/UsefulnessUsabilityEfficacy/Interpretation"),
    ("evaluation.robustness", "KeyMetrics/SafetyReliability/Interpretation"),
    ("evaluation.repeatability", "KeyMetrics/SafetyReliability/Interpretation"),
    ("evaluation.evidence", "Resources/EvaluationReferences, Resources/ClinicalTrial"),
    ("model.papers", "Resources/PeerReviewedPublications"),
    ("model.reimbursement", "Resources/ReimbursementStatus"),
    ("model.citation", "Bibliography (BibTeX as given, else a @misc entry with the citation as `note`)"),
)


def filename(source: Source) -> str:
    return f"{source.model.id}.chai.xml"


class _Card:
    """Builds the XML in schema order; every required element gets text, with a loss when the source is silent."""

    def __init__(self, collector: Collector) -> None:
        from lxml import etree

        self.etree = etree
        self.collector = collector
        self.root = etree.Element(f"{{{NAMESPACE}}}AppliedModelCard", nsmap={None: NAMESPACE})

    def group(self, parent: Any, name: str) -> Any:
        return self.etree.SubElement(parent, f"{{{NAMESPACE}}}{name}")

    def text(self, parent: Any, name: str, value: str | None, source_fields: str, *, required: bool = True) -> None:
        if not value:
            if not required:
                return
            self.collector.missing(name, source_fields)
            value = NOT_STATED
        # CHAI renders its text fields as Markdown; the card carries plain text so every reader sees the same words.
        self.group(parent, name).text = plain_text(value)


def write(source: Source, collector: Collector) -> str:
    card = _Card(collector)
    _basic_and_release(card, source)
    _uses_and_warnings(card, source)
    _trust(card, source)
    _key_metrics(card, source, collector)
    _resources(card, source)
    entry, wrapped = bibtex(source)
    if wrapped:
        collector.changed("model.citation", "the plain-text citation is the `note` of a BibTeX @misc entry")
    card.group(card.root, "Bibliography").text = entry
    xml: bytes = card.etree.tostring(card.root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return xml.decode("utf-8")


def _basic_and_release(card: _Card, s: Source) -> None:
    m = s.model
    basic = card.group(card.root, "BasicInfo")
    card.text(basic, "ModelName", m.name, "model.name")
    card.text(basic, "ModelDeveloper", ", ".join(d.name for d in m.developers), "model.developers")
    contact = ", ".join(x for x in (m.contact.name, m.contact.email, m.contact.url, m.contact.address) if x)
    card.text(basic, "DeveloperContact", contact, "model.contact")
    release = card.group(card.root, "ReleaseInfo")
    card.text(release, "ReleaseStage", m.status, "model.status")
    released = m.release_date.isoformat() if m.release_date else None
    card.text(release, "ReleaseDate", released, "model.release_date")
    card.text(release, "ReleaseVersion", m.version, "model.version")
    card.text(release, "GlobalAvailability", ", ".join(s.system.deployment_forms), "system.deployment_forms")
    if s.system.compatibility:
        card.group(card.group(release, "EHRCompatibility"), "EHR").text = plain_text(s.system.compatibility)
    if m.regulatory:
        reg = m.regulatory
        parts = [reg.status, reg.device_class, f"file number {reg.file_number}" if reg.file_number else None]
        card.text(release, "RegulatoryApproval", "; ".join(p for p in parts if p), "model.regulatory", required=False)
    summary = card.group(card.root, "ModelSummary")
    card.text(summary, "Summary", m.summary, "model.summary")
    keywords = card.group(summary, "Keywords")
    for word in m.keywords:
        card.group(keywords, "Keyword").text = plain_text(word)


def _uses_and_warnings(card: _Card, s: Source) -> None:
    use, risk = s.intended_use, s.risk
    uses = card.group(card.root, "UsesAndDirections")
    flow = use.workflow
    workflow = [f"Workflow: {flow.phase}; the output {flow.decision_role} the decision."] if flow else []
    workflow += [x for x in (flow.automation, flow.output_use) if x] if flow else []
    card.text(uses, "IntendedUseAndWorkflow", "\n\n".join([use.purpose, *workflow]), "intended_use.purpose")
    users = [
        u.role
        + (f" ({u.qualification})" if u.qualification else "")
        + (f"; training: {u.training}" if u.training else "")
        for u in use.users
    ]
    card.text(uses, "PrimaryIntendedUsers", _bullets(users), "intended_use.users")
    card.text(uses, "HowToUse", use.instructions, "intended_use.instructions")
    indications = f"Indications: {use.indications}" if use.indications else None
    population = "\n\n".join(x for x in (use.population, indications) if x)
    card.text(uses, "TargetedPatientPopulation", population, "intended_use.population")
    card.text(
        uses,
        "CautionedOutOfScopeSettings",
        _bullets([*use.out_of_scope, *use.contraindications]),
        "intended_use.out_of_scope",
    )
    warnings = card.group(card.root, "Warnings")
    card.text(
        warnings, "KnownRisksAndLimitations", _bullets([*risk.limitations, *risk.failure_modes]), "risk.limitations"
    )
    harms = risk.ethics.harms if risk.ethics else []
    card.text(
        warnings,
        "KnownBiasesOrEthicalConsiderations",
        _bullets([*risk.biases, *harms]),
        "risk.biases, risk.ethics.harms",
    )
    card.text(warnings, "ClinicalRiskLevel", risk.clinical_risk_level, "risk.clinical_risk_level")


def _trust(card: _Card, s: Source) -> None:
    system, m = s.system, s.model
    facts = card.group(card.group(card.root, "TrustIngredients"), "AISystemFacts")
    outputs = _bullets(f"{o.name}: {' '.join(o.meaning.split())}" for o in system.outputs)
    card.text(facts, "OutcomesAndOutputs", outputs, "system.outputs")
    card.text(facts, "ModelType", m.type, "model.type")
    foundation = _bullets(f"{p.name} ({p.source})" for p in system.pretrained)
    card.text(facts, "FoundationModels", foundation, "system.pretrained", required=False)
    card.text(facts, "InputDataSource", _bullets(i.source for i in system.inputs if i.source), "system.inputs[].source")
    types = [f"Input: {i.name} ({i.type})" for i in system.inputs] + [
        f"Output: {o.name} ({o.type})" for o in system.outputs
    ]
    card.text(facts, "OutputAndInputDataTypes", _bullets(types), "system.inputs, system.outputs")
    card.text(facts, "DevelopmentDataCharacterization", _bullets(_dataset_line(d) for d in s.datasets), "datasets")
    fairness = s.evaluation.fairness
    mitigation = None
    if fairness:
        mitigation = fairness.approach + ("\n\n" + _bullets(fairness.mitigations) if fairness.mitigations else "")
    card.text(facts, "BiasMitigationApproaches", mitigation, "evaluation.fairness")
    card.text(facts, "OngoingMaintenance", _maintenance(s), "lifecycle.post_market, lifecycle.updates")
    cyber = s.risk.cybersecurity
    card.text(facts, "Security", _bullets(cyber.controls) if cyber else None, "risk.cybersecurity", required=False)
    card.text(facts, "Transparency", system.explainability, "system.explainability", required=False)
    info = card.group(facts.getparent(), "TransparencyInformation")
    card.text(info, "FundingSource", m.funding, "model.funding")
    card.text(info, "ThirdPartyInformation", _bullets(m.third_parties), "model.third_parties", required=False)
    card.text(info, "StakeholdersConsulted", _bullets(m.stakeholders_consulted), "model.stakeholders_consulted")


def _dataset_line(d: Any) -> str:
    parts = [f"{d.name} ({d.role}): {d.composition.count} instances"]
    if d.collection.timeframe:
        parts.append(f"collected {d.collection.timeframe}")
    if d.collection.sites:
        parts.append(f"sites: {', '.join(d.collection.sites)}")
    return "; ".join(parts)


def _maintenance(s: Source) -> str | None:
    lc = s.lifecycle
    parts = []
    if lc.post_market:
        parts.append(lc.post_market.plan)
    if lc.updates:
        parts.append(f"Updates: {lc.updates.process} ({lc.updates.frequency}).")
        parts += [f"Corrections: {lc.updates.correction_frequency}"] if lc.updates.correction_frequency else []
    return "\n\n".join(parts) or None


def _key_metrics(card: _Card, s: Source, collector: Collector) -> None:
    ev = s.evaluation
    roles = {d.id: d.role for d in s.datasets}
    external = [r for r in ev.results if not r.slice and roles.get(r.dataset or "") == "external"]
    overall = [r for r in ev.results if not r.slice and r not in external]
    sliced = [r for r in ev.results if r.slice]
    metrics = card.group(card.root, "KeyMetrics")
    labels = labels_of(s)
    for block in _blocks(s, overall, sliced, external):
        goal, interpretation, test_type, validation = _FIELDS[block.name]
        element = card.group(metrics, block.name)
        card.text(element, "MetricGoal", block.goal, goal)
        _results(card, element, block.results, s, labels)
        card.text(element, "Interpretation", block.interpretation, interpretation)
        card.text(element, "TestType", block.test_type, test_type)
        data = _external_data(s) if block.name == "SafetyReliability" else None
        tested = data or _tested(s, block.results)
        card.text(element, "TestingDataDescription", tested, f"evaluation.results[].dataset ({block.name})")
        card.text(element, "ValidationProcessAndJustification", block.validation, validation)
    note_units(s, collector)


@dataclass
class _Block:
    """A KeyMetrics section; _FIELDS holds the source fields of its goal, interpretation, test type, validation."""

    name: str
    results: list[Result]
    goal: str | None
    interpretation: str | None
    test_type: str | None
    validation: str | None


_FIELDS = {
    "UsefulnessUsabilityEfficacy": (
        "evaluation.study.endpoints, evaluation.metrics[].rationale",
        "evaluation.study.acceptance_criteria, evaluation.human_ai",
        "evaluation.study.design",
        "evaluation.study.statistical_plan",
    ),
    "FairnessEquity": (
        "evaluation.fairness.approach",
        "evaluation.fairness.findings",
        "evaluation.results[].slice",
        "evaluation.study.statistical_plan",
    ),
    "SafetyReliability": (
        "evaluation.external, evaluation.robustness",
        "evaluation.robustness, evaluation.repeatability",
        "evaluation.external[].party",
        "evaluation.external[].process",
    ),
}


def _blocks(s: Source, overall: list[Result], sliced: list[Result], external: list[Result]) -> list[_Block]:
    ev, study, fairness = s.evaluation, s.evaluation.study, s.evaluation.fairness
    plan, design = (study.statistical_plan, study.design) if study else (None, None)
    factors = {f.id: f.name for f in s.factors.relevant}
    across = ", ".join(factors.get(k, k) for k in sorted({k for r in sliced for k in r.slice}))
    names = {m.id: m.name for m in ev.metrics}
    fair_goal = "\n\n".join(x for x in (fairness and fairness.approach, across and f"Compared across: {across}.") if x)
    fair_test = None
    if sliced:
        measured = ", ".join(names[m] for m in sorted({r.metric for r in sliced}))
        fair_test = f"Subgroup analysis of {measured} across {across}, with 95% confidence intervals."
    safe_goal = _bullets(f"Independent external validation by {e.party}: {e.setting}" for e in ev.external)
    safe_test = _bullets(f"External validation by {e.party}" for e in ev.external)
    robust = "\n\n".join(x for x in (ev.robustness, ev.repeatability) if x) or None
    useful = "\n\n".join(x for x in (study.acceptance_criteria if study else None, ev.human_ai) if x) or None
    safe_check = ", ".join(e.process for e in ev.external) or plan
    return [
        _Block("UsefulnessUsabilityEfficacy", overall, _usefulness_goal(s, overall), useful, design, plan),
        _Block("FairnessEquity", sliced, fair_goal, fairness.findings if fairness else None, fair_test, plan),
        _Block("SafetyReliability", external, safe_goal or robust, robust, safe_test or design, safe_check),
    ]


def _usefulness_goal(s: Source, results: list[Result]) -> str | None:
    study, used = s.evaluation.study, {r.metric for r in results}
    endpoints = _bullets(study.endpoints) if study and study.endpoints else ""
    why = _bullets(f"{m.name}: {m.rationale}" for m in s.evaluation.metrics if m.id in used)
    return "\n\n".join(x for x in (endpoints, why) if x) or None


def _tested(s: Source, results: list[Result]) -> str | None:
    used = {r.dataset for r in results}
    return _bullets(_dataset_line(d) for d in s.datasets if d.id in used) or None


def _external_data(s: Source) -> str | None:
    names = {d.id: d.name for d in s.datasets}
    lines = [
        (f"{names.get(e.dataset, e.dataset)}: " if e.dataset else "")
        + e.setting
        + (f" ({e.demographics})" if e.demographics else "")
        for e in s.evaluation.external
    ]
    return _bullets(lines) or None


def _results(card: _Card, block: Any, results: list[Result], s: Source, labels: dict[int, str]) -> None:
    holder = card.group(block, "Results")
    metrics = {m.id: m for m in s.evaluation.metrics}
    index = {id(r): i for i, r in enumerate(s.evaluation.results)}
    written = 0
    for r in results:
        value = value_json(r, index[id(r)], metrics[r.metric], card.collector)
        if value is None:
            continue
        item = card.group(holder, "MetricResult")
        card.group(item, "Label").text = labels[id(r)]
        card.group(item, "ValueJson").text = value
        written += 1
    if not written:
        # The schema needs one result per block; say plainly that there is none.
        card.collector.missing(f"a MetricResult in {block.tag.split('}')[1]}", "evaluation.results")
        item = card.group(holder, "MetricResult")
        card.group(item, "Label").text = "No result reported in the source"
        card.group(item, "ValueJson").text = json.dumps({"kind": "single", "value": None}, separators=(",", ":"))


def _resources(card: _Card, s: Source) -> None:
    resources_el = card.group(card.root, "Resources")
    evidence = s.evaluation.evidence
    refs = [
        f"{e.kind}: {e.id}" + (f" — {e.title}" if e.title else "") + (f" ({e.url})" if e.url else "") for e in evidence
    ]
    others = _bullets(r for r, e in zip(refs, evidence, strict=True) if e.kind != "trial")
    card.text(resources_el, "EvaluationReferences", others, "evaluation.evidence", required=False)
    trials = _bullets(r for r, e in zip(refs, evidence, strict=True) if e.kind == "trial")
    card.text(resources_el, "ClinicalTrial", trials, "evaluation.evidence[kind=trial]", required=False)
    card.text(resources_el, "PeerReviewedPublications", _bullets(s.model.papers), "model.papers")
    card.text(resources_el, "ReimbursementStatus", s.model.reimbursement, "model.reimbursement", required=False)
    consent = sorted({f"{d.name}: {d.collection.consent}" for d in s.datasets if d.collection.consent})
    card.text(resources_el, "PatientConsentOrDisclosure", _bullets(consent), "datasets[].collection.consent")


def _bullets(items: Iterable[str]) -> str:
    return "\n".join(f"- {item}" for item in items)


# --- validation ---------------------------------------------------------------------------------


def validate(text: str) -> list[str]:
    """Errors of the XML against the CHAI v0.2 schema (empty when valid); never touches the network."""
    from lxml import etree

    schema = _schema()
    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    try:
        document = etree.fromstring(text.encode("utf-8"), parser)
    except etree.XMLSyntaxError as exc:
        return [str(exc)]
    if schema.validate(document):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def _schema() -> Any:
    from lxml import etree

    folder = resources.files(__package__).joinpath("schemas")

    class _Local(etree.Resolver):
        """Answers the XML-signature import with the bundled copy; anything else remote is refused."""

        def resolve(self, url: str | None, pubid: str | None, context: Any) -> Any:
            if url and url.endswith(DSIG_FILE):
                return self.resolve_string(folder.joinpath(DSIG_FILE).read_bytes(), context)
            if url and "://" in url and not url.startswith("file:"):
                raise OSError(f"refusing to fetch {url}: schemas are validated offline")
            return None

    parser = etree.XMLParser(no_network=True, resolve_entities=False)
    parser.resolvers.add(_Local())
    xsd = etree.fromstring(folder.joinpath(SCHEMA_FILE).read_bytes(), parser)
    return etree.XMLSchema(xsd)
