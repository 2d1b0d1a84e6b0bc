"""The static scan of student code and the sanitising of what is published, as pure functions (no kernel, no sandbox).

The graded end-to-end outcomes of the same attacks are in ``test_security.py``.
"""
import html

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from course_utils.instructor.code_scan import scan_notebook, scan_source
from course_utils.instructor.publish import _defuse_links, sanitize_notebook

ALIASES = {"np": "numpy", "checks": "course_utils.exercise_checks", "MLP": "course_utils.models.MLP"}
PROTECTED = {"np", "checks", "MLP"}
OFF_LIMITS = ["course_utils.layers.affine_backward", "course_utils.models"]


def whats(source):
    return [h.what for h in scan_source(source, aliases=ALIASES, protected=PROTECTED, off_limits=OFF_LIMITS)]


@pytest.mark.parametrize("source, expected", [
    ("from course_utils.layers import affine_backward", "imports course_utils.layers.affine_backward"),
    ("import course_utils.layers as L\ndef f(d, c):\n    return L.affine_backward(d, c)",
     "uses course_utils.layers.affine_backward"),
    ("def f():\n    return MLP.from_params(p).loss(X, Y)", "uses course_utils.models"),
    ("get_ipython().input_transformers_post.append(lambda l: [])", "drives IPython (get_ipython)"),
    ("%env X=1", "runs IPython magics or shell commands"),
    ("!rm -rf /", "runs IPython magics or shell commands"),
    ("import sys; sys.settrace(None)", "installs a trace function"),
    ("from sys import settrace", "installs a trace function"),
    ("from os import system", "uses os.system"),
    ("import os as shell\nshell.system('ls')", "uses os.system"),
    ("import course_utils.models", "imports course_utils.models"),
    ("np.testing.assert_allclose = lambda *a, **k: None", "changes np.testing.assert_allclose"),
    ("checks = None", "rebinds 'checks'"),
    ("open('../../../gradebook.db', 'w')", "accesses the file '../../../gradebook.db'"),
    ("eval('1+1')", "evaluates code built at run time (eval)"),
    ("getattr(__import__('s' + 'ys'), 'settrace')(None)", "imports modules dynamically (__import__)"),
    ("x = (lambda: 0).__code__", "uses __code__"),
    ("import ctypes", "calls C code directly (ctypes)"),
    ("import builtins; builtins.print = None", "changes Python's builtins"),
    ("__nn_course_guard = lambda: '{}'", "uses the grader's integrity check"),
])
def test_scan_flags(source, expected):
    assert any(w.startswith(expected) for w in whats(source)), whats(source)


@pytest.mark.parametrize("source", [
    "def sigmoid(z):\n    return 1.0 / (1.0 + np.exp(-z))",
    "def f(Z, y):\n    Y = np.zeros_like(Z)\n    Y[np.arange(len(y)), y] = 1.0\n    return Y",  # np inside a subscript
    "from IPython.display import display\ndisplay(3)",
    "rng = np.random.default_rng(0)\nW = rng.normal(size=(2, 3))",
    "def affine_backward(dout, cache):\n    x, W, b = cache\n    return dout @ W.T, x.T @ dout, dout.sum(0)",
])
def test_scan_leaves_honest_code_alone(source):
    assert whats(source) == []


def test_scan_skips_the_cell_nbgrader_restores_but_not_an_earlier_copy():
    locked = {"test_f": "import numpy as np\nassert f(1) == 2"}
    nb = new_notebook(cells=[new_code_cell("import ctypes"), new_code_cell("import ctypes")])
    for cell in nb.cells:
        cell.metadata["nbgrader"] = {"grade_id": "test_f", "locked": True, "grade": True}
    hits = scan_notebook(nb, locked)
    assert [(label, h.line, h.what) for label, h in hits] == [("'test_f'", 1, "calls C code directly (ctypes)")]


@pytest.mark.parametrize("markdown, expected", [
    ("[x](javascript:alert(1))", "[x](#unsafe-link)"),
    ("[x](  jav&#x61;script:alert(1))", "[x](  #unsafe-link)"),
    ("![i](data:text/html,xx)", "![i](#unsafe-link)"),
    ("[r]: javascript:foo()", "[r]: #unsafe-link"),
    ("[ok](https://en.wikipedia.org/wiki/Sigmoid_(function))", "[ok](https://en.wikipedia.org/wiki/Sigmoid_(function))"),
])
def test_markdown_links_with_a_script_scheme_are_defused(markdown, expected):
    assert _defuse_links(markdown) == expected


