"""Lint rule packs: every bad example triggers its rule, no good one does, and no fix triggers a rule again."""

from __future__ import annotations

from cleaner.apply import splice
from cleaner.model import Document
from cleaner.rules import Rule, RuleSet
from cleaner.scan import Scanner


def lint(ruleset: RuleSet) -> list[str]:
    """Problems found, one 'file:line: rule CODE: ...' line each; empty when the packs are clean."""
    problems: list[str] = []
    everything = Scanner(ruleset)
    for rule in ruleset.rules:
        own = Scanner(ruleset, select=[rule.code])
        where = f"{rule.origin}: rule {rule.code}"
        if not rule.examples_bad and rule.kind != "ftfy":
            problems.append(f"{where}: no bad example (add examples: bad: [...])")
        for n, example in enumerate(rule.examples_bad, 1):
            doc = Document("example", example, "example")
            hits = [f for f in own.scan_document(doc) if f.code == rule.code]
            if not hits:
                problems.append(f"{where}: bad example {n} does not trigger it: {example!r}")
                continue
            problems.extend(_loops(rule, doc, hits, everything, where, n))
        for n, example in enumerate(rule.examples_good, 1):
            doc = Document("example", example, "example")
            if any(f.code == rule.code for f in own.scan_document(doc)):
                problems.append(f"{where}: good example {n} triggers it: {example!r}")
    return problems


def _loops(rule: Rule, doc: Document, hits, everything: Scanner, where: str, n: int) -> list[str]:
    """After the rule's fixes, no rule may fire on the replaced text, and this rule not at all."""
    fixed = splice(doc.text, hits)
    regions, delta = [], 0
    for f in fixed.applied:
        start = f.start + delta
        regions.append((start, start + len(f.replacement)))
        delta += len(f.replacement) - (f.end - f.start)
    again = everything.scan_document(Document("example", fixed.text, "example"))
    problems = []
    for f in again:
        if f.code == rule.code:
            problems.append(f"{where}: fixing bad example {n} leaves text it flags again: {fixed.text!r}")
            break
        if any(f.start < hi and lo < f.end for lo, hi in regions if hi > lo):
            problems.append(f"{where}: the fix of bad example {n} triggers {f.code}: {fixed.text!r}")
            break
    return problems


def slow_paths(ruleset: RuleSet) -> list[str]:
    """'file:line: rule CODE: slow path: why' for each rule (enabled or not) whose pattern the compiled
    first stage does not match whole (cleaner/matching.py): it is confirmed in Python `re` on more lines."""
    from cleaner.passes import build_passes

    passes = build_passes(ruleset, ruleset.rules)
    slow = passes[0].stage.slow_rules() if passes else {}
    return [f"{rule.origin}: rule {rule.code}: slow path: {slow[rule.code]}"
            for rule in ruleset.rules if rule.code in slow]
