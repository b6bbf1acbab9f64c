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
# # Assignment 3 — Self-attention
#
# **Goals.** Build self-attention from its parts: scaled dot-product attention with masks, the
# causal mask of a language model, multi-head attention (checked against PyTorch's own layer when
# your work is graded) and the sinusoidal positional encoding. Then compare what a recurrent layer
# and a self-attention layer cost, and explain in your own words what attention changes about
# linking two distant tokens, and what it pays for that.
#
# **Before you start:** Lecture 5 (*Self-attention*) and Lecture 6 (*Why attention replaced
# recurrence*), in the course's `lectures/` folder.
#
# **Estimated time:** 2 hours.
#
# **How this is graded.** Write your code where it says `YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and your written answer where it says so. The test cells
# below each exercise are the *visible* tests: shapes, types and one simple case. When your work is
# graded, hidden tests also run: random sizes and batches, edge cases such as very large scores and
# rows with nothing to attend to, and comparisons with PyTorch. Passing the visible tests is
# necessary, not sufficient. Press **Validate** in the toolbar to run everything you can see before
# you submit. Partial work earns partial credit: each function's points are split over several
# test cells, and each test cell checks one function only.
#
# **Studying on your own?** When the visible tests pass, check your work against every test,
# hidden ones included. From the course folder, with the path to your copy of this notebook:
#
# ```
# .venv/bin/python -m autograder check a3_self_attention.ipynb
# ```
#
# It prints your points per question and why a test failed, and changes nothing. Written answers
# are graded by hand in a class; working alone, compare yours with the model answer and its rubric
# in the instructor version, in `solutions/a3_self_attention/`, once you have written your own.
#
# Use numpy only in your answers. Do not change the function names or signatures, and do not
# edit or delete the test cells. A test cell also fails if your code prints a warning while it
# runs (for example numpy's `RuntimeWarning: overflow encountered in exp`), so make your code
# quiet rather than silencing the warning.
#
# **Precision.** The tests pass float64 arrays and compare your results with float64 references
# to within 1e-9. Numpy computes in float64 by default, so do not convert to float32 (its results
# are off by about 1e-7). PyTorch, where a test compares with it, is run in float64 too.
#
# **Do not modify the inputs.** Your functions must not change the arrays passed to them (no
# in-place operations such as `Q /= ...` on an argument): the caller may still need them, and
# the hidden tests check it.
#
# | part | what | points |
# |---|---|---|
# | 1 | `scaled_dot_product_attention` | 5 |
# | 2 | `causal_mask` | 2 |
# | 3 | `multi_head_attention` | 4 |
# | 4 | `positional_encoding` | 3 |
# | 5 | `allowed_pairs`: count before you compute | 3 |
# | Q3 | multiple choice: recurrent vs. self-attention layer | 1 |
# | 6 | written: distant dependencies (graded by hand) | 4 |
#
# (Multiple-choice questions are numbered across the course's assignments.)

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

# %% [markdown] nbgrader={"grade": false, "grade_id": "scaled_dot_product_attention_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1 — Scaled dot-product attention (5 points)
#
# Each query is compared with every key; the scores become weights through a softmax over the
# keys; the output for the query is the weighted average of the values:
#
# $$\operatorname{Attention}(Q, K, V) = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d_k}}\right) V,$$
#
# with the softmax taken along each **row**, that is over the keys, so that each query's weights
# sum to 1.
#
# Implement `scaled_dot_product_attention(Q, K, V, mask=None)`:
#
# * `Q` has shape `(..., n, d_k)` (`n` queries), `K` has shape `(..., m, d_k)` (`m` keys) and `V`
#   has shape `(..., m, d_v)` (one value per key). The leading axes `...` are batch axes: there may
#   be none, one or several, they are the same for `Q`, `K` and `V`, and each batch entry is a
#   separate attention problem. `n` may differ from `m`, and `d_v` may differ from `d_k`.
# * Return the tuple `(output, weights)`, in that order: `output` of shape `(..., n, d_v)` and
#   `weights` of shape `(..., n, m)`, where `weights[..., i, j]` is the weight query `i` gives to
#   key `j`.
# * Divide the scores by $\sqrt{d_k}$, the size of a query and key vector (not by $d_k$, and not
#   by $\sqrt{d_v}$). The dot product of two random vectors with $d_k$ independent unit-variance
#   entries has variance $d_k$; the division brings the scores back to order 1, so the softmax does
#   not saturate as $d_k$ grows (Lecture 5).
# * `mask` is `None` (every query may attend to every key) or a **boolean** array that broadcasts
#   to `(..., n, m)`, for example one `(n, m)` mask shared by every batch entry. `True` means
#   *query `i` may attend to key `j`*; `False` means that key is blocked for that query. A blocked
#   key gets weight exactly 0, and the remaining weights of the row still sum to 1: block a score
#   by setting it to $-\infty$ **before** the softmax. This holds whatever the allowed scores are:
#   they may themselves be very negative (say $-10^4$ or $-10^{30}$), and a blocked key may have a
#   far larger score than every allowed one. So a large negative number such as `-1e9` in place
#   of $-\infty$, or a mask *added* to the scores, is not enough. This is the convention of
#   PyTorch's `torch.nn.functional.scaled_dot_product_attention` for a boolean `attn_mask`.
#   (Careful: `torch.nn.MultiheadAttention` uses the opposite one, `True` = blocked.)
# * **A row with every key blocked.** If a query may attend to no key at all, there is nothing to
#   average. In this course that row of `weights` is all zeros and that row of `output` is all
#   zeros; no `nan`, and no warning. (Setting every score of the row to $-\infty$ and then
#   subtracting the row's maximum computes $-\infty - (-\infty)$, which is `nan`: handle such rows
#   on purpose.)
# * **Large scores.** Scores in the thousands, or far larger (up to $\pm 10^{30}$), are legal
#   input. $e^{1000}$ overflows a float64, so subtract each row's maximum (over its allowed keys)
#   before exponentiating; this does not change the softmax. Your function must return finite
#   numbers and print no warning.
# * Do not modify `Q`, `K`, `V` or `mask`.
#
# For arrays with more than two axes, `K.T` reverses *all* axes; to transpose only the last two,
# use `np.swapaxes(K, -1, -2)` (or `np.einsum`).

