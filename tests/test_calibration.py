"""Calibration metrics, input handling, and grading of the dev set with both kinds of judge."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import numpy as np
import pytest

from rubrics.calibration import (
    ItemResult,
    agrade_items,
    compute_metrics,
    grade_items,
    load_items,
    quadratic_weighted_kappa,
    spearman,
    write_items_csv,
)
from tests.llm_server import Reply, verdict_for

DEV = Path(__file__).parent / "data" / "calibration_dev.jsonl"


def results(human, pred, max_score=10.0):
    return [ItemResult(str(i), h, max_score, p, "graded" if p is not None else "ungraded")
            for i, (h, p) in enumerate(zip(human, pred))]


def test_perfect_agreement():
    m = compute_metrics(results([0, 3, 5, 8, 10], [0, 3, 5, 8, 10]))
    assert m.n == 5 and m.pearson == pytest.approx(1) and m.spearman == pytest.approx(1)
    assert m.qwk == pytest.approx(1) and m.exact == 1 and m.adjacent == 1 and m.mae == 0 and m.smd == 0


def test_qwk_matches_a_hand_computed_example():
    # ratings on 0..2: observed [[1,1,0],[0,1,0],[0,0,1]] -> kappa = 1 - 1/3.0 (see below)
    a = np.array([0, 0, 1, 2])
    b = np.array([0, 1, 1, 2])
    # weights (i-j)^2/4; observed weighted sum = 0.25; expected from marginals
    ha, hb = np.bincount(a, minlength=3), np.bincount(b, minlength=3)
    expected = np.outer(ha, hb) / 4
    w = np.array([[(i - j) ** 2 / 4 for j in range(3)] for i in range(3)])
    assert quadratic_weighted_kappa(a, b, 2) == pytest.approx(1 - 0.25 / (w * expected).sum())
    assert quadratic_weighted_kappa(np.array([0, 1, 2]), np.array([2, 1, 0]), 2) == pytest.approx(-1)


def test_spearman_handles_ties():
    assert spearman(np.array([1, 2, 2, 3]), np.array([10, 20, 20, 30])) == pytest.approx(1)
    assert spearman(np.array([1, 2, 3]), np.array([3, 2, 1])) == pytest.approx(-1)


def test_lenient_judge_has_positive_smd_and_ungraded_are_excluded():
    m = compute_metrics(results([2, 4, 6, 8, 5], [4, 6, 8, 10, None]))
    assert m.n == 4 and m.ungraded == 1 and m.smd > 0 and m.mae == pytest.approx(2)
    assert m.exact == 0 and m.adjacent == 0


def test_mixed_max_scores_use_a_common_scale():
    rs = [ItemResult("a", 5, 5, 5, "graded"), ItemResult("b", 0, 5, 0, "graded"),
          ItemResult("c", 10, 10, 8, "graded"), ItemResult("d", 2, 10, 2, "graded"),
          ItemResult("e", 6, 10, 6, "graded")]
    m = compute_metrics(rs)
    assert m.scale == 10 and m.mae == pytest.approx(0.4)


def test_bad_lines_are_reported_and_skipped(tmp_path):
    good = {"id": "x1", "question": "Q?", "reference_answer": "R.", "answer": "A.", "score": 3, "max_score": 5}
    lines = [
        json.dumps(good),
        "{not json",
        json.dumps({**good, "score": 7}),
        json.dumps({k: v for k, v in good.items() if k != "answer"}),
        "",
        json.dumps([1, 2]),
        json.dumps({**good, "max_score": 0}),
        json.dumps({**good, "key_points": ["one", 2]}),
        json.dumps({**good, "id": "Weird ID/42", "key_points": ["states the point"]}),
    ]
    f = tmp_path / "cal.jsonl"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    items, problems = load_items(f)
    assert [it.line for it in items] == [1, 9]
    assert [p.split(":")[0] for p in problems] == ["line 2", "line 3", "line 4", "line 6", "line 7", "line 8"]
    assert "outside 0..5" in problems[1] and "'answer'" in problems[2]
    assert items[1].question.id == "weird-id-42" and items[1].question.rubric.key_points[0].id == "kp1"


def test_dev_set_is_varied_and_bilingual():
    items, problems = load_items(DEV)
    assert not problems and len(items) >= 40
    assert len({it.question.text.en for it in items}) >= 5
    assert sum(any("\u4e00" <= c <= "\u9fff" for c in it.answer) for it in items) >= 10
    assert len({it.score / it.max_score for it in items}) >= 8


def test_offline_judge_on_the_dev_set(tmp_path):
    from rubrics.offline import OfflineJudge

    items, _ = load_items(DEV)
    res = grade_items(items, OfflineJudge())
    m = compute_metrics(res)
    assert m.n == len(items) and m.ungraded == 0
    assert m.pearson is not None and m.pearson > 0.3  # a weak judge, but a judge
    out = tmp_path / "items.csv"
    write_items_csv(res, out)
    rows = out.read_text().splitlines()
    assert rows[0] == "id,score,max_score,predicted,status" and len(rows) == len(items) + 1


@pytest.mark.timeout(60)
def test_llm_calibration_through_the_local_server(llm_server, make_llm_judge):
    """An LLM judge grading the dev set concurrently; a scripted judge that gives every point
    'partial' (quoting each answer's first sentence) predicts at most half marks (the cross-check
    caps what the quote or the answer cannot hold), and the empty answer 0 without a request."""

    def responder(body: dict) -> Reply:
        out = verdict_for(body, "partial", holistic=5)
        return Reply.json(out)

    llm_server.set_default(responder)
    llm_server.delay = 0.05
    items, _ = load_items(DEV)
    res = asyncio.run(agrade_items(items, make_llm_judge(concurrency=16), concurrency=16))
    assert all(r.status == "graded" for r in res)
    empty = [r for r, it in zip(res, items) if not it.answer.strip()]
    assert empty and all(r.predicted == 0 for r in empty)
    shares = {r.predicted / r.max_score for r in res if r not in empty}
    assert 0.5 in shares and all(0 <= x <= 0.5 for x in shares)
    assert llm_server.count == len(items) - len(empty)
    assert llm_server.max_in_flight > 1


def test_key_points_in_other_datasets_shapes_are_accepted():
    from rubrics.calibration import parse_line

    base = {"id": "k", "question": "What is dropout?", "answer": "It zeroes units.", "score": 3, "max_score": 5}
    as_string = parse_line(json.dumps({**base, "reference_answer": "r", "key_points": "zeroes units; rescales by 1/(1-p)"}), 1)
    assert [k.text.en for k in as_string.question.rubric.key_points] == ["zeroes units", "rescales by 1/(1-p)"]
    as_dicts = parse_line(json.dumps({**base, "reference_answer": "r", "key_points": [{"text": "zeroes units"}, ""]}), 2)
    assert [k.text.en for k in as_dicts.question.rubric.key_points] == ["zeroes units"]
    # key points but no reference answer: the key points stand in for it
    no_ref = parse_line(json.dumps({**base, "key_points": ["zeroes units", "off at inference"]}), 3)
    assert no_ref.question.reference_answer.en == "zeroes units off at inference"
    with pytest.raises(ValueError, match="missing 'reference_answer'"):
        parse_line(json.dumps(base), 4)
    with pytest.raises(ValueError, match="'key_points' must be a list of strings"):
        parse_line(json.dumps({**base, "reference_answer": "r", "key_points": [1, 2]}), 5)
