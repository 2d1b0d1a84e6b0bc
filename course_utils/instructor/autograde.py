"""Autograde a whole class: in parallel or on a Dask cluster, with nbgrader's own grader, robust to broken submissions.

``autograde("perceptron", jobs=2)`` grades every submission of an assignment and returns an ``AutogradeSummary``: one
row per student, "graded" or "flagged" with the reasons, printable as a table and exportable as CSV.
``autograde("perceptron", scheduler="tcp://host:8786")`` sends each submission to a Dask cluster instead.

The steps of ``autograde`` (and why the result is exactly that of ``nbgrader autograde``):

1. **Find** (``_plan``): check the arguments and the course, load its configuration (``course.load_config``), find
   the submissions, hash every submitted file, and pack what every job needs into a ``Bundle``: the configuration,
   the assignment's source and a snapshot of the gradebook.
2. **Check** (``_LocalGrader`` / ``_DaskGrader``): that this machine can fork and sandbox, or that the cluster is
   reachable and its workers can sandbox.
3. **Grade**: each submission is one job, ``_grading_worker.grade_submission``: nbgrader's ``Autograde`` converter
   (same preprocessors, same configuration) in a scratch course with a private copy of the gradebook. Locally,
   ``jobs`` forked worker processes grade one submission at a time each; on a cluster each job is one Dask task that
   carries its inputs and returns its outputs (no shared filesystem). A job that hangs past a generous wall-clock
   limit is killed with its kernel; a crash is reported; neither stops the others.
4. **Merge** (``_record``): the instructor's process alone writes the course: it copies each submission's gradebook
   rows (grades, comments, timestamp, late penalty) into the course gradebook and writes its sanitised autograded
   notebooks, so the gradebook ends up holding the same values sequential grading writes, whatever the order.
5. **Report** (``_report``): the submitted files are hashed again (submissions are never modified, and the summary
   says so), and every student gets a row.

The gradebook stays nbgrader's: ``nbgrader formgrader``, ``generate_feedback`` and ``export`` work unchanged.
"""
from __future__ import annotations

import csv
import multiprocessing
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import wait

from .._validation import check_positive_int, check_positive_number
from .course import CourseError, coursedir, ensure_tools_on_path, file_digests, student_folders

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
    scheduler: str | None = None  # the Dask scheduler's address when graded on a cluster

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
                   f"flagged, in {self.seconds:.1f} s ({per:.2f} s per submission, "
                   + (f"on the Dask cluster at {self.scheduler})" if self.scheduler else f"{self.jobs} job(s))"))
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

    rows = []
    with Gradebook(coursedir(course_dir).db_url) as gb:
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



# ----------------------------------------------------------------------------------------------------------------------
# 1. Find


@dataclass
class _Plan:
    """Everything one grading run works from, checked: the course, the submissions, the job inputs, the limits."""

    assignment: str
    course_dir: str
    coursedir: object  # nbgrader.coursedir.CourseDirectory of the course
    students: list  # the students asked for, sorted
    found: dict  # {student: submission folder} of those who submitted
    bundle: object  # _grading_worker.Bundle
    wall_limit: float
    sandbox: bool
    limits: object  # sandbox.Limits
    before: dict = field(default_factory=dict)  # {student: file_digests of the submission before grading}


