"""A whole class on a real JupyterHub on 127.0.0.1: one instructor, two students, nbgrader's exchange end to end.

The hub runs deploy/jupyterhub_config.py (roles, exchange) with what a laptop needs added: the dummy authenticator,
single-user servers as local processes (SimpleLocalProcessSpawner, everyone as the unix user running the tests) and
random ports on 127.0.0.1. The instructor's commands run as `nn-course` in the environment the hub gives the
instructor's server; each student acts only through the hub's proxy, with their own API token, on their own
server's nbgrader endpoints (the ones JupyterLab's Assignments tab calls) and contents API.

It is marked slow (about 1.5 to 2.5 minutes on a busy 2-core machine). It needs `jupyterhub` (the dev extra) and
`configurable-http-proxy` (npm), and is skipped without them unless NN_COURSE_REQUIRE_HUB=1 (set by .ci/run, which
installs both); and bubblewrap for the autograder's sandbox.
Every process it starts (hub, proxy, three servers) is stopped at the end, and the test checks that none is left.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
COURSE_ID = "nn-course"
INSTRUCTOR, STUDENTS = "teacher", ("alice", "bob")
START_TIMEOUT = 180  # seconds for the hub and the three servers to answer on a busy 2-core machine
COMMAND_TIMEOUT = 600  # one nn-course command (autograde starts two sandboxed kernels)
REQUEST_TIMEOUT = 120  # one request through the proxy (fetch and submit copy files; list reads the exchange)


def _tools():
    """Paths of jupyterhub, jupyterhub-singleuser and configurable-http-proxy; skip or fail when one is missing."""
    found = {
        "jupyterhub": BIN / "jupyterhub",
        "jupyterhub-singleuser": BIN / "jupyterhub-singleuser",
        "configurable-http-proxy": shutil.which("configurable-http-proxy"),
    }
    missing = [name for name, path in found.items() if not path or not Path(path).exists()]
    if missing:
        advice = (f"needs {', '.join(missing)}: pip install -e '.[dev]' (jupyterhub) and "
                  "npm install -g configurable-http-proxy (.ci/run installs both)")
        if os.environ.get("NN_COURSE_REQUIRE_HUB") == "1":
            pytest.fail(f"NN_COURSE_REQUIRE_HUB=1 but the hub test {advice}")
        pytest.skip(f"the hub test {advice}")
    if not shutil.which("bwrap"):
        pytest.fail("the autograder's sandbox needs bubblewrap: sudo apt-get install bubblewrap")
    return {name: str(path) for name, path in found.items()}


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


HUB_TEST_CONFIG = """\
# deploy/jupyterhub_config.py, plus what a run on 127.0.0.1 needs (written by tests/test_hub.py)
c = get_config()
load_subconfig({deploy!r})

c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = {port}
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = {hub_port}
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{proxy_api_port}"
c.ConfigurableHTTPProxy.command = [{proxy!r}]
c.JupyterHub.db_url = "sqlite:///{dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{dir}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{dir}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"  # SimpleLocalProcessSpawner: no unix user per student (see the README)
c.SimpleLocalProcessSpawner.home_dir_template = "{homes}/{{username}}"
c.Spawner.cmd = [{singleuser!r}]
c.Spawner.args = ["--allow-root"]  # the tests run as root
c.Spawner.start_timeout = {timeout}
c.Spawner.http_timeout = {timeout}
c.Spawner.env_keep = ["PATH", "LANG", "LC_ALL", "NN_COURSE_DATA"]
c.JupyterHub.services = [{{"name": "e2e", "api_token": {token!r}}}]
c.JupyterHub.load_roles = [{{"name": "e2e", "services": ["e2e"],
                            "scopes": ["admin:users", "admin:servers", "tokens", "list:users"]}}]
