"""Run a student's kernel in a sandbox: bubblewrap (Linux namespaces), resource limits, no network, nothing private.

``SandboxedKernelManager`` is a ``jupyter_client`` kernel manager that nbgrader's ``Execute`` preprocessor uses in
place of the default one (see ``_grading_worker.py``). The kernel it starts:

* runs under ``bwrap --unshare-all``: its own user, PID, IPC, UTS, cgroup and network namespaces (no network at all;
  it talks to the grader over ZeroMQ ``ipc`` sockets in a folder bound into the sandbox), ``--die-with-parent``, and
  a PID namespace of its own, so every process it starts dies with it (daemons included);
* as an unprivileged user of its own: when the grader runs as root, bwrap starts the sandbox and ``setpriv`` drops
  the kernel to a uid of its own (``SANDBOX_UID`` + the pid of the grading process that starts it, so no two live
  kernels share one, nor their process limit) with no capabilities and ``no_new_privs``; an
  ordinary user's grader puts the kernel in a user namespace of its own (uid 1000 inside, no capabilities);
* sees a read-only view of the system (``/usr``, ``/etc``), of the Python environment and of the installed
  ``course_utils`` package, plus the course data folder when one is configured; nothing of the course root (sources,
  hidden tests, gradebook, submissions), of ``$HOME`` or of the grader's scratch folders;
* writes only to size-limited tmpfs folders (``/tmp`` and its home, where it starts, with read-only copies of the
  submission's other top-level files) and to the socket folder; everything it writes vanishes with it;
* starts with a clean environment and ``python -I`` (no ``PYTHONPATH``, no user site, the working directory not on
  ``sys.path``), under limits on address space, processes, CPU time and file size (``Limits``).

The kernel named in the notebook's metadata is ignored: submissions always run in this Python.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, fields

from jupyter_client import AsyncKernelManager
from jupyter_client.kernelspec import KernelSpec
from traitlets import Dict, Integer, Unicode, default

from .course import CourseError

__all__ = ["Limits", "SandboxedKernelManager", "check_sandbox", "sandbox_command", "sandbox_uid", "INSTALL_HINT",
           "SANDBOX_UID"]

INSTALL_HINT = ("install bubblewrap (Debian/Ubuntu: `sudo apt-get install bubblewrap`; Fedora: `sudo dnf install "
                "bubblewrap`; Arch: `sudo pacman -S bubblewrap`), or pass --no-sandbox to grade without one (unsafe: "
                "the students' code then runs with your rights)")
HOME = "/home/student"
WORK = HOME + "/work"
# When the grader runs as root, a kernel runs as SANDBOX_UID + the pid of the process that starts it: a uid that no
# account uses and no other live kernel has. RLIMIT_NPROC counts a uid's processes machine-wide, so kernels sharing a
# uid would share their process limit, and one kernel's fork bomb would stop the others from starting threads.
SANDBOX_UID = 2_000_000_000


def sandbox_uid() -> int:
    """The uid of a kernel started by this process (one kernel at a time per grading process)."""
    return SANDBOX_UID + os.getpid()


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed kernel (per kernel, i.e. per notebook).

    memory_mb: address space (RLIMIT_AS); TensorFlow alone reserves about 3 GB of it.
    processes: processes and threads the kernel may have at once (RLIMIT_NPROC, counted inside its namespace).
    cpu_s: CPU seconds (RLIMIT_CPU); the per-cell wall-clock timeout usually stops a runaway cell first.
    file_mb: largest file it may write (RLIMIT_FSIZE).
    tmp_mb: size of each writable tmpfs (its home and /tmp).
    """

    memory_mb: int = 8192
    processes: int = 512
    cpu_s: int = 1800
    file_mb: int = 64
    tmp_mb: int = 512

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"sandbox limit {f.name} must be a whole number >= 1, got {value!r}")

    def prlimit_args(self) -> list[str]:
        mb = 1024 * 1024
        return [f"--as={self.memory_mb * mb}", f"--nproc={self.processes}", f"--cpu={self.cpu_s}",
                f"--fsize={self.file_mb * mb}", "--core=0"]


def _bwrap() -> str | None:
    return shutil.which("bwrap")


def _python_roots() -> list[str]:
    """Folders the kernel's Python needs, read-only: the environment, the base installation, ``course_utils``."""
    import course_utils

    roots = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix,
             os.path.dirname(os.path.abspath(course_utils.__file__))}
    roots |= {os.path.realpath(r) for r in roots}
    return sorted(roots)


