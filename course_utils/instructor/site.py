"""The course website: a static HTML site built with Sphinx, myst-nb and the Sphinx Book Theme.

    nn-course site            # full build into _build/site/ (every lecture executed in full, cached)
    nn-course site --fast     # NN_COURSE_FAST=1 (the test suite's reduced workload) into _build/fast/site/

What goes in: the landing page (``site/index.md``, which includes the student part of ``README.md``), every lecture
``lectures/*.ipynb`` executed with its outputs (widgets leave a static PNG frame, see
:class:`course_utils.widgets.WidgetWithStaticFrame`), the assignments exactly as students receive them
(``assignments/release/<name>/<name>.ipynb``, unexecuted, with a download link each) and the API reference of
``course_utils`` from its docstrings. Sources, solutions and instructor data never go in.

How: :func:`build_site` lays the sources out in a staging folder next to the output (``<out>.work/source/``), then
runs ``python -m sphinx`` with warnings as errors (a broken cross-reference, a missing image, a cell error or a
lecture writing to stderr fails the build). Executed notebooks are cached by jupyter-cache in
``<out>.work/jupyter_cache``: a rebuild re-executes only the lectures whose code changed. The cache is keyed on the
notebooks' code alone, so a change to ``course_utils`` (or to the fast/full mode) empties it, and each output folder
has its own (the fast and the full site never mix). A change to ``site/conf.py`` or its templates, which Sphinx
does not notice by itself, re-renders every page (from the cache). The built pages load nothing from the network: MathJax is copied
from the ``jupyter-server-mathjax`` package and myst-nb's widget JavaScript (a CDN) is turned off.
"""
import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from .course import CourseError, course_root

#: The Python modules the site needs, with the name of their PyPI package (all in the ``site`` extra).
SITE_PACKAGES = {
    "sphinx": "sphinx",
    "myst_nb": "myst-nb",
    "sphinx_book_theme": "sphinx-book-theme",
    "jupyter_cache": "jupyter-cache",
    "jupyter_server_mathjax": "jupyter-server-mathjax",
}
INSTALL_HINT = 'pip install -e ".[site]"  (or ".[dev]", which includes it)'
#: Folder of the site's own pages and Sphinx configuration, relative to the course root.
SITE_SOURCE = "site"
#: Marks the place in ``site/assignments.md`` where the list of assignments is appended.
_ASSIGNMENTS_MARK = "<!-- nn-course site appends the list of assignments here"


class SiteBuildError(CourseError):
    """Sphinx reported warnings or errors (treated as errors): the message lists them and names the full log."""


@dataclass
class SiteBuild:
    """What :func:`build_site` did: ``out_dir`` (open ``index.html`` there), ``seconds``, the notebooks it
    ``executed`` (the others came from the cache or are not executed), ``log`` (Sphinx's full output)."""

    out_dir: Path
    seconds: float
    executed: list = field(default_factory=list)
    log: Path = None

    def __str__(self):
        ran = ", ".join(self.executed) if self.executed else "none (all from the cache)"
        return (f"site written to {self.out_dir} in {self.seconds:.0f} s; notebooks executed: {ran}\n"
                f"open {self.out_dir / 'index.html'} or run: python -m http.server -d {self.out_dir}")


def missing_site_packages():
    """PyPI names of the site's packages that cannot be imported here (empty when the site can be built)."""
    import importlib.util

    return [pypi for module, pypi in SITE_PACKAGES.items() if importlib.util.find_spec(module) is None]


def check_site_packages():
    """Raise ``CourseError`` naming the pip extra to install when a site package is missing."""
    missing = missing_site_packages()
    if missing:
        raise CourseError(f"the course website needs {', '.join(missing)}, which are not installed; "
                          f"install the site extra: {INSTALL_HINT}")


def default_out_dir(course_dir=".", fast=False):
    """``_build/site`` (full) or ``_build/fast/site`` (``fast``) under the course root.

    myst-nb keeps the images of executed notebooks in ``jupyter_execute/`` beside the output folder, so the two
    builds live in different parents.
    """
    build = course_root(course_dir) / "_build"
    return build / "fast" / "site" if fast else build / "site"


