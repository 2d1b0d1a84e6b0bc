"""Sphinx configuration of the course website; build it with ``nn-course site`` (course_utils/instructor/site.py).

The sources Sphinx reads are not this folder but a staging folder that ``nn-course site`` lays out next to the
output (``_build/site.work/source/``): this folder's pages, the README, ``lectures/*.ipynb`` and the student release
``assignments/release/<name>/<name>.ipynb``. ``nn-course site`` passes the execution settings (cache folder, fast
mode) as overrides; the values below are the full build's.
"""
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent

project = "Neural networks, from the perceptron to deep MLPs"
author = "the nn-course authors"
copyright = "the nn-course authors, MIT licence"

extensions = [
    "myst_nb",                   # Markdown pages and executed notebooks
    "sphinx.ext.autodoc",        # the API reference, from the docstrings of course_utils
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",        # math, with a MathJax copy served from the site itself (below)
]

root_doc = "index"
exclude_patterns = ["README.md", "**/.ipynb_checkpoints", "jupyter_execute"]
templates_path = [str(HERE / "_templates")]   # absolute: autosummary looks them up from the sources
html_static_path = [str(HERE / "_static")]

# ---- Notebooks (myst-nb) ---------------------------------------------------------------------------------------------
myst_enable_extensions = ["dollarmath", "amsmath"]
myst_heading_anchors = 3
nb_execution_mode = "cache"               # jupyter-cache: a rebuild re-executes only the notebooks that changed
# nb_execution_cache_path: set by nn-course site (one cache per output folder: full and fast builds never mix)
nb_execution_excludepatterns = ["assignments/release/*/*.ipynb"]  # assignments are shown as students receive them, unexecuted
nb_execution_timeout = 3600               # seconds per cell (full MNIST runs take minutes on a laptop)
nb_execution_raise_on_error = True        # a cell error fails the build ...
nb_execution_show_tb = True               # ... and the log shows its traceback
nb_output_stderr = "warn"                 # stderr in a lecture is a warning, and warnings are errors
nb_merge_streams = True
# A page has no kernel: show the static frame (PNG) every course widget publishes beside its live view, and load no
# widget JavaScript (myst-nb would fetch it from a CDN).
nb_mime_priority_overrides = [("html", "application/vnd.jupyter.widget-view+json", None)]
nb_ipywidgets_js = {}

# ---- API reference ---------------------------------------------------------------------------------------------------
autosummary_generate = True
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}


#: A line that starts an entry of its own: "x: ...", "w, b: ...", "Returns ...", "Raises ...", a list item.
_ENTRY = re.compile(r"([A-Za-z_]\w*(\s*,\s*[A-Za-z_]\w*)*:\s|(Returns?|Raises?|Yields?)\b|[-*] |\d+\. )")


def _plain_text_docstring(app, what, name, obj, options, lines):
    """Read course_utils' docstrings as they are written: plain text, not reStructuredText.

    Their argument lines (``x: (N, D) inputs``, ``Returns ...``) continue on indented lines, which reStructuredText
    would read as block quotes; here each such entry is joined into one line and becomes its own paragraph, while
    wrapped prose stays one paragraph. Literal blocks after ``::`` are kept as they are, and ``|`` outside inline
    code (``|z|``, an absolute value) is not a substitution.
    """
    out, literal_indent = [], None
    for line in lines:
        stripped, indent = line.strip(), len(line) - len(line.lstrip())
        if literal_indent is not None:
            if not stripped or indent > literal_indent:
                out.append(line)
                continue
            literal_indent = None
        if not stripped:
            out.append("")
            continue
        parts = stripped.split("``")
        stripped = "``".join(part if i % 2 else part.replace("|", "\\|") for i, part in enumerate(parts))
        if indent > 0 and out and out[-1].strip() and not re.match(r"[-*] |\d+\. ", stripped):
            out[-1] += " " + stripped  # the continuation of an entry
        elif out and out[-1].strip() and not _ENTRY.match(stripped):
            out.append(" " * indent + stripped)  # wrapped prose: same paragraph
        else:
            if out and out[-1].strip():
                out.append("")
            out.append(" " * indent + stripped)
        if stripped.endswith("::"):
            literal_indent = indent
    lines[:] = out

# ---- Math: MathJax 2.7 from the jupyter-server-mathjax package, copied into _static/mathjax (no CDN) ------------------
mathjax_path = "mathjax/MathJax.js?config=TeX-AMS-MML_HTMLorMML-full"
myst_update_mathjax = False
mathjax2_config = {
    "tex2jax": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processEscapes": True,
                "processClass": "math|output_area", "ignoreClass": "tex2jax_ignore|mathjax_ignore"},
    # the package ships the STIX-Web fonts only (no TeX fonts): use them, never look for local or image fonts
    "HTML-CSS": {"availableFonts": [], "preferredFont": None, "webFont": "STIX-Web", "imageFont": None},
    "menuSettings": {"zoom": "None"},
    "showMathMenu": False,
}


def _copy_mathjax(app, exception):
    """Copy MathJax into the site (it then works from a file:// URL and with no network)."""
    if exception is not None or app.builder.format != "html":
        return
    import shutil
    from pathlib import Path

    import jupyter_server_mathjax

    source = Path(jupyter_server_mathjax.__file__).parent / "static"
    target = Path(app.outdir) / "_static" / "mathjax"
    if not (target / "MathJax.js").is_file():
        shutil.copytree(source, target, dirs_exist_ok=True, ignore=shutil.ignore_patterns("localization"))


def setup(app):
    app.connect("autodoc-process-docstring", _plain_text_docstring)
    app.connect("build-finished", _copy_mathjax)


# ---- Theme -----------------------------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_title = "Neural networks, from the perceptron to deep MLPs"
html_css_files = ["course.css"]
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,          # each page: download the .ipynb source
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
html_favicon = "_static/favicon.svg"    # drawn by hand in SVG (text): a 2-2-1 network
html_context = {"default_mode": "light"}  # the figures are drawn on white; also no "invalid theme mode" error
html_last_updated_fmt = None
html_copy_source = True                   # the download button serves the notebook from _sources/
html_show_sourcelink = False
