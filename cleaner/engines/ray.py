"""The Ray engine: work units as Ray tasks, on a running cluster (`--ray-address`) or on a local one
started for the run; ray is imported only here (`pip install 'cleaner[ray]'`).

Each map puts its state in the object store once (for the scan: the scanner without its built
passes, and the merged statistics); a worker process reads it on its first task and keeps it for the
others. Items go in batches (about 16 tasks per cluster CPU over a map), at most WINDOW_PER_CPU
tasks per CPU in flight ahead of the one yielded next: results come back in input order, and a slow
task holds up at most that window, whose finished results wait in the object store.

Test hook (for the tests, not a feature): CLEANER_RAY_TEST_HOOK in the driver's environment, read at
each map and sent with its tasks, holds `;`-separated actions applied in the task before each item:
  delay=S              sleep a random 0..S seconds (so tasks finish out of order)
  fail=PHASE:NAME      raise RuntimeError for the unit whose file's display name ends with NAME,
                       in phase `observe` or `scan` (the function's name holds it), every time
  exit=PHASE:NAME:FILE the worker process exits (as if killed) on that unit, once: when FILE does
                       not exist yet (it is created first), so Ray's retry then succeeds
"""

from __future__ import annotations

import logging
import os
import random
import time
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from cleaner.engines import EngineError, Failed

MAX_RETRIES = 3  # Ray runs a task again when its worker process died (killed, out of memory)
WINDOW_PER_CPU = 3  # tasks in flight per cluster CPU: the bound of the reorder window
TASKS_PER_CPU = 16  # items go in batches: about this many tasks per CPU over one map
TEST_HOOK = "CLEANER_RAY_TEST_HOOK"
# set (unless already set) before ray starts: no usage-stats notice; a local cluster (only: a running
# one may require its token) also without token authentication, which would make a token file and
# warn about it. (RAY_BACKEND_LOG_LEVEL is not set: Ray logs a line saying it read it.)
QUIET_ENV = {"RAY_USAGE_STATS_ENABLED": "0"}
LOCAL_ENV = {"RAY_AUTH_MODE": "disabled"}


