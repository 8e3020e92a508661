"""Regressions of the number reader (``rubrics.numbers``): each case is a sentence a candidate
could type, read the way a grader would read it."""

from __future__ import annotations

import pytest

from rubrics.numbers import matches, parse_quantities


def found(text: str, value: float, unit: str, tol: float = 0.01) -> bool:
    return any(matches(q, value, unit, tol) for q in parse_quantities(text))


@pytest.mark.parametrize("text, n", [
    ("We keep the master weights in 16-bit floats.", 16),
    ("An 8-bit optimizer halves the state again.", 8),
    ("QLoRA stores the frozen base in 4-bit NF4.", 4),
])
def test_a_hyphenated_bit_width_is_bits_not_a_count(text, n):
    assert found(text, n, "bit")
    for unit in ("tokens", "params", "B", ""):
        assert not found(text, n, unit), (unit, parse_quantities(text))


@pytest.mark.parametrize("text, factors", [
    ("Per layer the cache holds 2 × 4096 values per token.", (2, 4096)),
    ("Total is 2 x 110M x 128 bytes for the whole run.", (2, 110e6)),
    ("That is 3 times 512 entries.", (3, 512)),
])
def test_a_multiplication_sign_before_a_number_is_arithmetic_not_a_ratio(text, factors):
    qs = parse_quantities(text)
    assert not any(q.unit == "x" for q in qs), qs
    for f in factors:
        assert found(text, f, "")


def test_a_ratio_sign_still_makes_a_ratio():
    assert found("GQA with 8 groups gives a 4x smaller cache, 2× faster decoding.", 4, "x")
    assert found("GQA with 8 groups gives a 4x smaller cache, 2× faster decoding.", 2, "x")
