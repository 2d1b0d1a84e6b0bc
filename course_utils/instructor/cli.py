"""``nn-course``: the instructor's command for the whole grading cycle, run from the course root.

    nn-course list                                   # the assignments and what exists for each
    nn-course generate [ASSIGNMENT ...]              # student release + published solutions, from the sources
    nn-course import ASSIGNMENT FOLDER               # submissions: FOLDER/<student>/ASSIGNMENT/*.ipynb or <student>.zip
    nn-course import ASSIGNMENT ZIP --from canvas|moodle|gradescope --roster CSV   # an LMS's download
    nn-course autograde ASSIGNMENT [--jobs 2]        # grade every submission; summary table (+ --summary CSV)
    nn-course autograde ASSIGNMENT --scheduler tcp://HOST:8786   # the same, on a Dask cluster's workers
    nn-course feedback ASSIGNMENT                    # feedback/<student>/ASSIGNMENT/*.html
    nn-course export [--to grades.csv]               # one row per assignment and student
    nn-course export --to FILE --format canvas|moodle --roster CSV   # a file the LMS's gradebook import accepts
    nn-course site [--fast]                          # the course website in _build/site/ (lectures executed)
    nn-course release ASSIGNMENT                     # nbgrader's exchange (JupyterHub): publish the student version
    nn-course collect ASSIGNMENT                     # the students' submissions from the exchange -> submitted/
    nn-course release-feedback ASSIGNMENT            # feedback/<student>/ASSIGNMENT/*.html -> the exchange

Every subcommand takes ``--course-dir`` (default: the current folder), the folder holding ``nbgrader_config.py``.
The work is done by nbgrader's own Python API; this module only parses arguments and reports.
"""
import argparse
import sys

from .course import CourseError, ensure_tools_on_path


def _cmd_list(args):
    from .course import course_path, list_assignments, students_with
    from .generate import solutions_path

    names = list_assignments(args.course_dir)
    if not names:
        print(f"no assignments under {course_path('source', args.course_dir)}")
        return 0
    release = course_path("release", args.course_dir)
    for name in names:
        released = (release / name).is_dir()
        solved = (solutions_path(args.course_dir) / name).is_dir()
        n_submitted = len(students_with("submitted", name, args.course_dir))
        print(f"{name:24s} release: {'yes' if released else 'no ':3s}  solutions: {'yes' if solved else 'no ':3s}  "
              f"submissions: {n_submitted}")
    return 0


def _cmd_generate(args):
    from .generate import generate

    written = generate(args.assignments or None, args.course_dir, release=not args.solutions_only,
                       solutions=not args.release_only)
    for name, paths in written.items():
        for path in paths:
            print(f"{name}: wrote {path}")
    return 0


def _cmd_import(args):
    from .submissions import import_submissions

    if args.source == "folders":
        lms_options = (("--roster", args.roster), ("--id-column", args.id_column), ("--due-date", args.due_date))
        for option, value in lms_options:
            if value is not None:
                raise CourseError(f"{option} is for an LMS's download: add --from canvas, moodle or gradescope")
        report = import_submissions(args.folder, args.assignment, args.course_dir, students=args.student or None,
                                    overwrite=not args.keep_existing)
    else:
        from .lms import ROSTER_FORMATS, import_from_lms

        if args.roster is None:
            raise CourseError(f"--from {args.source} needs --roster CSV: {ROSTER_FORMATS[args.source].what}, which "
                              "maps the LMS's users to the course's student ids")
        report = import_from_lms(args.folder, args.assignment, args.course_dir, lms=args.source, roster=args.roster,
                                 id_column=args.id_column, due_date=args.due_date, students=args.student or None,
                                 overwrite=not args.keep_existing)
    print(report)
    return 1 if report.problems else 0


def _cmd_autograde(args):
    from .autograde import NO_SANDBOX_WARNING, autograde
    from .course import check_assignment
    from .sandbox import Limits

    check_assignment(args.assignment, args.course_dir)
    if args.no_sandbox:
        print(NO_SANDBOX_WARNING, file=sys.stderr)
    limits = Limits(memory_mb=args.memory_limit, processes=args.process_limit, cpu_s=args.cpu_limit,
                    file_mb=args.file_limit)
    summary = autograde(args.assignment, course_dir=args.course_dir, students=args.student or None,
                        jobs=args.jobs, timeout=args.timeout, progress=not args.no_progress,
                        sandbox=not args.no_sandbox, limits=limits, scheduler=args.scheduler)
    print(summary)
    if args.summary:
        print(f"summary written to {summary.to_csv(args.summary)}")
    return 1 if summary.flagged else 0  # every submission is graded or flagged either way; 1 asks for a look


