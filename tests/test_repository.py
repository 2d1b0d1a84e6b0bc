"""House rules that hold for every committed notebook (STYLE.md 9, 13, 15)."""
import subprocess
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]


def _tracked_notebooks():
    try:
        out = subprocess.run(["git", "ls-files", "*.ipynb"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
        paths = [ROOT / line for line in out.splitlines() if line]
    except (OSError, subprocess.CalledProcessError):  # not a git checkout (e.g. an sdist): check what is there
        paths = sorted(p for p in ROOT.rglob("*.ipynb") if ".ipynb_checkpoints" not in p.parts and ".venv" not in p.parts)
    return paths


NOTEBOOKS = _tracked_notebooks()


def test_there_are_notebooks_to_check():
    assert len(NOTEBOOKS) >= 7, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_notebook_is_valid_and_committed_without_outputs(path):
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    dirty = [i for i, cell in enumerate(nb.cells)
             if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count"))]
    assert not dirty, f"{path.name}: code cells {dirty} carry outputs; clear them before committing"
    assert nb.metadata.get("kernelspec", {}).get("name") == "python3", f"{path.name}: kernelspec must be python3"


def test_lectures_sort_in_reading_order():
    names = sorted(p.name for p in (ROOT / "lectures").glob("*.ipynb"))
    assert names[:7] == [
        "00_notation.ipynb",
        "01_perceptron.ipynb",
        "02_logistic_regression.ipynb",
        "03_backpropagation.ipynb",
        "04_xor_mlp_numpy.ipynb",
        "05_keras_mnist.ipynb",
        "06_training_deep_networks.ipynb",
    ]


@pytest.mark.parametrize("path", sorted((ROOT / "lectures").glob("*.ipynb")), ids=lambda p: p.name)
def test_lecture_has_the_lecture_shape(path):
    """Title, what you will learn, summary, exercises (STYLE.md 14); TensorFlow only through quiet_tensorflow()."""
    nb = nbformat.read(path, as_version=4)
    markdown = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown").lower()
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    if path.name != "00_notation.ipynb":
        for heading in ("what you will learn", "summary", "exercises"):
            assert heading in markdown, f"{path.name} has no '{heading}' section"
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert "import tensorflow" not in code, f"{path.name}: import TensorFlow via course_utils.tf_utils.quiet_tensorflow()"
