"""Drawing: balanced over topics, no repeats, reproducible by seed, clear errors."""

from __future__ import annotations

from collections import Counter

import pytest

from interviewer.draw import draw_questions
from interviewer.errors import UserError
from tests.helpers import synthetic_bank


@pytest.fixture
def bank():
    return synthetic_bank({"a": 9, "b": 9, "c": 3})


def test_no_repeats_and_balanced(bank):
    ids = draw_questions(bank, ["a", "b", "c"], "mixed", 9, seed=3)
    assert len(ids) == len(set(ids)) == 9
    counts = Counter(bank.get(i).topic for i in ids)
    assert counts == {"a": 3, "b": 3, "c": 3}


def test_small_topic_runs_out_then_others_fill(bank):
    ids = draw_questions(bank, ["a", "c"], "mixed", 8, seed=1)
    counts = Counter(bank.get(i).topic for i in ids)
    assert counts == {"c": 3, "a": 5}


def test_seed_reproducible_and_different_seeds_differ(bank):
    one = draw_questions(bank, [], "mixed", 6, seed=42)
    assert one == draw_questions(bank, [], "mixed", 6, seed=42)
    others = {tuple(draw_questions(bank, [], "mixed", 6, seed=s)) for s in range(10)}
    assert len(others) > 1


def test_order_is_easy_to_hard(bank):
    ids = draw_questions(bank, [], "mixed", 9, seed=7)
    ranks = ["easy medium hard".split().index(bank.get(i).difficulty) for i in ids]
    assert ranks == sorted(ranks)


def test_mixed_spreads_difficulties_within_topic(bank):
    ids = draw_questions(bank, ["a"], "mixed", 3, seed=5)
    assert sorted(bank.get(i).difficulty for i in ids) == ["easy", "hard", "medium"]


def test_difficulty_filter(bank):
    ids = draw_questions(bank, [], "hard", 5, seed=0)
    assert {bank.get(i).difficulty for i in ids} == {"hard"}


def test_count_above_matches_says_how_many(bank):
    with pytest.raises(UserError, match=r"--count 4 is more than the 3 questions in topic c; use --count 3 or fewer"):
        draw_questions(bank, ["c"], "mixed", 4)
    with pytest.raises(UserError, match=r"more than the 1 question in topic c at difficulty hard"):
        draw_questions(bank, ["c"], "hard", 2)
    with pytest.raises(UserError, match=r"more than the 12 questions in topics a, c"):
        draw_questions(bank, ["a", "c"], "mixed", 13)


def test_unknown_topic_lists_known(bank):
    with pytest.raises(UserError, match="unknown topic 'zzz'; known topics: a, b, c"):
        draw_questions(bank, ["zzz"], "mixed", 1)


def test_pinned_questions_keep_their_position(bank):
    ids = draw_questions(bank, ["a"], "mixed", 4, seed=1, pinned={0: "c-02", 2: "b-00"})
    assert ids[0] == "c-02" and ids[2] == "b-00"
    assert len(set(ids)) == 4


def test_exclude(bank):
    ids = draw_questions(bank, ["c"], "mixed", 2, seed=1, exclude=["c-00"])
    assert "c-00" not in ids


def test_mixed_spans_the_difficulties_at_every_count_with_the_bundled_bank():
    """Every topic listing its medium questions first once made every default interview all
    medium; a mixed draw must span easy to hard and stay balanced over difficulties and topics."""
    from question_bank.loader import load_bank

    real = load_bank()
    for count in range(3, 45):
        for seed in range(12):
            ids = draw_questions(real, [], "mixed", count, seed=seed)
            diffs = Counter(real.get(i).difficulty for i in ids)
            assert set(diffs) == {"easy", "medium", "hard"}, (count, seed, diffs)
            assert max(diffs.values()) - min(diffs.values()) <= 1, (count, seed, diffs)
            topics = Counter(real.get(i).topic for i in ids)
            assert len(topics) == min(count, len(real.topics)) and max(topics.values()) - min(topics.values()) <= 1


def test_mixed_balances_a_few_topics_too(bank):
    for seed in range(20):
        ids = draw_questions(bank, ["a", "b"], "mixed", 4, seed=seed)
        diffs = Counter(bank.get(i).difficulty for i in ids)
        assert set(diffs) == {"easy", "medium", "hard"}, diffs
        assert Counter(bank.get(i).topic for i in ids) == {"a": 2, "b": 2}


def test_pinned_questions_count_toward_the_balance(bank):
    ids = draw_questions(bank, ["a"], "mixed", 3, seed=2, pinned={0: "b-02"})  # b-02 is hard
    assert sorted(bank.get(i).difficulty for i in ids) == ["easy", "hard", "medium"]
