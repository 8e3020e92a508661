"""Formulas and code fragments compared after normalisation.

"softmax(QK^T / sqrt(d_k)) V", "softmax(Q Kᵀ/√dk)·V" and "softmax(q @ k.T / math.sqrt(d_k)) @ v"
state the same thing; a judge that compares them as words credits none of them fully. Both sides
are reduced to a canonical string: lower case, no spaces, one multiplication sign (and none
between a letter and a bracket), Greek letters spelled out, sub/superscripts as plain characters,
``d_k`` = ``dk``, common library prefixes (``torch.``, ``math.``, ``np.``, ``F.``) dropped.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz import fuzz

_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "eps", "ϵ": "eps", "η": "eta", "θ": "theta",
    "λ": "lambda", "μ": "mu", "π": "pi", "ρ": "rho", "σ": "sigma", "τ": "tau", "φ": "phi", "ψ": "psi",
    "ω": "omega", "Δ": "delta", "Σ": "sum", "Π": "prod",
}
_SUBS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ₖᵢⱼₜ", "0123456789kijt")
_SUPS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ", "0123456789-t")
_PREFIXES = re.compile(r"\b(?:torch\.nn\.functional|torch|math|np|numpy|jnp|f|nn|self)\.")
_WORDS = {"epsilon": "eps", "transpose": "t", "sqrt": "sqrt"}


@lru_cache(maxsize=4096)
def normalize_formula(text: str) -> str:
    # sub/superscripts first: NFKC would turn "x²" into "x2"
    t = text.translate(_SUBS)
    t = re.sub(r"([⁰¹²³⁴⁵⁶⁷⁸⁹⁻ᵀ]+)", lambda m: "^" + m.group(1).translate(_SUPS), t)
    t = unicodedata.normalize("NFKC", t)
    for k, v in _GREEK.items():
        t = t.replace(k, v)
    t = t.lower()
    t = t.replace("√", "sqrt").replace("−", "-").replace("**", "^").replace("\\", "")
    t = re.sub(r"\.t\b|\.transpose\(-2,\s*-1\)|\.transpose\(-1,\s*-2\)", "^t", t)
    t = _PREFIXES.sub("", t)
    for k, v in _WORDS.items():
        t = re.sub(rf"\b{k}\b", v, t)
    t = t.replace("{", "(").replace("}", ")").replace("[", "(").replace("]", ")")
    t = re.sub(r"[·×*@⋅]", "*", t)
    t = t.replace("_", "")
    t = re.sub(r"\s+", "", t)
    # implicit multiplication: drop "*" except between two numbers
    t = re.sub(r"(?<![0-9])\*|\*(?![0-9.])", "", t)
    t = re.sub(r"sqrt\(([a-z0-9]+)\)", r"sqrt\1", t)
    return t


def formula_in(answer: str, formula: str, threshold: float = 92) -> tuple[int, int] | None:
    """Where ``formula`` occurs in ``answer`` after normalisation: a (start, end) of the answer's
    line that holds it, or None. Short formulas must occur exactly; longer ones may differ by a
    character or two (rapidfuzz partial ratio >= ``threshold``)."""
    f = normalize_formula(formula)
    if len(f) < 3:
        return None
    pos = 0
    for line in answer.splitlines(keepends=True):
        n = normalize_formula(line)
        # fuzzy only against a line at least about as long: a line holding ")" is a substring of
        # every formula
        if f in n or (len(f) >= 10 and len(n) >= 0.8 * len(f) and fuzz.partial_ratio(f, n) >= threshold):
            stripped = line.strip()
            start = pos + line.find(stripped) if stripped else pos
            return start, start + len(stripped)
        pos += len(line)
    return None
