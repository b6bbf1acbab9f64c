"""r2a: the small helper package shared by the lectures of *From Recurrence to Attention*.

Lectures import it instead of pasting the same code; every public function is covered by the
unit tests in ``tests/``, so an old lecture does not silently break when a helper changes.

    import r2a
    rng = r2a.setup(seed=0)          # seeds, one thread, course plot style
    r2a.cmp("h_T", ours, torch_ref)  # one-line check against a reference

Modules: ``reproducibility`` (setup), ``checks`` (cmp), ``data`` (toy tasks), ``timing``
(wall-clock and scaling exponents), ``graphs`` (dependency depth and path length), ``plotting``
(style, heatmaps, attention grids, log-log fits), ``training`` (the shared training loop),
``recurrent`` (RNN Jacobians, gradient norm by input position, RNN/LSTM classifiers),
``seq2seq`` (encoder-decoder with optional attention, and the bottleneck experiment),
``attention_models`` (small self-attention models), ``notebooks`` (the .py/.ipynb twin tooling).
"""
import os as _os

# BLAS reads its thread count once, when numpy is first imported. Importing r2a first (as every
# lecture does) pins it to one thread so results are identical run to run; the Makefile sets the
# same variables for everything it starts.
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    _os.environ.setdefault(_var, "1")

from .checks import cmp  # noqa: E402
from .reproducibility import setup  # noqa: E402

__all__ = ["cmp", "setup"]
__version__ = "0.1.0"
