"""A static scan of the code a student wrote: what a solution to these exercises never needs.

``scan_notebook(nb, locked_sources, off_limits)`` reads every code cell that nbgrader will run as the student wrote
it (solution cells, cells the student added, earlier copies of a locked cell) and returns
``Hit``s, each with the cell, the line and what it does:

* imports or uses of the course's reference implementation of what the assignment asks for (``off_limits``, declared
  per assignment in the source notebook's metadata ``nn_course.off_limits``: dotted names of functions, classes or
  whole modules);
* IPython's machinery (``get_ipython``, magics and shell escapes, input transformers, events, custom exception
  handlers), tracing and profiling hooks, frame and code-object inspection, changes to ``builtins``,
  ``sys.modules`` or the import system, ``ctypes``, processes, threads, signals and sockets;
* ``exec``/``eval``/``compile``/``__import__`` and other dynamic attribute access, which could hide any of the above;
* assignments to attributes of imported modules, classes and functions (monkeypatching NumPy or the checks), and
  rebinding a name that the instructor's cells define or import (``np``, ``checks``, a given helper);
* file access outside the working folder (absolute paths, ``..``, names of the course's folders) or to a computed
  path.

A hit asks for the instructor's review; it changes no score. The scan reads code and never runs it.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass

__all__ = ["Hit", "scan_source", "scan_notebook"]

# module (or prefix) -> why importing it is suspicious in an exercise solution
MODULES = {
    "ctypes": "calls C code directly (ctypes)", "cffi": "calls C code directly (cffi)",
    "gc": "inspects the interpreter's objects (gc)", "inspect": "inspects frames and code (inspect)",
    "importlib": "drives the import system (importlib)", "builtins": "changes Python's builtins",
    "IPython": "drives IPython itself", "ipykernel": "drives the kernel itself", "jupyter_client": "drives kernels",
    "zmq": "opens kernel sockets", "traitlets": "drives IPython's configuration",
    "subprocess": "starts processes", "multiprocessing": "starts processes", "pty": "starts processes",
    "signal": "handles signals", "threading": "starts threads", "_thread": "starts threads",
    "concurrent": "starts threads or processes", "asyncio": "runs background tasks",
    "socket": "opens network sockets", "urllib": "uses the network", "http": "uses the network",
    "requests": "uses the network", "shutil": "copies or deletes files", "tempfile": "creates files",
    "resource": "changes process limits", "atexit": "runs code at exit", "sys": None, "os": None,
    "pickle": "unpickles (runs) arbitrary objects", "marshal": "loads code objects", "code": "runs code",
    "codeop": "compiles code", "types": "builds functions and code objects", "dis": "inspects bytecode",
    "faulthandler": "installs crash hooks", "pdb": "runs a debugger", "bdb": "runs a debugger",
    "trace": "traces execution", "sysconfig": None, "site": "changes the import path",
    "pathlib": None, "io": None, "glob": "lists files", "fnmatch": None,
    "IPython.display": None, "IPython.display.display": None,  # showing things is fine
}
SYS_ATTRS = {
    "settrace": "installs a trace function", "setprofile": "installs a profile function",
    "_getframe": "inspects the caller's frame", "modules": "changes the loaded modules (sys.modules)",
    "meta_path": "changes the import system", "path_hooks": "changes the import system",
    "path": "changes where modules are imported from (sys.path)", "displayhook": "replaces the display hook",
    "excepthook": "replaces the exception hook", "addaudithook": "installs an audit hook",
    "exit": "exits the interpreter", "setrecursionlimit": None, "stdout": None, "stderr": None,
    "monitoring": "installs a monitoring hook", "_current_frames": "inspects frames",
}
OS_ATTRS = {
    "system", "popen", "fork", "forkpty", "kill", "killpg", "setsid", "setpgid", "_exit", "abort", "chdir", "chroot",
    "remove", "unlink", "rmdir", "removedirs", "rename", "renames", "replace", "symlink", "link", "chmod", "chown",
    "mkdir", "makedirs", "open", "write", "truncate", "listdir", "scandir", "walk", "environ", "putenv", "unsetenv",
    "getcwd", "getppid", "spawnl", "spawnv", "posix_spawn", "startfile", "register_at_fork", "dup2", "execv",
}
DYNAMIC = {
    "exec": "runs code built at run time (exec)", "eval": "evaluates code built at run time (eval)",
    "compile": "compiles code at run time", "__import__": "imports modules dynamically (__import__)",
    "globals": "reads or changes the namespace dynamically (globals)", "locals": "reads the namespace (locals)",
    "vars": "reads or changes an object's namespace (vars)", "setattr": "sets attributes dynamically (setattr)",
    "delattr": "deletes attributes dynamically (delattr)", "get_ipython": "drives IPython (get_ipython)",
    "breakpoint": "starts a debugger", "memoryview": None, "__builtins__": "changes Python's builtins",
}
DUNDERS = {
    "__dict__", "__globals__", "__code__", "__closure__", "__defaults__", "__kwdefaults__", "__subclasses__",
    "__builtins__", "__class__", "__bases__", "__mro__", "__func__", "__self__", "__getattribute__", "__setattr__",
    "__import__", "__loader__", "__spec__", "__reduce__", "__reduce_ex__", "__wrapped__",
    "f_back", "f_globals", "f_locals", "f_builtins", "f_code", "gi_frame", "cr_frame", "tb_frame", "tb_next",
    "co_code", "co_consts", "func_globals",
}
PATH_WORDS = ("gradebook", "nbgrader", "source", "release", "submitted", "autograded", "feedback", "exchange",
              "course_utils", "/proc", "/home", "/root", "/tmp", "/etc", "/work", "~")
FILE_FUNCTIONS = {"open", "Path", "PurePath", "load", "loadtxt", "genfromtxt", "save", "savez", "savetxt",
                  "fromfile", "tofile", "read_text", "write_text", "read_bytes", "write_bytes", "mmap"}


@dataclass(frozen=True)
class Hit:
    """One suspicious line: ``line`` (1-based, in the cell), ``code`` (that line) and ``what`` (plain words)."""

    line: int
    code: str
    what: str


def _dotted(node) -> str | None:
    parts = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
        return ".".join(reversed(parts))
    return None


def _is_off_limits(full: str, off_limits) -> str | None:
    for name in off_limits:
        if full == name or full.startswith(name + "."):
            return name
    return None


class _Scanner(ast.NodeVisitor):
    def __init__(self, aliases, protected, off_limits, own_names):
        self.aliases = dict(aliases)  # local name -> dotted name of what was imported
        self.protected = protected  # names the instructor's cells define or import
        self.off_limits = off_limits
        self.own_names = own_names  # names the student's cells define
        self.hits: list[tuple[int, str]] = []

    def hit(self, node, what):
        self.hits.append((node.lineno, what))

    def _check_module(self, node, module):
        top = module.split(".")[0]
        why = MODULES[module] if module in MODULES else MODULES.get(top)
        if why:
            self.hit(node, why)

    def _check_off_limits(self, node, full, verb):
        """A hit when ``full`` (a dotted name) is, or is inside, one of the assignment's off-limits names."""
        found = _is_off_limits(full, self.off_limits)
        if found:
            self.hit(node, f"{verb} {found}, the course's reference implementation of what you write here")

    def _check_module_attribute(self, node, module, attr):
        """A hit for ``sys.<attr>`` or ``os.<attr>`` (``module`` may be dotted: only its top package counts)."""
        top = module.split(".")[0]
        if top == "sys" and SYS_ATTRS.get(attr):
            self.hit(node, SYS_ATTRS[attr])
        elif top == "os" and attr in OS_ATTRS:
            self.hit(node, f"uses os.{attr} (files, processes or the environment)")

    def visit_Import(self, node):
        for al in node.names:
            self._check_module(node, al.name)
            local, target = _import_binding(al)
            self.aliases[local] = target
            self._check_off_limits(node, al.name, "imports")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        module = ("." * node.level) + (node.module or "")
        if node.level:
            self.hit(node, "imports from a relative package (a file next to the notebook)")
        self._check_module(node, module)
        for al in node.names:
            full = f"{module}.{al.name}"
            if al.name == "*":
                if any(name.startswith(module + ".") or name == module for name in self.off_limits):
                    self.hit(node, f"imports everything from {module}, which holds the reference implementation")
                continue
            self._check_module_attribute(node, module, al.name)
            self._check_off_limits(node, full, "imports")
            self.aliases[al.asname or al.name] = full
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in DUNDERS:
            self.hit(node, f"uses {node.attr} (inspects or changes functions, classes or frames)")
        dotted = _dotted(node)
        if dotted:
            head, _, rest = dotted.partition(".")
            full = self.aliases.get(head, head) + ("." + rest if rest else "")
            top = full.split(".")
            if len(top) > 1:
                self._check_module_attribute(node, top[0], top[1])
            if head in self.aliases:
                self._check_off_limits(node, full, "uses")
        if isinstance(node.ctx, (ast.Store, ast.Del)):
            base = _dotted(node.value)
            if base and base.split(".")[0] in set(self.aliases) | set(self.protected) | {"np", "numpy"}:
                self.hit(node, f"changes {base}.{node.attr}, which belongs to an imported module or a given object")
        self.generic_visit(node)

    def visit_Name(self, node):
        if node.id in DYNAMIC and DYNAMIC[node.id]:
            self.hit(node, DYNAMIC[node.id])
        if node.id.startswith("__nn_course"):
            self.hit(node, "uses the grader's integrity check (__nn_course_guard)")
        if isinstance(node.ctx, ast.Load) and node.id not in self.own_names and node.id not in self.aliases:
            for name in self.off_limits:
                if name.rsplit(".", 1)[-1] == node.id and node.id in self.protected:
                    self.hit(node, f"uses {name}, the course's reference implementation of what you write here")
        self.generic_visit(node)

    def _rebinds(self, node, names):
        for name in names:
            if name in self.protected:
                self.hit(node, f"rebinds {name!r}, which the assignment's own cells define or import")

    def visit_Assign(self, node):
        self._rebinds(node, [name for t in node.targets for name in _target_names(t)])
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        if isinstance(node.target, ast.Name):
            self._rebinds(node, [node.target.id])
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self._rebinds(node, [node.name])
        self.generic_visit(node)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_ClassDef(self, node):
        self._rebinds(node, [node.name])
        self.generic_visit(node)

    def visit_Global(self, node):
        self.hit(node, "declares global names (changes the notebook's namespace from inside a function)")

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else None
        if name in ("getattr", "hasattr") and len(node.args) >= 2 and not isinstance(node.args[1], ast.Constant):
            self.hit(node, "reads attributes by computed names (getattr)")
        if name in FILE_FUNCTIONS and node.args:
            arg = node.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                text = arg.value
                if text.startswith("/") or ".." in text or any(w in text for w in PATH_WORDS):
                    self.hit(node, f"accesses the file {text!r}, outside its working folder")
            elif isinstance(arg, (ast.JoinedStr, ast.BinOp, ast.Call, ast.Name, ast.Attribute)) and name in (
                    "open", "Path", "PurePath"):
                self.hit(node, "opens a file whose path is computed at run time")
        self.generic_visit(node)