def work_dir(out_dir):
    """The folder beside ``out_dir`` that holds the staged sources, Sphinx's doctrees and the notebook cache."""
    out_dir = Path(out_dir)
    return out_dir.with_name(out_dir.name + ".work")


# ----------------------------------------------------------------------------------------------------------------------
# staging
# ----------------------------------------------------------------------------------------------------------------------
def _sync_file(source, target, text=None):
    """Copy ``source`` (or write ``text``) to ``target`` only if the content differs, keeping the source's mtime."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        if not target.is_file() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
        return
    if target.is_file() and target.read_bytes() == source.read_bytes():
        return
    shutil.copy2(source, target)


ANSWER_OPEN = '<details class="answer">\n<summary>Answer</summary>\n'
ANSWER_CLOSE = "</details>\n"


def collapse_answers(text):
    """A lecture notebook (JSON text) whose worked answers open collapsed on the website, as they do in JupyterLab.

    JupyterLab collapses the cells tagged ``answer`` through their ``jupyter.source_hidden`` metadata, which Sphinx
    ignores; here each run of consecutive answer cells is wrapped in an HTML ``<details>`` element (two Markdown
    cells with deterministic ids), so the page shows an "Answer" toggle under each exercise. Code cells are not
    touched, so the notebook cache still matches them. Returns the new JSON text.
    """
    import nbformat

    nb = nbformat.reads(text, as_version=4)
    cells, block = [], 0
    for cell in nb.cells:
        is_answer = "answer" in cell.get("metadata", {}).get("tags", [])
        if is_answer and not _in_answer_block(cells):
            block += 1
            cells.append(nbformat.v4.new_markdown_cell(ANSWER_OPEN, id=f"answer-open-{block}"))
        elif not is_answer and _in_answer_block(cells):
            cells.append(nbformat.v4.new_markdown_cell(ANSWER_CLOSE, id=f"answer-close-{block}"))
        cells.append(cell)
    if _in_answer_block(cells):
        cells.append(nbformat.v4.new_markdown_cell(ANSWER_CLOSE, id=f"answer-close-{block}"))
    nb.cells = cells
    return nbformat.writes(nb)


def _in_answer_block(cells):
    """Whether the last cell of ``cells`` is inside an open answer block."""
    if not cells:
        return False
    last = cells[-1]
    return last.get("id", "").startswith("answer-open-") or "answer" in last.get("metadata", {}).get("tags", [])


def _assignment_notebooks(root):
    """The student release: ``assignments/release/<name>/*.ipynb``, sorted (never the sources or solutions)."""
    from .course import course_path

    release = course_path("release", root)
    return sorted(p for p in release.glob("*/*.ipynb") if ".ipynb_checkpoints" not in p.parts)


def _notebook_title(path):
    """The first Markdown heading of a notebook (without the #), or its file name."""
    import nbformat

    for cell in nbformat.read(path, as_version=4).cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#+\s+(.+?)\s*$", cell.source, re.M)
            if match:
                return match.group(1)
    return path.stem


