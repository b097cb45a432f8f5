"""Finding serialisation: to_json is exactly json.dumps(to_dict()) whatever the text holds."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from cleaner.model import Applicability, Finding

texts = st.text(max_size=30)


@given(texts, texts, texts, texts, st.sampled_from(list(Applicability)),
       st.one_of(st.floats(0, 1), st.integers(0, 1)), st.integers(0, 10**6))
def test_to_json_is_json_dumps_of_to_dict(doc, original, replacement, message, app, confidence, start):
    f = Finding(doc, "BP001", "source-link", start, start + len(original), original, replacement, app,
                message, "delete line", confidence, 3, 7)
    assert f.to_json() == json.dumps(f.to_dict(), ensure_ascii=False)
    assert json.loads(f.to_json())["original"] == original
