"""Read a corpus (folders of .txt/.md, single files, JSONL, gzip/zstd-compressed ones, Parquet, a
`datasets` save_to_disk folder of Arrow files) into Documents; write the cleaned copy, in the input's
format, atomically."""

from __future__ import annotations

import json
import os
import re
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from json.decoder import scanstring
from pathlib import Path
from typing import Any

from cleaner.model import Document

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl",)
PARQUET_SUFFIXES = (".parquet",)
ARROW_SUFFIXES = (".arrow",)  # Arrow IPC: the stream files of a `datasets` save_to_disk folder (or IPC files)
# the other files of a save_to_disk folder (a Dataset's state and info, a DatasetDict's list of splits):
# copied unchanged beside the cleaned Arrow files, so the output loads as the input does
DATASET_META = ("state.json", "dataset_info.json", "dataset_dict.json")
BINARY_SNIFF = 8192
# compressed text and JSONL files in these formats are read (x.jsonl.gz, x.txt.zst) and written back
# in the same format; the others are named as such ("not read yet")
READ_COMPRESSION = ("gzip", "zstd")
COMPRESSED_SUFFIXES = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd", ".zip": "zip"}
COMPRESSED_MAGIC = {b"\x1f\x8b": "gzip", b"BZh": "bzip2", b"\xfd7zXZ\x00": "xz", b"(\xb5/\xfd": "zstd",
                    b"PK\x03\x04": "zip"}


class CorpusError(Exception):
    """A path or option that makes the whole run impossible (exit 2)."""


@dataclass(frozen=True)
class Options:
    """How JSONL records are read: which key holds the text, which the id, which the source/site."""

    text_key: str = "text"
    id_key: str = "id"
    source_key: str = "source"


@dataclass
class SourceFile:
    """One input file: where it is, what format, and how it is named in doc ids and output."""

    path: Path  # on disk
    rel: str  # relative to its root, with forward slashes; the output mirrors it
    display: str  # as the user would name it (root as given + rel), for messages
    kind: str  # "text" | "jsonl" | "parquet" | "arrow" | "meta" | "refused" (never opened: `reason` says why)
    reason: str = ""
    compression: str = ""  # "gzip" | "zstd" for a compressed text or JSONL file (read and written so)

    @property
    def companion(self) -> bool:
        """A file copied unchanged beside the corpus files (a datasets folder's state.json), no document
        file of its own: not counted among the files read or written."""
        return self.kind == "meta"


@dataclass(frozen=True)
class Unit:
    """A piece of work for one worker: a whole file, a run of whole lines of a large JSONL file,
    one row group of a Parquet file, or a run of record batches of an Arrow file."""

    source: SourceFile
    part: int = 0  # index of this chunk in its file (of a Parquet file: its row group)
    parts: int = 1  # how many chunks the file was cut into
    start: int = 0  # byte range of the chunk (whole file: 0, None); Arrow: its record batches' indexes
    end: int | None = None
    first_line: int = 1  # line number of the chunk's first line (Parquet: row number, from 1)
    size: int = 0  # bytes, for progress


def plan(files: list[SourceFile], chunk_bytes: int = 1 << 20) -> list[Unit]:
    """Cut the work into units: one per file, large (uncompressed) JSONL files into line-aligned
    chunks, Parquet files into their row groups, Arrow files into runs of record batches of about
    chunk_bytes."""
    units: list[Unit] = []
    for source in files:
        if source.kind == "refused":
            units.append(Unit(source))
            continue
        try:
            size = source.path.stat().st_size
        except OSError:
            size = 0
        if source.kind == "parquet":
            units.extend(_row_group_units(source, size))
            continue
        if source.kind == "arrow":
            units.extend(_batch_units(source, size, chunk_bytes))
            continue
        if source.kind != "jsonl" or source.compression or size <= chunk_bytes:
            units.append(Unit(source, size=size))
            continue
        try:
            pieces = _line_aligned_chunks(source.path, chunk_bytes)
        except OSError:
            pieces = None  # load() reports it
        if pieces is None:  # binary or unreadable: one unit, so load() skips it whole
            units.append(Unit(source, size=size))
            continue
        for k, (a, b, first) in enumerate(pieces):
            units.append(Unit(source, k, len(pieces), a, b, first, b - a))
    return units


def _row_group_units(source: SourceFile, size: int) -> list[Unit]:
    """One unit per row group of a Parquet file (its first row numbered from 1 across the file);
    one unit for the whole file when it has at most one, or when its footer cannot be read
    (load() reports that)."""
    try:
        _, pq = pyarrow_modules()
        with _open_regular(source.path) as fh:
            meta = pq.ParquetFile(fh).metadata
    except Exception:  # noqa: BLE001 - pyarrow raises its own errors for a file that is no Parquet
        return [Unit(source, size=size)]
    if meta.num_row_groups <= 1:
        return [Unit(source, size=size)]
    units: list[Unit] = []
    first = 1
    for k in range(meta.num_row_groups):
        group = meta.row_group(k)
        compressed = sum(group.column(c).total_compressed_size for c in range(group.num_columns))
        units.append(Unit(source, k, meta.num_row_groups, k, None, first, compressed))
        first += group.num_rows
    return units


