"""The shape every lecture shares (CONTRIBUTING.md, 'Lectures'): exercises in the text with collapsed worked answers,
answered end-of-lecture exercises, figures drawn by course_utils.plotting, and further reading."""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
TEACHING = [p for p in LECTURES if not p.name.startswith("00_")]

# Figures each lecture must draw (issue 10): the plotting helper and the lecture that uses it.
FIGURES = {
    "01_perceptron.ipynb": ["plot_neuron(", "plot_network("],
    "03_backpropagation.ipynb": ["plot_network("],
    "04_xor_mlp_numpy.ipynb": ["plot_network("],
    "05_keras_mnist.ipynb": ["plot_network("],
    "06_training_deep_networks.ipynb": ["plot_dropout(", "plot_batchnorm_flow("],
}


def _tags(cell):
    return set(cell.metadata.get("tags", []))


def _read(path):
    return nbformat.read(path, as_version=4)


def _exercises_heading(nb):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "markdown" and re.search(r"^## Exercises\s*$", cell.source, re.M):
            return i
    return None


def _exercise_blocks(nb):
    """[(index of the exercise cell, [indices of its answer cells])] in notebook order."""
    blocks = []
    for i, cell in enumerate(nb.cells):
        if "exercise" in _tags(cell):
            blocks.append((i, []))
        elif "answer" in _tags(cell):
            assert blocks, f"cell {i} is tagged 'answer' but no exercise comes before it"
            blocks[-1][1].append(i)
    return blocks


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.name)
def test_every_exercise_has_a_collapsed_worked_answer(path):
    nb = _read(path)
    for i, answers in _exercise_blocks(nb):
        cell = nb.cells[i]
        assert cell.cell_type == "markdown", f"{path.name} cell {i}: an exercise is a Markdown cell"
        assert re.match(r"\*\*(Try it|Think about it|Exercise \d+)\.\*\*", cell.source.lstrip("> ")), (
            f"{path.name} cell {i}: an exercise starts with **Try it.**, **Think about it.** or **Exercise N.**; "
            f"got {cell.source[:60]!r}")
        assert answers, f"{path.name} cell {i} ({cell.source[:50]!r}...) has no answer cell after it"
        # only an optional code cell for the student may sit between the exercise and its answer
        between = [j for j in range(i + 1, answers[0]) if nb.cells[j].cell_type != "code"]
        assert not between, f"{path.name}: the answer of cell {i} must follow it (cells {between} are in between)"
        first = nb.cells[answers[0]]
        assert first.source.lstrip().startswith("**Answer.**" if first.cell_type == "markdown" else "# Answer"), (
            f"{path.name} cell {answers[0]}: an answer starts with **Answer.** (Markdown) or # Answer (code)")
        for j in answers:
            hidden = nb.cells[j].metadata.get("jupyter", {})
            assert hidden.get("source_hidden") is True, f"{path.name} cell {j}: answers open collapsed (source_hidden)"
            if nb.cells[j].cell_type == "code":
                assert hidden.get("outputs_hidden") is True, f"{path.name} cell {j}: hide the answer's outputs too"


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.name)
def test_lecture_has_exercises_in_the_text_and_at_the_end(path):
    nb = _read(path)
    end = _exercises_heading(nb)
    assert end is not None, f"{path.name} has no '## Exercises' section"
    starts = [i for i, _ in _exercise_blocks(nb)]
    in_text = [i for i in starts if i < end]
    at_end = [i for i in starts if i > end]
    assert len(in_text) >= 3, f"{path.name}: {len(in_text)} exercises in the text before '## Exercises'; at least 3"
    assert len(at_end) >= 3, f"{path.name}: {len(at_end)} tagged exercises under '## Exercises'; at least 3"
    # no untagged numbered exercise lists left under ## Exercises (they would have no answers)
    tail = [c for c in nb.cells[end + 1:] if c.cell_type == "markdown" and not _tags(c) & {"exercise", "answer"}]
    for cell in tail:
        assert not re.search(r"^\s*\d+\.\s+\*\*", cell.source, re.M), (
            f"{path.name}: an untagged numbered exercise under '## Exercises': {cell.source[:80]!r}")


@pytest.mark.parametrize("path", TEACHING, ids=lambda p: p.name)
def test_lecture_ends_with_further_reading(path):
    nb = _read(path)
    headings = [(i, c) for i, c in enumerate(nb.cells)
                if c.cell_type == "markdown" and re.search(r"^## Further reading\s*$", c.source, re.M)]
    assert headings, f"{path.name} has no '## Further reading' section"
    text = "\n".join(c.source for c in nb.cells[headings[-1][0]:] if c.cell_type == "markdown")
    years = re.findall(r"\b(19[4-9]\d|20[0-2]\d)\b", text)
    assert len(years) >= 2, f"{path.name}: further reading cites works with their years (found {years})"
    assert re.search(r"chapter|ch\.|§", text, re.I), f"{path.name}: further reading names a textbook chapter"


@pytest.mark.parametrize("name", sorted(FIGURES))
def test_lecture_draws_its_figures(name):
    code = "\n".join(c.source for c in _read(ROOT / "lectures" / name).cells if c.cell_type == "code")
    for call in FIGURES[name]:
        assert call in code, f"{name} does not draw {call[:-1]} (issue 10's figures)"
