"""Placeholders in a parameterised question's texts: ``{{name}}`` and ``{{name:format}}``.

Bank files are untrusted input, so this is deliberately tiny: a placeholder holds one name and an
optional format, nothing else (no expressions, no filters, no nesting; an expression belongs in
the question's ``derive``, evaluated by ``question_bank.arith``). Substitution is one pass, so a
value containing braces is inserted as text and never read as a placeholder.

Formats, for numbers (``[,][.N][scale]``):

- ``,`` thousands separators: ``{{kv:,}}`` -> 131,072
- ``.N`` exactly N decimals (``.Nf`` is accepted too): ``{{mfu:.1%}}`` -> 38.9%
- a scale, with at most 2 decimals unless ``.N`` says otherwise:
  bytes ``KiB MiB GiB TiB KB MB GB TB`` (``{{cache:GiB}}`` -> 16 GiB), counts ``K M B T``
  (``{{params:.2B}}`` -> 8.03B), words ``thousand million billion trillion`` (-> 8.03 billion),
  Chinese ``万 亿`` (-> 80.3 亿), ``%`` (a fraction as a percentage) and ``e`` (1.26e19).

Without a format a whole number is written as digits (32) and any other number with up to 4
decimals (0.9167).
"""

from __future__ import annotations

import math
import re

#: ``{{`` ... ``}}`` with no brace inside, and short: a name and a format, never a paragraph.
PLACEHOLDER = re.compile(r"\{\{([^{}]{0,80})\}\}")
#: What makes a ``{{`` a placeholder: a name right after it.
_STARTS = re.compile(r"^\s*[A-Za-z_]")
_OPENING = re.compile(r"\{\{(?=\s*[A-Za-z_])")
_INNER = re.compile(r"^\s*(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*(?::\s*(?P<spec>[^{}]*?)\s*)?$")
_SPEC = re.compile(
    r"^(?P<comma>,)?(?:\.(?P<dec>\d)f?)?"
    r"(?P<scale>KiB|MiB|GiB|TiB|KB|MB|GB|TB|K|M|B|T|thousand|million|billion|trillion|万|亿|%|e)?$"
)
_SCALES: dict[str, tuple[float, str]] = {
    "KiB": (2.0**10, " KiB"), "MiB": (2.0**20, " MiB"), "GiB": (2.0**30, " GiB"), "TiB": (2.0**40, " TiB"),
    "KB": (1e3, " KB"), "MB": (1e6, " MB"), "GB": (1e9, " GB"), "TB": (1e12, " TB"),
    "K": (1e3, "K"), "M": (1e6, "M"), "B": (1e9, "B"), "T": (1e12, "T"),
    "thousand": (1e3, " thousand"), "million": (1e6, " million"), "billion": (1e9, " billion"),
    "trillion": (1e12, " trillion"), "万": (1e4, " 万"), "亿": (1e8, " 亿"), "%": (0.01, "%"),
}
FORMATS_HELP = ("a format is [,][.N][scale] with scale one of KiB MiB GiB TiB KB MB GB TB K M B T "
                "thousand million billion trillion 万 亿 % e")
#: A formatted number longer than this is a mistake (or an attack), not a figure for a question.
MAX_FORMATTED = 48


class TemplateError(ValueError):
    """A placeholder that cannot be filled: an unknown name, a bad format, a stray brace."""


def placeholders(text: str) -> list[tuple[str, str | None]]:
    """(name, format) of every placeholder in ``text``; raises TemplateError for a malformed one.
    A ``{{`` followed by a name starts a placeholder; other braces (JSON, code) are text."""
    out = []
    closed: set[int] = set()
    for m in PLACEHOLDER.finditer(text):
        if not _STARTS.match(m.group(1)):
            continue  # '{{"device": ...}}' in a code sample
        inner = _INNER.match(m.group(1))
        if inner is None:
            raise TemplateError(f"{m.group(0)!r} is not a placeholder: write {{{{name}}}} or {{{{name:format}}}} "
                                "(an expression belongs in params.derive)")
        out.append((inner.group("name"), inner.group("spec")))
        closed.add(m.start())
    for m in _OPENING.finditer(text):
        if m.start() not in closed:
            raise TemplateError(f"{text[m.start():m.start() + 30]!r}: a placeholder opened with '{{{{' is not closed "
                                "with '}}' (write {{name}} or {{name:format}})")
    return out


def has_placeholder(text: str) -> bool:
    """Whether ``text`` opens a placeholder (a ``{{`` followed by a name)."""
    return bool(_OPENING.search(text))


def render(text: str, names: dict[str, float | str]) -> str:
    """``text`` with every placeholder filled from ``names``; raises TemplateError."""
    placeholders(text)  # the whole text is checked before anything is replaced

    def fill(m: re.Match[str]) -> str:
        inner = _INNER.match(m.group(1))
        if inner is None:  # not a placeholder (checked above): braces of a code sample
            return m.group(0)
        name, spec = inner.group("name"), inner.group("spec")
        if name not in names:
            known = ", ".join(sorted(names)) or "none"
            raise TemplateError(f"unknown name {name!r} in {m.group(0)}; the row has {known}")
        value = names[name]
        if isinstance(value, str):
            if spec:
                raise TemplateError(f"{m.group(0)}: {name!r} is a text ({value!r}), which takes no format")
            return value
        return format_number(float(value), spec or "")

    return PLACEHOLDER.sub(fill, text)


def check_format(spec: str) -> None:
    """Raises TemplateError when ``spec`` is not a format."""
    if spec and not _SPEC.match(spec):
        raise TemplateError(f"unknown format {spec!r}; {FORMATS_HELP}")


def format_number(value: float, spec: str = "") -> str:
    """``value`` written as ``spec`` says (see the module's docstring)."""
    m = _SPEC.match(spec)
    if m is None:
        raise TemplateError(f"unknown format {spec!r}; {FORMATS_HELP}")
    value = float(value)
    if not math.isfinite(value):
        raise TemplateError("the value is not a finite number")
    comma, dec, scale = m.group("comma"), m.group("dec"), m.group("scale")
    decimals = int(dec) if dec is not None else None
    if scale == "e":
        text = _scientific(value, 2 if decimals is None else decimals, trim=decimals is None)
    else:
        suffix = ""
        if scale:
            div, suffix = _SCALES[scale]
            value = value / div
        if decimals is not None:
            text = f"{value:{',' if comma else ''}.{decimals}f}"
        elif scale:
            text = _trimmed(value, 2, comma)
        elif value.is_integer() and abs(value) < 1e18:
            text = f"{int(value):{',' if comma else ''}d}"
        else:
            text = _trimmed(value, 4 if abs(value) >= 1e-3 else 8, comma)
        text += suffix
    if len(text) > MAX_FORMATTED:
        raise TemplateError(f"the value {value:.6g} is too large to write as a figure ({len(text)} characters)")
    return text


def _trimmed(value: float, decimals: int, comma: str | None) -> str:
    text = f"{value:{',' if comma else ''}.{decimals}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _scientific(value: float, decimals: int, trim: bool) -> str:
    """1.26e19, the way people write it (no '+', no leading zeros in the exponent)."""
    mantissa, exponent = f"{value:.{decimals}e}".split("e")
    if trim and "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"
