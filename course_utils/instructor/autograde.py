"""Autograde a whole class: in parallel, with nbgrader's own grader, robust to broken submissions.

``autograde("perceptron", jobs=2)`` grades every submission of an assignment and returns an ``AutogradeSummary``: one
row per student, "graded" or "flagged" with the reasons, printable as a table and exportable as CSV.

How it works (and why the result is exactly that of ``nbgrader autograde``):

1. The parent takes a snapshot of the course gradebook (nbgrader's ``gradebook.db``) and hashes every submitted file.
2. ``jobs`` forked worker processes grade one submission at a time each, with nbgrader's ``Autograde`` converter
   (same preprocessors, same configuration from the course's ``nbgrader_config.py``), in a scratch copy of the
   course with a private copy of the gradebook. A submission that hangs past a generous wall-clock limit is killed
   with its worker and kernel, and a fresh worker takes over; a crash is reported; neither stops the others.
3. The parent alone writes to the course gradebook: it copies each submission's rows (grades, comments, timestamp,
   late penalty) from the private copy, so the gradebook ends up holding the same values sequential grading writes.
4. Afterwards the submitted files are hashed again: submissions are never modified, and the summary says so.

The gradebook stays nbgrader's: ``nbgrader formgrader``, ``generate_feedback`` and ``export`` work unchanged.
"""
from __future__ import annotations

import csv
import dataclasses
import glob
import hashlib
import json
import multiprocessing
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import dataclass, field
from multiprocessing.connection import wait

__all__ = ["autograde", "AutogradeSummary", "gradebook_rows"]

_COLUMNS = ("student", "assignment", "status", "score", "max_score", "by_hand", "reasons")
NO_SANDBOX_WARNING = ("WARNING: graded without the sandbox (--no-sandbox): the students' code ran with your rights, "
                      "your files and the network within reach; these results prove nothing about hostile code.")


def printable(text) -> str:
    """``text`` with control characters escaped (\\x1b, \\r, ...), so that it cannot rewrite a terminal or a CSV row."""
    import unicodedata

    out = []
    for ch in str(text):
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") and ch != " ":
            out.append(ch.encode("unicode_escape").decode("ascii"))
        else:
            out.append(ch)
    return "".join(out)


@dataclass
class AutogradeSummary:
    """The outcome of grading one assignment for a class.

    rows: one dict per student, sorted by student id, with keys student, assignment, status ("graded" or "flagged"),
    score and max_score (floats, None when nbgrader recorded nothing), by_hand (the points still waiting to be graded
    by hand in formgrader, e.g. written answers; counted in max_score, not yet in score) and reasons (list of str: why
    it was flagged, plus notes such as a restored locked cell). ``seconds`` is the wall-clock time of the whole run.
    """

    assignment: str
    rows: list = field(default_factory=list)
    jobs: int = 1
    seconds: float = 0.0
    sandbox: bool = True

    @property
    def graded(self) -> int:
        """Number of submissions graded without a flag."""
        return sum(r["status"] == "graded" for r in self.rows)

    @property
    def flagged(self) -> list:
        """The rows that need the instructor's attention."""
        return [r for r in self.rows if r["status"] == "flagged"]

    def to_csv(self, path) -> str:
        """Write the rows as CSV (reasons joined by " | ") and return the path."""
        path = os.fspath(path)
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.DictWriter(fh, fieldnames=_COLUMNS)
            writer.writeheader()
            for row in self.rows:
                out = {key: printable(value) if isinstance(value, str) else value for key, value in row.items()}
                reasons = [printable(r) for r in row["reasons"]]
                if not self.sandbox:
                    reasons.append("graded without the sandbox (--no-sandbox)")
                out["reasons"] = " | ".join(reasons)
                out["score"] = "" if row["score"] is None else f"{row['score']:g}"
                out["max_score"] = "" if row["max_score"] is None else f"{row['max_score']:g}"
                out["by_hand"] = "" if row.get("by_hand") is None else f"{row['by_hand']:g}"
                writer.writerow(out)
        return path

    def __str__(self) -> str:
        header = ("student", "status", "score", "reasons")
        lines = []
        for r in self.rows:
            score = "-" if r["score"] is None else f"{r['score']:g}/{r['max_score']:g}"
            if r.get("by_hand") and r["status"] == "graded":  # a flagged row needs a look first, whatever it counts
                score += f" ({r['by_hand']:g} by hand)"
            lines.append((printable(r["student"]), r["status"], score, "; ".join(printable(x) for x in r["reasons"])))
        widths = [max([len(h)] + [len(line[i]) for line in lines]) for i, h in enumerate(header[:3])]
        fmt = "  ".join(f"{{:<{w}}}" for w in widths) + "  {}"
        out = [] if self.sandbox else [NO_SANDBOX_WARNING]
        out += [fmt.format(*header), fmt.format(*("-" * w for w in widths), "-" * 7)]
        out += [fmt.format(*line) for line in lines]
        per = self.seconds / len(self.rows) if self.rows else 0.0
        out.append(f"{self.assignment}: {len(self.rows)} submissions, {self.graded} graded, {len(self.flagged)} "
                   f"flagged, in {self.seconds:.1f} s ({per:.2f} s per submission, {self.jobs} job(s))")
        by_hand = sum(bool(r.get("by_hand")) for r in self.rows if r["status"] == "graded")
        if by_hand:
            out.append(f"{by_hand} graded submission(s) have answers to grade by hand: nbgrader's formgrader "
                       "(jupyter lab, Nbgrader > Formgrader); until then they count 0.")
        if not self.sandbox:
            out.append(NO_SANDBOX_WARNING)
        return "\n".join(out)

    def __repr__(self) -> str:
        return (f"AutogradeSummary({self.assignment!r}, {len(self.rows)} rows, {self.graded} graded, "
                f"{len(self.flagged)} flagged)")


