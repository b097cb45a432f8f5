"""Regex substitutions over the whole text (typography and the like), with exception patterns."""

from __future__ import annotations

import re
from collections.abc import Iterable

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.rules import Rule, RuleSet

EXCEPTION_WINDOW = 40


class SubstitutionPass(Pass):
    kinds = frozenset({"substitution"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.compiled = [
            (
                rule,
                rule.regex(ignore_case_default=False),
                [re.compile(e) for e in rule.params.get("exceptions", []) or []],
            )
            for rule in rules
        ]

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        for rule, regex, exceptions in self.compiled:
            template = rule.params["replacement"]
            transform = rule.params.get("transform")
            for m in regex.finditer(text):
                if m.start() == m.end() or _excepted(text, m, exceptions):
                    continue
                replacement = m.expand(template)
                if transform == "upper":
                    replacement = replacement.upper()
                elif transform == "lower":
                    replacement = replacement.lower()
                if replacement == m.group(0):
                    continue
                yield rule.finding(doc, m.start(), m.end(), replacement)


def _excepted(text: str, m: re.Match, exceptions: list[re.Pattern]) -> bool:
    """True when an exception pattern matches a stretch of text that covers the match."""
    if not exceptions:
        return False
    lo = max(0, m.start() - EXCEPTION_WINDOW)
    hi = min(len(text), m.end() + EXCEPTION_WINDOW)
    for exc in exceptions:
        for e in exc.finditer(text, lo, hi):
            if e.start() <= m.start() and e.end() >= m.end():
                return True
    return False
