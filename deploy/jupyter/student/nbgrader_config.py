"""nbgrader in a student's server on the course hub (deploy/jupyterhub_config.py points JUPYTER_CONFIG_PATH here)."""
import os

c = get_config()  # noqa: F821

c.Exchange.root = os.environ.get("NN_COURSE_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("NN_COURSE_ID", "nn-course")
# Who submits: nbgrader 0.9.6 names a submission after the server's unix user (pwd.getpwuid(os.getuid())), and takes
# JUPYTERHUB_USER only when that user is "jovyan". Where several students' servers run as one unix user (root in
# tests/test_hub.py) that would mix them up, so the student id is the hub's user name in every case.
c.CourseDirectory.student_id = os.environ["JUPYTERHUB_USER"]
