"""The fake writes its answers as compact JSON, and what orjson cannot write still gets out."""

from __future__ import annotations

import json

from fake_llm import json_out


def test_answers_are_compact_utf8() -> None:
    assert json_out.dumps({"content": "Käse", "n": [1, 2]}) == '{"content":"Käse","n":[1,2]}'.encode()


def test_an_integer_beyond_64_bits_falls_back_to_the_standard_library() -> None:
    assert json.loads(json_out.dumps_text({"n": 2**70})) == {"n": 2**70}