def _natural(text):
    """Sort key that puts 'Assignment 2' before 'Assignment 10'."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", text)]


def _assignments_page(text, notebooks, root):
    """``site/assignments.md`` with, for each released notebook (in the order of their titles, 'Assignment 1: ...'
    first), a link to its page and a download link, plus the hidden toctree that puts them in the navigation."""
    if _ASSIGNMENTS_MARK not in text:
        raise CourseError(f"{SITE_SOURCE}/assignments.md lost its line '{_ASSIGNMENTS_MARK} ...'; put it back where "
                          "the list of assignments belongs")
    rows = ["| assignment | notebook |", "| --- | --- |"]
    entries = []
    titled = sorted(((_notebook_title(nb), nb) for nb in notebooks), key=lambda pair: _natural(pair[0]))
    for title, nb in titled:
        rel = nb.relative_to(root).as_posix()
        title = title.replace("|", "\\|").replace("[", "\\[").replace("]", "\\]")
        rows.append(f"| [{title}]({rel}) | {{download}}`{nb.name} <{rel}>` |")
        entries.append(rel[: -len(".ipynb")])
    toctree = ["```{toctree}", ":hidden:", ""] + entries + ["```"]
    return text.rstrip("\n") + "\n\n" + "\n".join(rows) + "\n\n" + "\n".join(toctree) + "\n"


def stage_sources(course_dir, source_dir):
    """Lay out what Sphinx reads in ``source_dir``: the site's pages, README.md, the lectures and the release.

    Files are copied only when their content changed (and keep their modification time), so Sphinx and the notebook
    cache see an unchanged course as unchanged; files that no longer exist in the course are removed.
    Returns the list of staged paths, relative to ``source_dir``.
    """
    root = course_root(course_dir)
    site = root / SITE_SOURCE
    if not (site / "conf.py").is_file():
        raise CourseError(f"{site} has no conf.py: the course website's sources are missing from this course")
    source_dir = Path(source_dir)
    wanted = {}
    for path in sorted(site.rglob("*")):
        rel = path.relative_to(site)
        if path.is_file() and rel.parts[0] not in ("_static", "_templates", "__pycache__") and rel.name != "conf.py":
            wanted[rel] = path
    wanted[Path("README.md")] = root / "README.md"
    for path in sorted((root / "lectures").glob("*.ipynb")):
        wanted[path.relative_to(root)] = path
    notebooks = _assignment_notebooks(root)
    for path in notebooks:
        wanted[path.relative_to(root)] = path
    for rel, path in wanted.items():
        text = None
        if rel == Path("assignments.md"):
            text = _assignments_page(path.read_text(encoding="utf-8"), notebooks, root)
        elif rel.parts[0] == "lectures":
            text = collapse_answers(path.read_text(encoding="utf-8"))
        _sync_file(path, source_dir / rel, text)
    generated = {"api"}  # autosummary writes api/*.rst here
    for path in sorted(source_dir.rglob("*"), reverse=True):
        rel = path.relative_to(source_dir)
        if rel.parts[0] in generated:
            continue
        if path.is_file() and rel not in wanted:
            path.unlink()
        elif path.is_dir() and not any(path.iterdir()):
            path.rmdir()
    return sorted(wanted)


def _digest(folder, paths, prefix=""):
    digest = hashlib.sha256(prefix.encode())
    for path in paths:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _execution_fingerprint(root, fast):
    """What executed outputs depend on besides the notebooks' code (which jupyter-cache checks itself): the
    course_utils sources (not the instructor's tools) and the mode."""
    package = root / "course_utils"
    paths = [p for p in sorted(package.rglob("*.py"))
             if p.relative_to(package).parts[0] != "instructor" and "__pycache__" not in p.parts]
    return _digest(package, paths, f"fast={bool(fast)}\n")


def _configuration_fingerprint(root):
    """What every page depends on and Sphinx does not track: conf.py's code (e.g. its docstring hook) and the
    templates."""
    site = root / SITE_SOURCE
    paths = [site / "conf.py"] + sorted(p for p in (site / "_templates").rglob("*") if p.is_file())
    return _digest(site, [p for p in paths if p.is_file()])


# ----------------------------------------------------------------------------------------------------------------------
# build
# ----------------------------------------------------------------------------------------------------------------------
def _build_environment(root, fast):
    env = dict(os.environ)
    env["NN_COURSE_FAST"] = "1" if fast else "0"
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    env.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"  # ipykernel's debugger note on stderr at kernel start
    env["PYTHONUNBUFFERED"] = "1"  # Sphinx's progress arrives line by line
    env.pop("MPLBACKEND", None)  # kernels keep the inline backend: figures must be outputs
    # The kernels and autodoc import this course's course_utils, whatever else is installed.
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    return env


def build_site(course_dir=".", out_dir=None, fast=False, clean=False, echo=False):
    """Build the course website into ``out_dir`` and return a :class:`SiteBuild`.

    course_dir: the course root; out_dir: the output folder (default ``_build/site``, or ``_build/fast/site`` when
    ``fast``; executed notebooks' images go to ``jupyter_execute/`` beside it); fast: run the lectures with
    ``NN_COURSE_FAST=1``; clean: start from nothing (staged sources, doctrees and the notebook cache are removed);
    echo: print Sphinx's output as it comes (the command line does).
    Raises ``CourseError`` when a site package is missing and :class:`SiteBuildError` when Sphinx reports any warning
    or error (a broken reference, a missing image, a cell that fails or writes to stderr).
    """
    check_site_packages()
    root = course_root(course_dir)
    out_dir = Path(out_dir).resolve() if out_dir is not None else default_out_dir(root, fast)
    work = work_dir(out_dir)
    source, doctrees, cache = work / "source", work / "doctrees", work / "jupyter_cache"
    if clean:
        shutil.rmtree(work, ignore_errors=True)
    stamps = {work / "execution.fingerprint": (_execution_fingerprint(root, fast), (doctrees, cache, out_dir)),
              work / "configuration.fingerprint": (_configuration_fingerprint(root), (doctrees, out_dir))}
    for stamp, (fingerprint, outdated) in stamps.items():
        if not stamp.is_file() or stamp.read_text() != fingerprint:
            for folder in outdated:  # a new course_utils re-executes every lecture; a new conf.py re-renders all
                shutil.rmtree(folder, ignore_errors=True)
    work.mkdir(parents=True, exist_ok=True)
    stage_sources(root, source)
    for stamp, (fingerprint, _) in stamps.items():
        stamp.write_text(fingerprint)

    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-c", str(root / SITE_SOURCE),
               "-d", str(doctrees), "-D", f"nb_execution_cache_path={cache}", str(source), str(out_dir)]
    log_path = work / "sphinx.log"
    start = time.perf_counter()
    problems, executed = [], []
    with open(log_path, "w", encoding="utf-8") as log, subprocess.Popen(
            command, cwd=root, env=_build_environment(root, fast), stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, encoding="utf-8", errors="replace") as process:
        try:
            for line in process.stdout:
                log.write(line)
                if echo:
                    print(line, end="", flush=True)
                if re.search(r"\b(WARNING|ERROR|CRITICAL)\b|Traceback|Exception occurred", line) and not (
                        line.startswith("[IPKernelApp]")):  # a kernel's own log line, not Sphinx's
                    problems.append(line.rstrip())
                match = re.match(r"(\S+\.ipynb): Executing notebook", line)
                if match:
                    executed.append(Path(match.group(1)).stem)
            status = process.wait()
        except BaseException:  # interrupted (Ctrl-C, a test timeout): stop Sphinx and the kernel it runs
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
            raise
    seconds = time.perf_counter() - start
    if status != 0:
        shown = "\n".join(problems[:30]) or "(no warning lines; see the log)"
        raise SiteBuildError(f"the course website did not build (Sphinx exit status {status}); every warning is an "
                             f"error:\n{shown}\nfull log: {log_path}")
    external = external_resources(out_dir)
    if external:
        listed = "\n".join(f"{page}: {url}" for page, url in external[:20])
        raise SiteBuildError(f"built pages load resources from the network, which the site must not need:\n{listed}")
    return SiteBuild(out_dir=out_dir, seconds=seconds, executed=sorted(set(executed)), log=log_path)


