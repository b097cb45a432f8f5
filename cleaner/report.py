"""Turn findings into lines for people (linter style) or machines (JSONL)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from cleaner.corpus import SourceFile, escape_name
from cleaner.model import Finding
from cleaner.text import snippet


def display_doc(source: SourceFile, doc: str) -> str:
    """How a document is named in messages: the path as the user gave it, plus '#id' for JSONL records
    (a line break in a name or id escaped, so a finding stays on one line)."""
    return source.display + escape_name(doc[len(source.rel) :])


def fix_title(f: Finding) -> str:
    title = f.fix or ("delete" if f.is_deletion else "replace")
    if f.replacement:
        return f'{title} → "{snippet(f.replacement, 40)}"'
    return title


def format_text(f: Finding, where: str) -> str:
    """`path:line:col: CODE message "original" [applicability: fix]`."""
    shown = f' "{snippet(f.original, 60)}"' if f.original else ""
    conf = f" ({f.confidence:.2f})" if f.confidence < 1 else ""
    return f"{where}:{f.line}:{f.col}: {f.code} {f.message}{shown} [{f.applicability}: {fix_title(f)}]{conf}"


# ---------------------------------------------------------------- scan --statistics


@dataclass(frozen=True)
class StatsStep:
    """The `finish` step of `scan --statistics`, in the worker: findings counted per rule code, per
    source (and code), and how many findings there are, with the ids for the store's verdicts."""

    @property
    def cache_tag(self) -> str:
        return "statistics:v2"

    def __call__(self, result) -> tuple[Counter, Counter, dict[str, tuple[str, str]], int, list[str]]:
        codes: Counter = Counter()
        sources: Counter = Counter()
        ids: dict[str, str] = {}
        docs = {d.doc: d for d in result.loaded.documents}
        for doc, found in result.findings.items():
            source = docs[doc].source if doc in docs else ""
            sha = docs[doc].sha256 if doc in docs else ""
            for f in found:
                # by the finding's own applicability: a demoted structural finding counts as unsafe
                codes[(f.code, str(f.applicability))] += 1
                sources[(source, f.code)] += 1
                ids[f.id] = (f.code, str(f.applicability), sha)
        return codes, sources, ids, sum(codes.values()), result.problems


def format_statistics(
    codes: Counter, sources: Counter, ruleset, verdicts: Counter | None = None
) -> list[str]:
    """Like `ruff --statistics`: count, code, name, applicability per rule and applicability of its
    findings (a rule's safe findings that were made unsafe count apart; most frequent first), then per
    source; with the store's verdicts, how many of each are accepted / rejected."""
    lines = []
    width = max((len(str(n)) for n in codes.values()), default=1)
    names = max((len(ruleset.by_code[c].name) for c, _ in codes if c in ruleset.by_code), default=4)
    for (code, app), n in sorted(codes.items(), key=lambda kv: (-kv[1], kv[0])):
        rule = ruleset.by_code.get(code)
        name = rule.name if rule else "?"
        line = f"{n:>{width}}  {code}  {name:<{names}}  {app:<7}"
        if verdicts is not None:
            accepted, rejected = verdicts[(code, app, "accepted")], verdicts[(code, app, "rejected")]
            line += f"  {accepted:>{width}} accepted  {rejected:>{width}} rejected"
        lines.append(line.rstrip())
    per_source: dict[str, Counter] = {}
    for (source, code), n in sources.items():
        per_source.setdefault(source, Counter())[code] += n
    if per_source:
        lines.append("")
        lines.append("by source:")
        totals = {s: sum(c.values()) for s, c in per_source.items()}
        swidth = max(len(s or "(none)") for s in per_source)
        for source in sorted(per_source, key=lambda s: (-totals[s], s)):
            ranked = sorted(per_source[source].items(), key=lambda kv: (-kv[1], kv[0]))
            top = ", ".join(f"{c} {n}" for c, n in ranked[:6]) + (f", … {len(ranked) - 6} more" if len(ranked) > 6 else "")
            lines.append(f"{totals[source]:>{width}}  {source or '(none)':<{swidth}}  {top}")
    return lines