# %% nbgrader={"grade": false, "grade_id": "scaled_dot_product_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def scaled_dot_product_attention(Q, K, V, mask=None):
    """softmax(Q K^T / sqrt(d_k)) V over the last two axes; returns (output, weights)."""
    ### BEGIN SOLUTION
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    row_max = np.max(scores, axis=-1, keepdims=True)
    # A fully blocked row has maximum -inf; shifting it by 0 instead keeps every entry at -inf.
    row_max = np.where(np.isfinite(row_max), row_max, 0.0)
    exp_scores = np.exp(scores - row_max)  # exp(-inf) = 0 exactly, without a warning
    totals = np.sum(exp_scores, axis=-1, keepdims=True)
    weights = np.divide(exp_scores, totals, out=np.zeros_like(exp_scores), where=totals > 0)
    return weights @ V, weights
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_shapes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(0)
_result = scaled_dot_product_attention(_rng.normal(size=(3, 4)), _rng.normal(size=(5, 4)), _rng.normal(size=(5, 2)))
assert isinstance(_result, tuple) and len(_result) == 2, "return the tuple (output, weights)"
_out, _w = _result
assert np.shape(_out) == (3, 2), f"output must have shape (n, d_v) = (3, 2), got {np.shape(_out)}"
assert np.shape(_w) == (3, 5), f"weights must have shape (n, m) = (3, 5), got {np.shape(_w)}"
assert np.allclose(np.sum(_w, axis=-1), 1.0), "each query's weights (each row) must sum to 1"
# one batch axis: (batch, n, d)
_out, _w = scaled_dot_product_attention(_rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)),
                                        _rng.normal(size=(2, 5, 6)))
assert np.shape(_out) == (2, 3, 6) and np.shape(_w) == (2, 3, 5), \
    f"with a batch axis expected shapes (2, 3, 6) and (2, 3, 5), got {np.shape(_out)} and {np.shape(_w)}"

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# One query, two keys, d_k = 4: the scores are [4 / sqrt(4), 0 / sqrt(4)] = [2, 0].
_Q = np.array([[1.0, 1.0, 1.0, 1.0]])
_K = np.array([[1.0, 1.0, 1.0, 1.0], [0.0, 0.0, 0.0, 0.0]])
_V = np.array([[1.0, 2.0, 3.0], [-1.0, 0.0, 1.0]])
_expected_w = np.exp([2.0, 0.0]) / np.sum(np.exp([2.0, 0.0]))
_expected_out = _expected_w @ _V
_out, _w = scaled_dot_product_attention(_Q, _K, _V)
assert np.allclose(_w, [_expected_w]), f"weights should be {_expected_w}, got {_w}"
assert np.allclose(_out, [_expected_out]), f"output should be {_expected_out}, got {_out}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(101)
for _n, _m, _d_k, _d_v in [(4, 6, 3, 5), (5, 2, 9, 1), (1, 7, 2, 4), (6, 3, 3, 6)]:
    _Q, _K, _V = _rng.normal(size=(_n, _d_k)), _rng.normal(size=(_m, _d_k)), _rng.normal(size=(_m, _d_v))
    _scores = np.array([[q @ k for k in _K] for q in _Q]) / np.sqrt(_d_k)
    _e = np.exp(_scores - _scores.max(axis=1, keepdims=True))
    _ref_w = _e / _e.sum(axis=1, keepdims=True)
    _ref_out = _ref_w @ _V
    _out, _w = scaled_dot_product_attention(_Q, _K, _V)
    assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9), f"weights differ for n={_n}, m={_m}, d_k={_d_k}, d_v={_d_v}"
    assert np.allclose(_out, _ref_out, rtol=0, atol=1e-9), f"output differs for n={_n}, m={_m}, d_k={_d_k}, d_v={_d_v}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_masks", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# With all-zero queries and keys every score is 0, so a query spreads its weight evenly over the
# keys it may attend to. Row i may attend to keys 0..i here.
_allowed = np.array([[True, False, False], [True, True, False], [True, True, True]])
_out, _w = scaled_dot_product_attention(np.zeros((3, 2)), np.zeros((3, 2)), np.eye(3), mask=_allowed.copy())
_expected = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
assert np.allclose(_w, _expected), f"with this mask the weights should be\n{_expected}\ngot\n{_w}"
assert np.allclose(_out, _expected), "output = weights @ V, and V is the identity here"
### BEGIN HIDDEN TESTS
import torch as _torch
import torch.nn.functional as _F
from r2a.checks import changed_arguments


def _random_mask(rng, shape):
    """A random boolean mask in which every row allows at least one key."""
    mask = rng.random(shape) < 0.5
    rows = mask.reshape(-1, shape[-1])
    rows[np.arange(len(rows)), rng.integers(0, shape[-1], size=len(rows))] = True
    return rows.reshape(shape)


def _reference_weights(Q, K, mask):
    scores = np.einsum("...nd,...md->...nm", Q, K) / np.sqrt(Q.shape[-1])
    scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


# Every reference is computed before the call, and the call gets copies: the arrays of this test
# stay as they are, whatever the function does to its arguments.
_rng = np.random.default_rng(202)
for _batch, _n, _m, _d_k, _d_v, _mask_shape in [
        ((), 4, 6, 3, 5, (4, 6)),
        ((), 4, 6, 3, 5, (1, 6)),           # one row of permissions shared by every query
        ((3,), 5, 4, 8, 2, (5, 4)),
        ((3,), 5, 4, 8, 2, (1, 5, 4)),
        ((3,), 5, 4, 8, 2, (3, 1, 4)),      # per batch entry, shared by its queries
        ((3,), 2, 7, 4, 6, (3, 2, 7)),
        ((2, 3), 4, 5, 6, 3, (4, 5)),
        ((2, 3), 4, 5, 6, 3, (1, 4, 5)),
        ((2, 3), 4, 5, 6, 3, (2, 1, 4, 5)),
]:
    _Q = _rng.normal(size=_batch + (_n, _d_k))
    _K = _rng.normal(size=_batch + (_m, _d_k))
    _V = _rng.normal(size=_batch + (_m, _d_v))
    _mask = _random_mask(_rng, _mask_shape)
    _ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K), _torch.from_numpy(_V),
                                               attn_mask=_torch.from_numpy(_mask)).numpy()
    _ref_w = _reference_weights(_Q, _K, _mask)
    _blocked = ~np.broadcast_to(_mask, _batch + (_n, _m))
    _out, _w = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy(), mask=_mask.copy())
    assert np.shape(_out) == _batch + (_n, _d_v) and np.shape(_w) == _batch + (_n, _m)
    assert np.allclose(_out, _ref_out, rtol=0, atol=1e-9), f"masked output differs from torch, mask shape {_mask_shape}"
    assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9), f"masked weights differ, mask shape {_mask_shape}"
    assert np.all(np.asarray(_w)[_blocked] == 0.0), "blocked keys get weight exactly 0"

