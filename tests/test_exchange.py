"""nn-course release / collect / release-feedback on a temporary exchange folder (no hub: students are played by
nbgrader's own exchange classes, configured as a student's server is in deploy/jupyter/student/).

The whole cycle through a real JupyterHub is in test_hub.py.
"""
import json
import os
import shutil
from pathlib import Path

import pytest

from course_utils.instructor.cli import main
from course_utils.instructor.course import CourseError
from course_utils.instructor.exchange import (collect_submissions, exchange_config, release_assignment,
                                              release_feedback)

COURSE_ID = "nn-course"  # the course's nbgrader_config.py
ROOT = Path(__file__).resolve().parents[1]


def _run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _student(action, name, exchange, home, assignment="perceptron"):
    """Run one of nbgrader's student-side exchange classes (FetchAssignment, Submit, FetchFeedback) as ``name``."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange import ExchangeFactory
    from traitlets.config import Config

    config = Config()
    config.Exchange.root = str(exchange)
    config.Exchange.assignment_dir = str(home)
    config.Exchange.cache = str(home / ".nbgrader_cache")
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.student_id = name
    config.CourseDirectory.assignment_id = assignment
    app = getattr(ExchangeFactory(config=config), action)(
        coursedir=CourseDirectory(config=config), authenticator=Authenticator(config=config), config=config)
    app.start()


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A course with perceptron generated (student version and gradebook), made once for the module."""
    from course_utils.instructor.generate import generate

    root = tmp_path_factory.mktemp("generated") / "course"
    (root / "assignments").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", root)
    shutil.copytree(ROOT / "assignments" / "source", root / "assignments" / "source")
    generate(["perceptron"], root, solutions=False)
    return root


@pytest.fixture
def released(generated, tmp_path):
    """A copy of the generated course, perceptron released to ``tmp_path/exchange``; returns (course, exchange)."""
    course = tmp_path / "course"
    shutil.copytree(generated, course)
    exchange = tmp_path / "exchange"
    release_assignment("perceptron", course, exchange=exchange)
    return course, exchange


def _submit(name, exchange, tmp_path, edit=None):
    home = tmp_path / "home" / name
    home.mkdir(parents=True, exist_ok=True)
    if not (home / "perceptron").is_dir():
        _student("FetchAssignment", name, exchange, home)
    if edit is not None:
        path = home / "perceptron" / "perceptron.ipynb"
        nb = json.loads(path.read_text())
        nb["cells"][0]["source"] = edit
        path.write_text(json.dumps(nb))
    _student("Submit", name, exchange, home)
    return home


# ---------------------------------------------------------------------------------------------------------------------
# release


def test_release_publishes_the_student_version(released, capsys):
    course, exchange = released
    outbound = exchange / COURSE_ID / "outbound" / "perceptron"
    assert (outbound / "perceptron.ipynb").read_bytes() == \
        (course / "assignments" / "release" / "perceptron" / "perceptron.ipynb").read_bytes()
    assert "### BEGIN SOLUTION" not in (outbound / "perceptron.ipynb").read_text()
    assert (exchange / COURSE_ID / "inbound").is_dir()


def test_release_twice_needs_force(released, capsys):
    course, exchange = released
    code, _, err = _run(capsys, "release", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 2 and "already released" in err and "--force" in err
    code, out, err = _run(capsys, "release", "perceptron", "--force", "--course-dir", str(course),
                          "--exchange", str(exchange))
    assert code == 0, err
    assert "released 1" in out and "perceptron.ipynb" in out


def test_release_before_generate_says_to_generate(course, tmp_path, capsys):
    code, _, err = _run(capsys, "release", "perceptron", "--course-dir", str(course),
                        "--exchange", str(tmp_path / "exchange"))
    assert code == 2 and "nn-course generate perceptron" in err
    assert not (tmp_path / "exchange" / COURSE_ID / "outbound").exists()


def test_unknown_assignment_lists_the_known_ones(course, tmp_path, capsys):
    code, _, err = _run(capsys, "release", "perceptrn", "--course-dir", str(course),
                        "--exchange", str(tmp_path / "exchange"))
    assert code == 2 and "unknown assignment 'perceptrn'" in err and "perceptron" in err


def test_no_exchange_configured_says_how_to_set_one(course, tmp_path, monkeypatch, capsys):
    # No nbgrader_config.py on Jupyter's path either (the user's one would be read otherwise).
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "jupyter"))
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", "")
    monkeypatch.setattr("jupyter_core.paths.SYSTEM_CONFIG_PATH", [])
    monkeypatch.setattr("jupyter_core.paths.ENV_CONFIG_PATH", [])
    code, _, err = _run(capsys, "release", "perceptron", "--course-dir", str(course))
    assert code == 2 and "no exchange configured" in err and "c.Exchange.root" in err and "--exchange" in err


