"""The rubric a judge actually grades against.

Bank writers may leave ``rubric.key_points`` empty (user banks often do). Rather than refusing to
grade, both judges then use key points derived from the reference answer: each chunk of the
reference (a sentence, merged or split to at most ``MAX_DERIVED`` chunks) becomes one point whose
keywords are that chunk's most *distinctive* content terms, i.e. terms that occur in it and not in
the other chunks, preferring technical-looking ones (digits, underscores, capitals, long words).
This is cruder than a hand-written rubric, which is why the derived points carry no aliases and
the judge needs most of their keywords for full credit.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, OrderedDict

from question_bank.models import KeyPoint, Question, Rubric, Terms, Text
from rubrics.text import (
    STOPWORDS_EN,
    STOPWORDS_ZH,
    TOKEN_RE,
    clause_spans,
    fold,
    has_cjk,
    sentence_spans,
    stem,
    tokenize_zh,
)

MAX_DERIVED = 6
KEYWORDS_PER_POINT = 4

#: Words too common in technical answers to tell two points apart.
_GENERIC_EN = frozenset(
    """use used using make makes made model models also like can way well thing things get gets good
    better best large small lot lots often usually typically generally basically really need needs
    different same new example important key main work works way ways case cases set number time
    step steps result results value values first second since still even however therefore hence
    thus much many more less most least""".split()
)
_GENERIC_ZH = frozenset("使用 模型 可以 一般 通常 这样 问题 方法 情况 需要 进行 不同 相同 比较 主要 重要 影响 效果 结果 部分 方面 过程".split())

_cache: OrderedDict[str, Rubric] = OrderedDict()


def effective_rubric(question: Question) -> Rubric:
    """The question's rubric, or one derived from its reference answer when it has no key points."""
    if question.rubric.key_points:
        return question.rubric
    ref = question.reference_answer
    key = hashlib.blake2b(f"{question.id}\0{ref.en}\0{ref.zh or ''}".encode(), digest_size=16).hexdigest()
    hit = _cache.get(key)
    if hit is None:
        hit = Rubric(
            key_points=derive_key_points(ref.en, ref.zh),
            misconceptions=question.rubric.misconceptions,
            levels=question.rubric.levels,
        )
        _cache[key] = hit
        if len(_cache) > 4096:
            _cache.popitem(last=False)
    return hit


def _chunks(text: str, n_max: int) -> list[tuple[int, int]]:
    """Sentences, long ones split into clauses, then the shortest neighbours merged down to n_max."""
    spans: list[tuple[int, int]] = []
    for s, e in sentence_spans(text):
        if e - s > 260 and not has_cjk(text[s:e]) or e - s > 120 and has_cjk(text[s:e]):
            parts = clause_spans(text, s, e)
            # re-group clauses into pieces of reasonable size
            cur = None
            for cs, ce in parts:
                cur = (cs, ce) if cur is None else (cur[0], ce)
                if cur[1] - cur[0] >= (60 if has_cjk(text[s:e]) else 120):
                    spans.append(cur)
                    cur = None
            if cur:
                if spans and spans[-1][0] >= s:
                    spans[-1] = (spans[-1][0], cur[1])
                else:
                    spans.append(cur)
        else:
            spans.append((s, e))
    while len(spans) > n_max:
        # merge the shortest chunk with its shorter neighbour
        i = min(range(len(spans)), key=lambda k: spans[k][1] - spans[k][0])
        j = i - 1 if i == len(spans) - 1 or (i > 0 and spans[i - 1][1] - spans[i - 1][0] < spans[i + 1][1] - spans[i + 1][0]) else i + 1
        a, b = sorted((i, j))
        spans[a : b + 1] = [(spans[a][0], spans[b][1])]
    return spans


