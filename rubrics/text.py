"""Text normalisation and matching shared by every judge: the same answer must look the same to each
of them.

Everything here works on *original* character offsets, because evidence shown to a candidate must be
a verbatim quote of what they typed; normalised text is only ever used to find things.

English is matched on word tokens and Snowball stems (so "saturates" finds "saturation"), Chinese on
substrings of whitespace-free text (Chinese has no spaces, and jieba's segmentation of an answer and
of a rubric term do not always agree, so a substring test is both faster and more reliable). jieba
is only used on rubric text (compiled once per question) and for keyword derivation.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

import snowballstemmer
from rapidfuzz import fuzz, process
from rapidfuzz.distance import Levenshtein

_WS = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC (full-width to half-width), lower case, whitespace folded."""
    return _WS.sub(" ", unicodedata.normalize("NFKC", text).lower()).strip()


def contains_normalized(haystack: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``haystack`` once both are normalised (quotes from judges)."""
    n = normalize(needle)
    return bool(n) and n in normalize(haystack)


# --------------------------------------------------------------------------------------------
# Languages

_CJK_RE = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_RE = re.compile(r"[A-Za-z]")


def has_cjk(text: str) -> bool:
    return _CJK_RE.search(text) is not None


def cjk_ratio(text: str) -> float:
    """Share of CJK characters among letters; a Chinese answer full of English terms still has a
    CJK ratio well above 0.3 because each Chinese character carries a whole syllable."""
    cjk = len(_CJK_RE.findall(text))
    latin = len(_LATIN_RE.findall(text))
    return cjk / (cjk + latin) if cjk + latin else 0.0


def detect_lang(text: str) -> str:
    """'zh' or 'en'. The threshold is low on purpose: a mixed answer written by a Chinese speaker
    ("softmax 会饱和，梯度消失") should get Chinese feedback."""
    return "zh" if cjk_ratio(text) >= 0.25 else "en"


# --------------------------------------------------------------------------------------------
# Folding with an offset map back to the original

_SPECIAL = {"√": " sqrt "}  # expands: needs the slow, mapped path
_SAME_LEN = str.maketrans({"−": "-", "–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "×": "x", "·": " "})


_SPECIAL_RE = re.compile("[" + "".join(_SPECIAL) + "]")


def fold(text: str) -> tuple[str, list[int] | None]:
    """Lower-cased NFKC text plus, when lengths differ, ``map[i]`` = original index of folded char i.

    Whitespace is *not* folded here (tokenisers ignore it) so that ASCII text maps 1:1 and needs no
    map at all, the common and fast case.
    """
    if text.isascii():
        return text.lower(), None
    text = text.translate(_SAME_LEN)
    if not _SPECIAL_RE.search(text):
        # Fast path: NFKC and lower() kept the length, so (barring an expansion exactly
        # cancelled by a contraction, which does not occur in practice) offsets map 1:1.
        n = unicodedata.normalize("NFKC", text)
        if len(n) == len(text):
            low = n.lower()
            if len(low) == len(text):
                return low, None
    out: list[str] = []
    idx: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            n = ch.lower()
        else:
            n = _SPECIAL.get(ch) or unicodedata.normalize("NFKC", ch).lower()
        out.append(n)
        if len(n) == 1:
            idx.append(i)
        else:
            idx.extend([i] * len(n))
    folded = "".join(out)
    return folded, (None if len(folded) == len(text) and all(a == b for a, b in enumerate(idx)) else idx)


def fold_term(text: str) -> str:
    """How rubric terms are folded: exactly like answers, whitespace folded."""
    return _WS.sub(" ", fold(text)[0]).strip()


# --------------------------------------------------------------------------------------------
# English tokens, stems, stopwords

#: Letters and digits are separate tokens ("12.9b" -> 12, 9, b; "fp16" -> fp, 16): answers glue
#: units to numbers in every possible way, and rubric terms are tokenised the same way.
TOKEN_RE = re.compile(r"[a-z\u03b1-\u03c9]+|[0-9]+")

STOPWORDS_EN = frozenset(
    """a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each either else
    etc few for from further had has have having he her here hers him his how i if in into is it its
    itself just let me more most much my no nor not of off on once only or other our ours out over own
    per same she should so some such than that the their theirs them then there these they this those
    through thus to too under until up upon very via was we were what when where which while who whom
    why will with would you your yours e g ie eg vs i.e e.g s t don doesn isn aren wasn weren didn
    won one two may might must shall yet instead rather""".split()
)

#: Words that make a string of terms into a sentence; a list of keywords has almost none of them.
FUNCTION_WORDS_EN = frozenset(
    """a an the is are was were be been being it its this that these those which who whom whose of
    to in on at by for with from into because so since thus therefore hence if when while where then
    than as but and or not no can could will would should must may might do does did has have had
    makes make causes cause lets let gives give means mean becomes become keeps keep helps help
    uses use needs need each every both there their they we you i""".split()
)

#: Words that flip or bound a claim. They are stopwords for topic matching but must be kept when
#: matching a claim ("the template does not matter" is not "the template does matter").
POLARITY_EN = frozenset(
    """not no never nor cannot only always all every none without more less fewer most least same
    entire""".split()
)
#: Contracted negations as tokenised ("doesn't" -> "doesn", "t"): they count as "not".
NEG_CONTRACTIONS = frozenset("doesn isn aren don didn wasn weren won can couldn shouldn wouldn hasn haven hadn mustn".split())
NEGATION_EN = frozenset({"not", "no", "never", "nor", "cannot", "neither", "without"}) | NEG_CONTRACTIONS
POLARITY_ZH = ("不", "没", "无", "非", "只", "仅", "都", "总", "一定", "所有", "全部", "每个", "最", "更", "越")

#: One Snowball stemmer per thread: a stemmer keeps the word being stemmed in its own fields, so
#: two threads sharing one corrupt each other's words ("IndexError: string index out of range").
_STEMMERS = threading.local()


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    stemmer = getattr(_STEMMERS, "en", None)
    if stemmer is None:
        stemmer = _STEMMERS.en = snowballstemmer.stemmer("english")
    return stemmer.stemWord(word)


def words_en(text: str) -> list[str]:
    """Folded English word tokens (digits and Greek letters included, '_' and '-' split)."""
    return TOKEN_RE.findall(fold(text)[0])


def tokenize_en(text: str, keep_stopwords: bool = False) -> list[str]:
    """Snowball stems of the words, stopwords dropped unless asked for."""
    return [stem(w) for w in words_en(text) if keep_stopwords or w not in STOPWORDS_EN]


# --------------------------------------------------------------------------------------------
# Chinese tokens

STOPWORDS_ZH = frozenset(
    """的 了 是 在 和 与 及 或 而 也 都 就 对 将 把 被 让 使 为 以 于 从 由 这 那 其 之 中 上 下 个 一个 一种 这个
    那个 这些 那些 它 它们 我们 你 我 他 她 会 能 可以 可能 需要 要 并 但 但是 如果 因为 所以 因此 由于 通过 进行
    时 时候 比 更 很 非常 较 约 等 等等 即 则 还 又 再 只 仅 已 已经 没有 不 非 着 过 得 地 所 么 吗 呢 吧 啊
    什么 怎么 如何 为什么 哪些 一些 一样 其中 以及 或者 并且 而且 然后 同时 就是 也就是 所以说 来 去 做 有""".split()
)

#: Function words and grammatical particles that turn a string of Chinese terms into a sentence.
FUNCTION_ZH = (
    "的", "了", "是", "会", "把", "被", "让", "使", "就", "而", "则", "也", "都", "因为", "所以", "由于", "如果",
    "可以", "通过", "导致", "为了", "需要", "没有", "这样", "这个", "并且", "但是", "然后", "能够", "从而", "对于",
    "因此", "其中", "就是", "不是", "不会", "不能",
)

_JIEBA = None
_JIEBA_FAILED = False


def _jieba():
    """jieba is imported lazily (a second to load its dictionary) and silenced: judges must not
    print to a terminal that is running an interview."""
    global _JIEBA, _JIEBA_FAILED
    if _JIEBA is None and not _JIEBA_FAILED:
        try:
            import jieba  # noqa: PLC0415

            jieba.setLogLevel(logging.WARNING)
            jieba.initialize()
            _JIEBA = jieba
        except Exception:  # noqa: BLE001 - bigrams are a working fallback
            _JIEBA_FAILED = True
    return _JIEBA


def warm_up() -> None:
    """Load jieba's dictionary now rather than during the first graded answer."""
    _jieba()


def char_bigrams(text: str) -> list[str]:
    """Bigrams over each run of CJK characters: the segmentation-free fallback."""
    out: list[str] = []
    for run in re.findall(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+", text):
        if len(run) == 1:
            out.append(run)
        out.extend(run[i : i + 2] for i in range(len(run) - 1))
    return out


@lru_cache(maxsize=50_000)
def _tokenize_zh_cached(text: str, keep_stopwords: bool) -> tuple[str, ...]:
    jb = _jieba()
    folded = fold_term(text)
    if jb is None:
        words = char_bigrams(folded) + TOKEN_RE.findall(folded)
    else:
        words = [w.strip() for w in jb.lcut(folded)]
    out = []
    for w in words:
        if not w or not (has_cjk(w) or TOKEN_RE.fullmatch(w)):
            continue
        if not keep_stopwords and (w in STOPWORDS_ZH or w in STOPWORDS_EN):
            continue
        out.append(w)
    return tuple(out)


def tokenize_zh(text: str, keep_stopwords: bool = False) -> list[str]:
    """jieba words (CJK words and embedded Latin words), with char bigrams if jieba is missing."""
    return list(_tokenize_zh_cached(text, keep_stopwords))


# --------------------------------------------------------------------------------------------
# Sentences and clauses (original offsets)

_ABBREV = frozenset({"e.g", "i.e", "etc", "vs", "cf", "fig", "eq", "approx", "resp", "al", "mr", "dr", "no"})
_SENT_END_RE = re.compile(r"[.!?](?=[\s\"')\]]|$)|[。！？]+|\.{3}|…+")
_BULLET_RE = re.compile(r"^\s*(?:[-*•·●▪+>]+|\d{1,2}[.)、](?!\d)|[a-zA-Z][.)]|[（(]\d{1,2}[)）]|#+)\s*")
_CLAUSE_RE = re.compile(r"[,，;；:：、]|\s[-–—]\s")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence: split at . ! ? 。！？, at newlines, after bullets; stripped."""
    return list(_sentence_spans(text))


@lru_cache(maxsize=512)
def _sentence_spans(text: str) -> tuple[tuple[int, int], ...]:
    # cached: the judge, the stuffing check and every evidence quote split the same answer
    spans: list[tuple[int, int]] = []
    pos = 0
    for line in text.splitlines(keepends=True):
        start = pos
        pos += len(line)
        body = line.rstrip("\r\n")
        m = _BULLET_RE.match(body)
        # A bullet marker is only a bullet if something follows it ("-1" is a number).
        off = m.end() if m and m.end() < len(body) and (m.group().strip() not in "+>" or m.group().endswith(" ")) else 0
        seg_start = start + off
        for em in _SENT_END_RE.finditer(body, off):
            if em.group() == ".":
                word = re.search(r"([A-Za-z.]+)$", body[:em.start()])
                if word and word.group(1).lower().strip(".") in _ABBREV:
                    continue
            _push(text, spans, seg_start, start + em.end())
            seg_start = start + em.end()
        _push(text, spans, seg_start, start + len(body))
    return tuple(spans)


def _push(text: str, spans: list[tuple[int, int]], s: int, e: int) -> None:
    while s < e and text[s].isspace():
        s += 1
    while e > s and text[e - 1].isspace():
        e -= 1
    if e > s and any(c.isalnum() for c in text[s:e]):
        spans.append((s, e))


def split_sentences(text: str) -> list[str]:
    return [text[s:e] for s, e in sentence_spans(text)]


def clause_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Clauses of ``text[start:end]`` (split at commas, semicolons, colons, 、 and dashes)."""
    end = len(text) if end is None else end
    spans: list[tuple[int, int]] = []
    s = start
    for m in _CLAUSE_RE.finditer(text, start, end):
        # "0,5" or "1,000" is a number, not a clause break
        if m.group() == "," and 0 < m.start() < len(text) - 1 and text[m.start() - 1].isdigit() and text[m.start() + 1].isdigit():
            continue
        _push(text, spans, s, m.end())
        s = m.end()
    _push(text, spans, s, end)
    return spans


def evidence_span(answer: str, start: int, end: int, max_chars: int = 220) -> str:
    """The sentence of ``answer`` holding [start, end), shrunk to its clause(s) or a word-aligned
    window when long. Always a verbatim substring of ``answer``."""
    if not answer:
        return ""
    start = max(0, min(start, len(answer) - 1))
    end = max(start + 1, min(end, len(answer)))
    s, e = start, end
    for ss, se in sentence_spans(answer):
        if ss <= start < se or (ss < end <= se):
            s, e = min(ss, start), max(se, end)
            break
    if e - s > max_chars:
        clauses = [c for c in clause_spans(answer, s, e) if c[1] > start and c[0] < end]
        if clauses:
            s, e = clauses[0][0], clauses[-1][1]
        if e - s > max_chars:
            mid = (start + end) // 2
            s = max(s, mid - max_chars // 2)
            e = min(e, s + max_chars)
            if s > 0 and not answer[s - 1].isspace():
                nxt = answer.find(" ", s, start) if start > s else -1
                s = nxt + 1 if nxt != -1 else s
            if e < len(answer) and not answer[e].isspace():
                prv = answer.rfind(" ", end, e)
                e = prv if prv != -1 else e
    span = answer[s:e].strip()
    return span or answer[start:end]


# --------------------------------------------------------------------------------------------
# Analysed answers


@dataclass
class Doc:
    """An answer analysed once: tokens with original offsets, sentences, a compact form for CJK."""

    text: str
    folded: str
    fmap: list[int] | None
    sentences: list[tuple[int, int]]
    sent_starts: list[int]
    tok_raw: list[str]
    tok_stem: list[str]
    tok_start: list[int]  # original offsets
    tok_end: list[int]
    by_raw: dict[str, list[int]]
    by_stem: dict[str, list[int]]
    vocab: list[str]  # sorted distinct raw tokens, for prefix search
    cjk: bool
    _compact: tuple[str, list[int]] | None = None
    _fuzzy_cache: dict[str, list[int]] = field(default_factory=dict)
    _long_vocab: list[str] | None = None

    def orig(self, i: int) -> int:
        """Original offset of folded index ``i``."""
        if self.fmap is None:
            return i
        return self.fmap[i] if i < len(self.fmap) else len(self.text)

    def orig_end(self, i: int) -> int:
        if self.fmap is None:
            return i
        return self.fmap[i - 1] + 1 if 0 < i <= len(self.fmap) else len(self.text)

    def sentence_of(self, pos: int) -> int:
        """Index of the sentence containing original offset ``pos`` (the previous one if between)."""
        return max(0, bisect_right(self.sent_starts, pos) - 1)

    @property
    def compact(self) -> tuple[str, list[int]]:
        """Folded text without whitespace, with a map to original offsets: Chinese terms are found
        here as plain substrings whatever spacing the candidate used around embedded English."""
        if self._compact is None:
            chars: list[str] = []
            idx: list[int] = []
            for i, ch in enumerate(self.folded):
                if not ch.isspace():
                    chars.append(ch)
                    idx.append(self.orig(i))
            self._compact = ("".join(chars), idx)
        return self._compact

    def token_positions(self, word: str, fuzzy: bool = False) -> list[int]:
        """Token indices matching one folded word: short words (<= 3 chars, or numbers) as whole
        tokens only; others by stem, or as a prefix ("saturat" finds "saturation"); with ``fuzzy``,
        long words also within a typo or two."""
        if len(word) <= 3 or word.isdigit():
            return self.by_raw.get(word, [])
        hits = set(self.by_stem.get(stem(word), ()))
        hits.update(self.by_raw.get(word, ()))
        if len(word) >= 5:
            i = bisect_left(self.vocab, word)
            while i < len(self.vocab) and self.vocab[i].startswith(word):
                hits.update(self.by_raw[self.vocab[i]])
                i += 1
        if fuzzy and len(word) >= 6:
            cached = self._fuzzy_cache.get(word)
            if cached is None:
                if self._long_vocab is None:
                    self._long_vocab = [w for w in self.vocab if len(w) >= 5]
                cached = []
                # one edit (two for long words), never on the first letter: typos rarely hit it,
                # while encoder/decoder, prefill/refill differ exactly there
                maxd = 1 if len(word) < 9 else 2
                for w, _d, _ in process.extract(word, self._long_vocab, scorer=Levenshtein.distance, score_cutoff=maxd, limit=None):
                    if w[0] == word[0]:
                        cached.extend(self.by_raw[w])
                self._fuzzy_cache[word] = cached
            hits.update(cached)
        return sorted(hits)

    def tokens_in(self, start: int, end: int) -> range:
        """Token indices whose start lies in [start, end) (original offsets)."""
        return range(bisect_left(self.tok_start, start), bisect_left(self.tok_start, end))


def analyze(text: str) -> Doc:
    folded, fmap = fold(text)
    tok_raw: list[str] = []
    tok_stem: list[str] = []
    tok_start: list[int] = []
    tok_end: list[int] = []
    by_raw: dict[str, list[int]] = {}
    by_stem: dict[str, list[int]] = {}
    for i, m in enumerate(TOKEN_RE.finditer(folded)):
        w = m.group()
        st = stem(w)
        tok_raw.append(w)
        tok_stem.append(st)
        if fmap is None:
            tok_start.append(m.start())
            tok_end.append(m.end())
        else:
            tok_start.append(fmap[m.start()])
            tok_end.append(fmap[m.end() - 1] + 1)
        by_raw.setdefault(w, []).append(i)
        by_stem.setdefault(st, []).append(i)
        if w in NEG_CONTRACTIONS and w != "can" or (w == "t" and i and tok_raw[i - 1] == "can"):
            by_raw.setdefault("not", []).append(i)
    sentences = sentence_spans(text) or ([(0, len(text))] if text.strip() else [])
    return Doc(
        text=text,
        folded=folded,
        fmap=fmap,
        sentences=sentences,
        sent_starts=[s for s, _ in sentences],
        tok_raw=tok_raw,
        tok_stem=tok_stem,
        tok_start=tok_start,
        tok_end=tok_end,
        by_raw=by_raw,
        by_stem=by_stem,
        vocab=sorted(by_raw),
        cjk=has_cjk(text),
    )


# --------------------------------------------------------------------------------------------
# Terms ("a|b|c": interchangeable spellings of one concept)


@dataclass(frozen=True)
class Spelling:
    text: str  # folded
    cjk: bool
    words: tuple[str, ...]  # folded word tokens (Latin spellings)
    joined: str | None  # "layer norm" -> "layernorm"
    compact: str  # folded, whitespace removed


@lru_cache(maxsize=100_000)
def compile_spelling(raw: str) -> Spelling | None:
    t = fold_term(raw)
    if not t:
        return None
    words = tuple(TOKEN_RE.findall(t))
    joined = "".join(words) if len(words) > 1 and len("".join(words)) >= 5 else None
    return Spelling(text=t, cjk=has_cjk(t), words=words, joined=joined, compact=t.replace(" ", ""))


@lru_cache(maxsize=50_000)
def compile_entry(entry: str) -> tuple[Spelling, ...]:
    """One Terms entry: its '|' alternatives, compiled."""
    return tuple(s for s in (compile_spelling(p) for p in entry.split("|")) if s is not None)


def match_spelling(doc: Doc, sp: Spelling, fuzzy: bool = False) -> list[tuple[int, int]]:
    """Original (start, end) of each occurrence of one spelling."""
    if sp.cjk or not sp.words:
        if sp.cjk and not doc.cjk:
            return []
        comp, idx = doc.compact
        out = []
        i = comp.find(sp.compact)
        while i != -1 and len(out) < 20:
            out.append((idx[i], idx[i + len(sp.compact) - 1] + 1))
            i = comp.find(sp.compact, i + 1)
        return out
    out = _match_words(doc, sp.words, fuzzy)
    if sp.text.endswith("%"):
        # "80%" is a share; the bare 80 of "80 layers" is not
        out = [(s, e) for s, e in out if re.match(r"\s?(?:%|％|percent|per cent)", doc.text[e : e + 9], re.I)]
    if sp.joined and len(out) < 20:
        out += [(doc.tok_start[p], doc.tok_end[p]) for p in doc.token_positions(sp.joined)]
    return out


def _match_words(doc: Doc, words: tuple[str, ...], fuzzy: bool) -> list[tuple[int, int]]:
    first = doc.token_positions(words[0], fuzzy)
    if len(words) == 1:
        return [(doc.tok_start[p], doc.tok_end[p]) for p in first]
    # "top-k" / "top k" also matches a concrete "top-2": the rubric names the variable
    rest = [
        set(doc.token_positions(w, fuzzy)) | (_numbers(doc) if w in ("k", "n") and words[i] == "top" else set())
        for i, w in enumerate(words[1:])
    ]
    out = []
    for p in first:
        if all(p + k + 1 in s for k, s in enumerate(rest)):
            out.append((doc.tok_start[p], doc.tok_end[p + len(words) - 1]))
    return out


def _numbers(doc: Doc) -> set[int]:
    return {i for i, w in enumerate(doc.tok_raw) if w.isdigit()}


def match_entry(doc: Doc, entry: str) -> list[tuple[int, int]]:
    """Occurrences of any spelling of one Terms entry ("sqrt(d_k)|square root")."""
    out: list[tuple[int, int]] = []
    for sp in compile_entry(entry):
        out += match_spelling(doc, sp)
    return out


def term_in(text: str, entry: str) -> bool:
    """Convenience: whether a Terms entry occurs in ``text``."""
    return bool(match_entry(analyze(text), entry))


# --------------------------------------------------------------------------------------------
# Fuzzy phrases (aliases, misconception signals)


@dataclass(frozen=True)
class Phrase:
    """A whole phrasing, compiled for fuzzy matching."""

    raw: str
    sp: Spelling
    content: tuple[str, ...]  # content words (Latin) or jieba words (CJK) that must all be there
    short: tuple[str, ...]  # Latin words <= 3 chars that a char-level fuzzy hit must contain exactly


@lru_cache(maxsize=50_000)
def compile_phrase(raw: str) -> Phrase | None:
    sp = compile_spelling(raw)
    if sp is None:
        return None
    if sp.cjk:
        content = tuple(dict.fromkeys(w for w in tokenize_zh(sp.text) if len(w) >= 2 or not has_cjk(w)))
        content = content + tuple(p for p in POLARITY_ZH if p in sp.text and not any(p in c for c in content))
        content = tuple(sorted(content, key=lambda w: sp.compact.find(w.replace(" ", ""))))
    else:
        words = ("not" if w in NEG_CONTRACTIONS else w for w in sp.words)
        content = tuple(dict.fromkeys(w for w in words if w not in STOPWORDS_EN or w in POLARITY_EN))
    short = tuple(w for w in sp.words if (len(w) <= 3 or w.isdigit()) and w not in STOPWORDS_EN)
    return Phrase(raw=raw, sp=sp, content=content, short=short)


@dataclass
class PhraseHit:
    score: float  # 0..1
    start: int
    end: int


def match_phrase(doc: Doc, ph: Phrase, strict: bool = False) -> PhraseHit | None:
    """Best fuzzy occurrence of a phrasing, tolerant of typos and small word-order changes.

    Three ways to match, best score wins: the exact token sequence (1.0); a character-level
    alignment (rapidfuzz partial_ratio) that survives typos, accepted only when the phrase's short
    tokens ("d_k", "kv", "1") are really there, since one wrong letter in those changes the meaning;
    and the content words close together in one sentence (0.9, or 0.8 for two words), in any
    order. ``strict`` (for misconception signals, which cost points) raises the character-level bar
    and requires the words in the signal's order: a claim's meaning depends on it.
    """
    sp = ph.sp
    exact = match_spelling(doc, sp)
    if exact:
        return PhraseHit(1.0, *exact[0])
    best: PhraseHit | None = None
    cutoff = 90 if strict else 86
    # character-level alignment
    if sp.cjk:
        if doc.cjk and len(sp.compact) >= 5:
            comp, idx = doc.compact
            al = fuzz.partial_ratio_alignment(sp.compact, comp, score_cutoff=cutoff)
            if al is not None and al.dest_end > al.dest_start:
                s, e = idx[al.dest_start], idx[al.dest_end - 1] + 1
                region = {doc.tok_raw[i] for i in doc.tokens_in(max(0, s - 4), e + 1)}
                if all(w in region for w in ph.short) and _content_in(doc, ph, s, e, strict):
                    best = PhraseHit(al.score / 100, s, e)
    elif len(sp.text) >= 10 and doc.tok_raw:
        al = fuzz.partial_ratio_alignment(sp.text, doc.folded, score_cutoff=cutoff)
        if al is not None and al.dest_end > al.dest_start:
            s, e = doc.orig(al.dest_start), doc.orig_end(al.dest_end)
            region = {doc.tok_raw[i] for i in doc.tokens_in(max(0, s - 4), e + 1)}
            if all(w in region for w in ph.short) and _content_in(doc, ph, s, e, strict):
                best = PhraseHit(al.score / 100, s, e)
    # the content words close together in one sentence: any order for aliases, in order for claims
    need = 2 if sp.cjk else (3 if strict else 2)
    if len(ph.content) >= need and (best is None or best.score < 0.9):
        occs = []
        for w in ph.content:
            wsp = compile_spelling(w)
            if sp.cjk or (wsp is not None and wsp.cjk):
                occ = match_spelling(doc, wsp) if wsp else []
            else:
                occ = [(doc.tok_start[p], doc.tok_end[p]) for p in doc.token_positions(w, fuzzy=not strict)]
            if not occ:
                occs = []
                break
            occs.append(occ)
        if occs:
            limit = int(1.6 * len(sp.text)) + 12
            win = _ordered_window(doc, occs, limit) if strict else _any_window(doc, occs, limit)
            if win is not None:
                # two words anywhere near each other are weaker evidence than three or more
                score = 0.9 if len(ph.content) >= 3 else 0.8
                if best is None or score > best.score:
                    best = PhraseHit(score, *win)
    return best


def _content_in(doc: Doc, ph: Phrase, s: int, e: int, strict: bool) -> bool:
    """Every Latin content word of the phrase is really in [s, e) (a typo of it at most): a
    character alignment scores "decoder" 96% like "encoder" but the meaning is reversed."""
    for w in ph.content:
        if has_cjk(w) or len(w) <= 3:
            continue
        pos = doc.token_positions(w, fuzzy=not strict)
        if not any(s - 2 <= doc.tok_start[p] < e + 2 for p in pos):
            return False
    return True


def _any_window(doc: Doc, occs: list[list[tuple[int, int]]], limit: int) -> tuple[int, int] | None:
    """Smallest span holding one occurrence of each word, inside one sentence and ``limit`` chars."""
    anchor_i = min(range(len(occs)), key=lambda i: len(occs[i]))
    best = None
    for a_s, a_e in occs[anchor_i][:20]:
        sent = doc.sentence_of(a_s)
        lo, hi = a_s, a_e
        ok = True
        for i, occ in enumerate(occs):
            if i == anchor_i:
                continue
            cands = [(s, e) for s, e in occ if doc.sentence_of(s) == sent]
            if not cands:
                ok = False
                break
            s, e = min(cands, key=lambda x: abs(x[0] - a_s))
            lo, hi = min(lo, s), max(hi, e)
        if ok and hi - lo <= limit and (best is None or hi - lo < best[1] - best[0]):
            best = (lo, hi)
    return best


def _ordered_window(doc: Doc, occs: list[list[tuple[int, int]]], limit: int) -> tuple[int, int] | None:
    """The words in the phrase's order, inside one sentence and ``limit`` chars: a claim's meaning
    depends on its order ("E4M3 has more precision than E5M2")."""
    for s0, e0 in occs[0][:20]:
        sent = doc.sentence_of(s0)
        pos = e0
        ok = True
        for occ in occs[1:]:
            nxt = [(s, e) for s, e in occ if s >= pos and doc.sentence_of(s) == sent]
            if not nxt:
                ok = False
                break
            pos = min(nxt)[1]
        if ok and pos - s0 <= limit:
            return (s0, pos)
    return None
