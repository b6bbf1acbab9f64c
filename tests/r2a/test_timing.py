"""r2a.timing's logic, on a fake clock: how long the machine takes is a benchmark's business."""
import types

import numpy as np
import pytest

from r2a import timing


@pytest.fixture
def clock(monkeypatch):
    """A clock that moves only when a timed function calls ``clock.spend(seconds)``.

    It replaces the ``time`` module as r2a.timing sees it, and nowhere else (pytest keeps its own).
    Durations are powers of two, so every sum and difference below is exact.
    """
    fake = types.SimpleNamespace(now=0.0)
    fake.perf_counter = lambda: fake.now
    fake.spend = lambda seconds: setattr(fake, "now", fake.now + seconds)
    monkeypatch.setattr(timing, "time", fake)
    return fake


def test_best_time_is_the_fastest_repeat_and_leaves_out_the_warmup(clock):
    durations = iter([0.25, 0.5, 4.0, 2.0, 8.0, 16.0])  # two warm-up calls, faster than any repeat
    calls = []

    def work():
        calls.append(1)
        clock.spend(next(durations))

    assert timing.best_time(work, repeats=4, warmup=2) == 2.0
    assert len(calls) == 6


def test_best_time_with_one_repeat_and_no_warmup_is_that_one_call(clock):
    assert timing.best_time(lambda: clock.spend(0.5), repeats=1, warmup=0) == 0.5


def test_best_time_rejects_zero_repeats():
    with pytest.raises(ValueError, match="repeats must be at least 1"):
        timing.best_time(lambda: None, repeats=0)


def test_time_over_sizes_times_each_size_with_its_own_call(clock):
    made = []

    def make_call(size):
        made.append(size)
        return lambda: clock.spend(float(size))

    times = timing.time_over_sizes(make_call, [1, 2, 4], repeats=3)
    assert made == [1, 2, 4]
    np.testing.assert_array_equal(times, [1.0, 2.0, 4.0])


def test_scaling_exponent_recovers_a_power_law():
    sizes = np.array([10, 20, 40, 80])
    assert timing.scaling_exponent(sizes, 3.0 * sizes ** 1.5) == pytest.approx(1.5)
    assert timing.scaling_exponent(sizes, 2.0 / sizes) == pytest.approx(-1.0)


@pytest.mark.parametrize("sizes, values", [([1], [1]), ([1, 2], [1, 0]), ([1, 2, 3], [1, 2])])
def test_scaling_exponent_rejects_bad_input(sizes, values):
    with pytest.raises(ValueError):
        timing.scaling_exponent(sizes, values)


def test_regime_exponents_fit_each_side_of_the_boundary_with_the_boundary_in_both():
    sizes = np.array([1, 2, 4, 8, 16, 32])
    values = np.where(sizes <= 8, 5.0 * sizes, 5.0 * 8 * (sizes / 8) ** 2)  # slope 1, then slope 2 from 8 on
    below, above = timing.regime_exponents(sizes, values, 8)
    assert below == pytest.approx(1.0) and above == pytest.approx(2.0)
    between = timing.regime_exponents(sizes, values, 10)  # a boundary between two sizes splits them
    assert between[0] == pytest.approx(timing.scaling_exponent(sizes[:4], values[:4]))
    assert between[1] == pytest.approx(2.0)


def test_regime_exponents_needs_two_sizes_on_each_side():
    with pytest.raises(ValueError, match="two sizes on each side"):
        timing.regime_exponents([1, 2, 4], [1, 2, 4], 1.5)
    with pytest.raises(ValueError, match="same shape"):
        timing.regime_exponents([1, 2, 4], [1, 2], 2)


def test_time_over_sizes_keeps_each_sizes_fastest_round(clock):
    # One call per size, made once; round r of size s takes durations[s][r], with a busy moment
    # in a different round for each size. Two repeats per round, after one warm-up call in round 0.
    durations = {1: [8.0, 1.0, 1.0], 2: [2.0, 16.0, 2.0], 4: [4.0, 4.0, 32.0]}
    made, rounds_seen = [], {size: [] for size in durations}

    def make_call(size):
        made.append(size)
        calls = iter([durations[size][0]] + [d for d in durations[size] for _ in range(2)])  # warm-up first
        return lambda: (rounds_seen[size].append(1), clock.spend(next(calls)))

    times = timing.time_over_sizes(make_call, [1, 2, 4], repeats=2, rounds=3)
    assert made == [1, 2, 4], "each size's call is made once, not once per round"
    np.testing.assert_array_equal(times, [1.0, 2.0, 4.0])
    assert {size: len(seen) for size, seen in rounds_seen.items()} == {1: 7, 2: 7, 4: 7}, "1 warm-up + 3 x 2"


def test_time_over_sizes_interleaves_the_rounds(clock):
    order = []
    timing.time_over_sizes(lambda size: (lambda: order.append(size)), [1, 2], repeats=1, rounds=2)
    assert order == [1, 1, 2, 2, 1, 2], "round 0 (warm-up + repeat per size), then round 1 without warm-up"


def test_time_over_sizes_rejects_zero_rounds():
    with pytest.raises(ValueError, match="rounds must be at least 1"):
        timing.time_over_sizes(lambda size: (lambda: None), [1], rounds=0)
