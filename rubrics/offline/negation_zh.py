"""Which Chinese negation characters negate, and how much.

不/没/无/未/非/别 are also parts of ordinary words: 区别 (difference), 识别 (recognise), 长短不一 (of
varying length), 参差不齐 (uneven), 差不多 (about). Read as negations they deny whatever follows
("主要区别在于注意力变体" would deny that attention variants are the difference), so a correct answer
loses the claim. The rule is structural, not a word list: a cue negates its clause only when it
starts a word (jieba's segmentation of the few characters around it) and that word is a negation
("不", "不会", "没有", "并不需要"); a cue inside a word negates nothing unless an adverb leads it
("从不", "千万别") or it is a potential complement ("答不对", "看不出": the verb is negated); a word
that starts with a cue but means more and is no verb ("不成比例", "不合理") is a lexical negation and
covers only itself (a negated verb jieba joins, "不做"/"没剪", still negates its clause); bare 非 prefixes the word after it ("非零梯度": non-zero gradient);
and "不X的" opening a noun phrase ("和不共享的 LM head") negates X only, not the noun it modifies.

A few fixed words remain a list (``NOT_NEGATION``) where segmentation cannot tell.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rubrics.text import _jieba

#: Words with a negation character that do not negate the clause (segmentation cannot tell).
NOT_NEGATION = re.compile(
    r"不同|不仅|不只|不光|不单|不断|不少|不错|不过|不管|不论|不如|不久|不够好|不妨|无论|非常|非线性|无偏|无损|"
    r"无限|无监督|未来|未知|不确定|不变性|不定|非自回归|非结构化|并且|无关紧要|差不多|要不然|不然|是不是|"
    r"对不对|行不行|能不能|会不会|有没有|不外乎|不得不|不可避免|不可或缺|非负|非对称|非均匀|未必|不变|不足|不大|不小|"
    r"不可约|除非|莫非|是非|非得|无穷|毫无疑问|不言而喻|不失为"
)

_CUE_CHARS = "不没无未非别"
#: Adverbs that may lead a negation inside one jieba word ("从不", "并未", "千万别").
_NEG_ADVERBS = frozenset("从并绝毫永决千万尚也都还就可再更亦均仍互既又若")
#: What may follow the cue inside a negation word ("不会", "没有", "无法", "不需要").
_NEG_WORD_REST = re.compile(
    r"(?:有|是|会|能|再|可|为|要|用|必|需要|需|须|得|够|太|曾|法|了|到|必要|可以|应该|应当|一定|怎么|算|光|会再|能够|大会)?"
)
#: Potential complements: "答不对", "看不出", "学不会" deny the verb before the cue.
_COMPLEMENT = frozenset("到了对好会动出起上下完懂清住够成开来去掉准全")
#: Where a noun phrase may open: "和不共享的 LM head", "这些没剪的模型", "加回没归一化的残差流".
_NP_OPENERS = frozenset("和与及跟同是把对用有将在给比或、些个种类的被为从回入进到")
_PUNCT = "，,。；;：:！？!?（）()、\n"
_WINDOW = 6


@lru_cache(maxsize=8192)
def _tokens(window: str) -> tuple[str, ...]:
    jb = _jieba()
    return tuple(jb.lcut(window)) if jb is not None else tuple(window)


def _token_at(text: str, pos: int, lo: int, hi: int) -> tuple[int, str]:
    """(start, word) of the jieba word holding ``pos``, segmenting a few characters around it."""
    a = pos
    while a > lo and pos - a < _WINDOW and text[a - 1] not in _PUNCT:
        a -= 1
    b = pos + 1
    while b < hi and b - pos < _WINDOW and text[b] not in _PUNCT:
        b += 1
    off = a
    for w in _tokens(text[a:b]):
        if off <= pos < off + len(w):
            return off, w
        off += len(w)
    return pos, text[pos]


def classify(text: str, start: int, end: int, lo: int, hi: int) -> tuple[str, int, int]:
    """How the cue ``text[start:end]`` negates: ("none", ...), ("word", a, b) when it negates only
    ``text[a:b]``, or ("clause", a, b) for the usual clause scope from ``b`` (``a`` is where the
    negated span starts: the cue itself, or the verb of a potential complement)."""
    cue = text[start:end]
    if cue[0] not in _CUE_CHARS:
        return "clause", start, end  # 缺少/缺乏/并非...: words of their own
    if cue in ("不", "没") and lo < start and end < hi and text[start - 1] == text[end] and "\u3400" <= text[end] <= "\u9fff":
        return "none", start, end  # 在不在, 有没有, 需不需要: a question, not a denial
    ts, tok = _token_at(text, start, lo, hi)
    if ts < start:
        lead = text[ts:start]
        if all(c in _NEG_ADVERBS for c in lead):
            return "clause", start, end  # 从不, 并未, 千万别
        rest = tok[start - ts + 1 :]
        if cue[0] == "不" and rest and rest[0] in _COMPLEMENT and len(lead) <= 2:
            return "word", ts, ts + len(tok)  # 答不对: the verb is denied
        return "none", start, end  # 区别, 长短不一, 识别, 差不多
    if cue == "非" and tok == "非":
        # 非 prefixes the next word: "非零梯度" is a non-zero gradient, not a denied gradient
        nts, nxt = _token_at(text, end, lo, hi) if end < hi else (end, "")
        return "word", start, min(hi, nts + len(nxt)) if nts == end else end
    core = tok[1:] if tok[0] in _CUE_CHARS else tok
    if len(tok) > len(cue) and not _NEG_WORD_REST.fullmatch(core) and not tok.startswith(("并不", "并没", "并非", "没什么")):
        if _word_tag(tok)[:1] not in ("v", "d"):
            return "word", start, ts + len(tok)  # 不成比例, 不合理: a lexical negation covers itself
        # 不做, 不加, 没剪: a negated verb (jieba joins them); it negates its clause
    return "clause", start, end


@lru_cache(maxsize=4096)
def _word_tag(word: str) -> str:
    """jieba's part of speech of ``word`` read as one word ("i" idiom, "a" adjective, "v" verb)."""
    tagged = _tagged(word)
    return tagged[0][1] if len(tagged) == 1 else ""


