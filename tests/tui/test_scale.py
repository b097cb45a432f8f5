"""Review at corpus scale: verdicts on everything a filter shows, sorting by confidence, a filter
that searches the finding's text, and an edit that is always in view at 80x24."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import decisions
from test_app import SIZE, current, ready

from cleaner.corpus import Options, discover, plan
from cleaner.decisions import DecisionStore
from cleaner.review import Session, Setup
from cleaner.rules import load_rules
from cleaner.scan import Scanner
from cleaner.tui.app import ReviewApp
from cleaner.tui.screens.dialogs import ConfirmScreen
from cleaner.tui.widgets.detail import FindingDetail
from cleaner.tui.widgets.queue import middle

SAMPLE = Path(__file__).resolve().parents[2] / "corpus"


async def filter_(app, pilot, text: str) -> list[tuple[str, str]]:
    await pilot.press("slash")
    app.screen.query_one("#filter").value = ""
    await pilot.press(*text, "enter")
    s = app.session
    return [(s.findings[i].doc, s.findings[i].code) for i in s.view]


async def test_filter_words_search_the_text_not_the_rules_message(setup):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert await filter_(app, pilot, "scraper") == []  # BP001's message: "link-back line left by the scraper"
        assert await filter_(app, pilot, "currency") == []  # TY001's message
        assert await filter_(app, pilot, "today") == [("b.txt", "TY001")]  # the line around "$ 5"
        assert await filter_(app, pilot, "junk") == [("c.txt", "TY001")]  # "No junk, but $ 7."
        assert await filter_(app, pilot, "$7") == [("c.txt", "TY001")]  # the replacement
        assert await filter_(app, pilot, "source link") == [("a.txt", "BP001"), ("b.txt", "BP001")]


async def test_accept_everything_the_filter_shows_after_naming_the_count(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await filter_(app, pilot, "code:TY")
        await pilot.press("ctrl+a")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Accept 2 findings the filter 'code:TY' shows?"
        await pilot.press("n")
        assert decisions(workdir) == {}
        await pilot.press("ctrl+a", "y")
        assert len(decisions(workdir)) == 2 and app.session.counts["accepted"] == 2
        await pilot.press("ctrl+x")
        assert app.screen.title_text == "Reject 2 findings the filter 'code:TY' shows?"
        assert str(app.screen.body).startswith("2 accepted.")
        await pilot.press("y")
        assert {d.verdict.value for d in decisions(workdir).values()} == {"rejected"}
        await pilot.press("u")  # one step: both back to accepted
        assert {d.verdict.value for d in decisions(workdir).values()} == {"accepted"}
        await pilot.press("ctrl+a")  # nothing left to accept: no question
        assert not isinstance(app.screen, ConfirmScreen)
        assert "every finding shown is already accepted" in app.screen.last_message
        await filter_(app, pilot, "")
        await pilot.press("ctrl+x")
        assert app.screen.title_text == "Reject 5 findings in the queue (no filter)?"
        assert "2 accepted, 3 pending" in str(app.screen.body)


async def test_sort_by_confidence_toggles_and_keeps_the_cursor(setup):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("j")  # b.txt TY001
        await pilot.press("s")
        s = app.session
        assert [s.findings[i].code for i in s.view][0] == "BP010"  # confidence 0.8 first
        assert (current(app).doc, current(app).code) == ("b.txt", "TY001")
        assert "by confidence" in str(screen.query_one("#status").render())
        await pilot.press("home")
        assert (current(app).doc, current(app).code) == ("b.txt", "BP010")
        await pilot.press("a")
        assert s.status(s.view[0]) == "accepted"
        await pilot.press("s")  # back to document order, still on the finding the cursor is on
        assert s.view == list(range(5)) and not s.by_confidence
        assert app.screen.queue.cursor == s.view_position(app.screen.queue.current)


def test_document_names_are_cut_in_the_middle():
    assert middle("000_6b32ff4da4a937aa.txt", 20) == "000_6b32f…a937aa.txt"
    assert middle("short.txt", 20) == "short.txt"
    name = middle("news/2022/feed.jsonl#record-12345", 16)
    assert len(name) == 16 and name.startswith("news/20") and name.endswith("-12345")


def _visible_context(screen) -> list[str]:
    """The rows of the context that the detail pane shows without scrolling."""
    detail = screen.query_one(FindingDetail)
    ctx = screen.query_one("#context")
    strips = ctx.render_lines(ctx.size.region)
    shown = detail.content_region.bottom - ctx.region.y
    return ["".join(seg.text for seg in strip) for strip in strips[: max(0, shown)]]


async def test_the_edit_is_always_in_view_at_80x24(tmp_path, monkeypatch):
    shutil.copytree(SAMPLE, tmp_path / "corpus")
    monkeypatch.chdir(tmp_path)
    ruleset = load_rules()
    setup = Setup(
        inputs=["corpus"], units=plan(discover(["corpus"])), scanner=Scanner(ruleset), ruleset=ruleset,
        options=Options(), store=DecisionStore(tmp_path / "d.sqlite"), reviewer="t", out_dir=Path("out"),
    )
    app = ReviewApp(setup)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await ready(app, pilot)
        n = len(app.session.findings)
        assert n >= 20
        missing = []
        for pos in [k * (n - 1) // 19 for k in range(20)]:
            screen.queue.cursor = pos
            await pilot.pause()
            rows = _visible_context(screen)
            if not any("[-" in r or "{+" in r for r in rows):
                missing.append((pos, app.session.findings[app.session.view[pos]].code))
        assert missing == []
    setup.store.close()


def test_session_filter_ignores_messages():
    from cleaner.corpus import Loaded, SourceFile, Unit
    from cleaner.model import Applicability, Document, Finding
    from cleaner.scan import ScanResult

    text = "Main Intelligence Directorate said so.\n\nA menu line\n\nIt remains in Kiev.\n"
    doc = Document("x.txt", text, "x.txt")
    f1 = Finding("x.txt", "NM002", "name-fuzzy", 0, 4, "Main", "Malyn", Applicability.UNSAFE, "a name")
    f2 = Finding("x.txt", "BP017", "menu", 40, 52, "A menu line\n", "", Applicability.SAFE,
                 "menu outside the main text")
    source = SourceFile(Path("x.txt"), "x.txt", "x.txt", "text")
    f3 = Finding("x.txt", "NM001", "name-alias", 67, 71, "Kiev", "Kyiv", Applicability.SAFE, "a name")
    findings = {"x.txt": [f1, f2, f3]}
    session = Session([(Unit(source), ScanResult(Loaded(source, [doc]), findings))], {}, reviewer="r")
    session.set_filter("main")  # not BP017 through its message, not NM001 through "remains"
    assert [session.findings[i].code for i in session.view] == ["NM002"]
    session.set_filter("kyi")
    assert [session.findings[i].code for i in session.view] == ["NM001"]
    session.set_filter("intelligence directorate")
    assert [session.findings[i].code for i in session.view] == ["NM002"]
