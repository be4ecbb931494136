"""Check stage: what a rule reports — a finding before the registry names its rule and the project
configuration sets its severity — and the groups findings are reported under."""

from __future__ import annotations

import re
from dataclasses import dataclass

from compiler._util.fieldpath import FieldPath
from compiler.errors import Location

MODEL_GROUP = "model"
"""Group of the model-wide gates (acceptance, subgroups, sign-offs, review policy, lock drift)."""
FRAMEWORK_GROUP = "frameworks"
"""Group of the framework coverage gates; every other group is an audience name."""


@dataclass(frozen=True)
class Raw:
    """One thing a rule found: the group it is reported under, what is wrong, the field, and how to fix it."""

    group: str
    message: str
    path: FieldPath = ()
    hint: str = ""
    location: Location | None = None
    """Where, for a finding outside the source (a lock file); else the place of `path` in the source."""


def section_path(section: str) -> FieldPath:
    """A dotted section such as `datasets[0].composition` as a field path."""
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", section))
