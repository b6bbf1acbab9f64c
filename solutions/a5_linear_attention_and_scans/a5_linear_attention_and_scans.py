# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 5 — Recurrence returns: linear attention and scans
#
# **Goals.** Write causal linear attention twice, as a masked matrix product and as a recurrence
# with a fixed-size state, and make the two agree; compute a linear recurrence with a parallel scan
# in a logarithmic number of rounds; count what a KV cache and a recurrent state cost in memory;
# then explain, from your own measurements, when a fixed state loses to attention.
#
# **Before you start:** Lecture 6 (*Why attention replaced recurrence*) and Lecture 7 (*Recurrence
# returns*), in the course's `lectures/` folder. Everything the exercises use is also defined
# below, so the assignment can be done from this notebook alone.
#
# **Estimated time:** 2 hours.
#
# **How this is graded.** Write your code where it says `YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and your written answer where it says so. The test cells
# below each exercise are the *visible* tests: shapes, types and one simple case. When your work is
# graded, hidden tests also run: other sizes, feature maps and decays (including decay 0 and
# exactly 1), sequences of length 1, a long sequence for the memory check of part 2, and
# comparisons with independent references, one of them written with PyTorch in double precision.
# Passing the visible tests is necessary, not sufficient. Press **Validate** in the toolbar to run
# everything you can see before you submit. Partial work earns partial credit: each function's
# points are split over several test cells, and each test cell checks one function only.
#
# **Studying on your own?** When the visible tests pass, check your work against every test,
# hidden ones included. From the course folder, with the path to your copy of this notebook:
#
# ```
# .venv/bin/python -m autograder check a5_linear_attention_and_scans.ipynb
# ```
#
# It prints your points per question and why a test failed, and changes nothing. Written answers
# are graded by hand in a class; working alone, compare yours with the model answer and its rubric
# in the instructor version, in `solutions/a5_linear_attention_and_scans/`, once you have written
# your own.
#
# Use numpy only in your answers. Do not change the function names or signatures, and do not
# edit or delete the test cells. The tests pass float64 arrays and compare your results with
# float64 references to within 1e-10; numpy computes in float64 by default, so do not convert to
# float32. No function may modify the arrays it is given. A test cell also fails if your code
# prints a warning while it runs (for example numpy's `RuntimeWarning: divide by zero encountered
# in power`), so make your code quiet rather than silencing the warning.
#
# | part | what | points |
# |---|---|---|
# | 1 | `linear_attention_parallel` | 4 |
# | 2 | `linear_attention_recurrent` | 4 |
# | 3 | predict, then check: `decayed_weight` | 2 |
# | 4 | `linear_scan` | 4 |
# | Q4 | multiple choice: which recurrences a scan can compute | 1 |
# | 5 | `inference_memory` | 2 |
# | 6 | experiment: recall with a fixed state (not graded, must run) | 0 |
# | 7 | written: when a fixed state loses to attention (graded by hand) | 4 |
# | | **total** | **21** |
#
# (Multiple-choice questions are numbered across the course's assignments.)

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

# %% [markdown] nbgrader={"grade": false, "grade_id": "linear_attention_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Linear attention
#
# Softmax attention (Lecture 5) gives the value of position $s$, for the query of position $t$, a
# weight proportional to $\exp(q_t \cdot k_s / \sqrt{d_k})$. **Linear attention** (Katharopoulos et al.,
# 2020) uses a dot product of *feature maps* instead, $\phi(q_t) \cdot \phi(k_s)$, where $\phi$
# turns each entry of a vector into a positive number. In a causal model position $t$ looks at
# positions $s \le t$ only; with a **decay** $\gamma$, a position $t - s$ steps back is also
# weighted by a factor $\gamma^{t-s}$:
#
# $$y_t = \frac{\sum_{s=0}^{t} \gamma^{\,t-s}\, \big(\phi(q_t) \cdot \phi(k_s)\big)\, v_s}
#              {\sum_{s=0}^{t} \gamma^{\,t-s}\, \big(\phi(q_t) \cdot \phi(k_s)\big)}.$$
#
# So $y_t$ is a weighted average of $v_0, \dots, v_t$. These conventions hold for parts 1 and 2 and
# for every test of them:
#
# * `Q` and `K` have shape `(T, d_k)` and `V` has shape `(T, d_v)`, with `T >= 1`; row `t` holds
#   $q_t$, $k_t$ and $v_t$, for positions $t = 0, 1, \dots, T - 1$.
# * The result `Y` is a float array of shape `(T, d_v)` whose row `t` is $y_t$.
# * Both sums run over $s = 0, \dots, t$, so position $t$ sees itself.
# * `feature_map` is a function that takes an array and returns an array of the same shape, acting
#   on each entry separately, so you may call it on the whole of `Q` or on one row at a time.
# * It is applied to the queries and the keys, never to the values.
# * The tests pass only feature maps and inputs for which every $\phi(q_t) \cdot \phi(k_s)$ is
#   positive, so the denominator is never 0.
# * The default feature map is `elu_plus_one`, defined in the cell below: $x + 1$ for $x > 0$ and
#   $e^x$ for $x \le 0$.
# * `decay` is $\gamma$, a float with $0 \le \gamma \le 1$; `decay = 1.0` means no decay.
# * The factor for $s = t$ is $\gamma^0 = 1$ for every $\gamma$, **including $\gamma = 0$** (take
#   $0^0 = 1$): with `decay = 0.0` only $s = t$ keeps a nonzero weight, so $y_t = v_t$.

