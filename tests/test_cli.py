"""The ``nn-course`` command line: every subcommand's and option's help, bad values, conflicting options, a missing
course directory, an unknown assignment, and that every ``--flag`` a message or a help text tells the user to pass
exists.

The subcommands and their options are read from the parser (``build_parser``), never listed here, so a new
subcommand or option is checked as soon as it exists. The tests run no notebook and need no gradebook.
"""
import argparse
import ast
import re
from pathlib import Path

import pytest

from course_utils.instructor import cli
from course_utils.instructor.cli import build_parser, main

PACKAGE = Path(cli.__file__).resolve().parent
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def _subcommands(parser):
    """``{name: subparser}``, one entry per subcommand (an alias is the same subparser under another name)."""
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    found = {}
    for name, subparser in action.choices.items():
        if all(subparser is not known for known in found.values()):
            found[name] = subparser
    return found


PARSER = build_parser()
SUBCOMMANDS = _subcommands(PARSER)


def _options(subparser):
    """Every option string the subparser (and the top-level parser) knows, e.g. ``{"--jobs", "-j", "--help"}``."""
    return {s for action in subparser._actions + PARSER._actions for s in action.option_strings}


def _positionals(subparser, value="perceptron"):
    """A value for each positional argument that must be given (enough for argparse to reach the options)."""
    return [value for a in subparser._actions if not a.option_strings and a.nargs in (None, "+")
            and not isinstance(a, argparse._SubParsersAction)]


def _unknown_flags(text, subparser):
    return sorted(set(FLAG.findall(text)) - _options(subparser))


