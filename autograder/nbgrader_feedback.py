"""A step for ``nbgrader generate_feedback`` (and the formgrader's Generate Feedback button): the
feedback a student fetches shows each test's result and why it failed, never the hidden tests' code.

nbgrader renders the autograded notebook as it is, and that notebook holds the hidden tests, restored
for grading, in the test cells' source and in their tracebacks. This step, run after nbgrader's
``GetGrades``, replaces each hidden block by a note of its length and each failure's output by the
message the course's own feedback pages give (``feedback.failure_message``: the exception and what went
to stderr, without any line that quotes hidden code). Cells without hidden tests are left as they are.
The course's ``nbgrader_config.py`` puts it in nbgrader's pipeline.
"""
import nbformat
from nbconvert.preprocessors import Preprocessor
from traitlets import Bool

from autograder import feedback


class HideHiddenTests(Preprocessor):
    enabled = Bool(True)  # nbconvert's steps are off unless enabled; nbgrader's pipeline never enables them

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not feedback.HIDDEN.search(cell.source):
            return cell, resources
        failed = feedback._outputs(cell, "error") or feedback._outputs(cell, "stream")
        message = feedback.failure_message(cell) if failed else ""
        cell.source = feedback.hide_hidden(cell.source)
        cell.outputs = [nbformat.v4.new_output("stream", name="stderr", text=message + "\n")] if message else []
        return cell, resources