def gradebook_rows(course_dir, assignment: str) -> list:
    """Everything autograding writes to the gradebook for ``assignment``, as sorted plain tuples without row ids.

    Students, submissions (timestamp), submitted notebooks (late penalty), grades (auto/manual score, extra credit,
    needs manual grade) and comments: two gradings of the same class are equal exactly when these lists are.
    """
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    course_dir = os.path.abspath(os.fspath(course_dir))
    coursedir = CourseDirectory(config=_load_config(course_dir))
    coursedir.root = course_dir
    rows = []
    with Gradebook(coursedir.db_url) as gb:
        rows += [("student", s.id) for s in gb.students]
        for sub in gb.find_assignment(assignment).submissions:
            student = sub.student.id
            rows.append(("submission", student, sub.timestamp))
            for nb in sub.notebooks:
                rows.append(("notebook", student, nb.name, nb.late_submission_penalty))
                rows += [("grade", student, nb.name, g.name, g.auto_score, g.manual_score, g.extra_credit,
                          bool(g.needs_manual_grade)) for g in nb.grades]
                rows += [("comment", student, nb.name, c.name, c.auto_comment, c.manual_comment)
                         for c in nb.comments]
    return sorted(rows, key=repr)


def _load_config(course_dir: str):
    """The nbgrader configuration as ``nbgrader autograde`` run in ``course_dir`` loads it: the user's and system
    ``nbgrader_config.py`` files (Jupyter config path, first one wins), then the course's own, which wins over all."""
    from jupyter_core.paths import jupyter_config_path
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    for folder in jupyter_config_path()[::-1] + [course_dir]:
        if os.path.isfile(os.path.join(folder, "nbgrader_config.py")):
            config.merge(PyFileConfigLoader("nbgrader_config.py", path=folder).load_config())
    if "AutogradeApp" in config:  # nbgrader's own compatibility rule
        config.Autograde.merge(config.AutogradeApp)
        del config.AutogradeApp
    return config


