"""Instructor tools: the ``nn-course`` command (generate, import submissions, autograde, feedback, export grades).

A thin layer over nbgrader's own Python API (``nbgrader.apps.NbGraderAPI``, ``nbgrader.api.Gradebook``); the course
configuration is the ``nbgrader_config.py`` at the course root.
"""
