"""The browser as a test: what students and instructors do in JupyterLab, done in a real (headless) Chromium.

- Students, lectures: run every cell of ``01_perceptron`` from the Run menu and check that every cell ran and none
  shows an error, then press the perceptron explorer's learning-rule button and see the count of mistakes and the
  figure change; in ``04_xor_mlp_numpy`` run the cells the playground needs, change its activation, press Train and
  see the plot change.
- Students, assignments: nbgrader's *Validate* button names the first failing test of the released ``backprop_xor``
  and says that its solution passes all the tests.
- Instructors: a small class of the ``perceptron`` assignment is graded with ``nn-course autograde``; the formgrader
  lists the assignments and submissions, a written answer is graded by hand in the browser, and the score reaches
  ``nn-course export``.

One JupyterLab server, started in a temporary copy of the course (nothing in the repository is modified), with the
reduced lecture workload (``NN_COURSE_FAST=1``), serves every test of this module; the instructor's class is built in
that copy when its test first needs it. Every test saves what it checked in ``artifacts/browser/<test>*.png``.
Needs Chromium and Playwright; skips without them, saying how to install them (see ``tests/browser_support.py``).
About a minute of CPU time in all: keep these tests in this one module, so that they share the server.
"""
import csv
import re
import shutil
import subprocess
import sys

import pytest

from browser_support import ROOT, JupyterLab, copy_course

pytestmark = pytest.mark.slow  # a JupyterLab server, Chromium and kernels

# What the lecture kernels need (the server passes its environment on; NN_COURSE_DATA comes from conftest.py).
SERVER_ENV = {"NN_COURSE_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "TF_ENABLE_ONEDNN_OPTS": "0"}
RUN_ALL_TIMEOUT_MS = 240_000  # a whole lecture, reduced workload, on a busy 2-core machine
KERNEL_TIMEOUT_MS = 90_000  # a kernel starting (or a Validate run) while other tests use the cores
STDERR_OUTPUT = '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]'


def _expect():
    from playwright.sync_api import expect

    return expect


# --------------------------------------------------------------------------------------------------------------------
# JupyterLab, seen from the page
# --------------------------------------------------------------------------------------------------------------------
def open_notebook(page, lab, path, workspace):
    """Open ``path`` in a fresh JupyterLab workspace; wait until its kernel is connected and idle; return the panel."""
    expect = _expect()
    # A workspace of its own per test: JupyterLab would otherwise reopen the notebooks of the previous test.
    page.goto(f"{lab.url}/lab/workspaces/{workspace}/tree/{path}?token={lab.token}")
    panel = page.locator(".jp-NotebookPanel")
    expect(panel).to_be_visible(timeout=KERNEL_TIMEOUT_MS)
    wait_for_idle_kernel(panel)
    return panel


def wait_for_idle_kernel(panel, timeout=KERNEL_TIMEOUT_MS):
    """Wait until the notebook's toolbar shows a Python kernel (not "No Kernel") whose status is idle."""
    expect = _expect()
    toolbar = panel.locator(".jp-NotebookPanel-toolbar")
    expect(toolbar.locator('[data-jp-item-name="kernelName"]')).to_contain_text("Python 3", timeout=timeout)
    expect(toolbar.locator(".jp-Notebook-ExecutionIndicator")).to_have_attribute("data-status", "idle",
                                                                                  timeout=timeout)


def click_menu(page, menu, item):
    """Click ``menu`` (e.g. "Run") in JupyterLab's menu bar, then its entry ``item`` (e.g. "Run All Cells")."""
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(rf"^{re.escape(menu)}$")).click()
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(rf"^{re.escape(item)}$")).click()


def run_all_cells(page, panel):
    """Run → Run All Cells, then wait until every code cell has an execution count (or one shows an error)."""
    click_menu(page, "Run", "Run All Cells")
    # Every code cell's prompt reads [n]: once it has run; a cell that fails stops the run, so stop waiting then too.
    page.wait_for_function(
        """([panel, stderr]) => {
            const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputArea-prompt')];
            const done = prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            return done || panel.querySelector(stderr);
        }""",
        arg=[panel.element_handle(), STDERR_OUTPUT], timeout=RUN_ALL_TIMEOUT_MS)
    wait_for_idle_kernel(panel)


def run_cell(page, cell):
    """Select ``cell`` (a code cell's locator) and run it with Shift+Enter; wait until it has an execution count."""
    expect = _expect()
    expect(cell).to_have_count(1)
    prompt = cell.locator(".jp-InputArea-prompt")
    prompt.click()  # selects the cell (command mode), as a student clicking beside it
    page.keyboard.press("Shift+Enter")
    expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=RUN_ALL_TIMEOUT_MS)


def assert_no_error_output(panel, expect_all_run=True):
    """No code cell shows an error or anything on stderr, and (``expect_all_run``) every one of them ran."""
    errors = panel.locator(STDERR_OUTPUT)
    assert errors.count() == 0, "cells show errors or stderr output:\n" + "\n---\n".join(
        text[:1500] for text in errors.all_inner_texts())
    if not expect_all_run:
        return
    prompts = panel.locator(".jp-CodeCell .jp-InputArea-prompt").all_inner_texts()
    not_run = [i for i, text in enumerate(prompts) if not re.search(r"\[\d+\]", text)]
    assert prompts and not not_run, f"code cells without an execution count: {not_run} of {len(prompts)}"


