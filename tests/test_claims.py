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


# -- matcher bugs of judge-j2: claims, not wording ---------------------------------------------------


def zkp(id_: str, en: str, zh: str, para_zh: list[str] = (), contra_zh: list[str] = (), para_en: list[str] = (),
        contra_en: list[str] = (), weight: float = 1.0) -> KeyPoint:
    return KeyPoint(id=id_, text=Text(en=en, zh=zh), weight=weight,
                    paraphrases=Terms(en=list(para_en), zh=list(para_zh)),
                    contradictions=Terms(en=list(contra_en), zh=list(contra_zh)))


def bilingual(qid: str, points: list[KeyPoint], misconceptions: list[Misconception] = ()) -> Question:
    return Question(id=qid, topic="t", difficulty="medium", text=Text(en="Explain.", zh="请解释。"),
                    reference_answer=Text(en=" ".join(p.text.en + "." for p in points), zh="".join(p.text.zh + "。" for p in points)),
                    rubric=Rubric(key_points=points, misconceptions=list(misconceptions)))


def negated(text: str, word: str) -> bool:
    a = analyze_assertions(text)
    return bool(a.flags[text.index(word)] & NEG)


@pytest.mark.parametrize("text, word", [
    ("两种方法的主要区别在于缓存的大小", "缓存"),
    ("长短不一的序列需要填充", "序列"),
    ("参差不齐的梯度幅度要分层处理", "梯度"),
    ("损失在训练中不断下降", "下降"),
    ("它和不共享的输出层各有一份参数", "参数"),
    ("模型描述了图里没有的物体", "物体"),  # 没有的 + noun: the objects that are not there
    ("子层输出直接加回没归一化的残差流", "残差"),  # a verb's complement (回) opens the noun phrase
    ("加回没有归一化的残差主干", "残差"),
])
def test_chinese_negation_characters_inside_words_deny_nothing(text, word):
    assert not negated(text, word), text


@pytest.mark.parametrize("text, word", [
    ("剪枝后的模型不需要微调而且精度基本不变", "精度"),
    ("模型不会更新权重并且损失照常下降", "损失"),
    ("它不保存中间激活：反向时重新计算", "重新"),
])
def test_chinese_negation_stops_at_a_conjunction_or_colon(text, word):
    assert negated(text, text[text.index("不") + 1]) and not negated(text, word), text


@pytest.mark.parametrize("text, word", [
    ("子层输出没有加回残差主干", "残差"),
    ("模型没有额外的显存", "显存"),
    ("训练时不需要额外的显存", "显存"),
])
def test_a_negated_verb_before_de_still_denies_its_object(text, word):
    assert negated(text, word), text


def test_chinese_attributive_negation_negates_its_adjective_only(judge):
    q = bilingual("t-head", [zkp("dim", "The output head has 8192 rows", "输出头有 8192 行", para_zh=["输出头有 8192 行参数"]),
                             zkp("other", "Dropout regularises", "dropout 起正则作用", para_zh=["dropout 起正则作用"])])
    v = judge.grade(q, "位置编码和不共享的输出头有 8192 行参数。")
    assert credit(v, "dim").credit == Credit.full and not credit(v, "dim").contradicted


def test_a_difference_word_does_not_deny_the_claim_after_it(judge):
    q = bilingual("t-gqa-zh", [zkp("share", "GQA shares KV heads", "GQA 让多个查询头共享 KV 头", para_zh=["多个查询头共享 KV 头"]),
                               zkp("other", "Dropout regularises", "dropout 起正则作用", para_zh=["dropout 起正则作用"])])
    v = judge.grade(q, "和 MHA 的区别是多个查询头共享 KV 头。")
    assert credit(v, "share").credit == Credit.full and not credit(v, "share").contradicted


def test_a_zero_predicate_is_a_lexical_negation():
    # "非零" and "不为零" say the same; "梯度为零" denies the gradient like "没有梯度"
    assert negated("它的梯度非零", "零") and not negated("它的梯度非零", "梯度")
    assert negated("冻结参数的梯度为零", "梯度")