def test_the_exchange_comes_from_the_course_config_or_jupyters(course, tmp_path, monkeypatch):
    jupyter = tmp_path / "etc-jupyter"
    jupyter.mkdir()
    (jupyter / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = '/srv/hub/exchange'\n"
                                                "c.CourseDirectory.student_id = 'alice'\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(jupyter))
    config = exchange_config(course)
    assert config.Exchange.root == "/srv/hub/exchange"
    assert config.CourseDirectory.student_id == "*"  # a student's setting never narrows the instructor's commands
    with open(course / "nbgrader_config.py", "a") as f:
        f.write("\nc.Exchange.root = '/srv/course/exchange'\n")
    assert exchange_config(course).Exchange.root == "/srv/course/exchange"
    assert exchange_config(course, exchange=tmp_path / "x").Exchange.root == str(tmp_path / "x")


def test_a_broken_jupyter_config_is_named(course, tmp_path, monkeypatch, capsys):
    jupyter = tmp_path / "etc-jupyter"
    jupyter.mkdir()
    (jupyter / "nbgrader_config.py").write_text("c = get_config()\nc.Exchange.root = os.environ['NOPE']\n")
    monkeypatch.setenv("JUPYTER_CONFIG_PATH", str(jupyter))
    code, _, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course))
    assert code == 2 and f"cannot read {jupyter / 'nbgrader_config.py'}" in err and "NameError" in err


def test_an_exchange_that_cannot_exist_is_refused(released, tmp_path, capsys):
    course, _ = released
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    code, _, err = _run(capsys, "release", "perceptron", "--course-dir", str(course),
                        "--exchange", str(blocker / "exchange"))
    assert code == 2 and "cannot create the exchange" in err and "chmod 777" in err
    code, _, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(blocker))
    assert code == 2 and "is not a folder" in err


def test_an_unwritable_exchange_is_refused(released, monkeypatch, capsys):
    course, exchange = released
    real_access = os.access
    # Tests run as root, for whom every folder is writable: play a user without write permission on the exchange.
    monkeypatch.setattr(os, "access", lambda path, mode: False if str(path) == str(exchange) else
                        real_access(path, mode))
    code, _, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 2 and "not writable" in err and str(exchange) in err


# ---------------------------------------------------------------------------------------------------------------------
# collect


def test_collect_copies_each_students_latest_submission(released, tmp_path, capsys):
    course, exchange = released
    _submit("alice", exchange, tmp_path, edit="# alice's first try")
    _submit("bob", exchange, tmp_path, edit="# bob")
    code, out, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 0, err
    assert "collected 2" in out and "alice: new submission" in out and "bob: new submission" in out
    for name in ["alice", "bob"]:
        folder = course / "submitted" / name / "perceptron"
        assert json.loads((folder / "perceptron.ipynb").read_text())["cells"][0]["source"].endswith(name if
                                                                                                    name == "bob"
                                                                                                    else "try")
        assert (folder / "submission_secret.txt").is_file() and (folder / "timestamp.txt").is_file()

    _submit("alice", exchange, tmp_path, edit="# alice's second try")
    report = collect_submissions("perceptron", course, exchange=exchange)
    assert report.done["alice"].startswith("updated") and report.done["bob"].startswith("unchanged")
    nb = json.loads((course / "submitted" / "alice" / "perceptron" / "perceptron.ipynb").read_text())
    assert nb["cells"][0]["source"] == "# alice's second try"