def _sha256(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _hash_tree(root: str) -> dict:
    out = {}
    for dirpath, _, filenames in os.walk(root):
        for fname in filenames:
            path = os.path.join(dirpath, fname)
            if os.path.isfile(path):
                out[os.path.relpath(path, root)] = _sha256(path)
    return out


def _check_platform() -> None:
    """Fail clearly where worker processes cannot be forked (Windows)."""
    if "fork" not in multiprocessing.get_all_start_methods():
        raise ValueError(f"nn-course autograde forks its grading processes, which {sys.platform} cannot do; use "
                         "Linux, macOS or WSL, or grade one by one with `nbgrader autograde ASSIGNMENT`.")


def _sqlite_path(db_url: str) -> str:
    if not db_url.startswith("sqlite:///"):
        raise ValueError(f"parallel autograde needs a SQLite gradebook (sqlite:///...), got db_url={db_url!r}; "
                         "grade with plain `nbgrader autograde` instead")
    return db_url[len("sqlite:///"):]


def _worker_main(conn, config, log_path) -> None:
    """A forked grading process: grades the submissions the parent sends, one at a time, until it is sent None.

    It lives in a session of its own, so the parent can kill it with everything it started; its stdout and stderr go
    to ``log_path``. A long-lived worker pays Python's and nbgrader's per-process warm-up once, not per submission
    (forking a fresh process per submission costs about a third more CPU).
    """
    os.setsid()
    log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(log, 1)
    os.dup2(log, 2)
    from ._grading_worker import grade_submission

    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            break
        if task is None:
            break
        try:
            grade_submission({**task, "config": config})
        except BaseException:
            with open(os.path.join(task["workdir"], "error.txt"), "w") as fh:
                fh.write(traceback.format_exc())
        _kill_descendants(os.getpid())  # a kernel nbclient failed to shut down, or anything student code started
        try:
            conn.send(task["student"])
        except (BrokenPipeError, OSError):
            break
    os._exit(0)


class _Worker:
    """The parent's handle on one worker process and the submission it is grading."""

    def __init__(self, ctx, config, log_path):
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child_conn, config, log_path), daemon=False)
        self.proc.start()
        child_conn.close()
        self.task = None
        self.started = 0.0

    def give(self, task: dict) -> None:
        self.task, self.started = task, time.monotonic()
        self.conn.send(task)

    def kill(self) -> None:
        _kill_descendants(self.proc.pid)
        _killpg(self.proc.pid)
        self.proc.join()
        self.conn.close()

    def stop(self) -> None:
        try:
            self.conn.send(None)
        except (BrokenPipeError, OSError):
            pass
        self.proc.join(timeout=10)
        if self.proc.is_alive():
            self.kill()


def _merge(gb, assignment: str, student: str, rows: dict) -> None:
    """Write one submission's rows (from a worker's private gradebook) into the course gradebook."""
    from nbgrader.utils import parse_utc
    from sqlalchemy.exc import SAWarning

    gb.update_or_create_student(student)
    with warnings.catch_warnings():  # nbgrader's add_submission trips SQLAlchemy's autoflush warning; harmless
        warnings.simplefilter("ignore", SAWarning)
        submission = gb.update_or_create_submission(assignment, student)
    submission.timestamp = parse_utc(rows["timestamp"]) if rows["timestamp"] else None
    notebooks = {nb.name: nb for nb in submission.notebooks}
    for name, nb_rows in rows["notebooks"].items():
        notebook = notebooks[name]
        notebook.late_submission_penalty = nb_rows["late_submission_penalty"]
        for table, key in ((notebook.grades, "grades"), (notebook.comments, "comments")):
            by_name = {row.name: row for row in table}
            for cell_id, values in nb_rows[key].items():
                for attr, value in values.items():
                    setattr(by_name[cell_id], attr, value)
    gb.db.commit()


def _score(gb, assignment: str, student: str):
    """(score, max_score, points waiting to be graded by hand) from the gradebook; Nones without a submission."""
    from nbgrader.api import MissingEntry

    try:
        sub = gb.find_submission(assignment, student)
    except MissingEntry:
        return None, None, None
    by_hand = sum(float(g.max_score) for nb in sub.notebooks for g in nb.grades
                  if g.needs_manual_grade and g.manual_score is None)
    return float(sub.score), float(sub.max_score), by_hand


