"""Browser fixtures: Debian's Chromium driven by Playwright against one real uvicorn server for the whole session.

Every page opened through `open_page` records Content-Security-Policy violations and any request that leaves the
machine (both must stay empty: nothing is inline, nothing comes from a CDN), and `axe` runs axe-core (vendored from
its npm package, tests/browser/vendor) on the page as it is.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI

from tests.api.conftest import REPLY, RealParts, make_api, real_parts  # noqa: F401 - fixtures shared with the API tests
from tests.api.live import LiveServer
from tutor.api.deps import Services
from tutor.llm.resilience import LLMBusyError
from tutor.types import Message

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}
AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
QUESTION = "có người gọi xưng công an đòi mã OTP"
LONG_REPLY = REPLY + " Hãy tắt máy, rồi tự gọi 113 hoặc đến trụ sở công an gần nhất để hỏi [2]."

# Collects `securitypolicyviolation` events from the first moment of every document.
_CSP_WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation',
  e => window.__csp.push(`${e.violatedDirective} ${e.blockedURI} ${e.sourceFile}:${e.lineNumber}`));
"""


class Switchboard:
    """The chat model of the shared server, set by each test: the reply, a wait before the first word and between
    words, and how many next questions find the model busy (503 with Retry-After, before the stream starts)."""

    def __init__(self) -> None:
        self.reset()
        self.lock = threading.Lock()

    def reset(self) -> None:
        self.reply = LONG_REPLY
        self.first_delay = 0.0
        self.delay = 0.06
        self.busy_next = 0

    @property
    def id(self) -> str:
        return "scripted"

    def stream(self, messages: Sequence[Message], *, max_tokens: int, temperature: float) -> Iterator[str]:
        with self.lock:
            busy = self.busy_next > 0
            self.busy_next -= int(busy)
        if busy:
            raise LLMBusyError("Trợ giảng đang bận trả lời nhiều người. Bạn vui lòng thử lại sau ít phút.", 3)
        time.sleep(self.first_delay)
        for word in self.reply.split(" "):
            time.sleep(self.delay)
            yield word + " "


@dataclass
class Site:
    """The one server of the browser session, with its services for making learners and tokens."""

    url: str
    app: FastAPI
    services: Services
    model: Switchboard
    tutor: Any
    _learners: list[str] = field(default_factory=list)

    def token(self, role: str, learner_id: str | None = None) -> str:
        return self.services.tokens.create(role, learner_id).secret

    def learner(self, group: str = "nguoi-dan", display_name: str | None = None) -> tuple[str, str]:
        learner = self.services.store.create_learner(group, True, display_name=display_name)
        return learner.id, self.token("learner", learner.id)


@pytest.fixture(scope="session")
def site(real_parts: RealParts, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:  # noqa: F811
    tmp = tmp_path_factory.mktemp("browser-site")
    # The index is shared read-only with the API tests; the data directory (speech cache, logs) is this server's.
    (tmp / "data").mkdir()
    (tmp / "data" / "index").symlink_to(real_parts.settings.index_dir, target_is_directory=True)
    model = Switchboard()
    # As in the API tests: the scripted model is there to be used, so the LLM writes (composed is the default).
    app = real_parts.new_app(
        tmp / "learners.sqlite3",
        model,
        data_dir=tmp / "data",
        cert_key_path=tmp / "cert.pem",
        rate_limit_chat="",
        rate_limit_chat_anonymous="",
        rate_limit_api="",
    )
    services: Services = app.state.services
    with LiveServer(app) as server:
        yield Site(server.url, app, services, model, services.runtime.tutor)
    services.store.close()


@pytest.fixture(autouse=True)
def _fresh_model(request: pytest.FixtureRequest) -> None:
    if "site" in request.fixturenames:
        site: Site = request.getfixturevalue("site")
        site.model.reset()
        site.tutor.chat_model = site.model


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One Chromium for the session. A missing piece is a failure, not a skip: `make test` installs both."""
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("playwright is missing: `make install-dev` (pip install -e '.[dev]') installs it")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `make install-dev` installs Debian's chromium (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@dataclass
class Opened:
    page: Any
    #: URLs the page tried to fetch from anywhere but the tutor's own server (there must be none).
    outside: list[str]


@pytest.fixture
def open_page(browser: Any, site: Site) -> Iterator[Any]:
    """open_page(viewport, path, token=None, shared=False) → a page, in a fresh browser context (fresh storage)."""
    contexts: list[Any] = []
    opened: list[Opened] = []

    def open_(viewport: dict[str, int], path: str = "/", token: str | None = None, *, init: str = "") -> Any:
        context = browser.new_context(viewport=viewport, locale="vi-VN")
        contexts.append(context)
        context.add_init_script(_CSP_WATCH + init)
        outside: list[str] = []

        def guard(route: Any) -> None:
            if route.request.url.startswith(site.url):
                route.continue_()
            else:
                outside.append(route.request.url)
                route.abort()

        context.route("**/*", guard)
        page = context.new_page()
        page.set_default_timeout(15_000)
        opened.append(Opened(page, outside))
        if token:
            # Saved the way the page saves it (remembered for 30 days), before any script of the page runs.
            page.goto(site.url + "/healthz")
            page.evaluate(
                "t => localStorage.setItem('tutor.token', JSON.stringify({v: t, exp: Date.now() + 86400000}))", token
            )
        page.goto(site.url + path)
        return page

    yield open_
    for o in opened:
        if not o.page.is_closed():
            violations = o.page.evaluate("() => window.__csp || []")
            assert violations == [], f"CSP violations on {o.page.url}: {violations}"
        assert o.outside == [], f"requests that left the machine: {o.outside}"
    for context in contexts:
        context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


@pytest.fixture
def axe(axe_source: str) -> Any:
    """axe(page, label) runs axe-core on the page as it is; critical or serious violations fail the test."""

    def run(page: Any, label: str) -> list[dict[str, Any]]:
        # Evaluated through the DevTools protocol, so the page's CSP (no inline script) does not block it.
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            page.evaluate(axe_source)
        results = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations")
        bad = [
            {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in results
            if v["impact"] in ("critical", "serious")
        ]
        assert bad == [], f"axe on {label} ({page.url}): {bad}"
        return results

    return run


@pytest.fixture
def shot() -> Any:
    """Save a screenshot under $SCREENSHOT_DIR (e.g. docs/) when set; otherwise do nothing."""
    target = os.environ.get("SCREENSHOT_DIR")

    def save(page: Any, name: str, *, full_page: bool = True) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / name), full_page=full_page)

    return save