# %% nbgrader={"grade": false, "grade_id": "feature_map", "locked": true, "schema_version": 3, "solution": false, "task": false}
def elu_plus_one(x):
    """The feature map of Katharopoulos et al. (2020): elu(x) + 1, that is x + 1 for x > 0 and
    exp(x) for x <= 0. Always positive; acts on each entry separately."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


# %% [markdown] nbgrader={"grade": false, "grade_id": "linear_attention_parallel_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1 — The parallel form (4 points)
#
# Implement `linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0)`: return `Y`
# as defined above.
#
# This is the form a GPU runs for all positions at once. Build the `(T, T)` matrix of weights
# $A[t, s] = \gamma^{t-s}\, \phi(q_t) \cdot \phi(k_s)$ for $s \le t$ and $A[t, s] = 0$ for
# $s > t$ (the causal mask); then $y_t$ is row $t$ of `A @ V` divided by the sum of row $t$ of `A`.
# Like softmax attention, this form needs memory for $T^2$ numbers; part 2 does without.
#
# Careful with the decay: `decay ** (t - s)` for $s > t$ has a negative exponent, which divides by
# zero when `decay = 0.0` and overflows for a small decay and a long sequence, with a warning, even
# if you mask those entries afterwards. Raise `decay` only to exponents $t - s \ge 0$, for example
# with `np.maximum(t - s, 0)` before masking.

# %% nbgrader={"grade": false, "grade_id": "linear_attention_parallel", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    """Causal linear attention with decay, all positions at once; returns Y of shape (T, d_v)."""
    ### BEGIN SOLUTION
    phi_q, phi_k = feature_map(Q), feature_map(K)
    positions = np.arange(Q.shape[0])
    distance = positions[:, None] - positions[None, :]  # t - s
    # decay ** 0 = 1 even for decay 0; the exponents of masked entries are clipped to 0, so nothing
    # is raised to a negative power
    decay_mask = np.where(distance >= 0, decay ** np.maximum(distance, 0), 0.0)
    A = decay_mask * (phi_q @ phi_k.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_parallel_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(0)
_Y = linear_attention_parallel(_rng.normal(size=(5, 3)), _rng.normal(size=(5, 3)), _rng.normal(size=(5, 2)))
assert isinstance(_Y, np.ndarray), "linear_attention_parallel must return a numpy array"
assert _Y.shape == (5, 2), f"expected shape (T, d_v) = (5, 2), got {_Y.shape}"
assert np.issubdtype(_Y.dtype, np.floating), f"expected a float array, got {_Y.dtype}"
# One position sees only itself: y_0 = v_0.
_V = _rng.normal(size=(1, 4))
_Y = linear_attention_parallel(_rng.normal(size=(1, 3)), _rng.normal(size=(1, 3)), _V.copy())
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), f"with T = 1 the output is V itself, got {_Y}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(11)
for _T, _d_k, _d_v in [(1, 1, 1), (1, 5, 3), (7, 1, 5), (3, 6, 1), (12, 4, 4), (2, 3, 7)]:
    _Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
    for _decay in (0.0, 0.5, 1.0):
        _Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=_decay)
        assert isinstance(_Y, np.ndarray) and np.issubdtype(_Y.dtype, np.floating)
        assert _Y.shape == (_T, _d_v), f"expected shape {(_T, _d_v)}, got {_Y.shape}"
        assert np.allclose(_Y[0], _V[0], rtol=0, atol=1e-10), "position 0 sees only itself: y_0 = v_0"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_parallel_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# By hand, with the identity feature map and positive inputs: phi(q_t) . phi(k_s) = q_t k_s.
# y_0 = v_0 = 10;  y_1 = (1*1*10 + 1*2*20) / (1*1 + 1*2) = 50/3.
_Y = linear_attention_parallel(np.array([[1.0], [1.0]]), np.array([[1.0], [2.0]]), np.array([[10.0], [20.0]]),
                               feature_map=lambda x: x)
assert np.allclose(_Y, [[10.0], [50.0 / 3.0]], rtol=0, atol=1e-10), f"expected [[10], [50/3]], got {_Y}"
### BEGIN HIDDEN TESTS
def _reference(Q, K, V, phi, gamma):
    """The formula, one sum per position, written independently of any vectorised form."""
    fq, fk = phi(Q), phi(K)
    Y = np.empty((Q.shape[0], V.shape[1]))
    for t in range(Q.shape[0]):
        w = np.array([gamma ** (t - s) * float(fq[t] @ fk[s]) for s in range(t + 1)])
        Y[t] = w @ V[: t + 1] / w.sum()
    return Y


def _elu1(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


_feature_maps = [("elu+1", _elu1, False), ("exp", np.exp, False), ("x*x + 1", lambda x: x * x + 1.0, False),
                 ("x + 1 on inputs in [0, 2)", lambda x: x + 1.0, True)]
_rng = np.random.default_rng(12)
for _name, _phi, _positive in _feature_maps:
    for _T, _d_k, _d_v in [(1, 3, 2), (6, 2, 3), (25, 4, 5), (40, 8, 1)]:
        _draw = (lambda size: _rng.uniform(0.0, 2.0, size=size)) if _positive else (lambda size: _rng.normal(size=size))
        _Q, _K, _V = _draw((_T, _d_k)), _draw((_T, _d_k)), _rng.normal(size=(_T, _d_v))
        _ref = _reference(_Q, _K, _V, _phi, 1.0)
        if _phi is _elu1:  # the default feature map
            _Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy())
        else:
            _Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), feature_map=_phi)
        assert np.shape(_Y) == (_T, _d_v)
        assert np.allclose(_Y, _ref, rtol=0, atol=1e-10), f"differs from the formula: feature map {_name}, T={_T}"
# causality: changing the last position changes no earlier output
_Q, _K, _V = _rng.normal(size=(9, 3)), _rng.normal(size=(9, 3)), _rng.normal(size=(9, 2))
_Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy())
_Q2, _K2, _V2 = _Q.copy(), _K.copy(), _V.copy()
_Q2[-1] += 1.0
_K2[-1] -= 2.0
_V2[-1] += 5.0
_Y2 = linear_attention_parallel(_Q2, _K2, _V2)
assert np.allclose(_Y[:-1], _Y2[:-1], rtol=0, atol=1e-12), "an earlier position saw a later one: mask s > t"
# all-zero queries and keys: every phi(q).phi(k) is the same, so y_t is the running mean of v_0..v_t
_Y = linear_attention_parallel(np.zeros((6, 2)), np.zeros((6, 2)), _V[:6].copy())
assert np.allclose(_Y, np.cumsum(_V[:6], axis=0) / np.arange(1, 7)[:, None], rtol=0, atol=1e-10)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_parallel_decay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The same two positions with decay 0.5: y_1 = (0.5*1*10 + 1*2*20) / (0.5*1 + 1*2) = 18.
_Y = linear_attention_parallel(np.array([[1.0], [1.0]]), np.array([[1.0], [2.0]]), np.array([[10.0], [20.0]]),
                               feature_map=lambda x: x, decay=0.5)
assert np.allclose(_Y, [[10.0], [18.0]], rtol=0, atol=1e-10), f"with decay 0.5 expected [[10], [18]], got {_Y}"
# decay 0: only s = t keeps a weight (0**0 = 1), so Y = V, with no nan and no warning
_rng = np.random.default_rng(1)
_V = _rng.normal(size=(6, 3))
_Y = linear_attention_parallel(_rng.normal(size=(6, 4)), _rng.normal(size=(6, 4)), _V.copy(), decay=0.0)
assert np.all(np.isfinite(_Y)), "decay 0 must not give nan or inf: take 0**0 = 1"
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), "with decay 0, y_t = v_t"
### BEGIN HIDDEN TESTS
def _reference(Q, K, V, phi, gamma):
    fq, fk = phi(Q), phi(K)
    Y = np.empty((Q.shape[0], V.shape[1]))
    for t in range(Q.shape[0]):
        w = np.array([gamma ** (t - s) * float(fq[t] @ fk[s]) for s in range(t + 1)])
        Y[t] = w @ V[: t + 1] / w.sum()
    return Y


def _elu1(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


_rng = np.random.default_rng(13)
for _decay in (0.0, 0.05, 0.3, 0.5, 0.9, 0.99, 1.0):
    for _T, _d_k, _d_v in [(1, 2, 2), (5, 3, 2), (30, 2, 4)]:
        _Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
        _Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=_decay)
        assert np.allclose(_Y, _reference(_Q, _K, _V, _elu1, _decay), rtol=0, atol=1e-10), \
            f"differs from the formula with decay={_decay}, T={_T}"
        _Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), feature_map=np.exp, decay=_decay)
        assert np.allclose(_Y, _reference(_Q, _K, _V, np.exp, _decay), rtol=0, atol=1e-10), \
            f"differs from the formula with the exp feature map, decay={_decay}, T={_T}"
# decay 0 on a longer sequence: exactly the values, no nan, no warning
_V = _rng.normal(size=(200, 3))
_Y = linear_attention_parallel(_rng.normal(size=(200, 4)), _rng.normal(size=(200, 4)), _V.copy(), decay=0.0)
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), "with decay 0, y_t = v_t"
# a small decay and a long sequence: 0.05 ** -299 would overflow; the weights of s <= t do not
_Q, _K, _V = _rng.normal(size=(300, 2)), _rng.normal(size=(300, 2)), _rng.normal(size=(300, 2))
_Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=0.05)
assert np.all(np.isfinite(_Y)), "a small decay on a long sequence must not overflow"
assert np.allclose(_Y, _reference(_Q, _K, _V, _elu1, 0.05), rtol=0, atol=1e-10)
# decay exactly 1 is the same as no decay argument
_Q, _K, _V = _rng.normal(size=(10, 3)), _rng.normal(size=(10, 3)), _rng.normal(size=(10, 3))
assert np.allclose(linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=1.0),
                   linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy()), rtol=0, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_parallel_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments


def _torch_linear_attention(Q, K, V, gamma):
    """The same definition in PyTorch (float64): prefix sums of the state for gamma = 1, a decayed
    causal matrix built with torch.tril otherwise."""
    q = _torch.nn.functional.elu(_torch.from_numpy(Q.copy())) + 1.0
    k = _torch.nn.functional.elu(_torch.from_numpy(K.copy())) + 1.0
    v = _torch.from_numpy(V.copy())
    if gamma == 1.0:
        S = _torch.cumsum(k[:, :, None] * v[:, None, :], dim=0)  # (T, d_k, d_v)
        z = _torch.cumsum(k, dim=0)
        return (_torch.einsum("td,tde->te", q, S) / (q * z).sum(dim=1, keepdim=True)).numpy()
    T = Q.shape[0]
    t = _torch.arange(T, dtype=_torch.float64)
    exponent = _torch.clamp(t[:, None] - t[None, :], min=0.0)
    A = _torch.tril(_torch.full((T, T), gamma, dtype=_torch.float64) ** exponent) * (q @ k.T)
    return ((A @ v) / A.sum(dim=1, keepdim=True)).numpy()


_rng = np.random.default_rng(14)
for _T, _d_k, _d_v, _decay in [(1, 1, 1, 1.0), (8, 4, 4, 1.0), (50, 6, 3, 1.0), (64, 16, 8, 1.0),
                               (17, 5, 2, 0.7), (40, 3, 6, 0.95), (33, 8, 8, 0.0)]:
    _Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
    _ref = _torch_linear_attention(_Q, _K, _V, _decay)
    _Y, _changed = changed_arguments(linear_attention_parallel, _Q, _K, _V, decay=_decay)
    assert not _changed, f"linear_attention_parallel must not modify Q, K or V (changed: arguments {_changed})"
    assert np.shape(_Y) == (_T, _d_v)
    assert np.allclose(_Y, _ref, rtol=0, atol=1e-10), f"differs from PyTorch for T={_T}, decay={_decay}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "linear_attention_recurrent_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2 — The recurrent form (4 points)
#
# The numerator and the denominator of $y_t$ can be carried from one position to the next. Call
# **state** the $d_k \times d_v$ matrix $S_t = \sum_{s \le t} \gamma^{t-s}\, \phi(k_s)\, v_s^\top$
# and **normaliser** the vector of $d_k$ numbers $z_t = \sum_{s \le t} \gamma^{t-s}\, \phi(k_s)$.
# Starting from $S_{-1} = 0$ and $z_{-1} = 0$, they follow the recurrence
#
# $$S_t = \gamma\, S_{t-1} + \phi(k_t)\, v_t^\top, \qquad z_t = \gamma\, z_{t-1} + \phi(k_t), \qquad
#   y_t = \frac{\phi(q_t)^\top S_t}{\phi(q_t) \cdot z_t}.$$
#
# At each position, update $S$ and $z$ first and read $y_t$ from them afterwards, so that position
# $t$ sees itself. Whatever $T$ is, only $d_k d_v + d_k$ numbers go from one position to the next:
# linear attention is a recurrent network again, with constant memory and constant work per token.
#
# Implement `linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0)`, with the
# same arguments, conventions and result as part 1. The natural way is a loop over the positions,
# one step of the recurrence each. Its result must agree with the parallel form's to within 1e-10,
# with any feature map and decay.
#
# **Memory.** Your function must not build any array with $T \times T$ entries. The hidden tests
# call it with `T = 20000` and $d_k = d_v = 2$, where one $T \times T$ float64 array would take
# 3.2 GB, once with `decay = 1.0` and once with `decay = 0.9`. They measure the peak memory
# allocated during the call with Python's `tracemalloc` and require it to stay below
# `1600 * T * (d_k + d_v)` bytes, that is 200 float64 numbers per position and per column of `Q`
# and `V`: ample for $\phi(Q)$, $\phi(K)$ and `Y`, and even for keeping every state $S_t$ at these
# sizes. The visible test runs the same check with `T = 2000`.

# %% nbgrader={"grade": false, "grade_id": "linear_attention_recurrent", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    """The same Y as linear_attention_parallel, one position at a time with a (d_k, d_v) state."""
    ### BEGIN SOLUTION
    phi_q, phi_k = feature_map(Q), feature_map(K)
    S = np.zeros((Q.shape[1], V.shape[1]))
    z = np.zeros(Q.shape[1])
    Y = np.empty((Q.shape[0], V.shape[1]))
    for t in range(Q.shape[0]):
        S = decay * S + np.outer(phi_k[t], V[t])  # update first ...
        z = decay * z + phi_k[t]
        Y[t] = (phi_q[t] @ S) / (phi_q[t] @ z)  # ... then read: position t sees itself
    return Y
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_recurrent_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(2)
_Y = linear_attention_recurrent(_rng.normal(size=(5, 3)), _rng.normal(size=(5, 3)), _rng.normal(size=(5, 2)))
assert isinstance(_Y, np.ndarray), "linear_attention_recurrent must return a numpy array"
assert _Y.shape == (5, 2), f"expected shape (T, d_v) = (5, 2), got {_Y.shape}"
assert np.issubdtype(_Y.dtype, np.floating), f"expected a float array, got {_Y.dtype}"
_V = _rng.normal(size=(1, 4))
_Y = linear_attention_recurrent(_rng.normal(size=(1, 3)), _rng.normal(size=(1, 3)), _V.copy())
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), f"with T = 1 the output is V itself, got {_Y}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(21)
for _T, _d_k, _d_v in [(1, 1, 1), (1, 5, 3), (7, 1, 5), (3, 6, 1), (12, 4, 4), (2, 3, 7)]:
    _Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
    for _decay in (0.0, 0.5, 1.0):
        _Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), decay=_decay)
        assert isinstance(_Y, np.ndarray) and np.issubdtype(_Y.dtype, np.floating)
        assert _Y.shape == (_T, _d_v), f"expected shape {(_T, _d_v)}, got {_Y.shape}"
        assert np.allclose(_Y[0], _V[0], rtol=0, atol=1e-10), "position 0 sees only itself: y_0 = v_0"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_recurrent_matches_parallel", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# The two positions of part 1, by hand: [[10], [50/3]] without decay, [[10], [18]] with decay 0.5.
_Q, _K, _V = np.array([[1.0], [1.0]]), np.array([[1.0], [2.0]]), np.array([[10.0], [20.0]])
_Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), feature_map=lambda x: x)
assert np.allclose(_Y, [[10.0], [50.0 / 3.0]], rtol=0, atol=1e-10), f"expected [[10], [50/3]], got {_Y}"
_Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), feature_map=lambda x: x, decay=0.5)
assert np.allclose(_Y, [[10.0], [18.0]], rtol=0, atol=1e-10), f"with decay 0.5 expected [[10], [18]], got {_Y}"
### BEGIN HIDDEN TESTS
def _reference_parallel(Q, K, V, phi, gamma):
    """The parallel form, written independently of yours."""
    T = Q.shape[0]
    distance = np.subtract.outer(np.arange(T), np.arange(T))
    A = np.tril(gamma ** np.maximum(distance, 0)) * (phi(Q) @ phi(K).T)
    return (A @ V) / A.sum(axis=1, keepdims=True)


def _elu1(x):
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


_feature_maps = [("elu+1", _elu1, False), ("exp", np.exp, False), ("x*x + 1", lambda x: x * x + 1.0, False),
                 ("x + 1 on inputs in [0, 2)", lambda x: x + 1.0, True)]
_rng = np.random.default_rng(22)
for _name, _phi, _positive in _feature_maps:
    for _decay in (0.0, 0.5, 0.9, 1.0):
        for _T, _d_k, _d_v in [(1, 3, 2), (6, 2, 3), (25, 4, 5), (40, 8, 1)]:
            _draw = (lambda size: _rng.uniform(0.0, 2.0, size=size)) if _positive else (lambda size: _rng.normal(size=size))
            _Q, _K, _V = _draw((_T, _d_k)), _draw((_T, _d_k)), _rng.normal(size=(_T, _d_v))
            _ref = _reference_parallel(_Q, _K, _V, _phi, _decay)
            if _phi is _elu1:
                _Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), decay=_decay)
            else:
                _Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), feature_map=_phi, decay=_decay)
            assert np.shape(_Y) == (_T, _d_v)
            assert np.allclose(_Y, _ref, rtol=0, atol=1e-10), \
                f"differs from the parallel form: feature map {_name}, decay {_decay}, T={_T}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_recurrent_decay", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# decay 0: only s = t keeps a weight (0**0 = 1), so Y = V, with no nan and no warning
_rng = np.random.default_rng(3)
_V = _rng.normal(size=(6, 3))
_Y = linear_attention_recurrent(_rng.normal(size=(6, 4)), _rng.normal(size=(6, 4)), _V.copy(), decay=0.0)
assert np.all(np.isfinite(_Y)), "decay 0 must not give nan or inf"
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), "with decay 0, y_t = v_t"
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments


def _reference_parallel(Q, K, V, gamma):
    T = Q.shape[0]
    fq = np.where(Q > 0, Q + 1.0, np.exp(np.minimum(Q, 0.0)))
    fk = np.where(K > 0, K + 1.0, np.exp(np.minimum(K, 0.0)))
    A = np.tril(gamma ** np.maximum(np.subtract.outer(np.arange(T), np.arange(T)), 0)) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)


_rng = np.random.default_rng(23)
# decay 0 on a longer sequence, and a small decay: 0.05 ** 299 underflows to 0 harmlessly
_V = _rng.normal(size=(300, 3))
_Y = linear_attention_recurrent(_rng.normal(size=(300, 4)), _rng.normal(size=(300, 4)), _V.copy(), decay=0.0)
assert np.allclose(_Y, _V, rtol=0, atol=1e-10), "with decay 0, y_t = v_t"
for _decay in (0.0, 0.05, 0.3, 0.7, 0.99, 1.0):
    _Q, _K, _V = _rng.normal(size=(60, 3)), _rng.normal(size=(60, 3)), _rng.normal(size=(60, 2))
    _Y, _changed = changed_arguments(linear_attention_recurrent, _Q, _K, _V, decay=_decay)
    assert not _changed, f"linear_attention_recurrent must not modify Q, K or V (changed: arguments {_changed})"
    assert np.allclose(_Y, _reference_parallel(_Q, _K, _V, _decay), rtol=0, atol=1e-10), f"decay {_decay}"
# decay exactly 1 is the same as no decay argument
_Q, _K, _V = _rng.normal(size=(10, 3)), _rng.normal(size=(10, 3)), _rng.normal(size=(10, 3))
assert np.allclose(linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), decay=1.0),
                   linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy()), rtol=0, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_attention_recurrent_memory", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
import tracemalloc as _tracemalloc


def _peak_bytes(function, *args, **kwargs):
    """(result, peak bytes allocated while function ran), measured with tracemalloc."""
    _tracemalloc.start()
    try:
        _tracemalloc.reset_peak()
        _before = _tracemalloc.get_traced_memory()[0]
        result = function(*args, **kwargs)
        peak = _tracemalloc.get_traced_memory()[1] - _before
    finally:
        _tracemalloc.stop()
    return result, peak


_rng = np.random.default_rng(4)
_T, _d_k, _d_v = 2000, 2, 2
_Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
_Y, _peak = _peak_bytes(linear_attention_recurrent, _Q.copy(), _K.copy(), _V.copy())
_bound = 1600 * _T * (_d_k + _d_v)
assert _peak < _bound, (f"T = {_T}: your function allocated {_peak / 1e6:.1f} MB at its peak, more than the "
                        f"{_bound / 1e6:.1f} MB allowed: does it build a T x T array?")
assert np.shape(_Y) == (_T, _d_v) and np.all(np.isfinite(_Y))
### BEGIN HIDDEN TESTS
_T = 20000
_Q, _K, _V = _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_k)), _rng.normal(size=(_T, _d_v))
_fq = np.where(_Q > 0, _Q + 1.0, np.exp(np.minimum(_Q, 0.0)))
_fk = np.where(_K > 0, _K + 1.0, np.exp(np.minimum(_K, 0.0)))
for _decay in (1.0, 0.9):
    if _decay == 1.0:  # reference: prefix sums of the states, shape (T, d_k, d_v)
        _S = np.cumsum(_fk[:, :, None] * _V[:, None, :], axis=0)
        _z = np.cumsum(_fk, axis=0)
    else:  # reference: the recurrence, written here
        _S, _z = np.empty((_T, _d_k, _d_v)), np.empty((_T, _d_k))
        _s, _zz = np.zeros((_d_k, _d_v)), np.zeros(_d_k)
        for _t in range(_T):
            _s = _decay * _s + np.outer(_fk[_t], _V[_t])
            _zz = _decay * _zz + _fk[_t]
            _S[_t], _z[_t] = _s, _zz
    _ref = np.einsum("td,tde->te", _fq, _S) / np.sum(_fq * _z, axis=1, keepdims=True)
    _Y, _peak = _peak_bytes(linear_attention_recurrent, _Q.copy(), _K.copy(), _V.copy(), decay=_decay)
    _bound = 1600 * _T * (_d_k + _d_v)
    assert _peak < _bound, f"T = {_T}, decay {_decay}: peak {_peak / 1e6:.1f} MB, allowed {_bound / 1e6:.1f} MB"
    assert np.shape(_Y) == (_T, _d_v)
    assert np.allclose(_Y, _ref, rtol=0, atol=1e-10), f"T = {_T}, decay {_decay}: wrong values"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "decayed_weight_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3 — Predict, then check: how fast a decay forgets (2 points)
#
# Take inputs on which every similarity $\phi(q_t) \cdot \phi(k_s)$ is the same number, for
# instance all-zero `Q` and `K` with `elu_plus_one` ($\phi(0) = 1$ in every entry). Then $y_t$ is a
# weighted average of $v_0, \dots, v_t$ whose weights depend only on $\gamma$, $t$ and $s$.
#
# Before you run anything, work out on paper the weight $w_\gamma(t, s)$ that $y_t$ gives to $v_s$
# on such inputs, in closed form (the denominator is a geometric series). Then implement
# `decayed_weight(decay, t, s)` from your formula, for a float `decay` with $0 \le \gamma \le 1$ and
# integers `t, s >= 0`, returning a float:
#
# * the weight is 0.0 when $s > t$ (the causal mask);
# * with `decay = 1.0` every position $s \le t$ gets the same weight, $1/(t + 1)$;
# * with `decay = 0.0` the weight is 1.0 for $s = t$ and 0.0 for $s < t$ ($0^0 = 1$, as in part 1);
# * for $0 < \gamma < 1$, it is what your formula gives.
#
# The function sees no data. The tests compare your prediction with the weights measured by
# running a reference linear attention on such inputs with `V` the identity matrix (so that row
# $t$ of the output holds the weights of position $t$), for many $\gamma$, $t$ and $s$, to a
# relative tolerance of 1e-10. Your formula also says how far back a decay lets a model see: with
# $\gamma = 0.9$, the weight falls tenfold about every 22 steps.

# %% nbgrader={"grade": false, "grade_id": "decayed_weight", "locked": false, "schema_version": 3, "solution": true, "task": false}
def decayed_weight(decay, t, s):
    """The weight y_t gives to v_s when every similarity phi(q_t) . phi(k_s) is the same."""
    ### BEGIN SOLUTION
    if s > t:
        return 0.0
    if decay == 1.0:
        return 1.0 / (t + 1)
    # numerator decay^(t-s); denominator sum_{u=0}^{t} decay^u = (1 - decay^(t+1)) / (1 - decay)
    return float(decay ** (t - s) * (1.0 - decay) / (1.0 - decay ** (t + 1)))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_decayed_weight_edge_cases", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_w = decayed_weight(1.0, 3, 1)
assert isinstance(_w, (float, np.floating)), "return a float"
assert np.isclose(_w, 0.25, rtol=1e-10, atol=0), f"decay 1: every one of the t + 1 = 4 positions gets 1/4, got {_w}"
assert decayed_weight(0.5, 2, 5) == 0.0, "s > t: the future gets weight 0"
### BEGIN HIDDEN TESTS
for _t in (0, 1, 4, 9, 50):
    for _s in range(_t + 1):
        assert np.isclose(decayed_weight(1.0, _t, _s), 1.0 / (_t + 1), rtol=1e-10, atol=0), f"decay 1, t={_t}, s={_s}"
        _w0 = decayed_weight(0.0, _t, _s)
        assert isinstance(_w0, (float, np.floating)) and np.isfinite(_w0), "decay 0: a finite float (0**0 = 1)"
        assert _w0 == (1.0 if _s == _t else 0.0), f"decay 0, t={_t}, s={_s}: expected {float(_s == _t)}, got {_w0}"
    for _decay in (0.0, 0.3, 0.9, 1.0):
        for _s in (_t + 1, _t + 2, _t + 10):
            _w = decayed_weight(_decay, _t, _s)
            assert isinstance(_w, (float, np.floating)), "return a float, 0.0 for s > t"
            assert decayed_weight(_decay, _t, _s) == 0.0, f"s > t gets weight 0 (decay {_decay}, t={_t}, s={_s})"
assert np.isclose(decayed_weight(0.7, 0, 0), 1.0, rtol=1e-10, atol=0), "at t = 0 the only position gets weight 1"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_decayed_weight_against_attention", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Measure the weights: all-zero Q and K (every similarity equal), V the identity, decay 0.5.
# This reference is written here, so the check does not depend on your parts 1 and 2.
_T, _decay = 4, 0.5
_A = np.tril(_decay ** np.maximum(np.subtract.outer(np.arange(_T), np.arange(_T)), 0)) * 1.0
_measured = (_A @ np.eye(_T)) / _A.sum(axis=1, keepdims=True)  # row t = the weights of position t
_predicted = decayed_weight(0.5, 3, 1)
assert np.isclose(_predicted, _measured[3, 1], rtol=1e-10, atol=0), f"predicted {_predicted}, measured {_measured[3, 1]}"
### BEGIN HIDDEN TESTS
def _measured_weights(T, gamma):
    """Run the definition on all-zero Q and K (elu+1 gives phi = 1 everywhere) with V = identity."""
    Q = K = np.zeros((T, 3))
    fq = np.where(Q > 0, Q + 1.0, np.exp(np.minimum(Q, 0.0)))
    fk = np.where(K > 0, K + 1.0, np.exp(np.minimum(K, 0.0)))
    W = np.zeros((T, T))
    for t in range(T):
        w = np.array([gamma ** (t - s) * float(fq[t] @ fk[s]) for s in range(t + 1)])
        W[t, : t + 1] = w / w.sum()
    return W @ np.eye(T)


for _decay in (0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99, 1.0):
    _W = _measured_weights(60, _decay)
    for _t in (0, 1, 2, 5, 17, 59):
        for _s in sorted({0, 1, _t // 2, max(_t - 1, 0), _t, _t + 1, _t + 7}):
            _expected = _W[_t, _s] if _s < 60 else 0.0
            _predicted = float(decayed_weight(_decay, _t, _s))
            assert np.isclose(_predicted, _expected, rtol=1e-10, atol=0), \
                f"decay {_decay}, t={_t}, s={_s}: predicted {_predicted:.6g}, measured {_expected:.6g}"
# the weights of one position sum to 1
for _decay in (0.2, 0.6, 0.95):
    assert np.isclose(sum(decayed_weight(_decay, 30, _s) for _s in range(31)), 1.0, rtol=1e-10, atol=0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "linear_scan_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4 — A linear recurrence in a logarithmic number of rounds (4 points)
#
# The loop of part 2 takes $T$ steps, one after another. Its recurrence is **linear in the
# state**, and for such recurrences there is a faster order. Take $h_t = a_t \odot h_{t-1} + b_t$
# (products entry by entry, with $a_t$ and $b_t$ known in advance). Each step is the map
# $h \mapsto a_t h + b_t$, and two steps, first $(a_1, b_1)$ and then $(a_2, b_2)$, compose into one
# step of the same form:
#
# $$a_2 (a_1 h + b_1) + b_2 = (a_2 a_1)\, h + (a_2 b_1 + b_2).$$
#
# The cell below defines this composition as `compose_steps`. Because composing is associative,
# the prefixes can be built in rounds that double the span each time (the Hillis–Steele scan):
# after round $r$ position $t$ holds the composition of the up to $2^{r+1}$ steps that end at $t$,
# and after $\lceil \log_2 T \rceil$ rounds it holds all steps $0, \dots, t$. Each round is one
# vectorised operation over whole arrays, so on parallel hardware $T$ steps take a number of
# rounds that grows like $\log_2 T$.
#
# Implement `linear_scan(a, b, combine=compose_steps)`:
#
# * `a` and `b` are float arrays of the same shape, `(T,)` or `(T, d)`, with `T >= 1`; products are
#   entry by entry.
# * Return `H`, a float array of that shape, with `H[0] = b[0]` and `H[t] = a[t] * H[t - 1] + b[t]`
#   for `t >= 1` (the state before the first step is 0).
# * Do all the combining through `combine`: call it as `combine(a_first, b_first, a_then, b_then)`
#   and use the pair `(a, b)` it returns; compute no product or sum of two steps yourself.
# * The tests pass a `combine` of their own, which computes the same as `compose_steps` and counts
#   its calls.
# * Work in rounds $r = 0, 1, 2, \dots$ while $2^r < T$: in round $r$ every position $t \ge 2^r$
#   combines the pair held by position $t - 2^r$ (first) with its own (then), and positions
#   $t < 2^r$ keep theirs.
# * Make **one** call of `combine` per round, on arrays that hold all $T - 2^r$ pairs of that round
#   at once (for example `A[:-offset]` and `A[offset:]` with `offset` $= 2^r$).
# * You may instead pass all $T$ rows in every round, with the first $2^r$ positions combined with
#   a step that changes nothing ($a = 1$, $b = 0$).
# * So `combine` is called exactly $\lceil \log_2 T \rceil$ times (never for `T = 1`), and in round
#   $r$ with arrays of $T - 2^r$ rows or of $T$ rows.
# * A loop over the positions, or Blelloch's work-efficient scan (about $2 \log_2 T$ calls on
#   arrays that shrink and grow again), computes the right numbers but fails that count.
#
# Lecture 1 wrote a scan like this with the combining inlined; here it goes through `combine`.

# %% nbgrader={"grade": false, "grade_id": "compose_steps", "locked": true, "schema_version": 3, "solution": false, "task": false}
def compose_steps(a_first, b_first, a_then, b_then):
    """Step h -> a_first * h + b_first followed by h -> a_then * h + b_then, as one step (a, b):
    a_then * (a_first * h + b_first) + b_then = (a_then * a_first) * h + (a_then * b_first + b_then)."""
    return a_then * a_first, a_then * b_first + b_then


# %% nbgrader={"grade": false, "grade_id": "linear_scan", "locked": false, "schema_version": 3, "solution": true, "task": false}
def linear_scan(a, b, combine=compose_steps):
    """H[t] = a[t] * H[t - 1] + b[t] with H[0] = b[0], in ceil(log2 T) rounds of one combine call each."""
    ### BEGIN SOLUTION
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)  # copies: the inputs stay as they are
    offset = 1
    while offset < len(A):
        # every position t >= offset at once: first the block ending at t - offset, then its own
        A_new, B_new = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return B  # the state before the first step is 0, so H[t] = A[t] * 0 + B[t]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_linear_scan_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_a = np.array([0.5, 2.0, -1.0, 0.0, 3.0])
_b = np.array([1.0, 1.0, 2.0, 4.0, -1.0])
# by hand: 1, 2*1 + 1 = 3, -1*3 + 2 = -1, 0*(-1) + 4 = 4, 3*4 - 1 = 11
_H = linear_scan(_a.copy(), _b.copy())
assert isinstance(_H, np.ndarray), "linear_scan must return a numpy array"
assert np.shape(_H) == (5,), f"expected shape (5,), got {np.shape(_H)}"
assert np.allclose(_H, [1.0, 3.0, -1.0, 4.0, 11.0], rtol=0, atol=1e-10), f"expected [1, 3, -1, 4, 11], got {_H}"
### BEGIN HIDDEN TESTS
def _loop(a, b):
    H, h = np.empty(np.shape(b)), np.zeros(np.shape(b)[1:])
    for t in range(len(b)):
        h = a[t] * h + b[t]
        H[t] = h
    return H


_rng = np.random.default_rng(41)
for _shape in [(2,), (3,), (6,), (31,), (64,), (100,), (4, 3), (9, 1), (33, 5), (128, 2), (1000, 4)]:
    _a, _b = _rng.uniform(-1.1, 1.1, size=_shape), _rng.normal(size=_shape)
    _H = linear_scan(_a.copy(), _b.copy())
    assert isinstance(_H, np.ndarray) and np.issubdtype(_H.dtype, np.floating)
    assert np.shape(_H) == _shape, f"expected shape {_shape}, got {np.shape(_H)}"
    assert np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10), f"wrong values for shape {_shape}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_scan_edge_cases", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# T = 1: no round at all, and H[0] = b[0].
_H = linear_scan(np.array([7.0]), np.array([2.5]))
assert np.shape(_H) == (1,) and np.allclose(_H, [2.5], rtol=0, atol=1e-10), f"T = 1: expected [2.5], got {_H}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(42)
# T = 1 with a feature axis
_b = _rng.normal(size=(1, 4))
assert np.allclose(linear_scan(_rng.normal(size=(1, 4)), _b.copy()), _b, rtol=0, atol=1e-10)
for _T in (1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 255, 256, 257):
    _b = _rng.normal(size=(_T, 3))
    # a = 0: every step forgets, H = b
    assert np.allclose(linear_scan(np.zeros((_T, 3)), _b.copy()), _b, rtol=0, atol=1e-10), f"a = 0, T={_T}"
    # a = 1: nothing is forgotten, H is the running sum of b
    assert np.allclose(linear_scan(np.ones((_T, 3)), _b.copy()), np.cumsum(_b, axis=0), rtol=0, atol=1e-10), \
        f"a = 1 gives the running sum, T={_T}"
    # decays as in part 2: a = gamma everywhere
    _H, _h = np.empty((_T, 3)), np.zeros(3)
    for _t in range(_T):
        _h = 0.9 * _h + _b[_t]
        _H[_t] = _h
    assert np.allclose(linear_scan(np.full((_T, 3), 0.9), _b.copy()), _H, rtol=0, atol=1e-10), f"a = 0.9, T={_T}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_scan_rounds", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
def _counting_combine(calls):
    """compose_steps, recording the number of rows of each call's arrays in `calls`."""
    def combine(a_first, b_first, a_then, b_then):
        shapes = {np.shape(a_first), np.shape(b_first), np.shape(a_then), np.shape(b_then)}
        assert len(shapes) == 1, f"combine's four arrays must have the same shape, got {shapes}"
        calls.append(len(a_then))
        return np.multiply(a_then, a_first), np.multiply(a_then, b_first) + b_then
    return combine


