"""Learning-management systems: import the submissions Canvas, Moodle and Gradescope hand out, export grades they take.

Every LMS format has the same interface, written once here:

- a **collector** ``collect(path) -> dict | None`` (an nbgrader ``FileNameCollectorPlugin``): given one file of the
  unpacked archive (relative to the archive's root), it returns ``{"student_id": <LMS user key>, "file_id": <original
  file name>, "name": <display name>, "order": <sortable: newer is larger, or None>, "late": bool | None,
  "timestamp": datetime | None}``, or ``None`` when the path does not have the LMS's form (``why`` then says why);
- a **roster** (``read_roster``): the class list the LMS exports, one row per student, whose *key column* holds the
  LMS user key found in the archive and whose *id column* holds the course's student id (nbgrader's ``student_id``,
  the folder name under ``submitted/``).

The formats, as each LMS documents or produces them (from their documentation, Moodle's source and public examples
of the downloads; not checked against a live instance, so a file that does not fit is refused with a reason, never
guessed at):

**Canvas**, *Assignment > Download Submissions*: one zip, every file in its root renamed
``<name>_<user id>_<submission id>_<original name>`` (``<name>`` is the student's sortable name, lower case, as Canvas
writes it; it is only shown in reports), ``<name>_LATE_<user id>_<submission id>_<original name>`` for work Canvas
marks late, and ``<original stem>-<N><ext>`` when Canvas renamed a file uploaded again under the same name.
A student's zip in the zip is unpacked into a folder of its own and its files keep the zip's prefix.
Of two files that restore to the same name, the one with the larger submission id (Canvas ids grow with time), then the
larger ``-N``, is the newer and is kept. Canvas records *that* a file is late, not *when* it was handed in: a late file
gets ``timestamp.txt`` = the assignment's due date + 1 s (``--due-date``, else the due date in nbgrader's gradebook),
so nbgrader counts it late; without a due date it is imported and reported. On-time files get no ``timestamp.txt``
(nbgrader then counts them on time), as ``nbgrader zip_collect`` does when a file name carries no time.
Roster: the gradebook export (*Grades > Export > CSV*): ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
column per assignment (``<title> (<assignment id>)``) and read-only totals; its second row is ``Points Possible``.
Key column ``ID`` (the Canvas user id in the file names); id column ``SIS Login ID`` unless ``--id-column`` says
otherwise. Rows with an empty ``ID`` (``Points Possible``, the old ``Muted`` row) are not students.

**Moodle** (4.x), *Assignment > View all submissions > Download all submissions* with "Download submissions in
folders" (the default since 3.1): one folder per student and submission plugin,
``<Full Name>_<participant id>_assignsubmission_file_/<original path>`` (online text goes into
``..._assignsubmission_onlinetext_/onlinetext.html``); without folders, files named
``<Full Name>_<participant id>_assignsubmission_file_<original name>``. Moodle keeps only the latest attempt's files and
**its download carries no submission time**: no ``timestamp.txt`` is written and lateness is not recorded (Moodle's
grading table shows it); the report says so. Two files of one student that restore to the same name (e.g. in two
sub-folders) cannot be ordered and are reported, not imported.
Roster: the *offline grading worksheet* (*Grading action > Download grading worksheet*, needs the "Offline grading
worksheet" feedback type). Moodle 4 writes the columns ``Identifier, Full name, Email address, [identity fields the
site shows, e.g. ID number], Status, Grade, Maximum grade, Grade can be changed, Last modified (submission),
[Online text], Last modified (grade), Feedback comments`` (older versions: ``Maximum Grade``; headers are matched
without regard to case). Key column ``Identifier`` (``Participant <participant id>``); id column ``Email address``
unless ``--id-column`` says otherwise (e.g. ``ID number``).

**Gradescope**, *Assignment > Review Grades > Export Submissions*: one zip holding ``submission_metadata.yml`` and one
folder ``submission_<id>/`` per (active) submission with the uploaded files. The YAML maps each folder name to
``:submitters:`` (a list of ``:name:``, ``:sid:``, ``:email:``) and ``:created_at:`` (the submission time, with its
UTC offset), which becomes ``timestamp.txt``; a submission that lists several submitters is imported for each.
Roster: the course roster export ``First Name, Last Name, SID, Email`` (extra columns are ignored). Key column
``Email`` (matched without regard to case); id column ``SID`` unless ``--id-column`` says otherwise.

**Export.** Canvas: a gradebook CSV with ``Student, ID, SIS User ID, SIS Login ID, Section`` taken from the roster, then
one column per assignment, named like the roster's column for it (``perceptron (1234)``, so Canvas updates that
assignment) or the bare assignment name (Canvas then creates it); the second row is ``Points Possible``.
Moodle: the downloaded grading worksheet with its ``Grade`` column filled (two decimals, ``.`` as the decimal point),
every other column as downloaded (Moodle's upload skips a row whose grade changed in Moodle after the worksheet's
``Last modified (grade)`` unless told to overwrite); one worksheet per Moodle assignment, so one assignment per file.
Scores are nbgrader's, exactly as ``nn-course export`` writes them (``max(0, score - late penalty)``); points of
written answers count only once they are graded in the formgrader (until then they are 0, and the summary names the
submissions that wait). Roster students without a submission get an empty cell (no grade), and an LMS maximum that
differs from nbgrader's is refused.

**nbgrader's ZipCollectApp.** The collectors subclass nbgrader's ``FileNameCollectorPlugin`` (Canvas's and Moodle's are
configured with a ``named_regexp`` with its ``student_id`` and ``file_id`` groups), and archives are unpacked with
``nbgrader.utils.unzip``, the function its ``ExtractorPlugin`` uses (zips in the zip go into folders of their own).
They take paths relative to the archive's root and return more than ``zip_collect`` reads (the LMS's name, lateness,
an order for resubmissions), so they are not drop-in ``--collector`` plugins. ``ZipCollectApp`` itself is not run:
it stops the whole import (``sys.exit``) at two copies of one file without timestamps, which every Canvas resubmission
is; it only logs the files it skips, so no report can say what was left out and why; its ``ExtractorPlugin`` stops at
the first corrupt zip inside the archive; it takes the student id straight from the file name (here: a roster
lookup); and it works in ``downloaded/<assignment>/`` inside the course and refuses an existing submission folder
unless forced. Files in ``__MACOSX/`` and ``.ipynb_checkpoints/``, ``._*`` and ``.DS_Store`` are skipped silently.
Sizes are not limited: unpack only downloads from your own LMS.
"""
import csv
import datetime
import re
import shutil
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from nbgrader.plugins import FileNameCollectorPlugin

