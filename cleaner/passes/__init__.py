"""The pass registry: each rule kind is handled by one pass class; build the passes for a rule selection."""

from __future__ import annotations

from cleaner.passes.base import Pass, Settings
from cleaner.passes.lines import LinePass
from cleaner.passes.names import NamesPass
from cleaner.passes.structure import LearnedLinePass, StructurePass
from cleaner.passes.substitute import SubstitutionPass
from cleaner.passes.unicode import UnicodePass
from cleaner.rules import Rule, RuleSet

PASS_CLASSES: list[type[Pass]] = [LinePass, SubstitutionPass, UnicodePass, StructurePass, LearnedLinePass, NamesPass]


def build_passes(ruleset: RuleSet, rules: list[Rule], settings: Settings | None = None) -> list[Pass]:
    """One instance of every pass class that has at least one of the chosen rules (or always_run)."""
    settings = settings or Settings()
    passes = []
    for cls in PASS_CLASSES:
        mine = [r for r in rules if r.kind in cls.kinds]
        if mine or cls.always_run:
            passes.append(cls(mine, ruleset, settings))
    return passes


__all__ = ["Pass", "Settings", "build_passes", "PASS_CLASSES"]
