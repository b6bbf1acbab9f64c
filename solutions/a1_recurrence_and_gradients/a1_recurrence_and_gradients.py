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
# # Assignment 1 — Recurrence and gradients
#
# **Goals.** Implement a recurrent layer from its equation, compute how a late hidden state depends
# on an early one (the Jacobian that backpropagation through time multiplies together), and
# implement the standard remedy for exploding gradients. Then explain in your own words what the
# LSTM changes.
#
# **Before you start:** Lecture 1 (*Sequences and recurrence*) and Lecture 2 (*Vanishing and
# exploding gradients*), in the course's `lectures/` folder.
#
# **Estimated time:** 90 minutes.
#
# **How this is graded.** Write your code where it says `YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and your written answer where it says so. The test cells
# below each exercise are the *visible* tests: shapes, types and one simple case. When your work is
# graded, hidden tests also run: random sizes, edge cases, and comparisons with PyTorch. Passing the
# visible tests is necessary, not sufficient. Press **Validate** in the toolbar to run everything
# you can see before you submit. Partial work earns partial credit: each function's points are
# split over several test cells.
#
# **Studying on your own?** When the visible tests pass, check your work against every test,
# hidden ones included. From the course folder, with the path to your copy of this notebook:
#
# ```
# .venv/bin/python -m autograder check a1_recurrence_and_gradients.ipynb
# ```
#
# It prints your points per question and why a test failed, and changes nothing. Written answers
# are graded by hand in a class; working alone, compare yours with the model answer and its rubric
# in the instructor version, in `solutions/a1_recurrence_and_gradients/`, once you have written your own.
#
# Use numpy only in your answers. Do not change the function names or signatures, and do not
# edit or delete the test cells. The tests pass float64 arrays and compare your results with float64
# references (PyTorch in double precision, or autograd) to within about 1e-9; numpy computes in
# float64 by default, so do not convert to float32. No function may modify the arrays it is given.
#
# | part | what | points |
# |---|---|---|
# | Q1 | multiple choice: the dependency path of an RNN | 1 |
# | 1 | `rnn_forward` | 4 |
# | 2 | `hidden_jacobian` | 4 |
# | 3 | predict, then check: `predicted_jacobian_norm` | 2 |
# | 4 | `clip_by_global_norm` | 3 |
# | 5 | written: the LSTM's cell path (graded by hand) | 3 |

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

# %% [markdown] nbgrader={"grade": false, "grade_id": "q1_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q1 — The dependency path of an RNN
#
# In a recurrent network, position $t$ can only influence position $t' > t$ through the chain of
# hidden states $h_t \to h_{t+1} \to \dots \to h_{t'}$. Why does the length of this path make long
# sequences hard?
#
# * **A.** The path has constant length, so the network cannot tell near positions from far ones.
# * **B.** The path between positions $i$ and $j$ crosses $|i - j|$ recurrent steps, $O(n)$ in the
#   sequence length; forward signals and gradients are transformed at every step, so they tend to
#   shrink or blow up with distance.
# * **C.** The path grows as $O(n^2)$, so the model runs out of memory on long sequences.
# * **D.** A long path rules out gated cells such as the LSTM.
#
# Set `answer_q1` to one letter, `"A"`, `"B"`, `"C"` or `"D"`.

# %% nbgrader={"grade": false, "grade_id": "answer_q1", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q1 = "B"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_answer_q1", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q1, str) and answer_q1 in ("A", "B", "C", "D"), 'answer_q1 must be one of "A", "B", "C", "D"'
### BEGIN HIDDEN TESTS
assert answer_q1 == "B"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "rnn_forward_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1 — The recurrent layer (4 points)
#
# Implement `rnn_forward(X, h0, W_x, W_h, b)` for one sequence:
#
# * `X` has shape `(T, d_in)`: row `t - 1` is the input $x_t$;
# * `h0` has shape `(d_h,)`, `W_x` `(d_h, d_in)`, `W_h` `(d_h, d_h)`, `b` `(d_h,)`;
# * return `H` of shape `(T + 1, d_h)` with `H[0] = h0` and, for $t = 1, \dots, T$,
#
# $$H[t] = \tanh\left(W_h\, H[t-1] + W_x\, X[t-1] + b\right).$$
#
# Keeping `h0` in row 0 means `H[t]` is the state after reading $t$ inputs.