# ----------------------------------------------------------------------------------------------------------------------
# checks of a built site (used by build_site and the tests)
# ----------------------------------------------------------------------------------------------------------------------
class _Resources(HTMLParser):
    """Collects what a page loads by itself (scripts, stylesheets, images, frames) and the links it offers."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.loads, self.links = [], []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "img", "iframe", "source", "video", "audio", "embed") and attrs.get("src"):
            self.loads.append(attrs["src"])
        elif tag == "link" and attrs.get("href") and set((attrs.get("rel") or "").split()) & {
                "stylesheet", "preload", "modulepreload", "icon", "manifest"}:
            self.loads.append(attrs["href"])
        elif tag == "object" and attrs.get("data"):
            self.loads.append(attrs["data"])
        elif tag == "a" and attrs.get("href"):
            self.links.append(attrs["href"])


def page_resources(page):
    """``(loads, links)`` of an HTML page: URLs it loads by itself, and the targets of its ``<a>`` links."""
    parser = _Resources()
    parser.feed(Path(page).read_text(encoding="utf-8"))
    return parser.loads, parser.links


def external_resources(out_dir):
    """``(page, url)`` for every resource a built page would fetch from another host (should be empty)."""
    out_dir = Path(out_dir)
    found = []
    for page in sorted(out_dir.rglob("*.html")):
        loads, _ = page_resources(page)
        found += [(page.relative_to(out_dir).as_posix(), url) for url in loads if re.match(r"(https?:)?//", url)]
    return found
