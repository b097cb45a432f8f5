"""Modal dialogs: confirm a bulk verdict, edit a replacement, and the help screen built from the rule registry."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Static

from cleaner.rules import RuleSet


class _ChoiceScreen(ModalScreen):
    """A title, a body and a row of buttons; a button, or its key, dismisses the screen with its answer."""

    BUTTONS: tuple[tuple[str, str, str], ...] = ()  # (label, button id, variant)
    FOCUS = ""  # the id of the button that has the focus when the dialog opens

    def __init__(self, title: str, body: str | Text) -> None:
        super().__init__()
        self.title_text, self.body = title, body

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label(self.title_text, id="dialog-title")
            yield Static(self.body, id="dialog-body")
            with Horizontal(id="dialog-buttons"):
                for label, button_id, variant in self.BUTTONS:
                    yield Button(label, variant=variant, id=button_id)

    def on_mount(self) -> None:
        self.query_one(f"#{self.FOCUS}", Button).focus()

    def answer_of(self, button_id: str | None):
        return button_id

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(self.answer_of(event.button.id))

    def action_answer(self, answer) -> None:
        self.dismiss(answer)


class ConfirmScreen(_ChoiceScreen):
    """Ask yes or no; dismissed with True only on y / Enter on Yes."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n,escape", "answer(False)", "No"),
    ]
    BUTTONS = (("Yes (y)", "yes", "primary"), ("No (n)", "no", "default"))
    FOCUS = "no"

    def answer_of(self, button_id: str | None) -> bool:
        return button_id == "yes"


class QuitScreen(_ChoiceScreen):
    """Quit with accepted fixes not yet written: "write" (then quit), "quit" anyway, or "cancel"."""

    BINDINGS = [
        Binding("w", "answer('write')", "Write and quit"),
        Binding("q", "answer('quit')", "Quit anyway"),
        Binding("c,escape", "answer('cancel')", "Cancel"),
    ]
    BUTTONS = (
        ("Write and quit (w)", "write", "primary"),
        ("Quit anyway (q)", "quit", "error"),
        ("Cancel (c)", "cancel", "default"),
    )
    FOCUS = "cancel"


class EditScreen(ModalScreen[str | None]):
    """Edit the replacement text of a finding: Enter accepts it, Escape cancels (None). ⏎ stands for a line break."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, original: str, replacement: str) -> None:
        super().__init__()
        self.original, self.replacement = original, replacement

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Label("Edit the replacement, Enter to accept it, Escape to cancel", id="dialog-title")
            yield Static(
                Text("replaces: ") + Text(self.original.replace("\n", "⏎"), "bold"), id="dialog-body"
            )
            yield Input(self.replacement.replace("\n", "⏎"), id="edit", select_on_focus=False)

    def on_mount(self) -> None:
        self.query_one(Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.dismiss(event.value.replace("⏎", "\n"))

    def action_cancel(self) -> None:
        self.dismiss(None)


KEYS = [
    ("a", "accept the finding (its fix goes into the cleaned corpus)"),
    ("x", "reject the finding (never applied, also not by apply --auto)"),
    ("e", "edit the replacement, then accept"),
    ("space", "skip: go to the next undecided finding without deciding"),
    ("u", "undo the last decision (repeatable)"),
    ("A / X", "accept / reject every undecided finding making the same change (asks first)"),
    ("ctrl+a / ctrl+x", "accept / reject every finding the filter shows (asks first, naming the count)"),
    ("s", "sort by confidence, lowest first / back to document order"),
    ("j k ↑ ↓", "move; PgUp PgDn Home End jump"),
    ("n", "next undecided finding"),
    ("/", "filter: code:BP0 status:pending doc:004, other words in the finding's text and line; empty clears"),
    ("+", "promote an accepted boilerplate line to a rule in rules/learned.yaml"),
    ("-", "ignore a rejected finding in later scans (rules/learned.yaml)"),
    ("w", "write the cleaned corpus now, as cleaner apply with the same flags (asks first when the folder "
          "was written otherwise)"),
    ("?", "this help"),
    ("q", "quit (every decision is already saved; asks when accepted fixes are not written yet)"),
]


def _shown(folder) -> str:
    """A folder as the user would name it: relative to the current folder when it is under it."""
    try:
        return str(Path(folder).resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, TypeError):
        return str(folder)


class HelpScreen(ModalScreen[None]):
    """The keys, then every rule of the registry: code, name, applicability, message."""

    BINDINGS = [Binding("escape,q,question_mark", "close", "Close")]

    def __init__(self, ruleset: RuleSet) -> None:
        super().__init__()
        self.ruleset = ruleset

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help"):
            yield Label("Keys", classes="help-heading")
            yield Static(self._keys())
            yield Label(
                f"Rules ({len(self.ruleset.rules)}, from {_shown(self.ruleset.folder)}/)",
                classes="help-heading",
            )
            yield Static(self._rules())

    def _keys(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column()
        for key, what in KEYS:
            table.add_row(key, what)
        return table

    def _rules(self) -> Table:
        table = Table.grid(padding=(0, 2))
        table.add_column(style="bold", no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column(no_wrap=True)
        table.add_column()
        for rule in sorted(self.ruleset.rules, key=lambda r: r.code):
            off = "" if rule.enabled else " (off by default)"
            table.add_row(rule.code, rule.name, str(rule.applicability), rule.message + off)
        return table

    def action_close(self) -> None:
        self.dismiss(None)
