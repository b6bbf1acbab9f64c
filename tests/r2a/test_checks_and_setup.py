import numpy as np
import pytest
import torch

import r2a
from r2a.checks import max_abs_diff


def test_cmp_prints_the_tolerance_not_the_difference(capsys):
    r2a.cmp("same", np.ones(3), torch.ones(3, dtype=torch.float64), tol=1e-9)
    out = capsys.readouterr().out
    assert "same" in out and "agrees to within 1e-09" in out


def test_cmp_raises_beyond_the_tolerance():
    with pytest.raises(AssertionError, match="exceeds"):
        r2a.cmp("off", np.zeros(2), np.array([0.0, 1e-3]), tol=1e-6)


def test_max_abs_diff_accepts_tensors_and_rejects_shape_mismatch():
    assert max_abs_diff(torch.tensor([1.0, 2.0]), np.array([1.0, 2.5])) == pytest.approx(0.5)
    assert max_abs_diff(np.zeros(0), np.zeros(0)) == 0.0
    with pytest.raises(ValueError, match="shape mismatch"):
        max_abs_diff(np.zeros(3), np.zeros((3, 1)))


def test_setup_makes_numpy_and_torch_repeatable():
    first = r2a.setup(seed=3).normal(size=4), torch.randn(4)
    second = r2a.setup(seed=3).normal(size=4), torch.randn(4)
    np.testing.assert_array_equal(first[0], second[0])
    assert torch.equal(first[1], second[1])
    assert not np.array_equal(r2a.setup(seed=4).normal(size=4), first[0])


def test_setup_pins_torch_threads_and_applies_the_style():
    import matplotlib as mpl

    r2a.setup(seed=0, threads=1)
    assert torch.get_num_threads() == 1
    assert mpl.rcParams["axes.spines.top"] is False
    with pytest.raises(ValueError):
        r2a.setup(threads=0)


def test_importing_r2a_pins_blas_threads_unless_already_set():
    import os

    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        assert os.environ.get(var), f"{var} should be set once r2a is imported"
