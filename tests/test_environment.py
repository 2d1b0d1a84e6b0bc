"""The two set-up routes (pip: pyproject.toml, conda: environment.yml) and CI must never drift apart."""
import re
import tomllib
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]


def _normalise(requirement):
    """'scikit-learn >= 1.3' -> ('scikit-learn', '>=1.3'): name lower-cased, spaces dropped, bounds sorted."""
    match = re.fullmatch(r"\s*([A-Za-z0-9_.\-]+)\s*(.*?)\s*", requirement)
    assert match, f"cannot parse requirement {requirement!r}"
    name = match.group(1).lower().replace("_", "-")
    bounds = ",".join(sorted(part.strip() for part in match.group(2).replace(" ", "").split(",") if part.strip()))
    return name, bounds


@pytest.fixture(scope="module")
def pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


@pytest.fixture(scope="module")
def environment():
    return yaml.safe_load((ROOT / "environment.yml").read_text())


def _conda_requirements(environment):
    conda, pip = [], []
    for entry in environment["dependencies"]:
        if isinstance(entry, dict):
            pip.extend(entry.get("pip", []))
        else:
            conda.append(entry)
    return conda, pip


def _extra(project, name):
    """The requirements of an extra, with the project's own extras it names (``nn-course[site]``) expanded."""
    requirements = []
    for requirement in project["optional-dependencies"][name]:
        own = re.fullmatch(rf"\s*{re.escape(project['name'])}\s*\[([^\]]+)\]\s*", requirement)
        if own:
            for extra in own.group(1).split(","):
                requirements += _extra(project, extra.strip())
        else:
            requirements.append(requirement)
    return requirements


def test_environment_lists_the_same_dependencies_as_pyproject(pyproject, environment):
    project = pyproject["project"]
    wanted = dict(_normalise(r) for r in project["dependencies"] + _extra(project, "dev"))
    conda, _ = _conda_requirements(environment)
    listed = dict(_normalise(r) for r in conda)
    python_bound = listed.pop("python")
    listed.pop("pip")
    assert listed == wanted, (
        "environment.yml and pyproject.toml disagree; "
        f"only in environment.yml: {sorted(set(listed.items()) - set(wanted.items()))}, "
        f"only in pyproject.toml: {sorted(set(wanted.items()) - set(listed.items()))}"
    )
    assert python_bound == project["requires-python"].replace(" ", "")


def test_environment_is_named_and_installs_the_package_editable(environment):
    assert environment["name"] == "nn-course"
    assert environment["channels"] == ["conda-forge"]
    _, pip = _conda_requirements(environment)
    assert pip == ["-e ."]


def test_every_conda_dependency_says_what_uses_it():
    text = (ROOT / "environment.yml").read_text().split("dependencies:", 1)[1]
    lines = [line for line in text.splitlines() if re.match(r"\s+- ", line) and line.strip() != "- pip:"]
    uncommented = [line.strip() for line in lines if "#" not in line]
    assert not uncommented, f"dependencies without a comment saying what uses them: {uncommented}"


def test_dev_extra_includes_the_site_extra(pyproject):
    """CI installs .[dev] and builds the course website in its tests."""
    project = pyproject["project"]
    assert set(project["optional-dependencies"]["site"]) <= set(_extra(project, "dev"))


def test_numpy_2_is_not_required(pyproject):
    numpy = dict(_normalise(r) for r in pyproject["project"]["dependencies"])["numpy"]
    assert not re.search(r">=\s*2", numpy), "students on numpy 1.x must still be able to install the course"


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", readme, re.S).group(1).strip().splitlines()
    assert len(block) == 2, "the README opens with exactly two commands: set-up and tests"
    test_command = block[1].split("#")[0].strip()
    ci_lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    assert ci_lines[-1] == test_command, f".ci/run must end with the README's test command {test_command!r}"
