"""The findings cache: payload round trip and a cache left by an older version."""

from __future__ import annotations

import sqlite3

from cleaner.cache import FindingCache, dump, load
from cleaner.model import Applicability, Document, Finding


def test_findings_round_trip_through_a_payload():
    doc = Document("a.txt", "Source link\nText.\n", "a.txt")
    found = [Finding("a.txt", "BP001", "source-link", 0, 12, "Source link\n", "", Applicability.SAFE,
                     "scraper footer", "delete line", 1.0, 1, 1)]
    assert load(dump(found), doc) == found


def test_a_cache_in_the_old_format_is_emptied_not_misread(tmp_path):
    conn = sqlite3.connect(tmp_path / "findings.sqlite")
    conn.execute("CREATE TABLE findings (key TEXT PRIMARY KEY, payload TEXT NOT NULL)")
    conn.execute("CREATE TABLE stats (key TEXT PRIMARY KEY, payload BLOB NOT NULL)")
    conn.execute("INSERT INTO findings VALUES ('k', '[[\"BP001\"]]')")
    conn.commit()
    conn.close()
    cache = FindingCache(tmp_path)
    assert cache.get_many(["k"]) == {}
    cache.put_many([("k", b"new")])
    assert cache.get_many(["k"]) == {"k": b"new"}
    cache.close()
    assert FindingCache(tmp_path).get_many(["k"]) == {"k": b"new"}  # migrated once, kept after
