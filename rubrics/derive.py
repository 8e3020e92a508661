"""The rubric a judge actually grades against.

Bank writers may leave ``rubric.key_points`` empty (user banks often do), and calibration data
gives key points as bare sentences. Rather than refusing to grade, both judges then use key points
derived from text: each chunk of the reference (a sentence, merged or split to at most
``MAX_DERIVED`` chunks) becomes one point whose keywords are that chunk's most *distinctive*
terms, i.e. terms that occur in it and not in the other chunks.

Why terms are picked the way they are: a derived rubric is only as fair as its keywords. Picking
single words splits "reward model" or "KV cache" into generic halves that an off-topic answer also
says, and picking every content word ("trained", "starts", "extra") makes a paraphrase look like a
miss. So terms are glossary concepts first (``rubrics.glossary``: multi-word technical terms stay
whole and translate to the other language), then technical-looking words and numbers, and each
carries a weight (``term_weight``): words every answer uses count little and never alone. The
offline judge grades derived points on the weighted share of these terms found together.
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
    fold_term,
    has_cjk,
    sentence_spans,
    stem,
    tokenize_zh,
)

MAX_DERIVED = 6
KEYWORDS_PER_POINT = 6

#: Weights of derived terms: a glossary concept or technical word, an ordinary content word, and a
#: word every technical answer uses (glossary ``common``, ``_GENERIC_*``).
W_SPECIFIC = 1.0
W_PLAIN = 0.6
W_COMMON = 0.35

#: Words too common in technical answers to tell two points apart.
_GENERIC_EN = frozenset(
    """use used using make makes made model models also like can way well thing things get gets good
    better best large small lot lots often usually typically generally basically really need needs
    different same new example important key main work works way ways case cases set number time
    step steps result results value values first second since still even however therefore hence
    thus much many more less most least uses across without within gives adds add plus every ones
    come comes means know knows needed real several whole""".split()
)
_GENERIC_ZH = frozenset("使用 模型 可以 一般 通常 这样 问题 方法 情况 需要 进行 不同 相同 比较 主要 重要 影响 效果 结果 部分 方面 过程".split())

#: Explanation verbs and qualifiers: content words, but how a point is phrased rather than what it
#: says, so a paraphrase rarely repeats them. Kept as terms (they help tell chunks apart) but weak.
_WEAK_EN = frozenset(
    """start starts started keep keeps kept stay stays allow allows allowed let lets help helps give
    gives given become becomes provide provides require requires required directly direct simply
    roughly about around almost nearly only whole each every instead rather extra additional
    able enough usual usually often always never avoid avoids avoiding stores store trained train
    training previous earlier final just""".split()
)
_WEAK_ZH = frozenset("保证 开始 一开始 直接 只 只有 大约 几乎 有时 额外 其余 其他 一次 大幅 很多 很少 保留 保持 之后 之前 时候 能够 导致".split())

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


_NUM_UNIT = re.compile(
    r"\d+(?:\.\d+)?\s*(?:%|％|x\b|×|倍|bits?\b|bytes?\b|b\b|m\b|k\b|gb\b|mb\b|位|比特|字节|层|维|头)", re.I
)


def _glossary():
    from rubrics.glossary import load_glossary  # noqa: PLC0415 - glossary imports text, not derive

    return load_glossary()


def term_weight(entry: str) -> float:
    """How much a derived term counts toward its point (see the module docstring)."""
    g = _glossary()
    parts = [p for p in entry.split("|") if p.strip()]
    ids: set[int] = set()
    for p in parts:
        ids |= g.lookup(p)
    if ids:
        return W_COMMON if g.is_common(frozenset(ids)) else W_SPECIFIC
    first = parts[0] if parts else entry
    if has_cjk(first):
        if first in _GENERIC_ZH or first in _WEAK_ZH or len(first) < 2:
            return W_COMMON
        return W_SPECIFIC if len(first) >= 3 else W_PLAIN
    words = TOKEN_RE.findall(fold(first)[0])
    if not words:
        return W_COMMON
    if len(words) == 1 and (words[0] in _GENERIC_EN or words[0] in _WEAK_EN or stem(words[0]) in _WEAK_STEMS):
        return W_COMMON
    technical = bool(re.search(r"[0-9_%]", first)) or len(words) > 1 or any(len(w) >= 9 for w in words)
    return W_SPECIFIC if technical else W_PLAIN


_WEAK_STEMS = frozenset(stem(w) for w in _WEAK_EN)


def _mask(text: str, spans: list[tuple[int, int]]) -> str:
    chars = list(text)
    for s, e in spans:
        for i in range(s, e):
            chars[i] = "，" if has_cjk(chars[i]) else " "
    return "".join(chars)


def _terms(text: str, lang: str) -> list[tuple[str, str, bool, float]]:
    """(surface, identity key, technical?, weight) for each term of ``text``, in order.

    Glossary concepts first (one term however many words, keyed by concept so that "frozen" and
    "冻结" are the same term), numbers with their unit, then the remaining content words of
    ``lang`` ('en': Latin words; 'zh': jieba words, Latin ones included)."""
    g = _glossary()
    folded = fold_term(text)
    out: list[tuple[int, str, str, bool, float]] = []
    covered: list[tuple[int, int]] = []
    for s, e, ids, surface in g.find_concepts(folded):
        if lang == "en" and has_cjk(surface):
            continue
        covered.append((s, e))
        common = g.is_common(ids)
        out.append((s, surface, "g:" + ",".join(map(str, sorted(ids))), not common, W_COMMON if common else W_SPECIFIC))
    for m in _NUM_UNIT.finditer(folded):
        if any(s <= m.start() < e for s, e in covered):
            continue
        surface = re.sub(r"\s+", "", m.group())
        covered.append(m.span())
        out.append((m.start(), surface, "n:" + surface, True, W_SPECIFIC))
    rest = _mask(folded, covered)
    rest_terms = _terms_en(rest) if lang == "en" else _terms_zh(rest)
    # positions of the rest are approximate (first occurrence): only the order matters
    for surface, key, technical in rest_terms:
        pos = rest.find(surface.split(" ")[0]) if surface else 0
        w = term_weight(surface)
        out.append((max(0, pos), surface, key, technical, w))
    out.sort(key=lambda x: x[0])
    return [(surface, key, technical, w) for _, surface, key, technical, w in out]


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


def _pick(chunks_terms: list[list[tuple[str, str, bool, float]]]) -> list[list[str]]:
    """Per chunk, the terms that best tell it apart: weighty, frequent here, rare in the other
    chunks. Generic terms are kept only when the chunk has few others (they still translate)."""
    df = Counter(k for terms in chunks_terms for k in {t[1] for t in terms})
    n = len(chunks_terms)
    picked = []
    for terms in chunks_terms:
        tf = Counter(t[1] for t in terms)
        seen: dict[str, tuple[float, str]] = {}
        for pos, (surface, key, technical, weight) in enumerate(terms):
            if key in seen:
                continue
            rarity = 1.0 if n == 1 else 1.0 - (df[key] - 1) / n
            score = weight * rarity * (1.0 + 0.3 * (tf[key] - 1)) + (0.3 if technical else 0.0) + min(len(surface), 12) / 60 - pos / 400
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
    kw_en = _pick([_terms(t, "en") for t in en_texts])
    kw_zh = _pick([_terms(t, "zh") for t in zh_texts]) if zh_texts else [[] for _ in en_texts]
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