# A mask that allows everything changes nothing.
_Q, _K, _V = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)), _rng.normal(size=(2, 5, 3))
_out_all, _w_all = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy(), mask=np.ones((3, 5), dtype=bool))
_out_none, _w_none = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy())
assert np.allclose(_out_all, _out_none, rtol=0, atol=1e-9) and np.allclose(_w_all, _w_none, rtol=0, atol=1e-9)

# Very negative allowed scores, and blocked keys with far larger scores than the allowed ones: a
# blocked key still gets weight exactly 0 (a -1e9 or -1e30 fill, or a mask added to the scores,
# fails here). With d_k = 4 and K = 2 I, the scores Q K^T / sqrt(d_k) are exactly the rows of Q.
_S = np.array([[-1e30, -1e30, 0.0, 5.0],
               [-1e4, -1e4 - 1.0, 3.0, 1e4],
               [-1e30, 2.0, -1e4, 0.0],
               [1e30, -3.0, -1e30, 7.0],
               [-1e30, -2e30, -1e30, 1e30]])
_allowed = np.array([[True, True, False, False],
                     [True, True, False, False],
                     [True, False, True, False],
                     [False, True, False, True],
                     [True, True, True, False]])
_expected = np.array([[0.5, 0.5, 0.0, 0.0],
                      [1 / (1 + np.exp(-1.0)), np.exp(-1.0) / (1 + np.exp(-1.0)), 0.0, 0.0],
                      [0.0, 0.0, 1.0, 0.0],
                      [0.0, np.exp(-10.0) / (1 + np.exp(-10.0)), 0.0, 1 / (1 + np.exp(-10.0))],
                      [0.5, 0.0, 0.5, 0.0]])
_V = _rng.normal(size=(4, 3))
_expected_out = _expected @ _V
_out, _w = scaled_dot_product_attention(_S.copy(), 2.0 * np.eye(4), _V.copy(), mask=_allowed.copy())
assert np.all(np.isfinite(_w)) and np.all(np.isfinite(_out)), "very negative scores must not give inf or nan"
assert np.all(np.asarray(_w)[~_allowed] == 0.0), \
    "a blocked key must get weight exactly 0, even when the allowed scores are -1e4 or -1e30"
assert np.allclose(_w, _expected, rtol=0, atol=1e-9), f"with very negative allowed scores expected\n{_expected}\ngot\n{_w}"
assert np.allclose(_out, _expected_out, rtol=0, atol=1e-9)
# the same rows, batched and in another order, with the (n, m) mask shared by both batch entries
_Qb = np.stack([_S, _S[::-1]])
_ref_w = _reference_weights(_Qb, 2.0 * np.eye(4), _allowed)
_out, _w = scaled_dot_product_attention(_Qb.copy(), 2.0 * np.eye(4)[None].repeat(2, axis=0), _V[None].repeat(2, axis=0),
                                        mask=_allowed.copy())
assert np.all(np.asarray(_w)[:, ~_allowed] == 0.0), "a blocked key must get weight exactly 0"
assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9) and np.allclose(_out, _ref_w @ _V, rtol=0, atol=1e-9)

# The function must not modify its arguments.
_Q, _K, _V = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)), _rng.normal(size=(2, 5, 6))
_mask = _random_mask(_rng, (2, 3, 5))
_result, _changed = changed_arguments(scaled_dot_product_attention, _Q, _K, _V, _mask)
assert not _changed, f"scaled_dot_product_attention must not modify Q, K, V or mask (changed: arguments {_changed})"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
import torch.nn.functional as _F

_rng = np.random.default_rng(303)
for _batch, _n, _m, _d_k, _d_v in [((), 1, 1, 1, 1), ((), 4, 6, 3, 5), ((), 7, 3, 2, 9), ((3,), 5, 2, 8, 4),
                                   ((1,), 6, 6, 16, 16), ((2, 3), 3, 7, 6, 2), ((4, 1), 2, 5, 3, 7),
                                   ((2, 1, 2), 3, 4, 5, 2)]:
    _Q = _rng.normal(size=_batch + (_n, _d_k))
    _K = _rng.normal(size=_batch + (_m, _d_k))
    _V = _rng.normal(size=_batch + (_m, _d_v))
    _ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K),
                                               _torch.from_numpy(_V)).numpy()
    # the weights, written out independently of torch: softmax over the keys of the scaled scores
    _scores = np.einsum("...nd,...md->...nm", _Q, _K) / np.sqrt(_d_k)
    _e = np.exp(_scores - _scores.max(axis=-1, keepdims=True))
    _ref_w = _e / _e.sum(axis=-1, keepdims=True)
    _out, _w = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy())
    assert np.shape(_out) == _batch + (_n, _d_v), f"output shape {np.shape(_out)} for batch {_batch}"
    assert np.shape(_w) == _batch + (_n, _m), f"weights shape {np.shape(_w)} for batch {_batch}"
    assert np.allclose(_out, _ref_out, rtol=0, atol=1e-9), f"output differs from torch for batch {_batch}"
    assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9), f"weights differ from the softmax for batch {_batch}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_edge_cases", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
import torch.nn.functional as _F


def _reference_weights(Q, K, mask=None):
    """Softmax over the allowed keys; rows with no allowed key are all zeros."""
    scores = np.einsum("...nd,...md->...nm", Q, K) / np.sqrt(Q.shape[-1])
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    any_allowed = allowed.any(axis=-1, keepdims=True)
    scores = np.where(allowed | ~any_allowed, scores, -np.inf)  # fully blocked rows: computed, then zeroed
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    return np.where(any_allowed, e / e.sum(axis=-1, keepdims=True), 0.0)


_rng = np.random.default_rng(404)
# Large scores: rows of very different sizes, from about 1 to about 1e5.
_Q = _rng.normal(size=(2, 4, 8)) * np.array([0.1, 10.0, 100.0, 1000.0])[:, None]
_K = 10.0 * _rng.normal(size=(2, 6, 8))
_V = _rng.normal(size=(2, 6, 3))
_ref_w = _reference_weights(_Q, _K)
_ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K), _torch.from_numpy(_V)).numpy()
_out, _w = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy())
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), "large scores must not give inf or nan"
assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9)
assert np.allclose(_out, _ref_out, atol=1e-8)
_mask = _rng.random((4, 6)) < 0.6
_mask[:, 0] = True
_ref_w = _reference_weights(_Q, _K, _mask)
_out, _w = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy(), mask=_mask.copy())
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), "large masked scores must not give inf or nan"
assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9)

