"""The names dictionary: entities and style profiles from the packs, validated, plus transliteration keys.

An entity (a pack's `entities:` list) is a person, place, organisation, term or given name with an id,
a canonical form (one string, or one per style), known variants and optional gender, context words,
exceptions (fixed expressions left alone) and ambiguous variants (only changed with a context word
nearby). Given names are never matched alone: they lend their spellings to the full names of people.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from cleaner.rules import NAME_RE, RuleError, RuleSet

ENTITY_KEYS = {
    "id": "kebab-case identity, unique",
    "kind": "person | place | organisation | term | given-name",
    "canonical": "the form to write: a string, or {style: form}",
    "variants": "spellings to replace with the canonical form",
    "gender": "male | female (people; checked against pronouns)",
    "context": "words that make a fuzzy or ambiguous match likelier (role, region)",
    "exceptions": "fixed expressions that contain a variant but stay (Kievan Rus, Chicken Kiev)",
    "ambiguous": "variants that are changed only with a context word nearby (Makarov: also a surname)",
    "note": "free text",
}
ENTITY_KINDS = ("person", "place", "organisation", "term", "given-name")
GENDERS = ("male", "female")
STYLE_KEYS = {
    "description": "what the profile is",
    "based_on": "a profile whose forms are used where this one says nothing",
    "names": "{entity-id: form}: this profile's canonical forms",
}
DEFAULT_STYLE = "ap"
CONTEXT_WINDOW = 80


# ---------------------------------------------------------------- transliteration keys

_TRANSLIT = [
    ("tsch", "c"),
    ("sch", "s"),
    ("shch", "s"),
    ("tch", "c"),
    ("tz", "c"),
    ("ts", "c"),
    ("cz", "c"),
    ("kh", "h"),
    ("ch", "k"),
    ("zh", "j"),
    ("sh", "s"),
    ("ph", "f"),
    ("ck", "k"),
    ("x", "ks"),
    ("w", "v"),
    ("g", "h"),
    ("q", "k"),
    ("c", "k"),
]
_VOWELS = re.compile(r"[aeiouy]+")
_NOT_LETTER = re.compile(r"[^a-z ]+")
_DOUBLED = re.compile(r"(.)\1+")


def ascii_fold(text: str) -> str:
    """Lower case without accents or punctuation (Wołodymyr -> wolodymyr)."""
    if text.isascii():  # nothing to decompose (the common case: capitalised words of the text)
        lowered = text.lower()
        return lowered if lowered.isalpha() else _NOT_LETTER.sub("", lowered)
    decomposed = unicodedata.normalize("NFKD", text.replace("ł", "l").replace("Ł", "L"))
    return _NOT_LETTER.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)).lower())


@lru_cache(maxsize=65536)
def translit_form(word: str) -> str:
    """A spelling with Russian/Ukrainian/German romanization differences folded (Kharkov ~ Charkow).

    Consonant clusters are mapped to one letter and runs of vowels kept (y, i, j all become i), so
    Dmitry/Dmytro, Kirilenko/Kyrylenko, Klitschko/Clitsko come out alike enough to score well.
    """
    s = ascii_fold(word)
    for a, b in _TRANSLIT:
        s = s.replace(a, b)
    s = s.replace("j", "i").replace("y", "i")
    return _DOUBLED.sub(r"\1", s)  # doubled letters: Donbass ~ Donbas, Zelenskyy ~ Zelensky


@lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """The consonant skeleton of translit_form (Dmitry, Dmytro -> dmtr): the key-collision key."""
    s = translit_form(word)
    return "".join(w[:1] + _VOWELS.sub("", w[1:]) for w in s.split())


def block_key(word: str) -> str:
    """The blocking key for fuzzy search: the first letter of the transliteration form."""
    return translit_form(word)[:1]


# ---------------------------------------------------------------- entities


@dataclass(frozen=True)
class Entity:
    id: str
    kind: str
    canonical: dict[str, str]  # style -> form ("*" for every style)
    variants: tuple[str, ...] = ()
    gender: str | None = None
    context: tuple[str, ...] = ()
    exceptions: tuple[str, ...] = ()
    ambiguous: tuple[str, ...] = ()
    origin: str = ""

    def form(self, style: str, styles: dict[str, dict]) -> str:
        """The canonical form in a style, following based_on; '*' when the entity has one form."""
        return (
            self.style_form(style, styles)
            or self.canonical.get("*")
            or self.canonical.get(DEFAULT_STYLE)
            or next(iter(self.canonical.values()))
        )

    def style_form(self, style: str, styles: dict[str, dict]) -> str | None:
        """The form the style itself names for this entity (its profile, following based_on, or a
        `canonical: {style: form}` entry), or None when the style is silent: then the entity's form is
        only the official romanisation, and changing a text to it is for a reviewer to decide."""
        seen = set()
        while style and style not in seen:
            seen.add(style)
            override = styles.get(style, {}).get("names", {}).get(self.id)
            if override:
                return override
            if style in self.canonical:
                return self.canonical[style]
            style = styles.get(style, {}).get("based_on")
        return None

    def all_forms(self, styles: dict[str, dict]) -> set[str]:
        forms = set(self.variants) | set(self.canonical.values())
        forms |= {s["names"][self.id] for s in styles.values() if self.id in s.get("names", {})}
        return forms


@dataclass
class Dictionary:
    """Every entity of the packs and the style profiles, validated."""

    entities: dict[str, Entity] = field(default_factory=dict)
    styles: dict[str, dict] = field(default_factory=dict)

    def check_style(self, style: str) -> None:
        if style not in self.styles:
            raise RuleError([f"unknown style {style!r} (defined: {', '.join(sorted(self.styles))})"])


def load_dictionary(ruleset: RuleSet) -> Dictionary:
    """Entities and styles from the packs' sections; RuleError with 'file:line: entity X: ...' lines."""
    problems: list[str] = []
    styles = _load_styles(ruleset.sections.get("styles", []), problems)
    entities: dict[str, Entity] = {}
    owner: dict[str, Entity] = {}  # every spelling -> the entity that lists it
    for path, raw_list in ruleset.sections.get("entities", []):
        if not isinstance(raw_list, list):
            problems.append(f"{path}: 'entities' must be a list")
            continue
        for raw in raw_list:
            entity = _parse_entity(path, raw, styles, problems)
            if entity is None:
                continue
            if entity.id in entities:
                problems.append(
                    f"{entity.origin}: entity {entity.id}: duplicate id "
                    f"(also at {entities[entity.id].origin})"
                )
                continue
            entities[entity.id] = entity
            for spelling in entity.all_forms(styles):
                other = owner.get(spelling)
                if other is not None and other.id != entity.id:
                    problems.append(
                        f"{entity.origin}: entity {entity.id}: variant {spelling!r} is also listed under "
                        f"entity {other.id} ({other.origin})"
                    )
                owner.setdefault(spelling, entity)
    for name, profile in styles.items():
        for eid in profile.get("names", {}):
            if eid not in entities:
                problems.append(f"{profile['origin']}: style {name}: unknown entity {eid!r}")
    if problems:
        raise RuleError(problems)
    return Dictionary(entities, styles)


