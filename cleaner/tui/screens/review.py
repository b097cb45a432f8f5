"""The review screen: the finding queue, the selected finding in context, and every key that decides."""

from __future__ import annotations

import json
import time
from collections import Counter

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Container, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Input, Label, ProgressBar, Static

from cleaner.apply import Summary
from cleaner.learn import LearnError, ignore, promote
from cleaner.model import Verdict
from cleaner.review import ACCEPTED, PENDING, REJECTED, STALE, Session, Setup
from cleaner.text import plural, snippet
from cleaner.tui.screens.dialogs import ConfirmScreen, EditScreen, HelpScreen, QuitScreen
from cleaner.tui.widgets.detail import FindingDetail
from cleaner.tui.widgets.queue import FindingList

WIDE = 130  # from this many columns the queue and the detail sit side by side


class ScanProgress(Message):
    def __init__(self, done: int, total: int) -> None:
        super().__init__()
        self.done, self.total = done, total


class ScanDone(Message):
    def __init__(self, session: Session, problems: list[str], seconds: float) -> None:
        super().__init__()
        self.session, self.problems, self.seconds = session, problems, seconds


class Planned(Message):
    """What w would write, measured in a worker, to show in the confirmation."""

    def __init__(self, summary: Summary, differences: list[str], before: dict, then_quit: bool) -> None:
        super().__init__()
        self.summary, self.differences, self.before, self.then_quit = summary, differences, before, then_quit


def mode_name(auto: bool, unsafe: bool, min_confidence: float = 0.0) -> str:
    if unsafe and min_confidence:
        flags = f"{'--auto ' if auto else ''}--unsafe --min-confidence {min_confidence:g}"
        return f"accepted{' + safe' if auto else ''} + unsafe (confidence >= {min_confidence:g}) fixes ({flags})"
    if auto and unsafe:
        return "accepted + safe + unsafe fixes (--auto --unsafe)"
    if auto:
        return "accepted + safe fixes (--auto)"
    if unsafe:
        return "accepted + unsafe fixes (--unsafe)"
    return "accepted fixes only (no --auto)"


def _threshold(mode: dict) -> float:
    """The --min-confidence a manifest's unsafe fixes met (0 without --unsafe, or in a manifest older than it)."""
    value = mode.get("min_confidence")
    if not mode.get("unsafe") or isinstance(value, bool) or not isinstance(value, (int, float)):
        return 0.0
    return float(value)


class Written(Message):
    def __init__(self, summary: Summary | None, error: str = "") -> None:
        super().__init__()
        self.summary, self.error = summary, error


