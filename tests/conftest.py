"""Fixtures shared by the tests.

The course website (``tests/test_site.py``):

- ``fast_site``: the website built once per session in fast mode, in a temporary folder.

The tests that drive a real browser (see ``tests/browser_support.py``):

- ``browser``: headless Chromium through Playwright, one per test module (the test is skipped, saying what to
  install, where there is no Chromium or no Playwright);
- ``page``: a fresh browser page (own cookies and storage) for one test; a failing test leaves
  ``artifacts/browser/<test>-failed.png``;
- ``screenshot``: ``screenshot(page_or_locator, suffix="")`` saves ``artifacts/browser/<test>[-suffix].png``.

The fixtures start nothing until a test asks for them, so the other test modules do not pay for a browser.
"""
import shutil
from pathlib import Path

import pytest

from browser_support import save_screenshot, start_chromium

VIEWPORT = {"width": 1400, "height": 1000}
ROOT = Path(__file__).resolve().parents[1]
ACTION_TIMEOUT_MS = 30_000  # longest wait of a click, a page load or an expect() that says nothing else


@pytest.fixture(scope="module")
def browser():
    # Module scope, not session: while Playwright is open, nbclient (asyncio.run) cannot run in this process, and
    # xdist may give the same worker other test modules that execute notebooks.
    playwright, browser = start_chromium()
    from playwright.sync_api import expect

    # Playwright's default of 5 s per expectation is short for a kernel answering a click on a busy 2-core machine.
    expect.set_options(timeout=ACTION_TIMEOUT_MS)
    yield browser
    browser.close()
    playwright.stop()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.browser_test_failed = report.failed
    return report


@pytest.fixture
def page(browser, request):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    page = context.new_page()
    yield page
    if getattr(request.node, "browser_test_failed", False):
        try:
            save_screenshot(page, f"{request.node.name}-failed", full_page=True)
        except Exception:  # noqa: BLE001 - a screenshot must not hide the failure itself
            pass
    context.close()


@pytest.fixture
def screenshot(request):
    """``screenshot(target, suffix="")``: save ``artifacts/browser/<test name>[-suffix].png``; returns the path."""

    def take(target, suffix="", full_page=False):
        name = request.node.name + (f"-{suffix}" if suffix else "")
        return save_screenshot(target, name, full_page=full_page)

    return take


@pytest.fixture(scope="session")
def fast_site(tmp_path_factory):
    """The course website built once per test session in fast mode (``NN_COURSE_FAST=1``), in a temporary folder
    with its own notebook cache (never ``_build/``). Returns the :class:`course_utils.instructor.site.SiteBuild`;
    ``fast_site.out_dir`` is the folder to open (``index.html``) or serve. Skips when the site extra is missing."""
    from course_utils.instructor.site import INSTALL_HINT, build_site, missing_site_packages

    missing = missing_site_packages()
    if missing:
        pytest.skip(f"the course website needs {', '.join(missing)}: {INSTALL_HINT}")
    return build_site(ROOT, tmp_path_factory.mktemp("site") / "site", fast=True)


@pytest.fixture
def course(tmp_path):
    """A course with the repository's config and sources (nothing generated, no gradebook); test modules that need
    another course define their own ``course``."""
    root = tmp_path / "course"
    (root / "assignments").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "assignments" / "source", root / "assignments" / "source")
    return root
