"""Wall-clock measurements that are robust enough to assert on.

A single timing is noise; the *minimum* over a few repeats is the least disturbed run, and a slope
on a log-log plot (a scaling exponent) is far more stable across machines than any one number.
Where the cost changes its form with size (a fixed overhead at small sizes, a quadratic term that
takes over at large ones), ``regime_exponents`` fits one slope on each side of a boundary.
"""
import time

import numpy as np


def best_time(fn, repeats: int = 5, warmup: int = 1) -> float:
    """Seconds taken by the fastest of ``repeats`` calls of ``fn()``, after ``warmup`` calls."""
    if repeats < 1:
        raise ValueError(f"repeats must be at least 1, got {repeats}")
    for _ in range(warmup):
        fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def time_over_sizes(make_call, sizes, repeats: int = 5, rounds: int = 1) -> np.ndarray:
    """``best_time`` of ``make_call(size)()`` for each size; returns seconds as an array.

    With ``rounds > 1`` the sweep over all sizes is run ``rounds`` times, interleaved, and each
    size keeps its fastest time over every round. A busy moment on a shared machine then spoils one
    round of one size instead of every repeat of it. ``make_call`` is called once per size, and only
    the first round warms up.
    """
    if rounds < 1:
        raise ValueError(f"rounds must be at least 1, got {rounds}")
    calls = [make_call(size) for size in sizes]
    best = np.full(len(calls), np.inf)
    for round_number in range(rounds):
        for i, call in enumerate(calls):
            best[i] = min(best[i], best_time(call, repeats=repeats, warmup=1 if round_number == 0 else 0))
    return best


def scaling_exponent(sizes, values) -> float:
    """Slope of the least-squares line through ``(log sizes, log values)``: values ~ size ** slope."""
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    if sizes.shape != values.shape or sizes.size < 2:
        raise ValueError("need at least two (size, value) pairs of equal length")
    if np.any(sizes <= 0) or np.any(values <= 0):
        raise ValueError("sizes and values must be positive to take logarithms")
    slope, _ = np.polyfit(np.log(sizes), np.log(values), 1)
    return float(slope)


def regime_exponents(sizes, values, boundary) -> tuple:
    """Scaling exponents on either side of ``boundary``, as the pair
    ``(slope over the sizes <= boundary, slope over the sizes >= boundary)``.

    A size equal to the boundary belongs to both regimes, so the two fitted lines meet near it. Each
    regime needs at least two sizes.
    """
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    if sizes.shape != values.shape:
        raise ValueError("sizes and values must have the same shape")
    below, above = sizes <= boundary, sizes >= boundary
    if below.sum() < 2 or above.sum() < 2:
        raise ValueError(f"need at least two sizes on each side of the boundary {boundary}, "
                         f"got {int(below.sum())} below and {int(above.sum())} above")
    return scaling_exponent(sizes[below], values[below]), scaling_exponent(sizes[above], values[above])
