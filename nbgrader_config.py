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

# Feedback (`nbgrader generate_feedback`, the formgrader's Generate Feedback) shows each test's result
# and message but not the hidden tests' code: the course's step after nbgrader's GetGrades. It is
# imported from the course root, this file's folder, wherever nbgrader runs from. (A copy of this
# file in a folder without the course's autograder/ beside it keeps nbgrader's own pipeline.)
import os  # noqa: E402
import sys  # noqa: E402

course_root = os.path.dirname(os.path.abspath(__file__))
if os.path.isdir(os.path.join(course_root, "autograder")):
    if course_root not in sys.path:
        sys.path.insert(0, course_root)
    from autograder.nbgrader_feedback import HideHiddenTests
    from nbconvert.preprocessors import CSSHTMLHeaderPreprocessor
    from nbgrader.preprocessors import GetGrades

    c.GenerateFeedback.preprocessors = [GetGrades, HideHiddenTests, CSSHTMLHeaderPreprocessor]
