"""One spelling per person and place: dictionary aliases, fuzzy misspellings, consistency, pronouns.

Kinds handled (codes in rules/names.yaml):
  name-alias        a spelling the dictionary lists for an entity -> the form the style names (safe)
  name-official     ... of an entity the style names no form for -> the official romanisation (unsafe, off)
  name-fuzzy        a close misspelling the dictionary does not list (unsafe, score as confidence)
  name-consistency  a name written two ways in one article, neither in the dictionary: minority -> majority
  pronoun-gender    "he"/"she" in a quote attribution that does not match the person just named (display)

Alias lookup is one trie-shaped regex over the whole text; fuzzy search compares a capitalised word
only with the dictionary spellings in its block (same first letter of its transliteration form),
through rapidfuzz, with the first name beside it and the entity's other mentions as context.
"""

from __future__ import annotations

import heapq
import re
from bisect import bisect_right
from collections.abc import Iterable
from string import ascii_letters
from typing import NamedTuple

from rapidfuzz import fuzz, process, utils
from rapidfuzz.distance import JaroWinkler

from cleaner.model import Document, Finding
from cleaner.passes.base import Pass, Settings
from cleaner.passes.names_dict import (
    CONTEXT_WINDOW,
    Dictionary,
    Entity,
    alias_regex,
    block_key,
    build_aliases,
    load_dictionary,
    skeleton,
    translit_form,
)
from cleaner.passes.words import not_a_name, zipf
from cleaner.rules import Rule, RuleSet

# [A-Z][a-z]+(?:-[A-Z]?[a-z]+)* not after a letter, digit, hyphen or apostrophe, nor before a word
# character or hyphen. The look-behind comes after the first two letters so the regex engine skips ahead
# to capitals; the quantifiers are possessive because giving letters back never ends a match
WORD = re.compile(r"[A-Z][a-z](?<![\w\-’'][A-Z][a-z])[a-z]*+(?:-[A-Z]?[a-z]++)*+(?![\w\-])")
BOUNDARY = re.compile(r"[\w\-’']")
AFTER = re.compile(r"[\w\-]")
PRONOUN = re.compile(
    r"\b(he|she|He|She)\s+(said|says|added|adds|continued|told|asked|noted|stressed|explained|wrote|insisted)\b"
)
# PRONOUN's matches, found as two regexes that start with a literal ("he", "He") so the engine skips
# ahead to them: "he" is the end of he, she and She; the word boundary is looked back for after it
_SPEECH_VERB = r"\s+(?:said|says|added|adds|continued|told|asked|noted|stressed|explained|wrote|insisted)\b"
_LOWER_HE = re.compile(r"he(?:(?<=(?<!\w)he)|(?<=(?<!\w)[sS]he))" + _SPEECH_VERB)
_CAPITAL_HE = re.compile(r"He(?<=(?<!\w)He)" + _SPEECH_VERB)
_WORD_CHAR = re.compile(r"\w")
# \b[A-Z][a-z]+ [A-Z][a-z]+\b|\b[A-Z][a-z]+(?:’s|'s)? (?:said|...)\b, the same way
OTHER_SPEAKER = re.compile(
    r"[A-Z](?<!\w[A-Z])(?:[a-z]+ [A-Z][a-z]+\b|[a-z]+(?:’s|'s)? (?:said|says|added|told|asked|continued)\b)"
)
# a speaker named after the verb ("said Truss"), or a title and a name ("Prime Minister Truss")
OTHER_SPEAKER_AFTER = re.compile(
    r"\b(?:said|says|added|told|asked|continued|noted|stressed|explained|wrote)\s+[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?[.,;]"
    r"|\b(?:Mr|Mrs|Ms|Dr|President|Minister|Secretary|Chancellor|Mayor|Governor|Senator|General)\.?\s+[A-Z]"
)
SPEECH_AFTER = re.compile(
    r"(?:’s|'s)?\s+(?:said|says|added|told|asked|continued|noted|stressed|explained|wrote)\b"
)
PRONOUN_WINDOW = 400
PERSON_ZIPF = 4.0  # a capitalised word rarer than this between a name and a pronoun may be another person
MIN_FUZZY_LENGTH = 4
DEFAULT_MIN_SCORE = 85.0
CANDIDATE_CUTOFF = 70  # a lone word this close to a dictionary spelling is looked at
FIRST_NAME_CUTOFF = 80  # a first name this close to one of a person's first names
SURNAME_CUTOFF = 80  # ... and a surname at least this close (Jaro-Winkler of the transliteration forms:
# Shputun ~ Shtupun 95, Beerbach ~ Baerbock 86, but Potanin ~ Putin 74)
SENTENCE_WORD_ZIPF = 4.5  # a capitalised first word this frequent in English is no first name (In, Later)
CONTEXT_BONUS = 5.0  # a context word nearby, or another mention of the entity in the article
# context words that say only "this is about Ukraine": evidence for an ambiguous alias (Makarov beside
# "district"), none for a guess at a misspelling in an article about Ukraine
GENERIC_CONTEXT = frozenset(
    {"city", "town", "village", "region", "oblast", "district", "raion", "ukraine", "ukrainian"}
)
# words before a name that are not part of it: a lone surname after them is still a lone word
TITLES = frozenset(
    """Mr Mrs Ms Dr President Mayor Minister Premier General Gen Colonel Col Governor Gov Ambassador
    Envoy Spokesman Spokeswoman Chancellor Secretary Senator Sen Rep Commander Lieutenant Lt Major Maj
    Captain Capt Sergeant Sgt Admiral Adm Marshal Chairman Chairwoman Chair Deputy Adviser Advisor
    Prosecutor Judge Speaker Head Chief King Queen Prince Princess Pope Patriarch Metropolitan Father
    Saint St Sir Lady Lord Professor Prof""".split()
)
MAX_FUZZY_SCORE = 95.0  # a guess is never certain
# a place word that must stand near a word whose only evidence is a place's transliteration form, and
# the score such a guess gets at most
PLACE_WORDS = ("village", "villages", "town", "towns", "city", "cities", "settlement", "settlements",
               "region", "district", "oblast", "raion", "hromada")
