"""w writes what `cleaner apply` with the same flags writes (asking first when the folder was written
otherwise), q asks about accepted fixes not yet written, and an edit shows in the queue."""

from __future__ import annotations

from pathlib import Path

from conftest import make_setup
from test_app import SIZE, current, ready

from cleaner.cli import main
from cleaner.tui.app import ReviewApp
from cleaner.tui.screens.dialogs import ConfirmScreen, QuitScreen
from cleaner.tui.screens.review import ReviewScreen

NAMES = ("a.txt", "b.txt", "c.txt")


def apply(*flags: str, out: str) -> None:
    assert main(["apply", "corpus", "--rules", "rules", "-q", "--no-cache", "-j", "1", "--out", out, *flags]) in (0,)


def tree(folder: Path) -> dict[str, bytes]:
    return {n: (folder / n).read_bytes() for n in (*NAMES, "changes.txt")}


async def written(app, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()


async def test_edit_shows_in_the_queue_row(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        await pilot.press("j", "e", "backspace", "backspace", *"USD 5", "enter")
        i = app.session.position[next(iter(app.session.decisions))]
        assert "$ 5 → USD 5" in screen.queue.row(i, 80).plain
        await pilot.press("k")
        assert "$ 5 → USD 5" in str(screen.queue.render_line(1).text)  # on screen too


async def test_w_after_apply_auto_asks_then_writes_what_apply_writes(workdir):
    apply("--auto", out="W")
    auto_tree = tree(workdir / "W")
    setup = make_setup(workdir, out_dir=Path("W"))  # the session has no --auto
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("j", "j", "a")  # b.txt BP010, the only accepted finding
        await pilot.press("w")
        await written(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Rewrite W/ with accepted fixes only (no --auto)?"
        body = str(app.screen.body)
        assert "W/ was written with accepted + safe fixes (--auto); this session writes accepted fixes only" in body
        assert "Now in W/: 4 fixes in 3 documents." in body
        assert "w writes 1 fix in 1 document: 3 fixes now in the folder come out." in body
        await pilot.press("n")
        assert "nothing written" in app.screen.last_message
        assert tree(workdir / "W") == auto_tree
        await pilot.press("w")
        await written(app, pilot)
        await pilot.press("y")
        await written(app, pilot)
        assert "wrote 3 documents into W/: 1 fix applied in 1 document" in app.screen.last_message
    setup.store.close()
    apply(out="again")  # apply without --auto, the same store
    assert tree(workdir / "W") == tree(workdir / "again")


async def test_w_with_the_same_flags_writes_at_once_exactly_as_apply(workdir):
    apply("--auto", out="W")
    setup = make_setup(workdir, out_dir=Path("W"), auto=True)
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("x", "j", "j", "a", "w")  # reject a.txt BP001 (safe), accept b.txt BP010 (unsafe)
        await written(app, pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "3 fixes applied in 2 documents" in app.screen.last_message
    setup.store.close()
    apply("--auto", out="again")
    assert tree(workdir / "W") == tree(workdir / "again")


async def test_q_asks_about_unwritten_accepted_fixes(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("x", "q")  # a rejection is nothing to write
        assert not app.is_running or not isinstance(app.screen, QuitScreen)
    app = ReviewApp(make_setup(workdir))
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "q")
        assert isinstance(app.screen, QuitScreen)
        assert app.screen.title_text == "1 accepted fix not written to reviewed/ yet"
        await pilot.press("c")
        assert isinstance(app.screen, ReviewScreen) and app.is_running
        await pilot.press("q", "w")  # write and quit
        await written(app, pilot)
        assert not app.is_running
    assert "It cost $5 today." in (workdir / "reviewed" / "b.txt").read_text()  # b.txt TY001, accepted
    assert "Source link" in (workdir / "reviewed" / "a.txt").read_text()  # rejected in the first session
    app = ReviewApp(make_setup(workdir))
    async with app.run_test(size=SIZE) as pilot:  # reopened: the folder has them, q quits at once
        await ready(app, pilot)
        assert (current(app).doc, current(app).code) == ("b.txt", "BP010")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_q_quit_anyway_keeps_the_decisions(setup, workdir):
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("a", "a", "q")
        assert app.screen.title_text == "2 accepted fixes not written to reviewed/ yet"
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert not (workdir / "reviewed").exists()


async def test_the_store_note_shows_and_old_decisions_get_their_finding_described(workdir):
    from test_app import _findings

    from cleaner.decisions import DecisionStore
    from cleaner.model import Decision, Verdict, sha256_text

    f = _findings(workdir)[0]
    sha = sha256_text((workdir / "corpus" / f.doc).read_text())
    with DecisionStore(workdir / ".cleaner" / "decisions.sqlite") as store:
        store.put(Decision(f.id, f.doc, sha, Verdict.REJECTED, reviewer="old"))  # as a version 1 store held it
    setup = make_setup(workdir, note="moved the decisions in reviewed/decisions.sqlite to .cleaner/decisions.sqlite")
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        assert app.screen.last_message.startswith("moved the decisions in reviewed/decisions.sqlite")
    setup.store.close()
    with DecisionStore(workdir / ".cleaner" / "decisions.sqlite") as store:
        d = store.get(f.id)
    assert (d.code, d.original, d.proposed) == (f.code, f.original, f.replacement)


async def test_w_warns_when_the_folder_was_written_with_another_min_confidence(workdir):
    apply("--unsafe", "--min-confidence", "0.9", out="W")  # BP010 (confidence 0.8) stays out
    setup = make_setup(workdir, out_dir=Path("W"), unsafe=True)  # the session takes every unsafe fix
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        await ready(app, pilot)
        await pilot.press("w")
        await written(app, pilot)
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.title_text == "Rewrite W/ with accepted + unsafe fixes (--unsafe)?"
        body = str(app.screen.body)
        assert ("W/ was written with accepted + unsafe (confidence >= 0.9) fixes (--unsafe --min-confidence 0.9); "
                "this session writes accepted + unsafe fixes (--unsafe).") in body
        assert "Now in W/: 0 fixes in 0 documents." in body and "w writes 1 fix in 1 document" in body
        await pilot.press("n")
    setup.store.close()


async def test_a_manifest_without_min_confidence_reads_as_no_threshold(workdir):
    import json

    apply("--unsafe", out="W")
    manifest = json.loads((workdir / "W" / "manifest.json").read_text())
    del manifest["mode"]["min_confidence"]  # as cleaner wrote it before recording the threshold
    (workdir / "W" / "manifest.json").write_text(json.dumps(manifest))
    setup = make_setup(workdir, out_dir=Path("W"), unsafe=True, min_confidence=0.5)  # 0.8 >= 0.5: the same fixes
    app = ReviewApp(setup)
    async with app.run_test(size=SIZE) as pilot:
        screen = await ready(app, pilot)
        assert screen.differences(manifest) == [
            "W/ was written with accepted + unsafe fixes (--unsafe); this session writes accepted + unsafe "
            "(confidence >= 0.5) fixes (--unsafe --min-confidence 0.5)."
        ]
        setup.min_confidence = 0.0
        assert screen.differences(manifest) == []
    setup.store.close()
