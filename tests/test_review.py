"""FSRS scheduling: the documented score -> rating mapping, and cards rebuilt from history."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from fsrs import Rating

from reports.review import due_reviews, replay, score_to_rating
from tests.history_helpers import T0, answer


@pytest.mark.parametrize(
    ("score", "rating"),
    [(0, Rating.Again), (3.99, Rating.Again), (4.0, Rating.Hard), (5.99, Rating.Hard), (6.0, Rating.Good),
     (8.49, Rating.Good), (8.5, Rating.Easy), (10, Rating.Easy)],
)
def test_score_to_rating_bands(score, rating):
    assert score_to_rating(score) == rating


def test_a_bad_answer_comes_back_sooner_than_a_good_one():
    states = replay([answer("s", 0, "bad", 1.0, T0), answer("s", 1, "good", 9.5, T0)])
    assert states["bad"].due < states["good"].due
    assert states["good"].due - T0 >= timedelta(days=1)


def test_replay_is_order_independent_and_deterministic():
    answers = [answer(f"s{i}", 0, "q", s, T0 + timedelta(days=d)) for i, (s, d) in enumerate([(2, 0), (7, 1), (9, 5), (3, 20)])]
    a = replay(answers)["q"]
    shuffled = answers[:]
    random.Random(3).shuffle(shuffled)
    b = replay(shuffled)["q"]
    assert (a.card.due, a.card.stability, a.card.difficulty) == (b.card.due, b.card.stability, b.card.difficulty)
    assert a.reviews == 4 and a.last_score == 3


def test_ungraded_answers_are_not_reviews():
    states = replay([answer("s", 0, "q", None, T0), answer("s", 1, "r", 5.0, T0)])
    assert "q" not in states and states["r"].reviews == 1


def test_due_reviews_most_overdue_first():
    states = replay([answer("s", 0, "old", 9.0, T0), answer("s", 1, "new", 9.0, T0 + timedelta(days=3)),
                     answer("s", 2, "fresh", 9.0, T0 + timedelta(days=59))])
    due = due_reviews(states, T0 + timedelta(days=60))
    assert [s.question_id for s in due] == ["old", "new"]