# The maximum to subtract is the one over the allowed keys: in each row below, a blocked key's
# score is thousands above every allowed one. (d_k = 4 and K = 2 I: the scores are the rows of Q.)
_S = np.array([[1e4, 0.0, 1.0, -1.0], [-5e3, 5e3, -5e3 + 2.0, 3e3], [2e3, -2e3, 0.0, -2e3 + 1.0]])
_allowed = np.array([[False, True, True, True], [True, False, True, False], [False, True, False, True]])
_ref_w = _reference_weights(_S, 2.0 * np.eye(4), _allowed)
_V = _rng.normal(size=(4, 2))
_out, _w = scaled_dot_product_attention(_S.copy(), 2.0 * np.eye(4), _V.copy(), mask=_allowed.copy())
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), \
    "subtract the maximum over the allowed keys: here a blocked key has the largest score"
assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9) and np.allclose(_out, _ref_w @ _V, rtol=0, atol=1e-9)

# Fully blocked rows: zero weights and zero output, no nan, no warning.
_Q, _K, _V = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)), _rng.normal(size=(2, 5, 6))
_mask = _rng.random((2, 3, 5)) < 0.5
_mask[..., 2] = True
_mask[0, 0, :] = False
_mask[1, 2, :] = False
_ref_w = _reference_weights(_Q, _K, _mask)
_ref_out = _ref_w @ _V
_out, _w = scaled_dot_product_attention(_Q.copy(), _K.copy(), _V.copy(), mask=_mask.copy())
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), "a fully blocked row must not give nan"
assert np.all(np.asarray(_w)[0, 0] == 0.0) and np.all(np.asarray(_w)[1, 2] == 0.0), "blocked row: zero weights"
assert np.all(np.asarray(_out)[0, 0] == 0.0) and np.all(np.asarray(_out)[1, 2] == 0.0), "blocked row: zero output"
assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9) and np.allclose(_out, _ref_out, rtol=0, atol=1e-9)
# the same through a shared (n, m) mask, unbatched and batched
_shared = np.ones((3, 5), dtype=bool)
_shared[1] = False
for _Qb, _Kb, _Vb in [(_Q[0], _K[0], _V[0]), (_Q, _K, _V)]:
    _ref_w = _reference_weights(_Qb, _Kb, _shared)
    _ref_out = _ref_w @ _Vb
    _out, _w = scaled_dot_product_attention(_Qb.copy(), _Kb.copy(), _Vb.copy(), mask=_shared.copy())
    assert np.allclose(_w, _ref_w, rtol=0, atol=1e-9) and np.allclose(_out, _ref_out, rtol=0, atol=1e-9)
    assert np.all(np.asarray(_w)[..., 1, :] == 0.0) and np.all(np.asarray(_out)[..., 1, :] == 0.0)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "causal_mask_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2 — The causal mask (2 points)
#
# A model that predicts the next token must not peek at the tokens it is about to predict: when
# position $i$ is computed, it may use positions $j \le i$ only, itself included.
#
# Implement `causal_mask(n)`: return a numpy array of shape `(n, n)` and **dtype `bool`** whose
# entry `[i, j]` is `True` exactly when $j \le i$ (on and below the diagonal), in the convention of
# part 1 (`True` = may attend). The dtype matters: an array of 0s and 1s is not the same thing,
# for instance PyTorch adds a float `attn_mask` to the scores instead of reading it as a
# permission.

# %% nbgrader={"grade": false, "grade_id": "causal_mask", "locked": false, "schema_version": 3, "solution": true, "task": false}
def causal_mask(n):
    """Boolean (n, n): True where j <= i, so position i sees itself and the positions before it."""
    ### BEGIN SOLUTION
    return np.tril(np.ones((n, n), dtype=bool))
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_causal_mask_small", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_mask = causal_mask(3)
assert isinstance(_mask, np.ndarray), "causal_mask must return a numpy array"
assert _mask.dtype == bool, f"the mask must have dtype bool, got {_mask.dtype}"
assert _mask.shape == (3, 3), f"expected shape (3, 3), got {_mask.shape}"
assert np.array_equal(_mask, [[True, False, False], [True, True, False], [True, True, True]]), \
    f"position i may attend to positions 0..i, itself included; got\n{_mask}"

# %% nbgrader={"grade": true, "grade_id": "test_causal_mask_sizes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
for _n in [1, 2, 5, 16, 33]:
    _mask = causal_mask(_n)
    assert isinstance(_mask, np.ndarray) and _mask.dtype == bool and _mask.shape == (_n, _n)
    for _i in range(_n):
        for _j in range(_n):
            assert _mask[_i, _j] == (_j <= _i), f"n={_n}: entry [{_i}, {_j}] should be {_j <= _i}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "multi_head_attention_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3 — Multi-head self-attention (4 points)
#
# In **self**-attention the queries, keys and values all come from the same sequence
# $X \in \mathbb{R}^{n \times d_\text{model}}$ (one row per position), through three learned
# matrices. **Multi-head** attention runs several smaller attentions side by side, each on its own
# slice of the features, so different heads can look for different things.
#
# Implement `multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None)`:
#
# 1. `X` has shape `(n, d_model)`; `W_q`, `W_k`, `W_v` and `W_o` have shape
#    `(d_model, d_model)` and act from the right: $Q = X W_q$, $K = X W_k$, $V = X W_v$.
# 2. `num_heads` divides `d_model`; let $d_\text{head} = d_\text{model} / \text{num\_heads}$. Head
#    $h$ (counting from 0) uses the **columns** `h * d_head : (h + 1) * d_head` of $Q$, $K$ and $V$.
# 3. Each head runs scaled dot-product attention on its slices, so its scores are divided by
#    $\sqrt{d_\text{head}}$, the size of *its* query and key vectors. Its output has shape
#    `(n, d_head)`.
# 4. Concatenate the head outputs along the features, head 0 first, into an `(n, d_model)` array,
#    and multiply it by $W_o$ from the right.
# 5. `mask` is `None` or a boolean array that broadcasts to `(n, n)`, with `True` = may attend as
#    in part 1; every head uses the same mask. A blocked pair gets weight exactly 0, as in part 1,
#    however large or negative the scores are. (No test here blocks every key of a row.)
# 6. Do not modify `X`, the weight matrices or `mask`.
#
# Return **only the output**, an array of shape `(n, d_model)`, not the attention weights.
#
# This is what `torch.nn.MultiheadAttention(d_model, num_heads, bias=False)` computes, and the
# hidden tests compare your function with it given the same weights. You may call your
# `scaled_dot_product_attention` from part 1: arranging the heads along a leading batch axis,
# shape `(num_heads, n, d_head)`, runs all of them at once. (If you do, a mistake in part 1 will
# cost points here too.) To get there from `(n, d_model)`, split the features first, into
# `(n, num_heads, d_head)`, and then move the head axis to the front.

