"""Corpus-wide clusters of name spellings (`cleaner names`), and writing one into a dictionary file.

Clustering follows OpenRefine: key collision first (the transliteration skeleton, so Dmitry and Dmytro,
Kharkov and Kharkiv share a key), then nearest neighbours with rapidfuzz inside blocks (same first
letter of the transliteration form), never all pairs. Each cluster proposes a canonical form: the
dictionary's, in the chosen style, when a spelling of it is in the dictionary, else the most frequent.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from rapidfuzz import fuzz, process, utils

from cleaner.passes.names import WORD, _derived, _gender_form_differs, _sentence_start
from cleaner.passes.names_dict import Dictionary, block_key, build_aliases, skeleton, translit_form
from cleaner.rules import NAME_RE, RuleError, load_rules

MIN_LENGTH = 4
KEY_SCORE = 75  # a key collision still needs this ratio (short keys collide by chance: Posts, Psaki)
NEIGHBOUR_SCORE = 85  # rapidfuzz ratio of transliteration forms for a nearest-neighbour merge
MAX_BLOCK = 4000  # a larger block is split by its first two letters


@dataclass
class Cluster:
    spellings: Counter  # spelling -> mentions
    canonical: str
    entity: str | None = None  # the dictionary entity a spelling belongs to
    known: dict[str, str] = field(default_factory=dict)  # spelling -> entity id

    @property
    def total(self) -> int:
        return sum(self.spellings.values())


def count_names(texts: Iterable[str]) -> Counter:
    """Capitalised words that read as names: seen at least once inside a sentence, never in lower case."""
    counts: Counter = Counter()
    inside: set[str] = set()
    lower: set[str] = set()
    for text in texts:
        for w in WORD.finditer(text):
            word = w.group(0)
            if len(word) < MIN_LENGTH:
                continue
            counts[word] += 1
            if not _sentence_start(text, w.start()):
                inside.add(word)
        lower.update(m.group(0) for m in re.finditer(r"\b[a-z]{4,}\b", text))
    return Counter({w: n for w, n in counts.items() if w in inside and w.lower() not in lower})


def cluster_names(counts: Counter, dictionary: Dictionary | None = None, style: str = "ap") -> list[Cluster]:
    """Clusters of two or more spellings, biggest first."""
    words = sorted(counts)
    parent = list(range(len(words)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = words[i], words[j]
        if _gender_form_differs(a, b) or _derived(translit_form(a), translit_form(b)):
            return
        parent[find(i)] = find(j)

    by_key: dict[str, int] = {}
    for i, word in enumerate(words):  # key collision
        key = skeleton(word)
        if key not in by_key:
            by_key[key] = i
        elif fuzz.ratio(translit_form(word), translit_form(words[by_key[key]])) >= KEY_SCORE:
            union(i, by_key[key])
    for members in _blocks(words):  # nearest neighbours inside each block
        forms = [translit_form(words[i]) for i in members]
        scores = process.cdist(
            forms,
            forms,
            scorer=fuzz.ratio,
            processor=utils.default_process,
            score_cutoff=NEIGHBOUR_SCORE,
            workers=-1,
        )
        for a, b in zip(*scores.nonzero(), strict=True):
            if a < b:
                union(members[a], members[b])
    groups: dict[int, list[str]] = {}
    for i, word in enumerate(words):
        groups.setdefault(find(i), []).append(word)
    aliases = build_aliases(dictionary, style) if dictionary is not None else {}
    clusters = []
    for members in groups.values():
        if len(members) < 2:
            continue
        spellings = Counter({w: counts[w] for w in members})
        known = {w: aliases[w].entity.id for w in members if w in aliases}
        canonical, entity = spellings.most_common(1)[0][0], None
        for w in sorted(known, key=lambda w: -spellings[w]):
            entity, canonical = known[w], aliases[w].replacement
            break
        clusters.append(Cluster(spellings, canonical, entity, known))
    clusters.sort(key=lambda c: (-c.total, c.canonical))
    return clusters


def _blocks(words: list[str]) -> list[list[int]]:
    blocks: dict[str, list[int]] = {}
    for i, word in enumerate(words):
        blocks.setdefault(block_key(word), []).append(i)
    out = []
    for members in blocks.values():
        if len(members) <= MAX_BLOCK:
            out.append(members)
            continue
        sub: dict[str, list[int]] = {}
        for i in members:
            sub.setdefault(translit_form(words[i])[:2], []).append(i)
        out.extend(sub.values())
    return out


def format_cluster(n: int, cluster: Cluster) -> str:
    where = f"  (dictionary: {cluster.entity})" if cluster.entity else ""
    spellings = " · ".join(
        f"{w} {c}" + (" *" if w in cluster.known else "") for w, c in cluster.spellings.most_common()
    )
    return f"{n:>3}  {cluster.canonical}{where}  {cluster.total} mentions\n       {spellings}"


def cluster_dict(n: int, cluster: Cluster) -> dict:
    return {
        "cluster": n,
        "canonical": cluster.canonical,
        "entity": cluster.entity,
        "total": cluster.total,
        "spellings": dict(cluster.spellings.most_common()),
        "known": cluster.known,
    }


LEARNED_HEADER = (
    "# Entities learned with `cleaner names --write`; edit freely (see names.yaml for the keys).\n"
    "pack: learned-names\n"
    "description: name spellings confirmed by an editor from corpus clusters\n"
)


def write_cluster(
    cluster: Cluster, path: Path, *, canonical: str | None, entity_id: str | None, kind: str, style: str
) -> dict:
    """Append the cluster as a new entity to a dictionary file the user owns; check the folder still loads.

    The canonical form is written for the style (`canonical: {ap: Hrytsenko}`): the editor chose it, so
    the style names it and changes to it are safe.

    A cluster that already contains a dictionary spelling is refused (extend that entity instead), as is
    an entry that makes the packs fail to load (the file is then left as it was).
    """
    if cluster.known:
        listed = ", ".join(f"{w} ({e})" for w, e in sorted(cluster.known.items()))
        raise RuleError(
            [
                f"{path}: the cluster has spellings already in the dictionary: {listed}; "
                f"add the others to that entity's variants instead"
            ]
        )
    canonical = canonical or cluster.canonical
    entity_id = entity_id or re.sub(r"[^a-z0-9]+", "-", translit_form(canonical).lower()).strip("-")
    if not NAME_RE.match(entity_id):
        raise RuleError([f"{path}: entity id {entity_id!r} must be kebab-case (give one with --id)"])
    variants = [w for w, _ in cluster.spellings.most_common() if w != canonical]
    entry = {"id": entity_id, "kind": kind, "canonical": {style: canonical}, "variants": variants}
    before = path.read_text(encoding="utf-8") if path.exists() else None
    text = before if before is not None else LEARNED_HEADER
    if before is not None and not re.search(r"(?m)^entities:", before):
        text = before.rstrip("\n") + "\n"
    if not re.search(r"(?m)^entities:", text):
        text += "entities:\n"
    block = yaml.safe_dump([entry], allow_unicode=True, sort_keys=False, default_flow_style=None)
    text = text.rstrip("\n") + "\n" + "".join(f"  {line}\n" for line in block.splitlines())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    try:
        from cleaner.passes.names_dict import load_dictionary

        load_dictionary(load_rules(path.parent))
    except RuleError:
        if before is None:
            path.unlink()
        else:
            path.write_text(before, encoding="utf-8")
        raise
    return entry