def _terms_en(text: str) -> list[tuple[str, str, bool]]:
    """(surface word, stem, technical?) for each content word, in order."""
    out = []
    for m in re.finditer(r"[A-Za-z0-9_\u03b1-\u03c9]+(?:[-_.][A-Za-z0-9]+)*", text):
        word = m.group()
        parts = TOKEN_RE.findall(fold(word)[0])
        if not parts:
            continue
        w = " ".join(parts)
        if len(parts) == 1 and (w in STOPWORDS_EN or w in _GENERIC_EN or len(w) < 3 and not any(c.isdigit() for c in w)):
            continue
        if w.isdigit() and len(w) < 2:
            continue
        technical = bool(re.search(r"[0-9_]|[a-z][A-Z]|^[A-Z]{2,}", word)) or len(parts) > 1
        out.append((w, " ".join(stem(p) for p in parts), technical))
    return out


def _terms_zh(text: str) -> list[tuple[str, str, bool]]:
    out = []
    for w in tokenize_zh(text):
        if has_cjk(w):
            if len(w) < 2 or w in STOPWORDS_ZH or w in _GENERIC_ZH:
                continue
            out.append((w, w, len(w) >= 3))
        elif len(w) >= 3 and w not in STOPWORDS_EN and w not in _GENERIC_EN:
            out.append((w, stem(w), True))
    return out


def _pick(chunks_terms: list[list[tuple[str, str, bool]]]) -> list[list[str]]:
    """Per chunk, the terms that best tell it apart: frequent here, rare in the other chunks."""
    df = Counter(k for terms in chunks_terms for k in {t[1] for t in terms})
    n = len(chunks_terms)
    picked = []
    for terms in chunks_terms:
        tf = Counter(t[1] for t in terms)
        seen: dict[str, tuple[float, str]] = {}
        for pos, (surface, key, technical) in enumerate(terms):
            if key in seen:
                continue
            rarity = 1.0 if n == 1 else 1.0 - (df[key] - 1) / n
            score = rarity * (1.0 + 0.3 * (tf[key] - 1)) + (0.4 if technical else 0.0) + min(len(surface), 12) / 40 - pos / 400
            seen[key] = (score, surface)
        best = sorted(seen.values(), key=lambda x: -x[0])[:KEYWORDS_PER_POINT]
        picked.append([surface for _, surface in best])
    return picked


def derive_key_points(en: str, zh: str | None = None, n_max: int = MAX_DERIVED) -> list[KeyPoint]:
    """Key points from a reference answer; Chinese chunks are aligned to English ones by position
    (bilingual references are translations, so the k-th fifth of one covers the k-th fifth of the
    other)."""
    en_spans = _chunks(en, n_max)
    if not en_spans:
        return []
    en_texts = [en[s:e] for s, e in en_spans]
    zh_texts: list[str] = []
    if zh and zh.strip():
        zh_spans = sentence_spans(zh)
        total_en = len(en)
        total_zh = max(1, len(zh))
        groups: list[list[tuple[int, int]]] = [[] for _ in en_spans]
        bounds = [e / total_en for _, e in en_spans]
        for s, e in zh_spans:
            mid = (s + e) / 2 / total_zh
            k = next((i for i, b in enumerate(bounds) if mid <= b), len(bounds) - 1)
            groups[k].append((s, e))
        zh_texts = [zh[g[0][0] : g[-1][1]] if g else "" for g in groups]
    kw_en = _pick([_terms_en(t) for t in en_texts])
    kw_zh = _pick([_terms_zh(t) for t in zh_texts]) if zh_texts else [[] for _ in en_texts]
    points = []
    for i, text in enumerate(en_texts):
        zh_text = zh_texts[i] if zh_texts else ""
        if not kw_en[i] and not kw_zh[i]:
            continue
        points.append(
            KeyPoint(
                id=f"ref-{i + 1}",
                text=Text(en=text, zh=zh_text or None),
                weight=1.0,
                keywords=Terms(en=kw_en[i], zh=kw_zh[i]),
            )
        )
    return points