class ReviewScreen(Screen):
    """Scan in a worker, then review the queue; every verdict is in the store before the screen shows it."""

    BINDINGS = [
        Binding("a", "accept", "Accept"),
        Binding("x", "reject", "Reject"),
        Binding("e", "edit", "Edit", show=False),
        Binding("space", "skip", "Skip", show=False),
        Binding("u", "undo", "Undo"),
        Binding("A", "bulk(True)", "Same✓"),
        Binding("X", "bulk(False)", "Same✗"),
        Binding("ctrl+a", "bulk_view(True)", "All shown✓", show=False),
        Binding("ctrl+x", "bulk_view(False)", "All shown✗", show=False),
        Binding("s", "sort", "Sort", show=False),
        Binding("n", "next", "Next", show=False),
        Binding("slash", "filter", "Filter"),
        Binding("plus", "promote", "Promote", show=False),
        Binding("minus", "ignore", "Ignore", show=False),
        Binding("w", "write", "Write"),
        Binding("question_mark", "help", "Help"),
        Binding("q", "quit", "Quit"),
        Binding("escape", "close_filter", show=False),
    ]

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup
        self.session: Session | None = None
        self.last_message = ""
        self.timings: dict[str, float] = {}  # perf_counter marks, for bench/review.py
        self.write_started = 0.0
        self.quit_after_write = False

    def compose(self) -> ComposeResult:
        yield Static(id="status")
        yield Static(id="message")
        with Vertical(id="scanning"):
            yield Label(f"scanning {len(self.setup.units)} files …", id="scan-label")
            yield ProgressBar(total=max(1, sum(u.size for u in self.setup.units)), id="scan-bar")
        with Container(id="main"):
            yield FindingList(id="queue")
            yield FindingDetail(id="detail")
        yield Input(
            placeholder="filter: code:BP0 status:pending doc:004 words…  (Enter applies, empty clears)",
            id="filter",
        )
        yield Footer(compact=True)

    @property
    def queue(self) -> FindingList:
        return self.query_one(FindingList)

    def on_mount(self) -> None:
        self.query_one("#main").display = False
        self.query_one("#filter").display = False
        self.started = time.perf_counter()
        self.decisions = self.setup.store.all()  # read here: the store belongs to this thread
        self.update_status()
        self.run_scan()

    def on_resize(self) -> None:
        self.query_one("#main").set_class(self.size.width >= WIDE, "wide")

    # ------------------------------------------------------------ scanning (worker thread)

    @work(thread=True, exclusive=True, group="scan")
    def run_scan(self) -> None:
        started = time.perf_counter()
        if self.setup.results is not None:
            results, problems = self.setup.results, []
        else:
            last = [0.0]

            def progress(done: int, total: int) -> None:
                now = time.perf_counter()
                if now - last[0] > 0.05 or done == total:
                    last[0] = now
                    self.post_message(ScanProgress(done, total))

            results, problems = self.setup.scan(progress)
        self.timings["scan done"] = time.perf_counter()
        session = Session(results, self.decisions, reviewer=self.setup.reviewer, store=self.setup.store)
        self.post_message(ScanDone(session, problems, time.perf_counter() - started))

    def on_scan_progress(self, message: ScanProgress) -> None:
        self.query_one("#scan-bar", ProgressBar).update(total=message.total, progress=message.done)
        self.query_one("#scan-label", Label).update(
            f"scanning: {message.done / 1e6:.1f} of {message.total / 1e6:.1f} MB"
        )

    def on_scan_done(self, message: ScanDone) -> None:
        self.session = self.app.session = session = message.session
        session.written_at = self.manifest_time()
        self.setup.store.describe(session.undescribed())  # decisions an older cleaner stored without them
        self.query_one("#scanning").display = False
        self.query_one("#main").display = True
        start = session.first_open()
        self.queue.show(session, start if start is not None else 0)
        self.queue.focus()
        self.call_after_refresh(lambda: self.timings.setdefault("queue shown", time.perf_counter()))
        if message.problems:
            self.say(f"{plural(len(message.problems), 'input problem')}, e.g. {message.problems[0]}", error=True)
        elif self.setup.note:
            self.say(self.setup.note)
        elif not session.findings:
            self.say("nothing to review: the rules find nothing in this corpus")
        elif start is None:
            self.say("every finding has a verdict: w writes the cleaned corpus, q quits")
        elif session.counts[ACCEPTED] + session.counts[REJECTED]:
            self.say(f"resumed at the first undecided finding ({session.counts[PENDING]} left)")
        else:
            self.say("a accept · x reject · e edit · space skip · u undo · / filter · ? help")
        self.update_status()

    # ------------------------------------------------------------ display

    def say(self, text: str, *, error: bool = False) -> None:
        self.last_message = text
        widget = self.query_one("#message", Static)
        widget.update(text)
        widget.set_class(error, "error")

    def update_status(self) -> None:
        s = self.session
        inputs = " ".join(self.setup.inputs)
        if s is None:
            text = f"cleaner review  {inputs}  scanning…"
        else:
            c = s.counts
            narrow = (s.filter or s.by_confidence) and self.size.width < 110
            sep = " │ " if narrow else "  │ "
            view = ""
            if s.filter:
                view += f"{sep}filter {s.filter.text!r}: {len(s.view)} shown"
            if s.by_confidence:
                view += f"{sep}by confidence"
            if narrow:  # the counts as the queue's glyphs, so the view fits
                text = (f"{inputs}  {plural(len(s.findings), 'finding')}: {c[PENDING]}· {c[ACCEPTED]}✓ "
                        f"{c[REJECTED]}✗" + (f" {c[STALE]}!" if c[STALE] else "") + view)
            else:
                text = (
                    f"{inputs}  {plural(len(s.findings), 'finding')}: {c[PENDING]} pending, "
                    f"{c[ACCEPTED]} accepted, {c[REJECTED]} rejected"
                )
                if c[STALE]:
                    text += f", {c[STALE]} stale (document changed: decide again)"
                text += view
            text += f"{sep}{self.setup.reviewer}"
        self.query_one("#status", Static).update(text)

    def on_finding_list_moved(self, message: FindingList.Moved) -> None:
        self.query_one(FindingDetail).show(self.session, message.index)

    def refresh_all(self) -> None:
        self.queue.refresh()
        self.query_one(FindingDetail).show(self.session, self.queue.current)
        self.update_status()

    # ------------------------------------------------------------ verdicts

    def current(self) -> int | None:
        return self.queue.current if self.session is not None else None

    def action_accept(self) -> None:
        self.decide(Verdict.ACCEPTED)

    def action_reject(self) -> None:
        self.decide(Verdict.REJECTED)

    def decide(self, verdict: Verdict, replacement: str | None = None) -> None:
        i = self.current()
        if i is None:
            return
        f = self.session.findings[i]
        self.session.decide([i], verdict, replacement)
        edited = f" as {snippet(replacement, 30)!r}" if replacement is not None else ""
        self.say(f"{verdict.value} {f.code} {snippet(f.original, 40)!r}{edited}")
        self.advance()

    def advance(self) -> None:
        nxt = self.session.next_open(self.queue.cursor)
        if nxt is None:
            self.refresh_all()
            self.say(self.last_message + " · every finding shown has a verdict: w writes, q quits")
        else:
            self.queue.cursor = nxt
            self.refresh_all()

    def action_edit(self) -> None:
        i = self.current()
        if i is None:
            return
        f = self.session.findings[i]
        d = self.session.decision(i)
        current = d.replacement if d is not None and d.replacement is not None else f.replacement

        def done(value: str | None) -> None:
            if value is not None:
                self.decide(Verdict.ACCEPTED, None if value == f.replacement else value)

        self.app.push_screen(EditScreen(f.original, current), done)

    def action_skip(self) -> None:
        if self.current() is not None:
            self.advance()

    def action_next(self) -> None:
        self.action_skip()

    def action_undo(self) -> None:
        if self.session is None:
            return
        step = self.session.undo()
        if step is None:
            self.say("nothing to undo")
            return
        first = step.before[0][0]
        pos = self.session.view_position(first)
        if pos is not None:
            self.queue.cursor = pos
        f = self.session.findings[first]
        more = f" and {len(step.before) - 1} more" if len(step.before) > 1 else ""
        self.say(f"undid {step.label.split()[0]} of {f.code} {snippet(f.original, 40)!r}{more}")
        self.refresh_all()

    def action_bulk(self, accept: bool) -> None:
        i = self.current()
        if i is None:
            return
        s = self.session
        f = s.findings[i]
        targets = s.open_same_change(i)
        verdict = Verdict.ACCEPTED if accept else Verdict.REJECTED
        if not targets:
            self.say("every finding making this change already has a verdict")
            return
        docs = len({s.findings[j].doc for j in targets})
        what = f"{f.code} {snippet(f.original, 50)!r} → " + (
            repr(snippet(f.replacement, 30)) if f.replacement else "delete"
        )

        def done(yes: bool | None) -> None:
            if yes:
                s.decide(targets, verdict)
                self.say(f"{verdict.value} {plural(len(targets), 'finding')}: {what}")
                self.advance()
            else:
                self.say("nothing changed")

        word = "Accept" if accept else "Reject"
        self.app.push_screen(
            ConfirmScreen(
                f"{word} {len(targets)} undecided finding{'s' if len(targets) != 1 else ''} in {docs} "
                f"document{'s' if docs != 1 else ''}?",
                f"{what}\n\n{f.message}",
            ),
            done,
        )

    def action_bulk_view(self, accept: bool) -> None:
        """Accept / reject every finding the view shows (the filter's, or the whole queue), after a confirmation."""
        s = self.session
        if s is None or not s.view:
            return
        verdict = Verdict.ACCEPTED if accept else Verdict.REJECTED
        targets = s.view_targets(verdict)
        if not targets:
            self.say(f"every finding shown is already {verdict.value}")
            return
        statuses = Counter(s.status(i) for i in targets)
        codes = Counter(s.findings[i].code for i in targets)
        left = len(s.view) - len(targets)
        scope = f"the filter {s.filter.text!r} shows" if s.filter else "in the queue (no filter)"
        word = "Accept" if accept else "Reject"
        body = (
            ", ".join(f"{n} {status}" for status, n in sorted(statuses.items()))
            + (f"; {left} already {verdict.value} left as {'it is' if left == 1 else 'they are'}" if left else "")
            + ".\n"
            + ", ".join(f"{c} {n}" for c, n in codes.most_common(8))
            + (f", … {plural(len(codes) - 8, 'more code')}" if len(codes) > 8 else "")
            + "\n\nOne u (undo) takes it all back."
        )

        def done(yes: bool | None) -> None:
            if yes:
                s.decide(targets, verdict)
                self.say(f"{verdict.value} {plural(len(targets), 'finding')} {scope}")
                self.advance()
            else:
                self.say("nothing changed")

        self.app.push_screen(ConfirmScreen(f"{word} {plural(len(targets), 'finding')} {scope}?", body), done)

    def action_sort(self) -> None:
        s = self.session
        if s is None:
            return
        i = self.current()
        s.set_sort(not s.by_confidence)
        pos = s.view_position(i) if i is not None else None
        self.queue.show(s, pos or 0)
        self.say("sorted by confidence, lowest first (s: document order)" if s.by_confidence else "in document order")
        self.refresh_all()

    # ------------------------------------------------------------ filter

    def action_filter(self) -> None:
        if self.session is None:
            return
        box = self.query_one("#filter", Input)
        box.display = True
        box.value = self.session.filter.text
        box.focus()

    def action_close_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if box.display:
            box.display = False
            self.queue.focus()

    @on(Input.Submitted, "#filter")
    def apply_filter(self, event: Input.Submitted) -> None:
        try:
            self.session.set_filter(event.value)
        except ValueError as exc:
            self.say(str(exc), error=True)
            return
        event.input.display = False
        start = self.session.first_open()
        self.queue.show(self.session, start if start is not None else 0)
        self.queue.focus()
        n = len(self.session.view)
        self.say(
            f"filter {event.value.strip()!r}: {n} finding{'s' if n != 1 else ''}"
            if event.value.strip()
            else "filter cleared"
        )
        self.refresh_all()

    # ------------------------------------------------------------ learning

    def action_promote(self) -> None:
        i = self.current()
        if i is None:
            return
        if self.session.status(i) != ACCEPTED:
            self.say("+ promotes an accepted finding: accept it first (a)", error=True)
            return
        self.learn(lambda f: promote(f, self.setup.ruleset.folder, self.session.docs[f.doc].text), i)

    def action_ignore(self) -> None:
        i = self.current()
        if i is None:
            return
        if self.session.status(i) != REJECTED:
            self.say("- ignores a rejected finding in later scans: reject it first (x)", error=True)
            return
        self.learn(lambda f: ignore(f, self.setup.ruleset.folder), i)

    def learn(self, write, i: int) -> None:
        try:
            written = write(self.session.findings[i])
        except LearnError as exc:
            self.say(str(exc), error=True)
            return
        self.say(f"wrote {written}")
        self.notify(written, title="rules file written", timeout=8)

    # ------------------------------------------------------------ output

    def manifest(self) -> dict | None:
        """The output folder's manifest.json (None: never written; {} when unreadable)."""
        try:
            return json.loads((self.setup.out_dir / "manifest.json").read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            return {}

    def manifest_time(self) -> float | None:
        try:
            return (self.setup.out_dir / "manifest.json").stat().st_mtime
        except OSError:
            return None

    def differences(self, before: dict) -> list[str]:
        """How the folder's last write differs from what this session's w writes."""
        out, setup = f"{self.setup.out_dir}/", self.setup
        if not before:
            return [f"{out}manifest.json cannot be read: the folder may not be cleaner's output"]
        found = []
        mode = before.get("mode") or {}
        was = (bool(mode.get("auto")), bool(mode.get("unsafe")), _threshold(mode))
        now = (setup.auto, setup.unsafe, setup.min_confidence if setup.unsafe else 0.0)
        if was != now:
            found.append(f"{out} was written with {mode_name(*was)}; this session writes {mode_name(*now)}.")
        if before.get("inputs") not in (None, setup.inputs):
            found.append(f"{out} holds a cleaned copy of {' '.join(map(str, before['inputs']))}; "
                         f"this session reviews {' '.join(setup.inputs)}.")
        return found

    def action_write(self, then_quit: bool = False) -> None:
        if self.session is None:
            return
        before = self.manifest()
        differences = self.differences(before) if before is not None else []
        if not differences:
            self.start_write(then_quit)
            return
        self.say(f"{self.setup.out_dir}/ was written differently: measuring what w would write …")
        self.plan_write(differences, before, then_quit)

    @work(thread=True, exclusive=True, group="write")
    def plan_write(self, differences: list[str], before: dict, then_quit: bool) -> None:
        summary = self.session.plan(
            auto=self.setup.auto, unsafe=self.setup.unsafe, min_confidence=self.setup.min_confidence
        )
        self.post_message(Planned(summary, differences, before, then_quit))

    def on_planned(self, message: Planned) -> None:
        s, out = message.summary, f"{self.setup.out_dir}/"
        now = sum(s.applied.values())
        totals = (message.before or {}).get("totals") or {}
        had = sum((totals.get("applied") or {}).values())
        body = "\n".join(message.differences) + "\n\n"
        if totals:
            body += f"Now in {out}: {plural(had, 'fix', 'fixes')} in {plural(totals.get('changed', 0), 'document')}.\n"
        body += f"w writes {plural(now, 'fix', 'fixes')} in {plural(s.changed, 'document')}"
        if totals and had > now:
            body += f": {plural(had - now, 'fix', 'fixes')} now in the folder come out"
        body += (".\n\nTo write as before, answer n, quit and run cleaner review (or apply) with the flags it "
                 "was written with.")

        def done(yes: bool | None) -> None:
            if yes:
                self.start_write(message.then_quit)
            else:
                self.say(f"nothing written: {out} is as it was")

        self.app.push_screen(
            ConfirmScreen(f"Rewrite {out} with "
                          f"{mode_name(self.setup.auto, self.setup.unsafe, self.setup.min_confidence)}?", body), done
        )

    def start_write(self, then_quit: bool = False) -> None:
        self.write_started = time.time()
        self.quit_after_write = then_quit
        self.say(f"writing the cleaned corpus into {self.setup.out_dir}/ …")
        self.write_corpus()

    @work(thread=True, exclusive=True, group="write")
    def write_corpus(self) -> None:
        try:
            summary = self.session.write(
                self.setup.out_dir,
                self.setup.options,
                inputs=self.setup.inputs,
                rules_version=self.setup.ruleset.version,
                auto=self.setup.auto,
                unsafe=self.setup.unsafe,
                min_confidence=self.setup.min_confidence,
            )
        except (OSError, ValueError) as exc:
            self.post_message(Written(None, str(exc)))
            return
        self.post_message(Written(summary))

    def on_written(self, message: Written) -> None:
        if message.summary is None:
            self.quit_after_write = False
            self.say(f"not written: {message.error}", error=True)
            return
        self.session.written_at = self.write_started
        s = message.summary
        applied = sum(s.applied.values())
        text = (
            f"wrote {plural(s.documents, 'document')} into {self.setup.out_dir}/: "
            f"{plural(applied, 'fix', 'fixes')} applied in {plural(s.changed, 'document')}, "
            f"{s.rejected} rejected, {s.pending} pending"
        )
        if s.stale:
            text += f", {s.stale} stale ignored"
        self.say(text + " (changes.txt, manifest.json)")
        self.notify(text, title="written", timeout=6)
        if self.quit_after_write:
            self.app.exit()

    # ------------------------------------------------------------ other

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(self.setup.ruleset))

    def action_quit(self) -> None:
        n = self.session.unwritten() if self.session is not None else 0
        if not n:
            self.app.exit()
            return
        out = f"{self.setup.out_dir}/"

        def done(answer: str | None) -> None:
            if answer == "write":
                self.action_write(then_quit=True)
            elif answer == "quit":
                self.app.exit()
            else:
                self.say("still here: w writes the cleaned corpus, q quits")

        self.app.push_screen(
            QuitScreen(
                f"{plural(n, 'accepted fix', 'accepted fixes')} not written to {out} yet",
                f"Every decision is saved in {self.setup.store.path} either way; {out} gets the fixes when it "
                f"is written (w here, or cleaner apply later).",
            ),
            done,
        )