def _batch_units(source: SourceFile, size: int, chunk_bytes: int) -> list[Unit]:
    """Units of consecutive record batches of an Arrow file, each of at least chunk_bytes (the last
    one aside; its first row numbered from 1 across the file); one unit for the whole file when that
    is all there is, or when it cannot be read (load() reports that)."""
    try:
        with _open_regular(source.path) as fh:
            sizes = [(batch.num_rows, batch.nbytes) for batch in _arrow_reader(fh)[1]]
    except Exception:  # noqa: BLE001 - pyarrow raises its own errors for a file that is no Arrow IPC
        return [Unit(source, size=size)]
    runs: list[tuple[int, int, int, int]] = []  # (first batch, end batch, first row, bytes)
    first_row = 1
    for k, (rows, nbytes) in enumerate(sizes):
        if runs and runs[-1][3] < chunk_bytes:
            a, _, row, total = runs[-1]
            runs[-1] = (a, k + 1, row, total + nbytes)
        else:
            runs.append((k, k + 1, first_row, nbytes))
        first_row += rows
    if len(runs) <= 1:
        return [Unit(source, size=size)]
    return [Unit(source, k, len(runs), a, b, row, nbytes) for k, (a, b, row, nbytes) in enumerate(runs)]


def _line_aligned_chunks(path: Path, chunk_bytes: int) -> list[tuple[int, int, int]] | None:
    """(start, end, first line) of pieces of a little over chunk_bytes, each ending after a line
    break (the last at the end of the file), read a piece at a time: a file of many GB is never
    held whole. None for a binary file."""
    size = path.stat().st_size
    pieces: list[tuple[int, int, int]] = []
    start, line = 0, 1
    with open(path, "rb") as fh:
        if is_binary(fh.read(BINARY_SNIFF)):
            return None
        while start < size:
            end = _after_line_break(fh, start + chunk_bytes, size)
            fh.seek(start)
            pieces.append((start, end, line))
            line += fh.read(end - start).count(b"\n")
            start = end
    return pieces


def _after_line_break(fh, at: int, size: int) -> int:
    """The offset just after the first line break at or after `at`, or the file's size."""
    fh.seek(at)
    while at < size:
        block = fh.read(1 << 16)
        if not block:
            break
        cut = block.find(b"\n")
        if cut != -1:
            return min(at + cut + 1, size)
        at += len(block)
    return size


@dataclass
class Record:
    """One line of a JSONL file: a parsed record with its Document, or a raw line kept as is."""

    raw: str
    data: dict | None = None
    document: Document | None = None


@dataclass
class Loaded:
    """What reading one SourceFile gave: its documents (in order) and, for JSONL, every line; for
    Parquet, the rows read (a pyarrow Table) and the row of each document in it."""

    source: SourceFile
    documents: list[Document] = field(default_factory=list)
    records: list[Record] | None = None  # JSONL only
    skipped: bool = False  # binary or unreadable: nothing to write
    table: Any = None  # Parquet and Arrow only: the unit's rows, every column
    rows: list[int] | None = None  # Parquet and Arrow only: index in `table` of each document
    data: bytes | None = None  # a datasets folder's metadata file (kind "meta"): copied as it is


def decode(data: bytes) -> tuple[str, str]:
    """Decode bytes as UTF-8, falling back to cp1252 and then latin-1; return (text, encoding)."""
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def is_binary(data: bytes) -> bool:
    return b"\x00" in data[:BINARY_SNIFF]


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def escape_name(name: str) -> str:
    """A file name on one line: control characters (a newline in a name) as backslash escapes."""
    if not _CONTROL_RE.search(name):
        return name
    named = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
    return _CONTROL_RE.sub(lambda m: named.get(m.group(), f"\\x{ord(m.group()):02x}"), name)


def _display(arg: str, rel: str, is_file: bool) -> str:
    if is_file:
        return escape_name(arg)
    return escape_name(f"{arg.rstrip('/')}/{rel}" if arg not in (".", "./") else rel)


def _compressed(path: Path) -> str | None:
    """The compression format a corpus file's name says (x.jsonl.gz: gzip), else None."""
    fmt = COMPRESSED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        return None
    inner = Path(path.stem).suffix.lower()
    return fmt if inner in TEXT_SUFFIXES + JSONL_SUFFIXES or fmt == "zip" and inner == "" else None


def _compressed_reason(fmt: str) -> str:
    return f"compressed input ({fmt}) is not read yet; decompress it first"


def pyarrow_modules():
    """(pyarrow, pyarrow.parquet), imported when a Parquet or Arrow file is read (the `parquet` extra)."""
    import pyarrow
    import pyarrow.parquet

    return pyarrow, pyarrow.parquet


def _missing_package(fmt: str) -> str | None:
    """The one line for a file whose format needs a package that is not installed, else None."""
    try:
        if fmt in ("parquet", "arrow"):
            pyarrow_modules()
        elif fmt == "zstd":
            import zstandard  # noqa: F401
    except ImportError:
        if fmt in ("parquet", "arrow"):
            return f"reading {fmt.capitalize()} needs pyarrow, which is not installed: pip install " \
                   "'cleaner[parquet]' (or pip install pyarrow); skipped"
        return "reading zstd needs the zstandard package, which is not installed: pip install zstandard; " \
               "skipped"
    return None


def _format(path: Path) -> tuple[str, str, str] | None:
    """(kind, reason, compression) that a corpus file's name says, or None when it names no
    corpus file: x.txt, x.md, x.jsonl, those compressed with gzip or zstd (x.jsonl.gz, x.txt.zst),
    x.parquet, x.arrow, and the metadata files of a datasets folder (its state.json, dataset_info.json,
    dataset_dict.json: "meta", copied); other compressed corpus files (x.jsonl.bz2, x.zip) and a
    format whose package is missing are refused with their one line."""
    suffix = path.suffix.lower()
    fmt = COMPRESSED_SUFFIXES.get(suffix)
    if fmt is not None:
        inner = Path(path.stem).suffix.lower()
        if fmt in READ_COMPRESSION and inner in TEXT_SUFFIXES + JSONL_SUFFIXES:
            missing = _missing_package(fmt)
            if missing is not None:
                return "refused", missing, fmt
            return ("jsonl" if inner in JSONL_SUFFIXES else "text"), "", fmt
        if _compressed(path) is not None:
            return "refused", _compressed_reason(fmt), fmt
        return None
    if suffix in TEXT_SUFFIXES:
        return "text", "", ""
    if suffix in JSONL_SUFFIXES:
        return "jsonl", "", ""
    if suffix in PARQUET_SUFFIXES + ARROW_SUFFIXES:
        kind = "parquet" if suffix in PARQUET_SUFFIXES else "arrow"
        missing = _missing_package(kind)
        return ("refused", missing, "") if missing is not None else (kind, "", "")
    if _dataset_meta(path):
        return ("meta", "", "") if _missing_package("arrow") is None else None  # (its Arrow files: refused)
    return None


