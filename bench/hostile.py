"""Reliability run (issue 12): every hostile-input case, as a hostile user would try it.

Each case builds its input in a fresh temporary folder, runs the `cleaner` CLI as a subprocess
(with a timeout: a hang is a failure) and prints one line: the command, the exit code, the first
stderr line, whether a traceback appeared, and whether the input tree is byte-identical (content,
symlink targets and mtimes) before and after. A case passes with exit 2 and one clear line, or with
a correct result (checked per case); never a traceback, never a touched input. The last line counts.

    python bench/hostile.py            # all cases
    python bench/hostile.py -k fifo    # the cases whose label holds "fifo"
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RULES = str(ROOT / "rules")
SAMPLE = ROOT / "corpus"
TIMEOUT = 60
HUGE = "9" * 5000
STAGING = ".cleaner-partial"


# ---------------------------------------------------------------- helpers


def snapshot(folder: Path) -> dict[str, tuple]:
    """Every entry under folder (itself included): kind, content or link target, mtime. FIFOs and
    devices are only lstat'ed, never opened."""
    out: dict[str, tuple] = {}
    if not folder.exists() and not folder.is_symlink():
        return out
    for p in [folder, *sorted(folder.rglob("*"))]:
        st = p.lstat()
        if p.is_symlink():
            out[str(p)] = ("link", os.readlink(p), st.st_mtime_ns)
        elif p.is_file() and not p.is_dir():
            out[str(p)] = ("file", p.read_bytes(), st.st_mtime_ns)
        elif p.is_dir():
            out[str(p)] = ("dir", st.st_mtime_ns)
        else:
            out[str(p)] = ("special", st.st_mode, st.st_mtime_ns)
    return out


def corpus(tmp: Path) -> Path:
    """The sample corpus in tmp/corpus/news/."""
    shutil.copytree(SAMPLE, tmp / "corpus" / "news")
    return tmp / "corpus"


def pack(tmp: Path, body: str) -> str:
    folder = tmp / "packs"
    folder.mkdir(exist_ok=True)
    (folder / "p.yaml").write_bytes(body.encode("utf-8", "surrogateescape"))
    return str(folder)


RULE = """rules:
  - code: BP901
    name: hostile
    kind: {kind}
    message: m
    applicability: safe
{extra}
"""


@dataclass
class Result:
    argv: list[str]
    code: int | None  # None: timed out (killed)
    out: str
    err: str
    seconds: float