c.JupyterHub.cleanup_servers = True
c.JupyterHub.cleanup_proxy = True
"""


class Hub:
    """A JupyterHub on 127.0.0.1 in ``folder``: ``start()``, ``spawn(names)``, ``token(name)``, ``stop()``."""

    def __init__(self, folder, tools, environment):
        import secrets

        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.service_token = secrets.token_hex(32)
        self.homes = folder / "home"
        self.log_path = folder / "hub.log"
        config = HUB_TEST_CONFIG.format(
            deploy=str(ROOT / "deploy" / "jupyterhub_config.py"), port=self.port, hub_port=_free_port(),
            proxy_api_port=_free_port(), proxy=tools["configurable-http-proxy"], dir=folder, homes=self.homes,
            singleuser=tools["jupyterhub-singleuser"], timeout=START_TIMEOUT, token=self.service_token)
        (folder / "jupyterhub_config.py").write_text(config)
        self.environment = environment
        self.tools = tools
        self.process = None
        self.seen = {}  # pid -> psutil.Process of everything the hub started, for the check that nothing is left

    def start(self):
        env = {**os.environ, **self.environment, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"}
        self.log = open(self.log_path, "w")
        self.process = subprocess.Popen([self.tools["jupyterhub"], "-f", str(self.folder / "jupyterhub_config.py")],
                                        cwd=self.folder, env=env, stdout=self.log, stderr=subprocess.STDOUT,
                                        start_new_session=True)
        self._wait(lambda: self.api("GET", "/hub/api/").status_code == 200, "the hub to answer")

    def log_tail(self, lines=60):
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def _wait(self, ready, what, timeout=START_TIMEOUT):
        import requests

        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the hub exited ({self.process.returncode}) waiting for {what}:\n"
                                     f"{self.log_tail()}")
            try:
                if ready():
                    self._remember_processes()
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"timed out after {timeout} s waiting for {what}:\n{self.log_tail()}")

    def _remember_processes(self):
        import psutil

        try:
            hub = psutil.Process(self.process.pid)
            for proc in [hub] + hub.children(recursive=True):
                self.seen.setdefault(proc.pid, proc)
        except psutil.NoSuchProcess:
            pass

    def api(self, method, path, token=None, **kwargs):
        """A request to the hub or, for ``/user/<name>/...``, through the proxy to that user's server."""
        import requests

        headers = {"Authorization": f"token {token or self.service_token}"}
        kwargs.setdefault("allow_redirects", False)  # a redirect to the hub's login page is an answer to check
        return requests.request(method, self.url + path, headers=headers, timeout=REQUEST_TIMEOUT, **kwargs)

    def spawn(self, names):
        """Start the servers of ``names`` together and wait until each one answers through the proxy."""
        for name in names:
            response = self.api("POST", f"/hub/api/users/{name}/server")
            assert response.status_code in (201, 202), f"{name}: {response.status_code} {response.text}"

        def all_ready():
            return all(self.api("GET", f"/hub/api/users/{name}").json()["servers"].get("", {}).get("ready")
                       for name in names)

        self._wait(all_ready, f"the servers of {', '.join(names)}")

    def token(self, name):
        response = self.api("POST", f"/hub/api/users/{name}/tokens",
                            json={"note": "tests/test_hub.py", "expires_in": 3600})
        assert response.status_code == 201, response.text
        return response.json()["token"]

    def stop(self):
        """Stop the hub (which stops the servers and the proxy), then make sure nothing it started is left."""
        import psutil

        if self.process is None:
            return []
        self._remember_processes()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=30)
        self.log.close()
        # The servers live in sessions of their own; give them a moment to finish exiting, then end any straggler.
        left = []
        deadline = time.monotonic() + 30
        for proc in self.seen.values():
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except psutil.TimeoutExpired:
                left.append(" ".join(proc.cmdline()[:3]))
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        return left


def _run(argv, env, what):
    result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT)
    assert result.returncode == 0, f"{what} failed ({result.returncode}):\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _solve(notebook, solution, grade_ids):
    """The student's notebook with the cells ``grade_ids`` taken from the published solution."""
    answers = {cell["metadata"]["nbgrader"]["grade_id"]: cell["source"] for cell in solution["cells"]
               if cell["metadata"].get("nbgrader", {}).get("solution")}
    done = set()
    for cell in notebook["cells"]:
        grade_id = cell["metadata"].get("nbgrader", {}).get("grade_id")
        if grade_id in grade_ids:
            cell["source"] = answers[grade_id]
            done.add(grade_id)
    assert done == set(grade_ids), f"no such solution cells: {set(grade_ids) - done}"
    return notebook


