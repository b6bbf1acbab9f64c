"""Alternative correct implementations and known misconceptions, one module per assignment.

Each module defines two dicts, ``CORRECT`` and ``WRONG``: ``{answer grade_id: {label: source}}``.
Every CORRECT source must earn full marks on all of that answer's test cells; every WRONG source
must lose points on at least one of them. tests/test_assignment_variants.py enforces both.
"""