def _system_binds() -> list[str]:
    args = []
    for path in ("/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    return args


def _parents(path: str, made: set) -> list[str]:
    """bwrap arguments that create the folders above ``path`` traversable (bwrap would make them 0700, root's)."""
    args, parts = [], path.strip("/").split("/")[:-1]
    for i in range(1, len(parts) + 1):
        folder = "/" + "/".join(parts[:i])
        if folder not in made and folder not in ("/usr", "/etc", "/tmp", "/proc", "/dev"):
            made.add(folder)
            args += ["--perms", "0755", "--dir", folder]
    return args


def _under(path: str, roots) -> bool:
    return any(path == r or path.startswith(r.rstrip("/") + "/") for r in roots)


def sandbox_command(cmd: list[str], *, cwd: str | None, socket_dir: str, limits: Limits,
                    data_dirs=(), env=None, uid: int | None = None) -> list[str]:
    """The command line that runs ``cmd`` (a kernel command) in the sandbox.

    cwd: a folder whose top-level regular files (not notebooks, not links) appear read-only in the kernel's
    working folder. socket_dir: the one folder shared read-write with the grader (connection file, ipc sockets).
    data_dirs: folders shown read-only at their own path (the course data). env: variables to pass through.
    uid: the unprivileged user the kernel runs as when the grader is root (default ``sandbox_uid()``).
    """
    bwrap = _bwrap()
    if bwrap is None:
        raise CourseError(f"the sandbox needs bubblewrap (bwrap), which is not installed: {INSTALL_HINT}")
    root = os.geteuid() == 0
    args = [bwrap, "--die-with-parent", "--new-session", "--hostname", "grading", "--clearenv"]
    if root:  # no user namespace: root's bwrap can read every path it binds; setpriv drops root below
        args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    else:
        args += ["--unshare-all", "--uid", "1000", "--gid", "1000"]
    args += _system_binds()
    # the writable tmpfs folders first: a bind below (an environment under /tmp) must not be hidden by them
    args += ["--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", "/tmp",
             "--perms", "0777", "--size", str(limits.tmp_mb * 1024 * 1024), "--tmpfs", HOME,
             "--perms", "0777", "--dir", WORK]
    bound: list[str] = []
    made: set[str] = set()
    for root in _python_roots():
        if os.path.isdir(root) and not _under(root, bound):
            args += _parents(root, made) + ["--ro-bind", root, root]
            bound.append(root)
    for folder in [os.path.abspath(d) for d in data_dirs if d and os.path.isdir(d)]:
        if not _under(folder, bound):  # at the path the kernel is told (NN_COURSE_DATA), links resolved outside
            args += _parents(folder, made) + ["--ro-bind", os.path.realpath(folder), folder]
            bound.append(folder)
    if cwd and os.path.isdir(cwd):
        for name in sorted(os.listdir(cwd)):
            path = os.path.join(cwd, name)
            if name.endswith(".ipynb") or os.path.islink(path) or not os.path.isfile(path) or "/" in name:
                continue
            args += ["--ro-bind", path, f"{WORK}/{name}"]
    args += _parents(socket_dir, made) + ["--bind", socket_dir, socket_dir, "--chdir", WORK]
    variables = {"HOME": HOME, "USER": "student", "LANG": "C.UTF-8", "TMPDIR": "/tmp",
                 "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
                 "IPYTHONDIR": HOME + "/.ipython", "MPLCONFIGDIR": HOME + "/.config/matplotlib",
                 "JUPYTER_RUNTIME_DIR": HOME + "/.local/share/jupyter/runtime",
                 "PYDEVD_DISABLE_FILE_VALIDATION": "1"}
    for name, value in (env or {}).items():
        variables.setdefault(name, value)
    for name, value in sorted(variables.items()):
        args += ["--setenv", name, value]
    prlimit = shutil.which("prlimit") or "/usr/bin/prlimit"
    inner = [prlimit, *limits.prlimit_args(), "--", *cmd]
    if root:  # root would be exempt from RLIMIT_NPROC and own root's files: become an unprivileged user first
        uid = sandbox_uid() if uid is None else uid
        inner = [shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                 "--clear-groups", "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", *inner]
    return args + ["--", *inner]


# The thread pools a graded kernel may start: OpenMP, OpenBLAS and MKL (NumPy's matrix products), TensorFlow's ops.
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def thread_variables(concurrent: int, environ=None) -> dict:
    """The thread counts for one of ``concurrent`` kernels running at once on this machine: its share of the cores.

    Without them every kernel starts one thread per core in each library, and ``--jobs N`` runs N times as many
    threads as there are cores, which slows all of them. A variable already set in ``environ`` (default
    ``os.environ``) is kept; ``OMP_NUM_THREADS`` set alone also sets the others (Dask sets it to 1 in its workers).
    Returns the variables to add: {name: "count"}.
    """
    environ = os.environ if environ is None else environ
    if hasattr(os, "sched_getaffinity"):
        cores = len(os.sched_getaffinity(0))
    else:  # macOS
        cores = os.cpu_count() or 1
    count = environ.get("OMP_NUM_THREADS") or str(max(1, cores // max(1, concurrent)))
    return {name: count for name in THREAD_VARIABLES if not environ.get(name)}


def passed_environment() -> dict:
    """The variables of the grader's environment that the kernel gets (the rest is cleared)."""
    keep = ("TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS", "NN_COURSE_DATA", "NN_COURSE_FAST", *THREAD_VARIABLES,
            "TZ")
    return {k: os.environ[k] for k in keep if k in os.environ}


def check_sandbox(limits: Limits | None = None) -> None:
    """Raise ``CourseError`` (saying what to do) unless a sandboxed process can start here."""
    if not sys.platform.startswith("linux"):
        raise CourseError(f"the grading sandbox needs Linux (bubblewrap), this is {sys.platform}: grade on Linux, "
                          "or pass --no-sandbox (unsafe: the students' code then runs with your rights)")
    if _bwrap() is None:
        raise CourseError(f"the grading sandbox needs bubblewrap (bwrap), which is not installed: {INSTALL_HINT}")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="nn-course-sandbox-check-") as tmp:
        os.chmod(tmp, 0o777)
        cmd = sandbox_command([sys.executable, "-I", "-c", "import numpy, course_utils"], cwd=None,
                              socket_dir=tmp, limits=limits or Limits(), env=passed_environment())
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=120, start_new_session=True)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise CourseError(f"the grading sandbox could not start: {exc}") from None
    if out.returncode != 0:
        detail = (out.stderr or out.stdout).strip().splitlines()[-3:]
        text = " / ".join(detail)
        hint = (" Unprivileged user namespaces must be allowed (e.g. `sysctl kernel.unprivileged_userns_clone=1`; on "
                "Ubuntu 24.04 an AppArmor profile for bwrap);" if re.search(r"namespace|not permitted", text) else "")
        raise CourseError(f"the grading sandbox (bubblewrap) could not start a Python process here: {text}.{hint} "
                          "Fix that, or pass --no-sandbox (unsafe)")


class SandboxedKernelManager(AsyncKernelManager):
    """A kernel manager whose kernels run in the sandbox (configure ``socket_dir``, ``limits``, ``data_dirs``)."""

    socket_dir = Unicode(help="folder shared with the kernel: connection file and ipc sockets").tag(config=True)
    limits = Dict(help="keyword arguments of sandbox.Limits").tag(config=True)
    data_dirs = Unicode("", help="os.pathsep-separated folders shown read-only to the kernel").tag(config=True)
    uid = Integer(help="the kernel's user id when the grader runs as root (default: sandbox_uid())").tag(config=True)

    @default("uid")
    def _uid_default(self):
        return sandbox_uid()

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if not self.socket_dir:
            raise ValueError("SandboxedKernelManager needs socket_dir")
        os.makedirs(self.socket_dir, exist_ok=True)
        if os.geteuid() == 0:
            os.chown(self.socket_dir, self.uid, self.uid)
        os.chmod(self.socket_dir, 0o700)
        self.transport = "ipc"
        self.ip = os.path.join(self.socket_dir, "kernel")
        self.connection_file = os.path.join(self.socket_dir, "kernel.json")
        self._cwd = None

    @property
    def kernel_spec(self):
        # Whatever kernel the notebook names, the submission runs in this Python. Interrupts go as messages: a
        # signal to the process group would reach bwrap, not the kernel, which runs in a session of its own.
        return KernelSpec(argv=[sys.executable, "-I", "-m", "ipykernel_launcher", "-f", "{connection_file}",
                                "--IPKernelApp.ignore_cwd=True"],
                          display_name="Python 3 (sandboxed)", language="python", interrupt_mode="message")

    def write_connection_file(self, **kwargs):
        super().write_connection_file(**kwargs)
        if os.geteuid() == 0:
            os.chown(self.connection_file, self.uid, self.uid)

    async def _async_pre_start_kernel(self, **kw):
        self._cwd = kw.get("cwd")
        kw["cwd"] = self.socket_dir
        kw.pop("env", None)  # the sandbox builds its own environment from passed_environment()
        return await super()._async_pre_start_kernel(**kw)

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        dirs = [d for d in self.data_dirs.split(os.pathsep) if d]
        return sandbox_command(cmd, cwd=self._cwd, socket_dir=self.socket_dir, limits=Limits(**self.limits),
                               data_dirs=dirs, env=passed_environment(), uid=self.uid)
