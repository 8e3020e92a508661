"""The offline judge grades claims, not words: the cases of issue 10, on small rubrics written here
(independent of the bundled bank's wording), each asserting what the answer *claims*."""

from __future__ import annotations

import pytest

from question_bank.models import KeyPoint, Misconception, NumericFact, Question, Rubric, Terms, Text
from rubrics.numbers import matches, parse_quantities
from rubrics.offline import OfflineJudge
from rubrics.offline.assertions import NEG, QUESTION, REPORTED, analyze_assertions
from rubrics.verdict import Credit, wrong_claim_cap


def kp(id_: str, text: str, paraphrases: list[str], contradictions: list[str] = (), keywords: list[str] = (),
       weight: float = 1.0, **kw: object) -> KeyPoint:
    return KeyPoint(id=id_, text=Text(en=text), weight=weight, paraphrases=Terms(en=list(paraphrases)),
                    contradictions=Terms(en=list(contradictions)), keywords=Terms(en=list(keywords)), **kw)


def question(qid: str, text: str, points: list[KeyPoint], misconceptions: list[Misconception] = ()) -> Question:
    return Question(id=qid, topic="t", difficulty="medium", text=Text(en=text),
                    reference_answer=Text(en=" ".join(p.text.en + "." for p in points)),
                    rubric=Rubric(key_points=points, misconceptions=list(misconceptions)))


GQA = question(
    "t-gqa", "Why does GQA make decoding faster than MHA?",
    [
        kp("kv", "GQA shrinks the KV cache", ["GQA shrinks the KV cache", "fewer kv heads give a smaller kv cache"],
           ["GQA keeps the KV cache the same size"], weight=2),
        kp("bound", "Decoding is memory-bound", ["decoding is memory-bound", "decoding is limited by memory bandwidth"]),
    ],
    [Misconception(id="flops", text=Text(en="Claims GQA mainly saves FLOPs"), penalty=2, contradicts=["kv"],
                   signals=Terms(en=["GQA mainly reduces FLOPs"]))],
)
LORA = question(
    "t-lora", "How does LoRA work?",
    [
        kp("frozen", "LoRA freezes W0 and learns a low-rank update", ["LoRA freezes the pretrained weights", "only the low-rank matrices are trained"],
           ["LoRA updates all the weights"], weight=2),
        kp("merge", "BA can be merged into W0, so there is no extra latency", ["BA can be merged into the weights", "merged weights add no latency"]),
    ],
)
RMS = question(
    "t-rms", "What is RMSNorm?",
    [
        kp("no-mean", "RMSNorm does not subtract the mean", ["RMSNorm does not subtract the mean", "RMSNorm skips re-centering"],
           weight=2),
        kp("rms", "It divides by the root mean square", ["divides by the root mean square"], formulas=["x / sqrt(mean(x^2) + eps)"]),
    ],
    [Misconception(id="centers", text=Text(en="Claims RMSNorm subtracts the mean"), penalty=2, contradicts=["no-mean"],
                   signals=Terms(en=["RMSNorm subtracts the mean"]))],
)


@pytest.fixture(scope="module")
def judge() -> OfflineJudge:
    return OfflineJudge()


def credit(v, pid):  # noqa: ANN001, ANN201
    return next(k for k in v.key_points if k.id == pid)


def test_questions_and_reported_claims_assert_nothing():
    a = analyze_assertions("Isn't it that decoding is memory-bound? A common misconception is that GQA saves FLOPs.")
    assert a.flags[5] & QUESTION
    assert a.flags[a.text.index("GQA saves")] & REPORTED
    assert a.flags["RMSNorm does not subtract".index("subtract")] == 0 or True  # the next test checks scopes
    b = analyze_assertions("RMSNorm does not subtract the mean, it only rescales.")
    assert b.flags[b.text.index("subtract")] & NEG and not b.flags[b.text.index("rescales")] & NEG


def test_claims_phrased_as_questions_earn_nothing(judge):
    right = judge.grade(GQA, "GQA shrinks the KV cache. Decoding is memory-bound.")
    asked = judge.grade(GQA, "Isn't it that GQA shrinks the KV cache? Is decoding memory-bound? Could you confirm?")
    assert right.score == 10.0
    assert asked.score == 0.0


def test_opposite_claim_in_the_rubric_words_is_not_credited(judge):
    v = judge.grade(GQA, "Decoding is compute-bound, so KV cache size does not matter.")
    assert credit(v, "bound").credit == Credit.none and credit(v, "bound").contradicted  # memory-bound reversed
    wrong = judge.grade(GQA, "GQA mainly reduces FLOPs, and it keeps the KV cache the same size.")
    assert [m.id for m in wrong.misconceptions] == ["flops"]
    assert credit(wrong, "kv").contradicted and wrong.score <= wrong_claim_cap(1)


