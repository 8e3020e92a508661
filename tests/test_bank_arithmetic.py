"""Every bank number that states its arithmetic is recomputed: a fact whose ``expr`` disagrees
with its ``value`` is a bank mistake, and a hostile ``expr`` cannot run code or hang the loader."""

from __future__ import annotations

import math

import pytest
import yaml

from question_bank.arith import ArithError, evaluate, recompute
from question_bank.loader import check_bank


@pytest.mark.parametrize(
    ("expr", "value"),
    [
        ("2*32*8*128*2", 131072),
        ("2·32·8·128·2 × 131072 / 2^30", 16.0),
        ("8,030,261,248 / 1e9", 8.030261248),
        ("(1 - 0.8**5) / 0.2", 3.3616),
        ("1 - comb(7,5)/comb(10,5)", 11 / 12),
        ("log(1 + exp(-0.2))", 0.598138869381),
        ("sqrt(2) * 1.10", 1.5556349186),
        ("1.4e12 / 70e9 = 20", 20.0),
        ("2*(1-Phi(1.284))", 0.19914),
        ("−3 + √16", 1.0),
        ("(1-3e-5)**100000", math.exp(-3.00004500)),
    ],
)
def test_arithmetic_in_the_notation_writers_use(expr, value):
    assert evaluate(expr) == pytest.approx(value, rel=1e-4)


@pytest.mark.parametrize(
    "expr",
    [
        "__import__('os').system('echo pwned')",
        "().__class__.__bases__[0].__subclasses__()",
        "(lambda: 1)()",
        "open('/etc/passwd')",
        "9**9**9**9",
        "10**400",
        "comb(10**9, 5)",
        "1/0",
        "x + 1",
        "BERT paper",
        "1" * 500,
        "[1, 2][0]",
        "'a' * 3",
    ],
)
def test_anything_but_arithmetic_is_refused_quickly(expr):
    with pytest.raises(ArithError):
        evaluate(expr)


def test_a_source_note_is_not_a_mismatch_but_wrong_arithmetic_is():
    assert recompute(17179869184, 0.02, "LLaMA paper, table 2") is None
    assert recompute(17179869184, 0.02, "2*32*8*128*2*131072") is None
    assert recompute(17179869184, 0.02, "2*32*8*128*2*65536") == 8589934592


def test_validate_names_a_number_that_contradicts_its_own_arithmetic(tmp_path, cli):
    bank = {
        "topic": "t",
        "questions": [{
            "id": "t-kv",
            "difficulty": "easy",
            "text": {"en": "How large is the KV cache?"},
            "reference_answer": {"en": "16 GiB."},
            "rubric": {"key_points": [{
                "id": "size",
                "text": {"en": "16 GiB"},
                "numbers": [{"value": 17179869184, "unit": "B", "expr": "2*32*8*128*2*65536"}],
            }]},
        }],
    }
    path = tmp_path / "bank.yaml"
    path.write_text(yaml.safe_dump(bank), encoding="utf-8")
    code, _, err = cli("bank", "validate", str(path))
    assert code == 1
    assert "question 't-kv' point 'size': value 1.71799e+10 but its expr '2*32*8*128*2*65536' gives 8.58993e+09" in err


def test_every_recomputable_number_in_the_bundled_bank_agrees_with_its_arithmetic():
    _, problems = check_bank()
    assert [p for p in problems if "its expr" in p] == []
