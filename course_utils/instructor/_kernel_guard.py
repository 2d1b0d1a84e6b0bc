"""The integrity check run silently in the student's kernel before the first cell and after every cell.

``GUARD_CODE`` defines ``__nn_course_guard()`` in the kernel, once, before the first cell (a student's cell that
names it is flagged by the static scan); the grader evaluates it as a user expression (with
``silent=True``: no output, no execution count, no history, no ``pre/post_run_cell`` events, so the autograded
notebook is exactly nbgrader's). It returns a JSON string with

* ``tokens``: the identity of every callable attribute of the watched modules (imported by the check itself before
  the first cell, so that their first identity is the installed one) (NumPy's testing and linear-algebra functions,
  every loaded ``course_utils`` module, ``builtins``) and of the IPython and ``sys`` hooks a submission could use to
  change what a test cell does (input and AST transformers, event callbacks, custom exception handlers, trace and
  profile functions, display and exception hooks, import hooks). The grader keeps the first value it sees of each
  one *outside the kernel* and reports every later change (``compare``).
* ``problems``: what is wrong whatever the history: a watched callable (function, method, ``functools.partial``,
  callable object) whose code was not installed but written in the notebook, a ``course_utils`` or NumPy module
  loaded from somewhere else than the installed package, an object in ``sys.modules`` in place of a module.

Code running in the kernel can in principle lie to any check that runs in the same kernel; this one is one layer of
three (the sandbox contains the kernel, the static scan of ``code_scan.py`` flags the means such code needs).
A check that does not answer (it raised, or a transformer swallowed it) is reported as a problem, never as a pass.
"""
from __future__ import annotations

import json

__all__ = ["GUARD_CODE", "GUARD_EXPR", "compare", "parse"]