# --------------------------------------------------------------------------------------------------------------------
# students
# --------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab started in a temporary copy of the course, as a student or the instructor runs it."""
    tmp = tmp_path_factory.mktemp("browser")
    with JupyterLab(copy_course(tmp / "course"), tmp / "jupyter", env=SERVER_ENV) as server:
        yield server


@pytest.fixture
def student(lab):
    """The server; the kernels a test started are shut down after it (two cores are not many)."""
    yield lab
    lab.shutdown_kernels()


def test_lecture_01_runs_without_errors_and_the_perceptron_explorer_learns(page, student, screenshot):
    expect = _expect()
    panel = open_notebook(page, student, "lectures/01_perceptron.ipynb", "lecture01")
    run_all_cells(page, panel)
    assert_no_error_output(panel)

    # (a filter's inner locator is relative to the element filtered, so it starts from the page)
    explorer = panel.locator(".jp-OutputArea-output").filter(
        has=page.get_by_role("button", name="learning rule: 1 step"))
    button = explorer.get_by_role("button", name="learning rule: 1 step")
    status = explorer.locator(".widget-html").filter(has_text="misclassified")
    button.scroll_into_view_if_needed()
    expect(status).to_contain_text("learning-rule steps taken: 0")
    plot = explorer.locator(".widget-output img")
    expect(plot).to_have_count(1)
    before, before_src = status.inner_text(), plot.get_attribute("src")
    screenshot(explorer, "before")
    button.click()
    expect(status).to_contain_text("learning-rule steps taken: 1")
    expect(plot).not_to_have_attribute("src", before_src)  # the figure is redrawn for the new weights
    after = status.inner_text()
    screenshot(explorer)
    misclassified = [int(re.search(r"(\d+) misclassified", text).group(1)) for text in (before, after)]
    # The explorer starts at w = (1, -1), b = 0 on the standardised fruit: one step of the rule fixes most mistakes.
    assert misclassified[1] < misclassified[0], (before, after)


def test_lecture_04_playground_trains_again_after_a_change(page, student, screenshot):
    expect = _expect()
    panel = open_notebook(page, student, "lectures/04_xor_mlp_numpy.ipynb", "lecture04")
    # Only what the playground needs (the whole lecture runs under nbval, and lecture 01 runs whole here):
    # the set-up cell, the cell that picks the reduced workload, and the playground cell at the end.
    for text in ("from course_utils.playground import Playground", "FAST = os.environ", "playground = Playground("):
        run_cell(page, panel.locator(".jp-CodeCell").filter(has_text=text))
    wait_for_idle_kernel(panel)
    assert_no_error_output(panel, expect_all_run=False)

    playground = panel.locator(".jp-OutputArea-output").filter(has=page.get_by_role("button", name="Train"))
    train = playground.get_by_role("button", name="Train")
    plot = playground.locator(".widget-output img")
    expect(plot).to_have_count(1)  # the playground cell trains once itself
    train.scroll_into_view_if_needed()
    before_src = plot.get_attribute("src")
    before_png = plot.screenshot()
    screenshot(playground, "before")

    activation = playground.locator(".widget-dropdown").filter(has=page.locator("label", has_text="activation"))
    activation.locator("select").select_option("relu")
    train.click()
    expect(plot).not_to_have_attribute("src", before_src, timeout=KERNEL_TIMEOUT_MS)
    expect(playground.locator(".widget-html")).to_contain_text("training accuracy")
    wait_for_idle_kernel(panel)
    screenshot(playground)
    assert plot.screenshot() != before_png, "the playground's plot looks the same after training with relu"


VALIDATE_TIMEOUT_MS = 180_000  # Validate runs the whole notebook in a new kernel


def validate(page, panel):
    """Press nbgrader's Validate button and return the dialog with the results."""
    expect = _expect()
    button = panel.locator(".validate-button")
    expect(button).to_be_visible()
    button.click()
    dialog = page.locator(".jp-Dialog").filter(has_text="Validation Results")
    expect(dialog).to_be_visible(timeout=VALIDATE_TIMEOUT_MS)
    return dialog


def test_validate_names_the_first_failing_test_of_the_release(page, student, screenshot):
    expect = _expect()
    panel = open_notebook(page, student, "assignments/release/backprop_xor/backprop_xor.ipynb", "release")
    dialog = validate(page, panel)
    screenshot(dialog)
    expect(dialog).to_contain_text("The following cell failed:")
    expect(dialog).to_contain_text("NotImplementedError")
    text = dialog.inner_text()
    assert "Success!" not in text
    # The first test cell of the assignment (test_forward_propagation), with the docstring saying what it checks.
    assert '"""forward_propagation returns A2' in text, text[:2000]
    dialog.get_by_role("button", name="Ok").click()
    expect(dialog).to_be_hidden()


