"""Check stage output: the report as readable text, JSON, and SARIF 2.1.0 for code-scanning annotations."""

from __future__ import annotations

import json
from pathlib import PurePath
from typing import Any

from compiler import __version__
from compiler.check.findings import FRAMEWORK_GROUP, MODEL_GROUP
from compiler.check.gates import CheckReport, Finding, ModelReport
from compiler.config.project import RULES

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
_SARIF_LEVEL = {"error": "error", "warning": "warning", "off": "none"}


def _heading(group: str) -> str:
    if group == MODEL_GROUP:
        return "model-wide gates"
    if group == FRAMEWORK_GROUP:
        return "framework coverage"
    return f"audience: {group}"


def _line(f: Finding) -> str:
    where = f"{f.location}: " if f.location.file else ""
    text = f"    {f.severity:<7} [{f.rule}] {where}"
    if f.field:
        text += f"{f.field}: "
    text += f.message
    if f.hint:
        text += f"\n            hint: {f.hint}"
    return text


def _model_text(m: ModelReport) -> list[str]:
    errors, warnings = m.count("error"), m.count("warning")
    state = "passed" if errors == 0 else "FAILED"
    lines = [f"{m.model} {m.version}: {state} ({errors} errors, {warnings} warnings)"]
    if not m.resolved:
        lines.append("  facts: not resolved (fact references are checked as 'cannot check')")
    lines.append(f"  audiences: {', '.join(m.audiences) or 'none'}")
    for s in m.coverage:
        lines.append(
            f"  coverage {s.framework}: {s.percent:g}% ({s.covered} of {s.applicable} covered, "
            f"{s.partial} partial, {s.missing} missing, {s.not_applicable} not applicable)"
        )
    if m.criteria:
        passed = sum(1 for c in m.criteria if c["status"] == "pass")
        lines.append(f"  acceptance: {passed} of {len(m.criteria)} criteria pass")
    if m.signoffs:
        counts: dict[str, int] = {}
        for r in m.signoffs:
            counts[r.status] = counts.get(r.status, 0) + 1
        lines.append("  sign-offs: " + ", ".join(f"{n} {status}" for status, n in sorted(counts.items())))
    groups: dict[str, list[Finding]] = {}
    for f in m.findings:
        groups.setdefault(f.group, []).append(f)
    for group, findings in groups.items():
        lines.append(f"  {_heading(group)}")
        lines += [_line(f) for f in findings]
    return lines


def format_text(report: CheckReport) -> str:
    """The report for people: per model, its coverage and acceptance summary, then findings by audience."""
    lines: list[str] = []
    for m in report.models:
        lines += [*_model_text(m), ""]
    state = "passed" if report.passed else "FAILED"
    lines.append(f"check {state}: {len(report.models)} model(s), {report.errors} errors, {report.warnings} warnings")
    return "\n".join(lines)


def format_json(report: CheckReport) -> str:
    return json.dumps(report.as_dict(), indent=2, sort_keys=True, ensure_ascii=False)


def _sarif_result(f: Finding, index: dict[str, int]) -> dict[str, Any]:
    text = f"{f.model}: " + (f"{f.field}: " if f.field else "") + f.message + (f" (hint: {f.hint})" if f.hint else "")
    result: dict[str, Any] = {
        "ruleId": f.rule,
        "ruleIndex": index[f.rule],
        "level": _SARIF_LEVEL[f.severity],
        "message": {"text": text},
        "properties": {"model": f.model, "group": f.group, "field": f.field},
    }
    if f.location.file:
        physical: dict[str, Any] = {"artifactLocation": {"uri": PurePath(f.location.file).as_posix()}}
        if f.location.line:
            physical["region"] = {"startLine": f.location.line, "startColumn": max(1, f.location.column)}
        result["locations"] = [{"physicalLocation": physical}]
    return result


def to_sarif(report: CheckReport) -> dict[str, Any]:
    """The findings as a SARIF 2.1.0 log (GitHub code scanning shows it as annotations)."""
    names = sorted(RULES)
    index: dict[str, int] = {name: i for i, name in enumerate(names)}
    rules = [
        {
            "id": name,
            "name": name,
            "shortDescription": {"text": RULES[name][1]},
            "defaultConfiguration": {"level": _SARIF_LEVEL[RULES[name][0]]},
        }
        for name in names
    ]
    results = [_sarif_result(f, index) for m in report.models for f in m.findings]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "docs-compile",
                        "version": __version__,
                        "informationUri": "https://docs-compile.dev/governance",
                        "rules": rules,
                    }
                },
                "results": results,
                "columnKind": "unicodeCodePoints",
            }
        ],
    }


def format_sarif(report: CheckReport) -> str:
    return json.dumps(to_sarif(report), indent=2, sort_keys=True, ensure_ascii=False) + "\n"