GUARD_CODE = r'''
def __nn_course_guard():
    import builtins, functools, json, os, sys, threading, types
    from IPython.core.interactiveshell import InteractiveShell

    import course_utils as _cu
    import course_utils.gradcheck, course_utils.exercise_checks  # noqa: F401  the tests' helpers, from the start
    import numpy, numpy.linalg, numpy.random, numpy.testing  # noqa: F401  (NumPy loads some of them lazily)
    roots = [os.path.realpath(p) + os.sep for p in {sys.prefix, sys.base_prefix, sys.exec_prefix}]
    roots.append(os.path.realpath(os.path.dirname(_cu.__file__)) + os.sep)
    cache = {}

    def installed_file(filename):
        # "<frozen site>": the standard library's modules frozen into the interpreter; a relative name
        # ("numpy/random/_generator.pyx"): compiled (Cython) code of an installed extension. Notebook cells are
        # "<ipython-input-...>" or an absolute path in the kernel's temporary folder.
        if filename not in cache:
            cache[filename] = bool(filename) and (filename.startswith("<frozen ") or (
                not filename.startswith("<") and (not os.path.isabs(filename)
                                                  or os.path.realpath(filename).startswith(tuple(roots)))))
        return cache[filename]

    def foreign(obj, depth=0):
        """Where a callable's Python code comes from, when that is not an installed file (None: installed or C)."""
        if depth > 3:
            return None
        if isinstance(obj, functools.partial):
            return foreign(obj.func, depth + 1)
        obj = getattr(obj, "__func__", obj)
        code = getattr(obj, "__code__", None)
        if isinstance(code, types.CodeType):
            return None if installed_file(code.co_filename) else code.co_filename
        if isinstance(obj, type) or isinstance(obj, (types.BuiltinFunctionType, types.ModuleType)):
            return None
        call = getattr(type(obj), "__call__", None)
        if call is not None and not isinstance(call, (types.WrapperDescriptorType, types.MethodWrapperType)):
            return foreign(call, depth + 1)
        return None

    tokens, problems = {}, []

    def token(value):
        return type(value).__name__ + "@" + str(id(value))

    watched = []
    for name, mod in sorted(sys.modules.items()):
        if name in ("numpy", "numpy.testing", "numpy.linalg", "numpy.random") or name == "course_utils" \
                or name.startswith("course_utils."):
            if not isinstance(mod, types.ModuleType):
                problems.append(["module", name, "sys.modules holds a " + type(mod).__name__ + ", not the module"])
                continue
            watched.append((name, mod))
            where = getattr(mod, "__file__", None)
            if where and not installed_file(where):
                problems.append(["module", name, "loaded from " + where + ", not the installed package"])
    watched.append(("builtins", builtins))
    for name, mod in watched:
        for attr, value in list(vars(mod).items()):
            if attr.startswith("__") and attr not in ("__import__", "__build_class__") or not callable(value):
                continue  # data attributes change legitimately (builtins._, module caches)
            key = name + "." + attr
            tokens[key] = token(value)
            if callable(value) and name != "builtins":
                if isinstance(value, type) and value.__module__ == name:
                    for attr2, value2 in list(vars(value).items()):
                        if callable(value2) or isinstance(value2, (staticmethod, classmethod)):
                            where = foreign(value2)
                            if where:
                                problems.append(["replaced", key + "." + attr2, where])
                    continue
                where = foreign(value)
                if where:
                    problems.append(["replaced", key, where])
            elif name == "builtins" and callable(value):
                where = foreign(value)
                if where:
                    problems.append(["replaced", key, where])

    shell = InteractiveShell.instance()
    for attr in ("input_transformers_cleanup", "input_transformers_post", "ast_transformers"):
        tokens["hook:" + attr] = ",".join(token(t) for t in getattr(shell, attr, []))
    for event, callbacks in sorted(shell.events.callbacks.items()):
        tokens["hook:events." + event] = ",".join(token(c) for c in callbacks)
    tokens["hook:custom_exceptions"] = repr(shell.custom_exceptions)
    for attr, value in vars(shell).items():
        if callable(value) and not isinstance(value, type) and foreign(value):
            problems.append(["hook", "the IPython shell's " + attr, foreign(value)])
    for cls in type(shell).__mro__:
        for attr, value in list(vars(cls).items()):
            where = foreign(value) if callable(value) else None
            if where:
                problems.append(["hook", cls.__name__ + "." + attr, where])
    tokens["hook:sys.gettrace"] = token(sys.gettrace())
    tokens["hook:sys.getprofile"] = token(sys.getprofile())
    tokens["hook:threading.trace"] = token(getattr(threading, "_trace_hook", None))
    tokens["hook:threading.profile"] = token(getattr(threading, "_profile_hook", None))
    for attr in ("displayhook", "excepthook", "meta_path", "path_hooks"):
        value = getattr(sys, attr, None)
        tokens["hook:sys." + attr] = ",".join(token(v) for v in value) if isinstance(value, list) else token(value)
    for t in threading.enumerate():
        where = foreign(getattr(t, "_target", None) or t.run)
        if where:
            problems.append(["thread", t.name, where])
    return json.dumps({"tokens": tokens, "problems": problems})
'''
GUARD_EXPR = "__nn_course_guard()"


def parse(reply_content: dict):
    """The guard's report from an ``execute_reply`` content, or None when the check did not answer."""
    expr = (reply_content.get("user_expressions") or {}).get("guard") or {}
    if reply_content.get("status") != "ok" or expr.get("status") != "ok":
        return None
    try:
        text = expr["data"]["text/plain"]
        import ast

        report = json.loads(ast.literal_eval(text))
        if not isinstance(report, dict) or not isinstance(report.get("tokens"), dict):
            return None
        return report
    except (KeyError, ValueError, SyntaxError, TypeError):
        return None


def compare(baseline: dict, report: dict) -> list[str]:
    """Names whose identity changed since the baseline; names seen for the first time are added to the baseline."""
    changed = []
    for key, value in report["tokens"].items():
        if key not in baseline:
            baseline[key] = value
        elif baseline[key] != value:
            changed.append(key)
    return changed
