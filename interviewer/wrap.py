"""Word-boundary wrapping for the interview screen, which prompt_toolkit wraps mid-word ("par/ameters").

Widths are display cells: a CJK character takes two and may break anywhere, a run of other
non-space characters is a word. Two users of the same rule: ``WrappedText`` shows read-only text
(the question, the key help) with an optional scroll offset, and ``WordWrap`` pads the editor's
lines so that prompt_toolkit's own character wrapping falls between words.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from prompt_toolkit.formatted_text import AnyFormattedText, StyleAndTextTuples, to_formatted_text
from prompt_toolkit.formatted_text.utils import fragment_list_to_text, split_lines
from prompt_toolkit.layout.controls import UIContent, UIControl
from prompt_toolkit.layout.processors import Processor, Transformation, TransformationInput
from prompt_toolkit.layout.utils import explode_text_fragments
from prompt_toolkit.utils import get_cwidth

_CJK = "\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Punctuation that may not start a row (Chinese line-breaking rules): it stays with what precedes it.
_CLOSING = "，。、：；！？）」』》】〉…,.;:!?)"
_TOKEN = re.compile(rf"\s|[{_CJK}][{_CLOSING}]*|[^\s{_CJK}]+[{_CLOSING}]*")


def row_starts(line: str, width: int, editable: bool = False) -> list[int]:
    """Where each screen row of ``line`` (no newline in it) starts when wrapped to ``width`` cells:
    a word that does not fit goes to the next row, a word wider than a whole row is cut where the
    row ends. A space that does not fit starts the next row, where read-only text drops it; in an
    ``editable`` line it cannot be dropped, so the word before it moves down with it."""
    starts, col = [0], 0
    word_at, word_w = -1, 0  # the last word on the row: a space that does not fit takes it along
    if width <= 0:
        return starts
    for m in _TOKEN.finditer(line):
        token = m.group()
        w = get_cwidth(token)
        if col + w <= width:
            col += w
        elif editable and token.isspace() and word_at > starts[-1] and word_w + w <= width:
            starts.append(word_at)  # no row starts with a space: the word before it moves down
            col = word_w + w
        elif w <= width:
            starts.append(m.start())
            col = w
        else:  # longer than a row: cut it, character by character
            for i, ch in enumerate(token, m.start()):
                cw = get_cwidth(ch)
                if col + cw > width:
                    starts.append(i)
                    col = 0
                col += cw
        if not token.isspace():
            word_at, word_w = m.start(), w
    return starts


def wrap_fragments(fragments: StyleAndTextTuples, width: int) -> list[StyleAndTextTuples]:
    """Formatted text as screen rows wrapped at word boundaries; a row that a wrap starts does not
    begin with the space it broke at."""
    rows: list[StyleAndTextTuples] = []
    for line in split_lines(fragments):
        text = fragment_list_to_text(line)
        chars = explode_text_fragments(line)
        starts = row_starts(text, width)
        for a, b in zip(starts, [*starts[1:], len(text)]):
            row = list(chars[a:b])
            if a > 0 and row and row[0][1] == " ":
                row = row[1:]
            rows.append(row)
    return rows


class WrappedText(UIControl):
    """Read-only formatted text wrapped at word boundaries. ``scroll(n)`` moves it by rows when it
    is taller than its window; ``hidden_above``/``hidden_below`` say how many rows are out of view.
    ``start_at(width)``: the row to show first until it is scrolled, whatever height the window
    turns out to have (the window then ends with the last row if the rows from it do not fill it)."""

    def __init__(self, get_text: Callable[[], AnyFormattedText], start_at: Callable[[int], int] | None = None) -> None:
        self.get_text = get_text
        self.offset = 0
        self.start_at = start_at
        self.hidden_above = 0
        self.hidden_below = 0

    def _rows(self, width: int) -> list[StyleAndTextTuples]:
        return wrap_fragments(to_formatted_text(self.get_text()), width)

    def preferred_width(self, max_available_width: int) -> int:
        return max_available_width

    def preferred_height(self, width: int, max_available_height: int, wrap_lines: bool,
                         get_line_prefix: object) -> int:
        return self.row_count(width)

    def row_count(self, width: int) -> int:
        return len(self._rows(width))

    def create_content(self, width: int, height: int) -> UIContent:
        rows = self._rows(width)
        if self.start_at is not None:
            self.offset = self.start_at(width)
        self.offset = max(0, min(self.offset, len(rows) - height))
        visible = rows[self.offset:self.offset + height]
        self.hidden_above, self.hidden_below = self.offset, max(0, len(rows) - self.offset - height)
        return UIContent(get_line=lambda i: visible[i], line_count=len(visible), show_cursor=False)

    def scroll(self, rows: int) -> None:
        self.start_at = None
        self.offset = max(0, self.offset + rows)

    def is_focusable(self) -> bool:
        return False


class WordWrap(Processor):
    """Pads each editor line where a word would straddle the window's edge, so prompt_toolkit's
    character wrapping breaks between words. The padding is display only: the text is untouched
    and the cursor maps through it."""

    def apply_transformation(self, ti: TransformationInput) -> Transformation:
        text = fragment_list_to_text(ti.fragments)
        starts = row_starts(text, ti.width, editable=True)
        pads = {}
        for a, b in zip(starts, starts[1:]):
            pad = ti.width - get_cwidth(text[a:b])
            if pad > 0:
                pads[b] = pad
        if not pads:
            return Transformation(ti.fragments)
        out: StyleAndTextTuples = []
        for i, fragment in enumerate(explode_text_fragments(ti.fragments)):
            if i in pads:
                out.append((fragment[0], " " * pads[i]))
            out.append(fragment)
        at = sorted(pads)

        def to_display(i: int) -> int:
            return i + sum(pads[p] for p in at if p <= i)

        def to_source(j: int) -> int:
            shift = 0
            for p in at:
                if j < p + shift:
                    break
                if j < p + shift + pads[p]:
                    return p
                shift += pads[p]
            return j - shift

        return Transformation(out, source_to_display=to_display, display_to_source=to_source)
