"""Execution engines: an ordered, bounded map over work units, one module each (local worker
processes, Ray); the scan runs on whichever it is given and never knows which."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

ENGINES = ("local", "ray")


class EngineError(Exception):
    """An engine that cannot run (a package not installed, no cluster at the address): one line, exit 2."""


@dataclass(frozen=True)
class Failed:
    """What an engine yields in place of an item's result when its task failed for good (raised
    twice, or its worker died more often than the retries allow); the run reports it and goes on."""

    reason: str  # the error, one line: "ValueError: ..."


class Engine(Protocol):
    """An ordered, bounded map: `map` yields fn(item) for every item, in input order, while a bounded
    number of items is being worked on ahead of the one yielded next; closing the iterator stops
    the work that is still outstanding."""

    # True when tasks run in processes that share neither this one's memory nor its files: the
    # state is sent to them (pickled) and the findings cache stays with the driver
    remote: bool

    def begin(self, small: bool) -> None:
        """Called once before a run's first map: `small` when the corpus is too small for worker
        processes to pay for their start-up (the local engine then works in this process)."""

    def map(self, fn: Callable[[Any], Any], items: list, state: Any, init: Callable[[Any], None]) -> Iterator:
        """fn(item) for each item in input order (or a Failed); init(state) runs once in each worker
        process (for each state) before its first item."""

    def close(self) -> None:
        """Let go of the workers (a cluster this engine started is shut down)."""


def open_engine(name: str, jobs: int, address: str | None = None) -> Engine:
    """The engine called `name` (see ENGINES) with `jobs` workers (Ray: the CPUs of a local cluster
    it starts when there is no address to join)."""
    if name == "ray":
        from cleaner.engines.ray import RayEngine

        return RayEngine(jobs, address)
    if address is not None:
        raise EngineError("--ray-address needs --engine ray")
    from cleaner.engines.local import LocalEngine

    return LocalEngine(jobs)