def _plan(assignment, course_dir, students, timeout, sandbox, limits, wall_limit) -> _Plan:
    """Check the arguments and the course; find the submissions; pack the inputs every job shares."""
    from nbgrader.api import Gradebook, MissingEntry

    from ._grading_worker import Bundle, pack
    from .sandbox import Limits

    if not isinstance(assignment, str) or not assignment:
        raise TypeError(f"assignment must be an assignment id (a non-empty str), got {assignment!r}")
    if timeout is not None:
        check_positive_number(timeout, "timeout (seconds per cell, or None for the configuration's)")
    if wall_limit is not None:
        check_positive_number(wall_limit, "wall_limit (seconds per submission, or None)")
    if students is not None:
        students = [students] if isinstance(students, str) else list(students)
        if not all(isinstance(s, str) and s for s in students):
            raise TypeError(f"students must be student ids (non-empty str), got {students!r}")
    limits = Limits() if limits is None else limits
    if not isinstance(limits, Limits):
        raise TypeError(f"limits must be a course_utils.instructor.sandbox.Limits, got {limits!r}")
    if not os.path.isdir(os.fspath(course_dir)):
        raise CourseError(f"course_dir {os.fspath(course_dir)!r} is not a folder; pass the course root "
                          "(the folder holding nbgrader_config.py)")

    ensure_tools_on_path()  # nbgrader shells out to `alembic` when it creates a gradebook
    cd = coursedir(course_dir)
    config = cd.config
    db_path = _sqlite_path(cd.db_url)
    if not os.path.isfile(db_path):  # opening it would create an empty one
        raise CourseError(f"there is no gradebook at {db_path}: generate {assignment!r} first (`nn-course generate "
                          f"{assignment}` or `nbgrader generate_assignment {assignment}`)")
    with Gradebook(cd.db_url) as gb:
        try:
            notebooks = gb.find_assignment(assignment).notebooks
            n_cells = sum(len(nb.source_cells) for nb in notebooks) + 5 * len(notebooks)
        except MissingEntry:
            raise CourseError(f"assignment {assignment!r} is not in the gradebook {db_path}; generate it first "
                              f"(`nn-course generate` or `nbgrader generate_assignment {assignment}`)") from None
    found = student_folders("submitted", assignment, coursedir_=cd)
    students = list(found) if students is None else sorted(set(students))
    found = {s: str(found[s]) for s in students if s in found}

    per_cell = timeout if timeout is not None else config.Execute.get("timeout", 30) or 30
    with tempfile.TemporaryDirectory(prefix="nn-course-snapshot-") as tmp:
        snapshot = os.path.join(tmp, "gradebook.db")
        with sqlite3.connect(db_path) as src, sqlite3.connect(snapshot) as dst:
            src.backup(dst)
        with open(snapshot, "rb") as fh:
            gradebook = fh.read()
    bundle = Bundle(assignment=assignment, config=config, gradebook=gradebook, timeout=timeout,
                    source=pack(cd.format_path(cd.source_directory, ".", assignment)), sandbox=bool(sandbox),
                    limits=asdict(limits))
    return _Plan(assignment=assignment, course_dir=cd.root, coursedir=cd, students=students, found=found,
                 bundle=bundle, wall_limit=wall_limit or max(120.0, float(per_cell) * n_cells * 2),
                 sandbox=bool(sandbox), limits=limits, before={s: file_digests(path) for s, path in found.items()})


def _sqlite_path(db_url: str) -> str:
    if not db_url.startswith("sqlite:///"):
        raise CourseError(f"nn-course autograde needs a SQLite gradebook (sqlite:///...), got db_url={db_url!r}; "
                          "grade with plain `nbgrader autograde` instead")
    return db_url[len("sqlite:///"):]


# ----------------------------------------------------------------------------------------------------------------------
# 2-3. Check and grade: on this machine (forked workers) or on a Dask cluster.
#
# A grader yields (student, outcome) as jobs finish. An outcome is grade_submission's dict, or a failure:
# {"failure": "error" | "died" | "overdue", "error": text, "exitcode": int | None}.


def _worker_main(conn, bundle, log_path, concurrent) -> None:
    """A forked grading process: grades the submissions the parent sends, one at a time, until it is sent None.

    It lives in a session of its own, so the parent can kill it with everything it started; its stdout and stderr go
    to ``log_path``. A long-lived worker pays Python's and nbgrader's per-process warm-up once, not per submission
    (forking a fresh process per submission costs about a third more CPU). ``bundle`` is inherited from the parent.
    Its kernels get their share of the cores among the ``concurrent`` workers (``sandbox.thread_variables``).
    """
    from .sandbox import thread_variables

    os.setsid()
    os.environ.update(thread_variables(concurrent))
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
        student, submission, workdir = task
        try:
            outcome = grade_submission(bundle, student, submission, workdir)
        except BaseException:
            outcome = {"failure": "error", "error": traceback.format_exc()}
        _kill_descendants(os.getpid())  # a kernel nbclient failed to shut down, or anything student code started
        try:
            conn.send(outcome)
        except (BrokenPipeError, OSError):
            break
    os._exit(0)