_calls = []
_rng = np.random.default_rng(5)
_a, _b = _rng.uniform(0.5, 1.0, size=8), _rng.normal(size=8)
_H = linear_scan(_a.copy(), _b.copy(), combine=_counting_combine(_calls))
assert len(_calls) == 3, f"T = 8 needs ceil(log2 8) = 3 rounds, one combine call each; combine was called {len(_calls)} times"
assert all(_rows in (8 - 2 ** _r, 8) for _r, _rows in enumerate(_calls)), \
    f"round r combines T - 2**r = 7, 6, 4 pairs (or all 8 rows); the calls had {_calls} rows"
### BEGIN HIDDEN TESTS
import math as _math


def _loop(a, b):
    H, h = np.empty(np.shape(b)), np.zeros(np.shape(b)[1:])
    for t in range(len(b)):
        h = a[t] * h + b[t]
        H[t] = h
    return H


for _shape in [(1,), (2,), (3,), (4,), (5,), (7,), (8,), (9,), (16,), (17,), (100,), (1000,), (1024,), (1025,),
               (1, 3), (6, 2), (32, 4), (33, 4), (500, 3)]:
    _T = _shape[0]
    _a, _b = _rng.uniform(-1.0, 1.0, size=_shape), _rng.normal(size=_shape)
    _calls = []
    _H = linear_scan(_a.copy(), _b.copy(), combine=_counting_combine(_calls))
    _rounds = _math.ceil(_math.log2(_T)) if _T > 1 else 0
    assert len(_calls) == _rounds, f"T = {_T}: expected {_rounds} combine calls, one per round; got {len(_calls)}"
    assert all(_rows in (_T - 2 ** _r, _T) for _r, _rows in enumerate(_calls)), \
        f"T = {_T}: round r must combine all T - 2**r pairs (or all T rows) in one call; the calls had {_calls} rows"
    assert np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10), f"T = {_T}: wrong values with the tests' combine"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_linear_scan_inputs_unchanged", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments


