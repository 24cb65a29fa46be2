"""Browser fixtures: Debian's Chromium driven by Playwright, against the app on a real uvicorn server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import make_api, real_parts  # noqa: F401 - fixtures shared with the API tests

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
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 860}


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


@pytest.fixture
def shot() -> Any:
    """Save a screenshot under $SCREENSHOT_DIR (e.g. docs/) when set; otherwise do nothing."""
    target = os.environ.get("SCREENSHOT_DIR")

    def save(page: Any, name: str, *, full_page: bool = True) -> None:
        if target:
            Path(target).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(target) / name), full_page=full_page)

    return save