def cli(tmp: Path, *argv: str, timeout: float = TIMEOUT) -> Result:
    started = time.monotonic()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "cleaner", *argv],
            cwd=tmp,
            capture_output=True,
            timeout=timeout,
            text=True,
            errors="backslashreplace",
        )
        return Result(list(argv), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        return Result(
            list(argv), None, "", f"(no answer within {timeout:.0f} s) " + err, time.monotonic() - started
        )


@dataclass
class Case:
    label: str
    setup: Callable[[Path], list[Path]]  # builds the input; returns the input trees to watch
    run: Callable[[Path], Result]
    check: Callable[[Path, Result], str | None] | None = None  # None = fine; a correct result is also fine


CASES: list[Case] = []


def simple(
    label: str,
    build: Callable[[Path], list[Path]],
    argv: Callable[[Path], list[str]],
    check: Callable | None = None,
    timeout: float = TIMEOUT,
) -> None:
    CASES.append(Case(label, build, lambda tmp: cli(tmp, *argv(tmp), timeout=timeout), check))


def exit_2(tmp: Path, r: Result) -> str | None:
    return None if r.code == 2 else "expected exit 2"


def exit_2_or_ok(tmp: Path, r: Result) -> str | None:
    return None if r.code in (0, 1, 2) else "no clean exit"


# ---------------------------------------------------------------- input touched or escaped


simple(
    "scan -o onto an article of the input",
    lambda t: [corpus(t)],
    lambda t: [
        "scan",
        "corpus",
        "--rules",
        RULES,
        "-o",
        "corpus/news/" + sorted(SAMPLE.glob("*.txt"))[0].name,
    ],
    exit_2,
)


def _link_out(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "elsewhere").symlink_to(c / "news")
    return [c]


simple(
    "scan -o through a symlink into the input",
    _link_out,
    lambda t: ["scan", "corpus", "--rules", RULES, "-o", "elsewhere/" + sorted(SAMPLE.glob("*.txt"))[0].name],
    exit_2,
)


def _out_link(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "out").mkdir()
    (t / "out" / "news").symlink_to(c / "news")
    return [c]


simple(
    "apply through a symlink in --out into the input",
    _out_link,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    exit_2,
)


def _out_is_link(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "out").symlink_to(c / "news")
    return [c]


simple(
    "apply with --out a symlink to the input",
    _out_is_link,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    exit_2,
)
simple(
    "scan --cache inside the input",
    lambda t: [corpus(t)],
    lambda t: ["scan", "corpus", "--rules", RULES, "--cache", "corpus/.cache", "-q"],
    exit_2,
)
simple(
    "apply --cache inside the input",
    lambda t: [corpus(t)],
    lambda t: [
        "apply",
        "corpus",
        "--rules",
        RULES,
        "--auto",
        "--out",
        "out",
        "--cache",
        "corpus/news/.c",
        "-q",
    ],
    exit_2,
)


def _cache_link(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "out").mkdir()
    (t / "out" / ".cache").symlink_to(c / "news")
    return [c]


simple(
    "apply with OUT/.cache a symlink into the input",
    _cache_link,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    exit_2,
)


def _leak(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "secret").mkdir()
    (t / "secret" / "passwords.txt").write_text("Kiev root:hunter2 Source link\n", encoding="utf-8")
    (c / "news" / "leak.txt").symlink_to(t / "secret" / "passwords.txt")
    (c / "news" / "more").symlink_to(t / "secret")
    return [c, t / "secret"]


def _no_leak(t: Path, r: Result) -> str | None:
    if r.code != 2:
        return "expected exit 2"
    if (t / "out" / "news" / "leak.txt").exists() or (t / "out" / "news" / "more").exists():
        return "the file outside the corpus reached the output"
    if len(list((t / "out" / "news").glob("*.txt"))) != 5:
        return "the rest of the corpus was not written"
    return None


simple(
    "apply with symlinks out of the corpus (file, folder)",
    _leak,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    _no_leak,
)


def _fifo_in(t: Path) -> list[Path]:
    c = corpus(t)
    os.mkfifo(c / "news" / "pipe.txt")
    return [c]


simple(
    "scan a folder holding a FIFO",
    _fifo_in,
    lambda t: ["scan", "corpus", "--rules", RULES, "-q"],
    exit_2,
    timeout=30,
)
simple(
    "apply a folder holding a FIFO",
    _fifo_in,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    exit_2,
    timeout=30,
)


def _fifo(t: Path) -> list[Path]:
    os.mkfifo(t / "given.txt")
    return [t / "given.txt"]


simple(
    "scan a FIFO given as the path",
    _fifo,
    lambda t: ["scan", "given.txt", "--rules", RULES, "-q"],
    exit_2,
    timeout=30,
)
simple(
    "scan a device given as the path",
    lambda t: [],
    lambda t: ["scan", "/dev/zero", "--rules", RULES, "-q"],
    exit_2,
    timeout=30,
)
simple(
    "scan a path that does not exist",
    lambda t: [corpus(t)],
    lambda t: ["scan", "corpus/nope", "--rules", RULES, "-q"],
    exit_2,
)


# ---------------------------------------------------------------- bad bytes and records


def _feed(t: Path, lines: list[str], name: str = "feed.jsonl") -> list[Path]:
    (t / "in").mkdir(exist_ok=True)
    (t / "in" / name).write_bytes("".join(line + "\n" for line in lines).encode("utf-8", "surrogateescape"))
    return [t / "in"]


ODD = [
    '{"id": "a", "text": "Kiev  mayor", "big": ' + HUGE + ', "n": NaN, "inf": -Infinity, '
    '"f": 0.10000000000000000001, "dup": 1, "dup": 2}',
    '{"id":"b","text":"Kyiv is fine.","x":1.50}',
    '{"id": ' + HUGE + ', "text": "Kiev again"}',
]


def _odd_copied(t: Path, r: Result) -> str | None:
    if r.code != 0:
        return f"expected exit 0, got {r.code}"
    got = (t / "out" / "feed.jsonl").read_bytes().decode("utf-8").split("\n")
    want = [
        ODD[0].replace('"Kiev  mayor"', '"Kyiv mayor"'),
        ODD[1],
        ODD[2].replace('"Kiev again"', '"Kyiv again"'),
    ]
    return None if got[:3] == want else "other fields were not copied byte for byte"


def _odd_scanned(t: Path, r: Result) -> str | None:
    return None if r.code == 0 and r.out.count("NM001") == 2 else "records were not all scanned"


simple(
    "scan JSONL with a 5000-digit integer, NaN, -Infinity, duplicate keys",
    lambda t: _feed(t, ODD),
    lambda t: ["scan", "in", "--rules", RULES, "-q"],
    _odd_scanned,
)
simple(
    "apply JSONL with a 5000-digit integer, NaN, -Infinity, duplicate keys",
    lambda t: _feed(t, ODD),
    lambda t: ["apply", "in", "--rules", RULES, "--auto", "--out", "out", "-q"],
    _odd_copied,
)
simple(
    "scan malformed JSONL lines",
    lambda t: _feed(
        t,
        [
            '{"id": "a", "text": "Kiev"}',
            '{"text": broken',
            "[1, 2]",
            '{"text": "x"' + "]" * 100,
            "{" * 100000,
        ],
    ),
    lambda t: ["scan", "in", "--rules", RULES, "-q"],
    exit_2,
)


def _wrong_key(t: Path) -> list[Path]:
    return _feed(t, [json.dumps({"id": n, "text": "Some text. " * 50, "source": "s"}) for n in range(2748)])


def _one_line(t: Path, r: Result) -> str | None:
    if r.code != 2:
        return "expected exit 2"
    return None if len(r.err.splitlines()) == 1 else f"{len(r.err.splitlines())} lines on stderr"


simple(
    "scan with a wrong --text-key (2,748 records)",
    _wrong_key,
    lambda t: ["scan", "in", "--rules", RULES, "-q", "--text-key", "body"],
    _one_line,
)


def _binary(t: Path) -> list[Path]:
    c = corpus(t)
    (c / "news" / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\xff" * 100)
    (c / "news" / "latin.txt").write_bytes("Café “quoted” in Kiev\n".encode("cp1252"))
    (c / "news" / "feed.jsonl").write_bytes(b'{"id": "x", "text": "caf\xe9 Kiev"}\n')
    return [c]


simple(
    "scan binary and non-UTF-8 files", _binary, lambda t: ["scan", "corpus", "--rules", RULES, "-q"], exit_2
)
simple(
    "apply binary and non-UTF-8 files",
    _binary,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "out", "-q"],
    exit_2,
)


def _gz(t: Path) -> list[Path]:
    (t / "gz").mkdir()
    (t / "gz" / "a.jsonl.gz").write_bytes(gzip.compress(b'{"text": "Kiev"}\n'))
    (t / "gz" / "b.txt.gz").write_bytes(gzip.compress(b"Kiev\n"))
    return [t / "gz"]


def _unread(t: Path) -> list[Path]:
    import bz2
    import lzma

    (t / "cz").mkdir()
    (t / "cz" / "a.jsonl.bz2").write_bytes(bz2.compress(b'{"text": "Kiev"}\n'))
    (t / "cz" / "b.jsonl.xz").write_bytes(lzma.compress(b'{"text": "Kiev"}\n'))
    return [t / "cz"]


def two_findings(tmp: Path, r: Result) -> str | None:
    """gzip JSONL and text are read: Kiev -> Kyiv found in both (exit 0)."""
    return None if r.code == 0 and "2 findings in 2 files" in r.err else "expected 2 findings in 2 files, exit 0"


# gzip (and zstd) corpora are read; bz2 and xz are named as not read yet
simple("scan a folder of .gz files (read)", _gz, lambda t: ["scan", "gz", "--rules", RULES, "--select", "NM"],
       two_findings)
simple("scan a folder of only .bz2/.xz files", _unread, lambda t: ["scan", "cz", "--rules", RULES], exit_2)


def _newline(t: Path) -> list[Path]:
    (t / "in").mkdir()
    (t / "in" / "bad\nname.txt").write_text("Kiev and Kiev.\n", encoding="utf-8")
    return [t / "in"]


def _one_finding_a_line(t: Path, r: Result) -> str | None:
    lines = r.out.splitlines()
    ok = r.code == 0 and len(lines) == 2 and all(line.startswith("in/bad\\nname.txt:1:") for line in lines)
    return None if ok else "a finding does not fit on one line"


simple(
    "scan a file whose name holds a newline",
    _newline,
    lambda t: ["scan", "in", "--rules", RULES, "-q", "--select", "NM001"],
    _one_finding_a_line,
)


# ---------------------------------------------------------------- rule packs


def _pack_case(label: str, body: str, verb: str = "check") -> None:
    def build(t: Path) -> list[Path]:
        pack(t, body)
        (t / "in").mkdir()
        (t / "in" / "a.txt").write_text("a" * 20000 + "!\n" + "Kiev\n", encoding="utf-8")
        return [t / "in", t / "packs"]

    argv = (
        (lambda t: ["rules", "check", "packs"])
        if verb == "check"
        else (lambda t: ["scan", "in", "--rules", "packs", "-q"])
    )
    simple(label, build, argv, exit_2)


CATASTROPHIC = RULE.format(kind="line-pattern", extra="    pattern: '(a+)+$'\n    max_length: 100000")
_pack_case("rules check: catastrophic regex (a+)+$", CATASTROPHIC)
_pack_case("scan with a catastrophic regex on a 20,000-a line", CATASTROPHIC, "scan")
_pack_case(
    "rules check: catastrophic regex (\\w+\\s?)+$",
    RULE.format(kind="substitution", extra="    pattern: '(\\w+\\s?)+$'\n    replacement: ''"),
)
_pack_case(
    "rules check: catastrophic regex (a|a)*$",
    RULE.format(kind="substitution", extra="    pattern: '(a|a)*$'\n    replacement: ''"),
)
BOMB = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"] + [
    f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)
]
_pack_case(
    "rules check: YAML alias bomb (9^10 strings)",
    "description:\n" + "".join(f"  {x}\n" for x in BOMB) + "rules: []\n",
)
_pack_case(
    "scan with a YAML alias bomb pack",
    "description:\n" + "".join(f"  {x}\n" for x in BOMB) + "rules: []\n",
    "scan",
)
_pack_case(
    "rules check: duplicate key in a rule",
    RULE.format(kind="exact-line", extra="    lines: [x]\n    message: again"),
)
_pack_case(
    "rules check: replacement \\3 with one group",
    RULE.format(kind="substitution", extra="    pattern: '(a)b'\n    replacement: '\\3'"),
)
_pack_case(
    "scan with a replacement \\3 with one group",
    RULE.format(kind="substitution", extra="    pattern: '(a)b'\n    replacement: '\\3'"),
    "scan",
)
_pack_case(
    "rules check: min_docs: many",
    RULE.format(kind="learned-line", extra="    scope: corpus\n    min_docs: many"),
)
_pack_case(
    "scan with min_docs: [1, 2]",
    RULE.format(kind="learned-line", extra="    scope: corpus\n    min_docs: [1, 2]"),
    "scan",
)
_pack_case("rules check: a pack that is not UTF-8", "rules: []\n# caf\udce9\n")


