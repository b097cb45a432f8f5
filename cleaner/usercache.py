"""The user's cache folder (~/.cache/cleaner, or $XDG_CACHE_HOME/cleaner): what is slow to build and
the same for every run, such as the compiled first stage and the English word table.

Entries are read whole and written through a temporary file and a rename, so a reader never sees
half an entry; a folder that cannot be written (a read-only home) only means building every time.
"""

from __future__ import annotations

import os
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any


def folder() -> Path:
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(root) / "cleaner"


def remembered(name: str, build: Callable[[], Any], *, dumps: Callable[[Any], bytes] = pickle.dumps,
               loads: Callable[[bytes], Any] = pickle.loads, keep: tuple[str, int] | None = None) -> Any:
    """The value kept under `name`, or build() kept there now (an entry that does not load is built
    again; an exception from build is not kept). keep=(glob, n): then only the n entries of that glob
    used last stay."""
    data = read(name)
    if data is not None:
        try:
            return loads(data)
        except Exception:  # noqa: BLE001 - not a usable entry (damaged, or an older program's): build
            pass
    value = build()
    if write(name, dumps(value)) is not None and keep is not None:
        prune(*keep)
    return value


def read(name: str) -> bytes | None:
    """The entry's bytes, marked as just used, or None when there is none."""
    path = folder() / name
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        os.utime(path)  # recently used: the last a pruning lets go
    except OSError:
        pass
    return data


def write(name: str, data: bytes) -> Path | None:
    """Store an entry; its path, or None when the folder cannot be written."""
    path = folder() / name
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    except OSError:
        return None
    return path


def prune(pattern: str, keep: int) -> None:
    """Remove all but the `keep` most recently used entries whose names match the glob `pattern`."""
    found = []
    for f in folder().glob(pattern):
        try:
            found.append((f.stat().st_mtime, f))
        except OSError:
            continue
    for _, f in sorted(found, reverse=True)[keep:]:
        try:
            f.unlink()
        except OSError:
            pass