EXACT_ONLY_SCORE = 85.0
MIN_PLACE_GUESS = 7  # a lone word this short is never guessed to be a misspelled place
CACHE_LIMIT = 200_000  # per-word verdicts kept by a pass before its caches start over
_WORD_CHARS = frozenset(ascii_letters + "-")  # every character a WORD match can hold


class Mention(NamedTuple):
    start: int
    end: int
    entity: Entity
    replacement: str
    canon: bool = True  # the style names the replacement (a change to it is safe)


class NamesPass(Pass):
    kinds = frozenset({"name-alias", "name-official", "name-fuzzy", "name-consistency", "pronoun-gender"})

    def __init__(self, rules: list[Rule], ruleset: RuleSet, settings: Settings):
        super().__init__(rules, ruleset, settings)
        self.rule = {r.kind: r for r in rules}
        self.dictionary: Dictionary = load_dictionary(ruleset)
        self.dictionary.check_style(settings.style)
        self.aliases = build_aliases(self.dictionary, settings.style)
        self.regex = alias_regex(self.aliases)
        self.blocks = self._fuzzy_blocks()
        self.first_names = self._first_name_blocks()
        # spelling -> (entity or None for an exception, replacement, ambiguous, changed by the style,
        # the style names the replacement)
        self._found = {
            a.text: (
                None if a.exception else a.entity,
                a.replacement,
                a.ambiguous,
                a.replacement != a.text,
                a.canon,
            )
            for a in self.aliases.values()
        }
        self.alias_words = frozenset(word for alias in self.aliases for word in alias.split())
        # where a spelling stands alone (a mention), WORD finds each of its words that is a WORD: one of
        # them is a key to the spelling; the few spellings without one are looked for as they are
        keys = {a: next((w for w in a.split(" ") if WORD.fullmatch(w)), None) for a in self.aliases}
        self.key_words = frozenset(w for w in keys.values() if w is not None)
        self.keyless = tuple(sorted(a for a, w in keys.items() if w is None))
        # entities with a context word whose lower case may depend on its neighbours (final sigma):
        # a context word in a window need not then be in the lowered article
        self._unsafe_context = frozenset(
            e.id
            for e in self.dictionary.entities.values()
            if any(not c.isascii() and c.lower() not in GENERIC_CONTEXT for c in e.context)
        )
        # the context words that are evidence for a guess (not the generic place words)
        self._lower_context = {
            e.id: tuple(c.lower() for c in e.context if c.lower() not in GENERIC_CONTEXT)
            for e in self.dictionary.entities.values()
        }
        self._evidence_context = {
            e.id: tuple(c for c in e.context if c.lower() not in GENERIC_CONTEXT)
            for e in self.dictionary.entities.values()
        }
        # every spelling of a given name: a first name is not a surname's misspelling (Yulia, Yuliya)
        self._given = frozenset(
            f
            for e in self.dictionary.entities.values()
            if e.kind == "given-name"
            for f in e.all_forms(self.dictionary.styles)
        )
        # a context word's capitalised form among the article's WORDs: the word is in the lowered
        # article (WORD matches are ASCII), which is then not searched
        self._capital_context = {
            k: frozenset(c.capitalize() for c in words if WORD.fullmatch(c.capitalize()))
            for k, words in self._lower_context.items()
        }
        consistency = self.rule.get("name-consistency")
        self._pair_score = float(consistency.params.get("min_score", 80)) if consistency else None
        self._clear_caches()

    def _clear_caches(self) -> None:
        """Per-word verdicts are pure functions of the word: clearing them never changes a finding."""
        self._fuzzy_cache: dict = {}  # word -> _closest, (first, last) -> _full_name
        self._first_cache: dict[str, list] = {}  # word -> _first_name_owners
        self._variant_cache: dict[tuple[str, str], float | None] = {}
        self._known: set[str] = set()  # the words below were worked out for
        self._near: dict[str, Entity] = {}  # close to a one-word dictionary spelling (not one itself)
        self._exact: set[str] = set()  # ... of a place, with the same transliteration form
        self._firsts: set[str] = set()  # close to a person's first name
        self._spellings: dict[str, list[str]] = {}  # skeleton -> the words seen with it (5+ letters)
        self._paired: set[str] = set()  # words with a close variant among those of their skeleton

    def _learn(self, distinct: set[str]) -> None:
        """Work out the verdicts for the words not seen before; most articles bring none or a few."""
        new = distinct.difference(self._known)
        if not new:
            return
        if len(self._known) + len(self._fuzzy_cache) + len(self._variant_cache) > CACHE_LIMIT:
            self._clear_caches()
            new = set(distinct)
        self._known.update(new)
        for word in new:
            known = word in self.alias_words
            closest = None if known else self._closest(word)
            if closest is not None:
                self._near[word] = closest[1]
                if closest[2] >= 100 and closest[1].kind == "place":
                    self._exact.add(word)
            if self._first_name_owners(word):
                self._firsts.add(word)
            if self._pair_score is None or known or len(word) < 5:
                continue
            same = self._spellings.setdefault(skeleton(word), [])
            for other in same:
                if self._close(word, other) or self._close(other, word):
                    self._paired.update((word, other))
            same.append(word)

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
        words = WORD.findall(text)
        distinct = set(words)
        mentions, changed = self._mentions(text, distinct)
        findings: list[Finding] = []
        # the style's own forms (NM001); where the style is silent, the official romanisation (NM004)
        alias_rule, official_rule = self.rule.get("name-alias"), self.rule.get("name-official")
        for m in changed:
            rule = alias_rule if m.canon else official_rule
            if rule is not None:
                findings.append(rule.finding(doc, m.start, m.end, m.replacement))
        self._learn(distinct)
        fuzzy: list[tuple[Finding | None, Mention]] = []
        if "name-fuzzy" in self.rule or "pronoun-gender" in self.rule:
            named = {m.entity.id for m in mentions}
            lone, likely, firsts = self._candidates(text, distinct, named)
            if likely or self._has_pair(text, firsts):
                # the positional look only for articles with a word near a dictionary spelling
                fuzzy = self._fuzzy(doc, mentions, named, lone, firsts)
        if "name-fuzzy" in self.rule:
            findings.extend(f for f, _ in fuzzy)
        if "name-consistency" in self.rule:
            fixed = {w for _, m in fuzzy for w in text[m.start : m.end].split()}
            findings.extend(self._consistency(doc, words, distinct, fixed))
        if "pronoun-gender" in self.rule:
            people = sorted(mentions + [m for _, m in fuzzy], key=_start) if fuzzy else mentions
            if any(m.entity.gender for m in people):
                findings.extend(self._pronouns(doc, people))
        return findings

    def _mentions(self, text: str, distinct: set[str]) -> tuple[list[Mention], list[Mention]]:
        """The dictionary's spellings in the text (one regex), and those among them the style changes.

        A mention holds a key word (`key_words`), one of the article's capitalised words (`distinct`),
        or it is one of the few spellings without one (looked for as they are): an article with
        neither has none, and is not searched."""
        if self.regex is None:
            return [], []
        if distinct.isdisjoint(self.key_words) and not any(a in text for a in self.keyless):
            return [], []
        out: list[Mention] = []
        changed: list[Mention] = []
        found = self._found
        boundary = BOUNDARY.match
        new = tuple.__new__
        for m in self.regex.finditer(text):
            start, end = m.span()
            if start and boundary(text, start - 1):
                continue  # inside a word
            entity, replacement, ambiguous, changes, canon = found[m.group()]
            if entity is None:
                continue  # an exception: a fixed expression left alone
            if ambiguous and not _has_context(text, start, end, entity.context):
                continue
            mention = new(Mention, (start, end, entity, replacement, canon))
            out.append(mention)
            if changes:
                changed.append(mention)
        return out, changed

    def _candidates(
        self, text: str, distinct: set[str], named: set[str]
    ) -> tuple[list[str], bool, Iterable[str]]:
        """The article's distinct capitalised words that the fuzzy look can use.

        Lone candidates: words close to a one-word dictionary spelling whose entity is named in the
        article or has a context word in it (the cheap superset of what a lone match needs). First
        names: words close to a person's first name. Both are set intersections with the words worked
        out so far (`_learn`). `likely` is True when a lone candidate's entity is named or has a
        context word in the article.
        """
        likely = False
        lone: list[str] = []
        lowered = _Lowered(text)
        present: dict[str, bool] = {}  # entity id -> a context word is in the article
        seen: dict[str, bool] = {}  # context word -> it is in the article
        near = self._near
        for word in distinct & near.keys():
            entity = near[word]
            if entity.id in named or word in self._exact:
                likely = True
                lone.append(word)
                continue
            ok = present.get(entity.id)
            if ok is None:
                ok = not distinct.isdisjoint(self._capital_context[entity.id])
                for c in () if ok else self._lower_context[entity.id]:
                    found = seen.get(c)
                    if found is None:
                        found = seen[c] = c in lowered
                    if found:
                        ok = True
                        break
                present[entity.id] = ok
            if ok:
                likely = True
                lone.append(word)
            elif entity.id in self._unsafe_context:
                lone.append(word)
        firsts = distinct & self._firsts if self._firsts else ()
        return lone, likely, firsts

    def _has_pair(self, text: str, firsts: Iterable[str]) -> bool:
        """A first name, a space and a word that read as a person's full name (not a listed one)."""
        for first in firsts:
            if "-" in first:
                continue
            for i in _occurrences(text, first):
                j = i + len(first)
                if text.startswith(" ", j):
                    m = WORD.match(text, j + 1)
                    if m is not None:
                        last = m.group()
                        if f"{first} {last}" not in self.aliases and self._full_name(first, last):
                            return True
        return False

    def _fuzzy(
        self, doc: Document, mentions: list[Mention], named: set[str], lone: list[str], firsts: Iterable[str]
    ) -> list[tuple[Finding | None, Mention]]:
        """Capitalised words close to a dictionary spelling of their block, with context to back them.

        A word after a capitalised word is read as a full name first: the first name must be close to
        one of a person's first names. A lone word needs another mention of the entity in the article
        or one of its context words nearby. Context adds to the rapidfuzz score.

        Only the occurrences that can match are looked at: the lone candidates and the words right
        after a first name, found with str.find; the word before each is read back from the text.
        """
        rule = self.rule.get("name-fuzzy")
        min_score = float(rule.params.get("min_score", DEFAULT_MIN_SCORE)) if rule else DEFAULT_MIN_SCORE
        text = doc.text
        positions: set[int] = set()
        for word in lone:
            positions.update(_occurrences(text, word))
        for first in firsts:
            for i in _occurrences(text, first):
                j = i + len(first) + 1
                if text.startswith(" ", j - 1) and WORD.match(text, j) is not None:
                    positions.add(j)
        if not positions:
            return []
        spans_end = [m.end for m in mentions]
        out: list[tuple[Finding | None, Mention]] = []
        in_names: dict[str, bool] = {}  # word -> some occurrence of it is part of a longer name
        last_end = -1  # end of the last accepted word: it cannot be the first name of the next
        for p in sorted(positions):
            w = WORD.match(text, p)
            end = w.end()
            if _overlaps(mentions, spans_end, p, end):
                continue
            word = w.group()
            prev = None
            pstart = 0
            if p >= 2 and text[p - 1] == " " and p - 1 != last_end:
                pstart = _run_start(text, p - 1)
                pm = WORD.match(text, pstart)
                # a first name the dictionary also knows as a place (Volodymyr) is still a first name
                if pm is not None and pm.end() == p - 1:
                    word_before = pm.group()
                    if not _overlaps(mentions, spans_end, pstart, p - 1) or self._first_name_owners(word_before):
                        prev = word_before
            hit = None
            if prev is not None and self._first_name_owners(prev):
                hit = self._full_name(prev, word)
            if hit is not None:
                start = pstart
                entity, replacement, base = hit
                context = _has_context(text, start, end, self._evidence_context[entity.id])
            else:
                single = self._closest(word) if word not in self.alias_words else None
                if single is None:
                    continue  # unknown, or a word the dictionary knows only inside a full name
                replacement, entity, base = single
                start = p
                if entity.kind != "person" and len(word) < MIN_PLACE_GUESS:
                    continue  # Schumi, Worzel, Donets: short words look like too many places
                part = in_names.get(word)
                if part is None:
                    part = in_names[word] = _in_longer_name(text, word)
                if part:
                    continue  # Sanna Marin, Naftogaz Ukrainy, Drobytsky Yar: someone or something else
                # evidence: the entity named elsewhere in the article, one of its own context words
                # nearby (a place has none: "city" or "Ukraine" says nothing in news of Ukraine), or the
                # same transliteration form as a place's spelling (Nemishajeve, Nemishaieve; a surname is
                # shared by many people: Clitsko alone may be either Klitschko brother)
                context = _has_context(text, p, end, self._evidence_context[entity.id])
                if entity.id not in named and not context:
                    # the same transliteration form alone is evidence only beside a place word (the
                    # villages of Nemishajeve), never for Worzel the scarecrow or the river Donets
                    if word not in self._exact or not _has_context(text, p, end, PLACE_WORDS):
                        continue
                    base = min(base, EXACT_ONLY_SCORE)
            # a context word nearby, another mention of the entity: each adds to the score
            bonus = (CONTEXT_BONUS if context else 0.0) + (CONTEXT_BONUS if entity.id in named else 0.0)
            score = min(base + bonus, MAX_FUZZY_SCORE)
            if score < min_score or text[start:end] == replacement:
                continue
            last_end = end
            mention = Mention(start, end, entity, replacement)
            finding = None
            if rule is not None:
                finding = rule.finding(
                    doc,
                    start,
                    end,
                    replacement,
                    confidence=round(score / 100, 3),
                    message=f"{rule.message} ({entity.id}, score {score:.0f})",
                )
            out.append((finding, mention))
        return out

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
                if (
                    not _gender_form_differs(word, target)
                    and not _derived(form, matched)
                    and word not in self._given
                    and not_a_name(word, target) is None
                ):
                    result = (target, entity, float(score))
        self._fuzzy_cache[word] = result
        return result

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
        owners = self._first_name_owners(first)
        if owners and not_a_name(last, target=owners[0][1]) is not None:
            owners = []  # Vladimir Main: a common word after a first name is no surname to correct
        for entity, target, surnames in owners:
            if _gender_form_differs(last, target.rsplit(" ", 1)[1]):
                continue
            form = translit_form(last)
            surname = max(JaroWinkler.normalized_similarity(form, translit_form(s)) for s in surnames) * 100
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

    def _consistency(
        self, doc: Document, words: list[str], distinct: set[str], fixed: set[str]
    ) -> Iterable[Finding]:
        """Two spellings of one unknown name in an article (same skeleton, close): minority -> majority."""
        rule = self.rule["name-consistency"]
        min_score = float(rule.params.get("min_score", 80))
        # only a word with a close variant of the same skeleton (in any article so far) can pair up
        hot = distinct & self._paired
        if fixed:
            hot -= fixed
        if not hot:
            return
        groups: dict[str, list[str]] = {}
        for key in {skeleton(w) for w in hot}:
            forms = [w for w in self._spellings[key] if w in distinct and w not in fixed]
            if len(forms) > 1:
                groups[key] = forms
        if not groups:
            return
        counts = {w: words.count(w) for forms in groups.values() for w in forms}
        first_seen = {w: words.index(w) for w in counts}
        replace: dict[str, tuple[str, float]] = {}
        # in the order the article first uses each skeleton, as a Counter of the words would give
        for forms in sorted(groups.values(), key=lambda fs: min(first_seen[f] for f in fs)):
            forms.sort(key=lambda f: (-counts[f], f))
            major = forms[0]
            for minor in forms[1:]:
                if counts[minor] == counts[major]:
                    continue
                score = self._variant_score(minor, major)
                if score is not None and score >= min_score:
                    replace[minor] = (major, score)
        for minor, (major, score) in replace.items():
            for at in _standalone(doc.text, minor):
                yield rule.finding(
                    doc,
                    at,
                    at + len(minor),
                    major,
                    confidence=round(score / 100 * 0.8, 3),
                    message=f"{rule.message} ({major!r} {counts[major]}×, {minor!r} {counts[minor]}×)",
                )

    def _close(self, minor: str, major: str) -> bool:
        """Would `minor` become `major` in an article that used `major` more often?"""
        score = self._variant_score(minor, major)
        return score is not None and score >= self._pair_score

    def _variant_score(self, minor: str, major: str) -> float | None:
        """How close two spellings are, or None when one is not a variant of the other (cached)."""
        key = (minor, major)
        cache = self._variant_cache
        if key in cache:
            return cache[key]
        score = None
        if translit_form(minor) == translit_form(major) and not _gender_form_differs(minor, major):
            # one name romanised two ways (Podolyak, Podoliak), never two words (Three, There)
            if not any(w in self._given or not_a_name(w) is not None for w in (minor, major)):
                score = fuzz.ratio(minor.lower(), major.lower())
        cache[key] = score
        return score

    def _maybe_person(self, word: str) -> bool:
        """Could this capitalised word name a person? Not when the dictionary knows it (Ukraine, Kyiv)
        or it is very frequent in English (We, The, Germany); a rarer word (Truss, Scholz) may."""
        return word not in self.alias_words and zipf(word) < PERSON_ZIPF

    def _pronouns(self, doc: Document, people: list[Mention]) -> Iterable[Finding]:
        """A quote attributed to he/she after a quote attributed to a named person of the other gender."""
        rule = self.rule["pronoun-gender"]
        text = doc.text
        # a person can be the speaker only when a speech verb follows the name
        people = [m for m in people if m.entity.gender and SPEECH_AFTER.match(text, m.end)]
        if not people:
            return
        ends = [m.end for m in people]  # mentions do not overlap: sorted like their starts
        windows: list[list[int]] = []
        for end in ends:
            if windows and end <= windows[-1][1]:
                windows[-1][1] = end + PRONOUN_WINDOW
            else:
                windows.append([end, end + PRONOUN_WINDOW])
        quotes: _Quotes | None = None  # made on first need
        for lo, hi in windows:
            for at, end in _pronoun_spans(text, lo):
                if at > hi:
                    break
                k = bisect_right(ends, at)
                if not k or at - ends[k - 1] > PRONOUN_WINDOW:
                    continue
                last = people[k - 1]
                between = text[last.end : at]
                if OTHER_SPEAKER.search(between) or OTHER_SPEAKER_AFTER.search(between):
                    continue  # someone else may be speaking
                if quotes is None:
                    quotes = _Quotes(text)
                if quotes.inside(last.start) or quotes.inside(at):
                    continue  # quoted by another speaker, or a pronoun inside the quotation itself
                if any(self._maybe_person(w) for w in WORD.findall(between)):
                    continue  # Truss, Scholz: someone else may be the one speaking
                pronoun = text[at:end]
                expected = "he" if last.entity.gender == "male" else "she"
                if pronoun.lower() == expected:
                    continue
                replacement = expected.capitalize() if pronoun[0].isupper() else expected
                yield rule.finding(
                    doc,
                    at,
                    end,
                    replacement,
                    message=f"{rule.message}: {text[last.start : last.end]!r} is {last.entity.gender}",
                )


