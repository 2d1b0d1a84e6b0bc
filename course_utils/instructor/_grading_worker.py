"""Grade one submission with nbgrader's own autograder, in a scratch copy of the course.

``grade_submission(task)`` runs in a forked worker process (see ``autograde.py``), one submission after another.
It builds a scratch course holding only this assignment's source and this student's submission, plus a private copy
of the course gradebook, and runs ``nbgrader.converters.Autograde`` on it: the same converter and preprocessors as
``nbgrader autograde``, so scores, gradebook rows and autograded notebooks are exactly nbgrader's.
Then it copies the autograded folder into the real course and writes ``result.json``: nbgrader's success and log, the
gradebook rows of this submission (the parent merges them into the course gradebook, the only writer) and the findings.

Why a scratch course: student code runs with its working directory inside the course, so a relative path such as
``../../../gradebook.db`` or ``../../../source/...`` would reach the instructor's files. Here it reaches the scratch
copy; the worker notices the write and reports it, and the real course is never touched.
"""
from __future__ import annotations

import ast
import hashlib
import json
import logging
import os
import re
import shutil
import traceback

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import DeduplicateIds, Execute
from nbgrader.utils import capture_log
from traitlets.config import Config

from ._grading_checks import INTEGRITY_CODE, INTEGRITY_EXPR, Finding, NotebookSpec, inspect_autograded, inspect_submitted

__all__ = ["grade_submission", "WatchedExecute", "DeduplicateCells", "file_digests"]

# notebook name -> list of replaced functions, filled by WatchedExecute in this (one-submission) process.
_REPLACED: dict[str, list[str]] = {}


class WatchedExecute(Execute):
    """nbgrader's ``Execute`` plus one silent check after the last cell: which library functions were replaced.

    The check runs with ``silent=True`` and ``store_history=False``: it adds no output, no execution count and
    nothing to the notebook, so the autograded notebook and the scores are those of plain ``Execute``.
    """

    def preprocess_cell(self, cell, resources, index):
        cell, resources = super().preprocess_cell(cell, resources, index)
        if index == len(self.nb.cells) - 1:
            notebook = resources.get("nbgrader", {}).get("notebook", "?")
            try:
                msg_id = self.kc.execute(INTEGRITY_CODE, silent=True, store_history=False,
                                         user_expressions={"r": INTEGRITY_EXPR})
                reply = self.wait_for_reply(msg_id)
                result = reply["content"]["user_expressions"]["r"]
                if result.get("status") == "ok":
                    _REPLACED[notebook] = ast.literal_eval(result["data"]["text/plain"])
            except Exception as exc:  # a dead or stuck kernel: nbgrader reports that on its own
                self.log.warning("integrity check skipped for %s: %s", notebook, exc)
        return cell, resources


class DeduplicateCells(DeduplicateIds):
    """nbgrader's ``DeduplicateIds``, fixed: an earlier copy of a cell becomes a plain cell.

    nbgrader 0.9.6 leaves ``metadata.nbgrader = {}`` on it, which its own ``CheckCellMetadata`` then rejects as
    "an old version of the nbgrader metadata format": ``nbgrader autograde`` stops the whole class at that student.
    Removing the key instead grades the last copy, which is what ``DeduplicateIds`` means to do; notebooks without
    duplicated cells go through unchanged, so their results are exactly nbgrader's.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        cell, resources = super().preprocess_cell(cell, resources, cell_index)
        if "nbgrader" in cell.metadata and not cell.metadata.nbgrader:
            del cell.metadata["nbgrader"]
        return cell, resources


def file_digests(root: str, skip: str | None = None) -> dict[str, str]:
    """SHA-256 of every file under ``root`` (relative path -> hex digest), skipping the subtree ``skip``."""
    digests = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if skip is not None and os.path.abspath(dirpath) == os.path.abspath(skip):
            dirnames[:] = []
            continue
        for fname in filenames:
            path = os.path.join(dirpath, fname)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            digests[os.path.relpath(path, root)] = h.hexdigest()
    return digests


def _submission_rows(gb: Gradebook, assignment: str, student: str) -> dict | None:
    """The gradebook rows nbgrader's autograde writes for one submission, as plain JSON-able values."""
    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return None
    rows = {"timestamp": sub.timestamp.isoformat() if sub.timestamp else None, "notebooks": {}}
    for nb in sub.notebooks:
        rows["notebooks"][nb.name] = {
            "late_submission_penalty": nb.late_submission_penalty,
            "grades": {g.name: {"auto_score": g.auto_score, "manual_score": g.manual_score,
                                "extra_credit": g.extra_credit, "needs_manual_grade": bool(g.needs_manual_grade)}
                       for g in nb.grades},
            "comments": {c.name: {"auto_comment": c.auto_comment, "manual_comment": c.manual_comment}
                         for c in nb.comments},
        }
    return rows


_EXCEPTION_LINE = re.compile(r"^\s*(?:[A-Za-z_][\w.]*\.)?([A-Za-z_]\w*(?:Error|Exception|Interrupt|Exit)):?\s*(.*)$")


