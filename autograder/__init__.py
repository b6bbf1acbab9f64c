"""The course's autograder: collect -> sandboxed execute -> score -> report. See autograder/README.md."""