class _Worker:
    """The parent's handle on one forked worker process and the submission it is grading."""

    def __init__(self, ctx, bundle, log_path, concurrent):
        self.conn, child_conn = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child_conn, bundle, log_path, concurrent), daemon=False)
        self.proc.start()
        child_conn.close()
        self.student = None
        self.started = 0.0

    def give(self, student: str, submission: bytes, workdir: str) -> None:
        self.student, self.started = student, time.monotonic()
        self.conn.send((student, submission, workdir))

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


class _LocalGrader:
    """``jobs`` forked worker processes on this machine (Linux, macOS; the sandbox needs Linux)."""

    def __init__(self, plan: _Plan, jobs: int):
        if "fork" not in multiprocessing.get_all_start_methods():
            raise CourseError(f"nn-course autograde forks its grading processes, which {sys.platform} cannot do; use "
                              "Linux, macOS or WSL, or grade one by one with `nbgrader autograde ASSIGNMENT`.")
        if plan.sandbox:
            from .sandbox import check_sandbox

            check_sandbox(plan.limits)
        from . import _grading_worker  # noqa: F401  imported once here, inherited by every forked worker

        self.plan, self.jobs = plan, jobs

    def results(self):
        from ._grading_worker import pack

        plan = self.plan
        ctx = multiprocessing.get_context("fork")
        queue = list(plan.found)
        workers = []
        with tempfile.TemporaryDirectory(prefix=f"nn-course-autograde-{plan.assignment}-") as tmp:
            log_path = os.path.join(tmp, "workers.log")
            try:
                concurrent = min(self.jobs, len(queue))
                workers += [_Worker(ctx, plan.bundle, log_path, concurrent) for _ in range(concurrent)]
                while queue or any(w.student for w in workers):
                    for w in workers:
                        if w.student is None and queue:
                            student = queue.pop(0)
                            workdir = tempfile.mkdtemp(prefix="job-", dir=tmp)
                            w.give(student, pack(plan.found[student]), workdir)
                    busy = [w for w in workers if w.student is not None]
                    ready = set(wait([w.conn for w in busy] + [w.proc.sentinel for w in busy], timeout=1.0))
                    for i, w in enumerate(workers):
                        if w.student is None:
                            continue
                        outcome = _received(w.conn) if w.conn in ready else None
                        died = outcome is None and w.proc.sentinel in ready
                        overdue = outcome is None and not died and time.monotonic() - w.started > plan.wall_limit
                        if outcome is None and not (died or overdue):
                            continue
                        student, w.student = w.student, None
                        if died or overdue:
                            w.kill()
                            outcome = {"failure": "overdue" if overdue else "died", "exitcode": w.proc.exitcode}
                            if queue:
                                workers[i] = _Worker(ctx, plan.bundle, log_path, concurrent)
                        yield student, outcome
                for w in workers:
                    w.stop()
                workers.clear()
            finally:
                for w in workers:  # interrupted (Ctrl-C) or failed: leave no grading process behind
                    w.kill()


def _received(conn):
    """A worker's outcome; None if the pipe broke (the worker died)."""
    try:
        return conn.recv()
    except (EOFError, OSError):
        return None


