"""deploy/jupyterhub_config.py's pre-spawn hook, without a hub (tests/test_hub.py runs the whole hub)."""
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest

traitlets = pytest.importorskip("traitlets")

CONFIG = Path(__file__).resolve().parents[1] / "deploy" / "jupyterhub_config.py"
THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


@pytest.fixture
def hook(monkeypatch):
    """The configuration's pre_spawn_hook, loaded as JupyterHub loads the file, for instructor ina and student sam."""
    monkeypatch.setenv("NN_COURSE_INSTRUCTORS", "ina")
    monkeypatch.setenv("NN_COURSE_STUDENTS", "sam")
    config = traitlets.config.Config()
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), {"get_config": lambda: config})  # noqa: S102
    return config.Spawner.pre_spawn_hook


def test_the_thread_variables_are_those_the_grading_sandbox_sets():
    from course_utils.instructor.sandbox import THREAD_VARIABLES

    namespace = {"get_config": traitlets.config.Config}
    exec(compile(CONFIG.read_text(), str(CONFIG), "exec"), namespace)  # noqa: S102
    assert namespace["THREAD_VARIABLES"] == THREAD_VARIABLES == THREADS


def spawn(hook, name, cpu_limit=None, environment=None):
    spawner = SimpleNamespace(user=SimpleNamespace(name=name), cpu_limit=cpu_limit, environment=environment or {},
                              log=logging.getLogger("test"))
    hook(spawner)
    return spawner.environment


def test_each_role_gets_its_configuration(hook):
    assert spawn(hook, "ina")["NN_COURSE_ROLE"] == "instructor"
    student = spawn(hook, "sam")
    assert student["NN_COURSE_ROLE"] == "student" and student["JUPYTER_CONFIG_PATH"].endswith("/student")
    assert student["TF_CPP_MIN_LOG_LEVEL"] == "2" and student["TF_ENABLE_ONEDNN_OPTS"] == "0"


@pytest.mark.parametrize("cpu_limit, threads", [(2.0, "2"), (2.5, "2"), (0.5, "1"), (16, "16")])
def test_a_server_with_a_cpu_limit_starts_that_many_threads_per_library(hook, cpu_limit, threads):
    environment = spawn(hook, "sam", cpu_limit=cpu_limit)
    assert {name: environment[name] for name in THREADS} == dict.fromkeys(THREADS, threads)


def test_without_a_cpu_limit_the_libraries_choose_and_an_admins_setting_wins(hook):
    assert not set(THREADS) & set(spawn(hook, "sam"))
    environment = spawn(hook, "sam", cpu_limit=4.0, environment={"OMP_NUM_THREADS": "1"})
    assert {name: environment[name] for name in THREADS} == dict.fromkeys(THREADS, "1")
    environment = spawn(hook, "sam", cpu_limit=4.0, environment={"TF_NUM_INTRAOP_THREADS": "2"})
    assert [environment[name] for name in THREADS] == ["4", "4", "4", "2"]
    environment = spawn(hook, "sam", environment={"OMP_NUM_THREADS": "3"})  # no limit: the admin's count
    assert {name: environment[name] for name in THREADS} == dict.fromkeys(THREADS, "3")