def _loop(a, b):
    H, h = np.empty(np.shape(b)), np.zeros(np.shape(b)[1:])
    for t in range(len(b)):
        h = a[t] * h + b[t]
        H[t] = h
    return H


_rng = np.random.default_rng(43)
for _shape in [(1,), (2,), (5,), (16,), (3, 2), (20, 3), (129, 2)]:
    _a, _b = _rng.uniform(-1.0, 1.0, size=_shape), _rng.normal(size=_shape)
    _H, _changed = changed_arguments(linear_scan, _a, _b)
    assert not _changed, f"linear_scan must not modify a or b (changed: arguments {_changed}), shape {_shape}"
    assert np.shape(_H) == _shape and np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q4_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q4 — Which recurrences can a scan compute?
#
# A parallel scan computes every state of a recurrence in $\lceil \log_2 T \rceil$ rounds when two
# consecutive steps compose into **one step of the same form**, and composing is associative.
# Consider three recurrences, each with its inputs known in advance:
#
# 1. $h_t = a_t \odot h_{t-1} + b_t$, the recurrence of part 4;
# 2. $S_t = \gamma\, S_{t-1} + \phi(k_t)\, v_t^\top$, the state of part 2 (a $d_k \times d_v$ matrix);
# 3. $h_t = \tanh(W_h h_{t-1} + W_x x_t + b)$, the RNN of Lecture 1.
#
# Which of them can a parallel scan compute exactly in $O(\log T)$ rounds?
#
# * **A.** Only 1: a state that is a matrix, like $S_t$, cannot be scanned.
# * **B.** 1 and 2, but not 3: two steps of 3 do not compose into a single step
#   $\tanh(W h + c)$, so there is nothing of the same form to combine.
# * **C.** All three: any recurrence can be scanned, given enough processors.
# * **D.** Only 3: its $\tanh$ keeps the state bounded, which a scan needs; 1 and 2 may grow.
#
# Set `answer_q4` to one letter, `"A"`, `"B"`, `"C"` or `"D"`.