def _auto_points(source, test_prefixes=None):
    """Points of the autograded test cells of the source notebook (those whose grade_id starts with a prefix)."""
    total = 0.0
    for cell in source["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if cell["cell_type"] == "code" and meta.get("grade") and not meta.get("solution"):
            if test_prefixes is None or meta["grade_id"].startswith(tuple(test_prefixes)):
                total += meta["points"]
    return total


def _assignment(listing, status):
    """The perceptron entry with ``status`` in an nbgrader assignment listing."""
    assert listing["success"], listing
    found = [a for a in listing["value"] if a["assignment_id"] == "perceptron" and a["status"] == status]
    assert len(found) == 1, f"no single perceptron entry with status {status!r} in {listing['value']}"
    return found[0]


def test_without_the_tools_the_test_skips_unless_required(monkeypatch):
    """No hub or proxy: a skip that says what to install, or a failure where NN_COURSE_REQUIRE_HUB=1 (CI)."""
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("NN_COURSE_REQUIRE_HUB", raising=False)
    with pytest.raises(pytest.skip.Exception, match="npm install -g configurable-http-proxy"):
        _tools()
    monkeypatch.setenv("NN_COURSE_REQUIRE_HUB", "1")
    with pytest.raises(pytest.fail.Exception, match="NN_COURSE_REQUIRE_HUB=1 but the hub test needs "
                                                     "configurable-http-proxy"):
        _tools()


@pytest.mark.slow
def test_a_class_on_jupyterhub(tmp_path, page, screenshot):
    tools = _tools()
    started = last = time.monotonic()
    phases = {}

    def phase(name):
        nonlocal last
        now = time.monotonic()
        phases[name] = round(now - last, 1)
        last = now
    exchange = tmp_path / "exchange"
    exchange.mkdir(mode=0o777)  # the administrator's job on a real hub (a shared volume)
    exchange.chmod(0o777)
    course = tmp_path / "home" / INSTRUCTOR / "course"  # $NN_COURSE_DIR's default, ~/course
    (course / "assignments").mkdir(parents=True)
    shutil.copy(ROOT / "nbgrader_config.py", course)
    shutil.copytree(ROOT / "assignments" / "source", course / "assignments" / "source")
    hub_env = {
        "NN_COURSE_INSTRUCTORS": INSTRUCTOR,
        "NN_COURSE_STUDENTS": ",".join(STUDENTS),
        "NN_COURSE_EXCHANGE": str(exchange),
        "NN_COURSE_ROLE_CONFIG": str(ROOT / "deploy" / "jupyter"),
    }
    # The instructor's terminal: the environment the hub gives the instructor's server (deploy/jupyterhub_config.py).
    instructor_env = {
        **os.environ, "HOME": str(tmp_path / "home" / INSTRUCTOR), "NN_COURSE_EXCHANGE": str(exchange),
        "JUPYTER_CONFIG_PATH": str(ROOT / "deploy" / "jupyter" / "instructor"), "NN_COURSE_ID": COURSE_ID,
    }
    nn_course = [str(BIN / "nn-course")]
    cd = ["--course-dir", str(course)]

    hub = Hub(tmp_path, tools, hub_env)
    # The instructor generates perceptron while the hub starts (the servers start after: the formgrader reads it).
    generate = subprocess.Popen(nn_course + ["generate", "perceptron"] + cd, env=instructor_env,
                                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        hub.start()
        output, _ = generate.communicate(timeout=COMMAND_TIMEOUT)
        assert generate.returncode == 0, f"nn-course generate failed:\n{output}"
        phase("hub, generate")
        hub.spawn([INSTRUCTOR, *STUDENTS])
        assert len(hub.seen) >= 5, hub.seen  # the hub, its proxy and three servers: what must be gone at the end
        tokens = {name: hub.token(name) for name in (INSTRUCTOR, *STUDENTS)}
        phase("servers")

        # Roles: the instructor's server has the formgrader; a student's has the assignment list only.
        response = hub.api("GET", f"/user/{INSTRUCTOR}/formgrader", token=tokens[INSTRUCTOR], allow_redirects=True)
        assert response.status_code == 200 and "nbgrader formgrade" in response.text, response.status_code
        response = hub.api("GET", f"/user/{INSTRUCTOR}/formgrader/api/assignments", token=tokens[INSTRUCTOR])
        assert sorted(a["name"] for a in response.json()) == sorted(p.name for p in (course / "assignments" /
                                                                                     "source").iterdir())
        for name in STUDENTS:
            assert hub.api("GET", f"/user/{name}/formgrader", token=tokens[name]).status_code == 404
            lab = hub.api("GET", f"/user/{name}/lab", token=tokens[name])
            assert lab.status_code == 200
            disabled = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)'
                                            r"</script>", lab.text, re.S).group(1))["disabledExtensions"]
            assert {"@jupyter/nbgrader:formgrader", "@jupyter/nbgrader:create-assignment",
                    "@jupyter/nbgrader:course-list"} <= set(disabled)
            assert "@jupyter/nbgrader:assignment-list" not in disabled

        phase("roles")
        # The instructor releases; the exchange comes from deploy/jupyter/instructor/nbgrader_config.py.
        _run(nn_course + ["release", "perceptron"] + cd, instructor_env, "nn-course release")

        solution = json.loads((course / "solutions" / "perceptron" / "perceptron.ipynb").read_text())
        source = json.loads((course / "assignments" / "source" / "perceptron" / "perceptron.ipynb").read_text())
        answers = {"alice": ["predict", "perceptron_update", "train_perceptron", "answer_xor"],  # all of it
                   "bob": ["predict", "perceptron_update"]}  # train_perceptron left as released
        expected = {"alice": _auto_points(source),
                    "bob": _auto_points(source, ["test_predict", "test_perceptron_update"])}
        assert 0 < expected["bob"] < expected["alice"]

        # Each student, through the proxy with their own token: list, fetch, solve, submit.
        form = {"course_id": COURSE_ID, "assignment_id": "perceptron"}
        for name in STUDENTS:
            user, token = f"/user/{name}", tokens[name]
            listing = hub.api("GET", f"{user}/assignments", token=token, params={"course_id": COURSE_ID}).json()
            _assignment(listing, "released")
            listing = hub.api("POST", f"{user}/assignments/fetch", token=token, data=form).json()
            assert _assignment(listing, "fetched")["path"] == "perceptron"
            path = f"{user}/api/contents/perceptron/perceptron.ipynb"
            notebook = hub.api("GET", path, token=token).json()["content"]
            solved = _solve(notebook, solution, answers[name])
            response = hub.api("PUT", path, token=token, json={"type": "notebook", "format": "json",
                                                               "content": solved})
            assert response.status_code == 200, response.text
            listing = hub.api("POST", f"{user}/assignments/submit", token=token, data=form).json()
            submitted = _assignment(listing, "submitted")
            assert len(submitted["submissions"]) == 1 and submitted["submissions"][0]["student_id"] == name

        phase("release, fetch, solve, submit")
        # The instructor collects, grades two at a time, writes and releases the feedback.
        out = _run(nn_course + ["collect", "perceptron"] + cd, instructor_env, "nn-course collect")
        assert "collected 2" in out and "alice: new submission" in out and "bob: new submission" in out
        phase("collect")
        out = _run(nn_course + ["autograde", "perceptron", "--jobs", "2", "--no-progress"] + cd, instructor_env,
                   "nn-course autograde")
        phase("autograde")
        _run(nn_course + ["feedback", "perceptron"] + cd, instructor_env, "nn-course feedback")
        out = _run(nn_course + ["release-feedback", "perceptron"] + cd, instructor_env,
                   "nn-course release-feedback")
        assert "released feedback to 2" in out
        phase("feedback, release-feedback")

        from course_utils.instructor.grades import submission_scores

        gradebook = {row["student"]: row["score"] for row in submission_scores("perceptron", course)}
        assert gradebook == expected

        # Each student fetches their feedback and sees exactly their own score.
        seen, feedback_paths = {}, {}
        for name in STUDENTS:
            user, token = f"/user/{name}", tokens[name]
            listing = hub.api("POST", f"{user}/assignments/fetch_feedback", token=token, data=form).json()
            submission = _assignment(listing, "submitted")["submissions"][0]
            assert submission["has_local_feedback"] and not submission["feedback_updated"], submission
            folder = hub.api("GET", f"{user}/api/contents/perceptron/feedback", token=token).json()["content"]
            files = [f for d in folder for f in hub.api("GET", f"{user}/api/contents/{d['path']}",
                                                        token=token).json()["content"]]
            assert [f["name"] for f in files] == ["perceptron.html"], files
            feedback_paths[name] = files[0]["path"]
            html = hub.api("GET", f"{user}/files/{files[0]['path']}", token=token).text
            score = re.search(r"<h4>perceptron \(Score: ([\d.]+) / ([\d.]+)\)</h4>", html)
            assert score, html[:2000]
            seen[name] = float(score.group(1))
            assert float(score.group(2)) == _auto_points(source) + 2  # + the written answer, graded by hand
        assert seen == expected, f"the students saw {seen}, the gradebook has {expected}"

        # ... and never the other's: not their server, not their files, not their feedback.
        for name, other in [("alice", "bob"), ("bob", "alice")]:
            token = tokens[name]
            for path in [f"/user/{other}/api/contents/perceptron/feedback",
                         f"/user/{other}/assignments?course_id={COURSE_ID}",
                         f"/user/{other}/files/perceptron/perceptron.ipynb"]:
                response = hub.api("GET", path, token=token)
                assert response.status_code == 403, f"{name} asked for {path}: {response.status_code}"
            # Through their own server: its contents API stops at their home (the "/"s encoded so that no client
            # or proxy folds the "..").
            response = hub.api("GET", f"/user/{name}/api/contents/..%2F{other}%2Fperceptron%2Ffeedback", token=token)
            assert response.status_code == 404 and "outside root" in response.json()["message"], response.text
            listing = hub.api("GET", f"/user/{name}/assignments", token=token,
                              params={"course_id": COURSE_ID}).json()
            assert {s["student_id"] for a in listing["value"] for s in a.get("submissions", [])} == {name}
        phase("fetch feedback, isolation")

        # What alice sees in a browser: she logs in on the hub's page, opens her feedback, then tries bob's.
        from playwright.sync_api import expect

        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", "alice")
        page.fill("#password_input", "any password (the dummy authenticator)")
        page.click("#login_submit")
        page.wait_for_url(re.compile(r"/user/alice/"))
        page.goto(f"{hub.url}/user/alice/files/{feedback_paths['alice']}")
        expect(page.get_by_role("heading", name=f"perceptron (Score: {expected['alice']:.1f} / ")).to_be_visible()
        # the formulas are drawn (MathML: nothing to load from a CDN, which this hub cannot reach), none left as TeX
        expect(page.locator("math").first).to_be_visible()
        assert page.locator("math").count() > 20 and page.locator("math").first.bounding_box()["width"] > 0
        expect(page.get_by_text("$\\hat{y}$")).to_have_count(0)
        screenshot(page, "alice-feedback", full_page=True)
        response = page.goto(f"{hub.url}/user/bob/files/{feedback_paths['bob']}")
        assert response.status == 403, response.status
        expect(page.get_by_text("403")).to_be_visible()
        screenshot(page, "alice-asks-for-bobs-feedback")
        phase("browser")
    except BaseException:
        print(hub.log_tail(80))
        raise
    finally:
        if generate.poll() is None:
            generate.kill()
            generate.wait()
        left = hub.stop()
    phase("stop")
    print(f"\nscores seen in the feedback: {seen}; {time.monotonic() - started:.0f} s: {phases}")
    assert not left, f"still running after the hub stopped (now killed): {left}"
    import psutil

    port_users = [p.info["name"] for p in psutil.process_iter(["name", "cmdline"])
                  if any(str(tmp_path) in part or f":{hub.port}" in part for part in (p.info["cmdline"] or []))]
    assert not port_users, f"processes of this test still running: {port_users}"
