"""JupyterHub configuration for a course hub: nbgrader's exchange, and an instructor role and a student role.

Every user's server mounts one shared folder, nbgrader's *exchange*, where the instructor releases assignments and
feedback (`nn-course release`, `nn-course release-feedback`) and students fetch and submit them from JupyterLab's
*Assignments* tab. Each server reads the nbgrader and Jupyter configuration of its role from
``$NN_COURSE_ROLE_CONFIG/<role>/`` (this folder's ``jupyter/``, copied into the image by ``deploy/Dockerfile``),
which this file points it to with ``JUPYTER_CONFIG_PATH``:

- instructor: the formgrader, *Create Assignment* and the course list, with the course in ``$NN_COURSE_DIR``;
- student: the *Assignments* tab and *Validate* only (no formgrader, no course list, no *Create Assignment*), and
  nbgrader told who the student is (``CourseDirectory.student_id``; nbgrader 0.9 would otherwise name a
  submission after the unix user, ``root`` or the same ``jovyan`` for everyone).

Settings (environment variables of the hub; defaults in brackets):

    NN_COURSE_INSTRUCTORS   comma-separated user names of the instructors
    NN_COURSE_STUDENTS      comma-separated user names of the students
    NN_COURSE_ID            nbgrader's course id, as in the course's nbgrader_config.py [nn-course]
    NN_COURSE_EXCHANGE      the exchange folder as every server sees it [/srv/nbgrader/exchange]
    NN_COURSE_DIR           the course folder in an instructor's server [~/course]
    NN_COURSE_ROLE_CONFIG   where the image keeps deploy/jupyter/ [/etc/jupyter/nn-course]

A server given a CPU limit (``c.Spawner.cpu_limit``; ``singleuser.cpu.limit`` on Zero to JupyterHub) gets that many
threads for NumPy's BLAS and TensorFlow (``thread_environment``).

Not chosen here: the authenticator (your institution's: OAuth, LTI, LDAP, ...) and the spawner (KubeSpawner on
Zero to JupyterHub; tests/test_hub.py adds a dummy authenticator and local processes for its run on 127.0.0.1).
Run it with ``jupyterhub -f deploy/jupyterhub_config.py`` after adding those, or load it from your own
configuration with ``load_subconfig("deploy/jupyterhub_config.py")`` (see the README, *A whole class on JupyterHub*).

Isolation between students comes from the spawner: one unix user or one container per student, the exchange the
only folder they share. nbgrader's exchange takes the student id a server declares, so a student who changes their
own server's configuration can submit under another name; its inbound folder (write-only for students) and
hashed feedback names keep students from reading each other's work.
"""
import os

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)


def _names(variable):
    return {name.strip() for name in os.environ.get(variable, "").split(",") if name.strip()}


INSTRUCTORS = _names("NN_COURSE_INSTRUCTORS")
STUDENTS = _names("NN_COURSE_STUDENTS")
if INSTRUCTORS & STUDENTS:
    raise ValueError(f"both instructor and student: {', '.join(sorted(INSTRUCTORS & STUDENTS))}; "
                     "fix NN_COURSE_INSTRUCTORS or NN_COURSE_STUDENTS")
COURSE_ID = os.environ.get("NN_COURSE_ID", "nn-course")
EXCHANGE = os.environ.get("NN_COURSE_EXCHANGE", "/srv/nbgrader/exchange")
COURSE_DIR = os.environ.get("NN_COURSE_DIR", "~/course")
ROLE_CONFIG = os.environ.get("NN_COURSE_ROLE_CONFIG", "/etc/jupyter/nn-course")

# Only the class may log in; the groups show the roles on the hub's admin page.
c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
c.JupyterHub.load_groups = {
    "instructors": {"users": sorted(INSTRUCTORS)},
    "students": {"users": sorted(STUDENTS)},
}


def role_of(username):
    """``"instructor"`` or ``"student"``: the folder of ``$NN_COURSE_ROLE_CONFIG`` that the user's server reads."""
    return "instructor" if username in INSTRUCTORS else "student"


# The thread pools of NumPy's BLAS (OpenMP, OpenBLAS, MKL) and of TensorFlow's ops. The hub's image need not have
# course_utils, so this is a copy of course_utils.instructor.sandbox.THREAD_VARIABLES (tests/test_deploy.py checks).
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS")


def thread_environment(cpu_limit, environment):
    """The thread counts to add to a server's ``environment`` when it is limited to ``cpu_limit`` CPUs (None: none).

    A container sees every core of its node, so without these NumPy and TensorFlow would start one thread per core of
    the node in each kernel, and on a server limited to 2 of 64 cores those threads wait for each other (the
    kernel's time slices run out): a training step then takes several times as long. What the hub's admin set in
    ``c.Spawner.environment`` is kept, and an ``OMP_NUM_THREADS`` set there counts for the other libraries too.
    """
    count = environment.get("OMP_NUM_THREADS") or (max(1, int(cpu_limit)) if cpu_limit else None)
    if count is None:
        return {}
    return {name: str(count) for name in THREAD_VARIABLES if name not in environment}


def course_environment(spawner):
    """``pre_spawn_hook``: give the user's server the configuration of its role and the course's settings."""
    role = role_of(spawner.user.name)
    spawner.environment.update(thread_environment(spawner.cpu_limit, spawner.environment))
    spawner.environment.update({
        "JUPYTER_CONFIG_PATH": os.path.join(ROLE_CONFIG, role),
        "NN_COURSE_ROLE": role,
        "NN_COURSE_ID": COURSE_ID,
        "NN_COURSE_EXCHANGE": EXCHANGE,
        "NN_COURSE_DIR": COURSE_DIR,
        # nbgrader gives a test cell zero points for output on stderr: keep TensorFlow's C++ log lines off it.
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "TF_ENABLE_ONEDNN_OPTS": "0",
    })
    spawner.log.info("nn-course: %s's server starts as %s", spawner.user.name, role)


c.Spawner.pre_spawn_hook = course_environment
