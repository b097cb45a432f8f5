"""Turn findings into lines for people (linter style) or machines (JSONL)."""

from __future__ import annotations

from cleaner.corpus import SourceFile
from cleaner.model import Finding
from cleaner.text import snippet


def display_doc(source: SourceFile, doc: str) -> str:
    """How a document is named in messages: the path as the user gave it, plus '#id' for JSONL records."""
    return source.display + doc[len(source.rel) :]


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
