"""The local engine: work units in worker processes of this machine (multiprocessing), or in this one."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator
from typing import Any


class LocalEngine:
    """`jobs` worker processes (forked where the platform can, so they inherit the prepared passes),
    a pool for each map; with one job, or a small corpus, the items run in this process."""

    remote = False

    def __init__(self, jobs: int = 1):
        self.jobs = max(1, jobs)
        self.inline = self.jobs == 1

    def begin(self, small: bool) -> None:
        self.inline = self.jobs == 1 or small

    def map(self, fn: Callable[[Any], Any], items: list, state: Any, init: Callable[[Any], None]) -> Iterator:
        """fn over items, yielded in order as they are done; the pool ends when the generator closes."""
        if self.inline or len(items) < 2:
            init(state)
            yield from map(fn, items)
            return
        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
        # items per task: many small files go to a worker in batches (fewer round trips), while
        # about 16 tasks per worker keep the load even; imap keeps the results in input order
        chunksize = max(1, len(items) // (self.jobs * 16))
        with ctx.Pool(self.jobs, init, (state,)) as pool:
            yield from pool.imap(fn, items, chunksize=chunksize)

    def close(self) -> None:
        pass
