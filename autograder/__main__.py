import sys

if sys.argv[1:2] == ["check"]:
    # A learner waits for `check`: its test runner (2 s of importing torch) starts now, while the
    # grader imports nbgrader (1.5 s), rather than after.
    from autograder import runner

    runner.start_early()

from autograder.cli import main  # noqa: E402

sys.exit(main())
