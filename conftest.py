"""Test-session set-up shared by the unit tests and the nbval lecture runs.

Environment variables set here are inherited by every kernel that nbval, nbclient or nbgrader starts.
"""
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent

# Quiet TensorFlow: both are needed to silence the oneDNN banner on stderr (nbgrader zeroes a test cell on stderr).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
# No MPLBACKEND here: kernels must keep ipykernel's inline backend so that lecture figures are real outputs;
# in-process tests get Agg automatically on a headless machine.
# Lectures shrink their workload (fewer epochs/samples) under the test suite; set NN_COURSE_FAST=0 for full runs.
os.environ.setdefault("NN_COURSE_FAST", "1")
# Offline data: use ../shared/data beside the checkout when nothing else was configured (that is what CI does).
_shared = ROOT.parent / "shared" / "data"
if "NN_COURSE_DATA" not in os.environ and (_shared / "mnist").is_dir():
    os.environ["NN_COURSE_DATA"] = str(_shared)


import pytest  # noqa: E402


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a lecture cell that writes to stderr: warnings and framework log noise must not reach students.

    nbval (--nbval-lax) executes every cell but compares no outputs; it keeps what the cell produced in
    ``item.test_outputs``, which is checked here.
    """
    result = yield
    for out in getattr(item, "test_outputs", None) or []:
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            raise AssertionError(f"{item.name} wrote to stderr (warnings or log noise):\n{out.get('text', '')[:2000]}")
    return result


def pytest_collection_modifyitems(items):
    """Every cell of a lecture (nbval) is a slow test: `-m "not slow"` leaves the lectures out."""
    for item in items:
        if item.path.suffix == ".ipynb":
            item.add_marker(pytest.mark.slow)
