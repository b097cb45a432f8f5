"""Read a corpus (folders of .txt/.md, single files, JSONL) into Documents; write the cleaned copy atomically."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cleaner.model import Document

TEXT_SUFFIXES = (".txt", ".md")
JSONL_SUFFIXES = (".jsonl",)
BINARY_SNIFF = 8192


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
    kind: str  # "text" | "jsonl"


@dataclass(frozen=True)
class Unit:
    """A piece of work for one worker: a whole file, or a run of whole lines of a large JSONL file."""

    source: SourceFile
    part: int = 0  # index of this chunk in its file
    parts: int = 1  # how many chunks the file was cut into
    start: int = 0  # byte range of the chunk (whole file: 0, None)
    end: int | None = None
    first_line: int = 1  # line number of the chunk's first line
    size: int = 0  # bytes, for progress


def plan(files: list[SourceFile], chunk_bytes: int = 1 << 20) -> list[Unit]:
    """Cut the work into units: one per file, large JSONL files into line-aligned chunks."""
    units: list[Unit] = []
    for source in files:
        try:
            size = source.path.stat().st_size
        except OSError:
            size = 0
        if source.kind != "jsonl" or size <= chunk_bytes:
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
    """What reading one SourceFile gave: its documents (in order) and, for JSONL, every line."""

    source: SourceFile
    documents: list[Document] = field(default_factory=list)
    records: list[Record] | None = None  # JSONL only
    skipped: bool = False  # binary or unreadable: nothing to write


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


def _display(arg: str, rel: str, is_file: bool) -> str:
    if is_file:
        return arg
    return f"{arg.rstrip('/')}/{rel}" if arg not in (".", "./") else rel


def discover(paths: list[str]) -> list[SourceFile]:
    """List the input files under each path (recursive, sorted); refuse a path that does not exist."""
    files: list[SourceFile] = []
    seen: set[str] = set()
    for arg in paths:
        p = Path(arg)
        if not p.exists():
            raise CorpusError(f"{arg}: no such file or folder")
        if p.is_file():
            kind = "jsonl" if p.suffix.lower() in JSONL_SUFFIXES else "text"
            candidates = [(p, p.name, True, kind)]
        else:
            candidates = []
            for f in sorted(p.rglob("*")):
                rel_parts = f.relative_to(p).parts
                if any(part.startswith(".") for part in rel_parts) or not f.is_file():
                    continue
                suffix = f.suffix.lower()
                if suffix in TEXT_SUFFIXES:
                    candidates.append((f, _rel(f, p), False, "text"))
                elif suffix in JSONL_SUFFIXES:
                    candidates.append((f, _rel(f, p), False, "jsonl"))
        for f, rel, is_file, kind in candidates:
            if rel in seen:
                raise CorpusError(f"{arg}: '{rel}' is also in another input path; give one root at a time")
            seen.add(rel)
            files.append(SourceFile(f, rel, _display(arg, rel, is_file), kind))
    return files


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
    try:
        if unit is None or unit.parts == 1:
            data = source.path.read_bytes()
        else:
            with open(source.path, "rb") as fh:
                fh.seek(unit.start)
                data = fh.read(unit.end - unit.start)
    except OSError as exc:
        problems.append(f"{source.display}: cannot read ({exc.strerror}); skipped")
        loaded.skipped = True
        return loaded
    if (unit is None or unit.part == 0) and is_binary(data):
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
            obj = json.loads(body)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: malformed JSON ({exc.msg}); copied unchanged")
            continue
        if not isinstance(obj, dict):
            problems.append(f"{where}: expected a JSON object, got {type(obj).__name__}; copied unchanged")
            continue
        text = obj.get(options.text_key)
        if not isinstance(text, str):
            problems.append(f"{where}: no string field '{options.text_key}'; copied unchanged")
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
    return loaded


def record_names(loaded: Loaded, unit: Unit) -> list[tuple[str, int]]:
    """(document name, line number) of each record of a JSONL unit that became a document."""
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


def atomic_write(path: Path, text: str, errors: str = "surrogateescape") -> None:
    """Write text as UTF-8 through a temporary file in the same folder and a rename.

    errors="surrogateescape" writes back the raw bytes of lines that were kept as they were read.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8", errors=errors, newline="") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def render(loaded: Loaded, cleaned: dict[str, str], options: Options) -> str:
    """The output file's content: the cleaned text, or every JSONL line with its text field replaced."""
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
        data = dict(record.data)
        data[options.text_key] = new_text
        ending = record.raw[len(record.raw.rstrip("\r\n")) :]
        line = json.dumps(data, ensure_ascii=False)
        if not line.isascii():
            try:
                line.encode("utf-8")
            except UnicodeEncodeError:  # a lone surrogate (valid JSON, not UTF-8): keep it escaped
                line = json.dumps(data)
        out.append(line + ending)
    return "".join(out)


def check_output_dir(out: Path, inputs: list[str]) -> None:
    """Refuse an output folder that is, or lies inside, an input path (the input is never touched)."""
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
