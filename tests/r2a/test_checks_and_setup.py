import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import r2a
from r2a.checks import max_abs_diff
from tests.helpers import COURSE

ROOT = COURSE.root
BLAS_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


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


@pytest.fixture
def restore_torch_threads():
    """The suite runs on one torch thread (tests/conftest.py); put that back whatever a test sets."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def test_setup_pins_torch_to_one_thread_or_the_number_asked_for(restore_torch_threads):
    torch.set_num_threads(3)  # as a fresh process on a multi-core machine starts
    r2a.setup(seed=0)
    assert torch.get_num_threads() == 1
    r2a.setup(seed=0, threads=2)
    assert torch.get_num_threads() == 2
    with pytest.raises(ValueError, match="threads must be at least 1"):
        r2a.setup(threads=0)


def test_setup_applies_the_course_style_unless_told_not_to():
    import matplotlib as mpl

    with mpl.rc_context():
        mpl.rcdefaults()  # matplotlib's own style, which draws the top spine
        r2a.setup(seed=0, style=False)
        assert mpl.rcParams["axes.spines.top"] is True
        r2a.setup(seed=0)
        assert mpl.rcParams["axes.spines.top"] is False


def blas_variables_after_importing_r2a(**preset):
    """The BLAS thread variables a fresh interpreter sees once it has imported r2a."""
    env = {k: v for k, v in os.environ.items() if k not in BLAS_VARIABLES} | preset
    script = "import os, r2a; print(' '.join(os.environ.get(v, '-') for v in %r))" % (BLAS_VARIABLES,)
    # -c puts the working directory, the repository root, first on sys.path: this r2a, not an installed one.
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    return dict(zip(BLAS_VARIABLES, done.stdout.split()))


def test_importing_r2a_pins_blas_threads_unless_already_set():
    # The suite's own environment may set these already (the Makefile does), so a fresh one is needed.
    assert blas_variables_after_importing_r2a() == dict.fromkeys(BLAS_VARIABLES, "1")
    assert blas_variables_after_importing_r2a(OMP_NUM_THREADS="3") == {
        "OMP_NUM_THREADS": "3", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