def test_validate_says_the_solution_passes_all_tests(page, student, screenshot):
    expect = _expect()
    # Where a student would have it: their copy of the assignment, completed.
    folder = student.root / "student_copy" / "backprop_xor"
    folder.mkdir(parents=True)
    shutil.copy(student.root / "solutions" / "backprop_xor" / "backprop_xor.ipynb", folder)
    panel = open_notebook(page, student, "student_copy/backprop_xor/backprop_xor.ipynb", "solution")
    dialog = validate(page, panel)
    screenshot(dialog)
    expect(dialog).to_contain_text("Success! Your notebook passes all the tests.")
    dialog.get_by_role("button", name="Ok").click()
    expect(dialog).to_be_hidden()


# --------------------------------------------------------------------------------------------------------------------
# instructors
# --------------------------------------------------------------------------------------------------------------------
# every assignment of the course (the formgrader lists those in the gradebook: generate puts them all there)
ASSIGNMENTS = sorted(p.name for p in (ROOT / "assignments" / "source").iterdir() if p.is_dir())
# The simulated class: each student hands in the perceptron assignment's solution or its untouched release.
CLASS = {"alice": "solutions", "bob": "assignments/release"}
MANUAL_SCORE = 1.5  # of 2 points, for alice's answer to the XOR question (grade_id answer_xor)


def nn_course(course, *args):
    """Run the ``nn-course`` command (in a subprocess: it runs asyncio, which Playwright's open loop forbids here)."""
    result = subprocess.run([sys.executable, "-m", "course_utils.instructor.cli", *args, "--course-dir", str(course)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"nn-course {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def graded_class(lab, tmp_path_factory):
    """The server's course, where alice and bob handed in the perceptron assignment, autograded by nn-course.

    The class is built while the server runs: the formgrader reads the course and its gradebook when a page asks.
    """
    if shutil.which("bwrap") is None:
        pytest.skip("nn-course autograde grades in a sandbox that needs bubblewrap: apt-get install bubblewrap")
    course, downloads = lab.root, tmp_path_factory.mktemp("downloads")
    nn_course(course, "generate", "perceptron")  # puts the assignment in the gradebook
    for student, folder in CLASS.items():
        (downloads / student / "perceptron").mkdir(parents=True)
        shutil.copy(course / folder / "perceptron" / "perceptron.ipynb", downloads / student / "perceptron")
    nn_course(course, "import", "perceptron", str(downloads))
    nn_course(course, "autograde", "perceptron", "--no-progress")
    return lab


def _notebook_submission_id(course, student):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gradebook:
        return gradebook.find_submission_notebook("perceptron", "perceptron", student).id


def test_formgrader_lists_the_class_and_a_score_given_by_hand_reaches_the_export(page, graded_class, screenshot,
                                                                                  tmp_path):
    expect = _expect()
    lab, course = graded_class, graded_class.root
    page.goto(lab.page_url("formgrader"))
    expect(page).to_have_url(re.compile(r"/formgrader/manage_assignments"))
    rows = page.locator("tbody#main-table tr").filter(has=page.locator("td.name"))
    expect(rows).to_have_count(len(ASSIGNMENTS), timeout=KERNEL_TIMEOUT_MS)
    for name in ASSIGNMENTS:
        row = rows.filter(has=page.locator("td.name", has_text=re.compile(rf"^\s*{name}\s*$")))
        expect(row).to_have_count(1)
        expect(row.locator("td.num-submissions")).to_have_text(str(len(CLASS) if name == "perceptron" else 0))
    screenshot(page, "assignments")

    page.goto(lab.page_url("formgrader/manage_submissions/perceptron"))
    submissions = page.locator("tbody#main-table tr")
    # alice's written answer waits for a grade by hand; bob's untouched release scores nothing automatically.
    for student, status, score in (("alice", "needs manual grading", "8 / 10"), ("bob", "graded", "0 / 10")):
        row = submissions.filter(has_text=student)
        expect(row).to_have_count(1)
        expect(row).to_contain_text(status)
        expect(row).to_contain_text(score)
    screenshot(page, "submissions")

    page.goto(lab.page_url(f"formgrader/submissions/{_notebook_submission_id(course, 'alice')}/"))
    score = page.locator("input.score#answer_xor")
    expect(score).to_be_visible()
    score.scroll_into_view_if_needed()
    with page.expect_response(lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT") as saved:
        score.fill(str(MANUAL_SCORE))
        score.press("Tab")  # the formgrader saves when the input changes (on blur)
    assert saved.value.ok, saved.value.status
    expect(score).to_have_value(str(MANUAL_SCORE))
    screenshot(score.locator("xpath=ancestor::div[contains(@class, 'nbgrader_cell')][1]"))

    grades = tmp_path / "grades.csv"
    nn_course(course, "export", "--to", str(grades))
    with open(grades, newline="") as fh:
        rows = {(r["assignment"], r["student_id"]): r for r in csv.DictReader(fh)}
    # alice: the 8 autograded points of the solution and the 1.5 given by hand; bob: nothing.
    assert float(rows[("perceptron", "alice")]["score"]) == 8 + MANUAL_SCORE
    assert float(rows[("perceptron", "bob")]["score"]) == 0