# %% nbgrader={"grade": false, "grade_id": "multi_head_attention", "locked": false, "schema_version": 3, "solution": true, "task": false}
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    """Multi-head self-attention of the rows of X; returns the output, shape (n, d_model)."""
    ### BEGIN SOLUTION
    n, d_model = X.shape
    d_head = d_model // num_heads

    def split_heads(M):  # (n, d_model) -> (num_heads, n, d_head); head h owns columns h*d_head...
        return M.reshape(n, num_heads, d_head).transpose(1, 0, 2)

    Q, K, V = split_heads(X @ W_q), split_heads(X @ W_k), split_heads(X @ W_v)
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(d_head)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    exp_scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
    weights = exp_scores / exp_scores.sum(axis=-1, keepdims=True)
    heads = weights @ V  # (num_heads, n, d_head)
    return heads.transpose(1, 0, 2).reshape(n, d_model) @ W_o
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_rng = np.random.default_rng(5)
_X = _rng.normal(size=(6, 8))
_W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(8, 8)) / np.sqrt(8) for _ in range(4))
_out = multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, num_heads=2)
assert isinstance(_out, np.ndarray), "return only the output array (not a tuple with the weights)"
assert _out.shape == (6, 8), f"expected shape (n, d_model) = (6, 8), got {_out.shape}"
assert np.all(np.isfinite(_out))

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_one_head", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# With one head, multi-head attention is plain scaled dot-product attention followed by W_o.
_rng = np.random.default_rng(6)
_X = _rng.normal(size=(5, 4))
_W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(4, 4)) / 2 for _ in range(4))
_scores = (_X @ _W_q) @ (_X @ _W_k).T / np.sqrt(4)
_weights = np.exp(_scores - _scores.max(axis=1, keepdims=True))
_weights /= _weights.sum(axis=1, keepdims=True)
_expected = _weights @ (_X @ _W_v) @ _W_o
assert np.allclose(multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, num_heads=1), _expected), \
    "with num_heads=1 the result should be softmax(X W_q (X W_k)^T / sqrt(d_model)) X W_v W_o"
### BEGIN HIDDEN TESTS
# Two, three and four heads, against a loop over the heads written out here (computed before the
# call, which gets copies).
_rng = np.random.default_rng(66)
for _n, _d_model, _num_heads in [(5, 4, 2), (3, 6, 3), (7, 8, 2), (4, 4, 4), (6, 6, 2)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _d_head = _d_model // _num_heads
    _heads = []
    for _h in range(_num_heads):
        _cols = slice(_h * _d_head, (_h + 1) * _d_head)
        _s = (_X @ _W_q)[:, _cols] @ (_X @ _W_k)[:, _cols].T / np.sqrt(_d_head)
        _a = np.exp(_s - _s.max(axis=1, keepdims=True))
        _heads.append(_a / _a.sum(axis=1, keepdims=True) @ (_X @ _W_v)[:, _cols])
    _expected = np.concatenate(_heads, axis=1) @ _W_o
    _ours = multi_head_attention(_X.copy(), _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads)
    assert np.allclose(_ours, _expected, rtol=0, atol=1e-9), \
        f"differs from a loop over the heads for n={_n}, d_model={_d_model}, heads={_num_heads}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch


def _torch_self_attention(X, W_q, W_k, W_v, W_o, num_heads, blocked=None):
    """torch.nn.MultiheadAttention with our weights. torch applies a weight as x @ W^T, so it
    stores the transposes of ours; its boolean attn_mask marks the *blocked* pairs."""
    d_model = X.shape[1]
    layer = _torch.nn.MultiheadAttention(d_model, num_heads, bias=False, batch_first=True, dtype=_torch.float64)
    with _torch.no_grad():
        layer.in_proj_weight.copy_(_torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T])))
        layer.out_proj.weight.copy_(_torch.from_numpy(np.ascontiguousarray(W_o.T)))
        x = _torch.from_numpy(X)[None]
        out, _ = layer(x, x, x, attn_mask=None if blocked is None else _torch.from_numpy(blocked), need_weights=False)
    return out[0].numpy()


_rng = np.random.default_rng(707)
for _n, _d_model, _num_heads in [(1, 4, 1), (6, 4, 2), (5, 8, 1), (5, 8, 2), (9, 8, 4), (4, 12, 4), (7, 16, 4),
                                 (3, 4, 4)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _ref = _torch_self_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads)
    _ours = multi_head_attention(_X.copy(), _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads)
    assert np.shape(_ours) == (_n, _d_model)
    assert np.allclose(_ours, _ref, rtol=0, atol=1e-9), \
        f"differs from torch for n={_n}, d_model={_d_model}, heads={_num_heads}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_causal_mask", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments


def _torch_self_attention(X, W_q, W_k, W_v, W_o, num_heads, blocked=None):
    """torch.nn.MultiheadAttention with our weights. torch applies a weight as x @ W^T, so it
    stores the transposes of ours; its boolean attn_mask marks the *blocked* pairs."""
    d_model = X.shape[1]
    layer = _torch.nn.MultiheadAttention(d_model, num_heads, bias=False, batch_first=True, dtype=_torch.float64)
    with _torch.no_grad():
        layer.in_proj_weight.copy_(_torch.from_numpy(np.concatenate([W_q.T, W_k.T, W_v.T])))
        layer.out_proj.weight.copy_(_torch.from_numpy(np.ascontiguousarray(W_o.T)))
        x = _torch.from_numpy(X)[None]
        out, _ = layer(x, x, x, attn_mask=None if blocked is None else _torch.from_numpy(blocked), need_weights=False)
    return out[0].numpy()


