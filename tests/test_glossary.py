"""The bilingual glossary: cross-language and synonym matching, without making generic words or
off-topic answers earn credit."""

from __future__ import annotations

import pytest

from question_bank.models import KeyPoint, Question, Rubric, Terms, Text
from rubrics.glossary import load_glossary
from rubrics.offline import OfflineJudge
from rubrics.verdict import Credit


def _plain_question(qid: str, key_points: list[str], ref: str) -> Question:
    """Like a calibration line: bare key-point sentences, no aliases, no hand-picked keywords."""
    return Question(
        id=qid,
        topic="calibration",
        difficulty="medium",
        text=Text(en="How does LoRA fine-tune a large model?"),
        reference_answer=Text(en=ref),
        rubric=Rubric(key_points=[KeyPoint(id=f"kp{i + 1}", text=Text(en=t)) for i, t in enumerate(key_points)]),
    )


LORA = _plain_question(
    "g-lora",
    ["Pretrained weights are frozen and a low-rank update BA is trained", "BA can be merged into W at inference with no extra latency"],
    "LoRA freezes the pretrained weights and trains a low-rank update BA; BA is merged into W for inference.",
)

LORA_ZH = _plain_question(
    "g-lora-zh",
    ["冻结预训练权重，只训练低秩矩阵 B 和 A", "推理时把 BA 合并回 W，没有额外延迟"],
    "冻结预训练权重，只训练低秩矩阵，推理时合并回原权重。",
)

CURATED = Question(
    id="g-curated",
    topic="attention",
    difficulty="easy",
    text=Text(en="Why scale attention scores?"),
    reference_answer=Text(en="Large scores saturate the softmax and the gradients vanish."),
    rubric=Rubric(
        key_points=[
            KeyPoint(
                id="sat",
                text=Text(en="Large scores saturate the softmax and make gradients vanish"),
                aliases=Terms(en=["softmax saturates"]),
                keywords=Terms(en=["softmax", "saturat", "gradient"]),
            )
        ]
    ),
)


@pytest.fixture(scope="module")
def judge() -> OfflineJudge:
    return OfflineJudge()


def credit(v, kp: str) -> Credit:
    return next(k.credit for k in v.key_points if k.id == kp)


def test_glossary_loads_and_expands_both_ways():
    g = load_glossary()
    assert len(g) >= 300
    assert "冻结" in g.expand_entry("frozen").split("|")
    assert "freeze" in g.expand_entry("frozen").split("|")
    assert "frozen" in g.expand_entry("冻结").split("|")
    # the bank's prefix stems find their concept too
    assert "饱和" in g.expand_entry("saturat").split("|")
    assert "奖励模型" in g.expand_entry("reward model").split("|")
    # unknown words are left alone
    assert g.expand_entry("flibbertigibbet") == "flibbertigibbet"


def test_multiword_terms_stay_whole():
    found = [surface for _, _, _, surface in load_glossary().find_concepts("the reward model and the kv cache")]
    assert "reward model" in found and "kv cache" in found


def test_chinese_answer_to_english_key_points(judge):
    v = judge.grade(LORA, "冻结原模型权重，只训练低秩矩阵 B 和 A。推理时可以把 BA 合并回 W，没有额外延迟。")
    assert credit(v, "kp1") == Credit.full
    assert credit(v, "kp2") == Credit.full


def test_english_answer_to_chinese_key_points(judge):
    v = judge.grade(LORA_ZH, "The pretrained weights stay frozen and only the low-rank matrices B and A are trained. At inference BA is merged back into W, so there is no extra latency.")
    assert v.score >= 7.5


def test_synonyms_and_irregular_forms(judge):
    v = judge.grade(LORA, "You freeze the base model and train a small low-rank update BA.")
    assert credit(v, "kp1") == Credit.full


def test_generic_words_alone_earn_nothing(judge):
    # "model", "training", "weights" translate, but are not evidence of the point
    for answer in ("模型的训练需要权重。", "The model is trained and has weights.", "训练模型"):
        v = judge.grade(LORA, answer)
        assert credit(v, "kp1") == Credit.none, answer


def test_off_topic_answer_in_the_other_language_scores_nothing(judge):
    v = judge.grade(LORA, "RAG 先把文档切块并向量化，检索最相似的文本块放进提示词，让模型基于上下文回答。")
    assert v.score <= 1.0


def test_curated_alias_matches_across_languages(judge):
    v = judge.grade(CURATED, "分数太大时 softmax 会饱和，梯度消失。")
    assert credit(v, "sat") == Credit.full
    # but a bare list of the translated terms still earns partial credit at most
    stuffed = judge.grade(CURATED, "softmax、饱和、梯度、方差、维度、缩放")
    assert credit(stuffed, "sat") != Credit.full


def test_negated_alias_is_not_matched_by_concepts():
    from rubrics.offline.judge import _alias_concepts

    assert _alias_concepts(["gradients do not vanish"]) == []
    assert _alias_concepts(["softmax saturates"])