# %% nbgrader={"grade": false, "grade_id": "rnn_forward", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_forward(X, h0, W_x, W_h, b):
    """All hidden states of a tanh RNN, including h0: shape (T + 1, d_h)."""
    ### BEGIN SOLUTION
    H = np.empty((X.shape[0] + 1, h0.shape[0]))
    H[0] = h0
    for t in range(1, X.shape[0] + 1):
        H[t] = np.tanh(W_h @ H[t - 1] + W_x @ X[t - 1] + b)
    return H
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(0)
_X, _h0 = _rng.normal(size=(5, 3)), _rng.normal(size=4)
_W_x, _W_h, _b = _rng.normal(size=(4, 3)), _rng.normal(size=(4, 4)), _rng.normal(size=4)
_H = rnn_forward(_X.copy(), _h0.copy(), _W_x.copy(), _W_h.copy(), _b.copy())
assert isinstance(_H, np.ndarray), "rnn_forward must return a numpy array"
assert _H.shape == (6, 4), f"expected shape (T + 1, d_h) = (6, 4), got {_H.shape}"
assert np.allclose(_H[0], _h0), "H[0] must be h0"

# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# One step by hand: H[1] = tanh(W_h h0 + W_x x_1 + b)
_H1 = rnn_forward(np.array([[1.0, 2.0]]), np.array([0.5, -0.5]), np.array([[1.0, 0.0], [0.0, 1.0]]),
                  np.array([[0.0, 1.0], [1.0, 0.0]]), np.array([0.1, 0.2]))
assert np.allclose(_H1[1], np.tanh([1.0 - 0.5 + 0.1, 2.0 + 0.5 + 0.2])), f"H[1] is wrong: {_H1[1]}"
### BEGIN HIDDEN TESTS
# W_h must act on the state from the left (W_h @ h), not as h @ W_h: a non-symmetric W_h tells them apart.
_H2 = rnn_forward(np.zeros((2, 1)), np.array([1.0, 0.0]), np.zeros((2, 1)),
                  np.array([[0.0, 0.5], [0.0, 0.0]]), np.zeros(2))
assert np.allclose(_H2[1], np.tanh([0.0, 0.0])) and np.allclose(_H2[0], [1.0, 0.0])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_forward_against_torch", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments

_rng = np.random.default_rng(12345)
for _T, _d_in, _d_h in [(1, 1, 1), (7, 3, 5), (20, 6, 4), (3, 8, 9)]:
    _X = _rng.normal(size=(_T, _d_in))
    _h0 = _rng.normal(size=_d_h)
    _W_x, _W_h = _rng.normal(size=(_d_h, _d_in)), _rng.normal(size=(_d_h, _d_h)) / np.sqrt(_d_h)
    _b = _rng.normal(size=_d_h)
    _rnn = _torch.nn.RNN(_d_in, _d_h, dtype=_torch.float64)
    with _torch.no_grad():
        _rnn.weight_ih_l0.copy_(_torch.from_numpy(_W_x))
        _rnn.weight_hh_l0.copy_(_torch.from_numpy(_W_h))
        _rnn.bias_ih_l0.copy_(_torch.from_numpy(_b))
        _rnn.bias_hh_l0.zero_()
        _ref, _ = _rnn(_torch.from_numpy(_X)[:, None, :], _torch.from_numpy(_h0)[None, None, :])
    _H, _changed = changed_arguments(rnn_forward, _X, _h0, _W_x, _W_h, _b)
    assert not _changed, f"rnn_forward modified its arguments at positions {_changed}"
    _H = np.asarray(_H)
    assert _H.shape == (_T + 1, _d_h)
    assert np.allclose(_H[0], _h0)
    assert np.allclose(_H[1:], _ref[:, 0, :].numpy(), rtol=1e-9, atol=1e-10), f"differs from torch.nn.RNN for T={_T}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "hidden_jacobian_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2 — How $h_t$ depends on $h_k$ (4 points)
