"""One spelling per person and place: dictionary aliases, fuzzy misspellings, consistency, pronouns.

Kinds handled (codes in rules/names.yaml):
  name-alias        a spelling the dictionary lists for an entity -> its canonical form in the style (safe)
  name-fuzzy        a close misspelling the dictionary does not list (unsafe, score as confidence)
  name-consistency  a name written two ways in one article, neither in the dictionary: minority -> majority
  pronoun-gender    "he"/"she" in a quote attribution that does not match the person just named (display)

Alias lookup is one trie-shaped regex over the whole text; fuzzy search compares a capitalised word
only with the dictionary spellings in its block (same first letter of its transliteration form),
through rapidfuzz, with the first name beside it and the entity's other mentions as context.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.passes.names_dict import (
    CONTEXT_WINDOW,
    Alias,
    Dictionary,
    Entity,
    alias_regex,
    block_key,
    build_aliases,
    load_dictionary,
    skeleton,
    translit_form,
)
from cleaner.rules import Rule, RuleSet

# the left boundary comes after the first letter so the regex engine can skip ahead to capitals
WORD = re.compile(r"[A-Z](?<![\w\-’'][A-Z])[a-z]+(?:-[A-Z]?[a-z]+)*(?![\w\-])")
PAIR = re.compile(r"[A-Z](?<![\w\-’'][A-Z])([a-z]+) (?=([A-Z][a-z]+(?:-[A-Z]?[a-z]+)*)(?![\w\-]))")
BOUNDARY = re.compile(r"[\w\-’']")
PRONOUN = re.compile(
    r"\b(he|she|He|She)\s+(said|says|added|adds|continued|told|asked|noted|stressed|explained|wrote|insisted)\b"
)
OTHER_SPEAKER = re.compile(
    r"\b[A-Z][a-z]+ [A-Z][a-z]+\b|\b[A-Z][a-z]+(?:’s|'s)? (?:said|says|added|told|asked|continued)\b"
)
SPEECH_AFTER = re.compile(
    r"(?:’s|'s)?\s+(?:said|says|added|told|asked|continued|noted|stressed|explained|wrote)\b"
)
PRONOUN_WINDOW = 400
MIN_FUZZY_LENGTH = 4
DEFAULT_MIN_SCORE = 85.0
CANDIDATE_CUTOFF = 70  # a lone word this close to a dictionary spelling is looked at
FIRST_NAME_CUTOFF = 80  # a first name this close to one of a person's first names
SURNAME_CUTOFF = 60  # ... and a surname at least this close
CONTEXT_BONUS = 5.0  # a context word nearby, or another mention of the entity in the article
MAX_FUZZY_SCORE = 95.0  # a guess is never certain


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    entity: Entity
    replacement: str


class NamesPass(Pass):
    kinds = frozenset({"name-alias", "name-fuzzy", "name-consistency", "pronoun-gender"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.rule = {r.kind: r for r in rules}
        self.dictionary: Dictionary = load_dictionary(ruleset)
        self.dictionary.check_style(settings.style)
        self.aliases = build_aliases(self.dictionary, settings.style)
        self.regex = alias_regex(self.aliases)
        self.blocks = self._fuzzy_blocks()
        self.first_names = self._first_name_blocks()
        self._fuzzy_cache: dict = {}
        self._first_cache: dict[str, list] = {}
        self.alias_words = {word for alias in self.aliases for word in alias.split()}

    # ------------------------------------------------------------ set-up

    def _fuzzy_blocks(self) -> dict[str, tuple[list[str], list[tuple[Entity, str]]]]:
        """block key -> (translit forms, [(entity, the canonical single word)]) for one-word spellings."""
        targets: dict[str, tuple[Entity, str] | None] = {}
        for alias in self.aliases.values():
            entity = alias.entity
            if alias.exception or alias.ambiguous or " " in alias.text or entity.kind == "given-name":
                continue
            key = translit_form(alias.text)
            if len(key) < MIN_FUZZY_LENGTH:
                continue
            target = (entity, alias.replacement)
            if key in targets and targets[key] is not None and targets[key][0].id != entity.id:
                targets[key] = None  # two entities spelled alike: never guess between them
            else:
                targets.setdefault(key, target)
        blocks: dict[str, tuple[list[str], list[tuple[Entity, str]]]] = {}
        for key, target in sorted(targets.items()):
            if target is None:
                continue
            forms, owners = blocks.setdefault(key[:1], ([], []))
            forms.append(key)
            owners.append(target)
        return blocks

    def _first_name_blocks(self) -> dict[str, tuple[list[str], list[list[tuple[Entity, str, set[str]]]]]]:
        """block key -> (first-name translit forms, [(person, canonical full name, surname spellings)])."""
        people: dict[str, tuple[Entity, set[str], set[str]]] = {}
        for alias in self.aliases.values():
            entity = alias.entity
            if entity.kind != "person" or alias.exception or " " not in alias.text:
                continue
            _, firsts, surnames = people.setdefault(entity.id, (entity, set(), set()))
            first, last = alias.text.rsplit(" ", 1)
            firsts.add(first)
            surnames.add(last)
        index: dict[str, dict[str, list]] = {}
        for entity, firsts, surnames in people.values():
            target = entity.form(self.settings.style, self.dictionary.styles)
            for first in firsts:
                index.setdefault(block_key(first), {}).setdefault(translit_form(first), []).append(
                    (entity, target, surnames)
                )
        return {k: (list(v), list(v.values())) for k, v in index.items()}

    # ------------------------------------------------------------ scan

    def scan(self, doc: Document) -> Iterable[Finding]:
        text = doc.text
        mentions = list(self._mentions(text))
        findings: list[Finding] = []
        alias_rule = self.rule.get("name-alias")
        if alias_rule is not None:
            for m in mentions:
                if m.replacement != text[m.start : m.end]:
                    findings.append(alias_rule.finding(doc, m.start, m.end, m.replacement))
        counts = Counter(WORD.findall(text))
        fuzzy: list[tuple[Finding | None, Mention]] = []
        if ("name-fuzzy" in self.rule or "pronoun-gender" in self.rule) and self._has_candidates(
            text, counts, {m.entity.id for m in mentions}
        ):
            # the slow, positional look only for articles with a word near a dictionary spelling
            words = _outside(WORD.finditer(text), [(m.start, m.end) for m in mentions])
            fuzzy = self._fuzzy(doc, mentions, words)
        if "name-fuzzy" in self.rule:
            findings.extend(f for f, _ in fuzzy)
        if "name-consistency" in self.rule:
            fixed = {w for _, m in fuzzy for w in text[m.start : m.end].split()}
            findings.extend(self._consistency(doc, counts, fixed))
        if "pronoun-gender" in self.rule:
            people = mentions + [m for _, m in fuzzy]
            findings.extend(self._pronouns(doc, sorted(people, key=lambda m: m.start)))
        return findings

    def _mentions(self, text: str) -> Iterable[Mention]:
        if self.regex is None:
            return
        for m in self.regex.finditer(text):
            if m.start() and BOUNDARY.match(text, m.start() - 1):
                continue  # inside a word
            alias: Alias = self.aliases[m.group(0)]
            if alias.exception:
                continue
            if alias.ambiguous and not _has_context(text, m.start(), m.end(), alias.entity.context):
                continue
            yield Mention(m.start(), m.end(), alias.entity, alias.replacement)

    def _fuzzy(
        self, doc: Document, mentions: list[Mention], words: list[re.Match]
    ) -> list[tuple[Finding | None, Mention]]:
        """Capitalised words close to a dictionary spelling of their block, with context to back them.

        A word after a capitalised word is read as a full name first: the first name must be close to
        one of a person's first names. A lone word needs another mention of the entity in the article
        or one of its context words nearby. Context adds to the rapidfuzz score.
        """
        rule = self.rule.get("name-fuzzy")
        min_score = float(rule.params.get("min_score", DEFAULT_MIN_SCORE)) if rule else DEFAULT_MIN_SCORE
        text = doc.text
        named = {m.entity.id for m in mentions}
        out: list[tuple[Finding | None, Mention]] = []
        consumed = -1
        for i, w in enumerate(words):
            if i <= consumed:
                continue
            prev = (
                words[i - 1]
                if i and i - 1 > consumed and text[words[i - 1].end() : w.start()] == " "
                else None
            )
            hit = None
            if prev is not None and self._first_name_owners(prev.group(0)):
                hit = self._full_name(prev.group(0), w.group(0))
            if hit is not None:
                start, (entity, replacement, base) = prev.start(), hit
            else:
                lone = self._closest(w.group(0)) if w.group(0) not in self.alias_words else None
                if lone is None:
                    continue  # unknown, or a word the dictionary knows only inside a full name
                replacement, entity, base = lone
                start = w.start()
                if prev is not None and entity.kind == "person" and not _sentence_start(text, prev.start()):
                    continue  # a surname after a first name that is not this person's: someone else
                if entity.id not in named and not _has_context(text, w.start(), w.end(), entity.context):
                    continue
            score = min(base + self._bonus(text, start, w.end(), entity, named), MAX_FUZZY_SCORE)
            if score < min_score or text[start : w.end()] == replacement:
                continue
            consumed = i
            mention = Mention(start, w.end(), entity, replacement)
            finding = None
            if rule is not None:
                finding = rule.finding(
                    doc,
                    start,
                    w.end(),
                    replacement,
                    confidence=round(score / 100, 3),
                    message=f"{rule.message} ({entity.id}, score {score:.0f})",
                )
            out.append((finding, mention))
        return out

    @staticmethod
    def _bonus(text: str, start: int, end: int, entity: Entity, named: set[str]) -> float:
        bonus = CONTEXT_BONUS if _has_context(text, start, end, entity.context) else 0.0
        return bonus + (CONTEXT_BONUS if entity.id in named else 0.0)

    def _closest(self, word: str) -> tuple[str, Entity, float] | None:
        """The best one-word dictionary spelling for a word (cached), or None below the floor."""
        if word in self._fuzzy_cache:
            return self._fuzzy_cache[word]
        result = None
        form = translit_form(word)
        block = self.blocks.get(block_key(word))
        if block and len(form) >= MIN_FUZZY_LENGTH:
            forms, owners = block
            hit = process.extractOne(
                form, forms, scorer=fuzz.ratio, processor=utils.default_process, score_cutoff=CANDIDATE_CUTOFF
            )
            if hit is not None:
                matched, score, index = hit
                entity, target = owners[index]
                if not _gender_form_differs(word, target) and not _derived(form, matched):
                    result = (target, entity, float(score))
        self._fuzzy_cache[word] = result
        return result

    def _has_candidates(self, text: str, counts: Counter, named: set[str]) -> bool:
        """Could the article hold a fuzzy match? A cheap superset of what _fuzzy accepts (cached lookups)."""
        lowered = None
        for word in counts:
            hit = self._closest(word) if word not in self.alias_words else None
            if hit is None:
                continue
            entity = hit[1]
            if entity.id in named:
                return True
            lowered = lowered if lowered is not None else text.lower()
            if any(c.lower() in lowered for c in entity.context):
                return True
        for m in PAIR.finditer(text):
            first, last = m.group(0)[:-1], m.group(2)
            if (
                f"{first} {last}" not in self.aliases
                and self._first_name_owners(first)
                and self._full_name(first, last)
            ):
                return True
        return False

    def _first_name_owners(self, first: str) -> list[tuple[Entity, str, set[str]]]:
        """People whose first name is close to `first` (cached; empty for most capitalised words)."""
        owners = self._first_cache.get(first)
        if owners is None:
            owners = []
            block = self.first_names.get(block_key(first))
            if block is not None:
                forms, people = block
                hits = process.extract(
                    translit_form(first),
                    forms,
                    scorer=fuzz.ratio,
                    processor=utils.default_process,
                    score_cutoff=FIRST_NAME_CUTOFF,
                    limit=8,
                )
                owners = [person for _, _, index in hits for person in people[index]]
            self._first_cache[first] = owners
        return owners

    def _full_name(self, first: str, last: str) -> tuple[Entity, str, float] | None:
        """(person, canonical full name, score) when `first last` reads as a person's name, else None."""
        key = (first, last)
        if key in self._fuzzy_cache:
            return self._fuzzy_cache[key]
        result = None
        best = 0.0
        for entity, target, surnames in self._first_name_owners(first):
            if _gender_form_differs(last, target.rsplit(" ", 1)[1]):
                continue
            surname = max(fuzz.ratio(translit_form(last), translit_form(s)) for s in surnames)
            if surname < SURNAME_CUTOFF:
                continue
            score = max(
                fuzz.ratio(f"{first} {last}", target, processor=utils.default_process),
                fuzz.ratio(translit_form(f"{first} {last}"), translit_form(target)),
            )
            if score > best:
                best, result = score, (entity, target, score)
        self._fuzzy_cache[key] = result
        return result

    def _consistency(self, doc: Document, all_counts: Counter, fixed: set[str]) -> Iterable[Finding]:
        """Two spellings of one unknown name in an article (same skeleton, close): minority -> majority."""
        rule = self.rule["name-consistency"]
        min_score = float(rule.params.get("min_score", 88))
        counts = Counter(
            {
                w: n
                for w, n in all_counts.items()
                if len(w) >= 5 and w not in self.alias_words and w not in fixed
            }
        )
        groups: dict[str, list[str]] = {}
        for word in counts:
            groups.setdefault(skeleton(word), []).append(word)
        replace: dict[str, tuple[str, float]] = {}
        for forms in groups.values():
            if len(forms) < 2:
                continue
            forms.sort(key=lambda f: (-counts[f], f))
            major = forms[0]
            for minor in forms[1:]:
                if counts[minor] == counts[major] or _gender_form_differs(minor, major):
                    continue
                if _derived(translit_form(minor), translit_form(major)):
                    continue
                score = fuzz.ratio(translit_form(minor), translit_form(major))
                if score >= min_score:
                    replace[minor] = (major, score)
        for minor, (major, score) in replace.items():
            for w in re.finditer(rf"(?<![\w\-’']){re.escape(minor)}(?![\w\-])", doc.text):
                yield rule.finding(
                    doc,
                    w.start(),
                    w.end(),
                    major,
                    confidence=round(score / 100 * 0.8, 3),
                    message=f"{rule.message} ({major!r} {counts[major]}×, {minor!r} {counts[minor]}×)",
                )

    def _pronouns(self, doc: Document, people: list[Mention]) -> Iterable[Finding]:
        """A quote attributed to he/she after a quote attributed to a named person of the other gender."""
        rule = self.rule["pronoun-gender"]
        text = doc.text
        people = [m for m in people if m.entity.gender]
        if not people:
            return
        for p in PRONOUN.finditer(text):
            before = [
                m
                for m in people
                if m.end <= p.start()
                and p.start() - m.end <= PRONOUN_WINDOW
                and SPEECH_AFTER.match(text, m.end)
            ]
            if not before:
                continue
            last = before[-1]
            between = text[last.end : p.start()]
            if OTHER_SPEAKER.search(between):
                continue  # someone else may be speaking
            pronoun = p.group(1)
            expected = "he" if last.entity.gender == "male" else "she"
            if pronoun.lower() == expected:
                continue
            replacement = expected.capitalize() if pronoun[0].isupper() else expected
            yield rule.finding(
                doc,
                p.start(1),
                p.end(1),
                replacement,
                message=f"{rule.message}: {text[last.start : last.end]!r} is {last.entity.gender}",
            )


