"""The first stage of a scan: every rule's patterns matched in one compiled multi-pattern scan.

Passes register *probes* (a key, a Python regex and how it applies: to a whole line, somewhere in a
line, or somewhere in the text); `FirstStage.candidates(text)` runs them all in one Hyperscan scan
of the text's UTF-8 bytes and says, per key, which lines (or whether the text) may match. A pass
then confirms each candidate with the rule's own Python regex, so output is what `re` gives; a line
with no candidate costs nothing beyond the scan.

Each probe is a translation of its Python pattern into a pattern matching a *superset* of what
`re` matches (`translate`): classes written out from what `re` itself matches (\\w, \\s, \\d as
Python reads them, case variants as re.IGNORECASE reads them), possessive quantifiers, atomic groups
and lazy ones as plain ones, lookarounds and \\b dropped, a backreference as its group's pattern,
long bounded repeats as unbounded ones, and a class with many ranges past ASCII loosely (`_class`).
Hyperscan runs in linear time on any pattern. What it cannot take (a conditional group, a
pattern left matching the empty string) is a *slow path*: that rule runs in Python `re` on every line
(or text) as before, and `cleaner rules check` names it with the reason (`slow_paths`).
"""

from __future__ import annotations

import hashlib
import logging
import pickle
import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, repeat
from pathlib import Path
from re import _constants as C
from re import _parser  # the pattern parser: a pattern is translated from re's own reading of it

import hyperscan

from cleaner import usercache

log = logging.getLogger(__name__)

LINE, IN_LINE, IN_TEXT = "line", "in-line", "in-text"  # how a probe applies (see Probe)
MAX_UNICODE = 0x10FFFF
SURROGATES = (0xD800, 0xDFFF)
WIDE = 4  # a class with more ranges past ASCII than this is written more loosely (see _class)
LONG_REPEAT = 4  # a bounded repeat up to more than this is written unbounded (Hyperscan's size limits)


class Untranslatable(Exception):
    """The pattern has no translation for the compiled stage; the message says why."""


@dataclass(frozen=True)
class Probe:
    """What one rule asks of the first stage.

    key: the pass's name for it (a rule code, or a code and a part);
    pattern, flags: the Python regex;
    scope: LINE (the stripped line fullmatches it), IN_LINE (a line holds a match) or IN_TEXT (the
        text holds a match: the rule runs on the text or is skipped);
    literal: the pattern is a plain string (a prefilter needle), matched as it is;
    code: the rule's code, for `cleaner rules check`.
    """

    key: object
    pattern: str
    flags: int = 0
    scope: str = LINE
    literal: bool = False
    code: str = ""


# ---------------------------------------------------------------- character sets as ranges

Ranges = list[tuple[int, int]]  # sorted, disjoint, inclusive


def _normal(ranges: Iterable[tuple[int, int]]) -> Ranges:
    out: Ranges = []
    for lo, hi in sorted(ranges):
        if out and lo <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], hi))
        else:
            out.append((lo, hi))
    return out


def _complement(ranges: Ranges) -> Ranges:
    out, at = [], 0
    for lo, hi in _normal(ranges):
        if lo > at:
            out.append((at, lo - 1))
        at = hi + 1
    if at <= MAX_UNICODE:
        out.append((at, MAX_UNICODE))
    return out


@cache
def _everything() -> str:
    return "".join(map(chr, range(MAX_UNICODE + 1)))


@cache
def _category(name: str) -> tuple[tuple[int, int], ...]:
    """The code points Python's `re` matches with \\d, \\s or \\w (str patterns), as ranges."""
    found = re.finditer(f"\\{name}+", _everything())
    return tuple((m.start(), m.end() - 1) for m in found)


_CATEGORIES = {
    C.CATEGORY_DIGIT: ("d", False), C.CATEGORY_NOT_DIGIT: ("d", True),
    C.CATEGORY_SPACE: ("s", False), C.CATEGORY_NOT_SPACE: ("s", True),
    C.CATEGORY_WORD: ("w", False), C.CATEGORY_NOT_WORD: ("w", True),
}
# ASCII letters and the characters outside ASCII that re.IGNORECASE matches to them
_ASCII_CASE = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


