"""Benchmark: grade a synthetic class with plain sequential ``nbgrader autograde`` and with ``autograde(jobs=N)``.

For each NumPy assignment (perceptron, logistic_regression, backprop_xor, training_tricks) it builds, in a temporary
course, a class of ``--students`` submissions made from the assignment's source notebook: a realistic mix of correct
ones, wrong ones (one function with a flipped sign, a dropped transpose, a sum for a mean, or left unanswered) and
broken ones (the untouched release, invalid JSON, a renamed notebook, an exception at import, a kernel that dies, a
million lines of output, an infinite loop). Two identical copies of the course are graded, one by ``nbgrader autograde <name> --force``
and one by ``course_utils.instructor.autograde.autograde(jobs=N)``, each in a fresh process as an instructor runs it; the script
checks that the gradebooks are identical (every grade, comment and timestamp) and prints seconds per submission for each and the speed-up.

    python benchmarks/grade_class.py                 # 60 students per assignment, jobs=2
    python benchmarks/grade_class.py --students 10 --assignments perceptron
    python benchmarks/grade_class.py --dask          # also on a local Dask cluster of --jobs one-thread workers

With ``--dask`` a third copy is graded by ``autograde(scheduler=ADDRESS)`` on a ``LocalCluster`` started beforehand
(as a university's cluster would be; its start-up is not timed): on one machine that is the same work as ``--jobs``
plus Dask's overhead, so expect the same or a little slower; the point is that it scales with the workers.

training_tricks reads MNIST (``course_utils.data.load_mnist``): offline, set ``NN_COURSE_DATA`` first.

Not part of the test suite: it takes several minutes.
"""
import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from course_utils.instructor.autograde import gradebook_rows  # noqa: E402

NUMPY_ASSIGNMENTS = ("perceptron", "logistic_regression", "backprop_xor", "training_tricks")
SOURCE = ROOT / "assignments" / "source"
CELL_TIMEOUT = 10  # seconds per cell in the benchmark course, so the one infinite loop costs 10 s and not 120 s
# ... except where a correct solution needs longer: training_tricks trains four deep networks on MNIST in one cell
# (about 6 s of CPU, more on a busy machine).
CELL_TIMEOUTS = {"training_tricks": 60}

# (pattern, replacement): plausible student mistakes, tried in a random order on one solution cell.
MUTATIONS = [
    (r"\.T\b", ""),  # a forgotten transpose
    (r" - ", " + "),  # a wrong sign
    (r"np\.mean\(", "np.sum("),  # a missing 1/m
    (r"1 / m\b", "1"),
    (r"\btanh\b", "sigmoid"),
    (r"\+ b\b", ""),  # a forgotten bias
    (r"\b1\.0 - ", "1.0 + "),
]


def _env():
    env = dict(os.environ)
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def nbgrader(course, *args):
    out = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=course, env=_env(),
                         capture_output=True, text=True)
    return out


