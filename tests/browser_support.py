"""What every browser test needs: Chromium through Playwright (or a skip that says how to get it), a JupyterLab server
on a copy of the course, and screenshots a person can look at.

- :func:`start_chromium` launches Debian's Chromium headless with Playwright, or skips the test with the command that
  installs what is missing (``apt-get install chromium``, ``pip install -e ".[dev]"``). ``.ci/run`` sets
  ``NN_COURSE_REQUIRE_BROWSER=1``: there a missing browser fails the test instead of skipping it.
- :func:`copy_course` copies what a server needs of the course (configuration, lectures, assignments, solutions) into
  a temporary folder, so that nothing a browser test does can modify the repository.
- :class:`JupyterLab` runs ``jupyter lab`` on 127.0.0.1 with a free port, a random token and settings of its own
  (no news pop-up, every cell rendered), waits until ``/api/status`` answers, and at the end stops the server and
  every process it started (kernels and validators included).
- :func:`save_screenshot` writes ``artifacts/browser/<name>.png`` (ignored by git).

The fixtures built on these (``browser``, ``page``, ``screenshot``) are in ``tests/conftest.py``.
Playwright's sync API keeps an asyncio loop running while it is open, so code that calls ``asyncio.run`` (nbclient,
nbgrader's autograder) cannot run in the same process meanwhile: run it in a subprocess, as ``tests/test_browser.py``
runs ``nn-course``.
"""
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
# What a JupyterLab server needs of the course; everything else (the repository's .git, .venv, gradebook, artifacts)
# stays out of the copy.
COURSE_FILES = ["nbgrader_config.py", "lectures", "assignments", "solutions"]


def skip_or_fail(message):
    """Skip the test with ``message``; fail it instead where NN_COURSE_REQUIRE_BROWSER=1 (CI installs the browser)."""
    if os.environ.get("NN_COURSE_REQUIRE_BROWSER") == "1":
        pytest.fail(f"{message} (NN_COURSE_REQUIRE_BROWSER=1: browser tests must run here)", pytrace=False)
    pytest.skip(message)


def chromium_executable():
    """Path of the Chromium to drive: $NN_COURSE_CHROMIUM, else Debian's ``chromium``; None when there is none."""
    configured = os.environ.get("NN_COURSE_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def start_chromium():
    """Start Playwright and launch headless Chromium; return ``(playwright, browser)``, or skip saying what to install.

    Stop both with ``browser.close(); playwright.stop()``.
    """
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail('browser tests need Playwright for Python: pip install -e ".[dev]"')
    executable = chromium_executable()
    if executable is None:
        skip_or_fail("browser tests need Chromium: sudo apt-get install chromium "
                     "(or set NN_COURSE_CHROMIUM=/path/to/chromium)")
    playwright = sync_playwright().start()
    try:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
    except Exception:
        playwright.stop()
        raise
    return playwright, browser


def save_screenshot(target, name, full_page=False):
    """Save a screenshot of ``target`` (a Playwright Page or Locator) as ``artifacts/browser/<name>.png``.

    ``name`` is made file-name safe (a test id such as ``test_x[param]`` is fine). Returns the path.
    """
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("_") + ".png")
    if hasattr(target, "goto"):  # a Page
        target.screenshot(path=str(path), full_page=full_page)
    else:  # a Locator
        target.screenshot(path=str(path))
    return path


def copy_course(destination):
    """Copy the course's configuration, lectures, assignments and solutions into ``destination``; return it."""
    destination = Path(destination)
    destination.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__", "checkpoints", "*.keras", "*.weights.h5")
    for name in COURSE_FILES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, destination / name, ignore=ignore)
        else:
            shutil.copy2(source, destination / name)
    return destination


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# JupyterLab settings of the test server: no news or update pop-ups over the page, and every notebook cell kept in
# the page (JupyterLab's default windowing leaves cells far off screen unrendered, which the tests read).
LAB_SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false",
                                                                        "checkForUpdates": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}