@cache
def _case_table() -> dict[str, frozenset[str]]:
    """For every cased character, the characters re.IGNORECASE may take for it (a superset: those
    sharing its lower, upper or case-folded form)."""
    by_form: dict[str, set[str]] = {}
    for c in _everything():
        for form in {c.lower(), c.upper(), c.casefold()}:
            if form != c and len(form) == 1:  # ß -> "ss": re's ignore-case maps a character to one
                by_form.setdefault(form, {form}).add(c)
    table: dict[str, set[str]] = {}
    for group in by_form.values():
        for c in group:
            table.setdefault(c, set()).update(group)
    return {c: frozenset(group) for c, group in table.items()}


def case_variants(code: int) -> set[int]:
    """code and every character re.IGNORECASE may match to it."""
    c = chr(code)
    if c.isascii():
        if not c.isalpha():
            return {code}
        return {ord(x) for x in c.lower() + c.upper() + _ASCII_CASE.get(c.lower(), "")}
    if c.lower() == c == c.upper():
        return {code}
    variants = {code} | {ord(x) for x in _case_table().get(c, ())}
    for x in list(variants):
        if x < 0x80:
            variants |= case_variants(x)
    return variants


def _caseless(ranges: Ranges) -> str:
    """A class of ranges and whatever re.IGNORECASE matches to them. ASCII letters go to Hyperscan's
    own caseless matching (which also takes K for k and ſ for s, as re does), with ı and İ added for i;
    other cased characters are listed with their variants."""
    if _width(ranges) > 4096:
        raise Untranslatable("a wide character range under ignore-case")
    letters = {c for lo, hi in ranges for c in range(max(lo, 0x41), min(hi, 0x7A) + 1) if chr(c).isalpha()}
    rest = [(c, c) for lo, hi in ranges for c in range(lo, hi + 1) if c not in letters]
    extra = [(v, v) for c, _ in rest if not chr(c).isascii() for v in case_variants(c)]
    if letters & {ord("i"), ord("I")}:  # not Hyperscan's: listed
        letters -= {ord("i"), ord("I")}
        extra += [(ord(v), ord(v)) for v in "iI\u0130\u0131"]
    parts = []
    if letters:
        parts.append("(?i:" + _class([(c, c) for c in sorted(letters)]) + ")")
        if len(letters) == 2 and chr(min(letters)).lower() == chr(max(letters)).lower():
            parts[-1] = f"(?i:{chr(max(letters))})"
    if rest or extra:
        parts.append(_class(rest + extra))
    return parts[0] if len(parts) == 1 else "(?:" + "|".join(parts) + ")"


def _width(ranges: Ranges) -> int:
    return sum(hi - lo + 1 for lo, hi in ranges)


def _without(ranges: Ranges, code: int) -> Ranges:
    out: Ranges = []
    for lo, hi in _normal(ranges):
        if lo <= code <= hi:
            if lo < code:
                out.append((lo, code - 1))
            if code < hi:
                out.append((code + 1, hi))
        else:
            out.append((lo, hi))
    return out


def _class(ranges: Ranges) -> str:
    """A Hyperscan class (UTF-8 mode) for ranges: surrogates left out (a text holding one is not
    scanned), ASCII exact; with more than WIDE ranges past ASCII, Latin-1 exact and the rest as the
    range around it (\\s: U+1680-U+3000), or as any character past ASCII (\\w) when that is wide."""
    ranges = _without_surrogates(_normal(ranges))
    if not ranges:
        raise Untranslatable("a character class that matches nothing")
    ascii_part = [(lo, min(hi, 0x7F)) for lo, hi in ranges if lo <= 0x7F]
    wide = [(max(lo, 0x80), hi) for lo, hi in ranges if hi >= 0x80]
    if len(wide) > WIDE:  # Latin-1 exact, the rest as the range around it, or as any character
        latin = [r for r in wide if r[1] <= 0xFF]
        far = [r for r in wide if r[1] > 0xFF]
        if not far:  # all of it in Latin-1: exact
            wide = latin
        elif far[-1][1] - far[0][0] < 0x4000:
            wide = latin + [(far[0][0], far[-1][1])]
        else:
            wide = _without_surrogates([(0x80, MAX_UNICODE)])
    parts = []
    for lo, hi in ascii_part + wide:
        parts.append(_char(lo) if lo == hi else f"{_char(lo)}-{_char(hi)}")
    if len(parts) == 1 and ascii_part + wide == [(ranges[0][0], ranges[0][0])]:
        return parts[0]
    return "[" + "".join(parts) + "]"