class _DaskGrader:
    """One Dask task per submission on the cluster whose scheduler is at ``address`` (``dask.distributed``).

    A task carries the submission and the (scattered) bundle and returns grade_submission's outcome: workers need no
    shared filesystem, only this package, nbgrader and (for the sandbox) bubblewrap. If a worker dies with a task,
    the scheduler gives it to another worker (Dask's ``allowed-failures``); the outcome is recorded once, when its
    future completes.
    """

    CONNECT_TIMEOUT = 10  # seconds to reach the scheduler

    def __init__(self, plan: _Plan, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise CourseError("--scheduler needs Dask's distributed package: pip install 'nn-course[cluster]' "
                              "(or `pip install distributed`)") from None
        from ._dask_tasks import GraderPlugin, check_worker

        self.plan = plan
        try:
            self.client = Client(address, timeout=self.CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError, ValueError) as exc:
            raise CourseError(f"could not reach the Dask scheduler at {address!r} within {self.CONNECT_TIMEOUT} s "
                              f"({type(exc).__name__}: {exc}); start one with `dask scheduler` and workers with "
                              f"`dask worker {address}`, or grade on this machine without --scheduler") from None
        try:
            workers = self.client.scheduler_info()["workers"]
            if not workers:
                raise CourseError(f"the Dask scheduler at {address} has no workers: start some with "
                                  f"`dask worker {address}` on the grading machines")
            problems = self.client.run(check_worker, plan.sandbox, asdict(plan.limits))
            self.client.register_plugin(GraderPlugin(), name=GraderPlugin.name)
            bad = {addr: text for addr, text in problems.items() if text}
            if bad:
                raise CourseError("Dask workers that cannot grade: " + "; ".join(f"{a}: {t}" for a, t in bad.items()))
        except BaseException:
            self.client.close()
            raise

    def results(self):
        from distributed import as_completed

        from ._dask_tasks import grade_on_worker
        from ._grading_worker import pack

        plan = self.plan
        try:
            bundle = self.client.scatter(plan.bundle, broadcast=True, hash=False)
            futures = {self.client.submit(grade_on_worker, bundle, student, pack(folder), plan.wall_limit,
                                          key=f"nn-course-autograde-{plan.assignment}-{student}-{os.getpid()}-"
                                              f"{time.time_ns()}", pure=False): student
                       for student, folder in plan.found.items()}
            for future in as_completed(futures, loop=self.client.loop):  # not the default client: there may be none
                student = futures[future]
                try:
                    outcome = future.result()
                except Exception as exc:  # e.g. KilledWorker: the job killed every worker it was given to
                    outcome = {"failure": "error", "error": f"{type(exc).__name__}: {exc}"}
                future.release()
                yield student, outcome
        finally:
            self.client.close()


# ----------------------------------------------------------------------------------------------------------------------
# 4. Merge


def _record(gb, plan: _Plan, student: str, outcome: dict) -> dict:
    """Write one job's outcome into the course (gradebook rows, autograded notebooks); return its summary row."""
    from nbgrader.api import MissingEntry

    from .grades import score_of

    flags, notes = [], []
    target = plan.coursedir.format_path(plan.coursedir.autograded_directory, student, plan.assignment)
    if "failure" not in outcome:
        if outcome["rows"] is not None:
            _merge(gb, plan.assignment, student, outcome["rows"])
        for finding in outcome["findings"]:
            (flags if finding["flag"] else notes).append(finding["text"])
        _write_autograded(target, outcome["autograded"])
    else:
        _write_autograded(target, {})  # what nbgrader leaves when it fails: no autograded folder
        if outcome["failure"] == "overdue":
            flags.append(f"grading took longer than {plan.wall_limit:.0f} s and was stopped: not graded")
        elif outcome["failure"] == "died":
            flags.append(f"the grading process died (exit code {outcome.get('exitcode')}): not graded")
        else:
            lines = [ln.strip() for ln in (outcome.get("error") or "").splitlines() if ln.strip()]
            flags.append("grading failed" + (f": {lines[-1]}" if lines else "") + ": not graded")
    try:
        scores = score_of(gb.find_submission(plan.assignment, student))
    except MissingEntry:  # nothing recorded for it
        scores = {"score": None, "max_score": None, "by_hand": None}
    return {"status": "flagged" if flags else "graded", "score": scores["score"], "max_score": scores["max_score"],
            "by_hand": scores["by_hand"], "reasons": flags + notes}


def _merge(gb, assignment: str, student: str, rows: dict) -> None:
    """Write one submission's rows (from a job's private gradebook) into the course gradebook."""
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


def _write_autograded(target: str, files: dict) -> None:
    """Replace the folder ``autograded/<student>/<assignment>`` by ``files`` ({name: bytes}; none: no folder)."""
    if os.path.islink(target) or os.path.isfile(target):
        os.unlink(target)
    elif os.path.isdir(target):
        shutil.rmtree(target)
    if not files:
        return
    os.makedirs(target)
    for name, data in files.items():
        if os.path.basename(name) != name or name in (".", ".."):
            continue  # publish_notebooks only returns plain names; never write outside the folder
        with open(os.path.join(target, name), "wb") as fh:
            fh.write(data)


# ----------------------------------------------------------------------------------------------------------------------
# 5. Report and the whole run


def _report(plan: _Plan, rows: dict, jobs: int, scheduler, seconds: float) -> AutogradeSummary:
    """The summary: one row per student asked for, flagged where the submission is missing or changed meanwhile."""
    summary = AutogradeSummary(assignment=plan.assignment, jobs=jobs, sandbox=plan.sandbox, seconds=seconds,
                               scheduler=scheduler)
    for student in plan.students:
        if student not in plan.found:
            folder = os.path.relpath(plan.coursedir.format_path(plan.coursedir.submitted_directory, student,
                                                                plan.assignment), plan.course_dir)
            row = {"status": "flagged", "score": None, "max_score": None, "by_hand": None,
                   "reasons": [f"no submission: {folder} does not exist"]}
        else:
            row = rows[student]
            before, after = plan.before[student], file_digests(plan.found[student])
            if after != before:
                changed = sorted(p for p in set(after) | set(before) if after.get(p) != before.get(p))
                row["status"] = "flagged"
                row["reasons"].append(f"submitted files changed during grading: {', '.join(changed)}")
        summary.rows.append({"student": student, "assignment": plan.assignment, **row})
    return summary


def autograde(assignment, *, course_dir=".", students=None, jobs=1, timeout=None, progress=True, sandbox=True,
              limits=None, wall_limit=None, scheduler=None) -> AutogradeSummary:
    """Autograde every submission of ``assignment`` with nbgrader, ``jobs`` at a time or on a Dask cluster.

    assignment: the assignment id (a folder under ``source/`` already in the gradebook, i.e. generated).
    course_dir: the nbgrader course root (holds ``nbgrader_config.py``, ``submitted/``, ``gradebook.db``).
    students: student ids to grade (default: every folder ``submitted/<student>/<assignment>``).
    jobs: number of submissions graded at once on this machine (one kernel each); 2 on a 2-core machine.
    timeout: seconds each cell may run (nbgrader's ``Execute.timeout``; default: the course config, else 30).
    progress: show a progress bar (done, flagged, left, time left) on stderr.
    sandbox: run every kernel in the sandbox (``sandbox.py``; Linux with bubblewrap). False grades without it and
        says so in the summary: only for code you trust.
    limits: a ``sandbox.Limits`` (memory, processes, CPU time, file size per kernel); default ``Limits()``.
    wall_limit: seconds after which one submission's grading is stopped (default: twice the per-cell timeout for
        every cell, and at least 2 minutes); nbgrader's per-cell timeout normally ends a runaway cell long before.
    scheduler: the address of a Dask scheduler (e.g. ``"tcp://10.0.0.5:8786"``): grade on its workers instead of
        ``jobs`` local processes (needs the ``cluster`` extra: ``distributed``).

    Returns an ``AutogradeSummary``. Scores, gradebook rows and autograded notebooks are those sequential
    ``nbgrader autograde --force`` produces; the course is written by this process only.
    Raises ``CourseError`` (with what to do) for a problem of the course, the machine or the cluster.
    """
    from nbgrader.api import Gradebook
    from tqdm.auto import tqdm

    check_positive_int(jobs, "jobs (submissions graded at once)")
    if scheduler is not None and (not isinstance(scheduler, str) or not scheduler):
        raise TypeError(f"scheduler must be a Dask scheduler address (str, e.g. 'tcp://host:8786'), got {scheduler!r}")
    start = time.perf_counter()
    plan = _plan(assignment, course_dir, students, timeout, sandbox, limits, wall_limit)        # 1. find
    grader = _DaskGrader(plan, scheduler) if scheduler else _LocalGrader(plan, jobs)            # 2. check
    rows, counts = {}, {"graded": 0, "flagged": 0}
    bar = tqdm(total=len(plan.found), desc=f"autograde {assignment}", unit="sub", disable=not progress,
               bar_format="{desc}: {n_fmt}/{total_fmt} done{postfix} |{bar}| {elapsed} elapsed, {remaining} left")
    with Gradebook(plan.coursedir.db_url) as gb:
        for student, outcome in grader.results():                                                # 3. grade
            rows[student] = row = _record(gb, plan, student, outcome)                            # 4. merge
            counts[row["status"]] += 1
            bar.set_postfix_str(f"{counts['graded']} graded, {counts['flagged']} flagged, "
                                f"{len(plan.found) - len(rows)} left", refresh=False)
            bar.update(1)
    bar.close()
    return _report(plan, rows, jobs, scheduler, time.perf_counter() - start)                     # 5. report


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