def _dataset_meta(path: Path) -> bool:
    """Whether a file is the metadata of a datasets save_to_disk folder: a Dataset's state.json and
    dataset_info.json (beside a state.json), a DatasetDict's dataset_dict.json."""
    name = path.name
    return name == "dataset_dict.json" or name in DATASET_META and (path.parent / "state.json").is_file()


def _special_kind(mode: int) -> str | None:
    """What a file that is neither a regular file nor a folder is (never opened: a FIFO would block)."""
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISSOCK, "a socket"), (stat.S_ISCHR, "a device"),
                       (stat.S_ISBLK, "a device")):
        if test(mode):
            return name
    return None


def _within(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _folder_entry(f: Path, root: Path, root_resolved: Path) -> tuple[str, str, str] | None:
    """(kind, reason, compression) of one entry found in an input folder, or None when it is no input at all.

    A symlink is followed only when it stays inside the folder; FIFOs, sockets and devices are
    refused without being opened; compressed corpus files are named as such."""
    try:
        lst = f.lstat()
    except OSError:
        return None
    if stat.S_ISLNK(lst.st_mode):
        try:
            target = f.resolve(strict=True)
            st = target.stat()
        except (OSError, RuntimeError):
            return ("refused", "broken symlink; skipped", "") if _wanted(f) else None
        if not _within(target, root_resolved):
            what = "folder" if stat.S_ISDIR(st.st_mode) else "file"
            if what == "file" and not _wanted(f):
                return None
            return "refused", f"symlink to a {what} outside the corpus ({target}); not followed, skipped", ""
        if stat.S_ISDIR(st.st_mode):
            return None  # a folder of the corpus itself: its files are read where they are
    else:
        st = lst
    special = _special_kind(st.st_mode)
    if special is not None:
        return "refused", f"{special}, not a regular file; skipped", ""
    if not stat.S_ISREG(st.st_mode):
        return None
    return _format(f)


def _wanted(f: Path) -> bool:
    """Whether a folder entry's name says it is corpus input (plain, compressed or Parquet)."""
    suffixes = TEXT_SUFFIXES + JSONL_SUFFIXES + PARQUET_SUFFIXES + ARROW_SUFFIXES
    return f.suffix.lower() in suffixes or _compressed(f) is not None or _dataset_meta(f)


def discover(paths: list[str]) -> list[SourceFile]:
    """List the input files under each path (recursive, sorted); refuse a path that does not exist."""
    files: list[SourceFile] = []
    seen: set[str] = set()
    for arg in paths:
        p = Path(arg)
        if not p.exists():
            raise CorpusError(f"{escape_name(arg)}: no such file or folder")
        mode = p.stat().st_mode
        if stat.S_ISREG(mode):
            # a file named on the command line is read whatever its name (text unless it says otherwise)
            kind, reason, compression = _format(p) or (
                ("jsonl" if p.suffix.lower() in JSONL_SUFFIXES else "text"), "", "")
            fmt = None if kind in ("refused", "parquet", "arrow", "meta") or compression else (
                COMPRESSED_SUFFIXES.get(p.suffix.lower()) or _magic(p))
            if fmt is not None:
                kind, reason = "refused", _compressed_reason(fmt)
            candidates = [(p, p.name, True, kind, reason, compression)]
        elif not stat.S_ISDIR(mode):
            candidates = [(p, p.name, True, "refused", f"{_special_kind(mode) or 'not a regular file'}, "
                                                       "not a file or folder to read; skipped", "")]
        else:
            candidates = []
            root_resolved = p.resolve()
            for f in sorted(p.rglob("*")):
                rel_parts = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel_parts):
                    continue
                entry = _folder_entry(f, p, root_resolved)
                if entry is not None:
                    candidates.append((f, _rel(f, p), False, *entry))
        for f, rel, is_file, kind, reason, compression in candidates:
            if rel in seen:
                raise CorpusError(f"{escape_name(arg)}: '{escape_name(rel)}' is also in another input path; "
                                  "give one root at a time")
            seen.add(rel)
            files.append(SourceFile(f, rel, _display(arg, rel, is_file), kind, reason, compression))
    return files


def _magic(path: Path) -> str | None:
    """The compression format a regular file's first bytes show, else None."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return None
    return next((fmt for magic, fmt in COMPRESSED_MAGIC.items() if head.startswith(magic)), None)


class _open_regular:
    """A regular file opened for reading in binary (as _read_regular checks it), for pyarrow."""

    def __init__(self, path: Path):
        self.path = path
        self.fh = None

    def __enter__(self):
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)
        try:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise OSError(0, "not a regular file")
            os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
        self.fh = os.fdopen(fd, "rb")
        return self.fh

    def __exit__(self, *exc) -> None:
        self.fh.close()


def _read_regular(path: Path, start: int = 0, length: int | None = None) -> bytes:
    """The bytes of a regular file. Anything else (a FIFO put in its place since discover) raises
    OSError without blocking: opened with O_NONBLOCK and checked with fstat before reading."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(0, "not a regular file")
        os.set_blocking(fd, True)
        with os.fdopen(fd, "rb", closefd=False) as fh:
            fh.seek(start)
            return fh.read() if length is None else fh.read(length)
    finally:
        os.close(fd)


