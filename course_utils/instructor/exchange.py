"""nbgrader's exchange from the instructor's side: release an assignment, collect the submissions, release feedback.

On a JupyterHub every user's server sees one shared folder, the *exchange* (``c.Exchange.root``):

    <root>/<course_id>/outbound/<assignment>/     what ``release_assignment`` publishes; students fetch it
    <root>/<course_id>/inbound/<student>+<assignment>+<timestamp>+<random>/   what students submit
    <root>/<course_id>/feedback/<hash>.html       what ``release_feedback`` publishes; each student finds only the
                                                  files whose name derives from the secret of their own submission

Students fetch, submit and fetch feedback from JupyterLab's *Assignments* tab (nbgrader's ``assignment_list``
server extension); the instructor runs ``nn-course release``, ``collect`` and ``release-feedback``, which call
nbgrader's own exchange classes (``ExchangeFactory``: ``ReleaseAssignment``, ``Collect``, ``ReleaseFeedback``)
after checking what they need, so that a missing step gets a message saying what to do. They assume nbgrader's
default exchange, a folder; another exchange plugin (``c.ExchangeFactory``, e.g. a web service) is not supported.

Where the exchange is: ``--exchange PATH``, else ``c.Exchange.root`` of the course's ``nbgrader_config.py``, else
the one of an ``nbgrader_config.py`` that Jupyter reads (``jupyter --paths``, e.g. ``/etc/jupyter`` on a hub, where
every user's server reads the same one). There is no silent default: without one the commands say how to set it.

``nn-course feedback`` keeps only HTML files in ``feedback/``; nbgrader's ``ReleaseFeedback`` also needs each
submission's ``timestamp.txt`` and ``submission_secret.txt``, so :func:`release_feedback` hands it a temporary copy
of the feedback with those two files taken from ``submitted/`` (where ``collect`` put them).
"""
import os
import re
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .course import (CourseError, Report, check_assignment, coursedir, load_config, run_nbgrader, student_folder,
                     student_folders)
from .submissions import _STUDENT_ID  # the ids nn-course import accepts: each names a folder
_SECRET = re.compile(r"^[0-9a-f]{16,256}$")  # nbgrader writes secrets.token_hex(64)


@dataclass
class ExchangeReport(Report):
    """What one exchange command did: ``done`` maps a student (or the assignment) to what happened; ``problems``
    lists ``(who, reason)`` for what was left out; ``notes`` lists ``(who, what)`` worth knowing."""

    action: str
    assignment: str
    exchange: Path
    done: dict = field(default_factory=dict)

    def lines(self):
        return [f"{self.assignment}: {self.action} {len(self.done)} (exchange: {self.exchange})"] + \
            [f"  {who}: {what}" for who, what in sorted(self.done.items())]


def exchange_config(course_dir=".", exchange=None):
    """The course's traitlets ``Config`` with the exchange's settings completed (see the module docstring).

    exchange: the exchange root folder, overriding every configuration file (``--exchange``).
    Raises ``CourseError`` when no exchange root is configured or the course has no ``course_id``.
    """
    config = load_config(course_dir)  # the course's file, over the nbgrader_config.py files Jupyter reads
    if exchange is not None:
        config.Exchange.root = str(Path(exchange).expanduser().resolve())
    if "root" not in config.Exchange:
        raise CourseError(
            "no exchange configured: set c.Exchange.root in nbgrader_config.py (on a hub, to the folder that every "
            "user's server mounts, e.g. /srv/nbgrader/exchange; see deploy/) or pass --exchange PATH"
        )
    if not config.CourseDirectory.get("course_id"):
        raise CourseError("the exchange keeps each course apart by its id: set c.CourseDirectory.course_id in "
                          "nbgrader_config.py")
    config.CourseDirectory.student_id = "*"  # the instructor acts for every student (a student's config may set one)
    return config


def _exchange_root(config, create=False):
    """The exchange root as a Path, checked: it exists (or, with ``create``, can be created) and is writable."""
    root = Path(config.Exchange.root)
    if root.exists() and not root.is_dir():
        raise CourseError(f"the exchange {root} is not a folder: fix c.Exchange.root or pass --exchange PATH")
    if not root.exists():
        if not create:
            raise CourseError(f"the exchange {root} does not exist: nothing has been released there yet "
                              "(`nn-course release ASSIGNMENT`), or c.Exchange.root / --exchange names the wrong "
                              "folder")
        parent = next((p for p in root.parents if p.exists()), None)
        if parent is None or not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
            raise CourseError(f"cannot create the exchange {root}: create it as an administrator, writable by "
                              f"every user's server (e.g. `sudo mkdir -p {root} && sudo chmod 777 {root}`)")
    elif not os.access(root, os.W_OK | os.X_OK):
        raise CourseError(f"the exchange {root} is not writable for you: nbgrader needs it writable by every "
                          f"user (as an administrator: `sudo chmod 777 {root}`)")
    return root


