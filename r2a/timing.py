"""Wall-clock measurements that are robust enough to assert on.

A single timing is noise; the *minimum* over a few repeats is the least disturbed run, and a slope
on a log-log plot (a scaling exponent) is far more stable across machines than any one number.
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


def time_over_sizes(make_call, sizes, repeats: int = 5) -> np.ndarray:
    """``best_time`` of ``make_call(size)()`` for each size; returns seconds as an array."""
    return np.array([best_time(make_call(size), repeats=repeats) for size in sizes])


def scaling_exponent(sizes, values) -> float:
    """Slope of the least-squares line through ``(log sizes, log values)``: values ~ size ** slope."""
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    if sizes.shape != values.shape or sizes.size < 2:
        raise ValueError("need at least two (size, value) pairs of equal length")
    if np.any(sizes <= 0) or np.any(values <= 0):
        raise ValueError("sizes and values must be positive to take logarithms")
    slope, _ = np.polyfit(np.log(sizes), np.log(values), 1)
    return float(slope)
