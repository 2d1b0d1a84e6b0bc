"""course_utils: the package shared by every notebook of the course.

Reference implementations (activations, losses, layers, models, optimizers, gradient checking), data loaders,
plotting helpers and widgets. Submodules are imported on demand so that `import course_utils` stays fast and never
imports TensorFlow.
"""
__version__ = "0.1.0"