def test_sanitize_notebook_removes_scripts_and_keeps_harmless_text():
    answer = new_markdown_cell("exp(-z) > 0, so a < b <script>alert(1)</script><img src=x onerror=alert(2)>")
    answer.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "why"}
    plain = new_markdown_cell("> a quote, a < b & c")
    plain.metadata["nbgrader"] = {"solution": True, "grade": True, "grade_id": "why2"}
    instructor = new_markdown_cell("<b onclick='x()'>$a<b$</b>")
    instructor.metadata["nbgrader"] = {"locked": True, "grade_id": "intro"}
    code = new_code_cell("x", outputs=[
        new_output("display_data", data={"text/html": "<b>ok</b><script>bad()</script>", "text/plain": "ok",
                                         "application/javascript": "bad()", "image/svg+xml": "<svg onload=x()/>"}),
        new_output("stream", name="stdout", text="<script>stays text</script>")])
    nb = new_notebook(cells=[answer, plain, instructor, code])
    assert sanitize_notebook(nb) == 2
    assert "<script>" not in answer.source and "onerror" not in answer.source and "exp(-z) &gt; 0" in answer.source
    assert plain.source == "> a quote, a < b & c"  # nothing removed: left exactly as written
    assert instructor.source == "<b onclick='x()'>$a<b$</b>"  # the instructor's cell is not touched
    data = code.outputs[0]["data"]
    assert set(data) == {"text/html", "text/plain"} and data["text/html"] == "<b>ok</b>bad()"
    assert code.outputs[1]["text"] == "<script>stays text</script>"  # a stream is shown as text
    nbformat.validate(nb)


# ---------------------------------------------------------------- the feedback's math as MathML


def _page(markdown_html, output_html="<pre>$ 5 and $10</pre>"):
    """A page as nbconvert's classic template writes it: a Markdown cell, then a code cell's output."""
    return (f'<html><body><div class="text_cell_render border-box-sizing rendered_html">{markdown_html}</div>'
            f'<div class="output_area">{output_html}</div></body></html>')


def test_the_feedbacks_tex_becomes_mathml_and_code_and_outputs_stay_as_they_are():
    from course_utils.instructor.publish import math_to_mathml

    page, converted, left = math_to_mathml(_page(
        r"<p>The prediction $\hat{y}$ of $z = \mathbf{w} \cdot \mathbf{x} + b$, with \(\eta > 0\):</p>"
        r"<p>$$\hat{y} = \begin{cases} 1 & \text{if } z \ge 0,\\ 0 & \text{otherwise.}\end{cases}$$</p>"
        r"<p>It costs $ 5 and $10, and <code>$x$</code> is code.</p>"))
    assert (converted, left) == (4, 0)
    assert page.count("<math") == 4 and page.count('display="block"') == 1 and page.count('display="inline"') == 3
    assert "$\\hat{y}$" not in page and "\\(" not in page
    assert "It costs $ 5 and $10, and <code>$x$</code> is code." in page  # neither money nor code is math
    assert "<pre>$ 5 and $10</pre>" in page  # an output is not Markdown


@pytest.mark.parametrize("tex", [r"\text{<script>alert(1)</script>}", r"\href{javascript:alert(1)}{x}",
                                 r"\text{<img src=x onerror=alert(1)>}"])
def test_tex_that_would_carry_markup_or_links_is_left_as_tex(tex):
    from course_utils.instructor.publish import math_to_mathml

    page, converted, left = math_to_mathml(_page(f"<p>an answer: ${html.escape(tex)}$</p>"))  # as nbconvert writes it
    assert (converted, left) == (0, 1)
    assert "<math" not in page and "<script" not in page and "href=" not in page and "<img" not in page
    assert "alert(1)" in page  # still there, as text


def test_tex_that_cannot_be_converted_is_left_for_the_reader():
    from course_utils.instructor.publish import math_to_mathml

    page, converted, left = math_to_mathml(_page(r"<p>$\undefinedmacro{x}$, $\left( x$ and $x^2$</p>"))
    assert (converted, left) == (1, 2)
    assert r"$\undefinedmacro{x}$, $\left( x$ and " in page and page.count("<math") == 1
