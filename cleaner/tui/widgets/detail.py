"""The selected finding: its rule (message, code, applicability, confidence), verdict, and its text in context."""

from __future__ import annotations

import io

from rich.console import Console
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


_CONSOLE: list[Console] = []


def _wrapped_rows(text: Text, width: int) -> int:
    """How many rows text takes wrapped at width (as the Static draws it)."""
    if not _CONSOLE:
        _CONSOLE.append(Console(file=io.StringIO(), width=400, color_system=None))
    return len(text.wrap(_CONSOLE[0], width))


def _rows(s: str, width: int) -> int:
    return _wrapped_rows(Text(s), width) if s else 0


def _trim(s: str, limit: int) -> list[tuple[str, bool]]:
    """s as (piece, is_note) parts: whole when it is short, else its start, a note, and its end."""
    if len(s) <= limit:
        return [(s, False)]
    half = max(10, limit // 2)
    return [(s[:half], False), (f" … {len(s) - 2 * half:,} more characters … ", True), (s[-half:], False)]


def fit_context(session: Session, index: int, width: int, rows: int) -> Text:
    """The document around the span, fitted to a pane of width × rows: the edit is centred and
    always in view (a long removed text shown as its start and end), the text before it fills the
    rows above, the text after it the rows below."""
    f = session.findings[index]
    doc = session.docs[f.doc].text
    d = session.decision(index)
    replacement = d.replacement if d is not None and d.replacement is not None else f.replacement
    width, rows = max(20, width), max(3, rows)
    limit = max(width, (rows * width) // 2)  # the edit takes at most about half of the pane
    while True:
        edit = Text()
        if f.original:
            edit.append("[-", MARK)
            for piece, note in _trim(f.original, limit):
                edit.append(_visible(piece), ("italic " + REMOVED) if note else REMOVED)
            edit.append("-]", MARK)
        if replacement:
            edit.append("{+", MARK)
            for piece, note in _trim(replacement, max(width, limit // 2)):
                edit.append(_visible(piece), ("italic " + INSERTED) if note else INSERTED)
            edit.append("+}", MARK)
        edit_rows = _wrapped_rows(edit, width)
        if edit_rows <= max(2, rows - 2) or limit <= 40:  # many line breaks: show less of it
            break
        limit //= 2
    above = max(0, (rows - edit_rows) // 2)  # rows of text before the edit's first row

    # before: whole lines back from the span while they fit, the span's own line cut at a word
    lines = doc[max(0, f.start - (above + 1) * width * 2) : f.start].split("\n")
    start_at = max(0, f.start - (above + 1) * width * 2)
    own = lines.pop()  # the part of the span's line before it: shares the edit's first row
    keep = max(0, above * width + width // 2)
    if len(own) > keep:
        cut = own.find(" ", len(own) - keep)
        own = own[cut + 1 :] if 0 <= cut < len(own) else own[-keep:] if keep else ""
        before, begin_cut = own, True
        used = above
    else:
        used = _rows(own, width) - 1 if own else 0
        taken: list[str] = []
        for line in reversed(lines):
            r = max(1, _rows(line, width))
            if used + r > above:
                break
            taken.append(line)
            used += r
        while taken and not taken[-1].strip():  # no blank rows at the top
            taken.pop()
        before = "\n".join([*reversed(taken), own])
        begin_cut = len(taken) < len(lines) or start_at > 0
    # after: the rest of the pane below the edit
    below = max(1, rows - used - edit_rows)
    tail = doc[f.end : f.end + (below + 1) * width * 2]
    out_lines: list[str] = []
    room = below + 1  # the edit's last row holds the start of the text after it
    for k, line in enumerate(tail.split("\n")):
        r = max(1, _rows(line, width))
        if r > room:
            cut = line.rfind(" ", 0, max(0, room * width - width // 2))
            if cut > 0:
                out_lines.append(line[:cut])
            break
        out_lines.append(line)
        room -= r
        if room <= 0:
            break
    while True:  # exactly: drop what is after the edit until the whole fits the pane
        after = "\n".join(out_lines)
        text = Text()
        if begin_cut and (before or f.start > 0):
            text.append("…", "dim")
        text.append(before)
        text.append_text(edit)
        text.append(after)
        if doc[f.end + len(after) :].strip():
            text.append(" …", "dim")
        if not out_lines or _wrapped_rows(text, width) <= rows:
            return text
        last = out_lines.pop()
        cut = last.rfind(" ", 0, len(last) - width // 2)
        if cut > 0:
            out_lines.append(last[:cut])


def _visible(s: str) -> str:
    """Line breaks in an edit shown as ⏎ so a deleted blank line can be seen."""
    return s.replace("\n", "⏎\n")


class FindingDetail(VerticalScroll):
    """Rule information on top, the context below; scrolls when the context is long."""

    def compose(self):
        yield Static(id="info")
        yield Static(id="context")

    shown: tuple[Session | None, int | None] = (None, None)

    def on_resize(self) -> None:  # the pane's size decides how much context fits
        if self.shown[0] is not None:
            self.show(*self.shown)

    def show(self, session: Session | None, index: int | None) -> None:
        self.shown = (session, index)
        info, context = self.query_one("#info", Static), self.query_one("#context", Static)
        if session is None or index is None:
            info.update("No finding matches." if session is not None else "")
            context.update("")
            return
        head = info_text(session, index)
        info.update(head)
        region = self.content_region
        if region.height < 3 or region.width < 20:  # not laid out yet
            lines = max(CONTEXT_LINES, self.size.height // 4)
            context.update(context_text(session, index, lines, CONTEXT_CHARS * lines // CONTEXT_LINES))
        else:  # fitted to what is left of the pane below the rule's information
            width = region.width - 1  # room for a scrollbar
            rows = region.height - _wrapped_rows(head, width) - 1  # info's padding-bottom
            context.update(fit_context(session, index, width, max(3, rows)))
        self.scroll_home(animate=False)