def _target_names(target) -> list:
    """Names bound by an assignment target (``a``, ``a, (b, *c)``), not those inside ``x[i]`` or ``x.y``."""
    if isinstance(target, ast.Name):
        return [target.id]
    if isinstance(target, (ast.Tuple, ast.List)):
        return [n for elt in target.elts for n in _target_names(elt)]
    if isinstance(target, ast.Starred):
        return _target_names(target.value)
    return []


def _defined_names(tree) -> set:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names |= {al.asname or al.name.split(".")[0] for al in node.names}
    return names


def _import_binding(alias) -> tuple[str, str]:
    """``(local name, dotted name it refers to)`` of one name of an ``import`` statement: ``import a.b`` binds ``a``
    to ``a``, ``import a.b as c`` binds ``c`` to ``a.b``."""
    if alias.asname:
        return alias.asname, alias.name
    top = alias.name.split(".")[0]
    return top, top


def _imports(tree) -> dict:
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            aliases.update(_import_binding(al) for al in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            for al in node.names:
                if al.name != "*":
                    aliases[al.asname or al.name] = f"{node.module}.{al.name}"
    return aliases


def _parse(source: str):
    """Parse a cell as IPython runs it: magics and ``!shell`` lines become ``get_ipython()`` calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        python = TransformerManager().transform_cell(source)
    except Exception:  # IPython cannot transform it: the kernel cannot run it either
        python = source
    try:
        return ast.parse(python), python.strip() != source.strip()
    except SyntaxError:
        return None, False


def scan_source(source: str, *, aliases=None, protected=(), off_limits=(), own_names=()) -> list[Hit]:
    """Scan one cell's source. aliases: imports of earlier cells; protected: names the instructor's cells bind."""
    tree, magics = _parse(source)
    if tree is None:
        return []
    scanner = _Scanner(aliases or {}, set(protected), tuple(off_limits), set(own_names) | _defined_names(tree))
    scanner.visit(tree)
    lines = source.split("\n")
    hits, seen = [], set()
    if magics:
        for i, text in enumerate(lines, 1):
            if text.lstrip().startswith(("%", "!")) or "get_ipython" in text:
                hits.append(Hit(i, text.strip(), "runs IPython magics or shell commands"))
                break
    for lineno, what in sorted(scanner.hits):
        if (lineno, what) in seen or (magics and what == DYNAMIC["get_ipython"]):
            continue
        seen.add((lineno, what))
        code = lines[lineno - 1].strip() if not magics and 0 < lineno <= len(lines) else ""
        hits.append(Hit(lineno, code, what))
    return hits


def scan_notebook(nb, locked_sources: dict, off_limits=()) -> list[tuple[str, Hit]]:
    """Scan the student's code cells of ``nb`` (an nbformat notebook).

    locked_sources: {grade_id: source} of the instructor's locked cells, from the gradebook (hidden tests included).
    nbgrader replaces the source of the last cell carrying each locked grade_id with the gradebook's before it runs
    anything, so that cell is not scanned; every other code cell (solutions, added cells, earlier copies of a
    locked cell, which run as they are) is. Returns [(cell label, Hit), ...] in cell order.
    """
    last = {}
    for index, cell in enumerate(nb.cells):
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in locked_sources:
            last[grade_id] = index
    student = []
    for index, cell in enumerate(nb.cells):
        if cell.get("cell_type") != "code" or not isinstance(cell.get("source"), str):
            continue
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id in locked_sources and last[grade_id] == index:
            continue
        student.append((f"'{grade_id}'" if grade_id else f"#{index + 1}", cell.source))
    aliases, protected = {}, set()
    for source in locked_sources.values():  # what the instructor's cells import, and the functions they define
        tree, _ = _parse(source)
        if tree is not None:
            aliases.update(_imports(tree))
            protected |= set(_imports(tree))
            protected |= {n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    own = set()
    for _, source in student:
        tree, _ = _parse(source)
        if tree is not None:
            own |= {n.name for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.ClassDef))}
    out = []
    for label, source in student:
        for hit in scan_source(source, aliases=aliases, protected=protected, off_limits=off_limits, own_names=own):
            out.append((label, hit))
    return out
