"""Inline SVG charts for the HTML report.

Hand-written SVG rather than a plotting library: the report must open from disk with no network
and no script, and stay readable in light mode, dark mode and print. Colours are therefore never
written into the SVG; shapes carry classes (``c-good``, ``c-mid``, ``c-bad``, ``grid``...) that
the page's stylesheet colours with its CSS variables. Every label is escaped here.
"""

from __future__ import annotations

import unicodedata
from html import escape

from markupsafe import Markup

from reports.labels import t

MAX = 10.0


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def _text_width(text: str) -> int:
    """Roughly how wide ``text`` is at the charts' 12px font: CJK glyphs are about twice a Latin one."""
    return sum(12 if _wide(c) else 7 for c in text)


def _shorten(text: str, limit: int = 154) -> str:
    """``text`` cut with an ellipsis to at most ``limit`` px (22 Latin characters, 12 CJK ones)."""
    if _text_width(text) <= limit:
        return text
    out, w = "", 7  # room for the ellipsis
    for c in text:
        w += 12 if _wide(c) else 7
        if w > limit:
            break
        out += c
    return out + "…"


def coverage_shares(full: float, partial: float, none: float) -> tuple[int, int, int, int]:
    """Whole percentages of the rubric weight covered, partly covered and missed (summing to 100),
    and the credit: covered plus half the partly covered. The chart and the Markdown table both
    show these, so they cannot disagree."""
    total = full + partial + none
    if total <= 0:
        return 0, 0, 0, 0
    raw = [100 * x / total for x in (full, partial, none)]
    shares = [int(r) for r in raw]
    for i in sorted(range(3), key=lambda i: raw[i] - shares[i], reverse=True)[:100 - sum(shares)]:
        shares[i] += 1  # largest remainders first
    return shares[0], shares[1], shares[2], int(100 * (full + partial / 2) / total + 0.5)


def band(score: float | None) -> str:
    """The colour class of a 0-10 score, shared with the page so a number and its bar agree."""
    if score is None:
        return "c-none"
    return "c-good" if score >= 7 else ("c-mid" if score >= 4 else "c-bad")


def _svg(width: int, height: int, title: str, body: list[str]) -> Markup:
    t = escape(title)
    return Markup(
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{t}" '
        f'preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg"><title>{t}</title>'
        + "".join(body) + "</svg>"
    )


def score_bars(rows: list[tuple[str, float | None, str]], title: str, width: int = 440) -> Markup:
    """Horizontal 0-10 bars, one per (label, score, note); ``width`` is the viewBox width, chosen
    close to the rendered width so the text is drawn at its natural size."""
    row_h = 26
    label_w = min(150, max(60, max((_text_width(r[0]) for r in rows), default=56) + 10))
    bar_w = width - label_w - 100
    height = row_h * len(rows) + 24
    body = [f'<line class="grid" x1="{label_w + bar_w * x / MAX:.1f}" y1="0" x2="{label_w + bar_w * x / MAX:.1f}" '
            f'y2="{height - 18}"/>' for x in (0, 5, 10)]
    body += [f'<text class="axis" x="{label_w + bar_w * x / MAX:.1f}" y="{height - 4}" text-anchor="middle">{x}</text>'
             for x in (0, 5, 10)]
    for i, (label, score, note) in enumerate(rows):
        y = i * row_h + 4
        short = _shorten(label)
        body.append(f'<text x="{label_w - 8}" y="{y + 14}" text-anchor="end">{escape(short)}</text>')
        body.append(f'<rect class="track" x="{label_w}" y="{y + 3}" width="{bar_w}" height="14" rx="3"/>')
        if score is not None:
            w = max(2.0, bar_w * min(score, MAX) / MAX)
            body.append(f'<rect class="{band(score)}" x="{label_w}" y="{y + 3}" width="{w:.1f}" height="14" rx="3">'
                        f'<title>{escape(label)}: {score:.1f}/10</title></rect>')
        value = "–" if score is None else f"{score:.1f}"
        body.append(f'<text x="{label_w + bar_w + 8}" y="{y + 14}"><tspan class="value">{value}</tspan>'
                    f'<tspan class="axis" dx="6">{escape(note)}</tspan></text>')
    return _svg(width, height, title, body)