def _run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _exit(capsys, *argv):
    """Run a command line that argparse rejects or answers itself (--help); returns (exit status, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_the_parser_has_subcommands():
    """The discovery below finds the subcommands (if it found none, every parametrized test would be empty)."""
    assert {"list", "generate", "import", "autograde", "feedback", "export", "site"} <= set(SUBCOMMANDS)


# ---------------------------------------------------------------------------------------------------------------------
# Help


def test_top_level_help_names_every_subcommand(capsys):
    code, out, _ = _exit(capsys, "--help")
    assert code == 0
    assert out.startswith("usage: nn-course")
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{re.escape(name)}\b", out, re.M), f"`nn-course --help` does not list {name}"


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_subcommand_help_explains_every_argument(name, capsys):
    """`nn-course NAME --help` exits 0 and shows every option, each with a help text; positionals too."""
    subparser = SUBCOMMANDS[name]
    code, out, err = _exit(capsys, name, "--help")
    assert code == 0 and not err
    assert out.startswith(f"usage: nn-course {name}")
    for action in subparser._actions:
        label = "/".join(action.option_strings) or action.metavar or action.dest
        assert action.help and action.help.strip(), f"nn-course {name}: {label} has no help text"
        for option in action.option_strings:
            assert re.search(rf"(?<![\w-]){re.escape(option)}\b", out), f"nn-course {name} --help omits {option}"


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_flags_named_in_help_exist(name, capsys):
    """Every --flag a help text mentions ("with --from canvas: ...") is an option of that subcommand."""
    _, out, _ = _exit(capsys, name, "--help")
    assert _unknown_flags(out, SUBCOMMANDS[name]) == [], f"nn-course {name} --help names options it does not have"


def _message_strings():
    """``(module, line, text)`` of every string the instructor package shows the user: arguments of ``print``, of
    exceptions (``...Error(...)``) and of ``.append``/``.extend`` (report problems and notes), and module-level
    constants in capitals (``INSTALL_HINT``); f-strings with their literal parts only."""
    def texts(node):
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                yield sub.lineno, sub.value

    found = []
    for path in sorted(PACKAGE.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if name == "print" or name.endswith("Error") or name in ("append", "extend"):
                    found += [(path.name, line, text) for arg in node.args for line, text in texts(arg)]
            elif isinstance(node, ast.Assign) and node in tree.body:
                if all(isinstance(t, ast.Name) and t.id.isupper() for t in node.targets):
                    found += [(path.name, line, text) for line, text in texts(node.value)]
    return found


def test_flags_named_in_messages_exist():
    """Every --flag that a message of the instructor package tells the user to pass (or drop) is an option of some
    nn-course subcommand: the check that would have caught `--overwrite`, which never existed."""
    messages = _message_strings()
    assert any("--keep-existing" in text for _, _, text in messages), "the scan finds the messages"
    known = {s for sub in SUBCOMMANDS.values() for s in _options(sub)}
    unknown = [(module, line, flag) for module, line, text in messages for flag in FLAG.findall(text)
               if flag not in known]
    assert unknown == [], f"messages name options that no nn-course subcommand has: {unknown}"


def test_roster_help_agrees_with_the_lms_module():
    """The --id-column defaults that the help states are those lms.py applies."""
    from course_utils.instructor.lms import ROSTER_FORMATS

    assert set(cli._ROSTERS) == set(ROSTER_FORMATS)
    for lms, (_, id_column) in cli._ROSTERS.items():
        assert id_column == ROSTER_FORMATS[lms].id_column, lms


# ---------------------------------------------------------------------------------------------------------------------
# Bad values and conflicting options, rejected by argparse before anything runs


def _valued_options():
    """``(subcommand, option, action)`` for every option that takes a checked value (a type or a list of choices)."""
    return [(name, action.option_strings[-1], action) for name, sub in sorted(SUBCOMMANDS.items())
            for action in sub._actions if action.option_strings and (action.type or action.choices)]


@pytest.mark.parametrize("name, option, action", _valued_options(),
                         ids=[f"{n}{o}" for n, o, _ in _valued_options()])
@pytest.mark.parametrize("bad", ["0", "-3", "1.5", "many", ""])
def test_a_bad_value_is_refused_with_what_is_expected(name, option, action, bad, capsys):
    if action.choices is None and action.type is not cli._positive_int:
        pytest.skip(f"{option} takes {action.type.__name__} values: add its bad values to this test")
    if action.choices is not None and bad in action.choices:
        pytest.skip(f"{bad!r} is one of {option}'s choices")
    subparser = SUBCOMMANDS[name]
    code, out, err = _exit(capsys, name, *_positionals(subparser), f"{option}={bad}")
    assert code == 2 and not out
    assert err.startswith(f"usage: nn-course {name}")
    if action.choices is not None:
        assert f"invalid choice: {bad!r}" in err and all(str(c) in err for c in action.choices)
    else:
        assert f"expected a whole number >= 1, got {bad!r}" in err


def _exclusive_pairs():
    return [(name, group._group_actions[0], group._group_actions[1])
            for name, sub in sorted(SUBCOMMANDS.items()) for group in sub._mutually_exclusive_groups]


def _given(action):
    """The option as typed on a command line: with a valid value when it takes one."""
    if action.nargs == 0:
        return [action.option_strings[-1]]
    value = action.choices[-1] if action.choices else "2"  # not the default: argparse ignores a default value here
    return [action.option_strings[-1], value]


@pytest.mark.parametrize("name, first, second", _exclusive_pairs())
def test_options_that_exclude_each_other_are_refused(name, first, second, capsys):
    code, _, err = _exit(capsys, name, *_positionals(SUBCOMMANDS[name]), *_given(first), *_given(second))
    assert code == 2 and f"not allowed with argument {'/'.join(first.option_strings)}" in err, err


def test_a_missing_argument_or_subcommand_gives_the_usage(capsys):
    code, _, err = _exit(capsys)
    assert code == 2 and "the following arguments are required: COMMAND" in err
    for name, subparser in sorted(SUBCOMMANDS.items()):
        if _positionals(subparser):
            code, _, err = _exit(capsys, name)
            assert code == 2 and "the following arguments are required" in err, name


# ---------------------------------------------------------------------------------------------------------------------
# A missing course directory, an unknown assignment


@pytest.mark.parametrize("name", sorted(SUBCOMMANDS))
def test_every_subcommand_refuses_a_missing_course_dir(name, tmp_path, capsys):
    """Exit status 2 and a message that says what to pass, for a folder that does not exist and for one without
    nbgrader_config.py; nothing is written into either."""
    args = _positionals(SUBCOMMANDS[name])
    code, _, err = _run(capsys, name, *args, "--course-dir", tmp_path / "missing")
    assert code == 2, err
    assert f"nn-course {name}: error: course directory {tmp_path / 'missing'} does not exist" in err
    code, _, err = _run(capsys, name, *args, "--course-dir", tmp_path)
    assert code == 2, err
    assert f"{tmp_path} has no nbgrader_config.py" in err and "--course-dir PATH" in err
    assert list(tmp_path.iterdir()) == [] and _unknown_flags(err, SUBCOMMANDS[name]) == []


def _assignment_arguments():
    """``(subcommand, where)`` for every subcommand that names an assignment: a positional ASSIGNMENT (where is None)
    or an option whose value is one (where is that option)."""
    found = []
    for name, sub in sorted(SUBCOMMANDS.items()):
        for action in sub._actions:
            if action.metavar == "ASSIGNMENT":
                found.append((name, action.option_strings[-1] if action.option_strings else None))
    return found


@pytest.mark.parametrize("name, option", _assignment_arguments())
def test_an_unknown_assignment_is_refused_with_the_known_ones(name, option, course, capsys):
    subparser = SUBCOMMANDS[name]
    if option is None:
        argv = [name, *_positionals(subparser, "perceptorn")]
        if not _positionals(subparser):  # ASSIGNMENT ... (nargs="*")
            argv.append("perceptorn")
    else:
        argv = [name, *_positionals(subparser), option, "perceptorn"]
    code, _, err = _run(capsys, *argv, "--course-dir", course)
    assert code == 2, err
    assert "unknown assignment 'perceptorn'; the assignments of this course are: backprop_xor, keras_mnist, " \
           "logistic_regression, perceptron, training_tricks" in err
    assert not (course / "submitted").exists() and not (course / "gradebook.db").exists()


# ---------------------------------------------------------------------------------------------------------------------
# Options that need another option, or a state of the course: the message says which flag to add or drop


def _downloads(tmp_path, *students):
    folder = tmp_path / "downloads"
    for student in students:
        (folder / student / "perceptron").mkdir(parents=True)
        (folder / student / "perceptron" / "perceptron.ipynb").write_text('{"cells": [], "metadata": {}, '
                                                                          '"nbformat": 4, "nbformat_minor": 5}')
    folder.mkdir(exist_ok=True)
    return folder


ERRORS = [
    # (command line; {tmp} is a temporary folder, {downloads} holds ann's perceptron), what the message says
    ("import perceptron {downloads} --roster r.csv", "--roster is for an LMS's download: add --from canvas, moodle "
                                                     "or gradescope"),
    ("import perceptron {downloads} --id-column SID", "--id-column is for an LMS's download: add --from"),
    ("import perceptron {downloads} --due-date 2026-10-01", "--due-date is for an LMS's download: add --from"),
    ("import perceptron {downloads} --from canvas", "--from canvas needs --roster CSV: Canvas's gradebook export"),
    ("import perceptron {downloads} --from gradescope", "--from gradescope needs --roster CSV"),
    ("import perceptron {downloads} --from moodle --roster r.csv --due-date 2026-10-01",
     "--due-date is for Canvas's late marks only: Moodle's download has no submission times"),
    ("import perceptron {downloads} --from canvas --roster {tmp}/missing.csv", "no roster file {tmp}/missing.csv: "
                                                                               "pass --roster with"),
    ("import perceptron {tmp}/nowhere", "no folder {tmp}/nowhere: pass the folder holding <student>/perceptron/"),
    ("import perceptron {downloads} --student zoe", "zoe: no zoe/perceptron/ folder or zoe.zip in"),
    ("export --roster r.csv", "--roster and --id-column are for an LMS's file: add --format canvas or moodle"),
    ("export --id-column SID", "--roster and --id-column are for an LMS's file: add --format canvas or moodle"),
    ("export --format canvas", "--format canvas needs --roster CSV: Canvas's gradebook export"),
    ("export --format moodle --assignment perceptron --assignment backprop_xor --roster r.csv",
     "a Moodle grading worksheet holds one assignment: pass --assignment NAME"),
    ("export --to {tmp}/no/such/folder/grades.csv", "cannot write {tmp}/no/such/folder/grades.csv: the folder"),
    ("export", "no gradebook at"),
    ("feedback perceptron", "no autograded submission of 'perceptron': run `nn-course autograde perceptron` first"),
    ("feedback perceptron --student zoe", "run `nn-course autograde perceptron` first"),
    ("autograde perceptron --no-sandbox --no-progress", "there is no gradebook at"),
]


@pytest.mark.parametrize("command, expected", ERRORS, ids=[c for c, _ in ERRORS])
def test_an_option_without_what_it_needs_says_what_to_do(command, expected, course, tmp_path, capsys):
    """Exit status 2, the message, and every --flag it names is an option of the subcommand."""
    values = {"tmp": tmp_path, "downloads": _downloads(tmp_path, "ann")}
    argv = [part.format(**values) for part in command.split()]
    code, out, err = _run(capsys, *argv, "--course-dir", course)
    assert code == 2, out + err
    assert expected.format(**values) in err
    assert _unknown_flags(err, SUBCOMMANDS[argv[0]]) == []


def test_keep_existing_skips_an_earlier_import_and_says_which_flag_replaces_it(course, tmp_path, capsys):
    downloads = _downloads(tmp_path, "ann", "ben")
    assert _run(capsys, "import", "perceptron", downloads, "--student", "ann", "--course-dir", course)[0] == 0
    code, out, _ = _run(capsys, "import", "perceptron", downloads, "--keep-existing", "--course-dir", course)
    assert code == 1, "a skipped submission is a problem to look at"
    assert "imported 1 submission(s)" in out and "ann: already imported into" in out
    assert "drop --keep-existing to replace it" in out
    assert _unknown_flags(out, SUBCOMMANDS["import"]) == []
