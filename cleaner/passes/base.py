"""The base class every pass derives from, and the immutable Settings they read."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from cleaner.model import Document, Finding
from cleaner.rules import Rule, RuleSet

if TYPE_CHECKING:  # the first stage (and Hyperscan) is imported when passes are built
    from cleaner.matching import FirstStage, Probe


@dataclass(frozen=True)
class Settings:
    """Options that change what passes find (everything else lives in the rule packs).

    style: house-style profile for the names pass ("ap" by default; "reuters", "bbc", or one
        defined in a pack's `styles`). Turn to another if your publication spells Zelenskiy.
    """

    style: str = "ap"


class Pass:
    """A scan step: built once from its rules, then asked for the findings of one document at a time.

    Corpus-wide passes also implement observe() (per-document statistics, run first over the whole
    corpus) and merge()/prepare() (combine them; associative), and scan() then reads the merged state.
    """

    kinds: ClassVar[frozenset[str]] = frozenset()
    always_run: ClassVar[bool] = False
    corpus_wide: ClassVar[bool] = False

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        self.rules = rules
        self.ruleset = ruleset
        self.settings = settings

    _stage: FirstStage | None = None

    def scan(self, doc: Document) -> Iterable[Finding]:
        raise NotImplementedError

    def probes(self) -> list[Probe]:
        """What the pass asks of the first stage (cleaner/matching.py): one probe per pattern."""
        return []

    @property
    def stage(self) -> FirstStage:
        """The first stage the pass reads candidates from: the one build_passes shares between the
        passes, or the pass's own."""
        if self._stage is None:
            from cleaner.matching import FirstStage

            self._stage = FirstStage(self.probes())
        return self._stage

    @stage.setter
    def stage(self, stage: FirstStage) -> None:
        self._stage = stage

    # corpus-wide passes only
    def observe(self, doc: Document) -> Any:
        return None

    def merge(self, a: Any, b: Any) -> Any:
        return None

    def prepare(self, stats: Any) -> None:
        return None

    def wide_key(self, stats: Any) -> str | None:
        """After prepare(): a digest of what scanning the documents behind `stats` (their observe
        output, merged) reads from the merged statistics; their findings are cached under it. None
        (the default) names the whole corpus's statistics, so any edit anywhere rescans them."""
        return None
