"""Drive the review app with the Pilot: every key that decides, and what lands in the store and the output."""

from __future__ import annotations

import io
import json
from pathlib import Path

import yaml
from conftest import decisions, make_setup
from rich.console import Console

from cleaner.cli import main
from cleaner.corpus import Options, discover, plan
from cleaner.decisions import DecisionStore
from cleaner.model import Decision, Verdict
from cleaner.rules import load_rules
from cleaner.scan import Scanner, keep, run
from cleaner.tui.app import ReviewApp
from cleaner.tui.screens.dialogs import ConfirmScreen, EditScreen, HelpScreen
from cleaner.tui.screens.review import ReviewScreen

SIZE = (100, 30)


async def ready(app: ReviewApp, pilot) -> ReviewScreen:
    """Wait until the scan worker has posted its session (up to a minute: a scan whose rules' first
    stage is not in the cache folder compiles it first, several seconds on a slow machine)."""
    for _ in range(3000):
        if app.session is not None:
            break
        await pilot.pause(0.02)
    assert app.session is not None, "the scan never finished"
    await pilot.pause()
    return app.screen


def current(app: ReviewApp):
    screen = next(s for s in app.screen_stack if isinstance(s, ReviewScreen))
    return app.session.findings[screen.queue.current]


def verdicts(workdir: Path) -> dict[tuple[str, str], str]:
    """(doc, code) -> verdict, from the store on disk."""
    by_id = {f.id: f for f in _findings(workdir)}
    return {(by_id[i].doc, by_id[i].code): d.verdict.value for i, d in decisions(workdir).items()}


def _findings(workdir: Path):
    ruleset = load_rules(workdir / "rules")
    units = plan(discover(["corpus"]))
    return [f for _u, r, _n in run(Scanner(ruleset), units, Options(), keep) for f in r.all_findings()]


async def test_opens_at_first_finding_and_shows_its_context(setup):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        assert len(app.session.findings) == 5
        assert (current(app).doc, current(app).code) == ("a.txt", "BP001")
        context = str(screen.query_one("#context").render())
        assert "[-Source link⏎" in context
        info = str(screen.query_one("#info").render())
        assert "BP001 source-link" in info and "safe" in info and "1 other finding proposes" in info


