"""The course website (nn-course site): every page is there with its figures, nothing loads from the network, the
downloads exist, the API reference documents course_utils, and a broken page fails the build."""
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils.instructor import cli
from course_utils.instructor.site import (SiteBuildError, build_site, external_resources, missing_site_packages,
                                          page_resources)

ROOT = Path(__file__).resolve().parents[1]
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))
ASSIGNMENTS = sorted((ROOT / "assignments" / "release").glob("*/*.ipynb"))
needs_site_packages = pytest.mark.skipif(
    bool(missing_site_packages()),
    reason=f"the course website needs {', '.join(missing_site_packages())}: pip install -e \".[site]\"")


def _html(site, rel):
    page = site.out_dir / rel
    assert page.is_file(), f"{rel} is missing from the site"
    return page.read_text(encoding="utf-8")


def _local_targets(site, rel, urls):
    """The files that the relative ``urls`` of page ``rel`` point at (anchors and queries dropped)."""
    base = (site.out_dir / rel).parent
    return [(url, (base / re.split(r"[#?]", url)[0]).resolve()) for url in urls
            if not re.match(r"[a-z]+:|#|//", url) and re.split(r"[#?]", url)[0]]


# ----------------------------------------------------------------------------------------------------------------------
# the fast site (built once, see tests/conftest.py)
# ----------------------------------------------------------------------------------------------------------------------
def test_there_are_lectures_and_assignments_to_check():
    assert len(LECTURES) >= 7 and len(ASSIGNMENTS) >= 4


@pytest.mark.slow
@needs_site_packages
def test_landing_page_has_the_readme_student_part_and_links_every_page(fast_site):
    html = _html(fast_site, "index.html")
    assert "For students" in html and "Then open the notebooks in reading order" in html
    assert 'id="for-instructors"' not in html and "nn-course autograde" not in html  # the instructor part stays out
    _, links = page_resources(fast_site.out_dir / "index.html")
    for path in LECTURES:
        assert f"lectures/{path.stem}.html" in links, f"the start page does not link lecture {path.name}"
    assert "assignments.html" in links and "api.html" in links


@pytest.mark.slow
@needs_site_packages
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_lecture_page_is_executed_with_its_figures_and_no_errors(fast_site, path):
    rel = f"lectures/{path.stem}.html"
    html = _html(fast_site, rel)
    loads, _ = page_resources(fast_site.out_dir / rel)
    images = [target for url, target in _local_targets(fast_site, rel, loads) if "/_images/" in url or
              url.startswith("../_images/")]
    for url, target in _local_targets(fast_site, rel, loads):
        assert target.is_file(), f"{rel} loads {url}, which is not in the site"
    nb = nbformat.read(path, as_version=4)
    makes_figures = any(k in c.source for c in nb.cells if c.cell_type == "code" for k in ("plt.", "widget", "Playground"))
    if makes_figures:
        assert images, f"{rel} shows no figure"
    n_code = sum(c.cell_type == "code" for c in nb.cells)
    assert html.count('class="cell_output') >= min(n_code, 1), f"{rel} shows no cell outputs: was it executed?"
    assert "Traceback (most recent call last)" not in html and "output traceback" not in html
    assert "output stderr" not in html, f"{rel} shows output written to stderr"


@pytest.mark.slow
@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_worked_answers_open_collapsed_on_the_site(fast_site, path):
    """Each run of cells tagged 'answer' is one closed <details> "Answer" on the page, holding the answer's text."""
    nb = nbformat.read(path, as_version=4)
    blocks, previous = [], False
    for cell in nb.cells:
        is_answer = "answer" in cell.metadata.get("tags", [])
        if is_answer and not previous:
            blocks.append(cell)
        previous = is_answer
    html = _html(fast_site, f"lectures/{path.stem}.html")
    sections = re.findall(r'<details class="answer">(.*?)</details>', html, flags=re.S)
    assert len(sections) == len(blocks), f"{path.name}: {len(blocks)} answers, {len(sections)} collapsed on the page"
    assert '<details class="answer" open' not in html
    for first, section in zip(blocks, sections):
        words = re.findall(r"[A-Za-z]{5,}", first.source.replace("**Answer.**", "").replace("# Answer", ""))[:3]
        for word in words:
            assert word in section, f"{path.name}: the answer starting {first.source[:60]!r} is not inside its toggle"


@pytest.mark.slow
@needs_site_packages
@pytest.mark.parametrize("lecture, widget", [("01_perceptron", "PerceptronExplorer"),
                                             ("02_logistic_regression", "GradientDescentExplorer"),
                                             ("04_xor_mlp_numpy", "Playground")])
def test_widgets_leave_a_static_frame_and_load_no_widget_javascript(fast_site, lecture, widget):
    html = _html(fast_site, f"lectures/{lecture}.html")
    assert f"{widget}: an interactive widget" not in html, f"{lecture} shows the widget's text instead of its PNG"
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert "require.js" not in html and "html-manager" not in html


