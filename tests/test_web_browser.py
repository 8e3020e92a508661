"""A whole interview in a real browser: headless Chromium (Debian's) driven by Selenium through
Debian's chromedriver, against ``interviewer serve`` running as a process. Start from the form, type,
let the draft autosave, reload mid-answer and find the draft, submit with the keyboard, answer a
follow-up, skip after the terminal's confirmation, finish and open the report; and a countdown that
runs out submits what was typed. Skips locally without Chromium, fails in CI."""

from __future__ import annotations

from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from interviewer.store import Store
from tests.web_helpers import browser, need_browser, serving, shot, wait_for


def current_key(driver) -> str | None:  # noqa: ANN001
    el = driver.find_elements(By.ID, "interview")
    return el[0].get_attribute("data-key") if el else None


def editor(driver):  # noqa: ANN001, ANN201
    return wait_for(lambda: driver.find_element(By.ID, "answer"), message="the editor")


def start_from_the_form(driver, origin: str, *, topic: str, count: str, minutes: str, follow_ups: str) -> str:  # noqa: ANN001
    driver.get(origin + "/")
    driver.find_element(By.CSS_SELECTOR, f"input[name=topic][value='{topic}']").click()
    for name, value in (("count", count), ("minutes", minutes)):
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    Select(driver.find_element(By.NAME, "follow_ups")).select_by_value(follow_ups)
    Select(driver.find_element(By.NAME, "judge")).select_by_value("offline")
    driver.find_element(By.ID, "start").click()
    wait_for(lambda: "/s/" in driver.current_url and current_key(driver) == "0.0", message="the first question")
    return driver.current_url.rsplit("/", 1)[-1]


def test_a_whole_interview_in_the_browser(tmp_path: Path):
    need_browser()
    data = tmp_path / "data"
    with serving(data) as server, browser(1280) as driver:
        sid = start_from_the_form(driver, server.origin, topic="attention", count="2", minutes="20", follow_ups="1")
        assert driver.find_element(By.ID, "turn-title").text == "Question 1/2"
        question = driver.find_element(By.ID, "question").text
        assert question.strip()

        # type, and wait for the autosave to say so (the server has it on disk by then)
        box = editor(driver)
        box.send_keys("Attention computes softmax(QK^T / sqrt(d_k)) V; scaling by sqrt(d_k) keeps")
        wait_for(lambda: "draft saved" in driver.find_element(By.ID, "save-status").text, message="the autosave")
        store = Store.open(data)
        try:
            assert store.get_draft(sid, 0)[0].startswith("Attention computes softmax")
        finally:
            store.close()

        # reload mid-answer: the draft is back in the editor
        driver.refresh()
        box = editor(driver)
        assert box.get_attribute("value").startswith("Attention computes softmax(QK^T / sqrt(d_k)) V")
        box.send_keys(Keys.END, " the softmax out of saturation, so gradients do not vanish.")

        # submit with Ctrl-Enter, as the keys line says: the follow-up comes as a thread
        box.send_keys(Keys.CONTROL, Keys.ENTER)
        wait_for(lambda: current_key(driver) == "0.1", message="the follow-up")
        thread = driver.find_element(By.ID, "thread").text
        assert question.strip()[:40] in thread and "gradients do not vanish" in thread
        assert driver.find_element(By.ID, "turn-title").text == "Question 1/2 · follow-up 1/1"
        shot(driver, "browser-follow-up")
        editor(driver).send_keys("Because without the scaling the logits grow with the dimension.")
        driver.find_element(By.ID, "submit").click()

        # question 2: skip it with text typed -> the terminal's confirmation, then y submits it
        wait_for(lambda: current_key(driver) == "1.0", message="question 2")
        box = editor(driver)
        box.send_keys("Not sure")
        box.send_keys(Keys.ALT, "n")
        confirm = wait_for(lambda: driver.find_element(By.ID, "confirm-text").text, message="the confirmation")
        assert "submitted and graded as it stands" in confirm
        driver.find_element(By.TAG_NAME, "body").send_keys("x")  # any other key: keep answering
        assert driver.find_element(By.ID, "confirm").get_attribute("hidden") is not None
        box.clear()
        driver.find_element(By.ID, "skip").click()  # nothing typed: skipped at once, as Ctrl-N does
        wait_for(lambda: driver.find_elements(By.ID, "open-report"), message="the end of the interview")

        # the answers panel shows each question's grading
        panel = driver.find_element(By.ID, "answers").text
        assert "/10" in panel and "skipped" in panel
        driver.find_element(By.ID, "open-report").click()
        wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, "article.card.question"), message="the report")
        html = driver.page_source
        assert 'id="q1-f1"' in html and "gradients do not vanish" in html
        assert driver.execute_script("return document.scripts.length") == 0

    store = Store.open(data)
    try:
        answers = store.attach_follow_ups(store.answers(sid))
        assert [a.ended for a in answers] == ["submitted", "skipped"]
        assert answers[0].answer.endswith("so gradients do not vanish.")
        assert [f.answer for f in answers[0].follow_ups] == ["Because without the scaling the logits grow with the dimension."]
        assert store.get_session(sid).status == "finished" and all(a.verdict is not None for a in answers)
        assert (data / "reports" / f"{sid}.html").is_file()  # written as the terminal writes it
    finally:
        store.close()


def test_the_countdown_submits_what_was_typed(tmp_path: Path):
    need_browser()
    data = tmp_path / "data"
    with serving(data) as server, browser(1280) as driver:
        sid = start_from_the_form(driver, server.origin, topic="rag", count="1", minutes="0.25", follow_ups="0")
        editor(driver).send_keys("Retrieval grounds the answer in documents")
        # nobody submits: the clock runs out, the page turns red near the end, the server submits
        wait_for(lambda: "low" in driver.find_element(By.ID, "clock").get_attribute("class"), message="the red clock")
        wait_for(lambda: driver.find_elements(By.ID, "open-report"), timeout=90, message="the time-out")
    store = Store.open(data)
    try:
        [answer] = store.answers(sid)
        assert answer.ended == "timed_out" and answer.answer == "Retrieval grounds the answer in documents"
        assert answer.seconds_used <= answer.seconds_allowed
    finally:
        store.close()