#
# Backpropagation through time multiplies Jacobians of one state with respect to an earlier one.
# With $a_i = W_h h_{i-1} + W_x x_i + b$ and $h_i = \tanh(a_i)$, the chain rule gives
#
# $$\frac{\partial h_t}{\partial h_k} = \prod_{i=k+1}^{t} \frac{\partial h_i}{\partial h_{i-1}}
# = D_t W_h \, D_{t-1} W_h \cdots D_{k+1} W_h, \qquad D_i = \operatorname{diag}\left(1 - h_i^2\right),$$
#
# where the factor for the *latest* step stands on the *left*, and $1 - h_i^2 = \tanh'(a_i)$.
#
# Implement `hidden_jacobian(H, W_h, t, k)`: given the states `H` returned by `rnn_forward` (so
# `H[i]` is $h_i$), return $\partial h_t / \partial h_k$ as a `(d_h, d_h)` array, for any
# `0 <= k <= t <= T`. Entry `[p, q]` is $\partial h_t[p] / \partial h_k[q]$. When `t == k` it is the
# identity. You do not need `X` or `b`: everything the Jacobian needs is in `H` and `W_h`.

# %% nbgrader={"grade": false, "grade_id": "hidden_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def hidden_jacobian(H, W_h, t, k):
    """d h_t / d h_k for a tanh RNN, from its states H (H[i] = h_i); shape (d_h, d_h)."""
    ### BEGIN SOLUTION
    J = np.eye(W_h.shape[0])
    for i in range(k + 1, t + 1):
        J = ((1.0 - H[i] ** 2)[:, None] * W_h) @ J
    return J
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_hidden_jacobian_shape_and_identity", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# These tests build the states directly, so they do not depend on your rnn_forward.
_rng = np.random.default_rng(1)
_W_h = _rng.normal(size=(3, 3))
_H = np.tanh(_rng.normal(size=(7, 3)))  # any values in (-1, 1) can be states
assert np.shape(hidden_jacobian(_H.copy(), _W_h.copy(), 4, 2)) == (3, 3), "the Jacobian must have shape (d_h, d_h)"
assert np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), 3, 3), np.eye(3)), "d h_t / d h_t is the identity"

# %% nbgrader={"grade": true, "grade_id": "test_hidden_jacobian_one_step", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(1)
_W_h = _rng.normal(size=(3, 3))
_H = np.tanh(_rng.normal(size=(7, 3)))
# One step: d h_5 / d h_4 = diag(1 - h_5^2) W_h
assert np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), 5, 4), np.diag(1 - _H[5] ** 2) @ _W_h), "one-step Jacobian is wrong"
### BEGIN HIDDEN TESTS
for _k in range(6):
    assert np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), _k + 1, _k), np.diag(1 - _H[_k + 1] ** 2) @ _W_h)
    assert np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), _k, _k), np.eye(3))
# two steps, order matters: the latest step's factor stands on the left
_two = np.diag(1 - _H[6] ** 2) @ _W_h @ np.diag(1 - _H[5] ** 2) @ _W_h
assert np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), 6, 4), _two)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_hidden_jacobian_against_autograd", "locked": true, "points": 2, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments


def _autograd_jacobian(X, H, W_x, W_h, b, t, k):
    """Re-run the RNN from h_k with torch and differentiate h_t with respect to h_k."""
    def _advance(h):
        for _i in range(k + 1, t + 1):
            h = _torch.tanh(_torch.from_numpy(W_h) @ h + _torch.from_numpy(W_x) @ _torch.from_numpy(X[_i - 1])
                            + _torch.from_numpy(b))
        return h
    return _torch.autograd.functional.jacobian(_advance, _torch.from_numpy(H[k].copy())).numpy()


_rng = np.random.default_rng(2024)
for _d_h, _T, _pairs in [(4, 9, [(9, 0), (6, 2), (3, 1), (8, 8)]), (7, 12, [(12, 3), (5, 0)]), (1, 5, [(5, 1)])]:
    _X = _rng.normal(size=(_T, 3))
    _W_x, _W_h = _rng.normal(size=(_d_h, 3)), 1.5 * _rng.normal(size=(_d_h, _d_h)) / np.sqrt(_d_h)
    _b = 0.3 * _rng.normal(size=_d_h)
    _states = [_rng.normal(size=_d_h)]
    for _x in _X:  # reference states, so this test does not depend on rnn_forward
        _states.append(np.tanh(_W_h @ _states[-1] + _W_x @ _x + _b))
    _H = np.array(_states)
    for _t, _k in _pairs:
        _ref = _autograd_jacobian(_X, _H, _W_x, _W_h, _b, _t, _k)
        _ours, _changed = changed_arguments(hidden_jacobian, _H, _W_h, _t, _k)
        assert not _changed, "hidden_jacobian must not modify H or W_h"
        _ours = np.asarray(_ours)
        assert _ours.shape == (_d_h, _d_h)
        assert np.allclose(_ours, _ref, rtol=1e-9, atol=1e-9), f"differs from autograd for d_h={_d_h}, t={_t}, k={_k}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "predicted_jacobian_norm_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3 — Predict, then check (2 points)