from .course import CourseError, check_assignment, coursedir, student_folder
from .submissions import _STUDENT_ID, ImportReport, _timestamp

LMS_NAMES = ("canvas", "moodle", "gradescope")
_JUNK = {"__MACOSX", ".ipynb_checkpoints", "__pycache__", ".DS_Store"}


# ---------------------------------------------------------------------------------------------------------------------
# Rosters


@dataclass(frozen=True)
class RosterFormat:
    """The class list one LMS exports: the columns it must have, the one that links archive entries to rows (key),
    and the default column holding the course's student id."""

    lms: str
    required: tuple
    key_column: str
    id_column: str
    what: str


ROSTER_FORMATS = {
    "canvas": RosterFormat("canvas", ("Student", "ID", "SIS User ID", "SIS Login ID", "Section"), "ID", "SIS Login ID",
                           "Canvas's gradebook export (Grades > Export > Export Entire Gradebook, CSV)"),
    "moodle": RosterFormat("moodle", ("Identifier", "Full name", "Email address", "Grade"), "Identifier",
                           "Email address", "Moodle's grading worksheet (View all submissions > Grading action > "
                           "Download grading worksheet)"),
    "gradescope": RosterFormat("gradescope", ("First Name", "Last Name", "SID", "Email"), "Email", "SID",
                               "Gradescope's roster export (Roster > Download Roster)"),
}


@dataclass
class Roster:
    """A class list read from the LMS's CSV: ``columns`` as in the file, ``rows`` (dicts keyed by those columns) of the
    students only, ``extra_rows`` the rows that are not students (Canvas's ``Points Possible``), kept in file order."""

    lms: str
    path: Path
    columns: list
    rows: list
    extra_rows: list
    key_column: str
    id_column: str
    _index: dict = field(default=None, init=False, repr=False)

    def key(self, row):
        """The LMS user key of a row: Canvas user id, Moodle participant id (digits of ``Participant N``), e-mail."""
        value = (row.get(self.key_column) or "").strip()
        if self.lms == "moodle":
            match = re.search(r"(\d+)\s*$", value)
            return match.group(1) if match else ""
        return value.lower() if self.lms == "gradescope" else value

    def find(self, key):
        """The roster row of an LMS user key, or None."""
        if self._index is None:
            self._index = {}
            for row in self.rows:
                self._index.setdefault(self.key(row), row)
        return self._index.get(key.lower() if self.lms == "gradescope" else key)

    def student_id(self, row):
        """The course's student id of a row (may be empty)."""
        return (row.get(self.id_column) or "").strip()

    def label(self, row):
        """A row's name for reports."""
        def cell(name):
            return (row.get(_column(self.columns, name) or name) or "").strip()

        if self.lms == "canvas":
            return cell("Student")
        if self.lms == "moodle":
            return cell("Full name")
        return f"{cell('First Name')} {cell('Last Name')}".strip()