def _cmd_feedback(args):
    from .course import students_with
    from .grades import generate_feedback

    paths = generate_feedback(args.assignment, args.course_dir, students=args.student or None)
    for path in paths:
        print(f"wrote {path}")
    if not args.student:
        submitted = students_with("submitted", args.assignment, args.course_dir)
        without = sorted(set(submitted) - {p.parent.parent.name for p in paths})
        if without:
            print(f"no feedback for {len(without)} submission(s) that nbgrader could not grade: {', '.join(without)} "
                  "(flagged by `nn-course autograde`; its summary says why)")
    return 0


def _cmd_export(args):
    from .grades import export_grades

    if args.format == "nbgrader":
        if args.roster is not None or args.id_column is not None:
            raise CourseError("--roster and --id-column are for an LMS's file: add --format canvas or moodle")
        path = export_grades(args.to, args.course_dir, assignments=args.assignment or None)
        print(f"grades written to {path}")
        return 0
    from .lms import ROSTER_FORMATS, export_to_lms

    if args.roster is None:
        raise CourseError(f"--format {args.format} needs --roster CSV: {ROSTER_FORMATS[args.format].what}, which "
                          "lists the students as the LMS knows them")
    print(export_to_lms(args.to, args.format, args.course_dir, roster=args.roster, id_column=args.id_column,
                        assignments=args.assignment or None))
    return 0


def _cmd_site(args):
    from .site import build_site

    build = build_site(args.course_dir, out_dir=args.out, fast=args.fast, clean=args.clean, echo=not args.quiet)
    print(build)
    return 0


def _cmd_release(args):
    from .exchange import release_assignment

    print(release_assignment(args.assignment, args.course_dir, exchange=args.exchange, force=args.force))
    return 0


def _cmd_collect(args):
    from .exchange import collect_submissions

    report = collect_submissions(args.assignment, args.course_dir, exchange=args.exchange,
                                 students=args.student or None)
    print(report)
    return 1 if report.problems else 0


def _cmd_release_feedback(args):
    from .exchange import release_feedback

    report = release_feedback(args.assignment, args.course_dir, exchange=args.exchange, students=args.student or None)
    print(report)
    return 1 if report.problems else 0