def load(
    source: SourceFile, options: Options, problems: list[str], unit: Unit | None = None,
    taken: dict[str, int] | None = None,
) -> Loaded:
    """Read one file (or one unit of it) into Documents; bad input goes to `problems`, one line each.

    `taken`: record names that earlier chunks of the same JSONL file gave (name -> line), so a record
    repeating one of their ids is renamed as it would be within one chunk.
    """
    loaded = Loaded(source)
    first_line = unit.first_line if unit is not None else 1
    if source.kind == "refused":
        problems.append(f"{source.display}: {source.reason}")
        loaded.skipped = True
        return loaded
    if source.kind == "parquet":
        return _load_parquet(loaded, options, problems, unit, taken)
    if source.kind == "arrow":
        return _load_arrow(loaded, options, problems, unit, taken)
    try:
        if unit is None or unit.parts == 1:
            data = _read_regular(source.path)
        else:
            data = _read_regular(source.path, unit.start, unit.end - unit.start)
    except OSError as exc:
        problems.append(f"{source.display}: cannot read ({exc.strerror}); skipped")
        loaded.skipped = True
        return loaded
    if source.kind == "meta":
        loaded.data = data
        return loaded
    if source.compression:  # a compressed file is one unit: decompressed whole, then read as plain
        try:
            data = decompress(data, source.compression)
        except Exception as exc:  # noqa: BLE001 - gzip, zlib and zstandard each raise their own
            message = str(exc).splitlines()[0][:100] if str(exc) else type(exc).__name__
            problems.append(f"{source.display}: cannot decompress ({source.compression}: {message}); skipped")
            loaded.skipped = True
            return loaded
    if (unit is None or unit.part == 0) and is_binary(data):
        fmt = next((fmt for magic, fmt in COMPRESSED_MAGIC.items() if data.startswith(magic)), None)
        if fmt is not None:
            problems.append(f"{source.display}: {_compressed_reason(fmt)}")
        else:
            problems.append(f"{source.display}: binary file (NUL bytes); skipped")
        loaded.skipped = True
        return loaded
    if source.kind == "text":
        text, encoding = decode(data)
        if encoding != "utf-8":
            problems.append(f"{source.display}: not valid UTF-8; decoded as {encoding}")
        loaded.documents.append(Document(source.rel, text, source.rel, _source_of(source.rel), encoding))
        return loaded
    loaded.records = []
    taken = dict(taken) if taken else {}  # doc -> line, so two records with one id keep their own text
    missing = MissingField(source.display, options.text_key)
    for number, raw_bytes in enumerate(split_jsonl_lines(data), start=first_line):
        text_line, encoding = decode(raw_bytes)
        # the raw line round-trips byte for byte (written back with errors="surrogateescape")
        raw = text_line if encoding == "utf-8" else raw_bytes.decode("utf-8", "surrogateescape")
        record = Record(raw)
        loaded.records.append(record)
        body = text_line.strip().lstrip("\ufeff")  # a byte-order mark at the start of the file is no JSON
        if not body:
            continue
        where = f"{source.display}:{number}"
        if encoding != "utf-8":
            problems.append(f"{where}: not valid UTF-8; decoded as {encoding}")
        try:
            obj = _parse_record(body)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: malformed JSON ({exc.msg}); copied unchanged")
            continue
        except (ValueError, RecursionError) as exc:
            problems.append(f"{where}: unreadable JSON ({str(exc).splitlines()[0][:80]}); copied unchanged")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: expected a JSON object, got {type(obj).__name__}; copied unchanged")
            continue
        missing.records += 1
        text = obj.get(options.text_key)
        if not isinstance(text, str):
            missing.add(number, obj)
            continue
        ident = obj.get(options.id_key)
        doc = f"{source.rel}#{ident}" if ident not in (None, "") else f"{source.rel}#{number}"
        if doc in taken:
            renamed = f"{source.rel}#{number}" if f"{source.rel}#{number}" not in taken else f"{doc}#{number}"
            what = f"duplicate id {ident!r}" if ident not in (None, "") else f"the name {doc} is taken"
            problems.append(f"{where}: {what} (also on line {taken[doc]}); this record is named {renamed}")
            doc = renamed
        taken[doc] = number
        site = obj.get(options.source_key)
        document = Document(doc, text, source.rel, site if isinstance(site, str) else "", encoding)
        record.data, record.document = obj, document
        loaded.documents.append(document)
    if missing.count:
        problems.append(missing.problem())
    return loaded


def decompress(data: bytes, fmt: str) -> bytes:
    """The content of a gzip file (every member) or a zstd file (every frame, with or without
    their sizes in the header)."""
    if fmt == "gzip":
        import gzip

        return gzip.decompress(data)
    import io

    import zstandard

    with zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
        return reader.read()


def compress(data: bytes, fmt: str) -> bytes:
    """data compressed as `fmt`; the same bytes every run (gzip: no time stamp, no file name)."""
    if fmt == "gzip":
        import gzip

        return gzip.compress(data, compresslevel=6, mtime=0)
    import zstandard

    return zstandard.ZstdCompressor(level=3).compress(data)


def _load_parquet(loaded: Loaded, options: Options, problems: list[str], unit: Unit | None,
                  taken: dict[str, int] | None) -> Loaded:
    """One row group of a Parquet file (the whole file without a unit, or when it has at most
    one): every column kept (the output writes them back), a document for each row whose text
    column holds a string. Named like JSONL records: `file#id`, or `file#row` (from 1)."""
    source = loaded.source
    pa, pq = pyarrow_modules()
    try:
        with _open_regular(source.path) as fh:
            parquet = pq.ParquetFile(fh)
            whole = unit is None or unit.parts == 1
            table = parquet.read() if whole else parquet.read_row_group(unit.part)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid and others for a bad file
        return _unreadable(loaded, problems, "Parquet", exc)
    return _table_documents(loaded, table, options, problems, unit, taken)


