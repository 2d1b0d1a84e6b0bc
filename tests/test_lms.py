"""The LMS round trip: `nn-course import --from canvas|moodle|gradescope` and `nn-course export --format canvas|moodle`.

Each test builds an archive the way the LMS writes it (see the docstring of course_utils/instructor/lms.py for the
formats): names with spaces and accents, a late submission, a resubmission, a student missing from the roster, a file
that is not a notebook and a zip inside the zip; it checks exactly what is imported and what is reported.
Export tests set scores through nbgrader's gradebook API in a temporary course (no kernel runs) and read the written
file back.
"""
import csv
import io
import shutil
import zipfile
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from course_utils.instructor.cli import main
from course_utils.instructor.course import CourseError
from course_utils.instructor.lms import import_from_lms, read_roster

ROOT = Path(__file__).resolve().parents[1]
DUE = "2026-10-01 23:59:00 UTC"
NOT_NOTEBOOK = "not a notebook (only perceptron's notebooks are imported: perceptron.ipynb)"
OTHER_NOTEBOOK = ("a notebook, but not one of perceptron's (perceptron.ipynb): not imported; if it is the submission, "
                  "rename it in the archive and import again")


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _nb(text):
    cell = new_code_cell(text)
    cell.id = "cell-1"
    return nbformat.writes(new_notebook(cells=[cell])).encode()