@pytest.mark.slow
@needs_site_packages
@pytest.mark.parametrize("path", ASSIGNMENTS, ids=lambda p: p.parent.name)
def test_assignment_page_shows_the_release_unexecuted_with_a_download_link(fast_site, path):
    rel = f"assignments/release/{path.parent.name}/{path.stem}.html"
    html = _html(fast_site, rel)
    assert "cell_output" not in html, f"{rel} was executed; students receive it without outputs"
    assert "NotImplementedError" in html
    _, links = page_resources(fast_site.out_dir / "assignments.html")
    downloads = [target for url, target in _local_targets(fast_site, "assignments.html", links)
                 if url.startswith("_downloads/") and target.name == path.name]
    assert len(downloads) == 1, f"assignments.html has no download link for {path.name}"
    assert downloads[0].read_bytes() == path.read_bytes(), "the download is not the released notebook"
    assert f"assignments/release/{path.parent.name}/{path.stem}.html" in links


@pytest.mark.slow
@needs_site_packages
def test_no_page_links_or_loads_a_file_that_is_not_in_the_site(fast_site):
    """Every local link (the theme's .ipynb download buttons included) and every local resource exists."""
    dead = []
    for page in sorted(fast_site.out_dir.rglob("*.html")):
        rel = page.relative_to(fast_site.out_dir).as_posix()
        if rel.startswith("_static/"):  # the theme's template snippets, not pages
            continue
        loads, links = page_resources(page)
        dead += [f"{rel}: {url}" for url, target in _local_targets(fast_site, rel, loads + links) if not target.exists()]
    assert not dead, "\n".join(dead[:20])
    source = fast_site.out_dir / "_sources" / "assignments" / "release" / "perceptron" / "perceptron.ipynb"
    assert source.read_bytes() == (ROOT / "assignments" / "release" / "perceptron" / "perceptron.ipynb").read_bytes()


@pytest.mark.slow
@needs_site_packages
def test_api_reference_documents_course_utils_from_its_docstrings(fast_site):
    html = _html(fast_site, "api/course_utils.layers.html")
    assert 'id="course_utils.layers.affine_forward"' in html and 'id="course_utils.layers.affine_backward"' in html
    assert "(N, D)" in html  # the shapes of the docstring
    assert 'id="course_utils.widgets.WidgetWithStaticFrame"' in _html(fast_site, "api/course_utils.widgets.html")
    assert "api/course_utils.instructor" not in _html(fast_site, "api.html")  # the instructor's tools are not in it


@pytest.mark.slow
@needs_site_packages
def test_site_loads_nothing_from_the_network_and_serves_its_own_mathjax(fast_site):
    assert external_resources(fast_site.out_dir) == []
    loads, _ = page_resources(fast_site.out_dir / "lectures" / "00_notation.html")
    mathjax = [url for url in loads if "MathJax.js" in url]
    assert mathjax, "the notation page does not load MathJax"
    assert (fast_site.out_dir / "_static" / "mathjax" / "MathJax.js").is_file()


# ----------------------------------------------------------------------------------------------------------------------
# a tiny course: the build fails on every kind of broken page, and the cache re-executes only what changed
# ----------------------------------------------------------------------------------------------------------------------
def _notebook(*cells):
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for cell in cells:
        kind, source = cell
        nb.cells.append(nbformat.v4.new_markdown_cell(source) if kind == "md" else nbformat.v4.new_code_cell(source))
    return nb


@pytest.fixture
def tiny_course(tmp_path):
    """A course with the real site configuration, two small lectures and one released assignment."""
    root = tmp_path / "course"
    shutil.copytree(ROOT / "site", root / "site", ignore=shutil.ignore_patterns("*.md", "__pycache__"))
    shutil.copy(ROOT / "site" / "assignments.md", root / "site")
    (root / "site" / "index.md").write_text(
        "```{include} README.md\n```\n\n```{toctree}\n:glob:\n\nlectures/*\nassignments\n```\n")
    (root / "README.md").write_text("# A tiny course\n\nRead [the first lecture](lectures/01_one.ipynb).\n")
    shutil.copy(ROOT / "nbgrader_config.py", root)
    (root / "lectures").mkdir()
    nbformat.write(_notebook(("md", "# One\n\nSee {doc}`02_two`; $x^2$."), ("code", "print(1 + 1)")),
                   root / "lectures" / "01_one.ipynb")
    nbformat.write(_notebook(("md", "# Two"), ("code", "import matplotlib.pyplot as plt\nplt.plot([1, 2])")),
                   root / "lectures" / "02_two.ipynb")
    (root / "assignments" / "release" / "hw").mkdir(parents=True)
    nbformat.write(_notebook(("md", "# Homework"), ("code", "raise NotImplementedError()")),
                   root / "assignments" / "release" / "hw" / "hw.ipynb")
    return root


