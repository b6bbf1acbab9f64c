"""Hidden tests accept every correct implementation and reject the known misconceptions."""
import importlib

import pytest

from assignment_harness import ASSIGNMENTS, answer_cells, function_score, score, source_notebook


def variant_module(assignment):
    return importlib.import_module(f"assignment_variants.{assignment}")


def cases(kind):
    for assignment in ASSIGNMENTS:
        for name, variants in getattr(variant_module(assignment), kind).items():
            for label in variants:
                yield pytest.param(assignment, name, label, id=f"{assignment}:{name}:{label}")


def test_every_answer_cell_has_variants_of_both_kinds():
    for assignment in ASSIGNMENTS:
        module = variant_module(assignment)
        for name in answer_cells(source_notebook(assignment)):
            assert module.CORRECT.get(name), f"{assignment}: no alternative correct answer for {name}"
            assert module.WRONG.get(name), f"{assignment}: no misconception for {name}"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_solution_earns_every_point(assignment):
    lost = {k: v for k, v in score(assignment).items() if v[0] != v[1]}
    assert not lost, f"the instructor solution loses points: {lost}"


@pytest.mark.parametrize("assignment, name, label", list(cases("CORRECT")))
def test_a_correct_alternative_earns_full_marks(assignment, name, label):
    source = variant_module(assignment).CORRECT[name][label]
    earned, possible = function_score(score(assignment, {name: source}), name)
    assert earned == possible, f"{label!r} is correct but earned {earned} of {possible}"


@pytest.mark.parametrize("assignment, name, label", list(cases("WRONG")))
def test_a_misconception_loses_points(assignment, name, label):
    source = variant_module(assignment).WRONG[name][label]
    earned, possible = function_score(score(assignment, {name: source}), name)
    assert earned < possible, f"{label!r} is wrong but earned full marks ({possible})"
