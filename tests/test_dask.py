"""Grading on a Dask cluster (``autograde(..., scheduler=ADDRESS)``), for real on 127.0.0.1.

The cluster: a ``LocalCluster`` with two worker processes, plus one ``dask worker`` started as a separate process, as
an instructor would start one on another machine. The class is the small course of ``test_autograde`` with a few
correct, wrong and broken submissions; it is graded once with plain sequential ``nbgrader autograde`` (the
reference) and twice on the cluster: once undisturbed, once with the separate worker killed (SIGKILL) while it holds
a submission. Both cluster gradings must leave the gradebook exactly as sequential nbgrader does.
"""
import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

import test_autograde as kit
from course_utils.instructor.autograde import autograde
from course_utils.instructor.cli import main
from course_utils.instructor.course import CourseError

distributed = pytest.importorskip("distributed", reason="grading on a cluster needs: pip install 'nn-course[cluster]'")

pytestmark = pytest.mark.slow
ASSIGNMENT = kit.ASSIGNMENT


def build_class(course):
    """Correct, wrong and broken submissions, and one slow enough (3 s) to be caught mid-grading."""
    kit.submit(course, "correct", kit.student_notebook(course, answer="Because exp(-z) is positive."))
    kit.submit(course, "no_bias", kit.student_notebook(course, affine=kit.AFFINE_NO_BIAS))
    kit.submit(course, "untouched", kit.release_notebook(course))
    kit.submit(course, "wrong_sigmoid", kit.student_notebook(course, sigmoid=kit.SIGMOID_WRONG))
    kit.submit(course, "invalid_json", raw='{"cells": [')
    kit.submit(course, "kernel_dies", kit.student_notebook(course, sigmoid="import os\nos._exit(1)\n" + kit.SIGMOID_OK))
    for name in ("slow_a", "slow_b", "slow_c"):
        kit.submit(course, name, kit.student_notebook(course, sigmoid="import time\ntime.sleep(3)\n" + kit.SIGMOID_OK))


def start_worker(address, name):
    """A ``dask worker`` process of its own (no nanny: killing it kills the worker), one thread."""
    cmd = [os.path.join(os.path.dirname(sys.executable), "dask"), "worker", address, "--nthreads", "1",
           "--no-nanny", "--name", name, "--no-dashboard", "--host", "127.0.0.1"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)


def grading_processes(pid):
    """The processes grading a submission under process ``pid`` (a Dask job's child, a kernel in the sandbox)."""
    import psutil

    return [p for p in psutil.Process(pid).children(recursive=True)
            if "_grading_worker" in " ".join(p.cmdline()) or "bwrap" in " ".join(p.cmdline())]


def still_running(processes):
    import psutil

    alive = []
    for proc in processes:
        try:
            if proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE:
                alive.append(" ".join(proc.cmdline())[:120])
        except psutil.NoSuchProcess:
            pass
    return alive


@pytest.fixture(scope="module")
def cluster():
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None) as local:
        external = start_worker(local.scheduler_address, "external")
        try:
            with Client(local.scheduler_address, set_as_default=False) as client:  # autograde must not need it
                client.wait_for_workers(3, timeout=120)
                yield {"address": local.scheduler_address, "client": client}
        finally:
            external.kill()
            external.wait()


@pytest.fixture(scope="module")
def graded(tmp_path_factory, cluster):
    base = kit.make_course(tmp_path_factory.mktemp("course") / "course")
    build_class(base)
    copies = {}
    for name in ("sequential", "cluster", "killed"):
        copies[name] = tmp_path_factory.mktemp(name) / "course"
        shutil.copytree(base, copies[name])
    kit._nbgrader(copies["sequential"], "autograde", ASSIGNMENT, "--force")
    summary = autograde(ASSIGNMENT, course_dir=copies["cluster"], scheduler=cluster["address"], progress=False)

    # The second grading: a fresh separate worker, killed as soon as it holds a submission.
    victim = start_worker(cluster["address"], "victim")
    client = cluster["client"]
    client.wait_for_workers(4, timeout=120)
    seen = {}

    def kill_when_busy():
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            busy = {addr: keys for addr, keys in client.processing().items() if keys}
            info = client.scheduler_info()["workers"]
            for addr, keys in busy.items():
                if info.get(addr, {}).get("name") == "victim":
                    seen["keys"] = list(keys)
                    time.sleep(1.0)  # let it start grading: a child process and a kernel are running
                    seen["processes"] = grading_processes(victim.pid)
                    victim.send_signal(signal.SIGKILL)
                    return
            time.sleep(0.05)

    killer = threading.Thread(target=kill_when_busy)
    killer.start()
    killed = autograde(ASSIGNMENT, course_dir=copies["killed"], scheduler=cluster["address"], progress=False)
    killer.join()
    victim.wait()
    time.sleep(1.0)
    return {**copies, "base": base, "summary": summary, "killed_summary": killed, "seen": seen,
            "left": still_running(seen.get("processes", []))}


def test_cluster_gradebook_equals_sequential_nbgrader(graded):
    seq = kit.gradebook_rows(graded["sequential"])
    assert sum(r[0] == "grade" for r in seq) >= 3 * 7  # many students' grades, not an empty comparison
    assert kit.gradebook_rows(graded["cluster"]) == seq