#
# Before computing a Jacobian, predict its size. Take an RNN whose states all sit at 0 (for
# instance `h0`, `X` and `b` all zero), so that every $\tanh'$ factor is 1, and whose recurrent
# matrix is $W_h = s\,Q$: a real number $s$ times an orthogonal matrix $Q$ ($Q^\top Q = I$, any
# size $d_h$).
#
# Work out on paper what $\lVert \partial h_t / \partial h_k \rVert_2$, the spectral norm (the
# largest singular value), is as a function of $s$ and the distance $m = t - k$; then implement
# `predicted_jacobian_norm(s, m)` from your formula, for any real $s$ (negative too) and any
# integer $m \ge 0$. Return a float. The function is not given $Q$: it has to use what you
# derived. The tests compare your prediction with the norm of the actual product of Jacobians, for
# many $s$, $m$ and random orthogonal $Q$, to a relative tolerance of 1e-9.
#
# Your formula also tells you, for instance, how many steps it takes a gradient to shrink by a
# factor of $10^{6}$ when $s = 0.9$.

# %% nbgrader={"grade": false, "grade_id": "predicted_jacobian_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def predicted_jacobian_norm(s, m):
    """Spectral norm of d h_t / d h_k at distance m = t - k, for zero states and W_h = s Q."""
    ### BEGIN SOLUTION
    # With zero states every D_i is the identity, so the Jacobian is W_h^m = s^m Q^m. Q^m is
    # orthogonal, and an orthogonal matrix has every singular value equal to 1.
    return float(abs(s) ** m)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_predicted_jacobian_norm_simple", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Check your prediction against the Jacobian itself, for one case you can see.
_theta = 0.3
_Q = np.array([[np.cos(_theta), -np.sin(_theta)], [np.sin(_theta), np.cos(_theta)]])  # a rotation
_J = np.linalg.matrix_power(0.8 * _Q, 5)  # zero states: each factor D_i W_h is just W_h
_measured = np.linalg.norm(_J, 2)
_predicted = predicted_jacobian_norm(0.8, 5)
assert isinstance(_predicted, (float, np.floating)), "return a float"
assert np.isclose(_predicted, _measured, rtol=1e-9), f"predicted {_predicted}, measured {_measured:.6g}"
### BEGIN HIDDEN TESTS
assert np.isclose(predicted_jacobian_norm(0.8, 0), 1.0, rtol=1e-9), "at distance 0 the Jacobian is the identity"
assert np.isclose(predicted_jacobian_norm(2.0, 3), 8.0, rtol=1e-9)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_predicted_jacobian_norm_against_products", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(31)
for _d_h in (1, 3, 6):
    _Q, _ = np.linalg.qr(_rng.normal(size=(_d_h, _d_h)))  # a random orthogonal matrix
    for _s in (0.5, 0.9, 1.0, 1.1, -0.8, -1.3, 0.0):
        for _m in (0, 1, 2, 7, 20):
            _states = np.zeros((_m + 1, _d_h))  # h_0 .. h_m all zero: every tanh' factor is 1
            _measured = np.linalg.norm(np.linalg.multi_dot([np.eye(_d_h), np.eye(_d_h)]
                                                           + [np.diag(1 - _states[_i] ** 2) @ (_s * _Q)
                                                              for _i in range(1, _m + 1)]), 2)
            _predicted = float(predicted_jacobian_norm(_s, _m))
            assert np.isclose(_predicted, _measured, rtol=1e-9, atol=1e-300), \
                f"s={_s}, m={_m}: predicted {_predicted:.6g}, the product of Jacobians has norm {_measured:.6g}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "clip_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4 — Clipping by global norm (3 points)