class _Lowered:
    """`needle in text.lower()` for lower-case needles, mostly without lowering the whole text.

    Only ASCII characters lower to ASCII ones, but for U+0130 (İ -> i + dot) and U+212A (Kelvin K -> k);
    without those in the text, an ASCII needle without "?" is in the lowered text exactly when it is
    in the text's Latin-1 image with ASCII lowered ("?" stands for every character past U+00FF), which
    is cheaper to make and to search (one byte a character).
    """

    __slots__ = ("text", "lowered", "image")

    def __init__(self, text: str):
        self.text = text
        self.lowered: str | None = None
        self.image: str | bool | None = None  # False: the text has one of the two characters

    def __contains__(self, needle: str) -> bool:
        if self.image is None:
            text = self.text
            special = "\u0130" in text or "\u212a" in text
            self.image = False if special else text.encode("latin-1", "replace").lower().decode("latin-1")
        if self.image is not False and needle.isascii() and "?" not in needle:
            return needle in self.image
        if self.lowered is None:
            self.lowered = self.text.lower()
        return needle in self.lowered


def _pronoun_spans(text: str, start: int) -> Iterable[tuple[int, int]]:
    """(start, end) of the pronoun of each PRONOUN match that starts at `start` or later, in order."""

    def lower() -> Iterable[tuple[int, int]]:
        for m in _LOWER_HE.finditer(text, start):
            at = m.start()
            if at and _WORD_CHAR.match(text, at - 1):
                at -= 1  # she, She
            if at >= start:
                yield at, m.start() + 2

    capital = ((m.start(), m.start() + 2) for m in _CAPITAL_HE.finditer(text, start))
    return heapq.merge(lower(), capital)