# ---------------------------------------------------------------- output paths


def _afile(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "afile").write_text("x", encoding="utf-8")
    return [c, t / "afile"]


simple(
    "apply --out an existing file",
    _afile,
    lambda t: ["apply", "corpus", "--rules", RULES, "--out", "afile", "-q"],
    exit_2,
)
simple(
    "apply --out below an existing file",
    _afile,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "afile/sub", "-q"],
    exit_2,
)


def _readonly(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "ro").mkdir()
    (t / "ro").chmod(0o555)
    return [c]


def _readonly_check(t: Path, r: Result) -> str | None:
    if os.geteuid() == 0 and r.code == 0:  # root writes anyway: then the result must be right
        return None if len(list((t / "ro" / "news").glob("*.txt"))) == 5 else "incomplete output"
    return exit_2(t, r)


simple(
    "apply --out a read-only folder",
    _readonly,
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "ro", "-q"],
    _readonly_check,
)
simple(
    "apply --out on a read-only file system (/proc)",
    lambda t: [corpus(t)],
    lambda t: ["apply", "corpus", "--rules", RULES, "--auto", "--out", "/proc/cleaner-out", "-q"],
    exit_2,
)
simple(
    "scan -o on a read-only file system (/proc)",
    lambda t: [corpus(t)],
    lambda t: ["scan", "corpus", "--rules", RULES, "-q", "-o", "/proc/found.txt"],
    exit_2,
)


