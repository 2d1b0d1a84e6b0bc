"""Grade one submission with nbgrader's own autograder, in a scratch course; nothing of the real course is touched.

``grade_submission(bundle, student, submission, workdir)`` is the whole job. It runs in a forked worker of
``autograde.py`` on this machine, or in a warm grading process on a Dask worker (``_dask_tasks.py``; ``main``): the
inputs are plain bytes, so a worker needs no shared filesystem. ``bundle`` (a ``Bundle``) holds what every submission
of the assignment shares: the configuration, the assignment's source folder and a snapshot of the gradebook;
``submission`` is the student's folder, packed with ``pack``.

It unpacks a scratch course in ``workdir`` holding only this assignment's source, this student's submission and a
private copy of the gradebook, and runs ``nbgrader.converters.Autograde`` on it: the same converter and preprocessors
as ``nbgrader autograde``, so scores, gradebook rows and autograded notebooks are exactly nbgrader's.
The kernel runs in the sandbox (``sandbox.py``), with the integrity check after every cell (``WatchedExecute``);
the submitted code is scanned statically first (``code_scan.py``). It returns a dict: nbgrader's success and log,
the gradebook rows of this submission, the findings (``diagnostics.Finding`` dicts) and the autograded notebooks,
sanitised (``publish.py``), as ``{file name: bytes}``. The instructor's process alone writes them into the course.

Why a scratch course: nbgrader itself (not the student's kernel, which sees none of it) reads the sources and writes
a gradebook; in the scratch course they are copies. With ``--no-sandbox`` the kernel runs in the scratch course too:
a relative path such as ``../../../gradebook.db`` reaches the copy, and the worker reports the write.
"""
from __future__ import annotations

import io
import json
import logging
import os
import re
import sys
import tarfile
import traceback
from dataclasses import dataclass, field

import nbformat
from nbformat.v4.rwbase import rejoin_lines
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import DeduplicateIds, Execute
from nbgrader.utils import capture_log
from traitlets import Bool, Unicode
from traitlets.config import Config

from .diagnostics import Finding, NotebookSpec, inspect_autograded, inspect_submitted, listed
from .course import file_digests
from ._kernel_guard import GUARD_CODE, GUARD_EXPR, compare, parse
from .code_scan import scan_notebook
from .publish import publish_notebooks
from .sandbox import SandboxedKernelManager

__all__ = ["Bundle", "grade_submission", "pack", "unpack", "WatchedExecute", "DeduplicateCells"]


@dataclass
class Bundle:
    """What every submission of one assignment needs, built once by the instructor's process and sent to the workers.

    assignment: its id; config: the course's nbgrader configuration (a traitlets ``Config``); source: the folder
    ``source/<assignment>/``, packed; gradebook: the bytes of a snapshot of ``gradebook.db`` (SQLite);
    timeout: seconds per cell or None (the configuration's); sandbox: run the kernels in the sandbox; limits: the
    ``sandbox.Limits`` fields. Folders the kernel may read (the data) are the worker's own ``NN_COURSE_DATA``.
    """

    assignment: str
    config: object
    source: bytes
    gradebook: bytes
    timeout: float | None = None
    sandbox: bool = True
    limits: dict = field(default_factory=dict)


def pack(folder) -> bytes:
    """The folder as an uncompressed tar archive in memory (symbolic links kept as links, never followed)."""
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        tar.add(os.fspath(folder), arcname=".", recursive=True)
    return out.getvalue()