class _Quotes:
    """Where a text's quotation marks and line breaks are, to tell in O(log n) whether a position is
    inside a quotation opened earlier in its paragraph (curly or straight quotes)."""

    __slots__ = ("breaks", "opening", "closing", "straight")

    def __init__(self, text: str):
        def where(ch: str) -> list[int]:
            out, i = [], text.find(ch)
            while i >= 0:
                out.append(i)
                i = text.find(ch, i + 1)
            return out

        self.breaks, self.opening, self.closing, self.straight = where("\n"), where("“"), where("”"), where('"')

    def inside(self, pos: int) -> bool:
        k = bisect_right(self.breaks, pos - 1)
        para = self.breaks[k - 1] + 1 if k else 0

        def count(marks: list[int]) -> int:
            return bisect_right(marks, pos - 1) - bisect_right(marks, para - 1)

        return count(self.opening) > count(self.closing) or count(self.straight) % 2 == 1


def _in_quotation(text: str, pos: int) -> bool:
    """Is `pos` inside a quotation opened earlier in its paragraph (curly or straight quotes)?"""
    return _Quotes(text).inside(pos)


def _start(m: Mention) -> int:
    return m.start


def _occurrences(text: str, word: str) -> Iterable[int]:
    """Where `word` stands as a whole capitalised word (a WORD match) in the text, in order."""
    n = len(word)
    i = text.find(word)
    while i >= 0:
        m = WORD.match(text, i)
        if m is not None and m.end() == i + n:
            yield i
        i = text.find(word, i + 1)