@pytest.mark.parametrize("answer", [
    "Distillation compared with PPO gives a dense reward signal.",
    "Relative to PPO, distillation gives a dense reward signal.",
    "相比 PPO，蒸馏的奖励信号是稠密的。",
    "蒸馏与 PPO 相比奖励信号是稠密的。",
])
def test_a_comparison_phrase_is_background_and_the_main_clause_is_asserted(judge, answer):
    q = bilingual("t-dense", [zkp("dense", "The reward signal of distillation is dense", "蒸馏的奖励信号是稠密的",
                                  para_en=["distillation gives a dense reward signal"], para_zh=["蒸馏的奖励信号是稠密的"]),
                              zkp("other", "Dropout regularises", "dropout 起正则作用", para_zh=["dropout 起正则作用"])])
    assert credit(judge.grade(q, answer), "dense").credit == Credit.full, answer


def test_a_hyphenated_compound_matches_itself_and_its_opposite_contradicts(judge):
    q = bilingual("t-conv", [zkp("shape", "The loss surface of a deep net is non-convex", "深度网络的损失面是非凸的",
                                 para_en=["the loss surface of a deep net is non-convex"]),
                             zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
    v = judge.grade(q, "The loss surface of a deep net is non-convex.")
    assert credit(v, "shape").credit == Credit.full
    wrong = judge.grade(q, "The loss surface of a deep net is convex.")
    assert credit(wrong, "shape").credit == Credit.none


@pytest.mark.parametrize("answer", ["G-mean 是 TPR 和 TNR 的几何平均。", "G-mean 是 TPR 与 TNR 的几何平均。"])
def test_a_chinese_claim_joined_by_he_matches_itself_and_not_its_contradiction(judge, answer):
    # "平均" is a glossary concept inside "几何平均"/"算术平均": the rest of the word tells them apart
    q = bilingual("t-gmean", [zkp("gm", "G-mean is the geometric mean of TPR and TNR", "G-mean 是 TPR 和 TNR 的几何平均",
                                  para_zh=["G-mean 是 TPR 和 TNR 的几何平均"], contra_zh=["G-mean 是 TPR 和 TNR 的算术平均"]),
                              zkp("other", "Dropout regularises", "dropout 起正则作用", para_zh=["dropout 起正则作用"])])
    v = judge.grade(q, answer)
    assert credit(v, "gm").credit == Credit.full and not credit(v, "gm").contradicted
    assert credit(judge.grade(q, "G-mean 是 TPR 和 TNR 的算术平均。"), "gm").contradicted


def topical(qid: str, en: str, zh: str, points: list[KeyPoint]) -> Question:
    return Question(id=qid, topic="t", difficulty="medium", text=Text(en=en, zh=zh),
                    reference_answer=Text(en=" ".join(p.text.en + "." for p in points)), rubric=Rubric(key_points=points))


@pytest.mark.parametrize("answer", ["GPTQ、AWQ 也都是 QAT 方法。", "GPTQ and AWQ are both QAT methods."])
def test_a_claim_missing_its_only_predicate_word_is_not_credited(judge, answer):
    # the question names GPTQ and AWQ, so they are its subject; "PTQ" is all the claim says of them
    q = topical("t-ptq", "Are GPTQ and AWQ quantization-aware training?", "GPTQ 和 AWQ 是量化感知训练吗？", [
        zkp("ptq", "GPTQ and AWQ are post-training quantization", "GPTQ 和 AWQ 都是训练后量化",
            para_en=["gptq and awq are ptq"], para_zh=["GPTQ 和 AWQ 都是 PTQ 方法"]),
        zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
    assert credit(judge.grade(q, answer), "ptq").credit == Credit.none
    assert credit(judge.grade(q, "GPTQ 和 AWQ 都是 PTQ。"), "ptq").credit == Credit.full


def test_a_strict_claim_does_not_fire_without_its_predicate(judge):
    q = topical("t-runs", "How should an agent benchmark be run?", "智能体评测该怎么跑？", [
        zkp("runs", "One run per task is not enough", "每个任务跑一次不够",
            para_en=["one run per task is not enough to rank agents", "scores from a single run are noisy"],
            contra_en=["one run per task is enough"]),
        zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
    assert not credit(judge.grade(q, "One run per task is noisy, so rank agents over several runs."), "runs").contradicted
    assert credit(judge.grade(q, "One run per task is enough."), "runs").contradicted


CROSS = bilingual("t-cross", [
    zkp("roles", "In cross-attention the queries come from the decoder and the keys and values from the encoder",
        "交叉注意力的 query 来自解码器，key 和 value 来自编码器",
        para_en=["the queries come from the decoder", "the keys and values come from the encoder"],
        para_zh=["query 来自解码器", "key 和 value 来自编码器"],
        contra_en=["the queries come from the encoder"], contra_zh=["query 来自编码器"]),
    zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
W8A8 = bilingual("t-w8a8", [
    zkp("gran", "W8A8 quantizes activations per token and weights per channel", "W8A8 对激活按 token 量化、对权重按 channel 量化",
        para_en=["activations are quantized per-token and weights per-channel"], para_zh=["对激活按 token 量化", "对权重按 channel 量化"]),
    zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])


@pytest.mark.parametrize("q, swapped, right", [
    (CROSS, "The queries come from the encoder and the keys and values come from the decoder.",
     "The queries come from the decoder and the keys and values come from the encoder."),
    (CROSS, "query 来自编码器，key 和 value 来自解码器。", "query 来自解码器，key 和 value 来自编码器。"),
    (W8A8, "Activations are quantized per-channel and weights per-token.", "Activations are quantized per-token and weights per-channel."),
    (W8A8, "W8A8 对激活按 channel、对权重按 token 量化。", "W8A8 对激活按 token、对权重按 channel 量化。"),
])
def test_swapped_roles_are_not_the_claim(judge, q, swapped, right):
    # both poles in one sentence: each belongs to the role word next to it
    assert credit(judge.grade(q, swapped), q.rubric.key_points[0].id).credit == Credit.none
    assert credit(judge.grade(q, right), q.rubric.key_points[0].id).credit == Credit.full


def test_a_negation_in_a_relative_clause_does_not_deny_the_main_verb():
    t = "Fine-tuning on data the network has not seen can cause forgetting of old skills."
    assert negated(t, "seen") and not negated(t, "cause") and not negated(t, "forgetting")


def test_a_verdict_refutes_only_its_own_clause():
    t = "Spending the budget on more epochs works so a wider network trained on fewer tokens is the wrong direction."
    a = analyze_assertions(t)
    assert a.flags[t.index("wider")] & REPORTED and not a.flags[t.index("epochs")] & REPORTED


@pytest.mark.parametrize("answer", ["A block has: self-attention; an MLP; residual connections; LayerNorm.",
                                    "一个块包含：自注意力；MLP；残差连接；LayerNorm。"])
def test_items_separated_by_semicolons_are_one_list_claim(judge, answer):
    q = bilingual("t-block", [zkp("parts", "A block has attention, an MLP, residuals and normalisation", "块由注意力、MLP、残差和归一化组成",
                                  para_en=["a block has self-attention, an mlp, residual connections and layernorm"],
                                  para_zh=["一个块包含自注意力、MLP、残差连接和 LayerNorm"]),
                              zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
    assert credit(judge.grade(q, answer), "parts").credit == Credit.full
    two = analyze_assertions("Attention is quadratic; the MLP holds most parameters.")
    assert two.seg(0) != two.seg(len(two.text) - 2)  # two clauses stay apart


def test_an_integer_in_a_claim_is_not_part_of_a_decimal_in_the_answer(judge):
    q = bilingual("t-lam", [zkp("lam", "With lambda 0 GAE is the one-step TD advantage", "λ 为 0 时 GAE 是一步 TD 优势",
                                para_en=["lambda 0 gives the one-step td advantage"]),
                            zkp("other", "Dropout regularises", "dropout 起正则作用", para_en=["dropout regularises"])])
    assert credit(judge.grade(q, "With lambda 0.5 you get something between the one-step TD advantage and Monte Carlo."), "lam").credit == Credit.none
    assert credit(judge.grade(q, "Lambda 0 gives the one-step TD advantage."), "lam").credit == Credit.full