def autograde(assignment, *, course_dir=".", students=None, jobs=1, timeout=None, progress=True, sandbox=True,
              limits=None, wall_limit=None) -> AutogradeSummary:
    """Autograde every submission of ``assignment`` with nbgrader, ``jobs`` submissions at a time.

    assignment: the assignment id (a folder under ``source/`` already in the gradebook, i.e. generated).
    course_dir: the nbgrader course root (holds ``nbgrader_config.py``, ``submitted/``, ``gradebook.db``).
    students: student ids to grade (default: every folder ``submitted/<student>/<assignment>``).
    jobs: number of submissions graded at once (one kernel each); 2 on a 2-core machine.
    timeout: seconds each cell may run (nbgrader's ``Execute.timeout``; default: the course config, else 30).
    progress: show a progress bar (done, flagged, left, time left) on stderr.
    sandbox: run every kernel in the sandbox (``sandbox.py``; Linux with bubblewrap). False grades without it and
        says so in the summary: only for code you trust.
    limits: a ``sandbox.Limits`` (memory, processes, CPU time, file size per kernel); default ``Limits()``.
    wall_limit: seconds after which one submission's grading is stopped (default: twice the per-cell timeout for
        every cell, and at least 2 minutes); nbgrader's per-cell timeout normally ends a runaway cell long before.

    Returns an ``AutogradeSummary``. Scores, gradebook rows and autograded notebooks are those sequential
    ``nbgrader autograde --force`` produces; the course gradebook is written by this process only.
    """
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.coursedir import CourseDirectory
    from tqdm.auto import tqdm

    from . import _grading_worker  # noqa: F401  imported once here, inherited by every forked job

    if not isinstance(assignment, str) or not assignment:
        raise TypeError(f"assignment must be an assignment id (a non-empty str), got {assignment!r}")
    if isinstance(jobs, bool) or not isinstance(jobs, int) or jobs < 1:
        raise ValueError(f"jobs must be an int >= 1 (submissions graded at once), got {jobs!r}")
    if timeout is not None and (isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0):
        raise ValueError(f"timeout must be a positive number of seconds per cell or None, got {timeout!r}")
    if students is not None:
        students = [students] if isinstance(students, str) else list(students)
        if not all(isinstance(s, str) and s for s in students):
            raise TypeError(f"students must be student ids (non-empty str), got {students!r}")
    course_dir = os.path.abspath(os.fspath(course_dir))
    if not os.path.isdir(course_dir):
        raise ValueError(f"course_dir {course_dir!r} is not a folder; pass the course root (with nbgrader_config.py)")
    from .sandbox import Limits, check_sandbox

    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a course_utils.instructor.sandbox.Limits, got {limits!r}")
    if wall_limit is not None and (isinstance(wall_limit, bool) or not isinstance(wall_limit, (int, float))
                                   or wall_limit <= 0):
        raise ValueError(f"wall_limit must be a positive number of seconds or None, got {wall_limit!r}")

    # nbgrader shells out to `alembic` when it creates a gradebook: make the venv's scripts reachable.
    bindir = os.path.dirname(sys.executable)
    if bindir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")

    config = _load_config(course_dir)
    coursedir = CourseDirectory(config=config)
    coursedir.root = course_dir
    _check_platform()
    if sandbox:
        check_sandbox(limits)
    db_path = _sqlite_path(coursedir.db_url)
    with Gradebook(coursedir.db_url) as gb:
        try:
            notebooks = gb.find_assignment(assignment).notebooks
            n_cells = sum(len(nb.source_cells) for nb in notebooks) + 5 * len(notebooks)
        except MissingEntry:
            raise ValueError(f"assignment {assignment!r} is not in the gradebook {db_path}; generate it first "
                             f"(`nn-course generate` or `nbgrader generate_assignment {assignment}`)") from None

    pattern = coursedir.format_path(coursedir.submitted_directory, "*", assignment)
    regexp = coursedir.format_path(re.escape(coursedir.submitted_directory), "(?P<student_id>[^/]+)",
                                   re.escape(assignment), escape=True)
    found = {}
    for path in glob.glob(pattern):
        m = re.fullmatch(regexp, path)
        if m and os.path.isdir(path):
            found[m.group("student_id")] = path
    students = sorted(found) if students is None else sorted(set(students))

    per_cell = timeout if timeout is not None else config.Execute.get("timeout", 30) or 30
    wall_limit = wall_limit or max(120.0, float(per_cell) * n_cells * 2)
    data_dirs = [d for d in os.environ.get("NN_COURSE_DATA", "").split(os.pathsep) if d]

    summary = AutogradeSummary(assignment=assignment, jobs=jobs, sandbox=bool(sandbox))
    results: dict[str, dict] = {}
    start = time.perf_counter()
    before = {s: _hash_tree(found[s]) for s in students if s in found}
    todo = [s for s in students if s in found]
    for s in students:
        if s not in found:
            folder = os.path.relpath(coursedir.format_path(coursedir.submitted_directory, s, assignment), course_dir)
            results[s] = {"status": "flagged", "score": None, "max_score": None, "by_hand": None,
                          "reasons": [f"no submission: {folder} does not exist"]}

    tmp = tempfile.mkdtemp(prefix=f"nn-course-autograde-{assignment}-")
    workers: list = []
    try:
        snapshot = os.path.join(tmp, "snapshot.db")
        with sqlite3.connect(db_path) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        ctx = multiprocessing.get_context("fork")
        bar = tqdm(total=len(todo), desc=f"autograde {assignment}", unit="sub", disable=not progress,
                   bar_format="{desc}: {n_fmt}/{total_fmt} done{postfix} |{bar}| {elapsed} elapsed, {remaining} left")
        counts = {"graded": 0, "flagged": 0}
        queue = list(todo)
        log_path = os.path.join(tmp, "workers.log")
        with Gradebook(coursedir.db_url) as gb:
            workers.extend(_Worker(ctx, config, log_path) for _ in range(min(jobs, len(todo))))
            while queue or any(w.task for w in workers):
                for w in workers:
                    if w.task is None and queue:
                        student = queue.pop(0)
                        workdir = os.path.join(tmp, f"job-{len(todo) - len(queue):05d}")
                        os.makedirs(workdir)
                        w.give({"course_root": course_dir, "assignment": assignment, "student": student,
                                "snapshot_db": snapshot, "workdir": workdir, "timeout": timeout,
                                "sandbox": bool(sandbox), "limits": dataclasses.asdict(limits),
                                "data_dirs": data_dirs})
                busy = [w for w in workers if w.task is not None]
                ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0))
                for i, w in enumerate(workers):
                    if w.task is None:
                        continue
                    done = w.conn in ready and _received(w.conn)
                    died = not done and w.proc.sentinel in ready
                    overdue = not done and not died and time.monotonic() - w.started > wall_limit
                    if not (done or died or overdue):
                        continue
                    task, exitcode = w.task, None
                    w.task = None
                    if died or overdue:
                        w.kill()
                        exitcode = w.proc.exitcode
                        if overdue:
                            shutil.rmtree(coursedir.format_path(coursedir.autograded_directory, task["student"],
                                                                assignment), ignore_errors=True)
                        if queue:
                            workers[i] = _Worker(ctx, config, log_path)
                    row = _collect(gb, assignment, task["student"], task["workdir"], exitcode, overdue, wall_limit)
                    results[task["student"]] = row
                    counts[row["status"]] += 1
                    left = len(queue) + sum(x.task is not None for x in workers)
                    bar.set_postfix_str(f"{counts['graded']} graded, {counts['flagged']} flagged, {left} left",
                                        refresh=False)
                    bar.update(1)
            bar.close()
            for w in workers:
                if w.proc.is_alive():
                    w.stop()
            workers.clear()
            for s in students:
                row = results[s]
                if s in found:
                    after = _hash_tree(found[s])
                    if after != before[s]:
                        changed = sorted(p for p in set(after) | set(before[s]) if after.get(p) != before[s].get(p))
                        row["status"] = "flagged"
                        row["reasons"].append(f"submitted files changed during grading: {', '.join(changed)}")
                summary.rows.append({"student": s, "assignment": assignment, **row})
    finally:
        for w in workers:  # interrupted (Ctrl-C) or failed: leave no grading process behind
            w.kill()
        shutil.rmtree(tmp, ignore_errors=True)
    summary.seconds = time.perf_counter() - start
    return summary


