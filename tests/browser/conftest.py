"""Browser fixtures: the real app served on a free port, Debian's Chromium driven by Playwright.

The app is the `app` fixture of tests/conftest.py (same test config: the fixed clock, the hashing
embedder, in-request index catch-up, empty tables after each test), served by werkzeug in a
background thread. Each person in a scenario gets their own browser context (own cookies), as
if they sat at their own computer. The browser itself starts once per run; it is the slow part.
"""
from __future__ import annotations

import os
import socket
import threading
import traceback
from pathlib import Path

import pytest
from flask import got_request_exception
from werkzeug.serving import make_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 15_000



def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def live_server(app):
    """The app answering real HTTP on 127.0.0.1; yields its base URL. Tables are emptied by `app`.

    Any exception in a view fails the test, with its traceback (the browser only sees a 500)."""
    # Browsers may keep CSS and JS for a while, as behind any real server; saves a request per file and page.
    app.config["SEND_FILE_MAX_AGE_DEFAULT"] = 3600
    failures: list[str] = []

    def record(sender, exception, **extra):
        failures.append("".join(traceback.format_exception(exception)))

    got_request_exception.connect(record, app)
    server = make_server("127.0.0.1", _free_port(), app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)
    got_request_exception.disconnect(record, app)
    assert not failures, "the app failed while serving the browser:\n" + "\n".join(failures)


@pytest.fixture(scope="session")
def chromium():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        # Skipped on a developer's machine without Chromium; CI must run them (`make test` installs it).
        if os.environ.get("CI"):
            pytest.fail(f"no Chromium at {CHROMIUM}: browser tests cannot be skipped in CI")
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Person:
    """One person at their own browser: signs in through the login form, watches for trouble.

    `dialogs` collects every alert/confirm/prompt that opens and `server_errors` every 5xx answer,
    so a test can assert that neither happened.
    """

    def __init__(self, browser, base_url: str):
        self.base_url = base_url
        self.context = browser.new_context(base_url=base_url, viewport={"width": 1280, "height": 900})
        self.context.set_default_timeout(TIMEOUT_MS)
        self.dialogs: list[str] = []
        self.server_errors: list[str] = []
        self.page = self.context.new_page()
        self.context.on("page", self._watch)
        self._watch(self.page)

    def _watch(self, page) -> None:
        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message} on {page.url}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("response", lambda r: r.status >= 500 and self.server_errors.append(f"{r.status} {r.url}"))

    def sign_in(self, email: str, password: str = "correct horse battery"):
        page = self.page
        page.goto("/login")
        page.get_by_label("E-mail").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url(lambda url: "/login" not in url)
        return page

    def screenshot(self, journey: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{journey}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def person(chromium, live_server):
    """Makes a Person at a fresh browser context; all are closed, and checked for 5xx, at the end."""
    made: list[Person] = []

    def make() -> Person:
        made.append(Person(chromium, live_server))
        return made[-1]

    yield make
    errors = [e for p in made for e in p.server_errors]
    for p in made:
        p.close()
    assert not errors, f"the server failed: {errors}"