def _unreadable(loaded: Loaded, problems: list[str], fmt: str, exc: Exception) -> Loaded:
    message = (getattr(exc, "strerror", None) or str(exc) or type(exc).__name__).splitlines()[0][:100]
    problems.append(f"{loaded.source.display}: cannot read {fmt} ({message}); skipped")
    loaded.skipped = True
    return loaded


def _arrow_reader(fh) -> tuple[Any, Iterator]:
    """(schema, record batches) of an Arrow IPC stream (what `datasets` writes) or IPC file, memory-
    mapped from an open file: batches are read without copying, and skipped ones are never read."""
    import mmap

    pa, _ = pyarrow_modules()
    size = os.fstat(fh.fileno()).st_size
    buffer = pa.py_buffer(mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)) if size else pa.py_buffer(b"")
    if buffer.size >= 6 and buffer[:6].to_pybytes() == b"ARROW1":
        reader = pa.ipc.open_file(buffer)
        return reader.schema, (reader.get_batch(k) for k in range(reader.num_record_batches))
    reader = pa.ipc.open_stream(buffer)
    return reader.schema, iter(reader)


def _arrow_is_file(path: Path) -> bool:
    """Whether an Arrow file is in the IPC file format (else the stream format)."""
    try:
        return _read_regular(path, 0, 6) == b"ARROW1"
    except OSError:
        return False


def _load_arrow(loaded: Loaded, options: Options, problems: list[str], unit: Unit | None,
                taken: dict[str, int] | None) -> Loaded:
    """The record batches of an Arrow file that a unit names (every batch without a unit, or when
    the file is one unit), every column kept; documents as for Parquet."""
    pa, _ = pyarrow_modules()
    whole = unit is None or unit.parts == 1
    try:
        with _open_regular(loaded.source.path) as fh:
            schema, batches = _arrow_reader(fh)
            if whole:
                chosen = list(batches)
            else:
                chosen = [b for k, b in enumerate(batches) if unit.start <= k < unit.end]
            table = pa.Table.from_batches(chosen, schema=schema)
    except Exception as exc:  # noqa: BLE001 - pyarrow raises ArrowInvalid and others for a bad file
        return _unreadable(loaded, problems, "Arrow", exc)
    return _table_documents(loaded, table, options, problems, unit, taken)


def _table_documents(loaded: Loaded, table, options: Options, problems: list[str], unit: Unit | None,
                     taken: dict[str, int] | None) -> Loaded:
    """A document for each row of a unit's table (Parquet, Arrow) whose text column holds a string.
    Named like JSONL records: `file#id`, or `file#row` (from 1)."""
    source = loaded.source
    loaded.table, loaded.rows = table, []
    schema = table.schema
    column = _text_column(schema, options.text_key)
    if isinstance(column, str):
        if unit is None or unit.part == 0:  # one line a file, not one a row group
            problems.append(f"{source.display}: {column}; copied unchanged, use --text-key")
        return loaded
    first = unit.first_line if unit is not None else 1
    texts = _column_values(table, column)
    ids = _column_values(table, schema.get_field_index(options.id_key))
    sites = _column_values(table, schema.get_field_index(options.source_key))
    taken = dict(taken) if taken else {}
    for k, text in enumerate(texts):
        if not isinstance(text, str):  # a null: no text, kept as it is
            continue
        number = first + k
        ident = ids[k] if ids is not None else None
        doc = f"{source.rel}#{ident}" if ident not in (None, "") else f"{source.rel}#{number}"
        if doc in taken:
            renamed = f"{source.rel}#{number}" if f"{source.rel}#{number}" not in taken else f"{doc}#{number}"
            what = f"duplicate id {ident!r}" if ident not in (None, "") else f"the name {doc} is taken"
            problems.append(f"{source.display}: row {number}: {what} (also row {taken[doc]}); "
                            f"this record is named {renamed}")
            doc = renamed
        taken[doc] = number
        site = sites[k] if sites is not None else None
        site = site if isinstance(site, str) else ""
        loaded.documents.append(Document(doc, text, source.rel, site, "utf-8"))
        loaded.rows.append(k)
    return loaded


def _is_string_type(pa, kind) -> bool:
    types = pa.types
    if types.is_dictionary(kind):
        kind = kind.value_type
    return types.is_string(kind) or types.is_large_string(kind) or (
        hasattr(types, "is_string_view") and types.is_string_view(kind))


def _text_column(schema, key: str) -> int | str:
    """The index of the text column, or the one line saying why there is none."""
    pa, _ = pyarrow_modules()
    found = schema.get_all_field_indices(key)
    columns = ", ".join(f"{escape_name(f.name)} ({f.type})" for f in list(schema)[:12]) + (
        ", ..." if len(schema) > 12 else "")
    if not found:
        return f"no column '{escape_name(key)}' (columns: {columns or 'none'})"
    if len(found) > 1:
        return f"{len(found)} columns named '{escape_name(key)}' (columns: {columns})"
    kind = schema.field(found[0]).type
    if not _is_string_type(pa, kind):
        return f"column '{escape_name(key)}' is {kind}, not a string column (columns: {columns})"
    return found[0]


def _column_values(table, index: int) -> list | None:
    """The Python values of a column (None when there is no such column, index -1)."""
    return table.column(index).to_pylist() if index >= 0 else None


class RawNumber(str):
    """A JSON number kept as its literal (one Python's int() would refuse: thousands of digits)."""


def _big_int(literal: str) -> int | str:
    return int(literal) if len(literal) < 4000 else RawNumber(literal)