def _load_styles(sections: list[tuple[str, Any]], problems: list[str]) -> dict[str, dict]:
    styles: dict[str, dict] = {}
    for path, raw in sections:
        if not isinstance(raw, dict):
            problems.append(f"{path}: 'styles' must be a mapping of style name -> profile")
            continue
        for name, profile in raw.items():
            if name == "__line__":
                continue
            profile = profile if isinstance(profile, dict) else {}
            where = f"{path}:{profile.get('__line__', raw.get('__line__', 0))}: style {name}"
            for key in profile:
                if key != "__line__" and key not in STYLE_KEYS:
                    problems.append(f"{where}: unknown key '{key}' (allowed: {', '.join(STYLE_KEYS)})")
            names = {k: v for k, v in (profile.get("names") or {}).items() if k != "__line__"}
            styles[name] = {
                "based_on": profile.get("based_on"),
                "names": names,
                "origin": where.rsplit(":", 1)[0],
                "description": profile.get("description", ""),
            }
    for name, profile in styles.items():
        base = profile["based_on"]
        if base is not None and base not in styles:
            problems.append(f"{profile['origin']}: style {name}: based_on unknown style {base!r}")
    return styles


def _strings(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(x, str) and x.strip() for x in value)


def _parse_entity(path: str, raw: Any, styles: dict[str, dict], problems: list[str]) -> Entity | None:
    if not isinstance(raw, dict):
        problems.append(f"{path}: each entity is a mapping, got {raw!r}")
        return None
    line = raw.get("__line__", 0)
    eid = raw.get("id")
    where = f"{path}:{line}: entity {eid or '?'}"
    before = len(problems)

    def bad(msg: str) -> None:
        problems.append(f"{where}: {msg}")

    if not isinstance(eid, str) or not NAME_RE.match(eid):
        bad(f"id {eid!r} must be kebab-case, e.g. kyiv or volodymyr-zelenskyy")
    for key in raw:
        if key != "__line__" and key not in ENTITY_KEYS:
            bad(f"unknown key '{key}' (allowed: {', '.join(ENTITY_KEYS)})")
    kind = raw.get("kind", "place")
    if kind not in ENTITY_KINDS:
        bad(f"kind {kind!r} must be one of {', '.join(ENTITY_KINDS)}")
    canonical = raw.get("canonical")
    if isinstance(canonical, str) and canonical.strip():
        forms = {"*": canonical}
    elif isinstance(canonical, dict) and canonical:
        forms = {k: v for k, v in canonical.items() if k != "__line__"}
        for style, form in forms.items():
            if style not in styles:
                bad(f"unknown style {style!r} in canonical (styles: {', '.join(sorted(styles))})")
            if not isinstance(form, str) or not form.strip():
                bad(f"canonical form for style {style!r} is empty")
    else:
        bad("missing canonical form (a string, or {style: form})")
        forms = {}
    for key in ("variants", "context", "exceptions", "ambiguous"):
        if key in raw and not _strings(raw[key]):
            bad(f"'{key}' must be a list of non-empty strings")
    if set(raw.get("ambiguous") or []) - set(raw.get("variants") or []):
        bad("every 'ambiguous' spelling must also be in 'variants'")
    gender = raw.get("gender")
    if gender is not None and gender not in GENDERS:
        bad(f"gender {gender!r} must be male or female")
    if len(problems) > before:
        return None
    return Entity(
        id=eid,
        kind=kind,
        canonical=forms,
        variants=tuple(raw.get("variants") or ()),
        gender=gender,
        context=tuple(raw.get("context") or ()),
        exceptions=tuple(raw.get("exceptions") or ()),
        ambiguous=tuple(raw.get("ambiguous") or ()),
        origin=f"{path}:{line}",
    )


