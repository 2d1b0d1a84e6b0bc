r"""One notation for the whole course: every symbol in the Markdown math of a lecture or an assignment source is
defined on the notation page, lectures/00_notation.ipynb (issue 10, STYLE.md 12).

What the check reads. The Markdown cells of every lecture (lectures/*.ipynb, the notation page included) and every
assignment source (assignments/source/*/*.ipynb; release and solutions are generated from them). Code spans and
fenced code blocks are removed first; what is left between $$...$$ or $...$ (on one line) is math.

What counts as a symbol (``symbols_in``):
- a Greek letter or \ell (\eta, \sigma, \Delta), and a Latin letter (N, x, W);
- with its decorations, which are part of its name: \mathbf{W}, \boldsymbol{\delta}, \hat{\mathbf{y}},
  \tilde{\mathbf{x}}, \mathcal{L}, \bar{z} (decorations are the macros in DECORATIONS; a decorated group of several
  letters, \mathbf{Wx}, gives one symbol per letter);
- scripts are dropped: \mathbf{W}^{[l]}, \mathbf{W}^{[l]\top} and \mathbf{W}_{\text{col}} are all \mathbf{W}.
  A superscript is read as math (e^{-z} uses e and z) except a leading layer or example index in brackets, [l] or
  (i); in a subscript only Greek and decorated symbols count, its bare letters are indices or labels (x_j, \mu_B,
  \beta_1, W_{jk});
- any other macro that is not in IGNORED (formatting, operators, relations, standard functions such as \frac,
  \sum, \left, \cdot, \top, \log, \tanh) is reported as a symbol itself, so that a new kind of notation
  (\nabla, \hbar) cannot slip through unnoticed; the arguments of \text, \operatorname, \mathrm and the like
  (words, named functions such as softmax or relu) are skipped;
- the one Latin letter that is never a symbol is d, the prefix of a differential or a gradient (dW, dz/dx):
  NOT_SYMBOLS.

What counts as defined (``defined_symbols``): a symbol that occurs in the first column (the "symbol" column) of a
Markdown table of the notation page. Two conventions of the notation page are applied when looking a symbol up
(``is_defined``): a letter that is not bold may stand for an entry of the bold vector or matrix of the same name,
with the same other decorations (x_j of \mathbf{x}, W_{jk} of \mathbf{W}, \delta_j of \boldsymbol{\delta},
\hat{y}_k of \hat{\mathbf{y}}); and \bar{s} is the adjoint of s (lecture 03), defined when the page defines
the adjoint notation \bar{v} and s itself.

The check fails naming the notebook, each undefined symbol and one place where it occurs (the cell and the math).
"""
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTATION = ROOT / "lectures" / "00_notation.ipynb"
NOTEBOOKS = sorted((ROOT / "lectures").glob("*.ipynb")) + sorted((ROOT / "assignments" / "source").glob("*/*.ipynb"))

GREEK = set(
    "alpha beta gamma delta epsilon varepsilon zeta eta theta vartheta iota kappa lambda mu nu xi pi varpi rho varrho "
    "sigma varsigma tau upsilon phi varphi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega "
    "ell".split())
DECORATIONS = set(
    "mathbf boldsymbol bm hat widehat tilde widetilde bar overline vec dot ddot breve check mathcal mathbb mathscr "
    "mathfrak".split())
# Macros whose (first) argument is text or a name, not math: skipped with their argument.
SKIP_ARGUMENT = set(
    "text textrm textbf textit textsf texttt textnormal mathrm mathit mathsf mathtt operatorname mbox hbox label tag "
    "begin end hspace vspace color textcolor".split())
# Formatting, spacing, operators, relations, delimiters, arrows and standard functions: not symbols.
IGNORED = set(
    "frac dfrac tfrac cfrac sqrt sum prod int oint lim left right middle big Big bigg Bigg bigl bigr Bigl Bigr biggl "
    "biggr Biggl Biggr cdot cdots ldots dots dotsc dotsb vdots ddots times div pm mp ast star circ bullet odot otimes "
    "oplus le leq ge geq lt gt ne neq ll gg approx sim simeq cong equiv propto to gets rightarrow leftarrow "
    "Rightarrow Leftarrow longrightarrow longleftarrow Longrightarrow Longleftarrow leftrightarrow Leftrightarrow "
    "iff implies mapsto uparrow downarrow in notin ni subset subseteq supset supseteq cup cap setminus emptyset "
    "varnothing forall exists neg land lor infty partial top intercal perp prime qquad quad enspace thinspace "
    "displaystyle textstyle scriptstyle scriptscriptstyle boxed underbrace overbrace underset overset stackrel "
    "substack limits nolimits log ln lg exp sin cos tan sinh cosh tanh arcsin arccos arctan max min arg argmax argmin "
    "sup inf det dim ker Pr lVert rVert lvert rvert Vert vert mid langle rangle lfloor rfloor lceil rceil lbrace "
    "rbrace blacksquare square Box therefore because colon not phantom hphantom vphantom smash newline "
    "checkmark dagger".split())
