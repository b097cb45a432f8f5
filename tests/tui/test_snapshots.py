"""Snapshots of the screens (looked at before being committed: tests/tui/__snapshots__/)."""

from __future__ import annotations

from conftest import make_setup

from cleaner.tui.app import ReviewApp


async def _scanned(pilot) -> None:
    while pilot.app.session is None:
        await pilot.pause(0.02)
    await pilot.pause()


def test_main_screen_80x24(workdir, snap_compare):
    app = ReviewApp(make_setup(workdir))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_scanned, press=["a"])


def test_main_screen_wide(workdir, snap_compare):
    app = ReviewApp(make_setup(workdir))
    assert snap_compare(app, terminal_size=(150, 32), run_before=_scanned, press=["a", "x", "j"])


def test_help_screen(workdir, snap_compare):
    app = ReviewApp(make_setup(workdir))
    assert snap_compare(app, terminal_size=(100, 30), run_before=_scanned, press=["question_mark"])


def test_bulk_confirmation(workdir, snap_compare):
    app = ReviewApp(make_setup(workdir))
    assert snap_compare(app, terminal_size=(80, 24), run_before=_scanned, press=["A"])
