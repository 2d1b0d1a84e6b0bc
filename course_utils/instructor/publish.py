"""What leaves the grading sandbox for the instructor's and the students' eyes: sanitised notebooks, nothing else.

* ``publish_notebooks(scratch, target, names)`` copies the autograded notebooks of one submission from the scratch
  course into the real ``autograded/`` folder: regular ``.ipynb`` files of the assignment only (no other file, no
  link, nothing a kernel left behind; nbgrader's ``timestamp.txt`` too), each notebook passed through
  ``sanitize_notebook``.
* ``sanitize_notebook(nb)`` applies nbconvert's ``SanitizeHTML`` (bleach): JavaScript outputs and every output type
  that is not plain text, LaTeX, JSON, PNG or JPEG are removed, and HTML and Markdown outputs are cleaned (no
  ``<script>``, no event-handler attributes, no ``javascript:`` links, in HTML or in Markdown's own link syntax). The student's Markdown cells (written
  answers) are cleaned the same way when they hold anything the sanitiser removes; the instructor's cells and
  harmless Markdown are left exactly as they are.
* ``HideHiddenTests``, a preprocessor of nbgrader's ``GenerateFeedback``: the feedback shows each test's result but
  neither the source of its hidden tests nor the traceback lines that would quote them.
* ``math_to_mathml(page)``: the TeX math of a feedback page's Markdown cells as MathML, which browsers draw without
  any script, so the formulas read right offline (nbgrader's page loads MathJax from a CDN). Only MathML's
  presentation elements and attributes are let through.
"""
from __future__ import annotations

import html
import os
import re
import shutil

import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from .diagnostics import Finding, listed

__all__ = ["publish_notebooks", "sanitize_notebook", "HideHiddenTests", "math_to_mathml", "SAFE_OUTPUT_KEYS"]

SAFE_OUTPUT_KEYS = {"metadata", "text/plain", "text/latex", "application/json", "image/png", "image/jpeg"}
_TAGS = ["a", "abbr", "acronym", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "h5", "h6",
         "hr", "i", "li", "ol", "p", "pre", "span", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
         "tr", "ul"]
_ATTRIBUTES = {"a": ["href", "title"], "abbr": ["title"], "acronym": ["title"], "td": ["colspan", "rowspan"],
               "th": ["colspan", "rowspan"]}


def _sanitizer():
    from nbconvert.preprocessors.sanitize import SanitizeHTML

    return SanitizeHTML(tags=_TAGS, attributes=_ATTRIBUTES, strip=True, safe_output_keys=SAFE_OUTPUT_KEYS)


_DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:", "file:")
_LINK_TARGETS = [re.compile(r"\]\(\s*<?((?:[^()\s>]|\([^()\s]*\))*)"),  # [text](target), ![alt](target)
                 re.compile(r"^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)", re.M)]  # [ref]: target


def _defuse_links(markdown: str) -> str:
    """Replace Markdown link targets with a script scheme (after undoing entities and stray control characters,
    as browsers do) by ``#unsafe-link``; HTML tags are bleach's job."""
    def fix(match):
        target = match.group(1)
        plain = re.sub(r"[\x00-\x20]", "", html.unescape(target)).lower()
        if plain.startswith(_DANGEROUS_SCHEMES):
            return match.group(0).replace(target, "#unsafe-link")
        return match.group(0)

    for pattern in _LINK_TARGETS:
        markdown = pattern.sub(fix, markdown)
    return markdown


def sanitize_notebook(nb) -> int:
    """Sanitise ``nb`` in place (see the module docstring); returns how many cells were changed."""
    sanitizer = _sanitizer()
    changed = 0
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type in ("markdown", "raw"):
            if meta.get("locked") and not meta.get("solution"):
                continue  # the instructor's text, restored by nbgrader from the gradebook
            clean = sanitizer.sanitize_html_tags(_defuse_links(cell.source))
            if html.unescape(clean) != cell.source:  # something was removed, not only escaped
                cell.source = clean
                changed += 1
        elif cell.cell_type == "code":
            before = repr(cell.get("outputs", []))
            cell.outputs = sanitizer.sanitize_code_outputs(cell.get("outputs", []))
            changed += repr(cell.outputs) != before
    return changed


def publish_notebooks(scratch_dir: str, target_dir: str, names) -> list[Finding]:
    """Replace ``target_dir`` by the sanitised notebooks ``<name>.ipynb`` of ``scratch_dir``; report what was left out.

    Nothing is published when ``scratch_dir`` does not exist (nbgrader could not grade the submission).
    """
    findings = []
    if os.path.lexists(target_dir):
        if os.path.islink(target_dir) or not os.path.isdir(target_dir):
            os.unlink(target_dir)
        else:
            shutil.rmtree(target_dir)
    if not os.path.isdir(scratch_dir) or os.path.islink(scratch_dir):
        return findings
    os.makedirs(target_dir)
    wanted = {f"{name}.ipynb" for name in names}
    left_out, cleaned = [], 0
    for entry in sorted(os.listdir(scratch_dir)):
        path = os.path.join(scratch_dir, entry)
        regular = os.path.isfile(path) and not os.path.islink(path)
        if entry == "timestamp.txt" and regular and os.path.getsize(path) < 1024:
            shutil.copyfile(path, os.path.join(target_dir, entry))  # nbgrader's record of the submission time
            continue
        if entry not in wanted or not regular:
            left_out.append(entry)
            continue
        nb = nbformat.read(path, as_version=nbformat.NO_CONVERT)
        cleaned += sanitize_notebook(nb)
        nbformat.write(nb, os.path.join(target_dir, entry))
    if cleaned:
        findings.append(Finding(False, f"{cleaned} cell(s) held HTML or JavaScript that could run in a browser: "
                                       "removed before publishing", kind="sanitised", detail=str(cleaned)))
    if left_out:
        findings.append(Finding(False, f"not published (only the assignment's notebooks are): {listed(left_out)}",
                                kind="not_published", detail=",".join(left_out)))
    return findings


