"""The finding queue: a virtualised list that renders only the rows on screen, so 100,000 findings cost nothing."""

from __future__ import annotations

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import Binding
from textual.geometry import Region, Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from cleaner.review import ACCEPTED, PENDING, REJECTED, STALE, Session
from cleaner.text import snippet

GLYPHS = {PENDING: "·", ACCEPTED: "✓", REJECTED: "✗", STALE: "!"}


def middle(name: str, width: int) -> str:
    """A document name cut in the middle when too long, so its start (folder, file) and end (record
    id, extension) both show: `000_6b32f…a937aa.txt`."""
    if len(name) <= width:
        return name
    head = (width - 1) // 2
    return name[:head] + "…" + name[len(name) - (width - 1 - head) :]


class FindingList(ScrollView, can_focus=True):
    """One row a finding of the session's view: status, document, line, code, original → replacement."""

    BINDINGS = [
        Binding("j,down", "move(1)", "Down", show=False),
        Binding("k,up", "move(-1)", "Up", show=False),
        Binding("pagedown", "page(1)", "Page down", show=False),
        Binding("pageup", "page(-1)", "Page up", show=False),
        Binding("home,g", "jump(0)", "First", show=False),
        Binding("end,G", "jump(-1)", "Last", show=False),
    ]
    COMPONENT_CLASSES = {
        "finding-list--cursor",
        "finding-list--pending",
        "finding-list--accepted",
        "finding-list--rejected",
        "finding-list--stale",
        "finding-list--doc",
        "finding-list--code",
        "finding-list--removed",
        "finding-list--inserted",
    }

    cursor: reactive[int] = reactive(0, always_update=True, init=False)

    class Moved(Message):
        """The cursor is on another finding (index into the session's findings, or None: empty view)."""

        def __init__(self, index: int | None) -> None:
            super().__init__()
            self.index = index

    def __init__(self, session: Session | None = None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.session = session
        self.doc_width = 8

    # ------------------------------------------------------------ data

    def show(self, session: Session, position: int | None = None) -> None:
        """Show the session's view (after a filter or at the start) with the cursor at position."""
        self.session = session
        self.doc_width = max((len(d) for d in session.docs), default=8)
        self.virtual_size = Size(self.size.width, len(session.view))
        self.cursor = self._clamp(position or 0)
        self.refresh()

    @property
    def current(self) -> int | None:
        """Index (into session.findings) under the cursor."""
        if self.session is None or not self.session.view:
            return None
        return self.session.view[self._clamp(self.cursor)]

    def _clamp(self, position: int) -> int:
        n = len(self.session.view) if self.session else 0
        return max(0, min(position, n - 1)) if n else 0

    def watch_cursor(self, old: int, new: int) -> None:
        clamped = self._clamp(new)
        if clamped != new:
            self.cursor = clamped
            return
        self.refresh_line(old)
        self.refresh_line(new)
        self.scroll_to_cursor()
        self.post_message(self.Moved(self.current))

    def scroll_to_cursor(self) -> None:
        top = round(self.scroll_y)
        height = self.scrollable_content_region.height or 1
        if self.cursor < top:
            self.scroll_to(y=self.cursor, animate=False, immediate=True)
        elif self.cursor >= top + height:
            self.scroll_to(y=self.cursor - height + 1, animate=False, immediate=True)

    def refresh_line(self, position: int) -> None:
        y = position - round(self.scroll_y)
        if 0 <= y < self.size.height:
            self.refresh(Region(0, y, self.size.width, 1))

    # ------------------------------------------------------------ actions

    def action_move(self, delta: int) -> None:
        self.cursor = self._clamp(self.cursor + delta)

    def action_page(self, direction: int) -> None:
        self.cursor = self._clamp(self.cursor + direction * max(1, self.scrollable_content_region.height - 1))

    def action_jump(self, position: int) -> None:
        n = len(self.session.view) if self.session else 0
        self.cursor = self._clamp(position if position >= 0 else n - 1)

    def on_click(self, event) -> None:
        self.cursor = self._clamp(round(self.scroll_y) + event.y)

    # ------------------------------------------------------------ rendering

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        position = round(self.scroll_y) + y
        base = self.rich_style
        if self.session is None or position >= len(self.session.view):
            return Strip([Segment(" " * width, base)], width)
        index = self.session.view[position]
        text = self.row(index, width)
        segments = list(text.render(self.app.console))
        if position == self.cursor:  # the cursor's background and weight win over the row's own styles
            cursor = self.get_component_rich_style("finding-list--cursor")
            segments = [Segment(t, (st or Style()) + cursor) for t, st, _ in segments]
            base = base + cursor
        return Strip(segments, text.cell_len).crop_extend(0, width, base)

    def row(self, index: int, width: int) -> Text:
        s = self.session
        f = s.findings[index]
        status = s.status(index)
        style = self.get_component_rich_style
        doc_width = max(8, min(self.doc_width, width // 4))
        doc = middle(f.doc, doc_width)
        text = Text(no_wrap=True, overflow="ellipsis", end="", style=self.rich_style)
        text.append(f"{GLYPHS[status]} ", style(f"finding-list--{status}"))
        text.append(f"{doc:<{doc_width}} ", style("finding-list--doc"))
        text.append(f"{f.line:>5} ", style("finding-list--doc"))
        text.append(f"{f.code} ", style("finding-list--code"))
        room = max(8, width - text.cell_len - 4)
        d = s.decision(index)
        replacement = d.replacement if d is not None and d.replacement is not None else f.replacement
        if replacement:  # an edited replacement (e) is shown, not the rule's
            half = max(4, room // 2)
            text.append(snippet(f.original, half) or "∅", style("finding-list--removed"))
            text.append(" → ")
            text.append(
                snippet(replacement, room - min(len(snippet(f.original, half)), half)),
                style("finding-list--inserted"),
            )
        else:
            text.append(snippet(f.original, room - 9), style("finding-list--removed"))
            text.append(" → delete", Style(dim=True))
        text.truncate(width)
        return text