def _positive_int(text):
    """argparse type of counts and limits: a whole number >= 1 (anything else: a message saying so)."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 1, got {text!r}")
    return value


_ASSIGNMENT_HELP = "the assignment's name: a folder of assignments/source/ (`nn-course list` shows them)"

# Each LMS's class list and its default id column, for the help of --roster and --id-column (lms.ROSTER_FORMATS has
# them in full; importing lms here would load nbgrader for every --help, and tests/test_cli.py checks they agree).
_ROSTERS = {"canvas": ("gradebook export", "SIS Login ID"), "moodle": ("grading worksheet", "Email address"),
            "gradescope": ("roster", "SID")}


def _add_roster_arguments(parser, switch, lms_names):
    """``--roster`` and ``--id-column`` of a subcommand that reads an LMS's class list; ``switch`` (``--from`` or
    ``--format``) chooses the LMS, one of ``lms_names``."""
    parser.add_argument("--roster", metavar="CSV", help=f"with {switch}: the LMS's class list ("
                        + "; ".join(f"{name}: {_ROSTERS[name][0]}" for name in lms_names) + ")")
    parser.add_argument("--id-column", metavar="NAME", help="the roster column holding the course's student ids "
                        "(default: " + ", ".join(f"{name} {_ROSTERS[name][1]!r}" for name in lms_names) + ")")


def build_parser():
    """The argument parser of ``nn-course`` (one subparser per step of the grading cycle)."""
    parser = argparse.ArgumentParser(
        prog="nn-course",
        description="Instructor commands for the neural-networks course: generate assignments, import and autograde "
                    "submissions, write feedback and export grades (with nbgrader), and build the course website.",
    )
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--course-dir", default=".", metavar="PATH",
                        help="the course root, holding nbgrader_config.py (default: the current folder)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("list", parents=[common], help="list the assignments and their state")
    p.set_defaults(func=_cmd_list)

    p = sub.add_parser("generate", parents=[common],
                       help="write the student release (assignments/release/) and the solutions (solutions/)")
    p.add_argument("assignments", nargs="*", metavar="ASSIGNMENT", help="assignments to generate (default: all)")
    only = p.add_mutually_exclusive_group()
    only.add_argument("--release-only", action="store_true", help="write only the student release")
    only.add_argument("--solutions-only", action="store_true", help="write only the solutions")
    p.set_defaults(func=_cmd_generate)

    p = sub.add_parser("import", parents=[common],
                       help="copy submissions into submitted/<student>/<assignment>/")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("folder", metavar="FOLDER",
                   help="holds <student>/ASSIGNMENT/*.ipynb folders and/or <student>.zip files; with --from, the "
                        "zip the LMS gave (or the folder it unzips to)")
    p.add_argument("--from", dest="source", choices=["folders", "canvas", "moodle", "gradescope"], default="folders",
                   help="the layout: folders (default: folders or zips per student), or the download of Canvas "
                        "(Download Submissions), Moodle (Download all submissions) or Gradescope (Export Submissions)")
    _add_roster_arguments(p, "--from", ("canvas", "moodle", "gradescope"))
    p.add_argument("--due-date", metavar="TIME",
                   help="with --from canvas: the due date, e.g. '2026-10-01 23:59:00 Europe/Berlin', so that files "
                        "Canvas marks late count late (default: the due date in nbgrader's gradebook)")
    p.add_argument("--student", action="append", metavar="ID", help="import only this student (repeatable)")
    p.add_argument("--keep-existing", action="store_true", help="skip students already imported instead of replacing")
    p.set_defaults(func=_cmd_import)

    p = sub.add_parser("autograde", parents=[common], help="grade every submission of an assignment",
                       epilog="Exit status: 0 when every submission was graded, 1 when some were flagged (all the "
                              "others are graded all the same; the table says why), 2 on an error such as an unknown "
                              "assignment.")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--jobs", "-j", type=_positive_int, default=1, metavar="N",
                       help="submissions graded at once on this machine (e.g. 2 on 2 cores)")
    where.add_argument("--scheduler", metavar="ADDRESS", default=None,
                       help="grade on the Dask cluster whose scheduler is at ADDRESS (e.g. tcp://10.0.0.5:8786), one "
                            "task per submission (needs: pip install 'nn-course[cluster]')")
    p.add_argument("--timeout", type=_positive_int, default=None, metavar="SECONDS",
                   help="seconds each cell may run (default: nbgrader_config.py)")
    p.add_argument("--student", action="append", metavar="ID", help="grade only this student (repeatable)")
    p.add_argument("--summary", metavar="CSV", help="also write the summary table (graded/flagged, reasons) here")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    from .sandbox import Limits

    defaults = Limits()
    p.add_argument("--memory-limit", type=_positive_int, default=defaults.memory_mb, metavar="MB",
                   help=f"address space of each sandboxed kernel (default: {defaults.memory_mb})")
    p.add_argument("--process-limit", type=_positive_int, default=defaults.processes, metavar="N",
                   help=f"processes and threads of each sandboxed kernel (default: {defaults.processes})")
    p.add_argument("--cpu-limit", type=_positive_int, default=defaults.cpu_s, metavar="SECONDS",
                   help=f"CPU time of each sandboxed kernel (default: {defaults.cpu_s})")
    p.add_argument("--file-limit", type=_positive_int, default=defaults.file_mb, metavar="MB",
                   help=f"largest file a sandboxed kernel may write (default: {defaults.file_mb})")
    p.add_argument("--no-sandbox", action="store_true",
                   help="run the students' code without the sandbox (unsafe: only for code you trust; the summary "
                        "says so)")
    p.set_defaults(func=_cmd_autograde)

    p = sub.add_parser("feedback", parents=[common], help="write HTML feedback for the autograded submissions")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("--student", action="append", metavar="ID", help="only this student (repeatable)")
    p.set_defaults(func=_cmd_feedback)

    p = sub.add_parser("export", parents=[common],
                       help="export the grades of all students to CSV (nbgrader's, or for Canvas's or Moodle's import)")
    p.add_argument("--to", default="grades.csv", metavar="CSV", help="output file (default: grades.csv)")
    p.add_argument("--assignment", action="append", metavar="ASSIGNMENT", help="only this assignment (repeatable)")
    p.add_argument("--format", choices=["nbgrader", "canvas", "moodle"], default="nbgrader",
                   help="nbgrader (default: nbgrader's CSV), canvas (gradebook import CSV) or moodle (the "
                        "assignment's grading worksheet, filled in)")
    _add_roster_arguments(p, "--format", ("canvas", "moodle"))
    p.set_defaults(func=_cmd_export)

    p = sub.add_parser("site", parents=[common], help="build the course website (static HTML) into _build/site/",
                       description="Build the course website: the README's student part as the start page, every "
                                   "lecture executed with its outputs, the assignments as released (with download "
                                   "links) and the API reference of course_utils. Executed notebooks are cached: a "
                                   "rebuild re-executes only the lectures that changed. Needs the site extra: "
                                   'pip install -e ".[site]".',
                       epilog="Exit status: 0 when the site was built, 2 when Sphinx reported any warning or error "
                              "(all are errors: a broken reference, a missing image, a failing cell, a lecture that "
                              "writes to stderr) or a package is missing.")
    p.add_argument("--fast", action="store_true",
                   help="run the lectures with NN_COURSE_FAST=1 (the test suite's reduced workload), into "
                        "_build/fast/site/ with its own cache")
    p.add_argument("--out", metavar="PATH", default=None,
                   help="output folder (default: _build/site, or _build/fast/site with --fast)")
    p.add_argument("--clean", action="store_true", help="forget the cached executions and rebuild everything")
    p.add_argument("--quiet", "-q", action="store_true", help="do not print Sphinx's progress, only the result")
    p.set_defaults(func=_cmd_site)

    # nbgrader's exchange: the shared folder through which a JupyterHub's users hand assignments back and forth.
    exchange = argparse.ArgumentParser(add_help=False)
    exchange.add_argument("--exchange", metavar="PATH", default=None,
                          help="the exchange folder (default: c.Exchange.root of nbgrader_config.py, the course's or "
                               "one Jupyter reads, e.g. /etc/jupyter/nbgrader_config.py on a hub)")
    p = sub.add_parser("release", parents=[common, exchange],
                       help="publish the student version of an assignment to nbgrader's exchange (students fetch it)")
    p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
    p.add_argument("--force", action="store_true", help="replace an assignment already released")
    p.set_defaults(func=_cmd_release)

    per_student = (  # (name, help, epilog, what --student does, handler): the exchange commands that go by student
        ("collect", "copy the students' latest submissions from the exchange into submitted/",
         "Exit status: 0 when every submission in the exchange was collected, 1 when some entries were left out (the "
         "report says why), 2 on an error such as nothing to collect.", "collect only this student", _cmd_collect),
        ("release-feedback",
         "publish feedback/<student>/ASSIGNMENT/*.html to the exchange, each for its student only",
         "Exit status: 0 when every student's feedback was released, 1 when some were left out (e.g. a submission "
         "not collected through the exchange; the report says why).", "only this student", _cmd_release_feedback),
    )
    for name, help_text, epilog, student_help, func in per_student:
        p = sub.add_parser(name, parents=[common, exchange], help=help_text, epilog=epilog)
        p.add_argument("assignment", metavar="ASSIGNMENT", help=_ASSIGNMENT_HELP)
        p.add_argument("--student", action="append", metavar="ID", help=f"{student_help} (repeatable)")
        p.set_defaults(func=func)
    return parser


def main(argv=None):
    """Entry point of the ``nn-course`` console script; returns the exit status."""
    ensure_tools_on_path()  # nbgrader runs `alembic` from the environment's bin folder
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except CourseError as err:
        print(f"nn-course {args.command}: error: {err}", file=sys.stderr)
        return 2
    except (ValueError, FileNotFoundError) as err:  # bad input reported by nbgrader or the autograder
        print(f"nn-course {args.command}: error: {type(err).__name__}: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