# %% nbgrader={"grade": false, "grade_id": "answer_q4", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q4 = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_answer_q4", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q4, str) and answer_q4 in ("A", "B", "C", "D"), 'answer_q4 must be one of "A", "B", "C", "D"'
### BEGIN HIDDEN TESTS
assert answer_q4 == "B"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "inference_memory_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5 — What a KV cache costs, and what a state costs (2 points)
#
# A decoder generates text one token at a time. With softmax attention the query of each new token
# is compared with the keys of **all** earlier tokens, and their values are averaged, so every
# layer keeps, for every head, the key and the value of every token so far: the **KV cache**. A
# linear-attention layer keeps only its state and its normaliser (part 2), however long the text.
#
# Implement `inference_memory(n, d_k, d_v, heads, layers, bytes_per_number)`, returning the tuple
# `(kv_cache_bytes, state_bytes)`, in that order, for a model that has read `n` tokens:
#
# * `kv_cache_bytes` counts, in each of the `layers` layers and for each of the `heads` heads, `n`
#   keys of `d_k` numbers and `n` values of `d_v` numbers: $n\,(d_k + d_v) \cdot \text{heads} \cdot
#   \text{layers}$ numbers in all.
# * With $d_k = d_v = d/\text{heads}$ that is $2 n d$ numbers per layer, for a model of width $d$.
# * `state_bytes` counts, in each layer and for each head, the state $S$ ($d_k \times d_v$ numbers)
#   and the normaliser $z$ ($d_k$ numbers); it does not depend on `n`.
# * Every number takes `bytes_per_number` bytes (2 for float16, 4 for float32, 8 for float64).
# * `n >= 0` (a model that has read nothing has an empty cache), and the other arguments are
#   positive integers.
# * Return both counts as exact integers (Python `int` or numpy integers, not floats).

