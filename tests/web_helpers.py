"""Helpers for the web app's tests: ``interviewer serve`` as a real process on a free port, requests
to it as a page of its own would send them, and headless Chromium driven through Selenium with
Debian's chromedriver (no browser download). Browser tests skip locally without Chromium and fail
in CI, as tests/test_browser_report.py does."""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = Path(__file__).parent / "artifacts" / "web"
CHROME_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", "--disable-quic")
#: How long a test waits for something the app does by itself (generous: a slow, shared machine).
PATIENCE = 60.0


def need_browser() -> tuple[str, str]:
    """(chromium, chromedriver), or a skip (locally) / failure (CI) saying what is missing."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    missing = [name for name, path in (("chromium", exe), ("chromium-driver", driver)) if not path]
    if missing:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but {' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not installed; "
                        ".ci/run installs Debian's chromium and chromium-driver")
        pytest.skip(f"{' and '.join(missing)} not installed (apt-get install chromium chromium-driver)")
    return exe, driver  # type: ignore[return-value]


@contextmanager
def browser(width: int = 1280, height: int = 900, dark: bool = False):
    """A headless Chromium, driven by Selenium, in a fresh profile."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    exe, driver_path = need_browser()
    profile = tempfile.mkdtemp(prefix="chromium-profile-")
    options = webdriver.ChromeOptions()
    options.binary_location = exe
    for flag in (*CHROME_FLAGS, f"--user-data-dir={profile}", f"--window-size={width},{height}"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    driver.set_page_load_timeout(PATIENCE)
    try:
        viewport(driver, width, height)  # a window cannot be narrower than 500 px: a phone is emulated
        color_scheme(driver, dark)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def viewport(driver, width: int, height: int) -> None:  # noqa: ANN001
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride",
                           {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500})


def color_scheme(driver, dark: bool) -> None:  # noqa: ANN001
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia",
                           {"features": [{"name": "prefers-color-scheme", "value": "dark" if dark else "light"}]})


def wait_for(what, timeout: float = PATIENCE, every: float = 0.2, message: str = ""):  # noqa: ANN001, ANN201
    """``what()`` once it is truthy; fails the test after ``timeout`` seconds."""
    end = time.monotonic() + timeout
    while True:
        try:
            got = what()
        except Exception:  # noqa: BLE001 - a page in the middle of a reload
            got = None
        if got:
            return got
        if time.monotonic() > end:
            pytest.fail(f"gave up waiting{': ' + message if message else ''}")
        time.sleep(every)


class Server:
    """``interviewer serve`` running as a process of its own."""

    def __init__(self, proc: subprocess.Popen, url: str, data_dir: Path) -> None:
        self.proc, self.url, self.data_dir = proc, url, data_dir
        self.port = int(re.search(r":(\d+)/", url).group(1))  # type: ignore[union-attr]
        self.origin = f"http://127.0.0.1:{self.port}"  # tests reach it here, whatever address it printed

    def request(self, path: str, data: dict | str | None = None, *, method: str | None = None,
                headers: dict | None = None, json_body: bool = True) -> tuple[int, str, dict]:
        """(status, body, headers); a POST carries this server's Origin unless ``headers`` say otherwise."""
        body = None
        head = {"Origin": self.origin} if data is not None else {}
        if data is not None:
            if json_body and not isinstance(data, str):
                body, head["Content-Type"] = json.dumps(data).encode(), "application/json"
            else:
                body = (data if isinstance(data, str) else "&".join(f"{k}={v}" for k, v in data.items())).encode()
                head["Content-Type"] = "application/x-www-form-urlencoded"
        head.update(headers or {})
        req = urllib.request.Request(self.origin + path, data=body, method=method, headers=head)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(req, timeout=PATIENCE) as r:
                return r.status, r.read().decode(), dict(r.headers)
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode(), dict(e.headers)

    def state(self, sid: str) -> dict:
        status, body, _ = self.request(f"/api/s/{sid}/state")
        assert status == 200, body
        return json.loads(body)

    def start(self, **form: object) -> str:
        """Start an interview through the start form; the new session's id."""
        status, body, headers = self.request("/start", {k: str(v) for k, v in form.items()}, json_body=False)
        assert status == 303, body
        return headers["location"].rsplit("/", 1)[-1]

    def stop(self, sig: int | None = None) -> int:
        import signal

        if self.proc.poll() is None:
            self.proc.send_signal(sig or signal.SIGTERM)
        return self.proc.wait(timeout=PATIENCE)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        return None


@contextmanager
def serving(data_dir: Path, *args: str, env: dict | None = None):
    """``interviewer serve --port 0`` on ``data_dir``: the Server once it prints its URL."""
    cmd = [sys.executable, "-m", "interviewer", "serve", "--port", "0", "--data-dir", str(data_dir), *args]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    try:
        line = proc.stdout.readline()  # type: ignore[union-attr]
        match = re.search(r"on (http://\S+)", line)
        if not match:
            proc.kill()
            pytest.fail(f"serve did not print its URL: {line!r} {proc.stderr.read()[-2000:]}")  # type: ignore[union-attr]
        server = Server(proc, match.group(1), data_dir)
        wait_for(lambda: server.request("/")[0], message="the server to answer")
        yield server
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def shot(driver, name: str) -> Path:  # noqa: ANN001
    """A full-page screenshot kept as a test artefact (tests/artifacts/web/NAME.png)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    size = driver.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": min(size["height"], 6000), "scale": 1}
    data = driver.execute_cdp_cmd("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip})
    path.write_bytes(base64.b64decode(data["data"]))
    return path