# ---------------------------------------------------------------- the alias index


@dataclass(frozen=True)
class Alias:
    """A spelling the pass looks for: which entity it names and what it becomes in the chosen style."""

    text: str
    entity: Entity
    replacement: str  # == text when the spelling is already right
    exception: bool = False  # a fixed expression that is left alone
    ambiguous: bool = False
    canon: bool = True  # the style names the replacement (else it is the official form: unsafe)


def build_aliases(dictionary: Dictionary, style: str) -> dict[str, Alias]:
    """Every spelling to look for, in the given style, with what it becomes.

    A person's full name is also looked for with every spelling of the first name that the given-name
    table lists and every surname spelling the entity lists; the entity's own first name wins.
    """
    given = _given_name_forms(dictionary)
    aliases: dict[str, Alias] = {}

    def add(text: str, entity: Entity, replacement: str, **kw) -> None:
        if text not in aliases or aliases[text].entity.id == entity.id and text == replacement:
            aliases[text] = Alias(text, entity, replacement, **kw)

    for entity in dictionary.entities.values():
        if entity.kind == "given-name":
            continue
        target = entity.form(style, dictionary.styles)
        canon = entity.style_form(style, dictionary.styles) is not None
        forms = entity.all_forms(dictionary.styles)
        for form in sorted(forms):
            add(
                form,
                entity,
                _replacement_for(form, target, entity),
                ambiguous=form in entity.ambiguous,
                canon=canon,
            )
        if entity.kind == "person" and " " in target:
            first, last = target.rsplit(" ", 1)
            surnames = {f.rsplit(" ", 1)[-1] for f in forms}
            firsts = {f.rsplit(" ", 1)[0] for f in forms if " " in f} | given.get(first, set()) | {first}
            for f in sorted(firsts):
                for s in sorted(surnames):
                    add(f"{f} {s}", entity, target, canon=canon)
            for form in forms:  # the surname alone, as any style writes it (Zelenskiy -> Zelenskyy)
                if (
                    " " in form
                    and form in entity.canonical.values()
                    or form in _style_forms(entity, dictionary)
                ):
                    add(form.rsplit(" ", 1)[1], entity, last, canon=canon)
            add(last, entity, last)  # the right surname alone: a mention, for context and pronouns
        for phrase in entity.exceptions:
            aliases[phrase] = Alias(phrase, entity, phrase, exception=True)
    return aliases


def _style_forms(entity: Entity, dictionary: Dictionary) -> set[str]:
    return {p["names"][entity.id] for p in dictionary.styles.values() if entity.id in p.get("names", {})}


def _replacement_for(form: str, target: str, entity: Entity) -> str:
    """A person's lone surname becomes the canonical surname, anything else the canonical form."""
    if entity.kind == "person" and " " not in form and " " in target:
        return target.rsplit(" ", 1)[1]
    return target


def _given_name_forms(dictionary: Dictionary) -> dict[str, set[str]]:
    """Every spelling of a given name -> all spellings of that name (Andriy -> Andrii, Andrei, ...)."""
    groups: dict[str, set[str]] = {}
    for entity in dictionary.entities.values():
        if entity.kind != "given-name":
            continue
        forms = entity.all_forms(dictionary.styles)
        for form in forms:
            groups[form] = forms
    return groups


def trie_pattern(words: list[str], atom=re.escape) -> str:
    """One regex alternation for many literal strings, factored as a trie (fast on thousands of them).

    atom(ch) is the regex for one character (escaped by default; e.g. a space may stand for any run of
    white space)."""
    trie: dict = {}
    for word in words:
        node = trie
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: dict) -> str:
        ends = "" in node
        branches = [atom(ch) + render(child) for ch, child in sorted(node.items()) if ch != ""]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if ends:
            return f"(?:{body})?"
        return body

    return render(trie)


def alias_regex(aliases: dict[str, Alias]) -> re.Pattern[str] | None:
    """The single multi-pattern matcher: longest spelling wins at each position, ending at a word end."""
    if not aliases:
        return None
    # no left-boundary lookbehind: it would hide the trie's first letters from the engine's fast scan;
    # callers drop matches that start inside a word
    return re.compile(trie_pattern(sorted(aliases)) + r"(?![\w\-])")
