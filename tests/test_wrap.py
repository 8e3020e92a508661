"""Word-boundary wrapping of the interview screen: words stay whole, a Chinese line may break
between characters but never before closing punctuation, and the editor's display padding maps
the cursor back to the text exactly."""

from __future__ import annotations

from prompt_toolkit.formatted_text.utils import fragment_list_to_text
from prompt_toolkit.layout.processors import TransformationInput
from prompt_toolkit.utils import get_cwidth

from interviewer.wrap import WordWrap, row_starts, wrap_fragments


def rows(text: str, width: int, editable: bool = False) -> list[str]:
    starts = row_starts(text, width, editable)
    return [text[a:b] for a, b in zip(starts, [*starts[1:], len(text)])]


def test_words_stay_whole_and_rows_fit():
    text = "The parameters of grouped query attention are shared between heads so the cache shrinks"
    for width in range(12, 60):
        got = rows(text, width)
        assert "".join(got) == text
        assert all(get_cwidth(r.rstrip()) <= width for r in got)
        assert all(w in text.split() for r in got for w in r.split())
        assert not any(r.startswith(" ") for r in rows(text, width, editable=True)[1:])


def test_a_word_longer_than_a_row_is_cut():
    assert rows("a" * 25, 10) == ["a" * 10, "a" * 10, "a" * 5]


def test_chinese_breaks_between_characters_but_not_before_closing_punctuation():
    text = "还没有作答：跳过这道题吗？跳过记 0 分。其他任意键：继续作答"
    for width in range(6, 30):
        got = rows(text, width)
        assert "".join(got) == text
        assert all(get_cwidth(r) <= width for r in got)
        assert not any(r[0] in "，。：？" for r in got), (width, got)


def test_formatted_rows_drop_the_space_they_broke_at():
    out = wrap_fragments([("class:a", "alpha beta gamma")], 10)
    assert [fragment_list_to_text(r) for r in out] == ["alpha beta", "gamma"]
    assert all(style == "class:a" for r in out for style, *_ in r)


def test_editor_padding_maps_the_cursor_both_ways():
    text = "one two three four five six seven"
    ti = TransformationInput(buffer_control=None, document=None, lineno=0,  # type: ignore[arg-type]
                             source_to_display=lambda i: i, fragments=[("", text)], width=10, height=5)
    t = WordWrap().apply_transformation(ti)
    shown = fragment_list_to_text(t.fragments)
    # "four" fills its row to the edge, so it moves down with the space after it
    assert [shown[i:i + 10] for i in range(0, len(shown), 10)] == ["one two   ", "three     ", "four five ", "six seven"]
    for i in range(len(text) + 1):
        assert t.display_to_source(t.source_to_display(i)) == i
        if i < len(text):
            assert shown[t.source_to_display(i)] == text[i]