def attributive_end(text: str, start: int, end: int, lo: int) -> int | None:
    """Where "不X的" ends when it opens a noun phrase ("和不共享的 LM head" negates 共享 only), else None."""
    if text[start:end] == "没有" and end + 1 < len(text) and text[end] == "的" and text[end + 1] not in _PUNCT:
        return end  # "图里没有的物体": the objects that are not there; the sentence is not negated
    if end - start != 1 and text[start:end] != "没有":
        return None  # 不需要/不会 + 的 is a predicate's object ("不需要额外的显存")
    before = text[start - 1] if start > lo else ""
    if before and before not in _NP_OPENERS and before not in _PUNCT and not before.isspace():
        return None
    j = end
    n = 0
    while j < len(text) and n <= 5 and text[j] not in _PUNCT and text[j] != "的":
        n += 1 if "\u3400" <= text[j] <= "\u9fff" else 0
        j += 1
    if j < len(text) and text[j] == "的" and j > end and j + 1 < len(text) and text[j + 1] not in _PUNCT:
        return j
    return None


#: "X 为零" says there is no X, like "没有 X": "冻结参数的梯度为零" = "冻结参数没有梯度". Not after a negation
#: ("不为零" = "非零"), not before a noun ("是零样本").
ZERO_PREDICATE = re.compile(r"(?<![不非没未])(?:为|等于|是|变为|变成|归)\s*(?:零|0(?:\.0+)?)(?![\w.\u3400-\u9fff])|(?<![不非没未])(?:为|等于|是|变为|变成|归)\s*(?:零|0)(?=[了的吗呢])")
_ADVERBS_ZH = ("几乎", "基本", "全部", "都", "也", "均", "全", "就", "会", "将", "已")


@lru_cache(maxsize=4096)
def _tagged(window: str) -> tuple[tuple[str, str], ...]:
    jb = _jieba()
    if jb is None:
        return ()
    import jieba.posseg as pseg  # noqa: PLC0415

    return tuple((w.word, w.flag) for w in pseg.lcut(window))


def zero_subject(text: str, cue: int, lo: int) -> tuple[int, int] | None:
    """The noun a zero predicate at ``cue`` denies ("梯度" in "冻结参数的梯度为零"), or None when the
    word before it is no noun ("B 初始化为零" sets a value; it does not deny B)."""
    a = cue
    while a > lo and cue - a < 12 and text[a - 1] not in _PUNCT:
        a -= 1
    words = list(_tagged(text[a:cue]))
    end = cue
    while words and (not words[-1][0].strip() or words[-1][0] in _ADVERBS_ZH):
        end -= len(words[-1][0])
        words.pop()
    if not words:
        return None
    word, flag = words[-1]
    if not (flag.startswith("n") or flag in ("eng", "x")) or not word.strip():
        return None
    return end - len(word), end