def _column(columns, name):
    """The column of ``columns`` named ``name`` without regard to case or surrounding spaces, or None."""
    wanted = name.strip().casefold()
    return next((c for c in columns if c.strip().casefold() == wanted), None)


def read_roster(path, lms, id_column=None):
    """Read the class list ``path`` exported by ``lms`` (canvas, moodle or gradescope); see the module docstring.

    id_column: the column holding the course's student ids (default: the LMS's, e.g. ``SIS Login ID`` for Canvas).
    Raises CourseError naming the missing columns and the ones the file has.
    """
    fmt = ROSTER_FORMATS[lms]
    path = Path(path).expanduser().resolve()
    if not path.is_file():
        raise CourseError(f"no roster file {path}: pass --roster with {fmt.what}")
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = next(reader, None)
            lines = [line for line in reader if any(cell.strip() for cell in line)]
    except UnicodeDecodeError:
        raise CourseError(f"the roster {path} is not UTF-8 text: use the file as the LMS exported it, or save it "
                          "again as 'CSV UTF-8'") from None
    if not header:
        raise CourseError(f"the roster {path} is empty: expected {fmt.what}")
    renamed = {}
    for name in fmt.required + ((id_column,) if id_column else ()):
        found = _column(header, name)
        if found is None:
            raise CourseError(
                f"the roster {path.name} has no column {name!r} ({lms} roster: {fmt.what}); "
                f"its columns are: {', '.join(header)}"
            )
        renamed[name] = found
    key_col = renamed[fmt.key_column]
    id_col = renamed[id_column or fmt.id_column]
    rows, extra = [], []
    for line in lines:
        row = dict(zip(header, line + [""] * (len(header) - len(line))))
        is_student = bool(row[key_col].strip())
        if lms == "canvas" and "points possible" in row[renamed["Student"]].casefold():
            is_student = False
        (rows if is_student else extra).append(row)
    return Roster(lms, path, header, rows, extra, key_col, id_col)


# ---------------------------------------------------------------------------------------------------------------------
# Collectors: one file of the unpacked archive -> who handed it in, under which original name, and when


class _Collector(FileNameCollectorPlugin):
    """Base of the LMS collectors: ``collect(relpath)`` returns the file's information or None with ``self.why``."""

    lms = ""
    regexp = ""

    def __init__(self, **kwargs):
        # every file is looked at (valid_ext empty): a file that is not a notebook is reported, not dropped silently
        super().__init__(named_regexp=self.regexp, valid_ext=[], **kwargs)

    def prepare(self, root):
        """Called once with the unpacked archive's root before ``collect``; returns the root to walk."""
        return root

    def unplaced_entries(self):
        """``(what, why)`` for archive entries known to the collector but without files (e.g. metadata only)."""
        return []


class _NamedCollector(_Collector):
    """A collector for downloads whose top-level names carry the student (Canvas, Moodle): ``form`` names them."""

    form = ""

    def prepare(self, root):
        return _descend(root, lambda name: re.match(self.named_regexp, name))

    def _match(self, relpath):
        """``(fields of the top-level name, the file's original path)``, or None with ``self.why`` set."""
        parts = PurePosixPath(relpath).parts
        match = re.match(self.named_regexp, parts[0])
        if not match:
            self.why = f"the name does not have {self.form}"
            return None
        info = match.groupdict()
        return info, (info["file_id"] if len(parts) == 1 else str(PurePosixPath(*parts[1:]))), len(parts) == 1


class CanvasCollector(_NamedCollector):
    """Canvas's bulk download: ``<name>_[LATE_]<user id>_<submission id>_<original name>`` in the zip's root."""

    lms = "canvas"
    regexp = (r"^(?P<name>.+?)_(?:(?P<late>LATE)_)?(?P<student_id>\d+)_(?P<submission_id>\d+)_"
              r"(?P<file_id>.+)$")

    form = ("Canvas's form <name>_<user id>_<submission id>_<file name> "
            "(is this Canvas's 'Download Submissions' zip?)")

    def collect(self, relpath):
        matched = self._match(relpath)
        if matched is None:
            return None
        info, file_id, in_root = matched
        return {"student_id": info["student_id"], "file_id": file_id, "name": info["name"],
                "order": (int(info["submission_id"]),), "late": bool(info["late"]), "timestamp": None,
                "suffixed": in_root}