def _created(t: Path, r: Result) -> str | None:
    f = t / "new" / "deep" / "found.txt"
    return (
        None
        if r.code == 0 and f.is_file() and f.read_text(encoding="utf-8").count("\n") > 10
        else "not written"
    )


simple(
    "scan -o into a missing folder (created)",
    lambda t: [corpus(t)],
    lambda t: ["scan", "corpus", "--rules", RULES, "-q", "-o", "new/deep/found.txt"],
    _created,
)


def _adir(t: Path) -> list[Path]:
    c = corpus(t)
    (t / "adir").mkdir()
    return [c]


simple(
    "scan -o onto a folder", _adir, lambda t: ["scan", "corpus", "--rules", RULES, "-q", "-o", "adir"], exit_2
)


# ---------------------------------------------------------------- interrupted runs


def _big(t: Path) -> list[Path]:
    texts = sorted(SAMPLE.glob("*.txt"))
    for n in range(600):
        folder = t / "big" / f"s{n % 7}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"{n:04d}.txt").write_bytes(
            texts[n % len(texts)].read_bytes() + f"\nNumber {n}.\n".encode()
        )
    return [t / "big"]


def _visible(out: Path) -> dict[str, bytes]:
    """The output files as a user sees them (not the cache), the manifest without its time stamp."""
    files = {
        p.relative_to(out).as_posix(): p.read_bytes()
        for p in out.rglob("*")
        if p.is_file() and not {".cache", STAGING} & set(p.relative_to(out).parts)
    }
    if "manifest.json" in files:
        manifest = json.loads(files["manifest.json"])
        manifest.pop("created", None)
        files["manifest.json"] = json.dumps(manifest).encode()
    return files