def _loop_reference(X, W_q, W_k, W_v, W_o, num_heads, mask):
    """The heads one by one, blocked scores at -inf, written out here."""
    n, d_model = X.shape
    d_head = d_model // num_heads
    allowed = np.broadcast_to(mask, (n, n))
    heads = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = np.where(allowed, (X @ W_q)[:, cols] @ (X @ W_k)[:, cols].T / np.sqrt(d_head), -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        heads.append(a / a.sum(axis=1, keepdims=True) @ (X @ W_v)[:, cols])
    return np.concatenate(heads, axis=1) @ W_o


def _random_mask(rng, shape):
    """A random boolean mask in which every row allows at least one key."""
    mask = rng.random(shape) < 0.5
    mask[np.arange(shape[0]), rng.integers(0, shape[1], size=shape[0])] = True
    return mask


# Every reference is computed before the call, and the call gets copies.
_rng = np.random.default_rng(808)
for _n, _d_model, _num_heads in [(1, 4, 2), (6, 4, 2), (5, 8, 1), (9, 8, 4), (4, 12, 4), (7, 6, 2)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _may_attend = np.tril(np.ones((_n, _n), dtype=bool))  # built here, not with the student's causal_mask
    _ref = _torch_self_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads, blocked=~_may_attend)
    _ours = multi_head_attention(_X.copy(), _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads,
                                 mask=_may_attend.copy())
    assert np.allclose(_ours, _ref, rtol=0, atol=1e-9), f"causal: differs from torch for n={_n}, heads={_num_heads}"
    # causality itself: changing the last position must not change any earlier output
    _X2 = _X.copy()
    _X2[-1] += 1.0
    _ours2 = multi_head_attention(_X2, _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads,
                                  mask=_may_attend.copy())
    assert np.allclose(_ours[:-1], _ours2[:-1], rtol=0, atol=1e-9), "an earlier position saw a later one"

# Other masks that broadcast to (n, n): a random (n, n) one and a (1, n) one shared by every query.
for _n, _d_model, _num_heads, _mask_shape in [(6, 4, 2, (6, 6)), (5, 6, 3, (5, 5)), (7, 8, 2, (1, 7)),
                                              (4, 4, 1, (1, 4))]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _mask = _random_mask(_rng, _mask_shape)
    _ref = _torch_self_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads,
                                 blocked=np.broadcast_to(~_mask, (_n, _n)).copy())
    _ours = multi_head_attention(_X.copy(), _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads,
                                 mask=_mask.copy())
    assert np.allclose(_ours, _ref, rtol=0, atol=1e-9), f"differs from torch with a mask of shape {_mask_shape}"

# Scores of about +-1e30: a blocked pair still gets weight exactly 0 (a -1e9 fill, or a mask added
# to the scores, lets it through). Each row's weights are then one-hot on its largest allowed score.
for _n, _d_model, _num_heads in [(5, 4, 1), (6, 4, 2), (6, 8, 4)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k = (1e15 * _rng.normal(size=(_d_model, _d_model)) for _ in range(2))
    _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(2))
    _may_attend = np.tril(np.ones((_n, _n), dtype=bool))
    _ref = _loop_reference(_X, _W_q, _W_k, _W_v, _W_o, _num_heads, _may_attend)
    _ours = multi_head_attention(_X.copy(), _W_q.copy(), _W_k.copy(), _W_v.copy(), _W_o.copy(), _num_heads,
                                 mask=_may_attend.copy())
    assert np.all(np.isfinite(_ours)), "scores of 1e30 must not give inf or nan"
    assert np.allclose(_ours, _ref, rtol=0, atol=1e-9), \
        f"with scores of about 1e30 a blocked pair must still get weight exactly 0 (n={_n}, heads={_num_heads})"

# The function must not modify its arguments.
_X = _rng.normal(size=(5, 8))
_W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(8, 8)) / np.sqrt(8) for _ in range(4))
_mask = np.tril(np.ones((5, 5), dtype=bool))
_result, _changed = changed_arguments(multi_head_attention, _X, _W_q, _W_k, _W_v, _W_o, 2, _mask)
assert not _changed, f"multi_head_attention must not modify X, the weights or mask (changed: arguments {_changed})"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "positional_encoding_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4 — Sinusoidal positional encoding (3 points)
#
# Nothing in self-attention knows where a row sits in the sequence: shuffle the rows of $X$ and
# (without a mask) the output rows are shuffled in the same way, nothing else changes. Order must be
# added to the input. Vaswani et al. (2017) add to each input row a fixed vector that depends on
# the position only, built from sines and cosines of geometrically spaced frequencies. For
# position $\text{pos} = 0, 1, \dots, n - 1$ and $i = 0, 1, 2, \dots$:
#
# $$PE[\text{pos}, 2i] = \sin\!\left(\frac{\text{pos}}{10000^{2i/d}}\right), \qquad
#   PE[\text{pos}, 2i + 1] = \cos\!\left(\frac{\text{pos}}{10000^{2i/d}}\right).$$
#
# Even columns hold sines, odd columns cosines, **interleaved**; column $2i + 1$ uses the same
# frequency as column $2i$ (the exponent is $2i/d$ for both, not the column index over $d$).
#
# Implement `positional_encoding(n, d)`: return a float array of shape `(n, d)` with row `pos`
# the encoding of position `pos`, positions starting at 0. The formula holds for every $d \ge 1$,
# with $d$ itself in the exponent. **When $d$ is odd**, the last column $d - 1$ is even, so it is
# a sine, $\sin(\text{pos} / 10000^{(d-1)/d})$, with no cosine partner.

