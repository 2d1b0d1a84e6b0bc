"""Fixtures shared by the tests of the course website (tests/test_site.py, and browser tests to come)."""
import pytest


@pytest.fixture(scope="session")
def fast_site(tmp_path_factory):
    """The course website built once per test session in fast mode (``NN_COURSE_FAST=1``), in a temporary folder
    with its own notebook cache (never ``_build/``). Returns the :class:`course_utils.instructor.site.SiteBuild`;
    ``fast_site.out_dir`` is the folder to open (``index.html``) or serve. Skips when the site extra is missing."""
    from course_utils.instructor.site import INSTALL_HINT, build_site, missing_site_packages

    missing = missing_site_packages()
    if missing:
        pytest.skip(f"the course website needs {', '.join(missing)}: {INSTALL_HINT}")
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    return build_site(root, tmp_path_factory.mktemp("site") / "site", fast=True)
