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
        self.compiled = []
        for rule in rules:
            prefilter = rule.params.get("prefilter")
            if isinstance(prefilter, str):
                prefilter = [prefilter]
            self.compiled.append(
                (
                    rule,
                    rule.regex(ignore_case_default=False),
                    [re.compile(e) for e in rule.params.get("exceptions", []) or []],
                    tuple(prefilter or ()),
                    rule.params.get("group", 0),
                )
            )

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        findings: list[Finding] = []
        for rule, regex, exceptions, prefilter, group in self.compiled:
            if prefilter and not any(p in text for p in prefilter):
                continue  # every match holds one of them
            template = rule.params["replacement"]
            literal = None if "\\" in template else template  # no group references: no expansion
            transform = rule.params.get("transform")
            for m in regex.finditer(text):
                start, end = m.span(group)
                if start == end or (exceptions and _excepted(text, start, end, exceptions)):
                    continue
                replacement = literal if literal is not None else m.expand(template)
                if transform == "upper":
                    replacement = replacement.upper()
                elif transform == "lower":
                    replacement = replacement.lower()
                if replacement == text[start:end]:
                    continue
                findings.append(rule.finding(doc, start, end, replacement))
        return findings


def _excepted(text: str, start: int, end: int, exceptions: list[re.Pattern]) -> bool:
    """True when an exception pattern matches a stretch of text that covers start..end."""
    lo = max(0, start - EXCEPTION_WINDOW)
    hi = min(len(text), end + EXCEPTION_WINDOW)
    for exc in exceptions:
        for e in exc.finditer(text, lo, hi):
            if e.start() <= start and e.end() >= end:
                return True
    return False
