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


@pytest.mark.parametrize("text, value, unit", [
    ("Each token costs 70,272 B/token of cache.", 70_272, "B"),
    ("The buffer comes to 327,680 B in total.", 327_680, "B"),
    ("In bf16 that is 2 B/param.", 2, "B"),
    ("A 7B model in fp16 needs 14 GB.", 7e9, ""),
    ("LLaMA has a 70B variant.", 70e9, ""),
    ("Qwen ships a 1.5B model.", 1.5e9, ""),
])
def test_capital_b_is_bytes_after_a_thousands_separator_or_before_a_slash(text, value, unit):
    assert found(text, value, unit), parse_quantities(text)


def test_a_comma_number_with_b_is_not_billions():
    assert not found("Each token costs 70,272 B/token of cache.", 70_272e9, "")


@pytest.mark.parametrize("joiner", [" vs ", " versus ", " or ", " and ", "–", " to "])
def test_a_trailing_unit_is_shared_by_both_numbers(joiner):
    text = f"The cache takes 8.6{joiner}40 GiB depending on the context."
    assert found(text, 8.6 * 2**30, "B"), parse_quantities(text)
    assert found(text, 40 * 2**30, "B")


def test_a_percentage_matches_a_unitless_fraction_of_a_hundredth_of_it():
    assert found("Only 56.25% of the memory is left.", 0.5625, "")
    assert found("The loss spike was 0.01% of runs.", 0.0001, "")
    assert not found("The learning rate was 0.01% higher.", 0.01, "")  # 0.01% is 0.0001
    assert found("The learning rate was 0.01% higher.", 0.01, "%")
    assert not found("Accuracy rose to 75%.", 75, "")
    assert found("Accuracy rose to 75%.", 75, "%")


def test_a_factor_of_a_product_does_not_take_the_unit_after_and():
    text = "Each token stores 2 × 4096 and 8 GiB holds the rest."
    assert found(text, 4096, "")
    assert not found(text, 4096 * 2**30, "B")


@pytest.mark.parametrize("text", ["The standard error is about 9.1 percentage points.", "标准误约 9.1 个百分点。"])
def test_percentage_points_match_a_fact_in_points_and_a_percent_fact(text):
    assert found(text, 9.13, "", 0.05)
    assert found(text, 9.13, "%", 0.05)
