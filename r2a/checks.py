"""A one-line check of a hand-built result against a reference (torch, autograd, a formula)."""
import numpy as np


def _as_numpy(x) -> np.ndarray:
    if hasattr(x, "detach"):  # a torch tensor, without importing torch here
        x = x.detach().cpu().numpy()
    return np.asarray(x, dtype=np.float64)


def max_abs_diff(ours, reference) -> float:
    """Largest absolute element-wise difference; the shapes must match exactly."""
    a, b = _as_numpy(ours), _as_numpy(reference)
    if a.shape != b.shape:
        raise ValueError(f"shape mismatch: ours {a.shape} vs reference {b.shape}")
    return float(np.max(np.abs(a - b))) if a.size else 0.0


def cmp(name: str, ours, reference, tol: float = 1e-6) -> None:
    """Print whether ``ours`` agrees with ``reference`` to within ``tol``, and assert that it does.

    The printed line names the tolerance, not the measured difference: the last bits of a float
    result differ between CPUs, and a lecture's recorded output must not. Use ``max_abs_diff``
    to look at the difference itself.
    """
    diff = max_abs_diff(ours, reference)
    ok = diff <= tol
    print(f"{name:<40} {'agrees' if ok else 'DIFFERS'} to within {tol:.0e}")
    if not ok:
        raise AssertionError(f"{name}: max |difference| {diff:.3e} exceeds {tol:.0e}")