NOT_SYMBOLS = {"d"}  # the prefix of a differential or a gradient: dW, dz/dx

_TOKEN = re.compile(r"\\[A-Za-z]+|\\.|[A-Za-z]|\d|\s+|.", re.S)
_CODE = re.compile(r"```.*?```|`[^`\n]*`", re.S)
_MATH = re.compile(r"(?<!\\)\$\$(.+?)(?<!\\)\$\$|(?<!\\)\$([^$\n]+?)(?<!\\)\$", re.S)
_INDEX = re.compile(r"^\s*(\[[^\]]*\]|\([^)]*\))")


def math_in_markdown(text):
    """The math snippets of a Markdown text, in order: display math $$...$$ and inline $...$; code is not math."""
    return [m.group(1) or m.group(2) for m in _MATH.finditer(_CODE.sub(" ", text))]


def _argument(tokens, i):
    """The argument that starts at tokens[i] (spaces skipped): a {...} group or one token. Returns (tokens, next)."""
    while i < len(tokens) and tokens[i].isspace():
        i += 1
    if i >= len(tokens):
        return [], i
    if tokens[i] != "{":
        if tokens[i][1:] in SKIP_ARGUMENT | DECORATIONS:  # n_\text{in}, \hat\mathbf{y}: the macro with its argument
            _, j = _argument(tokens, i + 1)
            return tokens[i:j], j
        return [tokens[i]], i + 1
    depth, j = 1, i + 1
    while j < len(tokens) and depth:
        depth += {"{": 1, "}": -1}.get(tokens[j], 0)
        j += 1
    return tokens[i + 1:j - 1], j


def _symbols(tokens, decoration="", in_subscript=False):
    found, i = [], 0
    while i < len(tokens):
        token = tokens[i]
        name = token[1:] if re.fullmatch(r"\\[A-Za-z]+", token) else None
        if name in DECORATIONS:
            argument, i = _argument(tokens, i + 1)
            found += _symbols(argument, decoration + token + "{", in_subscript)
            continue
        if name in SKIP_ARGUMENT:
            if i + 1 < len(tokens) and tokens[i + 1] == "*":  # \operatorname*{argmax}
                i += 1
            environment, i = _argument(tokens, i + 1)
            if name == "begin" and "".join(environment) in ("array", "tabular"):
                _, i = _argument(tokens, i)  # the column specification
            continue
        if token in ("^", "_"):
            argument, i = _argument(tokens, i + 1)
            if token == "^":
                text = "".join(argument)
                while _INDEX.match(text):
                    text = text[_INDEX.match(text).end():]
                argument = _TOKEN.findall(text)
            found += _symbols(argument, "", in_subscript or token == "_")
            continue
        close = "}" * decoration.count("{")
        if name in GREEK or (name is not None and name not in IGNORED):
            found.append(decoration + token + close)
        elif name is None and re.fullmatch(r"[A-Za-z]", token):
            if decoration:
                found.append(decoration + token + close)
            elif not in_subscript and token not in NOT_SYMBOLS:
                found.append(token)
        i += 1
    return found


def symbols_in(math):
    """The symbols of one math snippet, in order, normalised as the module docstring says."""
    return _symbols(_TOKEN.findall(math))


def _first_column(row):
    """The first cell of a Markdown table row; a | inside $...$ does not end it."""
    cell, in_math = "", False
    for k, char in enumerate(row.strip()[1:]):
        if char == "$" and (k == 0 or row.strip()[k] != "\\"):
            in_math = not in_math
        if char == "|" and not in_math:
            return cell
        cell += char
    return cell


def defined_symbols(notebook):
    """The symbols in the first column of the Markdown tables of the notation page."""
    defined = set()
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        for line in cell.source.splitlines():
            if line.lstrip().startswith("|") and not re.fullmatch(r"[\s|:-]+", line):
                for math in math_in_markdown(_first_column(line)):
                    defined.update(symbols_in(math))
    return defined


def is_defined(symbol, defined):
    """Whether the notation page defines symbol, with the entry and adjoint conventions of the module docstring."""
    if symbol in defined:
        return True
    adjoint = re.fullmatch(r"\\bar\{(.+)\}", symbol)
    if adjoint and r"\bar{v}" in defined and is_defined(adjoint.group(1), defined):
        return True
    # an entry of the bold vector or matrix of the same name: x of \mathbf{x}, \hat{m} of \hat{\mathbf{m}}
    entry = re.fullmatch(r"((?:\\[A-Za-z]+\{)*)([A-Za-z]|\\[A-Za-z]+)(\}*)", symbol)
    if entry and not entry.group(1).endswith(("mathbf{", "boldsymbol{", "bm{")):
        before, letter, after = entry.groups()
        return any(f"{before}\\{bold}{{{letter}}}{after}" in defined for bold in ("mathbf", "boldsymbol", "bm"))
    return False


