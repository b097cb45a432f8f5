"""The pass registry: each rule kind is handled by one pass class; build the passes for a rule selection.

The pass modules (ftfy, numpy, the names dictionary) are imported when passes are first built, so a
run that finds everything in the cache never pays for them.
"""

from __future__ import annotations

from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet


def pass_classes() -> list[type[Pass]]:
    """Every pass class, in the order passes run."""
    from cleaner.passes.lines import LinePass
    from cleaner.passes.names import NamesPass
    from cleaner.passes.structure import LearnedLinePass, StructurePass
    from cleaner.passes.substitute import SubstitutionPass
    from cleaner.passes.unicode import UnicodePass

    return [LinePass, SubstitutionPass, UnicodePass, StructurePass, LearnedLinePass, NamesPass]


NAME_KINDS = frozenset({"name-alias", "name-official", "name-fuzzy", "name-consistency", "pronoun-gender"})  # NamesPass.kinds


def validate(ruleset: RuleSet, rules: list[Rule], settings: Settings) -> None:
    """Raise the RuleError building the passes would raise (names dictionary, style), without
    building them: the passes themselves are built only when a document needs scanning."""
    if any(r.kind in NAME_KINDS for r in rules):
        from cleaner.passes.names_dict import load_dictionary

        load_dictionary(ruleset).check_style(settings.style)


def build_passes(ruleset: RuleSet, rules: list[Rule], settings: Settings | None = None) -> list[Pass]:
    """One instance of every pass class that has at least one of the chosen rules (or always_run)."""
    settings = settings or Settings()
    passes = []
    for cls in pass_classes():
        mine = [r for r in rules if r.kind in cls.kinds]
        if mine or cls.always_run:
            passes.append(cls(mine, ruleset, settings))
    share_stage(passes)
    return passes


def share_stage(passes: list[Pass]) -> None:
    """One first stage for all the passes: every pattern of every rule in one compiled scan."""
    from cleaner.matching import FirstStage

    stage = FirstStage(probe for p in passes for probe in p.probes())
    for p in passes:
        p.stage = stage


__all__ = ["Pass", "Settings", "build_passes", "pass_classes", "validate"]
