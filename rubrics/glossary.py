"""The bilingual technical glossary (``rubrics/data/glossary.yaml``) and lookups into it.

Why it exists: the offline judge matches strings, and a correct answer often uses *other* strings
than the rubric: the other language ("冻结" for "frozen"), an irregular form stemming cannot relate
("frozen"/"freeze", "chose"/"choose"), or a near-synonym ("recompute"/"重新计算"). Human graders
give those answers full marks, so without a glossary the judge is systematically harsh on exactly
the candidates who explain in their own words.

A glossary entry is a *concept*; every spelling of it, in either language, is interchangeable.
The judge uses it in two places: a rubric keyword entry is widened with the spellings of every
concept it names (``expand_entry``), and rubrics derived from plain text pick their terms as
concepts (``find_concepts``), so that "reward model" stays one term instead of two generic words.
Lookups are exact on folded words first, then on Snowball stems, then (single words of five
letters or more, as the bank's "saturat" or "freez") on stem prefixes; an ambiguous stem never
widens an entry more than its exact spelling would.

``common`` concepts (model, training, layer...) translate like any other, but rubrics derived by
the judge weigh them low and never give credit for them alone: a generic word is not evidence
that a point was made.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from rubrics.text import STOPWORDS_EN, TOKEN_RE, fold_term, has_cjk, stem

_PREFIX_MIN = 5


@dataclass(frozen=True)
class Concept:
    id: int
    en: tuple[str, ...]
    zh: tuple[str, ...]
    common: bool

    @property
    def spellings(self) -> tuple[str, ...]:
        return self.en + self.zh


def _latin_key(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    words = tuple(TOKEN_RE.findall(fold_term(text)))
    return words, tuple(stem(w) for w in words)


class Glossary:
    def __init__(self, entries: list[dict]) -> None:
        self.concepts: list[Concept] = []
        self._exact: dict[tuple[str, ...], set[int]] = {}
        self._stem: dict[tuple[str, ...], set[int]] = {}
        self._zh: dict[str, set[int]] = {}
        self._zh_by_first: dict[str, list[str]] = {}
        self._single_stems: dict[str, set[int]] = {}
        self.max_words = 1
        for i, e in enumerate(entries):
            en = tuple(dict.fromkeys(str(s).strip() for s in e.get("en") or [] if str(s).strip()))
            zh = tuple(dict.fromkeys(str(s).strip() for s in e.get("zh") or [] if str(s).strip()))
            c = Concept(id=i, en=en, zh=zh, common=bool(e.get("common", False)))
            self.concepts.append(c)
            for s in c.spellings:
                if has_cjk(s):
                    key = fold_term(s).replace(" ", "")
                    self._zh.setdefault(key, set()).add(i)
                    continue
                words, stems = _latin_key(s)
                if not words:
                    continue
                self.max_words = max(self.max_words, len(words))
                self._exact.setdefault(words, set()).add(i)
                self._stem.setdefault(stems, set()).add(i)
                if len(stems) == 1 and len(stems[0]) >= _PREFIX_MIN:
                    self._single_stems.setdefault(stems[0], set()).add(i)
        for key in self._zh:
            self._zh_by_first.setdefault(key[0], []).append(key)
        for lst in self._zh_by_first.values():
            lst.sort(key=len, reverse=True)

    def __len__(self) -> int:
        return len(self.concepts)

    # -- lookups ---------------------------------------------------------------------------

    def lookup(self, spelling: str) -> frozenset[int]:
        """Concepts a single spelling names (empty if none)."""
        return _lookup(self, spelling)

    def expand_entry(self, entry: str) -> str:
        """A keyword entry ("a|b") widened with every spelling of the concepts it names."""
        return _expand(self, entry)

    def concept_of_words(self, words: tuple[str, ...]) -> frozenset[int]:
        if not words:
            return frozenset()
        hit = self._exact.get(words)
        if hit:
            return frozenset(hit)
        stems = tuple(stem(w) for w in words)
        hit = self._stem.get(stems)
        if hit:
            return frozenset(hit)
        if len(words) == 1 and len(stems[0]) >= _PREFIX_MIN:
            st = stems[0]
            out: set[int] = set()
            for g, ids in self._single_stems.items():
                if st.startswith(g) or g.startswith(st):
                    out |= ids
            return frozenset(out)
        return frozenset()

    def find_concepts(self, text: str) -> list[tuple[int, int, frozenset[int], str]]:
        """Glossary terms in ``text``, longest first and non-overlapping: (start, end, concepts,
        surface) with offsets into ``fold_term(text)``. Latin n-grams and Chinese substrings."""
        t = fold_term(text)
        out: list[tuple[int, int, frozenset[int], str]] = []
        toks = [(m.start(), m.end(), m.group()) for m in TOKEN_RE.finditer(t)]
        i = 0
        while i < len(toks):
            found = None
            for n in range(min(self.max_words, len(toks) - i), 0, -1):
                words = tuple(w for _, _, w in toks[i : i + n])
                if n == 1 and (words[0] in STOPWORDS_EN or len(words[0]) < 2 and not words[0].isdigit()):
                    break
                # n-grams must be contiguous words of one term (no sentence break between them)
                if n > 1 and any(not set(t[toks[k][1] : toks[k + 1][0]]) <= set(" -_/") for k in range(i, i + n - 1)):
                    continue
                ids = self.concept_of_words(words)
                if ids:
                    found = (toks[i][0], toks[i + n - 1][1], ids, t[toks[i][0] : toks[i + n - 1][1]])
                    i += n
                    break
            if found:
                out.append(found)
            else:
                i += 1
        pos = 0
        while pos < len(t):
            ch = t[pos]
            cands = self._zh_by_first.get(ch) if has_cjk(ch) else None
            hit = None
            if cands:
                for key in cands:
                    if t.startswith(key, pos):
                        hit = key
                        break
            if hit:
                out.append((pos, pos + len(hit), frozenset(self._zh[hit]), hit))
                pos += len(hit)
            else:
                pos += 1
        out.sort()
        return out

    def is_common(self, ids: frozenset[int]) -> bool:
        return bool(ids) and all(self.concepts[i].common for i in ids)


@lru_cache(maxsize=50_000)
def _lookup(g: Glossary, spelling: str) -> frozenset[int]:
    s = spelling.strip()
    if not s:
        return frozenset()
    if has_cjk(s):
        return frozenset(g._zh.get(fold_term(s).replace(" ", ""), ()))
    words, _ = _latin_key(s)
    return g.concept_of_words(words)


@lru_cache(maxsize=50_000)
def _expand(g: Glossary, entry: str) -> str:
    parts = [p.strip() for p in entry.split("|") if p.strip()]
    extra: list[str] = []
    for p in parts:
        for cid in sorted(_lookup(g, p)):
            extra.extend(g.concepts[cid].spellings)
    seen = {fold_term(p) for p in parts}
    out = list(parts)
    for s in extra:
        f = fold_term(s)
        if f not in seen:
            seen.add(f)
            out.append(s)
    return "|".join(out)


@lru_cache(maxsize=1)
def load_glossary() -> Glossary:
    """The bundled glossary (parsed once per process)."""
    raw = resources.files("rubrics").joinpath("data/glossary.yaml").read_text(encoding="utf-8")
    return Glossary(yaml.safe_load(raw) or [])


def expand_entry(entry: str) -> str:
    return load_glossary().expand_entry(entry)