def undefined_symbols(notebook, defined):
    """{symbol: (cell index, the math it occurs in)} for the symbols of notebook's Markdown math not defined."""
    missing = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "markdown":
            continue
        for math in math_in_markdown(cell.source):
            for symbol in symbols_in(math):
                if not is_defined(symbol, defined):
                    missing.setdefault(symbol, (index, math.strip()))
    return missing


@pytest.fixture(scope="module")
def defined():
    return defined_symbols(nbformat.read(NOTATION, as_version=4))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_symbol_is_defined_on_the_notation_page(path, defined):
    missing = undefined_symbols(nbformat.read(path, as_version=4), defined)
    listed = "\n".join(f"  {symbol}   (cell {index}: ${math[:100]}$)"
                       for symbol, (index, math) in sorted(missing.items()))
    assert not missing, (
        f"{path.relative_to(ROOT)} uses {len(missing)} symbol(s) that lectures/00_notation.ipynb does not define "
        f"(add a row for each to the symbol column of its tables):\n{listed}")


# ---------------------------------------------------------------------------------------------------------------------
# The extractor itself


def test_math_is_found_outside_code_only():
    text = "Use `$x$` or ```\n$y$\n``` in code; the math is $\\eta_t$ and\n$$\\mathbf{W}^{[l]} = 1$$ but not \\$5."
    assert math_in_markdown(text) == [r"\eta_t", r"\mathbf{W}^{[l]} = 1"]


def test_symbols_are_letters_with_their_decorations_without_scripts():
    math = (r"\hat{\mathbf{y}}^{(i)} = \sigma\left(\mathbf{W}^{[l]\top} x_j + b_{\text{col}}\right)"
            r" \odot \operatorname{relu}(z)^{2} + \frac{\partial \mathcal{L}}{\partial \boldsymbol{\delta}^{[l]}}"
            r" + e^{-t} \text{ for all } d\mathbf{Z}_{i,:} + \mu_B + \bar{u}_1 + n_\text{in} W_{ij}")
    assert symbols_in(math) == [r"\hat{\mathbf{y}}", r"\sigma", r"\mathbf{W}", "x", "b", "z", r"\mathcal{L}",
                                r"\boldsymbol{\delta}", "e", "t", r"\mathbf{Z}", r"\mu", r"\bar{u}", "n", "W"]
    # an unknown macro is a symbol (\nabla, \hbar); a named function is not; an array's column specification neither
    assert symbols_in(r"\mathbf{Wx} + \nabla_{\boldsymbol{\theta}} \hbar \mathrm{Var}(X)"
                      r" \begin{array}{cc} a \end{array} \operatorname*{argmax}_k") == [
        r"\mathbf{W}", r"\mathbf{x}", r"\nabla", r"\boldsymbol{\theta}", r"\hbar", "X", "a"]


def test_the_check_fails_on_an_undefined_symbol():
    page = nbformat.v4.new_notebook(cells=[nbformat.v4.new_markdown_cell(
        "| symbol | meaning |\n| --- | --- |\n| $\\mathbf{x}$ | input |\n| $\\eta$, $|a|$ | learning rate |\n"
        "| $\\bar{v}$ | adjoint |\n| $\\hat{\\mathbf{m}}$ | corrected |\n\n"
        "Text $\\xi$ outside a table defines nothing.")])
    defined = defined_symbols(page)
    assert defined == {r"\mathbf{x}", r"\eta", "a", r"\bar{v}", r"\hat{\mathbf{m}}"}
    assert is_defined(r"\hat{m}", defined) and is_defined("x", defined) and is_defined(r"\bar{x}", defined)
    assert not any(is_defined(symbol, defined) for symbol in [r"\mathbf{a}", r"\tilde{m}", "m", r"\bar{z}"])
    lecture = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("x = 1  # $\\zeta$ in code is not math"),
        nbformat.v4.new_markdown_cell("Step $\\mathbf{x} \\leftarrow \\mathbf{x} - \\eta\\, d\\mathbf{x}$ on $x_j$."),
        nbformat.v4.new_markdown_cell("With momentum $\\boldsymbol{\\xi}$ and $\\bar{x} + \\bar{w}$:\n\n"
                                      "$$\\mathbf{x} \\leftarrow \\mathbf{x} + \\boldsymbol{\\xi} + \\nabla$$")])
    assert undefined_symbols(lecture, defined) == {
        r"\boldsymbol{\xi}": (2, r"\boldsymbol{\xi}"), r"\bar{w}": (2, r"\bar{x} + \bar{w}"),
        r"\nabla": (2, r"\mathbf{x} \leftarrow \mathbf{x} + \boldsymbol{\xi} + \nabla")}


def test_the_notation_page_defines_the_core_symbols(defined):
    for symbol in [r"\mathbf{W}", r"\mathbf{Z}", r"\mathbf{A}", r"\boldsymbol{\delta}", r"\mathcal{L}", r"\eta",
                   r"\hat{y}", "N", "D", "L"]:
        assert symbol in defined, symbol