def _killpg(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_descendants(pid: int) -> None:
    """Kill every process under ``pid`` (kernels included: jupyter_client starts each kernel in a session of its own,
    so killing a worker's process group alone would leave a looping kernel behind)."""
    try:
        import psutil  # a dependency of ipykernel, so always present next to nbgrader

        descendants = psutil.Process(pid).children(recursive=True)
    except Exception:  # no such process any more, or no psutil
        return
    for child in descendants:
        _killpg(child.pid)
        try:
            child.kill()
        except Exception:
            pass


def _received(conn) -> bool:
    """Read a worker's "done" message; False if the pipe broke (the worker died)."""
    try:
        conn.recv()
        return True
    except (EOFError, OSError):
        return False


def _collect(gb, assignment, student, workdir, exitcode, overdue, wall_limit) -> dict:
    """Merge one finished job into the course gradebook and turn it into a summary row."""
    reasons_flag, reasons_note = [], []
    result_path = os.path.join(workdir, "result.json")
    if os.path.exists(result_path):
        with open(result_path) as fh:
            result = json.load(fh)
        if result["rows"] is not None:
            _merge(gb, assignment, student, result["rows"])
        for finding in result["findings"]:
            (reasons_flag if finding["flag"] else reasons_note).append(finding["text"])
    elif overdue:
        reasons_flag.append(f"grading took longer than {wall_limit:.0f} s and was stopped: not graded")
    else:
        error = os.path.join(workdir, "error.txt")
        lines = []
        if os.path.exists(error):
            with open(error, errors="replace") as fh:
                lines = [ln.strip() for ln in fh.read().splitlines() if ln.strip()]
        if exitcode is None:
            reasons_flag.append("grading failed" + (f": {lines[-1]}" if lines else "") + ": not graded")
        else:
            reasons_flag.append(f"the grading process died (exit code {exitcode}): not graded")
    score, max_score, by_hand = _score(gb, assignment, student)
    return {"status": "flagged" if reasons_flag else "graded", "score": score, "max_score": max_score,
            "by_hand": by_hand, "reasons": reasons_flag + reasons_note}
