"""Import students' submissions into nbgrader's ``submitted/<student>/<assignment>/`` folder.

Two layouts are accepted, as collected by hand or by a script (a learning-management system's own download is read
by ``nn-course import --from canvas|moodle|gradescope``, in ``lms.py``):

- a folder of folders: ``<source>/<student>/<assignment>/*.ipynb`` (other files in the assignment folder are copied
  along, ``.ipynb_checkpoints`` is skipped);
- a zip per student: ``<source>/<student>.zip`` holding the assignment's notebooks, either at the top of the archive,
  in an ``<assignment>/`` folder, or anywhere inside a single enclosing folder.

The submitted files are copied unchanged (byte for byte); each submission gets nbgrader's ``timestamp.txt`` with the
modification time of what was imported, which nbgrader uses for late-submission penalties.
Nothing is graded here: run ``nn-course autograde`` next.

**Why not nbgrader's ``zip_collect`` (``ZipCollectApp``).** It was tried on these layouts (nbgrader 0.9:
``nbgrader zip_collect perceptron --collector=...`` with a ``FileNameCollectorPlugin`` whose ``named_regexp`` takes
the student id from the name of the zip's folder under ``extracted/``). It imports well-formed zips, but:

1. one corrupt zip stops the whole import with a traceback (its ``ExtractorPlugin`` does not catch the error);
2. one zip holding two copies of a notebook (``perceptron.ipynb`` and ``old/perceptron.ipynb``) stops the whole
   import ("Duplicate submission file. No timestamps for comparison", exit status 1), nobody's work imported;
3. it writes ``timestamp.txt`` only from a time in the file *name*, so nbgrader would count every late zip or folder
   on time (here: the modification time of what was handed in);
4. it works inside the course (``downloaded/<assignment>/archive/`` and ``extracted/``) and refuses to run again while
   ``extracted/`` or a student's ``submitted/`` folder is not empty, unless ``--force``, which clears them all (here:
   ``--keep-existing`` skips and reports one student at a time);
5. it only logs what it skips, so it cannot give the per-student list of problems that ``nn-course import`` prints
   and turns into exit status 1;
6. it takes the student id as the regexp finds it, without checking that it makes a usable folder name.

The LMS downloads (``lms.py``), whose files need their names parsed, do use its pieces: ``FileNameCollectorPlugin``
and ``nbgrader.utils.unzip``. Here the student is the name of a folder or a zip, and the copy below is shorter than
working around the six points above.
"""
import datetime
import re
import shutil
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from .course import CourseError, Report, check_assignment, coursedir, student_folder

_STUDENT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")
_SKIP_PARTS = {".ipynb_checkpoints", "__MACOSX", "__pycache__"}


@dataclass
class ImportReport(Report):
    """What an import did: ``imported`` maps student id to the copied file names; ``problems`` lists
    ``(student or path, reason)`` for every submission or file that was skipped; ``notes`` lists ``(who, what)`` for
    what was done on purpose and should be known (an older resubmission left out, a lateness recorded)."""

    assignment: str
    imported: dict = field(default_factory=dict)

    def lines(self):
        return [f"{self.assignment}: imported {len(self.imported)} submission(s)"] + \
            [f"  {student}: {', '.join(files)}" for student, files in sorted(self.imported.items())]


def _timestamp(mtime):
    """nbgrader's timestamp format (UTC)."""
    return datetime.datetime.fromtimestamp(mtime, tz=datetime.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f %Z")


def _check_student(student):
    if not _STUDENT_ID.match(student):
        raise CourseError(
            f"{student!r} is not a usable student id: use letters, digits and . _ @ - only (it names a folder)"
        )


def _copy_folder(src, dest):
    """Copy the files of ``src`` (recursively, skipping checkpoints) into ``dest``; return the copied names."""
    copied = []
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src)
        if path.is_dir() or _SKIP_PARTS.intersection(rel.parts):
            continue
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, target)
        copied.append(str(rel))
    return copied