_TOLERANT = json.JSONDecoder(parse_int=_big_int)  # as json.loads, but no digit limit
# only finds where values end: numbers and constants are kept as their literals
_VERBATIM = json.JSONDecoder(parse_int=str, parse_float=str, parse_constant=str)
_WS = re.compile(r"[ \t\n\r]*")


def _parse_record(body: str):
    try:
        return json.loads(body)
    except json.JSONDecodeError:
        raise
    except ValueError:  # an integer longer than int() reads (sys.set_int_max_str_digits)
        return _TOLERANT.decode(body)


def value_span(line: str, key: str) -> tuple[int, int] | None:
    """Where the value of top-level `key` (the last one, as json.loads keeps) lies in a JSONL line
    holding one object, or None; the rest of the line can then be kept byte for byte."""
    ws = _WS.match
    i = ws(line).end()
    if line.startswith("\ufeff", i):
        i = ws(line, i + 1).end()
    if not line.startswith("{", i):
        return None
    i = ws(line, i + 1).end()
    found = None
    try:
        while line.startswith('"', i):
            name, i = scanstring(line, i + 1)
            i = ws(line, i).end()
            if not line.startswith(":", i):
                return None
            i = ws(line, i + 1).end()
            _, end = _VERBATIM.raw_decode(line, i)
            if name == key:
                found = (i, end)
            i = ws(line, end).end()
            if line.startswith(",", i):
                i = ws(line, i + 1).end()
                continue
            return found if line.startswith("}", i) else None
    except (ValueError, RecursionError):
        return None
    return None


class MissingField:
    """JSONL records without the text field, counted per file: one line for all of them (a wrong
    --text-key), not one a record."""

    def __init__(self, display: str, key: str):
        self.display, self.key = display, key
        self.count = 0
        self.first = 0
        self.records = 0
        self.fields: dict[str, None] = {}

    def add(self, number: int, obj: dict) -> None:
        self.count += 1
        self.first = self.first or number
        for name in obj:
            if len(self.fields) < 12:
                self.fields.setdefault(str(name), None)

    def problem(self) -> FieldProblem:
        return FieldProblem.make(
            self.display, self.key, self.count, self.records, self.first, list(self.fields))


class FieldProblem(str):
    """The problem line of records without the text field; lines of one file's chunks are merged
    into one (merge_problems)."""

    display: str
    key: str
    count: int
    records: int
    first: int
    fields: list[str]

    @classmethod
    def make(
        cls, display: str, key: str, count: int, records: int, first: int, fields: list[str]
    ) -> FieldProblem:
        shown = ", ".join(escape_name(f) for f in fields[:10]) + (", ..." if len(fields) > 10 else "")
        if count == 1:
            text = f"{display}:{first}: no string field '{key}'; copied unchanged"
        elif count == records:
            text = (f"{display}: no string field '{key}' in any of its {count:,} records "
                    f"(fields: {shown or 'none'}); copied unchanged, use --text-key")
        else:
            text = (f"{display}: no string field '{key}' in {count:,} of {records:,} records, "
                    f"first on line {first} (fields: {shown or 'none'}); copied unchanged")
        line = cls(text)
        line.display, line.key, line.count, line.records, line.first, line.fields = (
            display, key, count, records, first, fields)
        return line

    def __reduce__(self):
        fields = (self.display, self.key, self.count, self.records, self.first, self.fields)
        return (FieldProblem.make, fields)


def merge_problems(problems: list[str]) -> list[str]:
    """The problem lines to show: those of one file's missing text field (from several chunks) as one."""
    merged: list[str] = []
    at: dict[tuple[str, str], int] = {}
    for p in problems:
        if isinstance(p, FieldProblem):
            key = (p.display, p.key)
            if key in at:
                q = merged[at[key]]
                fields = list(dict.fromkeys(q.fields + p.fields))
                merged[at[key]] = FieldProblem.make(
                    q.display, q.key, q.count + p.count, q.records + p.records, q.first or p.first, fields)
                continue
            at[key] = len(merged)
        merged.append(p)
    return merged


def record_names(loaded: Loaded, unit: Unit) -> list[tuple[str, int]]:
    """(document name, line number) of each record of a JSONL unit that became a document (of a
    Parquet unit: row number)."""
    if loaded.rows is not None:
        pairs = zip(loaded.documents, loaded.rows, strict=True)
        return [(document.doc, unit.first_line + k) for document, k in pairs]
    return [
        (record.document.doc, unit.first_line + k)
        for k, record in enumerate(loaded.records or [])
        if record.document is not None
    ]


def split_jsonl_lines(data: bytes) -> list[bytes]:
    """Lines of a JSONL file with their endings; only \n ends a line, as plan() counts them."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def _source_of(rel: str) -> str:
    """The folder a text file sits in is its source (site) for corpus-wide statistics."""
    return rel.rpartition("/")[0]


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_umask()


STAGING = ".cleaner-partial"  # hidden folder of an output folder where files are written before the rename


def atomic_write(path: Path, text: str | bytes | Callable[[Any], None], errors: str = "surrogateescape",
                 staging: Path | None = None) -> None:
    """Write text as UTF-8 through a temporary file and a rename; a write that fails raises CorpusError.

    bytes are written as they are; a callable is given the temporary file (binary) to write into.

    The temporary file is in the same folder, or in `staging` (a hidden folder of the output
    folder, cleared by clear_staging: a run killed with -9 leaves no temporary file among the
    outputs, at most one in there). errors="surrogateescape" writes back the raw bytes of lines
    that were kept as they were read.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if staging is not None:
            if staging.is_symlink():  # it could lead anywhere, the input included
                raise CorpusError(
                    f"{escape_name(str(staging))}: a symlink inside the output folder; remove it")
            staging.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=staging or path.parent)
    except OSError as exc:
        raise CorpusError(f"{escape_name(str(path))}: cannot write ({exc.strerror or exc})") from None
    try:
        os.fchmod(fd, FILE_MODE)
        if isinstance(text, str):
            with os.fdopen(fd, "w", encoding="utf-8", errors=errors, newline="") as fh:
                fh.write(text)
        else:
            with os.fdopen(fd, "wb") as fh:
                text(fh) if callable(text) else fh.write(text)
        os.replace(tmp, path)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise CorpusError(f"{escape_name(str(path))}: cannot write ({exc.strerror or exc})") from None
        raise