class HideHiddenTests(Preprocessor):
    """For feedback: remove the hidden-test regions of test cells, and the tracebacks that quote their code."""

    enabled = Bool(True).tag(config=True)  # nbconvert's preprocessors are off unless enabled

    def preprocess_cell(self, cell, resources, index):
        from nbgrader.preprocessors import ClearHiddenTests

        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade") or meta.get("solution"):
            return cell, resources
        clear = ClearHiddenTests(config=self.config)
        begin = clear.begin_test_delimeter
        if begin in cell.source:
            clear._remove_hidden_test_region(cell)
            for out in cell.get("outputs", []):
                if out.get("output_type") == "error":
                    out["traceback"] = [f"{out.get('ename', 'Error')}: {out.get('evalue', '')}",
                                        "(no traceback: this test cell also runs hidden tests, whose code is not "
                                        "shown)"]
        return cell, resources


# ----------------------------------------------------------------------------------------------------------------------
# Math in the feedback: TeX -> MathML

# $$display$$, \[display\], \(inline\), $inline$ (not "$ 5 and $"): the delimiters Jupyter's Markdown gives MathJax
_MATH = re.compile(r"\$\$(?P<d1>.+?)\$\$"
                   r"|\\\[(?P<d2>.+?)\\\]"
                   r"|\\\((?P<i1>.+?)\\\)"
                   r"|\$(?P<i2>[^\s$](?:[^$]*?[^\s$\\])?)\$", re.S)
_MATHML_TAGS = {"math", "mrow", "mi", "mn", "mo", "mtext", "mspace", "ms", "mfrac", "msqrt", "mroot", "mstyle",
                "merror", "mpadded", "mphantom", "msub", "msup", "msubsup", "munder", "mover", "munderover",
                "mtable", "mtr", "mtd", "menclose", "semantics", "annotation", "mfenced"}
_MATHML_ATTRIBUTES = {"xmlns", "display", "mathvariant", "accent", "accentunder", "stretchy", "fence", "separator",
                      "lspace", "rspace", "minsize", "maxsize", "largeop", "movablelimits", "symmetric", "form",
                      "linethickness", "displaystyle", "scriptlevel", "width", "height", "depth", "columnalign",
                      "rowalign", "columnspacing", "rowspacing", "columnlines", "rowlines", "frame", "notation",
                      "open", "close", "separators", "encoding"}


def _mathml(tex: str, display: bool):
    """The MathML element for ``tex`` (a BeautifulSoup tag), or None when it cannot be converted, names a macro
    latex2mathml does not know, or holds anything but MathML's presentation elements and attributes
    (``\\text{<script>}``, ``\\href``): such math is left as TeX."""
    from bs4 import BeautifulSoup
    from latex2mathml.converter import convert

    try:
        markup = convert(tex, display="block" if display else "inline")
    except Exception:  # noqa: BLE001  latex2mathml raises many kinds on TeX it does not know: keep the TeX
        return None
    math = BeautifulSoup(markup, "html.parser").find("math")
    if math is None:
        return None
    for element in [math, *math.find_all(True)]:
        if element.name not in _MATHML_TAGS or set(element.attrs) - _MATHML_ATTRIBUTES:
            return None
        if element.name == "mi" and re.match(r"\\[A-Za-z]", element.get_text()):  # a macro it does not know
            return None
    return math


def math_to_mathml(page: str) -> tuple[str, int, int]:
    """Replace the TeX math in the Markdown cells of an HTML page (nbconvert's classic or lab template) by MathML.

    Code, preformatted text and outputs are left alone. Returns ``(page, converted, left as TeX)``.
    """
    from bs4 import BeautifulSoup, NavigableString

    soup = BeautifulSoup(page, "html.parser")
    converted = left = 0
    for cell in soup.select("div.text_cell_render, div.jp-RenderedMarkdown"):
        for text in list(cell.find_all(string=True)):
            if text.find_parent(["code", "pre", "script", "style", "math"]):
                continue
            pieces, last = [], 0
            for match in _MATH.finditer(text):
                display = match.group("d1") is not None or match.group("d2") is not None
                tex = next(group for group in match.groups() if group is not None)
                math = _mathml(tex.strip(), display)
                if math is None:
                    left += 1
                    continue
                converted += 1
                pieces += [NavigableString(text[last:match.start()]), math]
                last = match.end()
            if pieces:
                for piece in [*pieces, NavigableString(text[last:])]:
                    text.insert_before(piece)
                text.extract()
    return str(soup), converted, left