@pytest.mark.slow
@needs_site_packages
def test_tiny_course_builds_and_a_rebuild_executes_only_the_changed_lecture(tiny_course, tmp_path):
    out = tmp_path / "out" / "site"
    first = build_site(tiny_course, out, fast=True)
    assert first.executed == ["01_one", "02_two"]  # the assignment is never executed
    assert (out / "lectures" / "02_two.html").is_file() and (out / "assignments" / "release" / "hw" / "hw.html").is_file()
    assert build_site(tiny_course, out, fast=True).executed == []
    path = tiny_course / "lectures" / "02_two.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[1].source += "\nplt.plot([2, 1])"
    nbformat.write(nb, path)
    assert build_site(tiny_course, out, fast=True).executed == ["02_two"]
    # A change to conf.py (Sphinx does not notice a new docstring hook by itself) re-renders every page, from the cache.
    page = out / "lectures" / "01_one.html"
    before = page.stat().st_mtime_ns
    with open(tiny_course / "site" / "conf.py", "a") as conf:
        conf.write("\n# a changed configuration\n")
    assert build_site(tiny_course, out, fast=True).executed == []
    assert page.stat().st_mtime_ns > before
    # The full build has a cache of its own: the fast one is not reused for it.
    assert build_site(tiny_course, tmp_path / "full" / "site", fast=False).executed == ["01_one", "02_two"]


def _add_lecture(course, name, *cells):
    nbformat.write(_notebook(("md", f"# {name}"), *cells), course / "lectures" / f"{name}.ipynb")


@pytest.mark.slow
@needs_site_packages
def test_every_broken_page_fails_the_build_and_is_named(tiny_course, tmp_path):
    """Warnings are errors, and --keep-going reports them all in one build (one lecture per kind of breakage)."""
    broken = {
        "03_xref": (("md", "See {doc}`no_such_lecture`."), "no_such_lecture"),
        "04_link": (("md", "See [lecture 9](09_missing.ipynb)."), "09_missing"),
        "05_image": (("md", "![a figure](figures/missing.png)"), "missing.png"),
        "06_stderr": (("code", "import sys\nprint('noise', file=sys.stderr)"), "stderr"),
    }
    for name, (cell, _) in broken.items():
        _add_lecture(tiny_course, name, cell)
    with pytest.raises(SiteBuildError) as error:
        build_site(tiny_course, tmp_path / "out" / "site", fast=True)
    lines = str(error.value).splitlines()
    for name, (_, expected) in broken.items():
        assert any(name in line and expected in line for line in lines), f"{name} is not reported:\n{error.value}"
    assert not any("01_one" in line or "02_two" in line for line in lines[1:-1])


@pytest.mark.slow
@needs_site_packages
def test_a_failing_cell_fails_the_build_with_its_error(tiny_course, tmp_path):
    _add_lecture(tiny_course, "03_fails", ("code", "x = 1\n1 / 0"))
    with pytest.raises(SiteBuildError) as error:
        build_site(tiny_course, tmp_path / "out" / "site", fast=True)
    assert "03_fails" in str(error.value) and "ZeroDivisionError" in str(error.value), str(error.value)


# ----------------------------------------------------------------------------------------------------------------------
# the command
# ----------------------------------------------------------------------------------------------------------------------
def test_site_command_without_the_site_packages_names_the_extra(monkeypatch, capsys):
    import course_utils.instructor.site as site

    monkeypatch.setattr(site, "missing_site_packages", lambda: ["myst-nb", "sphinx-book-theme"])
    assert cli.main(["site", "--course-dir", str(ROOT)]) == 2
    err = capsys.readouterr().err
    assert "myst-nb, sphinx-book-theme" in err and 'pip install -e ".[site]"' in err


def test_site_command_is_documented_in_the_readme_and_contributing():
    readme = (ROOT / "README.md").read_text()
    assert "nn-course site" in readme and "_build/site/index.html" in readme
    assert "`instructor/site.py`" in (ROOT / "CONTRIBUTING.md").read_text()
    assert "/_build/" in (ROOT / ".gitignore").read_text().splitlines()