#
# When gradients explode, one step can throw the parameters far away. The usual remedy rescales
# **all** gradients **together** when their combined size is too large, which keeps the update's
# direction and caps its length. For gradient arrays $g_1, \dots, g_m$ (any shapes), the global norm
# is
#
# $$\lVert g \rVert = \sqrt{\textstyle\sum_{j} \sum_{\text{entries}} g_j^2},$$
#
# and if $\lVert g \rVert > \text{max\_norm}$ every $g_j$ is multiplied by
# $\text{max\_norm} / \lVert g \rVert$; otherwise nothing changes.
#
# The comparison is with the norm itself, not its square, and only a norm strictly above
# `max_norm` is rescaled: a norm exactly equal to `max_norm` is left alone.
#
# Implement `clip_by_global_norm(grads, max_norm)`, with `max_norm > 0`:
#
# * `grads` is a list of numpy arrays, possibly empty (then return an empty list);
# * return a list of arrays of the same shapes, in the same order;
# * gradients that are all zero (global norm 0) come back unchanged, without any division by zero
#   or warning;
# * do not modify the input arrays.

# %% nbgrader={"grade": false, "grade_id": "clip_by_global_norm", "locked": false, "schema_version": 3, "solution": true, "task": false}
def clip_by_global_norm(grads, max_norm):
    """Rescale all arrays together so their global L2 norm is at most max_norm."""
    ### BEGIN SOLUTION
    total = np.sqrt(sum(float(np.sum(np.square(g))) for g in grads))
    scale = max_norm / total if total > max_norm else 1.0
    return [np.asarray(g) * scale for g in grads]
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_clip_by_global_norm_simple", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_clipped = clip_by_global_norm([np.array([3.0]), np.array([[4.0]])], 1.0)
assert isinstance(_clipped, list) and len(_clipped) == 2, "return a list with one array per gradient"
assert _clipped[0].shape == (1,) and _clipped[1].shape == (1, 1), "keep every array's shape"
assert np.allclose(_clipped[0], [0.6]) and np.allclose(_clipped[1], [[0.8]]), "the global norm 5 should become 1"

# %% nbgrader={"grade": true, "grade_id": "test_clip_by_global_norm_below_threshold", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_small = [np.array([0.3, -0.4]), np.array([[0.0]])]
_out = clip_by_global_norm([g.copy() for g in _small], 1.0)
assert all(np.array_equal(a, b) for a, b in zip(_out, _small)), "gradients below max_norm must not change"
assert isinstance(_out, list), "return a list"
### BEGIN HIDDEN TESTS
_exact = [np.array([0.6]), np.array([0.8])]
assert all(np.allclose(a, b) for a, b in zip(clip_by_global_norm([g.copy() for g in _exact], 1.0), _exact)), "norm == max_norm: unchanged"
assert clip_by_global_norm([], 1.0) == [], "no gradients in, no gradients out"
# Just above the threshold: rescaled to exactly max_norm (a >= / > slip or a tolerance shows here).
_above = [np.array([0.6 * (1 + 1e-7)]), np.array([0.8 * (1 + 1e-7)])]
_out = clip_by_global_norm(_above, 1.0)
assert np.isclose(np.sqrt(sum(np.sum(o ** 2) for o in _out)), 1.0, rtol=0, atol=1e-12), "norm just above max_norm"
# The norm, not its square: with max_norm < 1, norm 0.6 > 0.5 must be clipped although 0.36 < 0.5;
# with max_norm > 1, norm 1.5 < 2 must not be although 2.25 > 2.
_out = clip_by_global_norm([np.array([0.36]), np.array([0.48])], 0.5)
assert np.allclose(_out[0], [0.3]) and np.allclose(_out[1], [0.4]), "compare the norm itself with max_norm"
_out = clip_by_global_norm([np.array([0.9, 1.2])], 2.0)
assert np.allclose(_out[0], [0.9, 1.2]), "norm 1.5 is below max_norm 2: unchanged"
# All-zero gradients: norm 0, nothing to rescale, no division by zero.
with np.errstate(all="raise"):
    _out = clip_by_global_norm([np.zeros(3), np.zeros((2, 2))], 1.0)