def _zip_notebooks(archive, assignment):
    """The notebook members to import from a student's zip: ``{file name: member name}``.

    Prefers members inside an ``<assignment>/`` folder; otherwise takes the notebooks of the archive if they all sit
    in one folder. Raises CourseError naming what is wrong.
    """
    members = []
    for info in archive.infolist():
        parts = PurePosixPath(info.filename).parts
        if info.is_dir() or not parts or _SKIP_PARTS.intersection(parts) or parts[-1].startswith("._"):
            continue
        if parts[-1].endswith(".ipynb"):
            members.append(PurePosixPath(info.filename))
    if not members:
        names = [i.filename for i in archive.infolist()][:5]
        raise CourseError(f"the zip holds no notebook (.ipynb); it holds {names or 'nothing'}")
    in_assignment = [m for m in members if assignment in m.parts[:-1]]
    chosen = in_assignment or members
    folders = {m.parent for m in chosen}
    if len(folders) > 1:
        raise CourseError(
            f"the zip holds notebooks in several folders ({', '.join(sorted(str(f) for f in folders))}); "
            f"put the notebooks of {assignment!r} in one folder named {assignment}/"
        )
    return {m.name: str(m) for m in chosen}


def import_submissions(source, assignment, course_dir=".", *, students=None, overwrite=True):
    """Copy the submissions of ``assignment`` found in ``source`` into the course's ``submitted/`` folder.

    source: a folder with ``<student>/<assignment>/*.ipynb`` sub-folders and/or ``<student>.zip`` archives.
    students: optional list of student ids to import (default: all found).
    overwrite: replace a student's earlier import of this assignment (default); if False, skip it with a problem.
    Returns an ImportReport. Raises CourseError when nothing at all could be imported.
    """
    check_assignment(assignment, course_dir)
    source = Path(source).expanduser().resolve()
    if not source.is_dir():
        raise CourseError(f"no folder {source}: pass the folder holding <student>/{assignment}/ folders or <student>.zip files")
    cd = coursedir(course_dir)
    wanted = set(students) if students else None
    report = ImportReport(assignment)

    candidates = {}
    for entry in sorted(source.iterdir()):
        if entry.name.startswith(".") or entry.name in _SKIP_PARTS:
            continue
        if entry.is_dir() and (entry / assignment).is_dir():
            candidates.setdefault(entry.name, []).append(entry / assignment)
        elif entry.is_file() and entry.suffix.lower() == ".zip":
            candidates.setdefault(entry.stem, []).append(entry)

    for student, found in sorted(candidates.items()):
        if wanted is not None and student not in wanted:
            continue
        try:
            _check_student(student)
            if len(found) > 1:
                raise CourseError(f"found both a folder and a zip: {', '.join(str(f) for f in found)}; keep one")
            item = found[0]
            dest = student_folder("submitted", student, assignment, coursedir_=cd)
            if dest.exists():
                if not overwrite:
                    raise CourseError(f"already imported into {dest}; drop --keep-existing to replace it")
                shutil.rmtree(dest)
            if item.is_dir():
                if not any(p.suffix == ".ipynb" for p in item.iterdir()):
                    raise CourseError(f"{item} holds no notebook (.ipynb)")
                dest.mkdir(parents=True)
                files = _copy_folder(item, dest)
                mtime = max(p.stat().st_mtime for p in item.rglob("*") if p.is_file())
            else:
                try:
                    archive = zipfile.ZipFile(item)
                except zipfile.BadZipFile:
                    raise CourseError(f"{item.name} is not a valid zip archive") from None
                with archive:
                    members = _zip_notebooks(archive, assignment)
                    dest.mkdir(parents=True)
                    for name, member in members.items():
                        (dest / name).write_bytes(archive.read(member))
                files = sorted(members)
                mtime = item.stat().st_mtime
            (dest / "timestamp.txt").write_text(_timestamp(mtime))
            report.imported[student] = files
        except CourseError as err:
            report.problems.append((student, str(err)))

    if wanted is not None:
        for student in sorted(wanted - set(candidates)):
            report.problems.append((student, f"no {student}/{assignment}/ folder or {student}.zip in {source}"))
    if not report.imported:
        detail = "".join(f"\n  {who}: {why}" for who, why in report.problems)
        raise CourseError(
            f"imported no submission of {assignment!r} from {source}: expected <student>/{assignment}/*.ipynb "
            f"folders or <student>.zip files{detail}"
        )
    return report
