"""nbgrader in an instructor's server on the course hub (deploy/jupyterhub_config.py points JUPYTER_CONFIG_PATH here).

The formgrader works on the course in $NN_COURSE_DIR (its own nbgrader_config.py is read too); `nn-course release`,
`collect` and `release-feedback` find the exchange here.
"""
import os

c = get_config()  # noqa: F821

c.Exchange.root = os.environ.get("NN_COURSE_EXCHANGE", "/srv/nbgrader/exchange")
c.CourseDirectory.course_id = os.environ.get("NN_COURSE_ID", "nn-course")
c.CourseDirectory.root = os.path.expanduser(os.environ.get("NN_COURSE_DIR", "~/course"))