def _standalone(text: str, word: str) -> Iterable[int]:
    r"""Where `word` stands alone, as `(?<![\w\-’'])word(?![\w\-])` finds it (with str.find, not a regex
    scan that tries every position: its first item is a look-behind)."""
    n = len(word)
    i = text.find(word)
    while i >= 0:
        if not (i and BOUNDARY.match(text, i - 1)) and not AFTER.match(text, i + n):
            yield i
        i = text.find(word, i + 1)


def _run_start(text: str, end: int) -> int:
    """The start of the run of ASCII letters and hyphens ending at `end`: where a WORD match there starts."""
    i = end
    while i > 0 and text[i - 1] in _WORD_CHARS:
        i -= 1
    return i


def _overlaps(mentions: list[Mention], ends: list[int], start: int, end: int) -> bool:
    """Does [start, end) overlap one of the (sorted, disjoint) mentions?"""
    k = bisect_right(ends, start)
    return k < len(mentions) and mentions[k].start < end


def _in_longer_name(text: str, word: str) -> bool:
    """Does the word stand, somewhere in the text, beside another capitalised word (Sanna Marin, Main
    Intelligence Directorate, Drobytsky Yar)? Then it is part of a name the dictionary does not know.
    A title before it (Mayor, President) or an ordinary word starting the sentence does not count."""
    for i in _occurrences(text, word):
        j = i + len(word)
        if text.startswith(" ", j) and j + 1 < len(text) and text[j + 1].isupper():
            return True
        if i >= 2 and text[i - 1] == " " and text[i - 2].isalpha():
            k = i - 1
            while k > 0 and (text[k - 1].isalpha() or text[k - 1] in "-’'."):
                k -= 1
            before = text[k : i - 1].rstrip(".")
            if before[:1].isupper() and before not in TITLES:
                # a sentence's first word is part of the name unless it is an ordinary word (In, Later)
                if not _sentence_start(text, k) or zipf(before) < SENTENCE_WORD_ZIPF:
                    return True
    return False