# %% nbgrader={"grade": false, "grade_id": "inference_memory", "locked": false, "schema_version": 3, "solution": true, "task": false}
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    """(KV cache bytes after n tokens, linear-attention state bytes), both exact integers."""
    ### BEGIN SOLUTION
    kv_cache = n * (d_k + d_v) * heads * layers * bytes_per_number
    state = (d_k * d_v + d_k) * heads * layers * bytes_per_number
    return int(kv_cache), int(state)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_inference_memory_kv_cache", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_result = inference_memory(10, 4, 4, 1, 1, 8)
assert isinstance(_result, tuple) and len(_result) == 2, "return the tuple (kv_cache_bytes, state_bytes)"
_kv = _result[0]
assert isinstance(_kv, (int, np.integer)) and not isinstance(_kv, bool), f"return exact integers, got {type(_kv)}"
assert _kv == 10 * (4 + 4) * 8, f"10 tokens, one head and layer, d_k = d_v = 4, float64: expected 640 bytes, got {_kv}"
### BEGIN HIDDEN TESTS
for _n, _d_k, _d_v, _heads, _layers, _bytes in [(0, 4, 4, 1, 1, 8), (1, 1, 1, 1, 1, 1), (7, 3, 5, 2, 3, 4),
                                                (1000, 64, 64, 8, 12, 2), (100_000, 128, 128, 32, 32, 2),
                                                (4096, 16, 32, 4, 6, 8), (1_000_000, 128, 64, 64, 80, 2)]:
    _kv = inference_memory(_n, _d_k, _d_v, _heads, _layers, _bytes)[0]
    assert isinstance(_kv, (int, np.integer)) and not isinstance(_kv, bool), "return exact integers"
    _expected = _n * (_d_k + _d_v) * _heads * _layers * _bytes
    assert _kv == _expected, f"n={_n}, d_k={_d_k}, d_v={_d_v}, heads={_heads}, layers={_layers}: expected {_expected}, got {_kv}"