assert len(_out) == 2 and np.array_equal(_out[0], np.zeros(3)) and np.array_equal(_out[1], np.zeros((2, 2)))
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_clip_by_global_norm_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments

_rng = np.random.default_rng(77)
for _shapes, _max_norm in [([(3,), (2, 5), (4, 1, 2)], 1.0), ([(10,), (1,)], 0.01), ([(6, 6)], 2.5),
                           ([(2,), (3,)], 1e6)]:
    _grads = [_rng.normal(scale=3.0, size=s) for s in _shapes]
    _params = [_torch.nn.Parameter(_torch.zeros(s, dtype=_torch.float64)) for s in _shapes]
    for _p, _g in zip(_params, _grads):
        _p.grad = _torch.from_numpy(_g.copy())
    _total = float(_torch.nn.utils.clip_grad_norm_(_params, _max_norm))
    _ours, _changed = changed_arguments(clip_by_global_norm, _grads, _max_norm)
    assert not _changed, "the input arrays must not be modified"
    assert len(_ours) == len(_grads)
    for _o, _p, _g in zip(_ours, _params, _grads):
        assert np.shape(_o) == _g.shape
        # torch adds 1e-6 to the norm before dividing; compare with a tolerance above that
        assert np.allclose(_o, _p.grad.numpy(), rtol=1e-5, atol=1e-9)
    _new_norm = np.sqrt(sum(np.sum(np.square(o)) for o in _ours))
    assert _new_norm <= _max_norm * (1 + 1e-9) or np.isclose(_new_norm, _total)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "free_response_lstm", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# ## 5 — Written: the LSTM's cell path (3 points, graded by hand)
#
# The LSTM keeps a cell state updated as $c_t = f_t \odot c_{t-1} + i_t \odot g_t$, where the forget
# gate $f_t = \sigma(W_f [h_{t-1}, x_t] + b_f)$ has entries in $(0, 1)$.
#
# In four to eight sentences, referring to the Jacobian you implemented in part 2, answer:
#
# 1. Along the cell path, what is $\partial c_t / \partial c_{t-1}$, and how does it differ from
#    the factor $D_i W_h$ of the plain RNN?
# 2. Under what condition on the forget gates does a gradient travel many steps along the cell
#    path without shrinking?
# 3. Give one reason why the cell path does not remove the vanishing-gradient problem.
#
# Write your answer in the cell below this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (3 points), one point per question.** Award each point independently; accept any wording
# that shows the idea.
#
# 1. **The cell path's factor (1 pt).** $\partial c_t / \partial c_{t-1} = \operatorname{diag}(f_t)$
#    along the cell path (indirect terms through $h_{t-1}$ aside): an element-wise gate, where the
#    RNN multiplies by the same matrix $W_h$ and a $\tanh'$ factor at every step. The point needs the
#    factor and the contrast; the contrast may be stated in words.
# 2. **When the gradient survives (1 pt).** When the forget gates stay close to 1, the product of
#    the gates over many steps stays close to 1, so the gradient is not shrunk. (That the network
#    learns, through $f_t$, when to keep and when to forget is a good extra, not needed.)
# 3. **Why it is not a cure (1 pt).** Any one of: the gates are below 1, so over long distances
#    their product still decays (exponentially if the gates sit at a typical value); the paths
#    through $h_t$ still involve $W_h$-like matrices; the path length is still $O(n)$. One reason,
#    clearly argued, earns the point. (Exploding gradients through the hidden-state path are also
#    still possible, which is why clipping is still used.)
#
# *Model answer.* In a plain RNN the gradient from $h_t$ to $h_k$ is a product of $t-k$ factors
# $\operatorname{diag}(1-h_i^2) W_h$; with a contractive $W_h$ or saturated units it shrinks
# geometrically. The LSTM adds a second route: the cell state is updated additively, so the
# derivative of $c_t$ with respect to $c_{t-1}$ along that route is just the forget gate. If the
# gate stays near 1 the signal passes almost unchanged over many steps, and because the gate
# depends on the input the network can learn where to hold information. It does not remove the
# problem: each gate is strictly below 1, so their product still decays over long enough
# distances, the route still has one step per position, and the hidden-state route keeps the old
# behaviour.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
