"""The review app: a thin App that pushes the review screen."""

from __future__ import annotations

from textual.app import App

from cleaner.review import Setup
from cleaner.tui.screens.review import ReviewScreen


class ReviewApp(App):
    """`cleaner review`: decide on each finding; the decisions go to the store as they are made."""

    CSS_PATH = "review.tcss"
    TITLE = "cleaner review"
    ENABLE_COMMAND_PALETTE = False

    def __init__(self, setup: Setup) -> None:
        super().__init__()
        self.setup = setup
        self.session = None  # set by the review screen when the scan is done

    def on_mount(self) -> None:
        self.push_screen(ReviewScreen(self.setup))