def unpack(data: bytes, folder) -> None:
    """Recreate a folder packed by ``pack`` in ``folder`` (created). tarfile's "tar" filter keeps every member
    inside ``folder`` and drops special bits; links are recreated as they were (they are a submission's evidence)."""
    os.makedirs(folder, exist_ok=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r") as tar:
        tar.extractall(folder, filter="tar")

class WatchedExecute(Execute):
    """nbgrader's ``Execute`` in the sandbox, with the integrity check before the first cell and after every cell.

    The kernel is started by ``sandbox.SandboxedKernelManager`` (unless ``sandbox`` is False). The check (see
    ``_kernel_guard``), defined before the first cell and run after every code cell, runs with ``silent=True`` and
    ``store_history=False``: it adds no output, no execution count
    and nothing to the notebook, so the autograded notebook and the scores are those of plain ``Execute``.
    What it finds is appended to ``report_path`` (JSON lines), one finding per problem, at the first cell that shows it.
    """

    sandbox = Bool(True, help="run the kernel in the sandbox").tag(config=True)
    report_path = Unicode("", help="file the integrity findings are appended to").tag(config=True)

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.sandbox:
            self.kernel_manager_class = SandboxedKernelManager

    def preprocess(self, nb, resources=None, km=None):
        self._baseline, self._reported = {}, set()
        self._notebook = (resources or {}).get("nbgrader", {}).get("notebook", "?")
        return super().preprocess(nb, resources, km)

    def _report(self, finding: Finding) -> None:
        if not self.report_path or (finding.kind, finding.detail) in self._reported:
            return
        self._reported.add((finding.kind, finding.detail))
        with open(self.report_path, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(finding.to_dict()) + "\n")

    def _guard(self, label: str | None, trusted: bool = False) -> None:
        try:  # the check is defined once, before the first cell (running its definition costs more than the check)
            msg_id = self.kc.execute(GUARD_CODE if label is None else "", silent=True, store_history=False,
                                     user_expressions={"guard": GUARD_EXPR})
            report = parse(self.wait_for_reply(msg_id)["content"])
        except Exception:  # a dead or stuck kernel: nbgrader reports that on its own
            return
        nb = f"'{self._notebook}.ipynb'"
        where = "before the first cell" if label is None else f"after cell {label}"
        if report is None:
            self._report(Finding(True, f"the integrity check did not answer {where} of {nb}: code in the notebook "
                                       "interferes with it, so no score of it can be trusted",
                                 kind="guard", notebook=self._notebook, cell=label, detail="no answer"))
            return
        changed = compare(self._baseline, report)
        if changed and trusted:  # the instructor's own cell (e.g. importing TensorFlow adds import hooks)
            self._baseline.update({key: report["tokens"][key] for key in changed})
        elif changed and label is not None:
            self._report(Finding(True, f"cell {label} of {nb} replaced {listed(sorted(changed))}: the scores of the tests after it "
                                       "cannot be trusted", kind="tampering", notebook=self._notebook, cell=label,
                                 detail=",".join(sorted(changed))))
        fresh: dict[str, list[str]] = {}
        for kind, name, where_from in report.get("problems", []):
            if (kind, name) not in self._reported:
                self._reported.add((kind, name))
                fresh.setdefault(kind, []).append(name if kind != "module" else f"{name} ({where_from})")
        for kind, names in sorted(fresh.items()):
            shown = listed(names)
            what = {"module": f"has modules that are not the installed ones: {shown}",
                    "replaced": f"replaced {shown} with code of its own",
                    "hook": f"replaced {shown} (IPython's machinery) with code of its own",
                    "thread": f"started threads running code of its own: {shown}"}.get(kind, f"changed {shown}")
            cell = "before the first cell" if label is None else f"cell {label}"
            self._report(Finding(True, f"{cell} of {nb} {what}: the scores of the tests after it cannot be trusted",
                                 kind="tampering", notebook=self._notebook, cell=label,
                                 detail=f"{kind}:{','.join(names)}"))

    def preprocess_cell(self, cell, resources, index):
        if index == 0:
            self._guard(None)
        cell, resources = super().preprocess_cell(cell, resources, index)
        if cell.get("cell_type") != "code":
            return cell, resources  # nothing ran
        meta = cell.get("metadata", {}).get("nbgrader", {})
        grade_id = meta.get("grade_id")
        # nbgrader has restored every locked cell from the gradebook: those are the instructor's code
        self._guard(f"'{grade_id}'" if grade_id else f"#{index + 1}",
                    trusted=bool(meta.get("locked")) and not meta.get("solution"))
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
        return Finding(True, "the kernel died while running the notebook (os._exit, a crash, or a sandbox limit: "
                             "memory, processes, CPU time, file size): nbgrader recorded no scores for it",
                       kind="failure", detail="dead_kernel")
    if name in ("CellTimeoutError", "UnresponsiveKernelError"):
        return Finding(True, "a cell ran past the time limit and did not stop when interrupted "
                             "(it catches KeyboardInterrupt?): nbgrader recorded no scores for it",
                       kind="failure", detail="timeout")
    if "No notebooks found" in text or "No notebooks were matched" in text:
        return Finding(True, "nbgrader found no notebook of this assignment to grade", kind="failure",
                       detail="no_notebook")
    if name:
        return Finding(True, f"nbgrader could not grade it: {name}: {message}"[:300], kind="failure",
                       detail="nbgrader_error")
    lines = [ln for ln in (result.get("error") or "").strip().splitlines() if ln.strip()]
    return Finding(True, "nbgrader could not grade it: " + (lines[-1].strip() if lines else "see the log"),
                   kind="failure", detail="nbgrader_error")


def _scan(submitted: str, source_dir: str, specs) -> list[Finding]:
    """Findings of the static scan (``code_scan``) of every submitted notebook that can be read."""
    findings = []
    for spec in specs:
        path = os.path.join(submitted, f"{spec.name}.ipynb")
        try:
            with open(path, encoding="utf-8") as fh:
                nb = rejoin_lines(nbformat.from_dict(json.load(fh)))
            cells = nb["cells"]
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue  # missing or unreadable: inspect_submitted says so
        if not isinstance(cells, list):
            continue
        off_limits = []
        try:
            source = nbformat.read(os.path.join(source_dir, f"{spec.name}.ipynb"), as_version=4)
            off_limits = list(source.metadata.get("nn_course", {}).get("off_limits", []))
        except (OSError, ValueError):
            pass
        hits = scan_notebook(nb, spec.locked_cells, off_limits)
        for label, hit in hits:
            code = f": {hit.code}" if hit.code else ""
            findings.append(Finding(True, f"cell {label} of '{spec.name}.ipynb', line {hit.line}, {hit.what}{code}",
                                    kind="static", notebook=spec.name, cell=label, detail=f"{hit.line}:{hit.what}"))
    return findings


def grade_submission(bundle: Bundle, student: str, submission: bytes, workdir: str) -> dict:
    """Grade ``student``'s submission (their folder, packed) of ``bundle.assignment`` in the empty folder ``workdir``.

    Returns a dict: success (nbgrader's), log, error, rows (the gradebook rows of this submission, or None),
    findings (list of ``Finding`` dicts) and autograded (``{file name: bytes}``: the sanitised autograded notebooks
    and nbgrader's timestamp.txt; empty when nbgrader could not grade it).
    """
    assignment = bundle.assignment
    scratch = os.path.join(workdir, "course")
    config = Config(bundle.config)
    coursedir = CourseDirectory(config=config)
    coursedir.root = scratch
    db_path = os.path.join(workdir, "gradebook.db")
    with open(db_path, "wb") as fh:
        fh.write(bundle.gradebook)
    coursedir.db_url = "sqlite:///" + db_path

    # The scratch course: this assignment's source and this student's submission, nothing else.
    source_dir = coursedir.format_path(coursedir.source_directory, ".", assignment)
    submitted = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    unpack(bundle.source, source_dir)
    unpack(submission, submitted)
    scratch_autograded = coursedir.format_path(coursedir.autograded_directory, student, assignment)
    before = file_digests(scratch)

    specs = []
    with Gradebook(coursedir.db_url) as gb:
        for nb in gb.find_assignment(assignment).notebooks:
            specs.append(NotebookSpec.from_gradebook(nb))
    findings = inspect_submitted(submitted, specs)
    findings += _scan(submitted, source_dir, specs)

    chain = config.Autograde.get("autograde_preprocessors") or Autograde.class_traits()["autograde_preprocessors"].default()
    config.Autograde.autograde_preprocessors = [WatchedExecute if cls is Execute else cls for cls in chain]
    chain = config.Autograde.get("sanitize_preprocessors") or Autograde.class_traits()["sanitize_preprocessors"].default()
    config.Autograde.sanitize_preprocessors = [DeduplicateCells if cls is DeduplicateIds else cls for cls in chain]
    if bundle.timeout is not None:
        config.Execute.timeout = int(bundle.timeout)
    report_path = os.path.join(workdir, "guard.jsonl")
    config.WatchedExecute.report_path = report_path
    config.WatchedExecute.sandbox = bool(bundle.sandbox)
    config.SandboxedKernelManager.socket_dir = os.path.join(workdir, "ipc")
    config.SandboxedKernelManager.limits = dict(bundle.limits or {})
    config.SandboxedKernelManager.data_dirs = os.pathsep.join(
        d for d in os.environ.get("NN_COURSE_DATA", "").split(os.pathsep) if d)
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
        if not (failure.detail == "nbgrader_error" and any(f.flag for f in findings)):
            findings.append(failure)
    findings += inspect_autograded(scratch_autograded, specs, timeout)
    if os.path.exists(report_path):
        with open(report_path, encoding="utf-8") as fh:
            findings += [Finding.from_dict(json.loads(line)) for line in fh if line.strip()]

    with Gradebook(coursedir.db_url) as gb:
        rows = _submission_rows(gb, assignment, student)
        if rows is not None and outcome["success"]:
            done = {f.detail for f in findings if f.kind == "deleted_cell"}
            for spec in specs:
                grades = rows["notebooks"].get(spec.name, {}).get("grades", {})
                for grade_id, (points, manual) in spec.grade_cells.items():
                    g = grades.get(grade_id)
                    if g and not manual and g["needs_manual_grade"] and grade_id not in done:
                        findings.append(Finding(True, f"test cell '{grade_id}' of '{spec.name}.ipynb' needs manual "
                                                      "grading: nbgrader could not score it", kind="unscored",
                                                notebook=spec.name, cell=f"'{grade_id}'", detail=grade_id))

    after = file_digests(scratch, skip=scratch_autograded)
    written = sorted(p for p in set(before) | set(after) if before.get(p) != after.get(p))
    if written:
        findings.append(Finding(True, f"wrote into the course directory ({listed(written, 3)}); "
                                      "it wrote into a scratch copy, the course was not changed", kind="wrote_course",
                                detail=",".join(written)))

    # The autograded notebooks, sanitised, and nothing else (nbgrader removes the folder when grading fails).
    published = os.path.join(workdir, "published")
    findings += publish_notebooks(scratch_autograded, published, [spec.name for spec in specs])
    autograded = {}
    if os.path.isdir(published):
        for name in sorted(os.listdir(published)):
            with open(os.path.join(published, name), "rb") as fh:
                autograded[name] = fh.read()
    return {"success": bool(outcome["success"]), "log": outcome.get("log", ""), "error": outcome.get("error"),
            "rows": rows, "findings": [f.to_dict() for f in findings], "autograded": autograded}


def grade_folder(folder: str) -> None:
    """Grade the job in ``folder/job.pickle`` (``(bundle, student, submission)``, written by the instructor's own
    process) in ``folder/work`` and write the outcome to ``folder/result.pickle``."""
    import pickle

    with open(os.path.join(folder, "job.pickle"), "rb") as fh:
        bundle, student, submission = pickle.load(fh)  # noqa: S301  written by the instructor's process, not a student
    workdir = os.path.join(folder, "work")
    os.makedirs(workdir)
    try:
        result = grade_submission(bundle, student, submission, workdir)
    except BaseException:
        result = {"failure": "error", "error": traceback.format_exc()}
    with open(os.path.join(folder, "result.pickle.part"), "wb") as fh:
        pickle.dump(result, fh)
    os.replace(os.path.join(folder, "result.pickle.part"), os.path.join(folder, "result.pickle"))


def main(argv=None) -> int:
    """``python -m course_utils.instructor._grading_worker --serve``: a warm grading process (see
    ``autograde._GradingServer``). It reads job folders, one per line, on stdin, grades each with ``grade_folder``,
    ends what the job started (a kernel nbclient failed to stop) and answers ``done`` on stdout; it stops at the end
    of stdin. Imports (about 3 s of nbgrader, nbformat and jsonschema) are paid once, not per submission.
    """
    args = sys.argv[1:] if argv is None else argv
    if args != ["--serve"]:
        print("this is the grading process of nn-course autograde's Dask workers (see autograde.py), not a command",
              file=sys.stderr)
        return 2
    answers = os.fdopen(os.dup(1), "w")  # the protocol's own channel; fd 1 goes to the log like fd 2
    os.dup2(2, 1)
    from .autograde import _kill_descendants

    for line in sys.stdin:
        grade_folder(line.rstrip("\n"))
        _kill_descendants(os.getpid())  # as the local workers do after each job
        answers.write("done\n")
        answers.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