class JupyterLab:
    """``jupyter lab`` serving ``root`` (also its working folder: nbgrader's formgrader reads the course from there).

    Use as a context manager, or call :meth:`start` and :meth:`stop`. The server listens on 127.0.0.1 with a free
    port and a random token, keeps its settings, workspaces and runtime files in ``state_dir`` (never in $HOME), and
    passes its environment plus ``env`` to the kernels it starts. ``log`` is the server's output.
    """

    def __init__(self, root, state_dir, env=None, startup_timeout=90):
        self.root = Path(root)
        self.state_dir = Path(state_dir)
        self.extra_env = dict(env or {})
        self.startup_timeout = startup_timeout
        self.token = secrets.token_hex(24)
        self.port = None
        self.process = None
        self.log = self.state_dir / "jupyterlab.log"

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def lab_url(self, path=""):
        """URL that opens ``path`` (relative to the root) in JupyterLab and logs in with the token."""
        return f"{self.url}/lab/tree/{path}?token={self.token}"

    def page_url(self, path):
        """URL of any server page, e.g. ``formgrader``, logged in with the token."""
        return f"{self.url}/{path.lstrip('/')}{'&' if '?' in path else '?'}token={self.token}"

    def api(self, path, method="GET", body=None, timeout=10):
        """Call the server's REST API (``api/status``...) with the token; return the decoded JSON (None if empty)."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(f"{self.url}/{path.lstrip('/')}", data=data, method=method,
                                         headers={"Authorization": f"token {self.token}"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def shutdown_kernels(self):
        """Close every notebook session and shut down every kernel (e.g. between two tests on one server)."""
        for session in self.api("api/sessions"):
            self.api(f"api/sessions/{session['id']}", method="DELETE")
        for kernel in self.api("api/kernels"):
            self.api(f"api/kernels/{kernel['id']}", method="DELETE")

    def _environment(self):
        env = dict(os.environ)
        env.update(self.extra_env)
        for variable, folder in (("JUPYTER_CONFIG_DIR", "config"), ("JUPYTER_RUNTIME_DIR", "runtime"),
                                 ("IPYTHONDIR", "ipython")):
            env[variable] = str(self.state_dir / folder)
        # The venv's scripts (jupyter, nbgrader) first, as `. .venv/bin/activate` would have it.
        env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
        return env

    def _write_settings(self):
        settings = self.state_dir / "settings"
        for name, values in LAB_SETTINGS.items():
            path = settings / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(values))
        return settings

    def start(self, attempts=3):
        """Start the server and wait until ``/api/status`` answers; return self.

        A port taken between :func:`free_port` and the server's start is retried with another one.
        """
        self.state_dir.mkdir(parents=True, exist_ok=True)
        settings = self._write_settings()
        for attempt in range(attempts):
            self.port = free_port()
            if self._launch(settings) or attempt == attempts - 1:
                return self
        return self  # pragma: no cover

    def _launch(self, settings):
        """Start ``jupyter lab`` on ``self.port``; True once it answers, False if the port was taken meanwhile."""
        command = [
            sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={self.port}",
            "--ServerApp.port_retries=0", f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.root}", f"--LabApp.user_settings_dir={settings}",
            f"--LabApp.workspaces_dir={self.state_dir / 'workspaces'}",
        ]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.append("--allow-root")
        with open(self.log, "wb") as log:
            # A session of its own: stop() signals the whole process group.
            self.process = subprocess.Popen(command, cwd=self.root, env=self._environment(), stdout=log,
                                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                            start_new_session=True)
        deadline = time.monotonic() + self.startup_timeout
        while True:
            if self.process.poll() is not None:
                returncode, self.process = self.process.returncode, None
                if "already in use" in self.log_tail():
                    return False
                raise RuntimeError(f"jupyter lab exited with status {returncode} before answering:\n"
                                   f"{self.log_tail()}")
            try:
                self.api("api/status", timeout=2)
                return True
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass  # not listening yet (or another program on the port, without our token)
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"jupyter lab did not answer /api/status within {self.startup_timeout} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.2)  # polling interval of the start-up wait, not a wait for a state

    def log_tail(self, lines=40):
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self, timeout=15):
        """Stop the server, its kernels and anything else it started; raise if a process survives."""
        if self.process is None:
            return
        import psutil

        try:
            server = psutil.Process(self.process.pid)
            # Kernels run in sessions of their own (jupyter_client starts them so): collect them before they are
            # orphaned, to kill whatever does not exit with the server.
            processes = [server] + server.children(recursive=True)
        except psutil.NoSuchProcess:
            processes = []
        try:
            os.killpg(self.process.pid, signal.SIGTERM)  # the server shuts its kernels down on SIGTERM
        except ProcessLookupError:
            pass
        _, alive = psutil.wait_procs(processes, timeout=timeout)
        for process in alive:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        _, alive = psutil.wait_procs(alive, timeout=5)
        self.process.wait(timeout=5)
        self.process = None
        if alive:
            raise RuntimeError(f"processes left running after jupyter lab stopped: {[p.pid for p in alive]}")

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