# %% nbgrader={"grade": false, "grade_id": "positional_encoding", "locked": false, "schema_version": 3, "solution": true, "task": false}
def positional_encoding(n, d):
    """Sinusoidal positional encoding, shape (n, d): sines in even columns, cosines in odd ones."""
    ### BEGIN SOLUTION
    positions = np.arange(n)[:, None]
    even_columns = np.arange(0, d, 2)  # the values 2i
    angles = positions / 10000.0 ** (even_columns / d)
    encoding = np.zeros((n, d))
    encoding[:, 0::2] = np.sin(angles)
    encoding[:, 1::2] = np.cos(angles[:, : d // 2])  # odd d: the last sine has no cosine partner
    return encoding
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_positional_encoding_shape", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_pe = positional_encoding(10, 6)
assert isinstance(_pe, np.ndarray), "positional_encoding must return a numpy array"
assert _pe.shape == (10, 6), f"expected shape (n, d) = (10, 6), got {_pe.shape}"
assert np.issubdtype(_pe.dtype, np.floating), f"expected a float array, got {_pe.dtype}"
assert np.allclose(_pe[0], [0, 1, 0, 1, 0, 1]), f"position 0 encodes as sin(0), cos(0), ... = 0, 1, 0, 1, ...; got {_pe[0]}"

# %% nbgrader={"grade": true, "grade_id": "test_positional_encoding_values", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_pe = positional_encoding(3, 8)
_angle = 1 / 10000 ** (2 / 8)  # position 1, i = 1
assert np.allclose(_pe[1, :4], [np.sin(1.0), np.cos(1.0), np.sin(_angle), np.cos(_angle)]), \
    f"row 1 should start sin(1), cos(1), sin(1/10000^(2/8)), cos(1/10000^(2/8)); got {_pe[1, :4]}"
### BEGIN HIDDEN TESTS
for _n, _d in [(1, 2), (7, 4), (50, 16), (128, 64), (20, 10)]:
    _ref = np.empty((_n, _d))
    for _pos in range(_n):
        for _i in range(_d // 2):
            _ref[_pos, 2 * _i] = np.sin(_pos / 10000 ** (2 * _i / _d))
            _ref[_pos, 2 * _i + 1] = np.cos(_pos / 10000 ** (2 * _i / _d))
    _pe = positional_encoding(_n, _d)
    assert np.shape(_pe) == (_n, _d)
    assert np.allclose(_pe, _ref, rtol=0, atol=1e-9), f"differs from the formula for n={_n}, d={_d}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_positional_encoding_odd_d", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_pe = positional_encoding(4, 5)
assert np.shape(_pe) == (4, 5), f"odd d: expected shape (4, 5), got {np.shape(_pe)}"
### BEGIN HIDDEN TESTS
for _n, _d in [(4, 5), (6, 1), (9, 3), (30, 7), (12, 15)]:
    _ref = np.empty((_n, _d))
    for _pos in range(_n):
        for _col in range(_d):
            _freq = 1 / 10000 ** ((_col - _col % 2) / _d)  # columns 2i and 2i + 1 share the exponent 2i/d
            _ref[_pos, _col] = np.sin(_pos * _freq) if _col % 2 == 0 else np.cos(_pos * _freq)
    _pe = positional_encoding(_n, _d)
    assert np.shape(_pe) == (_n, _d)
    assert np.allclose(_pe, _ref, rtol=0, atol=1e-9), f"differs from the formula for odd d={_d}"
    assert np.allclose(_pe[:, -1], np.sin(np.arange(_n) / 10000 ** ((_d - 1) / _d)), rtol=0, atol=1e-9), \
        "odd d: the last column is a sine"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "allowed_pairs_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5 — Count before you compute: a sliding-window mask (3 points)
#
# A causal mask still lets about half of the $n^2$ (query, key) pairs through, so attention stays
# quadratic in $n$. Many models for long sequences also restrict each position to a **window** of
# the $w$ most recent positions, itself included: position $i$ may attend to position $j$ exactly
# when $0 \le i - j < w$.
#
# How many pairs does such a mask allow? Work it out on paper before you write any code: count
# the keys that row $i$ may attend to (it is not the same number for every row), then add up the
# rows. A short formula comes out, with one case distinction.
#
# Implement `allowed_pairs(n, w=None)`: return the number of `True` entries of that $(n, n)$
# mask, as an exact integer (a Python `int` or a numpy integer, not a float).
#
# * `w=None` means no window: return the number of `True` entries of `causal_mask(n)` from part 2.
# * `n` and `w` are integers $\ge 1$, and `w` may be smaller than `n`, equal to it or larger (a
#   window at least as long as the sequence blocks nothing beyond the causal mask).
# * The tests use `n` and `w` up to $10^9$, far too large to build the mask or to loop over the
#   rows in the time a test has: return the formula you derived. Compute it with integers (`//`,
#   not `/`): above $2^{53}$ a float cannot hold every integer exactly.

# %% nbgrader={"grade": false, "grade_id": "allowed_pairs", "locked": false, "schema_version": 3, "solution": true, "task": false}
def allowed_pairs(n, w=None):
    """Number of (i, j) with 0 <= i - j < w among n positions (w=None: no window, the causal mask)."""
    ### BEGIN SOLUTION
    if w is None:
        w = n
    # Row i allows min(i + 1, w) keys: 1, 2, ..., w while the window is still filling, then w.
    ramp = min(n, w)
    return ramp * (ramp + 1) // 2 + (n - ramp) * w
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_allowed_pairs_small", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_count = allowed_pairs(4)
assert isinstance(_count, (int, np.integer)) and not isinstance(_count, (bool, np.bool_)), \
    f"return an integer (compute with //, not /), got {type(_count).__name__}"
assert _count == 10, f"causal_mask(4) has 10 True entries, got {_count}"
# a window of 2 among 5 positions, the mask built here
_i = np.arange(5)
_expected = int(np.sum((_i[:, None] - _i[None, :] >= 0) & (_i[:, None] - _i[None, :] < 2)))
assert allowed_pairs(5, 2) == _expected, f"allowed_pairs(5, 2) should be {_expected}, got {allowed_pairs(5, 2)}"

# %% nbgrader={"grade": true, "grade_id": "test_allowed_pairs_against_masks", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
# Every small size, the window shorter than, as long as and longer than the sequence: the count
# against the mask itself, built here.
for _n in range(1, 13):
    _i = np.arange(_n)
    _lag = _i[:, None] - _i[None, :]  # i - j
    for _w in [None] + list(range(1, 16)):
        _mask = (_lag >= 0) & (_lag < (_n if _w is None else _w))
        _count = allowed_pairs(_n) if _w is None else allowed_pairs(_n, _w)
        assert isinstance(_count, (int, np.integer)) and not isinstance(_count, (bool, np.bool_)), \
            "return an integer"
        assert _count == int(_mask.sum()), \
            f"allowed_pairs({_n}, {_w}) should be {int(_mask.sum())}, the True entries of the mask; got {_count}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_allowed_pairs_large", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
def _pairs(n, w):
    """Rows 0 .. n-1 allow 1, 2, ..., min(n, w) keys, then w each."""
    ramp = min(n, w)
    return ramp * (ramp + 1) // 2 + (n - ramp) * w


_big = 10 ** 9
for _n, _w in [(_big, None), (_big, _big), (_big, _big - 1), (_big - 1, _big), (_big, 1), (_big, 2),
               (_big, 4096), (1, _big), (2, _big), (123456789, 1000), (_big - 7, 987654321), (3 ** 18, 2 ** 20)]:
    _expected = _pairs(_n, _n if _w is None else _w)
    _count = allowed_pairs(_n) if _w is None else allowed_pairs(_n, _w)
    assert isinstance(_count, (int, np.integer)) and not isinstance(_count, (bool, np.bool_)), \
        "return an exact integer (compute with //, not /)"
    assert int(_count) == _expected, f"allowed_pairs({_n}, {_w}) should be {_expected}, got {_count}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "q3_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q3 — A recurrent layer against a self-attention layer
#
# Take a sequence of $n$ vectors of dimension $d$. Compare one recurrent layer (state size $d$)
# with one self-attention layer on three counts:
#
# * **cost per layer**: multiply-adds as a function of $n$ and $d$. As in Vaswani et al. (2017,
#   Table 1), count the work that mixes information across positions: for the recurrent layer, its
#   $n$ state updates; for self-attention, the scores and the weighted sums of the values (the
#   projections to queries, keys and values are left out of the count);
# * **sequential operations**: how many steps must run one after another, however many
#   processors you have;
# * **maximum path length**: the largest number of steps a signal needs to travel from any input
#   position to any output position within the layer.
#
# Which row is right?
#
# | option | recurrent: cost | recurrent: sequential | recurrent: path | self-attention: cost | self-attention: sequential | self-attention: path |
# |---|---|---|---|---|---|---|
# | **A** | $O(n d^3)$ | $O(n)$ | $O(n)$ | $O(n^2 d)$ | $O(1)$ | $O(1)$ |
# | **B** | $O(n^2 d)$ | $O(n)$ | $O(n)$ | $O(n d^2)$ | $O(1)$ | $O(1)$ |
# | **C** | $O(n d^2)$ | $O(1)$ | $O(n)$ | $O(n^2 d)$ | $O(n)$ | $O(1)$ |
# | **D** | $O(n d^2)$ | $O(n)$ | $O(n)$ | $O(n^2 d)$ | $O(1)$ | $O(1)$ |
#
# Set `answer_q3` to one letter, `"A"`, `"B"`, `"C"` or `"D"`.

# %% nbgrader={"grade": false, "grade_id": "answer_q3", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q3 = "D"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_answer_q3", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q3, str) and answer_q3 in ("A", "B", "C", "D"), 'answer_q3 must be one of "A", "B", "C", "D"'
### BEGIN HIDDEN TESTS
assert answer_q3 == "D"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "free_response_distant_dependencies", "locked": true, "points": 4, "schema_version": 3, "solution": false, "task": true}
# ## 6 — Written: linking two distant tokens (4 points, graded by hand)
#
# Take a sequence of length $n$ and two tokens far apart in it, at positions $i < j$, where the
# representation computed at $j$ should depend on the token at $i$.
#
# In five to ten sentences, explain **how self-attention shortens the route of this dependency
# compared with a recurrent layer (an LSTM, say), and what it pays for the shortcut.** Cover these
# four questions; each earns one point.
#
# 1. **The route.** How does the token at $i$ reach the representation at $j$ in a recurrent
#    layer, and how in a self-attention layer? Describe both.
# 2. **The gradient.** How many steps does that route take in each layer, as a function of the
#    distance $j - i$, and what does that mean for the gradient of $j$'s output with respect to
#    the token at $i$?
# 3. **The price in computation.** What must a self-attention layer compute to have this shortcut
#    for every pair of positions, and how does its cost grow with $n$, compared with the recurrent
#    layer's?
# 4. **The price in order.** What does a recurrent layer know for free about where $i$ and $j$
#    sit in the sequence that self-attention does not, and how is that given back to it?
#
# Refer to the functions you wrote above where they help. Write your answer in the cell below
# this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (4 points, one per question of the prompt).** Award each point independently; accept
# any wording that shows the idea. Where a point lists two things, both are needed.
#
# 1. **The route, in both layers (1 pt; both are needed).** In self-attention, position $j$'s
#    query is compared with position $i$'s key in a single score $q_j \cdot k_i / \sqrt{d_k}$, and
#    $i$'s value enters $j$'s output through one softmax-weighted sum, in the same layer, whatever
#    $|i - j|$ is. In a recurrent layer the token at $i$ reaches $j$ only by being carried through
#    every hidden state in between, each step overwriting part of a fixed-size state. An answer
#    that describes only one of the two routes does not earn the point.
# 2. **Path length and what it does to the gradient (1 pt; both are needed).** The route has
#    $O(1)$ steps in attention, whatever the distance, against $j - i$ steps, up to $O(n)$, in the
#    recurrent layer; *and* so the gradient of $j$'s output with respect to token $i$ passes through
#    a fixed number of operations in attention, instead of a product of $j - i$ step Jacobians (like
#    $\operatorname{diag}(1 - h^2) W_h$ in Assignment 1), which tends to vanish or explode with the
#    distance; gates (LSTM) only slow that decay down. Mentioning that all pairs are computed at
#    once, $O(1)$ sequential operations against $O(n)$, is welcome but does not replace either part.
# 3. **Cost quadratic in $n$, against linear (1 pt; both are needed).** The shortcut exists because
#    every pair of positions is scored: $n^2$ scores per head and layer, $O(n^2 d)$ time (or
#    $O(n^2)$ memory for the weights) that grows quadratically in $n$; *and* the recurrent layer's
#    cost, $O(n d^2)$, grows only linearly in $n$. Either time or memory may be the quadratic
#    quantity named.
# 4. **Order must be added back (1 pt; both are needed).** Attention by itself ignores position:
#    permuting the inputs permutes the outputs, so it does not know which token comes first or how
#    far apart $i$ and $j$ are, which recurrence builds in by processing the tokens in order; *and*
#    a remedy: positional encodings added to the inputs (part 4), and, for direction, a causal mask
#    (part 2). Either remedy earns this half.
#
# *Model answer.* In a recurrent layer, the token at position $i$ can only influence position $j$
# by surviving $j - i$ successive updates of a fixed-size hidden state, so the path between them
# grows linearly with their distance, up to $O(n)$. Backpropagation along that path multiplies
# $j - i$ step Jacobians, and the product tends to shrink or blow up with distance; an LSTM's
# gates slow this down but do not change the length of the path. Self-attention instead compares
# the query of position $j$ directly with the key of position $i$, and the value of $i$ enters
# $j$'s output through one weighted sum: the path has constant length, whatever the distance, and
# the gradient from $j$ back to $i$ crosses a fixed number of operations. Every pair is handled at
# the same time, so the layer also needs no sequential steps over positions. The price is that all
# $n^2$ pairs must be scored, which costs $O(n^2 d)$ time and $O(n^2)$ memory per layer, quadratic
# in $n$, against $O(n d^2)$ for recurrence, linear in $n$, and becomes the bottleneck for long
# sequences. And because attention treats its inputs as an unordered set, the order that
# recurrence had built in must be added back, with positional encodings, and with a causal mask
# when the model may not look ahead.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
