"""A student's server: nbgrader's Assignments tab and Validate, without the instructor's formgrader and course list."""
c = get_config()  # noqa: F821

# An explicit setting here wins over the extensions that nbgrader enables for everyone (jupyter_server_config.d).
c.ServerApp.jpserver_extensions.update({
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.course_list": False,
})
