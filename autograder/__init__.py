"""The course's autograder: collect -> sandboxed execute -> score -> report. See autograder/README.md."""
import sys

# jsonschema, which nbformat and nbgrader import, compiles three Earley grammars of the optional
# rfc3987-syntax package when it is imported (1.1 s in every process: the grader, each worker, each
# test runner, `check`), for the "iri" string formats, which no notebook or nbgrader schema uses.
# Marking it absent makes jsonschema skip those two formats, as it does wherever it is not installed.
sys.modules.setdefault("rfc3987_syntax", None)