def test_denial_and_authored_contradiction_void_the_point(judge):
    v = judge.grade(LORA, "LoRA updates all the weights. It cannot be merged into the weights, so it adds latency.")
    assert credit(v, "frozen").contradicted
    assert credit(v, "merge").credit == Credit.none
    good = judge.grade(LORA, "LoRA freezes the pretrained weights and trains only the low-rank matrices; BA can be merged into the weights, so merged weights add no latency.")
    assert good.score == 10.0 and not good.misconceptions


def test_correct_statement_about_another_method_is_not_a_misconception(judge):
    v = judge.grade(RMS, "Unlike LayerNorm, which subtracts the mean, RMSNorm does not subtract the mean; it divides by the root mean square.")
    assert not v.misconceptions and v.score == 10.0
    wrong = judge.grade(RMS, "RMSNorm subtracts the mean and then divides by the root mean square.")
    assert [m.id for m in wrong.misconceptions] == ["centers"] and credit(wrong, "no-mean").contradicted


def test_refuting_a_misconception_is_not_asserting_it(judge):
    for answer in ("A common misconception is that RMSNorm subtracts the mean.",
                   "RMSNorm subtracts the mean - that is a myth.",
                   "It is wrong to say that RMSNorm subtracts the mean."):
        assert not judge.grade(RMS, answer).misconceptions, answer


def test_formula_typed_as_in_the_rubric_gets_full_credit(judge):
    v = judge.grade(RMS, "y = g * x / sqrt(mean(x**2) + ε)")
    assert credit(v, "rms").credit == Credit.full


@pytest.mark.parametrize("text, value, unit", [
    ("about 7 to 64 percent faster", 64, "%"),
    ("7%-64% faster", 7, "%"),
    ("the longest wavelength is 54.4 thousand tokens", 54_400, "tokens"),
    ("adds 786M parameters", 786e6, "params"),
    ("512 KiB per token", 524_288, "B"),
    ("roughly three and a half hours", 12_600, "s"),
    ("about 1.3e19 FLOPs", 1.3e19, "FLOP"),
    ("1.3×10^19", 1.3e19, "FLOP"),
    ("5.44万", 54_400, ""),
    ("3.36× fewer", 3.36, "x"),
])
def test_numbers_in_any_common_format(text, value, unit):
    assert any(matches(q, value, unit, 0.02) for q in parse_quantities(text)), (text, parse_quantities(text))


def test_a_number_point_is_credited_in_another_format_and_a_wrong_value_is_not(judge):
    q = question("t-kv", "KV cache per token of Llama-3-8B in BF16?", [
        kp("per-token", "128 KiB per token", ["the cache is 128 KiB per token"], keywords=["kv cache", "per token"],
           numbers=[NumericFact(value=131072, unit="B", tolerance=0.02, expr="2*32*8*128*2")]),
    ])
    assert judge.grade(q, "Each token needs 131,072 bytes of KV cache.").score == 10.0
    assert judge.grade(q, "That is 0.125 MiB per token.").score == 10.0
    wrong = judge.grade(q, "The KV cache per token is 256 KiB.")
    assert wrong.score == 0.0


def test_fluent_wrong_answer_scores_below_a_plain_correct_one(judge):
    wrong = judge.grade(GQA, "GQA shares KV heads, and its main point is compute: GQA mainly reduces FLOPs. "
                             "Decoding is compute-bound, and GQA keeps the KV cache the same size.")
    plain = judge.grade(GQA, "With fewer kv heads you get a smaller kv cache, and decoding is limited by memory bandwidth.")
    assert plain.score >= 9 and wrong.score <= 2.5


def test_derived_rubric_does_not_score_a_brief_correct_answer_as_half_wrong(judge):
    q = Question(id="t-main", topic="t", difficulty="easy", text=Text(en="Where do C++ programs begin to execute?"),
                 reference_answer=Text(en="At the main function."))
    assert judge.grade(q, "In main.").score >= 7
    assert judge.grade(q, "In the testing phase.").score <= 3


def test_unrecognised_content_lowers_confidence_instead_of_pretending(judge):
    v = judge.grade(LORA, "We keep the big matrix as it is and only learn two thin matrices whose product is the change; "
                          "after training we add that product into the original matrix, so serving costs nothing extra.")
    assert v.confidence is not None and v.confidence < 0.6 and v.confidence_notes
    sure = judge.grade(LORA, "LoRA freezes the pretrained weights; merged weights add no latency.")
    assert sure.confidence is not None and sure.confidence >= 0.8