def test_collect_with_nothing_submitted_says_so(released, capsys):
    course, exchange = released
    code, _, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 2 and "nothing to collect" in err and "no student has submitted 'perceptron'" in err


def test_collect_of_an_assignment_never_released_says_to_release(released, capsys):
    course, exchange = released
    code, _, err = _run(capsys, "collect", "backprop_xor", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 2 and "never released" in err and "nn-course release backprop_xor" in err


def test_collect_from_a_missing_exchange_says_what_to_do(course, tmp_path, capsys):
    code, _, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course),
                        "--exchange", str(tmp_path / "nowhere"))
    assert code == 2 and "does not exist" in err and "nn-course release" in err


def test_collect_leaves_out_entries_that_are_not_student_ids(released, tmp_path, capsys):
    course, exchange = released
    _submit("alice", exchange, tmp_path)
    (exchange / COURSE_ID / "inbound" / "..+perceptron+2026-01-01 00:00:00.000000 UTC+abc").mkdir()
    code, out, _ = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 1
    assert "alice: new submission" in out and "not a usable student id" in out
    assert sorted(p.name for p in (course / "submitted").iterdir()) == ["alice"]
    assert not (course / "perceptron").exists()


def test_collect_one_student(released, tmp_path, capsys):
    course, exchange = released
    _submit("alice", exchange, tmp_path)
    _submit("bob", exchange, tmp_path)
    report = collect_submissions("perceptron", course, exchange=exchange, students=["bob"])
    assert list(report.done) == ["bob"]
    with pytest.raises(CourseError, match="no submission of 'perceptron' in the exchange from: carol"):
        collect_submissions("perceptron", course, exchange=exchange, students=["carol"])


# ---------------------------------------------------------------------------------------------------------------------
# release-feedback


def _fake_feedback(course, student, text):
    """Feedback as `nn-course feedback` leaves it (HTML only), for a submission graded as collected."""
    folder = course / "feedback" / student / "perceptron"
    folder.mkdir(parents=True)
    (folder / "perceptron.html").write_text(f"<html><body>{text}</body></html>")
    graded = course / "autograded" / student / "perceptron"
    graded.mkdir(parents=True)
    (graded / "timestamp.txt").write_text((course / "submitted" / student / "perceptron" / "timestamp.txt").read_text())


def test_each_student_fetches_only_their_own_feedback(released, tmp_path, capsys):
    course, exchange = released
    homes = {name: _submit(name, exchange, tmp_path) for name in ["alice", "bob"]}
    collect_submissions("perceptron", course, exchange=exchange)
    for name in homes:
        _fake_feedback(course, name, f"feedback for {name}")
    code, out, err = _run(capsys, "release-feedback", "perceptron", "--course-dir", str(course),
                          "--exchange", str(exchange))
    assert code == 0, err
    assert "alice: perceptron.html" in out and "bob: perceptron.html" in out
    published = sorted((exchange / COURSE_ID / "feedback").glob("*.html"))
    assert len(published) == 2 and not any("alice" in p.name or "bob" in p.name for p in published)
    for name, home in homes.items():
        _student("FetchFeedback", name, exchange, home)
        fetched = list((home / "perceptron" / "feedback").glob("*/perceptron.html"))
        assert len(fetched) == 1
        assert fetched[0].read_text() == f"<html><body>feedback for {name}</body></html>"
    # nn-course's feedback folder is unchanged: still HTML only.
    assert sorted(p.name for p in (course / "feedback" / "alice" / "perceptron").iterdir()) == ["perceptron.html"]


def test_release_feedback_without_feedback_says_to_grade_first(released, tmp_path, capsys):
    course, exchange = released
    code, _, err = _run(capsys, "release-feedback", "perceptron", "--course-dir", str(course),
                        "--exchange", str(exchange))
    assert code == 2 and "nn-course feedback perceptron" in err