def _sentence_start(text: str, pos: int) -> bool:
    """True when pos begins a line or follows the end of a sentence (or an opening quote)."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return not before or before[-1] in '\n.!?“"‘(:'


def _outside(matches: Iterable[re.Match], spans: list[tuple[int, int]]) -> list[re.Match]:
    """The matches (in text order) that overlap none of the spans; one merge pass, not a search each."""
    spans = sorted(spans)
    out, k = [], 0
    for m in matches:
        while k < len(spans) and spans[k][1] <= m.start():
            k += 1
        if k < len(spans) and spans[k][0] < m.end():
            continue
        out.append(m)
    return out


def _has_context(text: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    if not words:
        return False
    around = text[max(0, start - CONTEXT_WINDOW) : end + CONTEXT_WINDOW].lower()
    return any(re.search(rf"\b{re.escape(w.lower())}\b", around) for w in words)


def _derived(form: str, target: str) -> bool:
    """Ukrainian is not a misspelling of Ukraine, nor German of Germany: one extends the other."""
    short, long = sorted((form, target), key=len)
    return len(long) > len(short) and long.startswith(short.rstrip("aeiou"))


def _gender_form_differs(word: str, target: str) -> bool:
    """Zelenska is not Zelensky: a Slavic surname's feminine -a form names another person."""
    return (word.lower().endswith("a")) != (target.lower().endswith("a"))
