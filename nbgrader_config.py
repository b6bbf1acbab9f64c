# nbgrader configuration for this course. Run nbgrader commands from the repository root.
#
# The layout is nbgrader's own, with two folders renamed so the repository reads plainly:
#   solutions/<assignment>/    instructor versions ("source" in nbgrader's docs)
#   assignments/<assignment>/  student versions made by `nbgrader generate_assignment` ("release")
c = get_config()  # noqa: F821  (provided by nbgrader when it loads this file)

c.CourseDirectory.course_id = "recurrence-to-attention"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

# Each solution notebook has a jupytext twin (aN_name.py) holding the solutions in plain text:
# never copy it into the student version.
c.CourseDirectory.ignore = [".ipynb_checkpoints", "*.pyc", "__pycache__", "feedback", "a[0-9]_*.py"]