def _failure_finding(result: dict) -> Finding:
    """One sentence for a submission nbgrader failed on, from the exception it logged."""
    text = (result.get("log") or "") + "\n" + (result.get("error") or "")
    exceptions = [m.groups() for m in map(_EXCEPTION_LINE.match, text.splitlines())
                  if m and m.group(1) not in ("NbGraderException",)]
    name, message = exceptions[-1] if exceptions else ("", "")
    if name == "DeadKernelError" or "Kernel died" in text:
        return Finding(True, "the kernel died while running the notebook (os._exit, a crash or out of memory?): "
                             "nbgrader recorded no scores for it")
    if name in ("CellTimeoutError", "UnresponsiveKernelError"):
        return Finding(True, "a cell ran past the time limit and did not stop when interrupted "
                             "(it catches KeyboardInterrupt?): nbgrader recorded no scores for it")
    if "No notebooks found" in text or "No notebooks were matched" in text:
        return Finding(True, "nbgrader found no notebook of this assignment to grade")
    if name:
        return Finding(True, f"nbgrader could not grade it: {name}: {message}"[:300])
    lines = [ln for ln in (result.get("error") or "").strip().splitlines() if ln.strip()]
    return Finding(True, "nbgrader could not grade it: " + (lines[-1].strip() if lines else "see the log"))


def grade_submission(task: dict) -> dict:
    """Grade ``task['student']``'s submission of ``task['assignment']``; return (and write) the result dict.

    task keys: course_root, config (dict for traitlets ``Config``), assignment, student, snapshot_db (a copy of the
    course gradebook), workdir (empty scratch folder), timeout (seconds per cell or None).
    """
    _REPLACED.clear()  # a worker process grades many submissions, one after the other
    workdir = task["workdir"]
    assignment, student = task["assignment"], task["student"]
    scratch = os.path.join(workdir, "course")

    config = Config(task["config"])
    real = CourseDirectory(config=config)
    real.root = task["course_root"]
    coursedir = CourseDirectory(config=config)
    coursedir.root = scratch
    db_path = os.path.join(workdir, "gradebook.db")
    shutil.copyfile(task["snapshot_db"], db_path)
    coursedir.db_url = "sqlite:///" + db_path

    # The scratch course: this assignment's source and this student's submission, nothing else.
    for step, sid in ((real.source_directory, "."), (real.submitted_directory, student)):
        src = real.format_path(step, sid, assignment)
        if os.path.isdir(src):
            shutil.copytree(src, coursedir.format_path(step, sid, assignment), symlinks=True)
    scratch_autograded = coursedir.format_path(real.autograded_directory, student, assignment)
    before = file_digests(scratch)

    specs = []
    with Gradebook(coursedir.db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            specs.append(NotebookSpec.from_gradebook(nb))
    findings = inspect_submitted(coursedir.format_path(real.submitted_directory, student, assignment), specs)

    chain = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [WatchedExecute if cls is Execute else cls for cls in chain]
    chain = config.Autograde.get("sanitize_preprocessors") or Autograde.class_traits()["sanitize_preprocessors"].default()
    config.Autograde.sanitize_preprocessors = [DeduplicateCells if cls is DeduplicateIds else cls for cls in chain]
    if task.get("timeout") is not None:
        config.Execute.timeout = int(task["timeout"])
    timeout = config.Execute.timeout if "timeout" in config.Execute else Execute.timeout.default_value

    coursedir.assignment_id = assignment
    coursedir.student_id = student
    log = logging.getLogger(f"nn_course.autograde.{student}")
    log.setLevel(logging.INFO)
    log.propagate = False
    converter = Autograde(coursedir=coursedir, config=config, log=log)
    converter.force = True
    converter.create_student = True
    try:
        outcome = capture_log(converter)
    except BaseException:  # capture_log already catches Exception; SystemExit from coursedir.fail lands here
        outcome = {"success": False, "error": traceback.format_exc(), "log": ""}

    if not outcome["success"]:
        failure = _failure_finding(outcome)
        # A notebook the checks above already found unreadable needs no second, vaguer sentence.
        if not (failure.text.startswith("nbgrader could not grade it") and any(f.flag for f in findings)):
            findings.append(failure)
    findings += inspect_autograded(scratch_autograded, specs, timeout)
    for notebook, names in sorted(_REPLACED.items()):
        if names:
            findings.append(Finding(True, f"'{notebook}.ipynb' replaced {', '.join(names)}: "
                                          "scores of tests that use them cannot be trusted"))

    with Gradebook(coursedir.db_url) as gb:
        rows = _submission_rows(gb, assignment, student)
        if rows is not None and outcome["success"]:
            done = {f.text.split("'")[1] for f in findings if f.text.startswith("graded ")}
            for spec in specs:
                grades = rows["notebooks"].get(spec.name, {}).get("grades", {})
                for grade_id, (points, manual) in spec.grade_cells.items():
                    g = grades.get(grade_id)
                    if g and not manual and g["needs_manual_grade"] and grade_id not in done:
                        findings.append(Finding(True, f"test cell '{grade_id}' of '{spec.name}.ipynb' needs manual "
                                                      "grading: nbgrader could not score it"))

    after = file_digests(scratch, skip=scratch_autograded)
    written = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    if written:
        shown = ", ".join(written[:3]) + (f" and {len(written) - 3} more" if len(written) > 3 else "")
        findings.append(Finding(True, f"wrote into the course directory ({shown}); "
                                      "it wrote into a scratch copy, the course was not changed"))

    # Publish the autograded folder exactly as nbgrader left it (nbgrader removes it when grading fails).
    real_autograded = real.format_path(real.autograded_directory, student, assignment)
    if os.path.lexists(real_autograded):
        shutil.rmtree(real_autograded)
    if os.path.isdir(scratch_autograded):
        os.makedirs(os.path.dirname(real_autograded), exist_ok=True)
        shutil.copytree(scratch_autograded, real_autograded, symlinks=True)

    result = {"success": bool(outcome["success"]), "log": outcome.get("log", ""), "error": outcome.get("error"),
              "rows": rows, "findings": [[f.flag, f.text] for f in findings]}
    with open(os.path.join(workdir, "result.json.part"), "w") as fh:
        json.dump(result, fh)
    os.replace(os.path.join(workdir, "result.json.part"), os.path.join(workdir, "result.json"))
    return result
