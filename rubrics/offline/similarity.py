"""Whole-answer similarity to the reference answer, for rubrics nobody wrote key points for.

A rubric derived from a reference answer (``rubrics.derive``: calibration data, a user bank with
only a reference) has no paraphrases to vouch for an answer in other words, and a short correct
answer touches one or two derived points at most. So the offline judge also measures how much of
the reference the answer covers as a whole:

* **soft recall**: the share of the reference's content words (question words removed: repeating
  the question is not an answer) that the answer contains, a word counting by its stem or, failing
  that, by its nearest word in the answer (cosine of static word embeddings), and
* **cosine** of the two texts' embeddings, question words removed from both.

The embeddings are WordLlama's (``wordllama``, weights shipped in its wheel; loaded from the
installed package with downloads disabled). They measure relatedness, not truth: "decoding is
compute-bound" is close to its opposite. That is why this signal only grades answers to rubrics
without written claims, and why a derived rubric's contradictions (none) cannot be checked: the
verdict says so through a lower confidence. Without wordllama, soft recall falls back to exact
stems and the cosine to zero.
"""

from __future__ import annotations

import math
import threading
from functools import lru_cache

from rubrics.text import STOPWORDS_EN, has_cjk, stem, tokenize_zh, words_en

_LOCK = threading.Lock()
_MODEL: object | None = None
_FAILED = False


def embedder() -> object | None:
    """The WordLlama model, loaded once (thread-safe), or None when unavailable."""
    global _MODEL, _FAILED
    if _MODEL is not None or _FAILED:
        return _MODEL
    with _LOCK:
        if _MODEL is None and not _FAILED:
            try:
                import os  # noqa: PLC0415

                import wordllama  # noqa: PLC0415

                _MODEL = wordllama.WordLlama.load(cache_dir=os.path.dirname(wordllama.__file__), disable_download=True)
            except Exception:  # noqa: BLE001 - similarity degrades to exact stems
                _FAILED = True
    return _MODEL


@lru_cache(maxsize=20_000)
def is_common_word(word: str) -> bool:
    """Whether ``word`` is an everyday English word: one token of WordLlama's 32k vocabulary
    ("final", "visible", "cut"), unlike a term of art ("swiglu", "truncate" are split). False
    without WordLlama."""
    model = embedder()
    if model is None or not word.isascii() or not word.isalpha():
        return False
    try:
        return len(model.tokenizer.encode(word.lower(), add_special_tokens=False).tokens) == 1  # type: ignore[attr-defined]
    except Exception:  # noqa: BLE001
        return False


def _content(text: str) -> list[str]:
    """Content words: English words (not stopwords, 2+ letters or digits) and Chinese words."""
    out = [w for w in words_en(text) if w not in STOPWORDS_EN and (len(w) > 1 or w.isdigit())]
    if has_cjk(text):
        out += [w for w in tokenize_zh(text) if has_cjk(w) and len(w) >= 2]
    return list(dict.fromkeys(out))


@lru_cache(maxsize=8192)
def _vectors(words: tuple[str, ...]) -> object | None:
    model = embedder()
    if model is None or not words:
        return None
    return model.embed(list(words), norm=True)  # type: ignore[attr-defined]


def soft_recall(reference: str, answer: str, question: str = "") -> float:
    """Share of the reference's content words the answer expresses (see module docstring)."""
    q_stems = {stem(w) for w in _content(question)}
    ref = [w for w in _content(reference) if stem(w) not in q_stems] or _content(reference)
    ans = _content(answer)
    if not ref or not ans:
        return 0.0
    ans_stems = {stem(w) for w in ans}
    exact = [stem(w) in ans_stems for w in ref]
    rv, av = _vectors(tuple(ref)), _vectors(tuple(ans))
    if rv is None or av is None:
        return sum(exact) / len(ref)
    sims = (rv @ av.T).max(axis=1)  # type: ignore[attr-defined,operator]
    return float(sum(1.0 if e else max(0.0, float(s)) for e, s in zip(exact, sims, strict=True)) / len(ref))


def cosine(a: str, b: str) -> float:
    model = embedder()
    if model is None or not a.strip() or not b.strip():
        return 0.0
    va, vb = model.embed([a, b], norm=True)  # type: ignore[attr-defined]
    return float(max(0.0, (va * vb).sum()))


#: Similarity -> 0-10: score = 10 * clamp((sqrt(recall) + cos - LOW) / (HIGH - LOW)). An answer
#: that says what the reference says in other words reaches HIGH; an unrelated one stays near LOW.
SIM_LOW = 0.1
SIM_HIGH = 1.1


def _without_question(text: str, question: str) -> str:
    """``text`` without the question's own words: what an answer adds to the question."""
    q = {stem(w) for w in _content(question)}
    kept = " ".join(w for w in words_en(text) if stem(w) not in q)
    return kept or text


def similarity_score(reference: str, answer: str, question: str = "") -> tuple[float, float, float]:
    """(score 0-10, soft recall, cosine); both measured on what the texts add to the question."""
    rec = soft_recall(reference, answer, question)
    cos = cosine(_without_question(reference, question), _without_question(answer, question))
    x = math.sqrt(rec) + cos
    score = 10.0 * min(1.0, max(0.0, (x - SIM_LOW) / (SIM_HIGH - SIM_LOW)))
    return score, rec, cos
