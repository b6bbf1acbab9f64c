"""r2a: the small helper package shared by the lectures of *From Recurrence to Attention*.

Lectures import it instead of pasting the same code; every public function is covered by the
unit tests in ``tests/r2a``, so an old lecture does not silently break when a helper changes.

    import r2a
    rng = r2a.setup(seed=0)          # seeds, one thread, course plot style
    r2a.cmp("h_T", ours, torch_ref)  # one-line check against a reference

Modules, by what they hold:

* helpers: ``reproducibility`` (``setup``), ``checks`` (``cmp``, ``changed_arguments``), ``data``
  (toy tasks), ``timing`` (wall-clock and scaling exponents), ``graphs`` (dependency depth and
  path length), ``training`` (the shared training loop);
* models: ``recurrent`` (RNN Jacobians, gradient norm by input position, RNN/LSTM classifiers),
  ``seq2seq`` (GRU encoder-decoder with a fixed context or attention), ``attention_models``
  (small self-attention models), ``linear_recurrence`` (linear attention, the parallel scan,
  state-space layers, KV cache against a fixed state, associative recall);
* experiments: ``bottleneck`` (the context-bottleneck sweep of Lectures 3 and 4);
* figures: ``plotting`` (course style, heatmaps, attention grids, log-log fits, sweep curves),
  ``diagrams`` (dependency graphs and the encoder-decoder, drawn).

It needs only numpy, matplotlib and torch, so ``pip install`` of the repository is all Colab
needs; the course tooling (``coursetools``) and the autograder are not part of it.
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
