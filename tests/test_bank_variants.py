"""The bundled parameterised questions: every row renders, recomputes and grades its own reference
answer at full marks, and no row is a copy of another (a row that asks the same numbers would let
a memorised answer pass)."""

from __future__ import annotations

import json

import pytest

from question_bank.loader import check_bank, fact_problems
from question_bank.variants import rows, variant
from rubrics.offline import OfflineJudge
from rubrics.variant_check import reference_problems


@pytest.fixture(scope="module")
def parameterised():
    bank, problems = check_bank()
    qs = [q for q in bank.questions.values() if q.params]
    return qs, [p for p in problems if any(f"'{q.id}'" in p for q in qs)]


def test_at_least_eight_numeric_questions_are_parameterised(parameterised, cli):
    qs, _ = parameterised
    assert len(qs) >= 8
    assert all(len(rows(q)) >= 3 for q in qs)
    code, out, err = cli("bank", "stats", "--json")
    assert code == 0, err
    stats = json.loads(out)
    assert stats["parameterised"] == len(qs) and stats["variants"] == sum(len(rows(q)) for q in qs)


def test_every_row_renders_and_its_numbers_recompute(parameterised):
    qs, problems = parameterised
    assert not problems, problems
    for q in qs:
        for row in rows(q):
            assert not fact_problems(variant(q, row)), (q.id, row)


def test_no_two_rows_ask_the_same_numbers(parameterised):
    qs, _ = parameterised
    for q in qs:
        texts = {row: variant(q, row).model_dump_json(exclude={"probes"}) for row in rows(q)}
        assert len(set(texts.values())) == len(texts), q.id  # a question may vary only in a follow-up
        for row in rows(q):
            assert "{{" not in texts[row], (q.id, row)


def test_every_rows_reference_answer_scores_full_marks_in_both_languages(parameterised):
    qs, _ = parameterised
    assert reference_problems(qs, OfflineJudge()) == []
