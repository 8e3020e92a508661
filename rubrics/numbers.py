"""Quantities in free text, in any common format, converted to base units; checked against a
rubric's ``NumericFact`` by value, unit and tolerance.

Candidates write "16 GiB", "17.2 GB", "131,072 bytes", "1.3e19 FLOPs", "1.3×10^19", "54.4
thousand", "786M", "5.44万", "3.36×", "2.8 times", "three and a half hours", "7%-64%", "7 to 64
percent", "11/12". A judge that only finds numbers written like its rubric marks a correct
calculation wrong. Every quantity keeps its original character span, so evidence can be quoted.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache

# -- number words -------------------------------------------------------------------------------

_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15,
    "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30,
    "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90,
}
_SCALE_WORDS = {
    "hundred": 1e2, "thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12,
    "k": 1e3, "m": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12, "mn": 1e6,
    "万": 1e4, "亿": 1e8, "千": 1e3, "百万": 1e6, "千万": 1e7, "万亿": 1e12, "十亿": 1e9, "百亿": 1e10, "千亿": 1e11,
}
_WORD_NUM = (
    r"(?:(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:[- ](?:one|two|three|four|five|six|seven|eight|nine))?"
    r"|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen|eighteen|nineteen"
    r"|zero|one|two|three|four|five|six|seven|eight|nine|ten)"
)
_ZH_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_NUM = r"[零〇一二两三四五六七八九十百千]+"


def _word_value(text: str) -> float | None:
    parts = re.split(r"[- ]", text.lower())
    total = 0
    for p in parts:
        if p not in _SMALL:
            return None
        total += _SMALL[p]
    return float(total)


def _zh_value(text: str) -> float | None:
    """Chinese numerals below 10,000 ("十八", "两千三百", "一百二十八")."""
    total, cur = 0, 0
    for ch in text:
        if ch in _ZH_DIGITS:
            cur = _ZH_DIGITS[ch]
        elif ch in "十百千":
            mult = {"十": 10, "百": 100, "千": 1000}[ch]
            total += (cur or 1) * mult
            cur = 0
        else:
            return None
    return float(total + cur)


#: Exponents beyond this are not quantities (and overflow a float).
MAX_EXPONENT = 300

_SUP = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")

# -- units -------------------------------------------------------------------------------------

# (regex, unit, multiplier, binary alternative multiplier)
_BYTE_UNITS = [
    (r"pib", 2**50, None), (r"tib", 2**40, None), (r"gib", 2**30, None), (r"mib", 2**20, None), (r"kib", 2**10, None),
    (r"pb", 1e15, 2**50), (r"tb", 1e12, 2**40), (r"gb", 1e9, 2**30), (r"mb", 1e6, 2**20), (r"kb", 1e3, 2**10),
    (r"bytes?|字节", 1, None), (r"b", 1, None),
]
#: A hyphen joins only a bit width ("16-bit", "4-bit"): a data type, never a count of tokens or bytes.
#: "×", "x" or "times" before another number is a product ("2 × 4096"), not a ratio ("2× faster").
_UNIT_RE = re.compile(
    r"""(?:\s|-(?=bits?(?![a-z])))?(?P<u>
      (?P<flops>[kmgtpe]?flop/s|[kmgtpe]?flops?/s|[kmgtpe]?flops?(?![a-z])|次浮点运算)
    | (?P<bps>[kmgtp]i?b/s)
    | (?P<bytes>[kmgtp]ib|[kmgtp]b(?![a-z])|bytes?(?![a-z])|字节|b(?=\s|$|[/.,;:)]))
    | (?P<bits>bits?(?![a-z])|比特)
    | (?P<time>(?:ns|µs|us|ms|seconds?|secs?|s|minutes?|mins?|hours?|hrs?|h|days?|weeks?)(?![a-z])|毫秒|微秒|纳秒|秒|分钟|小时|个小时|天|周)
    | (?P<pp>percentage\s?points?(?![a-z])|pp(?![a-z])|个百分点)
    | (?P<pct>%|％|percent|per\s?cent)
    | (?P<ratio>(?:[x×](?![a-z0-9])|times(?![a-z]))(?!\s*\.?\d)|倍|fold)
    | (?P<tokens>tokens?(?![a-z])|个?token)
    | (?P<params>param(?:eter)?s?(?![a-z])|个?参数)
    | (?P<steps>steps?(?![a-z])|步)
    )""",
    re.I | re.X,
)
_TIME = {"ns": 1e-9, "µs": 1e-6, "us": 1e-6, "ms": 1e-3, "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
         "min": 60, "mins": 60, "minute": 60, "minutes": 60, "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600,
         "hours": 3600, "day": 86400, "days": 86400, "week": 604800, "weeks": 604800, "毫秒": 1e-3, "微秒": 1e-6,
         "纳秒": 1e-9, "秒": 1, "分钟": 60, "小时": 3600, "个小时": 3600, "天": 86400, "周": 604800}
_SI = {"": 1, "k": 1e3, "m": 1e6, "g": 1e9, "t": 1e12, "p": 1e15, "e": 1e18}

# -- the number itself ---------------------------------------------------------------------------

#: A scale "B" is billions ("7B", "70B", "1.5B": model sizes) except after a thousands separator or
#: before a slash ("70,272 B/token", "327,680 B", "2 B/param"), where it is bytes: nobody writes
#: billions with commas, and a per-unit rate is a size.
_NUM = re.compile(
    r"""(?<![\w.])(?P<num>
        (?P<pow>(?:2|10)\s?(?:\^|\*\*)\s?\(?(?P<pexp>[+-]?\d+)\)?)
      | (?P<sign>[-−+])?(?P<mant>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
        (?:\s?(?:e|E)(?P<exp>[+-]?\d+)
          |\s?[x×*·]\s?10\s?(?:\^|\*\*)\s?\(?(?P<exp2>[+-−]?\d+)\)?
          |\s?[x×*·]\s?10(?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹⁻]+))?
        (?:/(?P<den>\d+(?:\.\d+)?)(?![\d.]))?
        (?:\s?(?P<scale>thousand|million|billion|trillion|hundred|bn|mn|(?:[kKMT]|(?<!,\d{3})(?<!,\d{3}\s)B(?!\s?/))(?![a-zA-Z])|万亿|千亿|百亿|十亿|千万|百万|万|亿|千))?
      | (?P<words>(?:(?:a|one|two|three|four|five|six|seven|eight|nine|ten)\s+hundred(?:\s+and)?\s+)?"""
    + _WORD_NUM
    + r"""(?:\s+and\s+a\s+(?P<wfrac>half|quarter))?(?:\s+(?P<wscale>hundred|thousand|million|billion|trillion))?)(?![a-z])
      | (?P<half>(?:a\s+)?half(?:\s+a)?)(?![a-z])
      | (?P<zh>"""
    + _ZH_NUM
    + r"""(?:个半|点[零〇一二两三四五六七八九]+)?(?:万亿|亿|万)?)
    )""",
    re.X | re.I,
)
#: "LLaMA-2-70B", "GPT-4", "fp16": names, not quantities.
_NAME_BEFORE = re.compile(r"[A-Za-z0-9][-_]$|[A-Za-z]$")


#: Between two numbers that share the unit written after the second (unless the first is a factor
#: of a product: "2 × 4096 and 8 GiB").
_JOINER = re.compile(r"\s?(?:-|–|—|~|to|vs\.?|versus|or|and|至|到|或|和)\s?(?=[\d.])", re.I)


@dataclass(frozen=True)
class Quantity:
    value: float  # in the base unit
    unit: str  # "", "%", "pp" (percentage points), "x", "B", "bit", "s", "FLOP", "FLOP/s", "B/s", "tokens", "params", "steps"
    start: int
    end: int
    alt: float | None = None  # the binary reading of a decimal byte prefix ("16 GB" may mean GiB)
    exact: bool = False  # written with digits (not words)

    def values(self) -> tuple[float, ...]:
        return (self.value,) if self.alt is None else (self.value, self.alt)


def _unit_of(m: re.Match[str]) -> tuple[str, float, float | None]:
    """(unit, multiplier, binary alternative multiplier) of a unit match."""
    raw = m.group("u").replace(" ", "")
    u = raw.lower()
    if m.group("flops"):
        # "TFLOPS" is a rate, "FLOPs" a count; "/s" always a rate
        rate = u.endswith("/s") or raw.endswith("FLOPS")
        prefix = u[0] if u[0] in "kmgtpe" and not u.startswith("flop") else ""
        return ("FLOP/s" if rate else "FLOP"), _SI.get(prefix, 1), None
    if m.group("bps"):
        prefix = u[0]
        binary = "i" in u
        return "B/s", (2 ** (10 * "kmgtp".index(prefix) + 10) if binary else _SI[prefix]), None
    if m.group("bytes"):
        for pat, mult, alt in _BYTE_UNITS:
            if re.fullmatch(pat, u):
                return "B", float(mult), (float(alt) if alt else None)
        return "B", 1.0, None
    if m.group("bits"):
        return "bit", 1.0, None
    if m.group("time"):
        return "s", _TIME.get(u, _TIME.get(u.rstrip("s"), 1)), None
    if m.group("pp"):
        return "pp", 1.0, None
    if m.group("pct"):
        return "%", 1.0, None
    if m.group("ratio"):
        return "x", 1.0, None
    if m.group("tokens"):
        return "tokens", 1.0, None
    if m.group("params"):
        return "params", 1.0, None
    if m.group("steps"):
        return "steps", 1.0, None
    return "", 1.0, None


def _value(m: re.Match[str]) -> tuple[float, bool] | None:
    """(value, written with digits)."""
    if m.group("mant"):
        v = float(m.group("mant").replace(",", ""))
        if m.group("sign") in ("-", "−"):
            v = -v
        exp = m.group("exp") or (m.group("exp2") or "").replace("−", "-") or (m.group("sup") or "").translate(_SUP)
        if exp:
            if abs(int(exp)) > MAX_EXPONENT:
                return None  # "10^5176" is not a quantity anyone computes with
            v *= 10.0 ** int(exp)
        if m.group("den"):
            den = float(m.group("den"))
            if den == 0:
                return None
            v /= den
        sc = m.group("scale")
        if sc:
            v *= _SCALE_WORDS.get(sc.lower(), _SCALE_WORDS.get(sc, 1))
        return v, True
    if m.group("pow"):
        base = 2 if m.group("pow").lstrip().startswith("2") else 10
        exp = int(m.group("pexp"))
        return (float(base) ** exp, True) if abs(exp) <= MAX_EXPONENT else None
    if m.group("words"):
        txt = m.group("words").lower()
        hundreds = 0.0
        hm = re.match(r"(a|one|two|three|four|five|six|seven|eight|nine|ten)\s+hundred(?:\s+and)?\s+", txt)
        if hm:
            hundreds = (1 if hm.group(1) == "a" else _SMALL[hm.group(1)]) * 100.0
            txt = txt[hm.end() :]
        core = re.match(_WORD_NUM, txt)
        if not core:
            return None
        v = _word_value(core.group())
        if v is None:
            return None
        v += hundreds
        if m.group("wfrac"):
            v += 0.5 if m.group("wfrac").lower() == "half" else 0.25
        if m.group("wscale"):
            v *= _SCALE_WORDS[m.group("wscale").lower()]
        return v, False
    if m.group("half"):
        return 0.5, False
    if m.group("zh"):
        txt = m.group("zh")
        scale = 1.0
        for suf, mult in (("万亿", 1e12), ("亿", 1e8), ("万", 1e4)):
            if txt.endswith(suf):
                txt, scale = txt[: -len(suf)], mult
                break
        frac = 0.0
        if txt.endswith("个半"):
            txt, frac = txt[:-2], 0.5
        if "点" in txt:
            ip, dp = txt.split("点", 1)
            iv = _zh_value(ip) if ip else 0.0
            if iv is None or any(c not in _ZH_DIGITS for c in dp):
                return None
            v = iv + float("0." + "".join(str(_ZH_DIGITS[c]) for c in dp))
        else:
            v = _zh_value(txt) if txt else None
            if v is None:
                return None
        return (v + frac) * scale, False
    return None


@lru_cache(maxsize=1024)
def parse_quantities(text: str) -> tuple[Quantity, ...]:
    """Every quantity in ``text`` with its unit (if any), in order. A range or pair ("7-64%", "7 to
    64 percent", "8.6 vs 40 GiB", "8 or 16 GB") gives both numbers the unit written after the second:
    people name the unit once."""
    out: list[Quantity] = []
    pending: list[tuple[float, int, int, bool]] = []  # numbers waiting for the unit after a range
    for m in _NUM.finditer(text):
        s, e = m.span()
        if (not pending and _NAME_BEFORE.search(text[max(0, s - 2) : s])) or (m.group("mant") and re.match(r"[A-Za-z]{2}", text[e : e + 2])):
            continue  # part of a name ("GPT-4", "fp16", "3rd" is fine either way)
        got = _value(m)
        if got is None:
            continue
        v, exact = got
        if v < 0 and out and out[-1].end >= s - 1 and m.group("sign") == "-":
            v = -v  # "7%-64%": a range, not a negative number
        um = _UNIT_RE.match(text, e)
        unit, mult, alt = ("", 1.0, None)
        if um:
            unit, mult, alt = _unit_of(um)
            e = um.end()
        elif m.group("half") or (m.group("words") and m.group("words").lower() in ("one", "a")):
            continue  # "one" or "half" alone is a word, not a quantity
        # a range or a pair: "7-64%", "7 to 64 percent", "8.6 vs 40 GiB" share the unit written last
        if not um and _JOINER.match(text, e) and not re.search(r"[x×*·]\s?$", text[max(0, s - 2) : s]):
            pending.append((v, s, e, exact))
            continue
        for pv, ps, pe, pex in pending:
            out.append(Quantity(pv * mult, unit, ps, pe, None if alt is None else pv * alt, pex))
        pending = []
        out.append(Quantity(v * mult, unit, s, e, None if alt is None else v * alt, exact))
    for pv, ps, pe, pex in pending:
        out.append(Quantity(pv, "", ps, pe, None, pex))
    return tuple(sorted(out, key=lambda q: q.start))


# -- comparison with a rubric fact ---------------------------------------------------------------

#: Units a fact accepts from the answer ("" means written without a unit).
_ACCEPTS = {
    "": ("", "tokens", "params", "steps", "%", "pp"),
    "tokens": ("", "tokens"),
    "params": ("", "params"),
    "steps": ("", "steps"),
    "%": ("%", "pp"),  # a difference of percentages is written in points: "9 percentage points"
    "x": ("x",),  # a ratio is written as one ("3x", "3 times", "3倍"): a bare "32" is 32 of something
    "B": ("B",),
    "bit": ("bit",),
    "s": ("s",),
    "FLOP": ("FLOP", "FLOP/s", ""),  # people write "FLOPS" for a count too
    "FLOP/s": ("FLOP/s", "FLOP", ""),
    "B/s": ("B/s",),
}


def close(a: float, b: float, tol: float) -> bool:
    if b == 0:
        return abs(a) <= max(tol, 1e-12)
    return abs(a - b) <= tol * abs(b) + 1e-12


def matches(q: Quantity, value: float, unit: str, tolerance: float) -> bool:
    """Whether ``q`` states ``value`` (in ``unit``) within ``tolerance``."""
    if q.unit not in _ACCEPTS.get(unit, (unit,)):
        return False
    if q.unit == "" and unit in ("FLOP", "FLOP/s") and value >= 1e6 and not q.exact:
        return False
    tol = max(tolerance, 0.005)
    if unit == "" and q.unit == "%":
        # "p%" states the fraction p/100 ("56.25%" for 0.5625): "0.01%" is not 0.01, and a
        # fact meant as a percentage says so with unit "%" (or is in points: "9 percentage points")
        return close(q.value / 100, value, tol)
    return any(close(v, value, tol) for v in q.values())


def same_kind(q: Quantity, unit: str) -> bool:
    """Whether ``q`` is a value of the kind ``unit`` measures (for spotting a wrong value)."""
    if unit in ("", "tokens", "params", "steps"):
        return q.unit == unit and unit != ""
    return q.unit == unit or (unit == "%" and q.unit == "pp")


def describe(value: float, unit: str) -> str:
    """A readable form of a base-unit value, for feedback ("128 KiB", "1.3e19 FLOP")."""
    if unit == "B":
        for name, mult in (("TiB", 2**40), ("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
            if value >= mult:
                return f"{value / mult:.4g} {name}"
        return f"{value:.4g} B"
    if unit == "%":
        return f"{value:.4g}%"
    if unit == "x":
        return f"{value:.4g}×"
    if unit == "s":
        if value >= 3600:
            return f"{value / 3600:.3g} h"
        return f"{value:.4g} s"
    if value and (abs(value) >= 1e6 or abs(value) < 1e-3):
        exp = int(math.floor(math.log10(abs(value))))
        return f"{value / 10**exp:.3g}e{exp}" + (f" {unit}" if unit else "")
    return f"{value:.6g}" + (f" {unit}" if unit else "")