class RayEngine:
    """Tasks on a Ray cluster: the one at `address` (`auto`: the one running on this machine), else
    a local one started with `jobs` CPUs and shut down by close(). A Ray already initialised in this
    process (by a test, a notebook) is used as it is and left running."""

    remote = True

    def __init__(self, jobs: int, address: str | None = None):
        for key, value in {**QUIET_ENV, **({} if address else LOCAL_ENV)}.items():
            os.environ.setdefault(key, value)
        try:
            import ray
        except ImportError:
            raise EngineError("--engine ray needs ray, which is not installed: pip install 'cleaner[ray]'") from None
        self.ray = ray
        self.started = False
        if not ray.is_initialized():
            quiet = {"log_to_driver": False, "logging_level": logging.ERROR}
            try:
                if address:
                    _reachable(address)
                    ray.init(address=address, **quiet)
                else:  # "local": a new cluster even when one is running here (that one: --ray-address auto)
                    ray.init(address="local", num_cpus=max(1, jobs), include_dashboard=False, **quiet)
            except (ConnectionError, ValueError, RuntimeError) as exc:
                where = f"--ray-address {address}" if address else "--engine ray"
                hint = " (start one with `ray start --head`)" if address else ""
                raise EngineError(f"{where}: cannot start or join a Ray cluster: {_one_line(exc)}{hint}") from None
            self.started = True
        _quiet_error_listener()
        self.cpus = max(1, int(ray.cluster_resources().get("CPU", 1)))
        self.task = ray.remote(max_retries=MAX_RETRIES)(_task)
        self.out_of_order = 0  # tasks that finished before an earlier one did (the window at work)
        self.tasks = 0

    def begin(self, small: bool) -> None:
        pass  # the cluster was asked for: even a small corpus runs on it

    def map(self, fn: Callable[[Any], Any], items: list, state: Any, init: Callable[[Any], None]) -> Iterator:
        if not items:
            return
        context = (fn, init, [self.ray.put(state)], os.environ.get(TEST_HOOK, ""), os.getcwd())
        size = max(1, len(items) // (self.cpus * TASKS_PER_CPU))
        window = max(2, self.cpus * WINDOW_PER_CPU)
        pending: deque = deque()  # (items, task), in input order
        self._latest = 0.0  # when the latest of the tasks yielded so far finished
        try:
            for start in range(0, len(items), size):
                batch = items[start : start + size]
                pending.append((batch, self._submit(context, batch)))
                while len(pending) >= window:
                    yield from self._results(context, *pending.popleft())
            while pending:
                yield from self._results(context, *pending.popleft())
        finally:  # closed early (Ctrl-C, an error): the outstanding tasks are cancelled
            for _, task in pending:
                try:
                    self.ray.cancel(task, force=True)
                except Exception:  # noqa: BLE001 - already finished, or the cluster is going away
                    pass

    def _submit(self, context: tuple, batch: list):
        self.tasks += 1
        fn, init, box, hook, cwd = context
        return self.task.remote(fn, init, box, batch, hook, cwd)

    def _results(self, context: tuple, batch: list, task) -> Iterator:
        """The results of a task's items, in order; an item that failed is tried once more alone."""
        try:
            finished, results = self.ray.get(task)
        except self.ray.exceptions.RayError as exc:  # its worker died every time, or the task raised
            finished, results = self._latest, [Failed(_describe(exc))] * len(batch)
        if finished < self._latest:
            self.out_of_order += 1
        self._latest = max(self._latest, finished)
        for item, result in zip(batch, results, strict=True):
            yield self._again(context, item) if isinstance(result, Failed) else result

    def _again(self, context: tuple, item: Any) -> Any:
        """An item whose task failed, run once more as a task of its own: its result, or a Failed."""
        ray = self.ray
        try:
            _, (result,) = ray.get(self._submit(context, [item]))
        except ray.exceptions.RayError as exc:
            return Failed(f"failed twice on the Ray cluster ({_describe(exc)})")
        if isinstance(result, Failed):
            return Failed(f"failed twice on the Ray cluster ({result.reason})")
        return result

    def close(self) -> None:
        if self.started and self.ray.is_initialized():
            self.ray.shutdown()
        self.started = False


# ---------------------------------------------------------------- in the worker process

_LOADED: dict[str, Any] = {"key": None}  # the state this worker process was given last (its object's id)


def _task(fn: Callable, init: Callable, box: list, items: list, hook: str, cwd: str) -> tuple[float, list]:
    """fn over a batch of items in a Ray worker: (when it finished, the results), an item that raised
    as a Failed. The state is read from the object store once per worker process and map; paths
    are relative to the driver's working folder, the same on every node of a shared file system."""
    import ray

    (ref,) = box
    if _LOADED["key"] != ref.hex():
        init(ray.get(ref))
        _LOADED["key"] = ref.hex()
    if cwd != os.getcwd() and os.path.isdir(cwd):
        os.chdir(cwd)
    results = []
    for item in items:
        try:
            if hook:
                _test_hook(hook, fn, item)
            results.append(fn(item))
        except Exception as exc:  # noqa: BLE001 - reported with the unit's path by the driver
            results.append(Failed(f"{type(exc).__name__}: {_one_line(exc)}"))
    return time.time(), results


def _test_hook(hook: str, fn: Callable, item: Any) -> None:
    """The actions of CLEANER_RAY_TEST_HOOK (see the module's docstring) for one item."""
    unit = item[0] if isinstance(item, tuple) else item
    name = getattr(getattr(unit, "source", None), "display", "")
    for action in filter(None, hook.split(";")):
        kind, _, value = action.partition("=")
        if kind == "delay":
            time.sleep(random.random() * float(value))
            continue
        phase, _, rest = value.partition(":")
        target, _, marker = rest.partition(":")
        if phase not in fn.__name__ or not name.endswith(target):
            continue
        if kind == "fail":
            raise RuntimeError(f"test hook: {phase} fails on {target}")
        if kind == "exit" and not os.path.exists(marker):
            Path(marker).touch()
            os._exit(1)


def _quiet_error_listener() -> None:
    """Ray's driver prints the cluster's errors for the job (a worker that died, before its task is
    retried) on stdout, from a thread of its own, whatever log_to_driver says: there they would land
    among the findings. They are dropped; what fails for good the engine reports itself."""
    import sys

    module = sys.modules.get("ray._private.worker")
    printer = getattr(module, "print_to_stdstream", None)
    if printer is None or getattr(printer, "quiet", False):
        return

    def quiet(data: dict, ignore_prefix: bool) -> None:
        if data.get("pid") != "raylet":  # (the error listener's messages are the raylet's)
            printer(data, ignore_prefix)

    quiet.quiet = True
    module.print_to_stdstream = quiet


def _reachable(address: str) -> None:
    """An address where no Ray cluster answers is refused at once (Ray would retry for minutes): for
    `auto`, the cluster Ray finds on this machine (RAY_ADDRESS or the one it started last); for a
    `host:port`, something must answer there and speak gRPC (Ray's head node does: HTTP/2, whose
    server sends its SETTINGS first). `ray://` addresses are left to Ray."""
    if address == "auto":
        try:
            from ray._private.services import canonicalize_bootstrap_address

            found = canonicalize_bootstrap_address("auto")
        except Exception as exc:  # noqa: BLE001 - Ray says "no running cluster" in its own words
            raise ConnectionError(f"no Ray cluster running on this machine ({_one_line(exc)})") from None
        if not found:
            raise ConnectionError("no Ray cluster running on this machine (start one with: ray start --head)")
        address = found
    host, _, port = address.rpartition(":")
    if "://" in address or not host or not port.isdigit():
        return
    if not _speaks_grpc(host, int(port), address):
        raise ConnectionError(f"what answers at {address} is no Ray cluster (no gRPC server)")


HTTP2_PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"


def _speaks_grpc(host: str, port: int, address: str, timeout: float = 5.0) -> bool:
    """Whether the server at host:port answers the HTTP/2 client preface with a SETTINGS frame."""
    import socket

    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(HTTP2_PREFACE + b"\x00\x00\x00\x04\x00\x00\x00\x00\x00")  # an empty SETTINGS
            head = b""
            while len(head) < 9:
                chunk = sock.recv(9 - len(head))
                if not chunk:
                    return False
                head += chunk
    except OSError as exc:
        if isinstance(exc, TimeoutError | socket.timeout):
            return False
        raise ConnectionError(f"nothing answers at {address} ({exc.strerror or exc})") from None
    return head[3] == 0x04  # frame type SETTINGS


def _describe(exc: BaseException) -> str:
    """A Ray error in one line: the exception a task raised (not Ray's wrapper), or what happened."""
    cause = getattr(exc, "cause", None)
    if isinstance(cause, BaseException):
        return f"{type(cause).__name__}: {_one_line(cause)}"
    return f"{type(exc).__name__}: {_one_line(exc)}"


def _one_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:200]
