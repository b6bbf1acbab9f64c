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


def changed_arguments(function, *args, **kwargs):
    """``(result, positions)``: call ``function`` on copies of ``args`` and say which positional
    arguments it changed in place (a test of "do not modify the input").

    In a notebook the copies are compared with the originals. Under the course's autograder a
    student's function runs in another process and never changes the test's objects; the grader
    reports which arguments it changed, and this function reads that report.
    """
    import copy

    copies = [copy.deepcopy(a) for a in args]
    result = function(*copies, **kwargs)
    reported = getattr(function, "last_call_changed", None)
    if isinstance(reported, list):
        return result, reported
    return result, [i for i, (a, c) in enumerate(zip(args, copies)) if not _same_value(a, c)]


def _same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape \
            and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(_same_value(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same_value(a[k], b[k]) for k in a)
    return a == b