def test_feedback_of_a_submission_not_from_the_exchange_is_left_out(released, tmp_path, capsys):
    course, exchange = released
    _submit("alice", exchange, tmp_path)
    collect_submissions("perceptron", course, exchange=exchange)
    _fake_feedback(course, "alice", "alice")
    (course / "submitted" / "carol" / "perceptron").mkdir(parents=True)  # e.g. `nn-course import` from an LMS
    (course / "submitted" / "carol" / "perceptron" / "timestamp.txt").write_text("2026-01-01 00:00:00.000000 UTC")
    _fake_feedback(course, "carol", "carol")
    code, out, _ = _run(capsys, "release-feedback", "perceptron", "--course-dir", str(course),
                        "--exchange", str(exchange))
    assert code == 1
    assert "alice: perceptron.html" in out
    assert "carol: not submitted through the exchange" in out and "another way" in out
    assert len(list((exchange / COURSE_ID / "feedback").glob("*.html"))) == 1


def test_feedback_of_an_older_submission_is_not_released(released, tmp_path, capsys):
    course, exchange = released
    _submit("alice", exchange, tmp_path)
    collect_submissions("perceptron", course, exchange=exchange)
    _fake_feedback(course, "alice", "alice")
    _submit("alice", exchange, tmp_path, edit="# resubmitted")
    collect_submissions("perceptron", course, exchange=exchange)  # newer submission, not graded yet
    code, out, _ = _run(capsys, "release-feedback", "perceptron", "--course-dir", str(course),
                        "--exchange", str(exchange))
    assert code == 1
    assert "the feedback grades the submission of" in out and "--student alice" in out
    assert not list((exchange / COURSE_ID / "feedback").glob("*.html"))


def test_release_feedback_for_an_unknown_student(released, tmp_path):
    course, exchange = released
    with pytest.raises(CourseError, match="no feedback of 'perceptron' for dave"):
        release_feedback("perceptron", course, exchange=exchange, students=["dave"])


def test_import_no_longer_answers_to_collect(course, tmp_path, capsys):
    """`collect` is the exchange's (it takes the assignment alone); importing a folder is `import`."""
    with pytest.raises(SystemExit):
        main(["collect", "perceptron", str(tmp_path), "--course-dir", str(course)])
    assert "unrecognized arguments" in capsys.readouterr().err


def test_a_course_with_another_directory_structure_is_followed_both_ways(released, tmp_path, capsys):
    # The course keeps its folders as <step>/<assignment>/<student>: collect writes there, autograde and feedback read
    # there, and release-feedback finds the submission's secret and the feedback there.
    course, exchange = released
    with open(course / "nbgrader_config.py", "a") as fh:
        fh.write("\nc.CourseDirectory.directory_structure = '{nbgrader_step}/{assignment_id}/{student_id}'\n")
    home = _submit("alice", exchange, tmp_path)
    code, out, err = _run(capsys, "collect", "perceptron", "--course-dir", str(course), "--exchange", str(exchange))
    assert code == 0, err
    submitted = course / "submitted" / "perceptron" / "alice"
    assert (submitted / "perceptron.ipynb").is_file() and (submitted / "submission_secret.txt").is_file()
    assert "alice: new submission of" in out and not (course / "submitted" / "alice").exists()
    feedback = course / "feedback" / "perceptron" / "alice"
    feedback.mkdir(parents=True)
    (feedback / "perceptron.html").write_text("<html><body>feedback for alice</body></html>")
    graded = course / "autograded" / "perceptron" / "alice"
    graded.mkdir(parents=True)
    (graded / "timestamp.txt").write_text((submitted / "timestamp.txt").read_text())
    code, out, err = _run(capsys, "release-feedback", "perceptron", "--course-dir", str(course),
                          "--exchange", str(exchange))
    assert code == 0, out + err
    assert "alice: perceptron.html" in out
    _student("FetchFeedback", "alice", exchange, home)
    (fetched,) = (home / "perceptron" / "feedback").glob("*/perceptron.html")
    assert fetched.read_text() == "<html><body>feedback for alice</body></html>"