# d_k = d_v = d / heads: 2 n d numbers per layer
assert inference_memory(300, 64, 64, 8, 1, 1)[0] == 2 * 300 * 512
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_inference_memory_state", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_state = inference_memory(10, 4, 4, 1, 1, 8)[1]
assert isinstance(_state, (int, np.integer)) and not isinstance(_state, bool), f"return exact integers, got {type(_state)}"
assert _state == (4 * 4 + 4) * 8, f"S (4 x 4) and z (4), float64: expected 160 bytes, got {_state}"
### BEGIN HIDDEN TESTS
for _n, _d_k, _d_v, _heads, _layers, _bytes in [(0, 4, 4, 1, 1, 8), (1, 1, 1, 1, 1, 1), (7, 3, 5, 2, 3, 4),
                                                (1000, 64, 64, 8, 12, 2), (100_000, 128, 128, 32, 32, 2),
                                                (4096, 16, 32, 4, 6, 8), (1_000_000, 128, 64, 64, 80, 2)]:
    _state = inference_memory(_n, _d_k, _d_v, _heads, _layers, _bytes)[1]
    assert isinstance(_state, (int, np.integer)) and not isinstance(_state, bool), "return exact integers"
    _expected = (_d_k * _d_v + _d_k) * _heads * _layers * _bytes
    assert _state == _expected, f"d_k={_d_k}, d_v={_d_v}, heads={_heads}, layers={_layers}: expected {_expected}, got {_state}"
    # the state does not grow with n
    assert inference_memory(10 * _n + 1, _d_k, _d_v, _heads, _layers, _bytes)[1] == _expected, "the state must not depend on n"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "recall_experiment_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6 — Experiment: recall with a fixed state (not graded, must run)
#
# The cell below stores $N$ key–value pairs and then asks for every value back by its key, once
# through your `linear_attention_recurrent` and once through softmax attention.
#
# * Keys and values are random unit vectors, $d_k = d_v = 16$. The first $N$ positions write the
#   pairs; the next $N$ positions read, with a stored key as query and an all-zero key and value,
#   so that reading adds nothing to the state. The feature map is the identity, $\phi(x) = x$, so
#   the state after writing is exactly $S = \sum_i k_i v_i^\top$, and the query $k_j$ reads
#   $k_j^\top S = v_j + \sum_{i \ne j} (k_j \cdot k_i)\, v_i$, divided by the normaliser.
# * The normaliser is one number per query. It changes the length of the output, not its
#   direction; with the identity feature map it may be negative, which flips the output. A
#   query counts as recalled when the stored value closest in direction to its output, up to sign
#   (the largest $|y \cdot v_i|$), is its own.
# * The column *orthonormal keys* repeats the linear-attention run with keys that are exactly
#   orthonormal; that is possible only while $N \le d_k$.
# * Softmax attention compares the query with the $N$ stored keys, with scores divided by a
#   temperature of 0.02, which makes it nearly a hard lookup (Assignment 2).
# * The last columns are the memory either model keeps after the $N$ pairs, from your
#   `inference_memory` (one head, one layer, float64).
#
# It runs in about a second. Part 7 asks you to quote its numbers.

# %% nbgrader={"grade": false, "grade_id": "recall_experiment", "locked": true, "schema_version": 3, "solution": false, "task": false}
def unit_rows(rng, n, d):
    """n random unit vectors in d dimensions, as rows."""
    x = rng.normal(size=(n, d))
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def linear_attention_recall(keys, values):
    """Write the N pairs, then read them back with the keys as queries; the N outputs read."""
    N = len(keys)
    Q = np.concatenate([keys, keys])  # the outputs of the writing positions are not used
    K = np.concatenate([keys, np.zeros_like(keys)])  # reading positions add phi(0) = 0 to S and z
    V = np.concatenate([values, np.zeros_like(values)])
    return linear_attention_recurrent(Q, K, V, feature_map=lambda x: x, decay=1.0)[N:]