def _killed(t: Path) -> Result:
    """apply on 600 files, killed with -9 once 150 are written; then the outputs are compared
    with a whole run's and a second run must clear what the killed one left."""
    ref = cli(t, "apply", "big", "--rules", RULES, "--auto", "--out", "ref", "-q", "-j", "1", "--no-cache")
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cleaner",
            "apply",
            "big",
            "--rules",
            RULES,
            "--auto",
            "--out",
            "out",
            "-q",
            "-j",
            "1",
        ],
        cwd=t,
        stderr=subprocess.PIPE,
        text=True,
    )
    while (
        len(list((t / "out").glob("s*/*.txt"))) < 150
        and proc.poll() is None
        and time.monotonic() - started < 120
    ):
        time.sleep(0.002)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    err = proc.stderr.read()
    expected, got = _visible(t / "ref"), _visible(t / "out")
    t.joinpath("report.json").write_text(
        json.dumps(
            {
                "ref": ref.code,
                "written": len(got),
                "partial": [n for n, d in got.items() if expected.get(n) != d],
                "temporary": [n for n in got if n.endswith(".tmp") or Path(n).name.startswith(".")],
            }
        )
    )
    staged_before = len(list((t / "out" / STAGING).glob("*"))) if (t / "out" / STAGING).exists() else 0
    again = cli(t, "apply", "big", "--rules", RULES, "--auto", "--out", "out", "-q")
    t.joinpath("again.json").write_text(
        json.dumps(
            {
                "code": again.code,
                "staging": (t / "out" / STAGING).exists(),
                "same": _visible(t / "out") == expected,
            }
        )
    )
    report = json.loads(t.joinpath("report.json").read_text())
    staged = staged_before
    note = (
        f"(killed) {report['written']} output files: {len(report['partial'])} partial, "
        f"{len(report['temporary'])} temporary; {staged} in {STAGING}/ until the next run"
    )
    return Result(
        ["apply", "big", "--auto", "--out", "out", "(kill -9 after 150 files)"],
        proc.returncode,
        "",
        note + "\n" + err,
        time.monotonic() - started,
    )


def _killed_check(t: Path, r: Result) -> str | None:
    report = json.loads(t.joinpath("report.json").read_text())
    again = json.loads(t.joinpath("again.json").read_text())
    if report["ref"] != 0 or not report["written"]:
        return "the reference run failed or nothing was written"
    if report["partial"] or report["temporary"]:
        return (
            f"{len(report['partial'])} partial, {len(report['temporary'])} temporary files among the outputs"
        )
    if again["code"] != 0 or again["staging"] or not again["same"]:
        return "the next run did not finish the output cleanly"
    return None


