"""Toy sequence tasks small enough to train on a laptop CPU in seconds.

Every generator takes a ``np.random.Generator`` so a lecture's data depend only on its seed, and
returns integer numpy arrays (convert with ``torch.from_numpy`` where a model needs tensors).
"""
import numpy as np


def _check_positive(**values):
    for name, value in values.items():
        if int(value) != value or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


def random_tokens(rng: np.random.Generator, n_samples: int, length: int, vocab_size: int) -> np.ndarray:
    """Uniform random token ids in ``[0, vocab_size)``, shape ``(n_samples, length)``."""
    _check_positive(n_samples=n_samples, length=length, vocab_size=vocab_size)
    return rng.integers(0, vocab_size, size=(n_samples, length), dtype=np.int64)


def copy_task(rng, n_samples, length, vocab_size):
    """Inputs and targets of the copy task: the target is the input itself."""
    x = random_tokens(rng, n_samples, length, vocab_size)
    return x, x.copy()


def reversal_task(rng, n_samples, length, vocab_size):
    """Inputs and targets of the reversal task: the target is the input read backwards."""
    x = random_tokens(rng, n_samples, length, vocab_size)
    return x, x[:, ::-1].copy()


def recall_task(rng, n_samples, gap, vocab_size=8):
    """The long-range recall task: remember the first token across ``gap`` distractors.

    Each sequence is ``[target, d_1, ..., d_gap, QUERY]`` where the target and the distractors are
    drawn from ``[0, vocab_size)`` and ``QUERY = vocab_size`` marks the end. The label is the
    target, so a model that forgot it can do no better than chance, ``1 / vocab_size``.
    Returns ``(x, y)`` with shapes ``(n_samples, gap + 2)`` and ``(n_samples,)``; the input vocabulary
    has ``vocab_size + 1`` symbols.
    """
    _check_positive(n_samples=n_samples, vocab_size=vocab_size)
    if int(gap) != gap or gap < 0:
        raise ValueError(f"gap must be a non-negative integer, got {gap!r}")
    body = random_tokens(rng, n_samples, gap + 1, vocab_size)
    query = np.full((n_samples, 1), vocab_size, dtype=np.int64)
    return np.concatenate([body, query], axis=1), body[:, 0].copy()


def minibatches(rng, batch_size, *arrays):
    """Yield shuffled minibatches (tuples of aligned slices) covering every sample once."""
    _check_positive(batch_size=batch_size)
    n = len(arrays[0])
    if any(len(a) != n for a in arrays):
        raise ValueError("all arrays must have the same number of samples")
    order = rng.permutation(n)
    for start in range(0, n, batch_size):
        idx = order[start:start + batch_size]
        yield tuple(a[idx] for a in arrays)
