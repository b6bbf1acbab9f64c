"""Course tooling: what builds and checks the course itself, not what a lecture imports.

``course`` reads the declared course (course.toml and nbgrader_config.py), ``notebooks`` keeps each
notebook and its text twin together, ``site`` renders the course as static pages. Run from a clone.
"""
