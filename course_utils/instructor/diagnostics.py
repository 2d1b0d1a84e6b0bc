"""Diagnostics for one submission: what nbgrader did silently, said loudly.

Three sources of evidence, each turned into short sentences for the instructor:

* the submitted notebooks themselves, read before grading (invalid JSON, missing or renamed notebooks,
  deleted or duplicated graded cells, edited locked cells);
* the autograded notebooks written by nbgrader (timed-out cells, errors outside test cells, truncated output);
* (in ``_grading_worker.WatchedExecute`` and ``_kernel_guard``) a check run silently inside the kernel after every
  cell, and (in ``code_scan``) a static scan of the student's code.

Each finding is a ``Finding(flag, text)``: ``flag=True`` means the score needs the instructor's eyes (the submission is
reported as "flagged"); ``flag=False`` is a note shown next to a score that can be trusted.
"""
from __future__ import annotations

import glob
import json
import os
from dataclasses import dataclass

import nbformat
from nbformat.v4.rwbase import rejoin_lines
from nbgrader.utils import compute_checksum

__all__ = ["Finding", "NotebookSpec", "inspect_submitted", "inspect_autograded", "listed"]


@dataclass(frozen=True)
class Finding:
    """One sentence about a submission; ``flag`` says whether it makes the score untrustworthy.

    The structured fields say what it is about, for code that acts on findings (never parse ``text``, which is for
    people): kind (e.g. "deleted_cell", "tampering", "static", "guard", "failure"), notebook (its name without
    ".ipynb"), cell (the label of the cell, e.g. "'test_sigmoid'" or "#4"), detail (a kind-specific key, e.g. the grade id).
    """

    flag: bool
    text: str
    kind: str = ""
    notebook: str = ""
    cell: str | None = None
    detail: str = ""

    def to_dict(self) -> dict:
        return {"flag": self.flag, "text": self.text, "kind": self.kind, "notebook": self.notebook,
                "cell": self.cell, "detail": self.detail}

    @classmethod
    def from_dict(cls, data: dict) -> "Finding":
        return cls(bool(data["flag"]), str(data["text"]), data.get("kind", ""), data.get("notebook", ""),
                   data.get("cell"), data.get("detail", ""))


@dataclass
class NotebookSpec:
    """What the gradebook knows about one notebook of the assignment.

    grade_cells: {grade_id: (points, manual)}, manual=True for written answers graded by hand.
    locked_cells: {grade_id: source} of the read-only cells (tests, instructions), hidden tests included.
    """

    name: str
    grade_cells: dict
    locked_cells: dict

    @classmethod
    def from_gradebook(cls, notebook) -> "NotebookSpec":
        """Build from an ``nbgrader.api.Notebook`` row."""
        solution_ids = {c.name for c in notebook.solution_cells}
        grade_cells = {c.name: (float(c.max_score), c.name in solution_ids) for c in notebook.grade_cells}
        locked = {c.name: c.source for c in notebook.source_cells if c.locked}
        return cls(notebook.name, grade_cells, locked)


def listed(names, at_most: int = 5) -> str:
    """``"a, b, c"``, or the first ``at_most`` names and ``"and N more"``: a list for a one-line reason."""
    names = list(names)
    more = f" and {len(names) - at_most} more" if len(names) > at_most else ""
    return ", ".join(names[:at_most]) + more


def _points(p: float) -> str:
    return f"{p:g} point" + ("" if p == 1 else "s")


def _label(cell, index: int) -> str:
    grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    return f"'{grade_id}'" if grade_id else f"#{index + 1}"