# ----------------------------------------------------------------------------------------------------------------------
# the fast site in a real browser (Playwright + Debian's Chromium; skipped without them, see tests/browser_support.py)
# ----------------------------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site_url(fast_site):
    """The fast site served over HTTP on 127.0.0.1 (a random free port) for the module's browser tests."""
    import functools
    import http.server
    import threading

    handler = functools.partial(_QuietHandler, directory=str(fast_site.out_dir))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class _QuietHandler(__import__("http.server").server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no access log on stderr
        pass


def _open_and_collect_errors(page, url):
    """Open ``url``; return the console errors and uncaught page errors seen until it and its math have loaded."""
    errors = []
    page.on("console", lambda msg: errors.append(f"console {msg.type}: {msg.text} ({msg.location.get('url')})")
            if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    page.on("requestfailed", lambda req: errors.append(f"request failed: {req.url} ({req.failure})"))
    page.on("response", lambda res: errors.append(f"{res.status} for {res.url}") if res.status >= 400 else None)
    response = page.goto(url, wait_until="load")
    assert response is not None and response.ok, f"{url} answered {response and response.status}"
    # MathJax 2 typesets asynchronously: wait until its queue has run (it is served by the site itself)
    page.wait_for_function(
        "() => window.MathJax && MathJax.Hub && (window.__typeset_done || "
        "(MathJax.Hub.Queue(() => { window.__typeset_done = true; }), false))")
    return errors


@pytest.mark.slow
@needs_site_packages
@pytest.mark.parametrize("lecture", ["01_perceptron", "06_training_deep_networks"])
def test_lecture_page_in_a_browser_renders_math_images_and_links_without_console_errors(
        site_url, page, screenshot, lecture):
    check_page_in_browser(site_url, page, screenshot, lecture)


def check_page_in_browser(site_url, page, screenshot, lecture):
    url = f"{site_url}/lectures/{lecture}.html"
    errors = _open_and_collect_errors(page, url)

    # mathematics: typeset (MathJax output elements), no raw TeX delimiters left in the visible text
    n_typeset = page.locator(".MathJax, .MathJax_Display, .MathJax_SVG, .MathJax_CHTML, mjx-container").count()
    n_sources = page.locator("script[type^='math/tex']").count()
    assert n_sources > 20, f"{lecture}: only {n_sources} formulas found on the page"
    assert n_typeset >= n_sources, f"{lecture}: {n_typeset} of {n_sources} formulas typeset"
    # the prose only: code cells legitimately contain TeX in strings (plot labels)
    text = page.evaluate("""() => { const a = document.querySelector('article').cloneNode(true);
        a.querySelectorAll('pre, code, .cell_input, script, .MathJax_Preview').forEach(e => e.remove());
        return a.innerText; }""")
    for raw in ("$$", "\\(", "\\[", "\\frac", "\\mathbf"):
        assert raw not in text, f"{lecture}: raw TeX {raw!r} left in the page text"

    # images: every <img> loaded and has pixels (figures, diagrams, the widgets' static frames)
    images = page.eval_on_selector_all("article img", "els => els.map(e => [e.src, e.complete, e.naturalWidth])")
    assert len(images) >= 5, f"{lecture}: only {len(images)} images"
    broken = [src for src, complete, width in images if not complete or width == 0]
    assert not broken, f"{lecture}: images that did not load: {broken[:5]}"

    # internal links: every link to another page of the site answers, every anchor exists on its page
    hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
    internal = sorted({h for h in hrefs if h.startswith(site_url)})
    assert len(internal) >= 10, f"{lecture}: only {len(internal)} internal links"
    anchors_by_page = {}
    for href in internal:
        target, _, anchor = href.partition("#")
        answer = page.request.get(target)
        assert answer.ok, f"{lecture}: the link {href} answers {answer.status}"
        if anchor and target.endswith(".html"):
            if target not in anchors_by_page:
                anchors_by_page[target] = set(re.findall(r'id="([^"]+)"', answer.text()))
            assert anchor in anchors_by_page[target], f"{lecture}: the link {href} points at a missing anchor"

    # worked answers: closed until the student opens one
    answers = page.locator("details.answer")
    assert answers.count() >= 3, f"{lecture}: only {answers.count()} collapsed answers"
    assert page.locator("details.answer[open]").count() == 0, f"{lecture}: an answer is open when the page loads"
    first = answers.first
    first.locator("summary").click()
    assert first.evaluate("e => e.open"), f"{lecture}: clicking 'Answer' does not open it"
    first.scroll_into_view_if_needed()
    screenshot(page, f"{lecture}-answer")

    screenshot(page, lecture)
    page.locator("article img").first.scroll_into_view_if_needed()
    screenshot(page, f"{lecture}-figure")
    errors = [e for e in errors if not _mathjax_font_probe(e)]
    assert not errors, f"{lecture}: the browser reported errors:\n" + "\n".join(errors)


def _mathjax_font_probe(message):
    """MathJax 2's HTML-CSS output checks whether its web fonts have loaded by comparing them with a font whose source
    is ``about:blank`` (``MathJax_Blank``); Chromium reports that request as a CORS error. Nothing is missing."""
    return ("font at 'about:blank'" in message or message.startswith("request failed: about:blank")
            or message == "console error: Failed to load resource: net::ERR_FAILED (about:blank)")
