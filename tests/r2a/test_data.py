import numpy as np
import pytest

from r2a import data


def rng(seed=0):
    return np.random.default_rng(seed)


def test_random_tokens_shape_range_and_seed():
    x = data.random_tokens(rng(), 50, 7, 5)
    assert x.shape == (50, 7) and x.dtype == np.int64
    assert x.min() >= 0 and x.max() < 5
    np.testing.assert_array_equal(x, data.random_tokens(rng(), 50, 7, 5))


def test_copy_and_reversal_targets():
    x, y = data.copy_task(rng(), 4, 6, 9)
    np.testing.assert_array_equal(x, y)
    x, y = data.reversal_task(rng(), 4, 6, 9)
    np.testing.assert_array_equal(y, x[:, ::-1])
    y[0, 0] = -1
    assert x[0, -1] != -1, "targets must not be a view of the inputs"


def test_recall_task_layout():
    x, y = data.recall_task(rng(), 200, gap=5, vocab_size=4)
    assert x.shape == (200, 7) and y.shape == (200,)
    np.testing.assert_array_equal(x[:, 0], y)
    assert np.all(x[:, -1] == 4), "the last symbol is the query marker"
    assert x[:, :-1].max() < 4
    assert set(np.unique(y)) == {0, 1, 2, 3}


def test_recall_task_gap_zero():
    x, y = data.recall_task(rng(), 3, gap=0)
    assert x.shape == (3, 2)


@pytest.mark.parametrize("call", [
    lambda: data.random_tokens(rng(), 0, 3, 3),
    lambda: data.random_tokens(rng(), 2, 3.5, 3),
    lambda: data.recall_task(rng(), 2, gap=-1),
    lambda: data.copy_task(rng(), 2, 3, 0),
])
def test_bad_sizes_are_rejected_clearly(call):
    with pytest.raises(ValueError, match="must be"):
        call()


def test_minibatches_cover_every_sample_once_and_stay_aligned():
    x = np.arange(10)
    y = x * 10
    seen = []
    for bx, by in data.minibatches(rng(), 3, x, y):
        np.testing.assert_array_equal(by, bx * 10)
        assert len(bx) <= 3
        seen.extend(bx)
    assert sorted(seen) == list(range(10))
    with pytest.raises(ValueError):
        list(data.minibatches(rng(), 3, x, y[:5]))
