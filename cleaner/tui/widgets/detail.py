"""The selected finding: its rule (message, code, applicability, confidence), verdict, and its text in context."""

from __future__ import annotations

from rich.text import Text
from textual.containers import VerticalScroll
from textual.widgets import Static

from cleaner.review import Session

CONTEXT_LINES = 3  # lines shown before and after the span ...
CONTEXT_CHARS = 320  # ... but no more characters than this before it, so the span stays in view
LONG_SPAN = 1200  # longer removed text is shown as its start and end
# Edits are marked like `git diff --word-diff`, so they read in plain text too: [-removed-]{+inserted+}
REMOVED = "bold #ffd7d7 on #8b1a1a"
INSERTED = "bold #002b00 on #87d787"
MARK = "dim"
STATUS = {
    "pending": "bold #d7af00",
    "accepted": "bold #5fd75f",
    "rejected": "bold #ff5f5f",
    "stale": "bold #ff8700",
}
APPLICABILITY = {"safe": "#5fd75f", "unsafe": "#d7af00", "display": "#87afd7"}


def info_text(session: Session, index: int) -> Text:
    """Header of the detail pane: what the rule says and how sure it is."""
    f = session.findings[index]
    status = session.status(index)
    text = Text()
    text.append(f"{f.code} {f.name}", "bold")
    text.append(" · ")
    text.append(str(f.applicability), APPLICABILITY[str(f.applicability)])
    text.append(f" · confidence {f.confidence:.2f} · ")
    text.append(status, STATUS[status])
    d = session.decision(index)
    if d is not None:
        text.append(f" by {d.reviewer}", "dim")
        if d.replacement is not None:
            text.append(f" (edited: {d.replacement!r})", "dim")
    text.append(f"\n{f.doc}:{f.line}:{f.col}  ", "dim")
    text.append(f.message)
    if f.fix:
        text.append(f" [{f.fix}]", "dim")
    others = len(session.same_change(index)) - 1
    if others:
        still = len(session.open_same_change(index)) - (1 if session.open(index) else 0)
        text.append(
            f"\n{others} other finding{'s propose' if others != 1 else ' proposes'} the same change", "bold"
        )
        text.append(f" ({still} undecided: A/X decides them all)" if still else " (all decided)", "dim")
    return text


def context_text(
    session: Session, index: int, lines: int = CONTEXT_LINES, chars: int = CONTEXT_CHARS
) -> Text:
    """The document around the span, with the removed text and the inserted text highlighted."""
    f = session.findings[index]
    doc = session.docs[f.doc].text
    d = session.decision(index)
    replacement = d.replacement if d is not None and d.replacement is not None else f.replacement
    begin = f.start
    for _ in range(lines + 1):
        begin = doc.rfind("\n", 0, begin - 1) if begin > 0 else -1
        if begin < 0:
            break
    begin = max(begin + 1, 0) if begin >= 0 else 0
    if f.start - begin > chars:
        space = doc.find(" ", f.start - chars, f.start)
        begin = space + 1 if space >= 0 else f.start - chars
    finish = f.end
    for _ in range(lines):
        nl = doc.find("\n", finish + 1)
        if nl < 0:
            finish = len(doc)
            break
        finish = nl
    text = Text()
    if begin > 0:
        text.append("…\n" if doc[begin - 1] == "\n" else "…", "dim")
    text.append(doc[begin : f.start])
    removed = f.original
    if removed:
        text.append("[-", MARK)
        if len(removed) > LONG_SPAN:
            text.append(_visible(removed[: LONG_SPAN // 2]), REMOVED)
            text.append(f" … {len(removed) - LONG_SPAN:,} more characters … ", "italic " + REMOVED)
            text.append(_visible(removed[-LONG_SPAN // 2 :]), REMOVED)
        else:
            text.append(_visible(removed), REMOVED)
        text.append("-]", MARK)
    if replacement:
        text.append("{+", MARK)
        text.append(_visible(replacement), INSERTED)
        text.append("+}", MARK)
    text.append(doc[f.end : finish])
    if finish < len(doc):
        text.append("\n…", "dim")
    return text


def _visible(s: str) -> str:
    """Line breaks in an edit shown as ⏎ so a deleted blank line can be seen."""
    return s.replace("\n", "⏎\n")


class FindingDetail(VerticalScroll):
    """Rule information on top, the context below; scrolls when the context is long."""

    def compose(self):
        yield Static(id="info")
        yield Static(id="context")

    def show(self, session: Session | None, index: int | None) -> None:
        info, context = self.query_one("#info", Static), self.query_one("#context", Static)
        if session is None or index is None:
            info.update("No finding matches." if session is not None else "")
            context.update("")
            return
        info.update(info_text(session, index))
        # a taller pane (a large terminal) shows more of the document around the span
        lines = max(CONTEXT_LINES, self.size.height // 4)
        context.update(context_text(session, index, lines, CONTEXT_CHARS * lines // CONTEXT_LINES))
        self.scroll_home(animate=False)