async def test_accept_and_reject_are_in_the_store_at_once(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a")
        assert verdicts(workdir) == {("a.txt", "BP001"): "accepted"}  # read from disk while the app runs
        assert (current(app).doc, current(app).code) == ("b.txt", "TY001")
        await pilot.press("x")
        assert verdicts(workdir) == {("a.txt", "BP001"): "accepted", ("b.txt", "TY001"): "rejected"}
        assert app.session.counts["pending"] == 3
        await pilot.press("space")  # skip BP010
        assert (current(app).doc, current(app).code) == ("b.txt", "BP001")
    stored = decisions(workdir)
    assert {d.reviewer for d in stored.values()} == {"tester"}


async def test_edit_accepts_the_edited_replacement_and_write_uses_it(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j")  # b.txt TY001 "$ 5" -> "$5"
        await pilot.press("e")
        assert isinstance(app.screen, EditScreen)
        await pilot.press("backspace", "backspace", *"USD 5", "enter")
        assert not isinstance(app.screen, EditScreen)
        (d,) = decisions(workdir).values()
        assert d.verdict is Verdict.ACCEPTED and d.replacement == "USD 5"
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
    assert (workdir / "reviewed" / "b.txt").read_text() == (
        "Title two\n\nIt cost USD 5 today.\n\nFollow us on Twitter\n\nMore body text.\n\nSource link\n"
    )


async def test_edit_escape_decides_nothing(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("e", "escape")
        assert decisions(workdir) == {}


async def test_undo_is_repeatable_and_reaches_the_store(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "x", "a")
        assert len(decisions(workdir)) == 3
        await pilot.press("u")
        assert set(verdicts(workdir)) == {("a.txt", "BP001"), ("b.txt", "TY001")}
        assert (current(app).doc, current(app).code) == ("b.txt", "BP010")  # back on the undone finding
        await pilot.press("u", "u")
        assert decisions(workdir) == {}
        assert app.session.counts["pending"] == 5
        await pilot.press("u")  # nothing left: harmless
        assert "nothing to undo" in app.screen.last_message


async def test_bulk_accept_asks_first_then_decides_every_same_change(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        await pilot.press("n")
        assert decisions(workdir) == {}
        await pilot.press("A")
        assert isinstance(app.screen, ConfirmScreen)
        assert "Accept 2 undecided findings in 2 documents" in app.screen.title_text
        await pilot.press("y")
        assert verdicts(workdir) == {("a.txt", "BP001"): "accepted", ("b.txt", "BP001"): "accepted"}
        await pilot.press("u")  # one undo takes back the whole bulk verdict
        assert decisions(workdir) == {}


async def test_bulk_reject_leaves_other_changes_alone(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "X", "y")  # "$ 5" -> "$5" is made once; "$ 7" -> "$7" is another change
        assert verdicts(workdir) == {("b.txt", "TY001"): "rejected"}


async def test_filter_by_code_status_document_and_text(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        s = app.session

        async def filter_(text: str) -> list[tuple[str, str]]:
            await pilot.press("slash")
            screen.query_one("#filter").value = ""  # it opens with the filter in use
            await pilot.press(*text, "enter")
            return [(s.findings[i].doc, s.findings[i].code) for i in s.view]

        assert await filter_("code:TY") == [("b.txt", "TY001"), ("c.txt", "TY001")]
        assert (current(app).doc, current(app).code) == ("b.txt", "TY001")
        await pilot.press("a")
        assert await filter_("status:pending TY") == [("c.txt", "TY001")]
        assert await filter_("doc:b.txt") == [("b.txt", "TY001"), ("b.txt", "BP010"), ("b.txt", "BP001")]
        assert await filter_("twitter") == [("b.txt", "BP010")]
        assert await filter_("status:maybe") == [("b.txt", "BP010")]  # refused: the view stays
        assert "unknown status" in screen.last_message
        await pilot.press("escape")
        assert len(await filter_("")) == 5


async def test_write_holds_exactly_the_accepted_fixes(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "x", "a", "a", "x")  # a BP001 ✓, b TY001 ✗, b BP010 ✓, b BP001 ✓, c TY001 ✗
        assert app.session.counts["pending"] == 0
        await pilot.press("w")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "wrote 3 documents" in app.screen.last_message
    out = workdir / "reviewed"
    assert (out / "a.txt").read_text() == "Title one\n\nBody text here.\n\n"
    assert (out / "b.txt").read_text() == "Title two\n\nIt cost $ 5 today.\n\nMore body text.\n\n"
    assert (out / "c.txt").read_text() == "Title three\n\nNo junk, but $ 7.\n"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["totals"]["applied"] == {"BP001": 2, "BP010": 1}
    assert manifest["totals"]["rejected"] == 2
    # `cleaner apply` reads the same store and writes the same corpus
    assert (
        main(
            [
                "apply",
                "corpus",
                "--rules",
                "rules",
                "--out",
                "again",
                "--db",
                str(workdir / ".cleaner" / "decisions.sqlite"),
                "-q",
                "--no-cache",
                "-j",
                "1",
            ]
        )
        == 0
    )
    for name in ("a.txt", "b.txt", "c.txt"):
        assert (workdir / "again" / name).read_text() == (out / name).read_text()


async def test_promote_writes_a_rule_pack_that_checks_and_catches_the_line(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j")  # b.txt BP010 "Follow us on Twitter"
        await pilot.press("plus")
        assert "accept it first" in app.screen.last_message
        assert not (workdir / "rules" / "learned.yaml").exists()
        await pilot.press("a", "k", "plus")
        assert (
            "learned.yaml: BP900 learned-boilerplate-line += 'Follow us on Twitter'"
            in app.screen.last_message
        )
    pack = yaml.safe_load((workdir / "rules" / "learned.yaml").read_text())
    (rule,) = pack["rules"]
    assert (
        rule["code"] == "BP900" and rule["kind"] == "exact-line" and rule["lines"] == ["Follow us on Twitter"]
    )
    assert main(["rules", "check", str(workdir / "rules")]) == 0
    scanner = Scanner(load_rules(workdir / "rules"))
    from cleaner.model import Document

    found = scanner.scan_document(Document("x.txt", "Title\n\nBody text.\n\nFollow us on Twitter\n", "x.txt"))
    assert [f.code for f in found] == ["BP900"]


async def test_promote_refuses_a_line_an_exact_rule_already_has(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "k", "plus")  # a.txt BP001 "Source link"
        assert "BP001 source-link already deletes 'Source link'" in app.screen.last_message
    assert not (workdir / "rules" / "learned.yaml").exists()


async def test_ignore_keeps_a_rejected_finding_out_of_later_scans(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("G", "minus")  # c.txt TY001, not rejected yet
        assert "reject it first" in app.screen.last_message
        await pilot.press("x", "G", "minus")
        assert "ignore TY001 '$ 7' -> '$7' in c.txt" in app.screen.last_message
    pack = yaml.safe_load((workdir / "rules" / "learned.yaml").read_text())
    assert pack["ignore"] == [{"code": "TY001", "original": "$ 7", "replacement": "$7", "doc": "c.txt"}]
    assert main(["rules", "check", str(workdir / "rules")]) == 0
    after = [(f.doc, f.code) for f in _findings(workdir)]
    assert ("c.txt", "TY001") not in after and ("b.txt", "TY001") in after


async def test_reopening_resumes_at_the_first_undecided_finding_and_counts_stale(workdir):
    first = make_setup(workdir)
    findings = [f for _u, r in first.scan()[0] for f in r.all_findings()]
    by = {(f.doc, f.code): f for f in findings}
    a, b_ty = by[("a.txt", "BP001")], by[("b.txt", "TY001")]
    first.store.put(Decision(a.id, a.doc, "0" * 64, Verdict.ACCEPTED, reviewer="old"))  # made on other text
    first.store.put(
        Decision(b_ty.id, "b.txt", _sha(workdir / "corpus" / "b.txt"), Verdict.REJECTED, reviewer="x")
    )
    first.store.close()
    setup = make_setup(workdir)
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        assert app.session.counts["stale"] == 1 and app.session.counts["rejected"] == 1
        assert (current(app).doc, current(app).code) == ("a.txt", "BP001")  # stale: decide again
        assert "1 stale" in str(screen.query_one("#status").render())
        await pilot.press("a")
        assert (current(app).doc, current(app).code) == ("b.txt", "BP010")  # b TY001 already rejected
    setup.store.close()


def _sha(path: Path) -> str:
    from cleaner.model import sha256_text

    return sha256_text(path.read_text(encoding="utf-8"))


async def test_help_lists_the_keys_and_every_rule(setup):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        console = Console(width=200, file=io.StringIO(), record=True)
        console.print(app.screen._keys(), app.screen._rules())
        text = console.export_text()
        assert "undo the last decision" in text
        for code in ("BP001", "BP010", "TY001"):
            assert code in text
        await pilot.press("escape")
        assert isinstance(app.screen, ReviewScreen)


async def test_a_foreign_database_is_refused_and_left_untouched(workdir, capsys):
    db = workdir / "other.sqlite"
    import sqlite3

    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t (x)")
    conn.commit()
    conn.close()
    before = db.read_bytes()
    assert main(["review", "corpus", "--rules", "rules", "--db", str(db)]) == 2
    assert "not cleaner's decision store" in capsys.readouterr().err
    assert db.read_bytes() == before


def test_store_is_closed_cleanly(workdir):
    with DecisionStore(workdir / "x.sqlite") as store:
        assert store.all() == {}
