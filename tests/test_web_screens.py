"""Every page of the web app in headless Chromium, light and dark, English and Chinese, at a desktop
(1280 px) and a phone (390 px) width: each renders its content without pushing the page sideways,
and a screenshot of each is kept in tests/artifacts/web/ (PAGE-LANG-WIDTH-SCHEME.png) for a person
to look at. Skips locally without Chromium, fails in CI."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from selenium.webdriver.common.by import By

from tests.web_helpers import browser, color_scheme, need_browser, serving, shot, wait_for

ANSWER = {"en": "Attention scales the scores by sqrt(d_k) so the softmax does not saturate and gradients survive.",
          "zh": "注意力把打分除以 sqrt(d_k)，避免 softmax 饱和，梯度不会消失。"}
FOLLOW_UP = {"en": "Because the dot product's variance grows with the dimension.", "zh": "因为点积的方差随维度增长。"}


def finished_interview(server, lang: str) -> str:  # noqa: ANN001
    sid = server.start(topic="attention", count=2, minutes=20, follow_ups=1, lang=lang, judge="offline", seed=3)
    for key, text in (("0.0", ANSWER[lang]), ("0.1", FOLLOW_UP[lang]), ("1.0", ANSWER[lang])):
        wait_for(lambda key=key: server.state(sid)["turn"]["key"] == key, message=key)
        status, body, _ = server.request(f"/api/s/{sid}/reply", {"key": key, "text": text, "action": "submit"})
        assert status == 200, body
        if key == "1.0":
            break
    wait_for(lambda: server.state(sid)["turn"]["key"] in ("1.1", None), message="the last follow-up")
    if server.state(sid)["turn"]["key"] == "1.1":
        server.request(f"/api/s/{sid}/reply", {"key": "1.1", "text": "", "action": "skip"})
    wait_for(lambda: server.state(sid)["status"] == "finished", message="finished")
    return sid


def at_a_follow_up(server, lang: str) -> str:  # noqa: ANN001
    sid = server.start(topic="attention", count=3, minutes=30, follow_ups=2, lang=lang, judge="offline", seed=4)
    wait_for(lambda: server.state(sid)["turn"]["key"] == "0.0", message="the first question")
    server.request(f"/api/s/{sid}/reply", {"key": "0.0", "text": ANSWER[lang], "action": "submit"})
    wait_for(lambda: server.state(sid)["turn"]["key"] == "0.1", message="the follow-up")
    server.request(f"/api/s/{sid}/draft", {"key": "0.1", "text": FOLLOW_UP[lang][:30]})
    return sid


@pytest.mark.parametrize("width", [1280, 390])
def test_every_page_light_and_dark_in_english_and_chinese(tmp_path: Path, width: int):
    need_browser()
    with serving(tmp_path / "data") as server:
        done = {lang: finished_interview(server, lang) for lang in ("en", "zh")}
        live = {lang: at_a_follow_up(server, lang) for lang in ("en", "zh")}
        stop = threading.Event()

        def open_tab() -> None:  # the open interviews have a page, as a tab left open would
            while not stop.wait(5):
                for sid in live.values():
                    try:
                        server.state(sid)
                    except Exception:  # noqa: BLE001, S112 - the server is being stopped
                        continue

        threading.Thread(target=open_tab, daemon=True).start()
        try:
            with browser(width, 900) as driver:
                for lang in ("en", "zh"):
                    driver.get(f"{server.origin}/lang/{lang}?back=/")
                    pages = {"start": ("/", "start-form"), "interview": (f"/s/{live[lang]}", "thread"),
                             "report": (f"/s/{done[lang]}/report", "questions"), "history": ("/history", None),
                             "progress": ("/progress", None), "drill": ("/drill", "drill-form")}
                    for name, (path, must) in pages.items():
                        for dark in (False, True):
                            color_scheme(driver, dark)
                            driver.get(server.origin + path)
                            if must:
                                wait_for(lambda must=must: driver.find_element(By.ID, must), message=f"{name} #{must}")
                            if name == "progress":
                                assert driver.find_elements(By.CSS_SELECTOR, "svg.chart"), "the mastery chart"
                            if name == "history":
                                assert done[lang] in driver.page_source
                            if name == "interview":
                                title = driver.find_element(By.ID, "turn-title").text
                                assert title == ("Question 1/3 · follow-up 1/2" if lang == "en" else "第 1/3 题 · 追问 1/2")
                            layout = driver.execute_script(
                                "return [document.documentElement.scrollWidth, window.innerWidth]")
                            assert layout[0] <= layout[1], (name, lang, width, layout)  # nothing pushes the page sideways
                            shot(driver, f"{name}-{lang}-{width}-{'dark' if dark else 'light'}")
        finally:
            stop.set()