def score_trend(points: list[tuple[str, float | None]], current: int | None = None,
                title: str | None = None, lang: str = "en") -> Markup:
    """A line over sessions (oldest left); the current session's dot is drawn larger."""
    title = title if title is not None else t("chart_trend_default", lang)
    width, height, left, right, top, bottom = 680, 150, 34, 16, 12, 30
    pw, ph = width - left - right, height - top - bottom
    n = len(points)

    def x(i: int) -> float:
        return left + (pw / 2 if n == 1 else pw * i / (n - 1))

    def y(s: float) -> float:
        return top + ph * (1 - min(max(s, 0.0), MAX) / MAX)

    body = []
    for v in (0, 5, 10):
        body.append(f'<line class="grid" x1="{left}" y1="{y(v):.1f}" x2="{width - right}" y2="{y(v):.1f}"/>')
        body.append(f'<text class="axis" x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{v}</text>')
    pts = [(x(i), y(s), i, lbl, s) for i, (lbl, s) in enumerate(points) if s is not None]
    if len(pts) > 1:
        body.append('<polyline class="line" points="' + " ".join(f"{px:.1f},{py:.1f}" for px, py, *_ in pts) + '"/>')
    for px, py, i, lbl, s in pts:
        r = 6 if i == current else 3.5
        cls = f"dot {band(s)}" + (" current" if i == current else "")
        body.append(f'<circle class="{cls}" cx="{px:.1f}" cy="{py:.1f}" r="{r}"><title>{escape(lbl)}: {s:.1f}/10</title></circle>')
    step = max(1, n // 8)
    for i, (lbl, _) in enumerate(points):
        if i % step == 0 or i == n - 1:
            anchor = "start" if i == 0 and n > 1 else ("end" if i == n - 1 and n > 1 else "middle")
            body.append(f'<text class="axis" x="{x(i):.1f}" y="{height - 8}" text-anchor="{anchor}">{escape(lbl)}</text>')
    return _svg(width, height, title, body)


def coverage_bars(rows: list[tuple[str, float, float, float]], title: str | None = None,
                  lang: str = "en") -> Markup:
    """Stacked bars per question: share of rubric weight covered fully, partly, not at all."""
    title = title if title is not None else t("chart_coverage_default", lang)
    covered, partly_covered, partly, missed = (t(k, lang) for k in ("covered", "partly_covered", "partly", "missed"))
    label_w, bar_w, row_h, width = 60, 560, 22, 680
    height = row_h * len(rows) + 26
    body = []
    for i, (label, full, partial, none) in enumerate(rows):
        y = i * row_h + 4
        total = full + partial + none
        body.append(f'<text x="{label_w - 8}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        if total <= 0:
            body.append(f'<rect class="track" x="{label_w}" y="{y + 2}" width="{bar_w}" height="14" rx="3"/>')
            continue
        xpos = float(label_w)
        *shares, credit = coverage_shares(full, partial, none)
        for part, share, cls, name in zip((full, partial, none), shares, ("c-good", "c-mid", "c-miss"),
                                          (covered, partly_covered, missed)):
            if part > 0:
                w = bar_w * part / total
                body.append(f'<rect class="{cls}" x="{xpos:.1f}" y="{y + 2}" width="{w:.1f}" height="14">'
                            f'<title>{escape(label)}: {share}% {escape(name)}</title></rect>')
                xpos += w
        body.append(f'<text class="axis" x="{label_w + bar_w + 8}" y="{y + 13}">{credit}%</text>')
    ly = height - 8
    lx = label_w
    for (cls, name), step in zip((("c-good", covered), ("c-mid", partly), ("c-miss", missed)), (100, 80, 0)):
        body.append(f'<rect class="{cls}" x="{lx}" y="{ly - 9}" width="10" height="10"/>'
                    f'<text class="axis" x="{lx + 14}" y="{ly}">{escape(name)}</text>')
        lx += max(step, 14 + _text_width(name) + 16)
    return _svg(width, height, title, body)
