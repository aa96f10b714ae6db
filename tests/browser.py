"""Headless Debian chromium driven by Playwright, for the tests that check what a person sees.

Never downloads a browser: uses /usr/bin/chromium (or $MOVENET_CHROMIUM) and skips the calling
test with a reason when chromium or the playwright package is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path(os.environ.get("MOVENET_CHROMIUM", "/usr/bin/chromium"))
# No background networking: this machine's closed network refuses those connections anyway.
BASE_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync"]


def chromium_path() -> Path:
    if not CHROMIUM.is_file():
        pytest.skip(f"no chromium at {CHROMIUM} (apt-get install chromium, or set MOVENET_CHROMIUM)")
    return CHROMIUM


@contextmanager
def launch_chromium(extra_args: Sequence[str] = ()) -> Iterator[Any]:
    """A Playwright Browser on Debian's chromium, closed on exit."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (pip install "
                                   "playwright; chromium itself from apt)")
    executable = chromium_path()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(executable), args=[*BASE_ARGS, *extra_args])
        try:
            yield browser
        finally:
            browser.close()