class MoodleCollector(_NamedCollector):
    """Moodle's download: ``<Full Name>_<participant id>_assignsubmission_<plugin>_[/]<original path>``."""

    lms = "moodle"
    regexp = r"^(?P<name>.+)_(?P<student_id>\d+)_assignsubmission_(?P<plugin>[a-z]+)_(?P<file_id>.*)$"

    form = ("Moodle's form <Full Name>_<participant id>_assignsubmission_file_ "
            "(is this Moodle's 'Download all submissions' zip?)")

    def collect(self, relpath):
        matched = self._match(relpath)
        if matched is None:
            return None
        info, file_id, _ = matched
        if not file_id:
            self.why = "an empty file name"
            return None
        return {"student_id": info["student_id"], "file_id": file_id, "name": info["name"], "order": None,
                "late": None, "timestamp": None, "suffixed": False}


class GradescopeCollector(_Collector):
    """Gradescope's export: ``submission_<id>/<original path>`` described by ``submission_metadata.yml``."""

    lms = "gradescope"

    def prepare(self, root):
        import yaml

        found = sorted(root.rglob("submission_metadata.yml"), key=lambda p: len(p.parts))
        if not found:
            raise CourseError("the archive has no submission_metadata.yml: is this Gradescope's 'Export Submissions' "
                              "zip (Review Grades > Export Submissions)?")
        try:
            metadata = yaml.safe_load(found[0].read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as err:
            raise CourseError(f"cannot read Gradescope's submission_metadata.yml: {err}") from None
        self.metadata = {str(k): v for k, v in metadata.items()} if isinstance(metadata, dict) else {}
        self.root = found[0].parent
        self.seen, self.untimed = set(), set()
        return self.root

    def collect(self, relpath):
        parts = PurePosixPath(relpath).parts
        if parts == ("submission_metadata.yml",):
            return {}
        entry = self.metadata.get(parts[0])
        if len(parts) < 2 or not isinstance(entry, dict):
            self.why = "not inside a submission folder listed in submission_metadata.yml"
            return None
        self.seen.add(parts[0])
        submitters = [s for s in entry.get(":submitters") or [] if isinstance(s, dict)]
        if not submitters:
            self.why = f"submission_metadata.yml lists no submitter for {parts[0]}"
            return None
        created = _utc(entry.get(":created_at"))
        if created is None:
            self.untimed.add(parts[0])
        return {"student_id": [str(s.get(":email") or "").strip() for s in submitters],
                "name": [str(s.get(":name") or "").strip() for s in submitters],
                "file_id": str(PurePosixPath(*parts[1:])), "order": (created,) if created else None,
                "late": None, "timestamp": created, "suffixed": False, "folder": parts[0]}

    def unplaced_entries(self):
        missing = [(key, "listed in submission_metadata.yml, but the archive has no file for it")
                   for key in sorted(set(self.metadata) - self.seen) if key.startswith("submission_")]
        untimed = [(key, "submission_metadata.yml gives no readable :created_at: imported without timestamp.txt "
                         "(nbgrader counts it on time)") for key in sorted(self.untimed)]
        return missing + untimed


COLLECTORS = {"canvas": CanvasCollector, "moodle": MoodleCollector, "gradescope": GradescopeCollector}


def _utc(value):
    """A Gradescope time (datetime from YAML, or text) as naive UTC, or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        from nbgrader.utils import parse_utc

        try:
            return parse_utc(value)
        except (ValueError, OverflowError):
            return None
    if isinstance(value, datetime.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return value
    return None


def _descend(root, looks_right):
    """Go down through single enclosing folders (a download unzipped into a folder of its own) until an entry
    ``looks_right``."""
    while True:
        entries = [p for p in root.iterdir() if p.name not in _JUNK]
        if len(entries) == 1 and entries[0].is_dir() and not looks_right(entries[0].name):
            root = entries[0]
        else:
            return root


# ---------------------------------------------------------------------------------------------------------------------
# Unpacking


def _is_junk(relpath):
    parts = PurePosixPath(relpath).parts
    return bool(_JUNK.intersection(parts)) or parts[-1].startswith("._")


def _unpack(archive, workdir):
    """Unpack ``archive`` (a zip, or a folder holding what one holds) into ``workdir`` and every zip inside it into a
    folder of its own beside it (the zip file is then removed). Returns ``{relative path: reason}`` for the entries
    that could not be used (a corrupt inner zip, a link), left in place so that they can be traced to a student."""
    from nbgrader.utils import unzip

    if archive.is_dir():
        shutil.copytree(archive, workdir, dirs_exist_ok=True, symlinks=True)
    elif zipfile.is_zipfile(archive):
        unzip(str(archive), str(workdir), zip_ext=[archive.suffix], create_own_folder=False, tree=False)
    else:
        raise CourseError(f"{archive} is not a zip archive: pass the zip the LMS gave you or the folder it unzips to")
    bad = {}
    for link in [p for p in workdir.rglob("*") if p.is_symlink()]:
        bad[link.relative_to(workdir).as_posix()] = "a symbolic link: not imported"
    done = set()
    for _ in range(3):  # zips in zips in zips, no deeper
        inner = [p for p in sorted(workdir.rglob("*")) if p.is_file() and not p.is_symlink()
                 and p.suffix.lower() == ".zip" and p not in done and not _is_junk(p.relative_to(workdir).as_posix())]
        if not inner:
            break
        for path in inner:
            done.add(path)
            rel = path.relative_to(workdir).as_posix()
            target = path.with_suffix("")
            if target.exists():
                bad[rel] = f"cannot unpack this zip: {target.name} already exists beside it"
                continue
            try:
                if not zipfile.is_zipfile(path):
                    raise zipfile.BadZipFile
                target.mkdir()
                unzip(str(path), str(target), zip_ext=[path.suffix], create_own_folder=False, tree=False)
            except Exception:  # noqa: BLE001 (setuptools raises its own UnrecognizedFormat too)
                shutil.rmtree(target, ignore_errors=True)
                bad[rel] = "not a valid zip archive: not imported"
                continue
            path.unlink()
    return bad


# ---------------------------------------------------------------------------------------------------------------------
# Import


@dataclass
class _Candidate:
    """One file of the archive placed with a student: where it goes and what decides between resubmissions."""

    student: str           # course student id
    label: str             # "<id> (<name>)", for reports
    name: str              # restored file name in submitted/
    source: Path
    rel: str               # path in the archive, for reports
    order: object          # sortable, newer is larger; None when the LMS does not say
    late: object           # True/False (Canvas) or None
    timestamp: object      # naive UTC datetime (Gradescope) or None


_LMS_TITLE = {"canvas": "Canvas", "moodle": "Moodle", "gradescope": "Gradescope"}


def _restore_name(file_id, suffixed, notebooks):
    """The original file name of ``file_id`` and the resubmission number Canvas appended (``name-N.ext`` -> N).

    Only the base name is kept (a zip's enclosing folders go); ``-N`` is removed only when the result is one of the
    assignment's notebooks and the name as given is not.
    """
    name = PurePosixPath(file_id).name
    if suffixed and name not in notebooks:
        match = re.match(r"^(?P<stem>.+)-(?P<n>\d+)(?P<ext>\.[^.]+)$", name)
        if match and match["stem"] + match["ext"] in notebooks:
            return match["stem"] + match["ext"], int(match["n"])
    return name, 0


def default_due_date(assignment, course_dir="."):
    """The due date nbgrader's gradebook holds for ``assignment`` (naive UTC), or None."""
    from .grades import _gradebook

    try:
        with _gradebook(course_dir) as gb:
            return gb.find_assignment(assignment).duedate
    except Exception:  # noqa: BLE001 (no gradebook yet, or no such assignment in it: no due date)
        return None


def _parse_due_date(text, assignment, course_dir):
    if text is None:
        return default_due_date(assignment, course_dir)
    from nbgrader.utils import parse_utc

    try:
        return parse_utc(text)
    except (ValueError, OverflowError):
        raise CourseError(f"cannot read the due date {text!r}: write e.g. '2026-10-01 23:59:00 UTC'") from None


def _who(lms, info, key, name):
    """An LMS user as reports name them: display name and LMS id."""
    if lms == "gradescope":
        return f"{name} <{key}> (Gradescope {info['folder']})"
    return f"{name} ({_LMS_TITLE[lms]} {'participant' if lms == 'moodle' else 'user'} {key})"


def _collect(workdir, root, bad, collector, table, notebooks, wanted, report):
    """Every file under ``workdir`` -> the candidates placed with a student of the roster; the rest goes to
    ``report.problems`` (a file outside the LMS's layout, a user not on the roster or without a usable id, an unusable
    entry of ``bad``)."""
    candidates, unknown, unusable = [], {}, {}
    for path in sorted(p for p in workdir.rglob("*") if p.is_file() or p.is_symlink()):
        if not path.is_relative_to(root):
            report.problems.append((path.relative_to(workdir).as_posix(),
                                    f"outside {root.relative_to(workdir).as_posix()}/, the export's folder: "
                                    "not imported"))
            continue
        rel = path.relative_to(root).as_posix()
        if _is_junk(rel):
            continue
        info = collector.collect(rel)
        if info == {}:
            continue  # Gradescope's metadata file
        if info is None:
            report.problems.append((rel, bad.get(rel, f"{collector.why}: not imported")))
            continue
        keys = info["student_id"] if isinstance(info["student_id"], list) else [info["student_id"]]
        names = info["name"] if isinstance(info["name"], list) else [info["name"]]
        for key, lms_name in zip(keys, names):
            who = _who(table.lms, info, key, lms_name)
            row = table.find(key) if key else None
            student = table.student_id(row) if row is not None else ""
            if row is None or not _STUDENT_ID.match(student):
                unknown.setdefault(who, []).append(rel)
                if row is not None:
                    unusable[who] = student
                continue
            label = f"{student} ({table.label(row) or lms_name})"
            if wanted is not None and student not in wanted:
                continue
            if rel in bad:
                report.problems.append((label, f"{rel}: {bad[rel]}"))
                continue
            name, resubmission = _restore_name(info["file_id"], info["suffixed"], notebooks)
            order = None if info["order"] is None else info["order"] + (resubmission,)
            candidates.append(_Candidate(student, label, name, path, rel, order, info["late"], info["timestamp"]))
    if wanted is None:  # with --student, users who are not (or not usably) on the roster are none of the wanted
        for who, files in sorted(unknown.items()):
            if who in unusable:
                why = (f"on the roster, but its {table.id_column!r} is {unusable[who]!r}, not a usable student id "
                       "(letters, digits and . _ @ -; see --id-column)")
            else:
                why = f"not on the roster {table.path.name} (no row with {table.key_column} = this user)"
            report.problems.append((who, f"{why}: not imported ({', '.join(files)})"))
        report.problems.extend(collector.unplaced_entries())
    return candidates


def _choose(candidates, assignment, notebooks, lms, report):
    """``{student: {file name: candidate}}``: the assignment's notebooks, the newest of each name. Files that are not
    the assignment's notebooks, and submissions with two copies of a notebook that cannot be ordered, are reported
    and left out; older resubmissions are noted."""
    files = {}
    for cand in candidates:
        if cand.name not in notebooks:
            expected = ", ".join(notebooks)
            if cand.name.endswith(".ipynb"):
                why = (f"a notebook, but not one of {assignment}'s ({expected}): not imported; if it is the "
                       "submission, rename it in the archive and import again")
            else:
                why = f"not a notebook (only {assignment}'s notebooks are imported: {expected})"
            report.problems.append((cand.rel, f"{cand.label}: {why}"))
            continue
        files.setdefault(cand.student, {}).setdefault(cand.name, []).append(cand)
    chosen = {}
    for student, by_name in sorted(files.items()):
        kept = {}
        for name, cands in sorted(by_name.items()):
            if len(cands) > 1 and (any(c.order is None for c in cands) or len({c.order for c in cands}) < len(cands)):
                report.problems.append((cands[0].label, f"{len(cands)} files restore to {name} "
                                        f"({', '.join(c.rel for c in cands)}) and {_LMS_TITLE[lms]} does not say "
                                        "which is newer: this submission is not imported; keep one in the archive "
                                        "and import again"))
                kept = None
                break
            cands = sorted(cands, key=lambda c: c.order or ())
            kept[name] = cands[-1]
            for old in cands[:-1]:
                report.notes.append((cands[-1].label, f"{old.rel}: an older submission of {name}, "
                                                      f"replaced by {cands[-1].rel}"))
        if kept:
            chosen[student] = kept
    return chosen


def _write_timestamp(folder, when):
    (folder / "timestamp.txt").write_text(_timestamp(when.replace(tzinfo=datetime.timezone.utc).timestamp()))


def import_from_lms(archive, assignment, course_dir=".", *, lms, roster, id_column=None, due_date=None,
                    students=None, overwrite=True):
    """Import the submissions of ``assignment`` from an LMS's download into ``submitted/<student>/<assignment>/``.

    archive: the zip the LMS gave (or the folder it unzips to). lms: canvas, moodle or gradescope.
    roster: the LMS's class-list CSV (see the module docstring); id_column: its column of course student ids.
    due_date: text nbgrader understands, e.g. ``2026-10-01 23:59:00 Europe/Berlin``; for Canvas's late marks (default:
    the gradebook's due date). students: import only these course ids. overwrite: replace earlier imports.
    Only the assignment's notebooks are imported, under their original names. Returns an ImportReport whose problems
    list every file not imported and why; raises CourseError when nothing could be imported.
    """
    if lms not in COLLECTORS:
        raise CourseError(f"unknown LMS {lms!r}: use one of {', '.join(LMS_NAMES)}")
    if due_date is not None and lms != "canvas":
        raise CourseError(f"--due-date is for Canvas's late marks only: {_LMS_TITLE[lms]}'s download "
                          f"{'has no submission times' if lms == 'moodle' else 'gives the submission times'}, and "
                          "nbgrader compares times with the due date in its gradebook")
    check_assignment(assignment, course_dir)
    notebooks = sorted(p.name for p in student_folder("source", ".", assignment, course_dir).glob("*.ipynb"))
    table = read_roster(roster, lms, id_column)
    archive = Path(archive).expanduser().resolve()
    if not archive.exists():
        raise CourseError(f"no file or folder {archive}: pass the zip downloaded from {_LMS_TITLE[lms]}")
    due = _parse_due_date(due_date, assignment, course_dir)
    report = ImportReport(assignment)
    wanted = set(students) if students else None

    with tempfile.TemporaryDirectory(prefix="nn-course-import-") as tmp:
        workdir = Path(tmp) / "unpacked"
        workdir.mkdir()
        bad = _unpack(archive, workdir)
        collector = COLLECTORS[lms]()
        root = collector.prepare(workdir)
        bad = {(workdir / rel).relative_to(root).as_posix(): why for rel, why in bad.items()
               if (workdir / rel).is_relative_to(root)}
        candidates = _collect(workdir, root, bad, collector, table, notebooks, wanted, report)
        chosen = _choose(candidates, assignment, notebooks, lms, report)

        cd = coursedir(course_dir)
        for student, kept in chosen.items():
            dest = student_folder("submitted", student, assignment, coursedir_=cd)
            label = next(iter(kept.values())).label
            if dest.exists():
                if not overwrite:
                    report.problems.append((label, f"already imported into {dest}; drop --keep-existing to "
                                                   "replace it"))
                    continue
                shutil.rmtree(dest)
            dest.mkdir(parents=True)
            for name, cand in kept.items():
                (dest / name).write_bytes(cand.source.read_bytes())
            report.imported[student] = sorted(kept)
            stamps = [c.timestamp for c in kept.values() if c.timestamp is not None]
            if stamps:
                _write_timestamp(dest, max(stamps))
            elif any(c.late for c in kept.values()) and due is not None:
                when = due + datetime.timedelta(seconds=1)
                _write_timestamp(dest, when)
                report.notes.append((label, f"late according to Canvas (which does not say when): timestamp.txt = "
                                            f"the due date + 1 s ({when:%Y-%m-%d %H:%M:%S} UTC)"))
            elif any(c.late for c in kept.values()):
                report.problems.append((label, f"late according to Canvas, but {assignment} has no due date: "
                                               "imported without timestamp.txt, so nbgrader counts it on time; pass "
                                               "--due-date (or set it in nbgrader) and import again"))

    if wanted is not None:
        mentioned = {p[0].split(" ", 1)[0] for p in report.problems}
        for student in sorted(wanted - set(report.imported) - mentioned):
            report.problems.append((student, f"no submission of {assignment} by this student in {archive.name}"))
    if lms == "moodle":
        report.notes.append(("Moodle", "its download carries no submission times: no timestamp.txt written, "
                                       "lateness not recorded (see Moodle's grading table)"))
    elif lms == "canvas":
        report.notes.append(("Canvas", "it marks late files but gives no submission times: on-time submissions get "
                                       "no timestamp.txt (nbgrader counts them on time)"))
    if not report.imported:
        detail = "".join(f"\n  {who}: {why}" for who, why in report.problems)
        raise CourseError(f"imported no submission of {assignment!r} from {archive} ({_LMS_TITLE[lms]}, roster "
                          f"{table.path.name}){detail}")
    return report


# ---------------------------------------------------------------------------------------------------------------------
# Export


def _format_points(value):
    return f"{value:.10g}"


@dataclass
class ExportSummary:
    """What an LMS export wrote: per assignment, how many scores, and which students were left out or wait for
    manual grading."""

    path: Path
    lms: str
    lines: list = field(default_factory=list)

    def __str__(self):
        return "\n".join([f"grades written to {self.path} ({self.lms} gradebook import)"] + self.lines)


def _scores(assignment, course_dir):
    """``{student: (score, needs_manual_grade)}`` exactly as nbgrader's CSV export computes the score, and the
    assignment's max score."""
    from nbgrader.api import MissingEntry

    from .grades import _gradebook

    with _gradebook(course_dir) as gb:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            raise CourseError(f"the gradebook has no assignment {assignment!r}: run `nn-course generate` "
                              "first") from None
        max_score = float(record.max_score)
        scores = {}
        for sub in gb.assignment_submissions(assignment):
            penalty = sub.late_submission_penalty or 0.0
            scores[sub.student.id] = (max(0.0, float(sub.score) - float(penalty)), bool(sub.needs_manual_grade))
    return scores, max_score


def _summary_lines(assignment, scores, roster, table, written):
    lines = [f"{assignment}: {len(written)} score(s)"]
    waiting = sorted(s for s in written if scores[s][1])
    if waiting:
        lines.append(f"  {len(waiting)} with written answers not graded yet (their points count 0 until graded in "
                     f"the formgrader; export again after grading): {', '.join(waiting)}")
    without = sorted(table.student_id(r) or f"'{table.label(r)}' (no {table.id_column})" for r in roster
                     if table.student_id(r) not in scores)
    if without:
        lines.append(f"  {len(without)} roster student(s) without a graded submission, left blank: "
                     f"{', '.join(without)}")
    ids = {table.student_id(r) for r in roster}
    outside = sorted(set(scores) - ids)
    if outside:
        lines.append(f"  {len(outside)} graded student(s) not on the roster, not exported: {', '.join(outside)}")
    return lines


def export_to_lms(path, lms, course_dir=".", *, roster, id_column=None, assignments=None):
    """Write the gradebook's scores as a file ``lms``'s gradebook import accepts (canvas or moodle); see the module
    docstring for the formats. roster: the LMS's class list (for Moodle, the assignment's grading worksheet).
    assignments: names (default: every assignment in the gradebook, as ``nn-course export``; Moodle takes exactly one).
    Returns an ExportSummary.
    """
    from .grades import _gradebook

    if lms not in ("canvas", "moodle"):
        raise CourseError(f"cannot export for {lms!r}: use canvas or moodle (or leave --format out for nbgrader's CSV)")
    for name in assignments or []:
        check_assignment(name, course_dir)
    if assignments:
        names = list(assignments)
    else:
        with _gradebook(course_dir) as gb:
            names = sorted(a.name for a in gb.assignments)
    if lms == "moodle" and len(names) != 1:
        raise CourseError("a Moodle grading worksheet holds one assignment: pass --assignment NAME and that "
                          "assignment's worksheet as --roster (one file per Moodle assignment)")
    table = read_roster(roster, lms, id_column)
    path = Path(path).expanduser().resolve()
    if not path.parent.is_dir():
        raise CourseError(f"cannot write {path}: the folder {path.parent} does not exist")
    summary = ExportSummary(path, lms)
    if lms == "canvas":
        _export_canvas(path, names, table, course_dir, summary)
    else:
        _export_moodle(path, names[0], table, course_dir, summary)
    return summary


def _canvas_column(table, assignment):
    """The roster's column for ``assignment`` (``<assignment> (<Canvas id>)``, case and ``_``/space blind) or None."""
    def norm(text):
        return re.sub(r"[\s_]+", " ", text).strip().casefold()

    for column in table.columns:
        match = re.match(r"^(?P<title>.*?)\s*\((?P<id>\d+)\)\s*$", column)
        if match and norm(match["title"]) == norm(assignment):
            return column
    return None


def _export_canvas(path, names, table, course_dir, summary):
    identity = [_column(table.columns, c) for c in ROSTER_FORMATS["canvas"].required]
    header = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    points = ["Points Possible", "", "", "", ""]
    columns = []
    for name in names:
        scores, max_score = _scores(name, course_dir)
        column = _canvas_column(table, name)
        if column is not None:
            possible = next((r.get(column, "").strip() for r in table.extra_rows
                             if "points possible" in r.get(identity[0], "").casefold()), "")
            try:
                canvas_max = float(possible) if possible else None
            except ValueError:
                canvas_max = None
            if canvas_max is not None and abs(canvas_max - max_score) > 1e-9:
                raise CourseError(f"Canvas's {column!r} is worth {possible} points but nbgrader's {name} "
                                  f"{max_score:g}: set the points in Canvas to {max_score:g} and export its gradebook "
                                  "again")
        header.append(column or name)
        points.append(_format_points(max_score))
        columns.append((name, scores))
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerow(points)
        for row in table.rows:
            student = table.student_id(row)
            cells = [row.get(c, "") for c in identity]
            for _, scores in columns:
                cells.append(_format_points(scores[student][0]) if student in scores else "")
            writer.writerow(cells)
    for name, scores in columns:
        written = [table.student_id(r) for r in table.rows if table.student_id(r) in scores]
        summary.lines += _summary_lines(name, scores, table.rows, table, written)


def _export_moodle(path, name, table, course_dir, summary):
    scores, max_score = _scores(name, course_dir)
    grade_col = _column(table.columns, "Grade")
    max_col = _column(table.columns, "Maximum grade")
    if max_col is not None:
        maxima = {r.get(max_col, "").strip() for r in table.rows} - {""}
        for value in maxima:
            try:
                moodle_max = float(value.replace(",", "."))
            except ValueError:
                continue
            if abs(moodle_max - max_score) > 1e-9:
                raise CourseError(f"the Moodle assignment is out of {value} but nbgrader's {name} out of "
                                  f"{max_score:g}: set its maximum grade in Moodle to {max_score:g} (Settings > "
                                  "Grade) and download the grading worksheet again")
    written = []
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(table.columns)
        for row in table.rows:
            student = table.student_id(row)
            out = dict(row)
            if student in scores:
                out[grade_col] = f"{scores[student][0]:.2f}"
                written.append(student)
            writer.writerow([out.get(c, "") for c in table.columns])
    summary.lines += _summary_lines(name, scores, table.rows, table, written)
