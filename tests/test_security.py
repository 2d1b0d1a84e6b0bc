"""Hostile submissions: each attack class of the security issue, graded in the sandbox, with its exact outcome.

The course is ``test_autograde``'s small ``ps1`` course (two graded functions, hidden tests, a written answer). One
class of hostile submissions is graded once with ``autograde(jobs=2)``; every test then checks one attack's outcome
(flagged and why, contained, score) or one invariant of the whole run: the real gradebook rows of an honest student,
the configuration, ``course_utils``, the sources and every submission byte for byte unchanged, nothing written
outside the scratch folders, no process of the grading left, nothing executable in what is published.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

sys.path.insert(0, str(Path(__file__).parent))
import test_autograde as course_kit  # noqa: E402

from course_utils.instructor.autograde import autograde, printable  # noqa: E402
from course_utils.instructor.cli import main  # noqa: E402
from course_utils.instructor.sandbox import SANDBOX_UID, sandbox_command  # noqa: E402

pytestmark = [pytest.mark.slow,  # grades a class of hostile submissions in the sandbox
              pytest.mark.skipif(shutil.which("bwrap") is None,
                                 reason="the grading sandbox needs bubblewrap: apt-get install bubblewrap")]

ASSIGNMENT = course_kit.ASSIGNMENT
OK, WRONG = course_kit.SIGMOID_OK, course_kit.SIGMOID_WRONG
MARK = "nn_pwned_7f3a"  # in every payload, to find its traces
HOME_FILE = Path.home() / f".{MARK}"
TMP_FILE = Path("/tmp") / f"{MARK}.txt"
COURSE_UTILS = Path(__import__("course_utils").__file__).parent


def digests(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and "__pycache__" not in p.parts}


def attacks(course: Path) -> dict:
    """student -> (sigmoid cell source, written answer or None). The affine cell is always correct."""
    real = str(course)
    return {
        # Full marks without solving anything
        "reference_import": ("from course_utils.layers import affine_forward as _ref\n" + OK, None),
        "rebinds_np": ("class _Fake:\n    def __getattr__(self, name):\n        return self\n"
                       "    def __call__(self, *a, **k):\n        return self\n" + WRONG + "\nnp = _Fake()", None),
        "input_transformer": ("get_ipython().input_transformers_post.append(lambda lines: [])\n" + WRONG, None),
        "custom_exc": ("get_ipython().set_custom_exc((Exception,), lambda *a, **k: None)\n" + WRONG, None),
        "post_run_hook": ("def _hide(result):\n    result.error_in_exec = None\n"
                          "get_ipython().events.register('post_run_cell', _hide)\n" + WRONG, None),
        "partial_patch": ("import functools\nnp.testing.assert_allclose = functools.partial(print, end='')\n" + WRONG,
                          None),
        "hidden_patch": ("m = __import__('num' + 'py').testing\nsetattr(m, 'assert_' + 'allclose', max)\n" + WRONG,
                         None),
        "tracer": ("import sys\nsys.settrace(lambda *a: None)\n" + WRONG, None),
        # Secrets
        "reads_secrets": (f"import glob\nfor p in glob.glob('{real}/source/*/*.ipynb') + ['/proc/1/cwd/gradebook.db']:\n"
                          "    print(open(p).read()[:200])\n" + OK, None),
        # Tampering
        "tampers": (f"import os, sqlite3\nfor target in ['{real}/gradebook.db', '{real}/nbgrader_config.py', "
                    f"'{real}/submitted/honest/ps1/ps1.ipynb', '{HOME_FILE}', '{TMP_FILE}']:\n"
                    f"    try:\n        open(target, 'a').write('{MARK}')\n    except OSError as e:\n        print(e)\n"
                    "os.symlink('/etc/passwd', 'ps1.ipynb.link')\n" + OK, None),
        "daemon": (f"import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600) "
                   f"# {MARK}'], start_new_session=True)\n" + OK, None),
        # The instructor's browser
        "browser": ("from IPython.display import HTML, Javascript, display\n"
                    f"display(HTML('<script>window.{MARK}=1</script><img src=x onerror=\"{MARK}()\">'))\n"
                    f"display(Javascript('window.{MARK} = 2'))\n" + OK,
                    f"<script>{MARK}()</script><img src=x onerror=\"{MARK}()\"> [link](javascript:{MARK}())"),
        # Resources
        "memory": ("block = bytearray(64 * 1024 ** 3)\n" + OK, None),
        "fork_bomb": ("import os\npids = []\ntry:\n    for _ in range(100000):\n        pid = os.fork()\n"
                      "        if pid == 0:\n            import time; time.sleep(30); os._exit(0)\n"
                      "        pids.append(pid)\nexcept OSError as e:\n    print('stopped', len(pids), e)\n" + OK,
                      None),
        "network": ("import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)\n" + OK, None),
        "big_file": ("open('big.bin', 'wb').write(b'0' * (200 * 1024 ** 2))\n" + OK, None),
        "control_chars": (OK + "\nraise ValueError('\\x1b[2J\\rall good')", None),
    }


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    course = course_kit.make_course(tmp_path_factory.mktemp("secure") / "course")
    course_kit.submit(course, "honest", course_kit.student_notebook(course, answer="exp(-z) > 0"))
    # a submitted shadow package next to the notebook
    course_kit.submit(course, "shadow", course_kit.student_notebook(
        course, sigmoid="import sys\nsys.path.insert(0, '.')\nfrom course_utils import exercise_checks\n" + WRONG))
    shadow = course / "submitted" / "shadow" / ASSIGNMENT / "course_utils"
    shadow.mkdir()
    (shadow / "__init__.py").write_text("")
    (shadow / "exercise_checks.py").write_text("def check_array(*a, **k):\n    pass\n")
    first = autograde(ASSIGNMENT, course_dir=course, students=["honest"], progress=False)
    assert first.rows[0]["status"] == "graded", first
    honest_rows = [r for r in course_kit.gradebook_rows(course) if "honest" in r]
    for student, (sigmoid, answer) in attacks(course).items():
        course_kit.submit(course, student, course_kit.student_notebook(course, sigmoid=sigmoid, answer=answer))
    students = sorted(set(attacks(course)) | {"shadow"})
    protected = {"config": (course / "nbgrader_config.py").read_bytes(), "source": digests(course / "source"),
                 "submitted": digests(course / "submitted"), "course_utils": digests(COURSE_UTILS)}
    start = time.time()
    summary = autograde(ASSIGNMENT, course_dir=course, students=students, jobs=2, progress=False)
    seconds = time.time() - start
    time.sleep(1)
    assert main(["feedback", ASSIGNMENT, "--course-dir", str(course)]) == 0
    return {"course": course, "summary": summary, "rows": {r["student"]: r for r in summary.rows},
            "protected": protected, "honest_rows": honest_rows, "seconds": seconds}


def reasons(hostile, student):
    return hostile["rows"][student]["reasons"]


def has(hostile, student, *patterns):
    text = "\n".join(reasons(hostile, student))
    return all(re.search(p, text) for p in patterns)


# (student, status, score, patterns that its reasons must all match)
CASES = [
    ("reference_import", "flagged", 5.0, [r"line 1, imports course_utils\.layers\.affine_forward, the course's "
                                          r"reference implementation"]),
    ("rebinds_np", "flagged", 3.0, [r"rebinds 'np'"]),  # the test cells import numpy themselves: no free points
    ("input_transformer", "flagged", None, [r"drives IPython \(get_ipython\)",
                                            r"(replaced hook:input_transformers_post|integrity check did not answer)"]),
    ("custom_exc", "flagged", None, [r"drives IPython", r"replaced hook:custom_exceptions"]),
    ("post_run_hook", "flagged", None, [r"drives IPython", r"hook:events\.post_run_cell"]),
    ("partial_patch", "flagged", None, [r"changes np\.testing\.assert_allclose",
                                        r"replaced numpy\.testing\.assert_allclose"]),
    ("hidden_patch", "flagged", None, [r"imports modules dynamically", r"sets attributes dynamically",
                                       r"replaced numpy\.testing\.assert_allclose"]),
    ("tracer", "flagged", None, [r"installs a trace function", r"replaced hook:sys\.gettrace"]),
    ("reads_secrets", "flagged", 3.0, [r"lists files", r"opens a file whose path is computed",
                                       r"raised (PermissionError|FileNotFoundError)"]),
    ("tampers", "flagged", 5.0, [r"accesses the file|opens a file", r"uses os\.symlink"]),
    ("daemon", "flagged", 5.0, [r"starts processes"]),
    ("browser", "graded", 5.0, [r"cell\(s\) held HTML or JavaScript .* removed before publishing"]),
    ("memory", "graded", 3.0, [r"raised MemoryError"]),
    ("fork_bomb", "flagged", 5.0, [r"uses os\.fork"]),
    ("network", "flagged", 3.0, [r"opens network sockets", r"raised (OSError|ConnectionRefusedError)"]),
    ("big_file", "graded", 3.0, [r"raised OSError: \[Errno 27\] File too large"]),
    ("control_chars", "graded", 5.0, [r"raised ValueError"]),
    ("shadow", "flagged", 3.0, [r"changes where modules are imported from \(sys\.path\)",
                                r"not published .*course_utils"]),
]


@pytest.mark.parametrize("student, status, score, patterns", CASES, ids=[c[0] for c in CASES])
def test_attack_outcome(hostile, student, status, score, patterns):
    row = hostile["rows"][student]
    assert row["status"] == status, row["reasons"]
    if score is not None:
        assert row["score"] == score, row["reasons"]
    assert has(hostile, student, *patterns), row["reasons"]


def test_every_attack_is_in_the_table():
    assert {c[0] for c in CASES} == set(attacks(Path("/x"))) | {"shadow"}


def test_nothing_outside_the_scratch_folders_changed(hostile):
    course, protected = hostile["course"], hostile["protected"]
    assert (course / "nbgrader_config.py").read_bytes() == protected["config"]
    assert digests(course / "source") == protected["source"]
    assert digests(course / "submitted") == protected["submitted"]
    assert digests(COURSE_UTILS) == protected["course_utils"]
    assert not HOME_FILE.exists() and not TMP_FILE.exists()
    assert [r for r in course_kit.gradebook_rows(course) if "honest" in r] == hostile["honest_rows"]


def test_no_grading_process_is_left(hostile):
    import psutil

    left = []
    for proc in psutil.process_iter(["cmdline", "uids"]):
        cmdline = " ".join(proc.info["cmdline"] or [])
        uid = proc.info["uids"].real if proc.info["uids"] else -1
        if MARK in cmdline or uid >= SANDBOX_UID:
            left.append((proc.pid, uid, cmdline[:80]))
    assert left == []


def _outputs(path) -> str:
    """The outputs of the student's cells (a test cell's traceback quotes the test's own code, hidden part included:
    that code ran in the kernel, which the threat model allows; the feedback hides it)."""
    nb = nbformat.read(path, as_version=4)
    return json.dumps([c.get("outputs", []) for c in nb.cells if not c.metadata.get("nbgrader", {}).get("grade")])


def test_kernel_saw_nothing_of_the_course(hostile):
    out = _outputs(hostile["course"] / "autograded" / "reads_secrets" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert "BEGIN SOLUTION" not in out and "BEGIN HIDDEN TESTS" not in out and "SQLite format" not in out
    assert "/proc/1/cwd/gradebook.db" in out  # it tried, and got an error


def test_writes_failed_and_links_are_not_published(hostile):
    course = hostile["course"]
    nb = (course / "autograded" / "tampers" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert "Read-only file system" in nb or "No such file or directory" in nb
    for step in ("autograded", "feedback"):
        for path in (course / step).rglob("*"):
            assert not path.is_symlink(), path
            if path.is_file():
                assert path.suffix in ({".ipynb", ".txt"} if step == "autograded" else {".html"}), path


def test_published_notebooks_and_feedback_run_no_script(hostile):
    course = hostile["course"]
    nb = nbformat.read(course / "autograded" / "browser" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    text = json.dumps([c.get("outputs", []) for c in nb.cells] + [c.source for c in nb.cells if c.cell_type != "code"])
    assert MARK in text  # the payloads are there, defused
    assert "application/javascript" not in text and "<script" not in text and "onerror" not in text
    html = (course / "feedback" / "browser" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert MARK in html  # the student's code is shown, as escaped text: nothing of it is live markup
    assert live_markup(html) == []


def live_markup(html: str) -> list:
    """Scripts, event-handler attributes and javascript: links in ``html`` that carry the payload marker."""
    from html.parser import HTMLParser

    found = []

    class Parser(HTMLParser):
        script = False

        def handle_starttag(self, tag, attrs):
            self.script = tag == "script"
            for name, value in attrs:
                if MARK in (value or "") and (name.startswith("on") or (value or "").strip().lower().startswith(
                        "javascript:")):
                    found.append((tag, name, value))

        def handle_data(self, data):
            if self.script and MARK in data:
                found.append(("script", data[:80]))

        def handle_endtag(self, tag):
            self.script = False

    Parser().feed(html)
    return found


def test_feedback_hides_the_hidden_tests(hostile):
    for student in ("honest", "rebinds_np"):
        html = (hostile["course"] / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert "0.2689414213699951" not in html and "HIDDEN TESTS" not in html
        assert "sigmoid(z) equals 1 / (1 + exp(-z)) at a few points" in html  # the visible test is shown


def test_control_characters_are_escaped(hostile, tmp_path):
    table = str(hostile["summary"])
    assert "\x1b" not in table and "\r" not in table and "\\x1b[2J" in table
    csv_text = Path(hostile["summary"].to_csv(tmp_path / "s.csv")).read_text()
    assert "\x1b" not in csv_text and "\\x1b" in csv_text
    assert printable("a\x00b\u202ec") == "a\\x00b\\u202ec"


def test_the_reference_solution_of_every_assignment_grades_clean_in_the_sandbox(tmp_path):
    """No false alarm on honest work: the published solutions get full automatic marks and no flag."""
    root = Path(__file__).resolve().parents[1]
    course = tmp_path / "course"
    shutil.copytree(root / "assignments", course / "assignments")
    shutil.copy(root / "nbgrader_config.py", course)
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""))
    names = ["perceptron", "logistic_regression", "backprop_xor", "keras_mnist", "training_tricks"]
    for name in names:
        out = subprocess.run([sys.executable, "-m", "course_utils.instructor.cli", "generate", name, "--release-only",
                              "--course-dir", str(course)], capture_output=True, text=True, env=env)
        assert out.returncode == 0, out.stderr
        folder = course / "submitted" / "alice" / name
        folder.mkdir(parents=True)
        shutil.copy(root / "solutions" / name / f"{name}.ipynb", folder)
    for name in names:
        (row,) = autograde(name, course_dir=course, progress=False).rows
        notes = [r for r in row["reasons"] if "removed before publishing" not in r]  # Keras's HTML progress output
        assert row["status"] == "graded" and notes == [], (name, row["reasons"])
        assert row["score"] + row["by_hand"] == row["max_score"], (name, row)


def test_kernels_do_not_share_a_process_limit(tmp_path):
    """Kernels started by two grading processes run as different users: one that exhausts its process limit (a fork
    bomb) does not stop the other from starting threads (RLIMIT_NPROC counts a user's processes machine-wide)."""
    if os.geteuid() != 0:
        pytest.skip("as an ordinary user each kernel has a user namespace of its own")
    from course_utils.instructor.sandbox import Limits

    script = tmp_path / "fork.py"
    script.write_text("import os, sys, time\nn = 0\ntry:\n    while n < 100000:\n        if os.fork() == 0:\n"
                      "            time.sleep(6); os._exit(0)\n        n += 1\nexcept OSError:\n    pass\n"
                      "print(n, flush=True)\ntime.sleep(6)\n")
    os.chmod(tmp_path, 0o755)
    limits = Limits(processes=64)
    cmd = [sys.executable, "-I", str(script)]
    sockets = tmp_path / "ipc"
    sockets.mkdir()
    bomb = subprocess.Popen(sandbox_command(cmd, cwd=None, socket_dir=str(sockets), limits=limits,
                                            data_dirs=[str(tmp_path)]), stdout=subprocess.PIPE, text=True)
    assert int(bomb.stdout.readline()) == 63  # the limit holds: 64 processes, the bomb's own included
    # the second kernel is started by another grading process (as with --jobs 2), so it gets its own uid
    probe = ("import json, sys; from course_utils.instructor.sandbox import Limits, sandbox_command; "
             "print(json.dumps(sandbox_command([sys.executable, '-I', '-c', 'import threading; t = threading.Thread("
             "target=print, args=(\\'thread ok\\',)); t.start(); t.join()'], cwd=None, socket_dir=sys.argv[1], "
             "limits=Limits(processes=64))))")
    other = json.loads(subprocess.run([sys.executable, "-c", probe, str(sockets)], capture_output=True, text=True,
                                      check=True).stdout)
    assert subprocess.run(other, capture_output=True, text=True, timeout=60).stdout.strip() == "thread ok"
    bomb.kill()
    bomb.wait()


def test_without_bubblewrap_autograde_refuses_and_says_how_to_install(hostile, monkeypatch, capsys):
    monkeypatch.setattr(shutil, "which", lambda name, *a, **k: None)
    code = main(["autograde", ASSIGNMENT, "--course-dir", str(hostile["course"]), "--student", "honest",
                 "--no-progress"])
    err = capsys.readouterr().err
    assert code == 2 and "apt-get install bubblewrap" in err and "--no-sandbox" in err


def test_no_sandbox_is_explicit_and_the_summary_says_so(hostile, capsys):
    code = main(["autograde", ASSIGNMENT, "--course-dir", str(hostile["course"]), "--student", "honest",
                 "--no-progress", "--no-sandbox"])
    out = capsys.readouterr()
    assert code == 0
    assert "WARNING: graded without the sandbox" in out.out and "WARNING: graded without the sandbox" in out.err