CASES.append(Case("kill -9 of a running apply", _big, _killed, _killed_check))


def _kill_scan(t: Path) -> Result:
    """scan -o killed with -9 mid-way (0.5 s after its temporary file appears): the old findings
    file stays as it was, and the next run removes the temporary file the killed one left."""
    (t / "found.txt").write_text("old findings\n", encoding="utf-8")
    started = time.monotonic()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "cleaner",
            "scan",
            "big",
            "--rules",
            RULES,
            "-q",
            "-j",
            "1",
            "-o",
            "found.txt",
            "--no-cache",
        ],
        cwd=t,
        stderr=subprocess.PIPE,
        text=True,
    )
    while not list(t.glob(".found.txt.*.tmp")) and proc.poll() is None and time.monotonic() - started < 60:
        time.sleep(0.002)
    time.sleep(0.5)  # findings are being written into the temporary file
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    whole = (t / "found.txt").read_text(encoding="utf-8")
    again = cli(t, "scan", "big", "--rules", RULES, "-q", "-o", "found.txt", "--no-cache")
    leftovers = [p.name for p in t.iterdir() if p.name.startswith(".found.txt.")]
    t.joinpath("report.json").write_text(
        json.dumps(
            {
                "old_kept": whole == "old findings\n" or proc.returncode == 0,
                "again": again.code,
                "leftovers": leftovers,
            }
        )
    )
    return Result(
        ["scan", "big", "-o", "found.txt", "(kill -9 mid-way)"],
        proc.returncode,
        "",
        proc.stderr.read(),
        time.monotonic() - started,
    )


def _kill_scan_check(t: Path, r: Result) -> str | None:
    report = json.loads(t.joinpath("report.json").read_text())
    if not report["old_kept"]:
        return "a half-written findings file"
    return None if report["again"] == 0 and not report["leftovers"] else "the next run left a temporary file"


CASES.append(Case("kill -9 of a running scan -o", _big, _kill_scan, _kill_scan_check))


# ---------------------------------------------------------------- main


def first_line(err: str) -> str:
    """The first problem line on stderr (the summary line of scan comes before the problems)."""
    lines = [line for line in err.splitlines() if line.strip()]
    problems = [line for line in lines if line.startswith("cleaner:")]
    return (problems or lines or ["(nothing)"])[0]


def run_case(c: Case) -> tuple[bool, str]:
    with tempfile.TemporaryDirectory(prefix="hostile-") as name:
        tmp = Path(name)
        watched = c.setup(tmp)
        before = {str(w): snapshot(w) for w in watched}
        r = c.run(tmp)
        after = {str(w): snapshot(w) for w in watched}
        untouched = before == after
        traceback = "Traceback" in r.err
        problem = None
        if r.code is None:
            problem = "hung"
        elif traceback:
            problem = "traceback"
        elif not untouched:
            problem = "input changed"
        elif c.check is not None:
            problem = c.check(tmp, r)
        if r.code == 2 and not problem and first_line(r.err) == "(nothing)":
            problem = "exit 2 without a line"
        shown = " ".join(a if a != RULES else "RULES" for a in r.argv)
        line = (
            f"{'ok  ' if not problem else 'FAIL'} {c.label}\n"
            f"     $ cleaner {shown[:110]}\n"
            f"     exit {r.code} in {r.seconds:.1f} s | {first_line(r.err)[:150]} | "
            f"traceback: {'yes' if traceback else 'no'} | input: {'untouched' if untouched else 'CHANGED'}"
            + (f" | {problem}" if problem else "")
        )
        # a read-only folder must be writable again for the clean-up
        for p in tmp.rglob("*"):
            if p.is_dir() and not p.is_symlink():
                p.chmod(0o755)
        return not problem, line


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-k", metavar="WORD", help="only the cases whose label holds WORD")
    args = parser.parse_args()
    chosen = [c for c in CASES if not args.k or args.k.lower() in c.label.lower()]
    passed = 0
    for c in chosen:
        ok, line = run_case(c)
        passed += ok
        print(line, flush=True)
    print(
        f"{passed} of {len(chosen)} cases: one clear line and exit 2, or a correct result; "
        f"no traceback, input untouched"
        + ("" if passed == len(chosen) else f"; {len(chosen) - passed} FAILED")
    )
    return 0 if passed == len(chosen) else 1


if __name__ == "__main__":
    sys.exit(main())
