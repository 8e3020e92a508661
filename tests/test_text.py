"""Matching primitives the offline judge is built on."""

from __future__ import annotations

from rubrics.text import (
    analyze,
    compile_phrase,
    contains_normalized,
    detect_lang,
    evidence_span,
    match_entry,
    match_phrase,
    normalize,
    split_sentences,
    term_in,
    tokenize_en,
    tokenize_zh,
)


def test_normalize_unchanged():
    assert normalize("  ＳＯＦＴＭＡＸ\n  Saturates ") == "softmax saturates"
    assert contains_normalized("The Softmax  saturates.", "softmax SATURATES")
    assert not contains_normalized("abc", "  ")


def test_detect_lang():
    assert detect_lang("The softmax saturates and gradients vanish.") == "en"
    assert detect_lang("softmax 会饱和，梯度消失") == "zh"
    assert detect_lang("除以 sqrt(d_k) 让 variance 回到 1") == "zh"


def test_tokenize():
    assert tokenize_en("The gradients saturate") == ["gradient", "satur"]
    words = tokenize_zh("点积的方差随维度增大")
    assert "方差" in words and "的" not in words


def test_sentences_split_on_both_languages_and_bullets():
    text = "First, e.g. this one. Second!\n- bullet item\n2. numbered\n中文句子。另一句！"
    assert split_sentences(text) == ["First, e.g. this one.", "Second!", "bullet item", "numbered", "中文句子。", "另一句！"]


def test_short_terms_match_whole_tokens_only():
    assert term_in("we keep the kv cache", "kv")
    assert not term_in("the kvetch said", "kv")
    assert term_in("restore variance to 1", "1|one")
    assert not term_in("use 10 heads", "1")


def test_stem_prefix_and_alternatives():
    assert term_in("the softmax saturates", "saturat")
    assert term_in("softmax saturation", "saturat")
    assert not term_in("the sat score", "saturat")
    assert term_in("divide by the square root of d", "sqrt(d_k)|square root")
    assert term_in("use layer-norm", "layer norm")
    assert term_in("use LayerNorm", "layer norm")


def test_cjk_substring_ignores_spacing():
    d = analyze("分数太大会让softmax饱和")
    assert match_entry(d, "softmax 饱和")
    assert not match_entry(analyze("softmax 不会变化"), "饱和")


def test_numbers_glued_to_units():
    assert term_in("about 12.9B active parameters", "12.9")
    assert not term_in("about 12.95B", "12.9")
    assert term_in("mask 80% of them", "80%")
    assert not term_in("80 layers", "80%")


def test_fuzzy_phrase_tolerates_typos_and_order_but_not_unrelated_text():
    doc = analyze("In practice the varience of the dot product grows with d_k for big heads.")
    hit = match_phrase(doc, compile_phrase("variance grows with d_k"))
    assert hit and hit.score >= 0.86
    reordered = analyze("When experts are sparse, only k of them are active for each token.")
    assert match_phrase(reordered, compile_phrase("only k experts active"))
    assert match_phrase(analyze("Batch size grows with the learning rate."), compile_phrase("variance grows with d_k")) is None
    # one letter flips meaning: encoder/decoder are not typos of each other
    assert match_phrase(analyze("queries come from the decoder"), compile_phrase("queries come from the encoder"), strict=True) is None


def test_evidence_span_is_verbatim_sentence():
    text = "Intro here.  The softmax saturates, so the gradients vanish!\nNext line."
    start = text.index("saturates")
    span = evidence_span(text, start, start + 9)
    assert span == "The softmax saturates, so the gradients vanish!"
    long = "word " * 80 + "target " + "word " * 80
    s = long.index("target")
    span = evidence_span(long, s, s + 6)
    assert "target" in span and span in long and len(span) <= 220


def test_a_decimal_at_the_start_of_a_line_is_not_a_bullet():
    from rubrics.text import split_sentences

    assert split_sentences("0.8 is the precision here.") == ["0.8 is the precision here."]