def _sentence_start(text: str, pos: int) -> bool:
    """True when pos begins a line or follows the end of a sentence (or an opening quote)."""
    before = text[max(0, pos - 3) : pos].rstrip(" ")
    return not before or before[-1] in '\n.!?“"‘(:'


def _has_context(text: str, start: int, end: int, words: tuple[str, ...]) -> bool:
    if not words:
        return False
    around = text[max(0, start - CONTEXT_WINDOW) : end + CONTEXT_WINDOW].lower()
    pattern = _CONTEXT_PATTERNS.get(words)
    if pattern is None:  # one alternation finds a match exactly when one of the words has one
        alternatives = "|".join(re.escape(w.lower()) for w in words)
        pattern = _CONTEXT_PATTERNS[words] = re.compile(rf"\b(?:{alternatives})\b")
    return pattern.search(around) is not None


_CONTEXT_PATTERNS: dict[tuple[str, ...], re.Pattern[str]] = {}


def _derived(form: str, target: str) -> bool:
    """Ukrainian is not a misspelling of Ukraine, nor German of Germany: one extends the other."""
    short, long = sorted((form, target), key=len)
    return len(long) > len(short) and long.startswith(short.rstrip("aeiou"))


def _gender_form_differs(word: str, target: str) -> bool:
    """Zelenska is not Zelensky: a Slavic surname's feminine -a form names another person."""
    return (word.lower().endswith("a")) != (target.lower().endswith("a"))
