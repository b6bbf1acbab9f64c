"""Hidden tests accept every correct implementation and reject the known misconceptions."""
import importlib

import pytest

from tests.helpers.assignment_harness import ASSIGNMENTS, answer_cells, function_score, isolated_score, score, source_notebook


def variant_module(assignment):
    try:
        return importlib.import_module(f"tests.helpers.assignment_variants.{assignment}")
    except ModuleNotFoundError:
        return None


def test_every_assignment_has_a_variants_module():
    missing = [a for a in ASSIGNMENTS if variant_module(a) is None]
    assert not missing, f"no tests/helpers/assignment_variants/<id>.py for {missing}"


def cases(kind):
    for assignment in ASSIGNMENTS:
        for name, variants in getattr(variant_module(assignment), kind, {}).items():
            for label in variants:
                yield pytest.param(assignment, name, label, id=f"{assignment}:{name}:{label}")


def test_every_answer_cell_has_variants_of_both_kinds():
    for assignment in ASSIGNMENTS:
        module = variant_module(assignment)
        if module is None:
            continue  # reported by test_every_assignment_has_a_variants_module
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
    earned, possible = function_score(assignment, isolated_score(assignment, {name: source}, only=name), name)
    assert earned == possible, f"{label!r} is correct but earned {earned} of {possible}"


@pytest.mark.parametrize("assignment, name, label", list(cases("WRONG")))
def test_a_misconception_loses_points(assignment, name, label):
    source = variant_module(assignment).WRONG[name][label]
    earned, possible = function_score(assignment, isolated_score(assignment, {name: source}, only=name), name)
    assert earned < possible, f"{label!r} is wrong but earned full marks ({possible})"


def test_variants_are_isolated_from_each_other():
    """A variant that changes the interpreter (here: numpy's allclose) changes nothing for the
    next one, because each is scored in a process of its own."""
    saboteur = "np.allclose = lambda *a, **k: True\n" + answer_cells(source_notebook(
        "a1_recurrence_and_gradients"))["clip_by_global_norm"]
    wrong = "def clip_by_global_norm(grads, max_norm):\n    return grads\n"
    isolated_score("a1_recurrence_and_gradients", {"clip_by_global_norm": saboteur}, only="clip_by_global_norm")
    earned, possible = function_score("a1_recurrence_and_gradients",
                                      isolated_score("a1_recurrence_and_gradients", {"clip_by_global_norm": wrong},
                                                     only="clip_by_global_norm"), "clip_by_global_norm")
    assert earned < possible


def test_the_harness_scores_a_warning_as_a_failed_cell():
    """nbgrader gives 0 to a test cell that writes to stderr; a warning does exactly that."""
    from tests.helpers import assignment_harness

    noisy = """
import warnings
def clip_by_global_norm(grads, max_norm):
    warnings.warn("a correct answer that warns")
    total = sum(np.sum(g * g) for g in grads) ** 0.5
    factor = min(1.0, max_norm / total) if total > 0 else 1.0
    return [np.array(g) * factor for g in grads]
"""
    scores = score("a1_recurrence_and_gradients", {"clip_by_global_norm": noisy}, only="clip_by_global_norm")
    earned, possible = function_score("a1_recurrence_and_gradients", scores, "clip_by_global_norm")
    assert earned == 0 < possible
    assert assignment_harness._run_cell("import sys; sys.stderr.write('x')", {}, "<stderr>") is False
    assert assignment_harness._run_cell("x = 1", {}, "<quiet>") is True