def _children_cpu():
    """CPU seconds (user + system) used so far by reaped child processes and their descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _nbgrader_meta(cell):
    return cell.get("metadata", {}).get("nbgrader", {})


def solution_sources(name):
    """{grade_id: solution code without the BEGIN/END SOLUTION lines} from the source notebook."""
    nb = nbformat.read(SOURCE / name / f"{name}.ipynb", as_version=4)
    out = {}
    for cell in nb.cells:
        meta = _nbgrader_meta(cell)
        if meta.get("solution"):
            lines = [ln for ln in cell.source.split("\n") if "BEGIN SOLUTION" not in ln and "END SOLUTION" not in ln]
            out[meta["grade_id"]] = "\n".join(lines)
    return out


def make_course(root, names):
    root.mkdir(parents=True)
    config = (ROOT / "nbgrader_config.py").read_text()
    timeout = max(CELL_TIMEOUTS.get(name, CELL_TIMEOUT) for name in names)
    config += f"\n# benchmark: a short cell timeout so one infinite loop does not dominate the timing\n" \
              f"c.Execute.timeout = {timeout}\n"
    (root / "nbgrader_config.py").write_text(config)
    for name in names:
        shutil.copytree(SOURCE / name, root / "assignments" / "source" / name)
        out = nbgrader(root, "generate_assignment", name, "--force")
        if out.returncode != 0:
            raise SystemExit(f"generate_assignment {name} failed:\n{out.stderr[-3000:]}")


def build_class(root, name, n_students, seed=0):
    """Write ``n_students`` submissions of ``name`` into ``root/submitted``; return {student: kind}."""
    rng = random.Random(seed)
    release = nbformat.read(root / "assignments" / "release" / name / f"{name}.ipynb", as_version=4)
    solutions = solution_sources(name)
    solution_ids = [gid for gid in solutions
                    if any(_nbgrader_meta(c).get("grade_id") == gid and c.cell_type == "code" for c in release.cells)]
    broken = ["untouched", "untouched", "invalid_json", "renamed", "import_error", "kernel_dies", "million_lines",
              "infinite_loop"]
    n_broken = min(len(broken), max(1, n_students // 7))
    n_wrong = n_students * 30 // 100
    kinds = broken[:n_broken] + ["wrong"] * n_wrong + ["correct"] * (n_students - n_broken - n_wrong)
    rng.shuffle(kinds)
    students = {}
    for i, kind in enumerate(kinds):
        student = f"s{i:03d}_{kind}"
        nb = nbformat.from_dict(release)
        by_id = {_nbgrader_meta(c).get("grade_id"): c for c in nb.cells if _nbgrader_meta(c).get("solution")}
        if kind != "untouched":
            for gid, code in solutions.items():
                if gid in by_id:
                    by_id[gid].source = code
        first = by_id[solution_ids[0]]
        if kind == "wrong":
            target = by_id[rng.choice(solution_ids)]
            for pattern, repl in rng.sample(MUTATIONS, len(MUTATIONS)):
                if re.search(pattern, target.source):
                    target.source = re.sub(pattern, repl, target.source, count=1)
                    break
            else:
                target.source = "# YOUR CODE HERE\nraise NotImplementedError()"
        elif kind == "import_error":
            first.source = "import numpy_misspelled\n" + first.source
        elif kind == "kernel_dies":
            first.source = "import os\nos._exit(1)\n" + first.source
        elif kind == "million_lines":
            first.source = "print('\\n'.join(map(str, range(1_000_000))))\n" + first.source
        elif kind == "infinite_loop":
            by_id[solution_ids[-1]].source = "while True:\n    pass"
        folder = root / "submitted" / student / name
        folder.mkdir(parents=True)
        (folder / "timestamp.txt").write_text("2026-11-20 12:00:00.000000 UTC")
        target = folder / (f"{name} (1).ipynb" if kind == "renamed" else f"{name}.ipynb")
        if kind == "invalid_json":
            target.write_text(nbformat.writes(nb)[:-200])
        else:
            nbformat.write(nb, target)
        students[student] = kind
    return students


def run_autograde(course, name, rows_file, **options):
    """``autograde(name, **options)`` in a fresh process, as ``nn-course autograde`` runs; (wall s, CPU s, rows)."""
    code = (f"import json; from course_utils.instructor.autograde import autograde; "
            f"s = autograde({name!r}, course_dir={str(course)!r}, progress=False, **{options!r}); "
            f"open({str(rows_file)!r}, 'w').write(json.dumps(s.rows))")
    t0, c0 = time.perf_counter(), _children_cpu()
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=_env(), capture_output=True, text=True)
    seconds, cpu = time.perf_counter() - t0, _children_cpu() - c0
    if out.returncode != 0:
        raise SystemExit(f"autograde {name} {options} failed:\n{out.stderr[-3000:]}")
    return seconds, cpu, json.loads(Path(rows_file).read_text())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=60, help="submissions per assignment (default 60)")
    parser.add_argument("--jobs", type=int, default=2, help="parallel jobs (default 2)")
    parser.add_argument("--assignments", nargs="*", default=None, help="default: the NumPy assignments present")
    parser.add_argument("--json", help="also write the figures to this JSON file")
    parser.add_argument("--dask", action="store_true",
                        help="also grade on a local Dask cluster of --jobs workers (autograde --scheduler)")
    args = parser.parse_args(argv)
    names = args.assignments or [n for n in NUMPY_ASSIGNMENTS if (SOURCE / n).is_dir()]
    if not names:
        raise SystemExit(f"no assignment found under {SOURCE}")

    tmp = Path(tempfile.mkdtemp(prefix="nn-course-bench-"))
    figures = {"assignments": {}, "jobs": args.jobs, "cpu_count": os.cpu_count()}
    try:
        base = tmp / "base"
        make_course(base, names)
        kinds = {name: build_class(base, name, args.students, seed=i) for i, name in enumerate(names)}
        seq_course, par_course, dask_course = tmp / "sequential", tmp / "parallel", tmp / "dask"
        shutil.copytree(base, seq_course)
        shutil.copytree(base, par_course)
        cluster = None
        if args.dask:
            from distributed import LocalCluster

            shutil.copytree(base, dask_course)
            cluster = LocalCluster(n_workers=args.jobs, threads_per_worker=1, processes=True, host="127.0.0.1",
                                   dashboard_address=None)
            figures["dask_workers"] = args.jobs
        total_seq = total_par = 0.0
        n_total = 0
        all_same = True
        for name in names:
            n = len(kinds[name])
            t0, c0 = time.perf_counter(), _children_cpu()
            out = nbgrader(seq_course, "autograde", name, "--force")
            t_seq, cpu_seq = time.perf_counter() - t0, _children_cpu() - c0
            # Timed as a fresh process too, like `nn-course autograde NAME --jobs N`, so both pay their start-up.
            t_par, cpu_par, rows = run_autograde(par_course, name, tmp / f"{name}-par.json", jobs=args.jobs)
            same = gradebook_rows(seq_course, name) == gradebook_rows(par_course, name)
            all_same &= same
            flagged = sum(r["status"] == "flagged" for r in rows)
            total_seq, total_par, n_total = total_seq + t_seq, total_par + t_par, n_total + n
            figures["assignments"][name] = {
                "submissions": n, "sequential_s": round(t_seq, 2), "parallel_s": round(t_par, 2),
                "sequential_s_per_submission": round(t_seq / n, 3), "parallel_s_per_submission": round(t_par / n, 3),
                "speedup": round(t_seq / t_par, 2), "identical_gradebook": same, "flagged": flagged,
                "sequential_cpu_s_per_submission": round(cpu_seq / n, 3),
                "parallel_cpu_s_per_submission": round(cpu_par / n, 3),
                "nbgrader_exit_code": out.returncode}
            if cluster is not None:
                t_dask, _, _ = run_autograde(dask_course, name, tmp / f"{name}-dask.json",
                                                    scheduler=cluster.scheduler_address)
                same_dask = gradebook_rows(seq_course, name) == gradebook_rows(dask_course, name)
                all_same &= same_dask
                total_dask = figures.get("dask_s", 0.0) + t_dask
                figures["dask_s"] = total_dask
                figures["assignments"][name].update({"dask_s": round(t_dask, 2),
                                                     "dask_s_per_submission": round(t_dask / n, 3),
                                                     "dask_identical_gradebook": same_dask})
                print(f"{name:20s} {n:4d} submissions  dask ({args.jobs} workers) {t_dask:7.1f} s "
                      f"({t_dask / n:.2f} s/sub)  vs jobs={args.jobs} {t_par / n:.2f} s/sub  "
                      f"identical gradebook: {'yes' if same_dask else 'NO'}", flush=True)
            print(f"{name:20s} {n:4d} submissions  sequential {t_seq:7.1f} s ({t_seq / n:.2f} s/sub)  "
                  f"jobs={args.jobs} {t_par:7.1f} s ({t_par / n:.2f} s/sub)  speed-up {t_seq / t_par:.2f}  "
                  f"identical gradebook: {'yes' if same else 'NO'}  flagged {flagged}  "
                  f"CPU s/sub {cpu_seq / n:.2f} vs {cpu_par / n:.2f}", flush=True)
        figures.update({"submissions": n_total, "sequential_s_per_submission": round(total_seq / n_total, 3),
                        "parallel_s_per_submission": round(total_par / n_total, 3),
                        "speedup": round(total_seq / total_par, 2), "identical_gradebook": all_same})
        print(f"{'all':20s} {n_total:4d} submissions  sequential {total_seq / n_total:.2f} s/sub  "
              f"jobs={args.jobs} {total_par / n_total:.2f} s/sub  speed-up {total_seq / total_par:.2f}  "
              f"identical gradebooks: {'yes' if all_same else 'NO'}")
        if cluster is not None:
            figures["dask_s_per_submission"] = round(figures.pop("dask_s") / n_total, 3)
            print(f"{'all':20s} {n_total:4d} submissions  dask ({args.jobs} workers) "
                  f"{figures['dask_s_per_submission']:.2f} s/sub")
            cluster.close()
        if args.json:
            Path(args.json).write_text(json.dumps(figures, indent=2))
        return 0 if all_same else 1
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