def inspect_submitted(submission_dir: str, specs: list[NotebookSpec]) -> list[Finding]:
    """Read the submitted notebooks (never writing them) and report what nbgrader would quietly work around."""
    findings: list[Finding] = []
    expected = {spec.name: spec for spec in specs}
    present = sorted(os.path.splitext(os.path.basename(p))[0]
                     for p in glob.glob(os.path.join(glob.escape(submission_dir), "*.ipynb")))
    missing = [name for name in expected if name not in present]
    extra = [name for name in present if name not in expected]
    for name in missing:
        hint = f" (renamed to '{extra[0]}.ipynb'?)" if len(extra) == 1 and len(missing) == 1 else ""
        findings.append(Finding(True, f"notebook '{name}.ipynb' is missing{hint}"))
    for name in extra:
        findings.append(Finding(True, f"unexpected notebook '{name}.ipynb' was not graded"))

    for name in present:
        if name not in expected:
            continue
        spec = expected[name]
        fname = f"{name}.ipynb"
        path = os.path.join(submission_dir, fname)
        try:
            with open(path, "rb") as fh:
                raw = fh.read()
            data = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            where = f" at line {exc.lineno}, column {exc.colno}" if isinstance(exc, json.JSONDecodeError) else ""
            findings.append(Finding(True, f"'{fname}' is not valid JSON{where}: nbgrader could not read it"))
            continue
        # Only the structure these checks read is needed; nbgrader itself validates the notebook fully.
        if not (isinstance(data, dict) and isinstance(data.get("cells"), list) and data.get("nbformat") == 4):
            findings.append(Finding(True, f"'{fname}' is not a version 4 notebook (no list of cells)"))
            continue
        nb = rejoin_lines(nbformat.from_dict(data))  # sources stored as lists of lines become strings

        counts: dict[str, int] = {}
        edited: set[str] = set()
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if grade_id and (meta.get("grade") or meta.get("solution") or meta.get("locked")):
                counts[grade_id] = counts.get(grade_id, 0) + 1
        for grade_id, n in counts.items():
            if n > 1:
                findings.append(Finding(True, f"cell '{grade_id}' appears {n} times in '{fname}': only the last "
                                              "copy was graded (plain nbgrader stops the whole class here)"))
        for grade_id, (points, manual) in spec.grade_cells.items():
            if grade_id not in counts:
                what = "written answer" if manual else "test cell"
                findings.append(Finding(True, f"graded {what} '{grade_id}' ({_points(points)}) was deleted from "
                                              f"'{fname}': nbgrader silently left it ungraded ('needs manual grade')",
                                        kind="deleted_cell", notebook=name, cell=f"'{grade_id}'", detail=grade_id))
        # generate_assignment stores in each released cell the checksum of its released version (source, type,
        # locked/grade flags, points): a locked cell whose checksum no longer matches was edited.
        for cell in nb.cells:
            meta = cell.get("metadata", {}).get("nbgrader", {})
            grade_id = meta.get("grade_id")
            if grade_id in spec.locked_cells and meta.get("checksum") and grade_id not in edited:
                try:
                    changed = compute_checksum(cell) != meta["checksum"]
                except (KeyError, TypeError, ValueError):
                    changed = True
                if changed:
                    edited.add(grade_id)
                    findings.append(Finding(False, f"locked cell '{grade_id}' was edited in '{fname}': "
                                                   "the original was restored and graded"))
    return findings


def inspect_autograded(autograded_dir: str, specs: list[NotebookSpec], timeout: float | None) -> list[Finding]:
    """Report timed-out cells, errors outside test cells and truncated output in the autograded notebooks."""
    findings: list[Finding] = []
    for spec in specs:
        path = os.path.join(autograded_dir, f"{spec.name}.ipynb")
        if not os.path.exists(path):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                nb = rejoin_lines(nbformat.from_dict(json.load(fh)))
        except (OSError, ValueError):  # nbgrader wrote it; if it is unreadable the gradebook still holds the scores
            continue
        first_error = None
        truncated = []
        for index, cell in enumerate(nb.cells):
            if cell.get("cell_type") != "code":
                continue
            meta = cell.get("metadata", {}).get("nbgrader", {})
            is_test = bool(meta.get("grade")) and not meta.get("solution")
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    if out.get("ename") == "CellTimeoutError":
                        limit = f" after {timeout:g} s" if timeout else ""
                        findings.append(Finding(True, f"cell {_label(cell, index)} of '{spec.name}.ipynb' timed out"
                                                      f"{limit}: it was interrupted and the next cells ran"))
                    elif not is_test and first_error is None:
                        evalue = str(out.get("evalue", "")).splitlines()[0][:120] if out.get("evalue") else ""
                        first_error = f"{out.get('ename')}: {evalue}" if evalue else str(out.get("ename"))
                        first_error = (_label(cell, index), first_error)
                elif out.get("output_type") == "stream" and "... Output truncated ..." in out.get("text", ""):
                    truncated.append(_label(cell, index))
        if first_error is not None:
            findings.append(Finding(False, f"cell {first_error[0]} of '{spec.name}.ipynb' raised {first_error[1]}"))
        if truncated:
            findings.append(Finding(False, f"output of cell {', '.join(sorted(set(truncated)))} of "
                                           f"'{spec.name}.ipynb' was truncated"))
    return findings