def _exchange_app(kind, config, **attrs):
    """One of nbgrader's exchange classes (``kind``: ReleaseAssignment, Collect, ReleaseFeedback) for the course."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory

    coursedir = CourseDirectory(config=config)
    app = getattr(ExchangeFactory(config=config), kind)(
        coursedir=coursedir, authenticator=Authenticator(config=config), config=config)
    for name, value in attrs.items():
        setattr(app, name, value)
    return app


def _run(app, what):
    """Run an nbgrader exchange app; raise ``CourseError`` with its log if it fails; return its log."""
    from nbgrader.utils import capture_log

    return run_nbgrader(capture_log(app), what)


def _notebooks(folder):
    return sorted(p.name for p in Path(folder).glob("*.ipynb"))


def release_assignment(assignment, course_dir=".", exchange=None, force=False):
    """Publish ``assignments/release/<assignment>/`` to the exchange, where students fetch it.

    force: replace an assignment already released (students who fetched it keep their copy).
    Returns an :class:`ExchangeReport`; ``done`` maps the assignment to the outbound folder.
    """
    check_assignment(assignment, course_dir)
    config = exchange_config(course_dir, exchange)
    root = _exchange_root(config, create=True)
    release = student_folder("release", ".", assignment, course_dir)
    if not _notebooks(release):
        raise CourseError(f"{assignment!r} has no student version yet ({release}): run "
                          f"`nn-course generate {assignment}` first")
    outbound = root / config.CourseDirectory.course_id / "outbound" / assignment
    if outbound.exists() and not force:
        raise CourseError(f"{assignment!r} is already released ({outbound}); students may have fetched it: pass "
                          "--force to replace it (those who fetched it keep their copy)")
    app = _exchange_app("ReleaseAssignment", config, force=force)
    app.coursedir.assignment_id = assignment
    _run(app, f"release {assignment!r}")
    report = ExchangeReport("released", assignment, root)
    report.done[assignment] = f"{', '.join(_notebooks(outbound))} in {outbound}"
    return report


def _submission_time(folder):
    path = Path(folder) / "timestamp.txt"
    return path.read_text().strip() if path.is_file() else None


def collect_submissions(assignment, course_dir=".", exchange=None, students=None):
    """Copy each student's latest submission of ``assignment`` from the exchange into ``submitted/<student>/``
    (or wherever the course's ``directory_structure`` puts it).

    A student collected before is updated when the exchange holds a newer submission. students: only these ids.
    Returns an :class:`ExchangeReport`: ``done`` maps each student to what happened; ``problems`` lists the
    exchange entries left out (a name that is not a usable student id).
    """
    check_assignment(assignment, course_dir)
    config = exchange_config(course_dir, exchange)
    root = _exchange_root(config)
    course = root / config.CourseDirectory.course_id
    inbound = course / "inbound"
    report = ExchangeReport("collected", assignment, root)
    by_student = {}
    for entry in sorted(inbound.glob(f"*+{assignment}+*")) if inbound.is_dir() else []:
        student = entry.name.rsplit("+", 3)[0]
        if entry.name.count("+") < 2 or not _STUDENT_ID.match(student):
            report.problems.append((entry.name, "not collected: not a usable student id (letters, digits and "
                                                ". _ @ - only)"))
            continue
        by_student.setdefault(student, []).append(entry)
    if students:
        unknown = sorted(set(students) - set(by_student))
        if unknown:
            raise CourseError(f"no submission of {assignment!r} in the exchange from: {', '.join(unknown)}")
        by_student = {s: by_student[s] for s in students}
    if not by_student and not report.problems:
        hint = ("" if (course / "outbound" / assignment).is_dir()
                else f"; it was never released: run `nn-course release {assignment}` first")
        raise CourseError(f"nothing to collect: no student has submitted {assignment!r} to the exchange yet "
                          f"({inbound}){hint}")
    cd = coursedir(course_dir)
    for student in sorted(by_student):
        submitted = student_folder("submitted", student, assignment, coursedir_=cd)
        before = _submission_time(submitted)
        app = _exchange_app("Collect", config, update=True)
        app.coursedir.assignment_id = assignment
        app.coursedir.student_id = student
        log = _run(app, f"collect {student}'s submission of {assignment!r}")
        after = _submission_time(submitted)
        if before is None:
            report.done[student] = f"new submission of {after}"
        elif before != after:
            report.done[student] = f"updated: submission of {after} replaces the one of {before}"
        else:
            report.done[student] = f"unchanged: already collected the submission of {after}"
        if "cheating attempt?" in log:
            owner = re.search(r"is owned by (\S+?);", log)
            report.notes.append((student, f"the submission's files belong to the unix user "
                                          f"{owner.group(1) if owner else '(unknown)'}, not {student}: the id is "
                                          "what the student's server declared (normal where every server runs as "
                                          "one user, e.g. jovyan on Zero to JupyterHub; see the README)"))
    return report


def release_feedback(assignment, course_dir=".", exchange=None, students=None):
    """Publish the feedback in ``feedback/<student>/<assignment>/*.html`` (or wherever the course's
    ``directory_structure`` puts it) to the exchange, for each student to fetch.

    Each file is published under a name derived from the secret of the submission it grades, which only that
    student's server holds. Feedback is released only for submissions collected through the exchange (they carry
    nbgrader's ``submission_secret.txt``) and graded as collected (the autograded ``timestamp.txt`` matches).
    students: only these ids. Returns an :class:`ExchangeReport`; ``problems`` lists the students left out and why.
    """
    check_assignment(assignment, course_dir)
    config = exchange_config(course_dir, exchange)
    root = _exchange_root(config)
    cd = coursedir(course_dir)
    feedback = {student: folder for student, folder in student_folders("feedback", assignment, coursedir_=cd).items()
                if any(folder.glob("*.html"))}
    with_feedback = sorted(feedback)
    if students:
        missing = sorted(set(students) - set(with_feedback))
        if missing:
            raise CourseError(f"no feedback of {assignment!r} for {', '.join(missing)}: run "
                              f"`nn-course feedback {assignment}` first")
        with_feedback = sorted(students)
    if not with_feedback:
        raise CourseError(f"no feedback of {assignment!r} to release: run `nn-course autograde {assignment}` and "
                          f"`nn-course feedback {assignment}` first")
    report = ExchangeReport("released feedback to", assignment, root)
    secret_of = {}
    with tempfile.TemporaryDirectory(prefix="nn-course-feedback-") as staging:
        staged = {}
        for student in with_feedback:
            sub = student_folder("submitted", student, assignment, coursedir_=cd)
            secret_file = sub / "submission_secret.txt"
            secret = secret_file.read_text().strip() if secret_file.is_file() else ""
            if not secret:
                report.problems.append((student, f"not submitted through the exchange (no {secret_file}): hand "
                                                 f"back {feedback[student]} another way"))
                continue
            if not _SECRET.match(secret):
                report.problems.append((student, f"{secret_file} is not a secret nbgrader wrote (hexadecimal): "
                                                 "collect the submission again"))
                continue
            taken = _submission_time(sub)
            graded = _submission_time(student_folder("autograded", student, assignment, coursedir_=cd))
            if graded is not None and graded != taken:
                report.problems.append((student, f"the feedback grades the submission of {graded}, but the one "
                                                 f"collected is of {taken}: run `nn-course autograde {assignment} "
                                                 f"--student {student}` and `nn-course feedback {assignment}` "
                                                 "again"))
                continue
            folder = Path(cd.format_path(staging, student, assignment))  # the course's layout, in the staging folder
            folder.mkdir(parents=True)
            htmls = sorted(feedback[student].glob("*.html"))
            for html in htmls:
                shutil.copyfile(html, folder / html.name)
            (folder / "submission_secret.txt").write_text(secret)
            (folder / "timestamp.txt").write_text(taken or "")
            staged[student], secret_of[student] = [html.name for html in htmls], secret
        if staged:
            config.CourseDirectory.feedback_directory = staging  # an absolute folder: nbgrader reads it as is
            app = _exchange_app("ReleaseFeedback", config)
            app.coursedir.assignment_id = assignment
            _run(app, f"release the feedback of {assignment!r}")
    from nbgrader.utils import notebook_hash

    published = root / config.CourseDirectory.course_id / "feedback"
    for student, names in staged.items():
        absent = [name for name in names
                  if not (published / f"{notebook_hash(secret=secret_of[student], notebook_id=name[:-len('.html')])}"
                                      ".html")
                  .is_file()]
        if absent:
            report.problems.append((student, f"nbgrader did not publish {', '.join(absent)} (its log may say why)"))
        else:
            report.done[student] = ", ".join(names)
    return report