def glob_escape(name: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", name)


class AtomicOutput:
    """A text file written in full or not at all: a hidden temporary file beside it, renamed into
    place when the block ends without an error (removed otherwise). A missing folder is created.
    A path that is no regular file (/dev/null, /dev/stdout, a FIFO) is written to as it is: renaming
    a file over it would replace the device (as root, /dev/null itself)."""

    def __init__(self, path: Path, errors: str = "backslashreplace"):
        self.path, self.errors = path, errors
        self.tmp: str | None = None
        self.fh = None

    def __enter__(self):
        if self.path.exists() and not self.path.is_file():
            try:
                self.fh = open(self.path, "w", encoding="utf-8", errors=self.errors)  # noqa: SIM115
            except OSError as exc:
                raise CorpusError(
                    f"{escape_name(str(self.path))}: cannot write ({exc.strerror or exc})") from None
            return self.fh
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            for stale in self.path.parent.glob(f".{glob_escape(self.path.name)}.*.tmp"):  # a killed run's
                if stale.is_file() and not stale.is_symlink():
                    stale.unlink()
            fd, self.tmp = tempfile.mkstemp(prefix=f".{self.path.name}.", suffix=".tmp", dir=self.path.parent)
        except OSError as exc:
            raise CorpusError(
                f"{escape_name(str(self.path))}: cannot write ({exc.strerror or exc})") from None
        os.fchmod(fd, FILE_MODE)
        self.fh = os.fdopen(fd, "w", encoding="utf-8", errors=self.errors)
        return self.fh

    def __exit__(self, kind, exc, tb) -> None:
        try:
            self.fh.close()
            if kind is None and self.tmp is not None:
                os.replace(self.tmp, self.path)
                self.tmp = None
        except OSError as error:
            raise CorpusError(
                f"{escape_name(str(self.path))}: cannot write ({error.strerror or error})") from None
        finally:
            if self.tmp is not None:
                try:
                    os.unlink(self.tmp)
                except OSError:
                    pass


def clear_staging(staging: Path) -> None:
    """Remove the staging folder and the temporary files an interrupted run left in it."""
    if staging.is_symlink():
        return  # never followed (atomic_write refuses it)
    try:
        entries = list(staging.iterdir())
    except OSError:
        return
    for entry in entries:
        if entry.name.endswith(".tmp") and not entry.is_symlink() and entry.is_file():
            try:
                entry.unlink()
            except OSError:
                pass
    try:
        staging.rmdir()
    except OSError:
        pass


def output_path(out: Path, rel: str) -> Path:
    """out/rel, refused (CorpusError) when a folder on the way is a symlink: writing through it
    could land anywhere, the input corpus included."""
    target = out
    for part in Path(rel).parts[:-1]:
        target = target / part
        if target.is_symlink():
            raise CorpusError(f"{escape_name(str(target))}: a symlink inside the output folder; "
                              f"{escape_name(rel)} not written (remove the link)")
    return out / rel


def render(loaded: Loaded, cleaned: dict[str, str], options: Options):
    """The output of a unit: the cleaned text, or every JSONL line with its text field replaced (a
    str; bytes, compressed as the input, for a compressed file); for Parquet and Arrow the unit's
    rows (a pyarrow Table) with only the text column's values replaced; a datasets folder's metadata
    file as it was read. output_file() makes the file of its units' outputs."""
    if loaded.data is not None:
        return loaded.data
    if loaded.table is not None:
        return _render_table(loaded, cleaned, options)
    text = _render_text(loaded, cleaned, options)
    if loaded.source.compression:
        return compress(text.encode("utf-8", "surrogateescape"), loaded.source.compression)
    return text


def output_file(source: SourceFile, parts: list) -> str | bytes | Callable[[Any], None]:
    """What atomic_write writes for a file from the outputs of its units, in order: the text
    joined, or a writer of the Parquet file (one row group a unit, the input's schema and codecs) or
    of the Arrow file (the input's schema, IPC format and record batches)."""
    if source.kind == "parquet":
        return lambda fh: _write_parquet(source, parts, fh)
    if source.kind == "arrow":
        return lambda fh: _write_arrow(source, parts, fh)
    if len(parts) == 1:
        return parts[0]
    return "".join(parts)


def _render_table(loaded: Loaded, cleaned: dict[str, str], options: Options):
    table = loaded.table
    changed = {k: cleaned[d.doc] for d, k in zip(loaded.documents, loaded.rows, strict=True)
               if cleaned.get(d.doc, d.text) != d.text}
    if not changed:
        return table
    pa, _ = pyarrow_modules()
    index = table.schema.get_field_index(options.text_key)
    old = table.column(index)
    values = old.to_pylist()
    for k, text in changed.items():
        values[k] = text
    column = table.schema.field(index)
    chunks, at = [], 0  # cut as the old column was: an Arrow file's record batches stay as they were
    for chunk in old.chunks:
        chunks.append(pa.array(values[at : at + len(chunk)], type=column.type))
        at += len(chunk)
    return table.set_column(index, column, pa.chunked_array(chunks, type=column.type))


def _write_arrow(source: SourceFile, tables: list, fh) -> None:
    """The Arrow file of these tables' record batches, in the input's IPC format (a stream, as
    `datasets` writes, or a file) with the schema (its metadata too) of the first. Each column is
    written compact (its buffers copied to the size its values need): the bytes depend on the
    values alone, not on how the batches were held in memory (a slice of the input's buffers, or
    a copy sent back by a worker)."""
    pa, _ = pyarrow_modules()
    schema = tables[0].schema
    new = pa.ipc.new_file if _arrow_is_file(source.path) else pa.ipc.new_stream
    with new(fh, schema) as writer:
        for table in tables:
            for batch in table.to_batches():
                columns = [pa.concat_arrays([column]) for column in batch.columns]
                writer.write_batch(pa.RecordBatch.from_arrays(columns, schema=batch.schema))


def _write_parquet(source: SourceFile, tables: list, fh) -> None:
    """The Parquet file of these tables, one row group each, with the schema (its metadata too) of
    the first and the input's compression codecs where they can be read."""
    _, pq = pyarrow_modules()
    schema = tables[0].schema
    codecs = _parquet_codecs(source)
    try:
        writer = pq.ParquetWriter(fh, schema, compression=codecs or "snappy")
    except Exception:  # noqa: BLE001 - a codec this pyarrow cannot write: its default
        writer = pq.ParquetWriter(fh, schema)
    with writer:
        for table in tables:
            writer.write_table(table, row_group_size=max(1, table.num_rows))


_CODECS = {"UNCOMPRESSED": "none", "LZ4_RAW": "lz4", "LZ4": "lz4"}


def _parquet_codecs(source: SourceFile) -> dict[str, str] | None:
    """Column -> compression codec of the input's first row group, as ParquetWriter names them."""
    try:
        _, pq = pyarrow_modules()
        with _open_regular(source.path) as fh:
            meta = pq.ParquetFile(fh).metadata
        if meta.num_row_groups == 0:
            return None
        group = meta.row_group(0)
        codecs: dict[str, str] = {}
        for c in range(group.num_columns):
            chunk = group.column(c)
            codecs[chunk.path_in_schema] = _CODECS.get(chunk.compression, chunk.compression.lower())
        return codecs
    except Exception:  # noqa: BLE001 - the input changed or went away since: the default codec
        return None


def _render_text(loaded: Loaded, cleaned: dict[str, str], options: Options) -> str:
    if loaded.records is None:
        (document,) = loaded.documents
        return cleaned.get(document.doc, document.text)
    out: list[str] = []
    for record in loaded.records:
        if record.document is None or record.data is None:
            out.append(record.raw)
            continue
        new_text = cleaned.get(record.document.doc, record.document.text)
        if new_text == record.document.text:
            out.append(record.raw)
            continue
        span = value_span(record.raw, options.text_key)
        if span is not None:  # only the text's value changes: every other byte is kept as read
            out.append(record.raw[: span[0]] + _json_string(new_text) + record.raw[span[1] :])
            continue
        data = dict(record.data)
        data[options.text_key] = new_text
        ending = record.raw[len(record.raw.rstrip("\r\n")) :]
        out.append(_json_string(data) + ending)
    return "".join(out)


def _json_string(value: Any) -> str:
    """value as JSON, non-ASCII characters as they are, but for a lone surrogate (valid JSON, not
    UTF-8): then escaped."""
    dumped = json.dumps(value, ensure_ascii=False)
    if not dumped.isascii():
        try:
            dumped.encode("utf-8")
        except UnicodeEncodeError:
            dumped = json.dumps(value)
    return dumped


def check_output_file(out: Path, inputs: list[str], option: str = "-o") -> None:
    """Refuse an output file that is an input file or lies inside an input folder (symlinks
    resolved), or that is a folder."""
    out_resolved = out.resolve()
    for arg in inputs:
        root = Path(arg).resolve()
        if out_resolved == root or root in out_resolved.parents:
            raise CorpusError(f"{option} {escape_name(str(out))}: lies inside the input {escape_name(arg)}, "
                              "which is never modified; write it elsewhere")
    if out.is_dir():
        raise CorpusError(f"{option} {escape_name(str(out))}: is a folder; give a file name")


def check_cache_dir(cache: Path, inputs: list[str]) -> None:
    """Refuse a cache folder inside an input folder (symlinks resolved): the input is never touched."""
    resolved = cache.resolve()
    for arg in inputs:
        root = Path(arg).resolve()
        if root.is_dir() and (resolved == root or root in resolved.parents):
            raise CorpusError(f"--cache {escape_name(str(cache))}: lies inside the input {escape_name(arg)}, "
                              "which is never modified; choose a folder outside it")


def check_output_dir(out: Path, inputs: list[str]) -> None:
    """Refuse an output folder that is, or lies inside, an input path (the input is never touched),
    that is a file, or that cannot be written."""
    if out.exists() and not out.is_dir():
        raise CorpusError(f"--out {escape_name(str(out))}: is a file, not a folder; choose a folder")
    if out.is_dir() and not os.access(out, os.W_OK | os.X_OK):
        raise CorpusError(f"--out {escape_name(str(out))}: cannot write in this folder (permission denied)")
    out_resolved = out.resolve()
    for arg in inputs:
        root = Path(arg).resolve()
        if root.is_file():
            if out_resolved == root.parent:
                raise CorpusError(f"--out {out}: would overwrite the input {arg}; choose another folder")
        elif out_resolved == root or root in out_resolved.parents:
            raise CorpusError(f"--out {out}: lies inside the input {arg}; choose a folder outside it")
        elif out_resolved in root.parents:
            raise CorpusError(f"--out {out}: contains the input {arg}, whose files it could overwrite; "
                              "choose a folder beside it")


def iter_loaded(files: list[SourceFile], options: Options, problems: list[str]) -> Iterator[Loaded]:
    for source in files:
        yield load(source, options, problems)
