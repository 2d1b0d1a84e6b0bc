"""What runs on a Dask worker when ``nn-course autograde --scheduler`` grades on a cluster (see ``autograde.py``).

* ``check_worker``: before grading, on every worker: can it import the grader and start the sandbox?
* ``GraderPlugin``: a Dask ``WorkerPlugin`` that keeps one warm ``GradingServer`` per worker thread, and stops them
  when the worker closes.
* ``GradingServer``: a grading process (``python -m course_utils.instructor._grading_worker --serve``) that grades
  one job after another: nbgrader's, nbformat's and jsonschema's imports (about 3 s) are paid once per worker thread,
  not per submission. A job past the wall-clock limit is killed with its kernel, and so is the server (the next job
  starts a fresh one).
* ``grade_on_worker``: the task: one submission in, grade_submission's outcome out (no shared filesystem).

This module imports ``distributed``; it is imported only when grading on a cluster.
"""
from __future__ import annotations

import os
import shutil
import signal
import sys
import tempfile

from distributed.diagnostics.plugin import WorkerPlugin

from .autograde import _kill_descendants, _killpg

__all__ = ["check_worker", "GraderPlugin", "GradingServer", "grade_on_worker"]


def check_worker(sandbox: bool, limits: dict) -> str:
    """Run on every Dask worker before grading: why it cannot grade, or ""."""
    try:
        from . import _grading_worker  # noqa: F401  nbgrader and this package are importable
        from .sandbox import Limits, check_sandbox

        if sandbox:
            check_sandbox(Limits(**limits))
    except Exception as exc:  # noqa: BLE001  the message goes back to the instructor
        return f"{type(exc).__name__}: {exc}"
    return ""


class GradingServer:
    """A warm grading process on a Dask worker (``python -m ..._grading_worker --serve``), one job at a time.

    It is killed, with its kernel, when a job runs past the wall-clock limit (the next job starts a fresh one); on
    Linux it also dies with the worker thread that started it (``PR_SET_PDEATHSIG``), so a worker killed mid-grading
    leaves nothing running. Its log (nbgrader's warnings) goes to a file beside its jobs.
    """

    def __init__(self, folder: str, concurrent: int = 1):
        import subprocess

        from .sandbox import thread_variables

        self.log = open(os.path.join(folder, "server.log"), "ab")
        self.proc = subprocess.Popen([sys.executable, "-m", "course_utils.instructor._grading_worker", "--serve"],
                                     env={**os.environ, **thread_variables(concurrent)},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log,
                                     start_new_session=True,
                                     preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def grade(self, folder: str, wall_limit: float) -> str | None:
        """Grade the job in ``folder``; None when done, else "overdue" or "died" (and this server is gone)."""
        import select

        try:
            self.proc.stdin.write(folder.encode() + b"\n")
            self.proc.stdin.flush()
            ready, _, _ = select.select([self.proc.stdout], [], [], wall_limit)
            if ready and self.proc.stdout.readline() == b"done\n":
                return None
        except (BrokenPipeError, OSError):
            pass
        overdue = self.alive
        self.kill()
        return "overdue" if overdue else "died"

    def kill(self) -> None:
        _kill_descendants(self.proc.pid)
        _killpg(self.proc.pid)
        self.proc.wait()
        self.log.close()


class GraderPlugin(WorkerPlugin):
    """Dask ``WorkerPlugin``: each worker thread keeps one warm ``GradingServer``; all stop with the worker."""

    name = "nn-course-grader"

    def setup(self, worker):
        import threading

        self.folder = tempfile.mkdtemp(prefix="nn-course-grader-")
        self.servers, self.lock = {}, threading.Lock()
        self.concurrent = worker.state.nthreads  # kernels this worker runs at once: they share the cores

    def server(self) -> GradingServer:
        import threading

        with self.lock:
            server = self.servers.get(threading.get_ident())
            if server is None or not server.alive:
                server = self.servers[threading.get_ident()] = GradingServer(self.folder, self.concurrent)
            return server

    def teardown(self, worker):
        with self.lock:
            for server in self.servers.values():
                if server.alive:
                    server.kill()
            self.servers.clear()
        shutil.rmtree(self.folder, ignore_errors=True)


def grade_on_worker(bundle, student: str, submission: bytes, wall_limit: float) -> dict:
    """A Dask task: grade one submission with this worker thread's warm grading process (``GraderPlugin``)."""
    import pickle

    from distributed import get_worker

    plugin = get_worker().plugins[GraderPlugin.name]
    server = plugin.server()
    with tempfile.TemporaryDirectory(prefix=f"nn-course-job-{student}-", dir=plugin.folder) as folder:
        with open(os.path.join(folder, "job.pickle"), "wb") as fh:
            pickle.dump((bundle, student, submission), fh)
        failure = server.grade(folder, wall_limit)
        if failure is not None:
            return {"failure": failure, "exitcode": server.proc.returncode}
        with open(os.path.join(folder, "result.pickle"), "rb") as fh:
            return pickle.load(fh)  # noqa: S301  written by our own grading process


def _die_with_parent() -> None:
    """In the child, before exec: be killed (SIGKILL) when the process that started it dies (Linux prctl)."""
    import ctypes

    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG = 1