def _without_surrogates(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for lo, hi in ranges:
        if hi < SURROGATES[0] or lo > SURROGATES[1]:
            out.append((lo, hi))
            continue
        if lo < SURROGATES[0]:
            out.append((lo, SURROGATES[0] - 1))
        if hi > SURROGATES[1]:
            out.append((SURROGATES[1] + 1, hi))
    return out


def _char(code: int) -> str:
    c = chr(code)
    if c.isascii():
        return c if c.isalnum() else f"\\x{code:02x}"
    return f"\\x{{{code:x}}}"


def _atom(expression: str) -> bool:
    """Whether expression is one character, class or group (a quantifier may follow it as it is)."""
    return _ATOM.fullmatch(expression) is not None


_ESCAPE = r"\\x(?:[0-9a-f]{2}|\{[0-9a-f]+\})"
_ATOM = re.compile(rf"[A-Za-z0-9]|{_ESCAPE}|\[(?:[^\]\\]|{_ESCAPE})*\]")


_CASELESS_RUN = re.compile(r"\(\?i:([A-Za-z]+)\)\(\?i:([A-Za-z]+)\)")


def _compact(expression: str) -> str:
    """(?i:a)(?i:b) -> (?i:ab): shorter (Hyperscan limits a pattern's length)."""
    while True:
        shorter = _CASELESS_RUN.sub(r"(?i:\1\2)", expression)
        if shorter == expression:
            return expression
        expression = shorter


# ---------------------------------------------------------------- Python pattern -> Hyperscan pattern

@dataclass
class Translation:
    expression: str  # for Hyperscan (UTF-8 mode)
    relaxed: list[str]  # what was widened (lookbehind dropped, ...): the candidates are a superset


def translate(pattern: str, flags: int = 0, items: int | None = None) -> Translation:
    """A Hyperscan expression matching at least every string `re.compile(pattern, flags)` matches
    (every match of it is a match of the translation, at the same place); Untranslatable if none.
    With `items`, only the pattern's first items: what every match starts with."""
    try:
        tree = _parser.parse(pattern, flags)
    except (re.error, TypeError, OverflowError, RecursionError) as exc:
        raise Untranslatable(f"does not compile: {exc}") from exc
    out = _Translator(tree.state.flags)
    return Translation(_compact(out.sequence(list(tree)[:items])), sorted(out.relaxed))


def _top_items(pattern: str, flags: int) -> int:
    """How many items the pattern's top-level sequence has (a group around it all is opened)."""
    items = list(_parser.parse(pattern, flags))
    return len(items)


class _Translator:
    def __init__(self, flags: int):
        self.flags = flags
        self.relaxed: set[str] = set()
        self.groups: dict[int, str] = {}

    def sequence(self, items: list, flags: int | None = None) -> str:
        flags = self.flags if flags is None else flags
        return "".join(self.item(op, av, flags) for op, av in items)

    def item(self, op, av, flags: int) -> str:
        ignore = bool(flags & re.IGNORECASE)
        if op is C.LITERAL:
            return self._set([(av, av)], ignore, single=True)
        if op is C.NOT_LITERAL:
            return _class(_complement([(av, av)]))  # ignoring case matches fewer: a superset
        if op is C.ANY:
            return _class([(0, MAX_UNICODE)] if flags & re.DOTALL else _complement([(10, 10)]))
        if op is C.IN:
            return self._in(av, ignore)
        if op is C.CATEGORY:
            return self._in([(op, av)], ignore)
        if op is C.SUBPATTERN:
            group, add, remove, items = av
            inner = self.sequence(list(items), (flags | add) & ~remove)
            if group is not None:
                self.groups[group] = inner
            return f"(?:{inner})"
        if op is C.BRANCH:
            return "(?:" + "|".join(self.sequence(list(b), flags) for b in av[1]) + ")"
        if op in (C.MAX_REPEAT, C.MIN_REPEAT, C.POSSESSIVE_REPEAT):
            low, high, items = av
            if op is C.POSSESSIVE_REPEAT:
                self.relaxed.add("possessive quantifier read as greedy")
            inner = self.sequence(list(items), flags)
            if high is not C.MAXREPEAT and high > LONG_REPEAT:
                high = C.MAXREPEAT
                self.relaxed.add("long bounded repeat read as unbounded")
            low = min(low, LONG_REPEAT)
            inner = inner if _atom(inner) else f"(?:{inner})"
            if (low, high) == (0, C.MAXREPEAT):
                return f"{inner}*"
            if (low, high) == (1, C.MAXREPEAT):
                return f"{inner}+"
            return f"{inner}{{{low},{'' if high is C.MAXREPEAT else high}}}"
        if op is C.ATOMIC_GROUP:
            self.relaxed.add("atomic group read as a plain group")
            return f"(?:{self.sequence(list(av), flags)})"
        if op in (C.ASSERT, C.ASSERT_NOT):
            self.relaxed.add("lookaround dropped")
            return ""
        if op is C.AT:
            self.relaxed.add("anchor or \\b dropped")
            return ""
        if op is C.GROUPREF:
            if av not in self.groups:
                raise Untranslatable(f"a backreference to group {av} before it closes")
            self.relaxed.add("backreference read as its group's pattern")
            return f"(?:{self.groups[av]})"
        if op is C.GROUPREF_EXISTS:
            raise Untranslatable("a conditional group (?(1)...)")
        raise Untranslatable(f"{op} is not supported")

    def _set(self, ranges: Ranges, ignore: bool, single: bool = False) -> str:
        if ignore:
            return _caseless(ranges)
        if single and not SURROGATES[0] <= ranges[0][0] <= SURROGATES[1]:
            return _char(ranges[0][0])
        return _class(ranges)

    def _in(self, items, ignore: bool) -> str:
        negate = bool(items) and items[0][0] is C.NEGATE
        plain: Ranges = []
        categories: Ranges = []
        for op, av in items:
            if op is C.NEGATE:
                continue
            if op is C.LITERAL:
                plain.append((av, av))
            elif op is C.RANGE:
                plain.append(av)
            elif op is C.CATEGORY and av in _CATEGORIES:
                name, negated = _CATEGORIES[av]
                found = list(_category(name))
                categories.extend(_complement(found) if negated else found)
            else:
                raise Untranslatable(f"class item {op} {av} is not supported")
        if negate:  # the complement of the class as written: ignoring case it would exclude more
            return _class(_complement(plain + categories))
        if ignore and plain:
            cased = _caseless(_normal(plain))
            return f"(?:{cased}|{_class(categories)})" if categories else cased
        return _class(_normal(plain + categories))


# ---------------------------------------------------------------- the stage

@cache
def _space_class() -> str:
    return _class(_without(list(_category("s")), 10))


def _wrapped(probe: Probe) -> tuple[str, int]:
    """The probe's Hyperscan expression and flags, and whether it reports once per text."""
    if probe.literal:
        body = "".join(_char(ord(c)) for c in probe.pattern)
        return body, hyperscan.HS_FLAG_SINGLEMATCH
    body = translate(probe.pattern, probe.flags).expression
    if probe.scope == LINE:
        space = _space_class()
        return f"^{space}*(?:{body}){space}*$", hyperscan.HS_FLAG_MULTILINE
    if probe.scope == IN_LINE:
        # every match in a line extends to its end, and Hyperscan reports an end once: one report a line
        return f"(?:{body})[^\\n]*$", hyperscan.HS_FLAG_MULTILINE
    return body, hyperscan.HS_FLAG_SINGLEMATCH


class FirstStage:
    """The probes of every pass, compiled into one Hyperscan database.

    `slow` maps the key of each probe that could not be compiled whole to the reason (`cleaner rules
    check` lists these): a line probe is then scanned for the longest start of its pattern the engine
    takes, if any (it is in `scanned`); else its pass tries the rule in Python `re` on every line."""

    def __init__(self, probes: Iterable[Probe]):
        probes = list(probes)
        # passes may ask the same of a text (the page passes and the line pass read the same block
        # markers): each distinct pattern is compiled once, and answers for every key asking it
        asking: dict[tuple, list[object]] = {}
        first: dict[tuple, Probe] = {}
        for p in probes:
            first.setdefault(_asked(p), p)
            asking.setdefault(_asked(p), []).append(p.key)
        distinct = list(first.values())
        self.database, kept, slow = _built(distinct)
        self.slow = {key: slow[p.key] for p in distinct if p.key in slow for key in asking[_asked(p)]}
        self.all_probes = probes
        self.probes = [distinct[k] for k in kept]
        self.keys = [tuple(dict.fromkeys(asking[_asked(p)])) for p in self.probes]  # per compiled probe
        self.scanned = frozenset(key for keys in self.keys for key in keys)  # slow ones too, by their start
        self._last: tuple[str, Candidates] | None = None

    def slow_rules(self) -> dict[str, str]:
        """rule code -> why its pattern is not matched whole by the compiled engine."""
        return {p.code: self.slow[p.key] for p in self.all_probes if p.key in self.slow}

    def __getstate__(self) -> dict:
        """Pickled (to a worker process) as the compiled database's bytes."""
        state = dict(self.__dict__, _last=None)
        state["database"] = hyperscan.dumpb(self.database) if self.database is not None else None
        return state

    def __setstate__(self, state: dict) -> None:
        blob = state.pop("database")
        self.__dict__.update(state, database=_loaded(blob) if blob is not None else None)

    def candidates(self, text: str) -> Candidates | None:
        """What each probe may match in text; None when the text cannot be scanned (it holds a lone
        surrogate, which has no UTF-8): then every rule reads the text itself.

        The passes of one scan ask about the same text in turn: the last answer is kept."""
        last = self._last
        if last is not None and last[0] is text:
            return last[1]
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError:
            return None
        found = Candidates(text, data, self.keys, self._hits(data))
        self._last = (text, found)
        return found

    def _hits(self, data: bytes) -> list[tuple[int, int]]:
        """(probe, end offset in bytes) of every report, in the order of the ends."""
        hits: list[tuple[int, int]] = []
        if self.database is None or not data:
            return hits
        add = hits.append

        def on_match(probe: int, start: int, end: int, flags: int, context) -> None:
            add((probe, end))

        self.database.scan(data, match_event_handler=on_match)
        return hits


def _asked(probe: Probe) -> tuple:
    """What a probe asks of a text (probes asking the same are compiled once)."""
    return probe.pattern, probe.flags, probe.scope, probe.literal


def _built(probes: list[Probe]) -> tuple[hyperscan.Database | None, list[int], dict[object, str]]:
    """The compiled database of the probes the engine takes, their indices, and why the others are
    not taken (by key). From the user's cache folder when built before: translating and compiling
    the default packs takes seconds, loading them milliseconds."""
    source = Path(__file__).read_bytes()  # a new translator: a new database
    digest = hashlib.sha256(repr((hyperscan.__version__, source, probes)).encode()).hexdigest()[:24]
    return usercache.remembered(
        f"stage-{digest}.hsdb", lambda: _compiled(probes), dumps=_stage_bytes, loads=_stage_of,
        keep=("stage-*.hsdb", KEEP_DATABASES))


def _stage_bytes(stage: tuple) -> bytes:
    database, kept, slow = stage
    return pickle.dumps((kept, slow, hyperscan.dumpb(database) if database else b""))


def _stage_of(data: bytes) -> tuple:
    kept, slow, blob = pickle.loads(data)
    return (_loaded(blob) if blob else None), kept, slow


def _compiled(probes: list[Probe]) -> tuple[hyperscan.Database | None, list[int], dict[object, str]]:
    log.info("compiling the first stage of these rules (once per rule set, several seconds; kept in %s)",
             usercache.folder())
    slow: dict[object, str] = {}
    wrapped: list[tuple[int, str, int]] = []
    for k, probe in enumerate(probes):
        try:
            wrapped.append((k, *_wrapped(probe)))
        except Untranslatable as exc:
            slow[probe.key] = str(exc)
        except Exception as exc:  # noqa: BLE001 - a translator bug must cost speed, never findings
            slow[probe.key] = f"not translated ({type(exc).__name__}: {exc})"
    try:
        database = _compile([e for _, e, _ in wrapped], [f for _, _, f in wrapped]) if wrapped else None
    except hyperscan.error:  # one the engine refuses: told apart by compiling each alone
        for k, expression, flag in list(wrapped):
            try:
                _compile([expression], [flag])
            except hyperscan.error as exc:
                lead = _leading(probes[k])
                slow[probes[k].key] = f"the compiled engine refuses it ({exc})" + (
                    "; tried in Python re on the lines holding what it starts with" if lead else "")
                wrapped[wrapped.index((k, expression, flag))] = (k, *lead) if lead else None
        wrapped = [w for w in wrapped if w is not None]
        database = _compile([e for _, e, _ in wrapped], [f for _, _, f in wrapped]) if wrapped else None
    kept = [k for k, _, _ in wrapped]
    return database, kept, slow


KEEP_DATABASES = 8  # compiled stages kept in the cache folder (one per set of rules used lately)


def _leading(probe: Probe) -> tuple[str, int] | None:
    """For a line probe the engine refuses: the longest start of its pattern it takes, as a search in
    the line (every line the pattern matches holds a match of its first items), or None."""
    if probe.scope == IN_TEXT or probe.literal:
        return None
    for items in range(_top_items(probe.pattern, probe.flags) - 1, 0, -1):
        try:
            body = translate(probe.pattern, probe.flags, items).expression
            expression, flag = f"(?:{body})[^\\n]*$", hyperscan.HS_FLAG_MULTILINE
            _compile([expression], [flag])
        except (Untranslatable, hyperscan.error):
            continue
        return expression, flag  # (a start that may match nothing is refused by the engine)
    return None


def _loaded(blob: bytes) -> hyperscan.Database:
    database = hyperscan.loadb(blob, hyperscan.HS_MODE_BLOCK)
    database.scratch = hyperscan.Scratch(database)
    return database


def _compile(expressions, flags) -> hyperscan.Database:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    base = hyperscan.HS_FLAG_UTF8
    database.compile(
        expressions=[e.encode() for e in expressions],
        ids=list(range(len(expressions))),
        elements=len(expressions),
        flags=[base | f for f in flags],
    )
    return database


class Candidates:
    """The first stage's answer for one text: per probe key, the lines (0-based, ascending) it may
    match, or whether the text may hold a match at all."""

    __slots__ = ("text", "_by_key")

    def __init__(self, text: str, data: bytes, keys: list[tuple], hits: list[tuple[int, int]]):
        """keys: per compiled probe, the keys of the probes asking what it asks."""
        self.text = text
        by_probe: dict[int, list[int]] = {}
        if hits:
            # the line of a match's last byte: a match may run on over the line break ending it
            # (a relaxed \s*), and that break belongs to the line before
            ends = [max(end - 1, 0) for _, end in hits]
            lines = list(accumulate(map(data.count, repeat(b"\n"), [0, *ends[:-1]], ends)))
            for (probe, _), line in zip(hits, lines, strict=True):
                by_probe.setdefault(probe, []).append(line)
        self._by_key = {key: found for p, found in by_probe.items() for key in keys[p]}

    def lines(self, key) -> list[int]:
        """The lines the probe `key` reported, ascending, without repeats."""
        found = self._by_key.get(key)
        if not found:
            return []
        return sorted(set(found)) if len(found) > 1 else found

    def has(self, key) -> bool:
        return key in self._by_key