def _zip_bytes(members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buffer.getvalue()


def _write_zip(path, members):
    path.write_bytes(_zip_bytes(members))
    return path


def _csv(path, rows):
    with open(path, "w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows(rows)
    return path


def _submitted(course):
    """{student: sorted file names} of everything under submitted/."""
    return {d.name: sorted(p.name for p in (d / "perceptron").iterdir())
            for d in sorted((course / "submitted").iterdir())}


def _read(course, student, name="perceptron.ipynb"):
    return (course / "submitted" / student / "perceptron" / name).read_bytes()


# ---------------------------------------------------------------------------------------------------------------------
# Canvas

CANVAS_HEADER = ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Perceptron (4411)", "Current Score"]


def _canvas_roster(path):
    return _csv(path, [
        CANVAS_HEADER,
        ["    Points Possible", "", "", "", "", "10.00", "(read only)"],
        ["García, José", "1001", "S1001", "jgarcia", "NN 2026", "", ""],
        ["Müller, Ånna", "1002", "S1002", "amuller", "NN 2026", "", ""],
        ["Doe, Jane", "1003", "S1003", "jdoe", "NN 2026", "", ""],
        ["Lee, Zoë", "1005", "S1005", "zlee", "NN 2026", "", ""],
        ["O'Neill, Pat", "1006", "S1006", "poneill", "NN 2026", "", ""],
        ["Student, Test", "1099", "", "", "NN 2026", "", ""],
    ])


def _canvas_archive(path):
    """Canvas's 'Download Submissions' zip: every file renamed into the root."""
    return _write_zip(path, {
        "garcíajosé_1001_50011_perceptron.ipynb": _nb("josé"),
        "garcíajosé_1001_50011_my notes.pdf": b"%PDF-1.4 not a notebook",
        "müllerånna_LATE_1002_50012_perceptron.ipynb": _nb("ånna, late"),
        "doejane_1003_50013_perceptron.ipynb": _nb("jane, first try"),
        "doejane_1003_50020_perceptron-1.ipynb": _nb("jane, resubmitted"),
        "smithbob_1004_50014_perceptron.ipynb": _nb("bob is not on the roster"),
        "leezoë_1005_50015_hw1.zip": _zip_bytes({"hw1/perceptron.ipynb": _nb("zoë, in a zip"),
                                                 "__MACOSX/hw1/._perceptron.ipynb": b"\0"}),
        "oneillpat_1006_50016_Perceptron final.ipynb": _nb("pat, renamed"),
        "oneillpat_1006_50017_broken.zip": b"not a zip at all",
    })


def test_canvas_import_restores_names_keeps_the_newest_and_reports_the_rest(course, tmp_path):
    archive = _canvas_archive(tmp_path / "submissions.zip")
    roster = _canvas_roster(tmp_path / "2026-10-02T0800_Grades-NN.csv")
    report = import_from_lms(archive, "perceptron", course, lms="canvas", roster=roster, due_date=DUE)

    assert _submitted(course) == {"amuller": ["perceptron.ipynb", "timestamp.txt"], "jdoe": ["perceptron.ipynb"],
                                  "jgarcia": ["perceptron.ipynb"], "zlee": ["perceptron.ipynb"]}
    assert _read(course, "jgarcia") == _nb("josé")
    assert _read(course, "jdoe") == _nb("jane, resubmitted"), "the newest resubmission is kept, under its own name"
    assert _read(course, "zlee") == _nb("zoë, in a zip")
    assert (course / "submitted" / "amuller" / "perceptron" / "timestamp.txt").read_text() == \
        "2026-10-01 23:59:01.000000 UTC", "late: the due date + 1 s, so that nbgrader counts it late"

    assert report.problems == [
        ("poneill (O'Neill, Pat)", "oneillpat_1006_50017_broken.zip: not a valid zip archive: not imported"),
        ("smithbob (Canvas user 1004)", "not on the roster 2026-10-02T0800_Grades-NN.csv (no row with ID = this "
                                        "user): not imported (smithbob_1004_50014_perceptron.ipynb)"),
        ("garcíajosé_1001_50011_my notes.pdf", f"jgarcia (García, José): {NOT_NOTEBOOK}"),
        ("oneillpat_1006_50016_Perceptron final.ipynb", f"poneill (O'Neill, Pat): {OTHER_NOTEBOOK}"),
    ]
    assert report.notes == [
        ("jdoe (Doe, Jane)", "doejane_1003_50013_perceptron.ipynb: an older submission of perceptron.ipynb, replaced "
                             "by doejane_1003_50020_perceptron-1.ipynb"),
        ("amuller (Müller, Ånna)", "late according to Canvas (which does not say when): timestamp.txt = the due "
                                   "date + 1 s (2026-10-01 23:59:01 UTC)"),
        ("Canvas", "it marks late files but gives no submission times: on-time submissions get no timestamp.txt "
                   "(nbgrader counts them on time)"),
    ]


def test_canvas_import_from_the_command_line(course, tmp_path, capsys):
    """The command prints the report and exits 1 because files were left out; without a due date a late file is a
    problem; a folder holding the unzipped download works as well as the zip."""
    archive = _canvas_archive(tmp_path / "submissions.zip")
    roster = _canvas_roster(tmp_path / "grades.csv")
    code, out, _ = _run(capsys, "import", "perceptron", archive, "--from", "canvas", "--roster", roster,
                        "--course-dir", course)
    assert code == 1
    assert out.splitlines()[:5] == ["perceptron: imported 4 submission(s)"] + [
        f"  {student}: perceptron.ipynb" for student in ["amuller", "jdoe", "jgarcia", "zlee"]]
    assert "2 note(s):" in out and "5 problem(s):" in out
    assert out.splitlines()[-1] == ("  amuller (Müller, Ånna): late according to Canvas, but perceptron has no due "
                                    "date: imported without timestamp.txt, so nbgrader counts it on time; pass "
                                    "--due-date (or set it in nbgrader) and import again")
    assert not (course / "submitted" / "amuller" / "perceptron" / "timestamp.txt").exists()
    unzipped = tmp_path / "unzipped"
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(unzipped / "submissions")  # unzipped into a folder of its own
    code, out, _ = _run(capsys, "import", "perceptron", unzipped, "--from", "canvas", "--roster", roster,
                        "--id-column", "SIS User ID", "--student", "S1003", "--course-dir", course)
    assert code == 0, out
    assert out.startswith("perceptron: imported 1 submission(s)\n  S1003: perceptron.ipynb\n2 note(s):\n"
                          "  S1003 (Doe, Jane): doejane_1003_50013_perceptron.ipynb: an older submission"), \
        "with --student, nothing is reported about the other students"
    assert _read(course, "S1003") == _nb("jane, resubmitted")
    code, _, err = _run(capsys, "import", "perceptron", archive, "--from", "canvas", "--roster", roster,
                        "--id-column", "SIS User ID", "--student", "S1003", "--student", "S1099", "--keep-existing",
                        "--course-dir", course)
    assert code == 2 and "imported no submission of 'perceptron'" in err
    assert "\n  S1003 (Doe, Jane): already imported into" in err and "drop --keep-existing to replace it" in err
    assert "\n  S1099: no submission of perceptron by this student in submissions.zip" in err


# ---------------------------------------------------------------------------------------------------------------------
# Moodle

MOODLE_HEADER = ["Identifier", "Full name", "Email address", "Status", "Grade", "Maximum grade", "Grade can be changed",
                 "Last modified (submission)", "Last modified (grade)", "Feedback comments"]


def _moodle_worksheet(path, maximum="10.00"):
    """Moodle 4's offline grading worksheet (Download grading worksheet)."""
    rows = [MOODLE_HEADER]
    for pid, name, email, status in [
        ("123401", "José García", "jose.garcia@uni.example", "Submitted for grading"),
        ("123402", "Ånna Müller", "anna.muller@uni.example", "Submitted for grading"),
        ("123403", "Jane Doe", "jane.doe@uni.example", "Submitted for grading"),
        ("123405", "Zoë Lee", "zoe.lee@uni.example", "Submitted for grading"),
        ("123406", "Pat O'Neill", "pat.oneill@uni.example", "No submission"),
    ]:
        rows.append([f"Participant {pid}", name, email, status, "", maximum, "Yes",
                     "Thursday, 1 October 2026, 10:00 PM" if status.startswith("Sub") else "-", "-", ""])
    return _csv(path, rows)


def _moodle_archive(path):
    """Moodle's 'Download all submissions' zip, in folders (the default)."""
    return _write_zip(path, {
        "José García_123401_assignsubmission_file_/perceptron.ipynb": _nb("josé"),
        "Ånna Müller_123402_assignsubmission_file_/perceptron.ipynb": _nb("ånna"),
        "Ånna Müller_123402_assignsubmission_file_/notes.txt": b"my notes",
        "Ånna Müller_123402_assignsubmission_onlinetext_/onlinetext.html": b"<p>hello</p>",
        "Jane Doe_123403_assignsubmission_file_/perceptron.ipynb": _nb("jane, one"),
        "Jane Doe_123403_assignsubmission_file_/old/perceptron.ipynb": _nb("jane, two"),
        "Bob Smith_123404_assignsubmission_file_/perceptron.ipynb": _nb("bob"),
        "Zoë Lee_123405_assignsubmission_file_/hw1.zip": _zip_bytes({"perceptron.ipynb": _nb("zoë, in a zip")}),
    })


def test_moodle_import_maps_participants_through_the_worksheet(course, tmp_path, capsys):
    archive = _moodle_archive(tmp_path / "NN2026-Perceptron-5521.zip")
    roster = _moodle_worksheet(tmp_path / "Grades-NN2026-Perceptron-5521.csv")
    report = import_from_lms(archive, "perceptron", course, lms="moodle", roster=roster)
    assert _submitted(course) == {"anna.muller@uni.example": ["perceptron.ipynb"],
                                  "jose.garcia@uni.example": ["perceptron.ipynb"],
                                  "zoe.lee@uni.example": ["perceptron.ipynb"]}, "no timestamp.txt: Moodle gives none"
    assert _read(course, "zoe.lee@uni.example") == _nb("zoë, in a zip")
    assert report.problems == [
        ("Bob Smith (Moodle participant 123404)", "not on the roster Grades-NN2026-Perceptron-5521.csv (no row with "
         "Identifier = this user): not imported (Bob Smith_123404_assignsubmission_file_/perceptron.ipynb)"),
        ("Ånna Müller_123402_assignsubmission_file_/notes.txt",
         f"anna.muller@uni.example (Ånna Müller): {NOT_NOTEBOOK}"),
        ("Ånna Müller_123402_assignsubmission_onlinetext_/onlinetext.html",
         f"anna.muller@uni.example (Ånna Müller): {NOT_NOTEBOOK}"),
        ("jane.doe@uni.example (Jane Doe)", "2 files restore to perceptron.ipynb (Jane Doe_123403_assignsubmission_"
         "file_/old/perceptron.ipynb, Jane Doe_123403_assignsubmission_file_/perceptron.ipynb) and Moodle does not "
         "say which is newer: this submission is not imported; keep one in the archive and import again"),
    ]
    assert report.notes == [("Moodle", "its download carries no submission times: no timestamp.txt written, "
                                       "lateness not recorded (see Moodle's grading table)")]
    code, _, err = _run(capsys, "import", "perceptron", archive, "--from", "moodle", "--roster", roster,
                        "--id-column", "Full name", "--course-dir", course)
    assert code == 2 and "imported no submission" in err
    assert "José García (Moodle participant 123401): on the roster, but its 'Full name' is 'José García', not a " \
           "usable student id (letters, digits and . _ @ -; see --id-column): not imported" in err


# ---------------------------------------------------------------------------------------------------------------------
# Gradescope

GRADESCOPE_METADATA = """\
---
submission_9001:
  :submitters:
  - :name: José García
    :sid: '2026001'
    :email: jose.garcia@uni.example
  :created_at: 2026-10-01 10:00:00.123456000 -07:00
  :score: 0.0
  :status: processed
submission_9002:
  :submitters:
  - :name: Ånna Müller
    :sid: '2026002'
    :email: Anna.Muller@uni.example
  :created_at: 2026-10-02 09:30:00.000000000 +02:00
  :score: 0.0
submission_9003:
  :submitters:
  - :name: Jane Doe
    :sid: '2026003'
    :email: jane.doe@uni.example
  :created_at: 2026-09-30 12:00:00.000000000 +00:00
submission_9010:
  :submitters:
  - :name: Jane Doe
    :sid: '2026003'
    :email: jane.doe@uni.example
  :created_at: 2026-10-01 12:00:00.000000000 +00:00
submission_9004:
  :submitters:
  - :name: Bob Smith
    :sid: '2026004'
    :email: bob.smith@uni.example
  :created_at: 2026-10-01 08:00:00.000000000 +00:00
submission_9005:
  :submitters:
  - :name: Zoë Lee
    :sid: '2026005'
    :email: zoe.lee@uni.example
  :created_at: 2026-10-01 09:00:00.000000000 +00:00
submission_9006:
  :submitters:
  - :name: Pat O'Neill
    :sid: '2026006'
    :email: pat.oneill@uni.example
  :created_at: 2026-10-01 07:00:00.000000000 +00:00
"""


def _gradescope_archive(path):
    """Gradescope's 'Export Submissions' zip: submission_metadata.yml and a folder per submission."""
    top = "assignment_4242_export/"
    return _write_zip(path, {
        top + "submission_metadata.yml": GRADESCOPE_METADATA.encode(),
        top + "submission_9001/perceptron.ipynb": _nb("josé"),
        top + "submission_9002/perceptron.ipynb": _nb("ånna"),
        top + "submission_9003/perceptron.ipynb": _nb("jane, first"),
        top + "submission_9010/perceptron.ipynb": _nb("jane, second"),
        top + "submission_9004/perceptron.ipynb": _nb("bob"),
        top + "submission_9005/hw1.zip": _zip_bytes({"hw1/perceptron.ipynb": _nb("zoë, in a zip")}),
        top + "submission_9006/README.md": b"# my answers",
    })


def test_gradescope_import_uses_the_metadata_for_people_and_times(course, tmp_path):
    archive = _gradescope_archive(tmp_path / "assignment_4242_export.zip")
    roster = _csv(tmp_path / "roster.csv", [
        ["First Name", "Last Name", "SID", "Email", "Role"],
        ["José", "García", "2026001", "jose.garcia@uni.example", "Student"],
        ["Ånna", "Müller", "2026002", "anna.muller@uni.example", "Student"],
        ["Jane", "Doe", "2026003", "jane.doe@uni.example", "Student"],
        ["Zoë", "Lee", "2026005", "zoe.lee@uni.example", "Student"],
        ["Pat", "O'Neill", "2026006", "pat.oneill@uni.example", "Student"],
    ])
    report = import_from_lms(archive, "perceptron", course, lms="gradescope", roster=roster)
    assert _submitted(course) == {s: ["perceptron.ipynb", "timestamp.txt"]
                                  for s in ["2026001", "2026002", "2026003", "2026005"]}
    stamps = {s: (course / "submitted" / s / "perceptron" / "timestamp.txt").read_text()
              for s in ["2026001", "2026002", "2026003"]}
    assert stamps == {"2026001": "2026-10-01 17:00:00.123456 UTC", "2026002": "2026-10-02 07:30:00.000000 UTC",
                      "2026003": "2026-10-01 12:00:00.000000 UTC"}
    assert _read(course, "2026003") == _nb("jane, second")
    assert _read(course, "2026005") == _nb("zoë, in a zip")
    assert report.problems == [
        ("Bob Smith <bob.smith@uni.example> (Gradescope submission_9004)", "not on the roster roster.csv (no row "
         "with Email = this user): not imported (submission_9004/perceptron.ipynb)"),
        ("submission_9006/README.md", f"2026006 (Pat O'Neill): {NOT_NOTEBOOK}"),
    ]
    assert report.notes == [("2026003 (Jane Doe)", "submission_9003/perceptron.ipynb: an older submission of "
                                                   "perceptron.ipynb, replaced by submission_9010/perceptron.ipynb")]


def test_an_lms_import_follows_the_courses_directory_structure(course, tmp_path):
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("\nc.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n")
    archive = _gradescope_archive(tmp_path / "assignment_4242_export.zip")
    roster = _csv(tmp_path / "roster.csv", [["First Name", "Last Name", "SID", "Email", "Role"],
                                            ["José", "García", "2026001", "jose.garcia@uni.example", "Student"]])
    import_from_lms(archive, "perceptron", course, lms="gradescope", roster=roster)
    folder = course / "submitted" / "perceptron" / "2026001"
    assert sorted(p.name for p in folder.iterdir()) == ["perceptron.ipynb", "timestamp.txt"]
    assert (folder / "perceptron.ipynb").read_bytes() == _nb("josé")


def test_gradescope_group_submission_goes_to_every_submitter(course, tmp_path):
    """A submission with two submitters is imported for each; a file beside the export folder and a metadata entry
    without files are reported."""
    metadata = """\
submission_77:
  :submitters:
  - :name: Zoë Lee
    :sid: '2026005'
    :email: zoe.lee@uni.example
  - :name: Pat O'Neill
    :sid: '2026006'
    :email: pat.oneill@uni.example
  :created_at: 2026-10-01 23:00:00.000000000 +00:00
submission_78:
  :submitters:
  - :name: Jane Doe
    :sid: '2026003'
    :email: jane.doe@uni.example
  :created_at: 2026-10-01 22:00:00.000000000 +00:00
"""
    export = tmp_path / "download" / "assignment_4243_export"
    (export / "submission_77").mkdir(parents=True)
    (export / "submission_metadata.yml").write_text(metadata, encoding="utf-8")
    (export / "submission_77" / "perceptron.ipynb").write_bytes(_nb("zoë and pat"))
    (tmp_path / "download" / "notes.txt").write_text("mine, not Gradescope's")
    roster = _csv(tmp_path / "roster.csv", [["First Name", "Last Name", "SID", "Email"],
                                            ["Zoë", "Lee", "2026005", "zoe.lee@uni.example"],
                                            ["Pat", "O'Neill", "2026006", "pat.oneill@uni.example"],
                                            ["Jane", "Doe", "2026003", "jane.doe@uni.example"]])
    report = import_from_lms(tmp_path / "download", "perceptron", course, lms="gradescope", roster=roster)
    assert report.imported == {"2026005": ["perceptron.ipynb"], "2026006": ["perceptron.ipynb"]}
    assert _read(course, "2026005") == _read(course, "2026006") == _nb("zoë and pat")
    assert report.problems == [
        ("notes.txt", "outside assignment_4243_export/, the export's folder: not imported"),
        ("submission_78", "listed in submission_metadata.yml, but the archive has no file for it"),
    ]


def test_a_roster_that_is_not_utf8_says_how_to_save_it(tmp_path):
    roster = tmp_path / "grades.csv"
    roster.write_bytes("Student,ID,SIS User ID,SIS Login ID,Section\n\"Müller, Ånna\",1,,am,\n".encode("cp1252"))
    with pytest.raises(CourseError, match="is not UTF-8 text: use the file as the LMS exported it, or save it again "
                                          "as 'CSV UTF-8'"):
        read_roster(roster, "canvas")


def test_an_archive_of_another_lms_or_no_archive_is_refused(course, tmp_path, capsys):
    canvas = _canvas_archive(tmp_path / "submissions.zip")
    roster = _csv(tmp_path / "roster.csv", [["First Name", "Last Name", "SID", "Email"]])
    with pytest.raises(CourseError, match="no submission_metadata.yml: is this Gradescope's"):
        import_from_lms(canvas, "perceptron", course, lms="gradescope", roster=roster)
    worksheet = _moodle_worksheet(tmp_path / "worksheet.csv")
    with pytest.raises(CourseError) as exc:
        import_from_lms(canvas, "perceptron", course, lms="moodle", roster=worksheet)
    assert "imported no submission of 'perceptron'" in str(exc.value)
    assert "doejane_1003_50013_perceptron.ipynb: the name does not have Moodle's form" in str(exc.value)
    code, _, err = _run(capsys, "import", "perceptron", canvas, "--from", "canvas", "--course-dir", course)
    assert code == 2 and "--from canvas needs --roster CSV: Canvas's gradebook export" in err
    code, _, err = _run(capsys, "import", "perceptron", tmp_path / "missing.zip", "--from", "canvas",
                        "--roster", _canvas_roster(tmp_path / "g.csv"), "--course-dir", course)
    assert code == 2 and "no file or folder" in err
    code, _, err = _run(capsys, "import", "perceptron", canvas, "--from", "canvas", "--roster", worksheet,
                        "--course-dir", course)
    assert code == 2 and "the roster worksheet.csv has no column 'Student'" in err and "Identifier" in err
    code, _, err = _run(capsys, "import", "perceptron", tmp_path, "--roster", worksheet, "--course-dir", course)
    assert code == 2 and "--roster is for an LMS's download: add --from" in err
    code, _, err = _run(capsys, "import", "perceptron", canvas, "--from", "moodle", "--roster", worksheet,
                        "--due-date", DUE, "--course-dir", course)
    assert code == 2 and "--due-date is for Canvas's late marks only: Moodle's download has no submission times" in err


# ---------------------------------------------------------------------------------------------------------------------
# Export


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """A course with perceptron generated and five submissions scored through nbgrader's gradebook API (built once;
    the export tests only read it): jgarcia 8 auto + 2 written, amuller 5 auto (written answer not graded yet),
    jdoe 0 + 0, zlee 6.5 + 1, bsmith (on no roster) 3 + 0."""
    import contextlib
    import io
    import warnings

    from nbgrader.api import Gradebook

    from gradebook_helpers import set_manual_score

    course = tmp_path_factory.mktemp("graded") / "course"
    (course / "assignments").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "assignments" / "source")
    with contextlib.redirect_stdout(io.StringIO()):
        assert main(["generate", "perceptron", "--release-only", "--course-dir", str(course)]) == 0
    auto = {"jgarcia": 8.0, "amuller": 5.0, "jdoe": 0.0, "zlee": 6.5, "bsmith": 3.0}
    manual = {"jgarcia": 2.0, "jdoe": 0.0, "zlee": 1.0, "bsmith": 0.0}
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nn-course") as gb, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # SQLAlchemy's autoflush notes inside nbgrader's add_submission
        for student, points in auto.items():
            gb.update_or_create_student(student)
            submission = gb.add_submission("perceptron", student)
            left = points
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.cell.cell_type == "code":  # what the autograder records
                        grade.auto_score = min(left, grade.max_score)
                        grade.needs_manual_grade = False
                        left -= grade.auto_score
            gb.db.commit()
    for student, points in manual.items():  # what the formgrader records
        set_manual_score("perceptron", student, "answer_xor", points, course)
    return course


@pytest.mark.slow  # grades a class first (the module's `graded` course)
def test_canvas_export_gives_the_same_scores_as_nn_course_export(graded, tmp_path, capsys):
    roster = _canvas_roster(tmp_path / "canvas_grades.csv")
    code, _, _ = _run(capsys, "export", "--to", tmp_path / "grades.csv", "--course-dir", graded)  # nbgrader's CSV
    assert code == 0
    code, out, err = _run(capsys, "export", "--to", tmp_path / "canvas_import.csv", "--format", "canvas",
                          "--roster", roster, "--course-dir", graded)
    assert code == 0, err
    assert out.splitlines() == [
        f"grades written to {tmp_path / 'canvas_import.csv'} (canvas gradebook import)",
        "perceptron: 4 score(s)",
        "  1 with written answers not graded yet (their points count 0 until graded in the formgrader; export again "
        "after grading): amuller",
        "  2 roster student(s) without a graded submission, left blank: 'Student, Test' (no SIS Login ID), poneill",
        "  1 graded student(s) not on the roster, not exported: bsmith",
    ]
    lines = (tmp_path / "canvas_import.csv").read_text(encoding="utf-8").splitlines()
    assert lines == [
        "Student,ID,SIS User ID,SIS Login ID,Section,Perceptron (4411)",
        "Points Possible,,,,,10",
        '"García, José",1001,S1001,jgarcia,NN 2026,10',
        '"Müller, Ånna",1002,S1002,amuller,NN 2026,5',
        '"Doe, Jane",1003,S1003,jdoe,NN 2026,0',
        '"Lee, Zoë",1005,S1005,zlee,NN 2026,7.5',
        '"O\'Neill, Pat",1006,S1006,poneill,NN 2026,',
        '"Student, Test",1099,,,NN 2026,',
    ], "the identity columns as in the roster, the assignment under its Canvas column, no read-only totals"
    with open(tmp_path / "canvas_import.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert rows[0]["Student"] == "Points Possible"
    exported = {row["SIS Login ID"]: row["Perceptron (4411)"] for row in rows[1:] if row["SIS Login ID"]}
    nbgrader = {row["student_id"]: row["score"] for row in csv.DictReader(open(tmp_path / "grades.csv"))
                if row["assignment"] == "perceptron"}
    assert exported == {"jgarcia": "10", "amuller": "5", "jdoe": "0", "zlee": "7.5", "poneill": ""}
    assert {s: float(v) for s, v in exported.items() if v} == \
        {s: float(v) for s, v in nbgrader.items() if s in exported}


@pytest.mark.slow  # grades a class first (the module's `graded` course)
def test_moodle_export_fills_the_worksheet(graded, tmp_path, capsys):
    """A worksheet whose site shows the ID number (an identity column after the e-mail) holding the course's ids."""
    header = MOODLE_HEADER[:3] + ["ID number"] + MOODLE_HEADER[3:]
    roster = _csv(tmp_path / "Grades-NN2026-Perceptron-5521.csv", [header] + [
        [f"Participant {pid}", name, email, login, status, "", "10.00", "Yes", changed, "-", ""]
        for pid, name, email, login, status, changed in [
            ("123401", "José García", "jose.garcia@uni.example", "jgarcia", "Submitted for grading",
             "Thursday, 1 October 2026, 10:00 PM"),
            ("123402", "Ånna Müller", "anna.muller@uni.example", "amuller", "Submitted for grading",
             "Friday, 2 October 2026, 9:30 AM"),
            ("123406", "Pat O'Neill", "pat.oneill@uni.example", "poneill", "No submission", "-")]])
    code, out, err = _run(capsys, "export", "--to", tmp_path / "moodle.csv", "--format", "moodle", "--roster", roster,
                          "--id-column", "ID number", "--assignment", "perceptron", "--course-dir", graded)
    assert code == 0, err
    assert out.splitlines() == [
        f"grades written to {tmp_path / 'moodle.csv'} (moodle gradebook import)",
        "perceptron: 2 score(s)",
        "  1 with written answers not graded yet (their points count 0 until graded in the formgrader; export again "
        "after grading): amuller",
        "  1 roster student(s) without a graded submission, left blank: poneill",
        "  3 graded student(s) not on the roster, not exported: bsmith, jdoe, zlee",
    ]
    with open(tmp_path / "moodle.csv", newline="", encoding="utf-8") as fh:
        back = list(csv.reader(fh))
    with open(roster, newline="", encoding="utf-8") as fh:
        sent = list(csv.reader(fh))
    assert back[0] == header
    assert [row[5] for row in back[1:]] == ["10.00", "5.00", ""], "Grade, two decimals; no submission: no grade"
    assert [row[:5] + row[6:] for row in back] == [row[:5] + row[6:] for row in sent], "all else as downloaded"
    assert main(["export", "--to", str(tmp_path / "grades.csv"), "--course-dir", str(graded)]) == 0
    nbgrader = {row["student_id"]: float(row["score"]) for row in csv.DictReader(open(tmp_path / "grades.csv"))}
    assert {row[3]: float(row[5]) for row in back[1:] if row[5]} == {s: nbgrader[s] for s in ["jgarcia", "amuller"]}, \
        "read back, the worksheet gives nbgrader's scores"


@pytest.mark.slow  # grades a class first (the module's `graded` course)
def test_export_refuses_what_the_lms_would_misread(graded, tmp_path, capsys):
    worksheet = _moodle_worksheet(tmp_path / "worksheet.csv", maximum="100.00")
    code, _, err = _run(capsys, "export", "--to", tmp_path / "m.csv", "--format", "moodle", "--roster", worksheet,
                        "--assignment", "perceptron", "--assignment", "backprop_xor", "--course-dir", graded)
    assert code == 2 and "a Moodle grading worksheet holds one assignment: pass --assignment NAME" in err
    code, _, err = _run(capsys, "export", "--to", tmp_path / "m.csv", "--format", "moodle", "--roster", worksheet,
                        "--assignment", "perceptron", "--course-dir", graded)
    assert code == 2 and "out of 100.00 but nbgrader's perceptron out of 10" in err
    canvas = _canvas_roster(tmp_path / "canvas.csv")
    rows = list(csv.reader(open(canvas, encoding="utf-8")))
    rows[1][5] = "20.00"
    _csv(canvas, rows)
    code, _, err = _run(capsys, "export", "--to", tmp_path / "c.csv", "--format", "canvas", "--roster", canvas,
                        "--assignment", "perceptron", "--course-dir", graded)
    assert code == 2 and "Canvas's 'Perceptron (4411)' is worth 20.00 points but nbgrader's perceptron 10" in err
    code, _, err = _run(capsys, "export", "--to", tmp_path / "c.csv", "--format", "canvas", "--course-dir", graded)
    assert code == 2 and "--format canvas needs --roster CSV" in err
    assert not (tmp_path / "c.csv").exists() and not (tmp_path / "m.csv").exists()


def test_roster_reading_skips_canvas_rows_that_are_not_students(tmp_path):
    roster = read_roster(_canvas_roster(tmp_path / "g.csv"), "canvas")
    assert [roster.student_id(r) for r in roster.rows] == ["jgarcia", "amuller", "jdoe", "zlee", "poneill", ""]
    assert roster.find("1002")["Student"] == "Müller, Ånna" and roster.find("1004") is None
    assert len(roster.extra_rows) == 1 and roster.id_column == "SIS Login ID"


def test_canvas_export_without_a_canvas_column_names_a_new_one(graded, tmp_path, capsys):
    """A roster without the assignment's column: the column is the assignment's name, which Canvas's import creates
    (with the points of the Points Possible row)."""
    rows = list(csv.reader(open(_canvas_roster(tmp_path / "canvas.csv"), encoding="utf-8")))
    roster = _csv(tmp_path / "canvas.csv", [row[:5] + row[6:] for row in rows])
    code, _, err = _run(capsys, "export", "--to", tmp_path / "c.csv", "--format", "canvas", "--roster", roster,
                        "--course-dir", graded)
    assert code == 0, err
    lines = (tmp_path / "c.csv").read_text(encoding="utf-8").splitlines()
    assert lines[:3] == ["Student,ID,SIS User ID,SIS Login ID,Section,perceptron", "Points Possible,,,,,10",
                         '"García, José",1001,S1001,jgarcia,NN 2026,10']
    code, _, err = _run(capsys, "export", "--to", tmp_path / "g.csv", "--roster", roster, "--course-dir", graded)
    assert code == 2 and "--roster and --id-column are for an LMS's file: add --format canvas or moodle" in err


def test_canvas_late_mark_uses_the_gradebook_due_date_and_nbgrader_reads_it_late(graded, tmp_path):
    """Without --due-date the gradebook's due date is used, and nbgrader parses the written time as after it."""
    from nbgrader.api import Gradebook
    from nbgrader.coursedir import CourseDirectory

    course = tmp_path / "course"
    shutil.copytree(graded, course)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nn-course") as gb:
        gb.update_or_create_assignment("perceptron", duedate="2026-10-05 12:00:00 UTC")
    report = import_from_lms(_canvas_archive(tmp_path / "submissions.zip"), "perceptron", course, lms="canvas",
                             roster=_canvas_roster(tmp_path / "grades.csv"))
    assert ("amuller (Müller, Ånna)", "late according to Canvas (which does not say when): timestamp.txt = the due "
                                      "date + 1 s (2026-10-05 12:00:01 UTC)") in report.notes
    stamp = CourseDirectory().get_existing_timestamp(str(course / "submitted" / "amuller" / "perceptron"))
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}", course_id="nn-course") as gb:
        assert (stamp - gb.find_assignment("perceptron").duedate).total_seconds() == 1.0