def test_cluster_summary_and_autograded_notebooks(graded):
    rows = {r["student"]: r for r in graded["summary"].rows}
    assert sorted(rows) == sorted(p.name for p in (graded["base"] / "submitted").iterdir())
    assert (rows["correct"]["status"], rows["correct"]["score"]) == ("graded", 5.0)
    assert (rows["no_bias"]["status"], rows["no_bias"]["score"]) == ("graded", 2.0)
    assert rows["invalid_json"]["status"] == "flagged"
    assert rows["kernel_dies"]["status"] == "flagged"
    assert "on the Dask cluster at tcp://127.0.0.1:" in str(graded["summary"])
    seq_dir, par_dir = graded["sequential"] / "autograded", graded["cluster"] / "autograded"
    assert sorted(p.relative_to(seq_dir) for p in seq_dir.rglob("*.ipynb")) == \
        sorted(p.relative_to(par_dir) for p in par_dir.rglob("*.ipynb"))


def test_killed_worker_loses_nothing_and_grades_nothing_twice(graded):
    assert graded["seen"].get("keys"), "the separate worker never got a submission: nothing was tested"
    assert graded["seen"]["processes"], "the killed worker was not grading yet"
    summary = graded["killed_summary"]
    students = [r["student"] for r in summary.rows]
    assert students == sorted(set(students)) == sorted(p.name for p in (graded["base"] / "submitted").iterdir())
    assert not any("grading process died" in reason for r in summary.rows for reason in r["reasons"])
    assert kit.gradebook_rows(graded["killed"]) == kit.gradebook_rows(graded["sequential"])
    assert summary.rows == graded["summary"].rows  # same status, score and reasons as the undisturbed grading


def test_nothing_the_killed_worker_started_is_left_running(graded):
    """Its grading process and the kernel in the sandbox die with it (PR_SET_PDEATHSIG, bwrap --die-with-parent)."""
    assert graded["seen"]["processes"]
    assert graded["left"] == []


def test_unreachable_scheduler_is_a_clear_error(tmp_path, capsys):
    course = kit.make_course(tmp_path / "course")
    kit.submit(course, "correct", kit.student_notebook(course))
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    start = time.monotonic()
    with pytest.raises(CourseError, match=r"could not reach the Dask scheduler at 'tcp://127.0.0.1:\d+'.*dask scheduler"):
        autograde(ASSIGNMENT, course_dir=course, scheduler=f"tcp://127.0.0.1:{port}", progress=False)
    assert time.monotonic() - start < 60
    assert main(["autograde", ASSIGNMENT, "--course-dir", str(course), "--scheduler", f"tcp://127.0.0.1:{port}",
                 "--no-progress"]) == 2
    assert "could not reach the Dask scheduler" in capsys.readouterr().err


def test_a_job_past_the_wall_limit_is_stopped_and_the_next_ones_are_graded(graded, cluster):
    """The warm grading process that runs over is killed with its kernel; the worker starts a fresh one."""
    course = graded["cluster"]
    kit.submit(course, "sleeper", kit.student_notebook(course, sigmoid="import time\ntime.sleep(60)"))
    summary = autograde(ASSIGNMENT, course_dir=course, students=["sleeper", "correct", "no_bias"],
                        scheduler=cluster["address"], progress=False, wall_limit=4.0)
    rows = {r["student"]: r for r in summary.rows}
    assert (rows["sleeper"]["status"], rows["sleeper"]["reasons"]) == \
        ("flagged", ["grading took longer than 4 s and was stopped: not graded"])
    assert not (course / "autograded" / "sleeper").exists()
    again = autograde(ASSIGNMENT, course_dir=course, students=["correct", "no_bias"], scheduler=cluster["address"],
                      progress=False)
    assert [(r["status"], r["score"]) for r in again.rows] == [("graded", 5.0), ("graded", 2.0)]
    kernels = cluster["client"].run(lambda: [p.pid for p in __import__("psutil").Process().children(recursive=True)
                                             if "sleep" in " ".join(p.cmdline()) or "ipykernel" in " ".join(p.cmdline())])
    assert all(not pids for pids in kernels.values()), kernels


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_warm_grading_process_gives_its_kernels_their_share_of_the_cores(tmp_path, monkeypatch):
    # A Dask worker's nanny sets OMP_NUM_THREADS=1 (and OpenBLAS's and MKL's); the grading process it starts passes
    # the same count to TensorFlow. A worker without those variables shares its cores among its threads.
    from course_utils.instructor._dask_tasks import GradingServer
    from course_utils.instructor.sandbox import THREAD_VARIABLES

    def environment_of(server):
        with open(f"/proc/{server.proc.pid}/environ", "rb") as fh:
            pairs = (item.decode().partition("=") for item in fh.read().split(b"\0") if item)
            return {name: value for name, _, value in pairs if name in THREAD_VARIABLES}

    for name in THREAD_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    server = GradingServer(str(tmp_path), concurrent=4)
    try:
        assert environment_of(server) == dict.fromkeys(THREAD_VARIABLES, "1")
    finally:
        server.kill()
    monkeypatch.delenv("OMP_NUM_THREADS")
    server = GradingServer(str(tmp_path), concurrent=2)
    try:
        share = str(max(1, len(os.sched_getaffinity(0)) // 2))
        assert environment_of(server) == dict.fromkeys(THREAD_VARIABLES, share)
    finally:
        server.kill()