def softmax_recall(keys, values, temperature=0.02):
    """Softmax attention over the N stored pairs, with each stored key as the query."""
    scores = keys @ keys.T / temperature
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ values


def fraction_recalled(outputs, values):
    """Fraction of queries whose output points (up to sign) to their own value more than to any other."""
    return float(np.mean(np.argmax(np.abs(outputs @ values.T), axis=1) == np.arange(len(values))))


def recall_table(d_k=16, d_v=16, sizes=(4, 8, 12, 16, 24, 32, 64, 128), trials=20, seed=5):
    rng = np.random.default_rng(seed)
    print(f"d_k = d_v = {d_k}; fraction of the N pairs recalled, mean of {trials} random draws")
    print(f"{'N':>5} | {'linear, random keys':>19} | {'linear, orthonormal':>19} | {'softmax':>7} |"
          f" {'KV cache (bytes)':>16} | {'state (bytes)':>13}")
    for N in sizes:
        linear, orthonormal, softmax = [], [], []
        for _ in range(trials):
            keys, values = unit_rows(rng, N, d_k), unit_rows(rng, N, d_v)
            linear.append(fraction_recalled(linear_attention_recall(keys, values), values))
            softmax.append(fraction_recalled(softmax_recall(keys, values), values))
            if N <= d_k:
                rotation, _ = np.linalg.qr(rng.normal(size=(d_k, d_k)))
                orthonormal.append(fraction_recalled(linear_attention_recall(rotation[:N], values), values))
        kv_cache, state = inference_memory(N, d_k, d_v, 1, 1, 8)
        exact = f"{np.mean(orthonormal):19.3f}" if orthonormal else f"{'(impossible)':>19}"
        print(f"{N:>5} | {np.mean(linear):19.3f} | {exact} | {np.mean(softmax):7.3f} | {kv_cache:>16,} | {state:>13,}")


try:
    recall_table()
    kv_cache, state = inference_memory(100_000, 128, 128, 32, 32, 2)
    print(f"\nA large model (32 layers, 32 heads of d_k = d_v = 128, float16) after 100,000 tokens: "
          f"KV cache {kv_cache / 1e9:.1f} GB, linear-attention state {state / 1e6:.1f} MB")
except NotImplementedError:
    print("Finish parts 2 and 5 first, then run this cell again.")

# %% [markdown] nbgrader={"grade": false, "grade_id": "free_response_fixed_state", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": true}
# ## 7 — Written: when does a fixed state lose to attention? (4 points, graded by hand)
#
# Using the table printed by part 6, answer in six to ten sentences:
#
# 1. **When.** Quote your numbers: up to which $N$ does the fixed state recall (nearly) every pair,
#    with random keys and with orthonormal keys, and what happens as $N$ grows past $d_k = 16$? How
#    does softmax attention do on the same pairs?
# 2. **Why: interference.** With the identity feature map the state is $S = \sum_i k_i v_i^\top$,
#    and the query $k_j$ reads $v_j + \sum_{i \ne j} (k_j \cdot k_i)\, v_i$ (up to the normaliser).
#    Say when the unwanted terms vanish, and why that is impossible for more than $d_k$ keys.
# 3. **Why: capacity.** The state holds $d_k d_v + d_k$ numbers whatever $N$ is. Use a counting
#    argument (as in Lecture 3: $N$ pairs whose values are each one of $V$ possibilities carry
#    $N \log_2 V$ bits, while a fixed number of numbers stored with a fixed precision hold a fixed
#    number of bits) to say why no fixed state, however it is trained, recalls arbitrarily many
#    pairs.
# 4. **What attention pays.** Softmax attention recalls exactly because it keeps every pair.
#    Quote the KV cache and state sizes your `inference_memory` gives (the table's last columns
#    and the large model below it), and say how the cache and the work per generated token grow
#    with the length of the text, compared with the recurrent state.
#
# Write your answer in the cell below this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (4 points), one point per question.** Award each point independently; accept any
# wording that shows the idea.
#
# 1. **When (1 pt).** Numbers from the student's table, with the trend: with orthonormal keys the
#    fixed state recalls every pair (1.000) for every $N \le d_k = 16$; with random unit keys
#    recall is near 1 for small $N$ (1.000 at $N = 4$, 0.994 at $N = 8$) and falls as $N$
#    approaches and passes $d_k$ (0.904 at $N = 12$, 0.834 at $N = 16$, 0.508 at $N = 32$, 0.058
#    at $N = 128$); softmax attention recalls 1.000 at every $N$. Both are needed: at least one number for the
#    fixed state beyond $d_k$ and the softmax column.
# 2. **Interference (1 pt).** The unwanted terms $(k_j \cdot k_i) v_i$ vanish only when the keys
#    are mutually orthogonal; at most $d_k$ vectors can be mutually orthogonal in $d_k$ dimensions,
#    so beyond $N = d_k$ every read carries crosstalk from the other pairs, and it grows with $N$
#    (random keys have crosstalk even below $d_k$, which is why their column falls earlier). Both
#    are needed: the orthogonality condition and the $d_k$ limit.
# 3. **Capacity (1 pt).** The state's size, $d_k d_v + d_k$ numbers (272 here), is fixed while
#    the information to be stored, about $N \log_2 V$ bits for $N$ pairs, grows without bound;
#    a fixed number of numbers at fixed precision holds a bounded number of bits, so past some $N$
#    no state, however trained, can recall every pair. This is the same bottleneck as the fixed
#    context vector of an encoder–decoder (Lecture 3). A correct statement that the capacity is
#    fixed and the demand grows with $N$ earns the point.
# 4. **What attention pays (1 pt).** Softmax attention keeps every key and value: a KV cache of
#    $n (d_k + d_v)$ numbers per head and layer ($2 n d$ per layer), growing linearly with the
#    length, e.g. 32,768 bytes for $N = 128$ against the state's 2,176 bytes, and about 52 GB
#    against 34 MB for the large model after 100,000 tokens; each new token reads the whole cache,
#    so its work also grows with $n$ (and $O(n^2)$ over the whole text), while the recurrent state
#    costs the same memory and work per token at any length. Both are needed: a number from
#    `inference_memory` and the growth with $n$.
#
# *Model answer (numbers from the instructor's run; the cell is seeded, so a correct part 2 prints
# the same numbers, up to a rare tie).* With orthonormal keys my fixed state recalled every pair up
# to $N = 16 = d_k$; with random unit keys it recalled all 4 pairs at $N = 4$ but only 83% at
# $N = 16$, 51% at $N = 32$ and 6% at $N = 128$, while softmax attention recalled 100% at every
# $N$. Reading with key $k_j$ returns
# $v_j$ plus $\sum_{i \ne j} (k_j \cdot k_i) v_i$, and those crosstalk terms vanish only if the keys
# are orthogonal; in 16 dimensions at most 16 keys can be, so past $N = 16$ every read is
# corrupted by the other pairs, more and more as $N$ grows. More fundamentally, the state is
# $16 \cdot 16 + 16 = 272$ numbers whatever $N$ is, while $N$ pairs carry information that grows
# like $N \log_2 V$ bits; a fixed number of finite-precision numbers holds a bounded number of
# bits, so no fixed state can recall arbitrarily many pairs, the same bottleneck as Lecture 3's
# context vector. Softmax attention avoids it by keeping every pair: its KV cache grows as
# $n (d_k + d_v)$ numbers per head and layer, 32,768 bytes for 128 pairs against 2,176 for the
# state, and for a 32-layer model with 32 heads in float16 about 52 GB after 100,000 tokens
# against 34 MB, and every new token must read all of it. The fixed state costs the same memory
# and work per token however long the text, which is why it wins on long inputs when exact recall
# of many items is not needed, and loses when it is.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
