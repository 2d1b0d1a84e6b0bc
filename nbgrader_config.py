"""nbgrader configuration for the course; the course root is the folder of this file (the repository root).

Instructors use it through the ``nn-course`` command (see README.md), which loads this file; plain ``nbgrader ...``
commands run from the repository root read it too.
Layout: ``assignments/source/<name>/<name>.ipynb`` (one source per assignment, with solutions and hidden tests),
``assignments/release/<name>/`` (student versions), ``solutions/<name>/`` (published solutions, written by
``nn-course generate``), and the instructor data ``submitted/``, ``autograded/``, ``feedback/``, ``gradebook.db``,
which git ignores.
"""
import os

# Kernels started by nbgrader inherit this environment: keep TensorFlow's C++ log lines off stderr, because nbgrader
# gives a test cell zero points for any output on stderr.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

c.CourseDirectory.course_id = "nn-course"
c.CourseDirectory.source_directory = os.path.join("assignments", "source")
c.CourseDirectory.release_directory = os.path.join("assignments", "release")

# Every cell of every assignment runs in well under a minute on a laptop CPU (keras_mnist trains for a few seconds);
# the limit only stops a submission that loops forever.
c.Execute.timeout = 120
# An interrupted or crashed kernel is not retried: a second run of a broken submission fails the same way.
c.Execute.execute_retries = 0

# What a student sees in place of the solution code.
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Untrusted output: the formgrader and the feedback render notebooks with HTML sanitised (no scripts, no event
# handlers), and the feedback hides the code of the hidden tests; the settings are the ones `nn-course feedback` adds
# to any course (course_utils.instructor.grades.feedback_config).
from course_utils.instructor.grades import feedback_config  # noqa: E402

c.merge(feedback_config())
