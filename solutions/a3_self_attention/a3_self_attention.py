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
# | part | what | points |
# |---|---|---|
# | 1 | `scaled_dot_product_attention` | 5 |
# | 2 | `causal_mask` | 2 |
# | 3 | `multi_head_attention` | 4 |
# | 4 | `positional_encoding` | 3 |
# | Q3 | multiple choice: recurrent vs. self-attention layer | 1 |
# | 5 | written: distant dependencies (graded by hand) | 4 |
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
#   by setting it to $-\infty$ **before** the softmax. This is the convention of PyTorch's
#   `torch.nn.functional.scaled_dot_product_attention` for a boolean `attn_mask`. (Careful:
#   `torch.nn.MultiheadAttention` uses the opposite one, `True` = blocked.)
# * **A row with every key blocked.** If a query may attend to no key at all, there is nothing to
#   average. In this course that row of `weights` is all zeros and that row of `output` is all
#   zeros; no `nan`, and no warning. (Setting every score of the row to $-\infty$ and then
#   subtracting the row's maximum computes $-\infty - (-\infty)$, which is `nan`: handle such rows
#   on purpose.)
# * **Large scores.** Scores in the thousands are legal input. $e^{1000}$ overflows a float64, so
#   subtract each row's maximum (over its allowed keys) before exponentiating; this does not change
#   the softmax. Your function must return finite numbers and print no warning.
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
_out, _w = scaled_dot_product_attention(_Q, _K, _V)
assert np.allclose(_w, [_expected_w]), f"weights should be {_expected_w}, got {_w}"
assert np.allclose(_out, [_expected_w @ _V]), f"output should be {_expected_w @ _V}, got {_out}"
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(101)
for _n, _m, _d_k, _d_v in [(4, 6, 3, 5), (5, 2, 9, 1), (1, 7, 2, 4)]:
    _Q, _K, _V = _rng.normal(size=(_n, _d_k)), _rng.normal(size=(_m, _d_k)), _rng.normal(size=(_m, _d_v))
    _scores = np.array([[q @ k for k in _K] for q in _Q]) / np.sqrt(_d_k)
    _e = np.exp(_scores - _scores.max(axis=1, keepdims=True))
    _ref_w = _e / _e.sum(axis=1, keepdims=True)
    _out, _w = scaled_dot_product_attention(_Q, _K, _V)
    assert np.allclose(_w, _ref_w, atol=1e-12)
    assert np.allclose(_out, _ref_w @ _V, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_masks", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# With all-zero queries and keys every score is 0, so a query spreads its weight evenly over the
# keys it may attend to. Row i may attend to keys 0..i here.
_allowed = np.array([[True, False, False], [True, True, False], [True, True, True]])
_out, _w = scaled_dot_product_attention(np.zeros((3, 2)), np.zeros((3, 2)), np.eye(3), mask=_allowed)
_expected = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])
assert np.allclose(_w, _expected), f"with this mask the weights should be\n{_expected}\ngot\n{_w}"
assert np.allclose(_out, _expected), "output = weights @ V, and V is the identity here"
### BEGIN HIDDEN TESTS
import torch as _torch
import torch.nn.functional as _F


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


_rng = np.random.default_rng(202)
for _batch, _n, _m, _d_k, _d_v, _mask_shape in [
        ((), 4, 6, 3, 5, (4, 6)),
        ((3,), 5, 4, 8, 2, (5, 4)),
        ((3,), 5, 4, 8, 2, (1, 5, 4)),
        ((3,), 2, 7, 4, 6, (3, 2, 7)),
        ((2, 3), 4, 5, 6, 3, (4, 5)),
        ((2, 3), 4, 5, 6, 3, (1, 4, 5)),
]:
    _Q = _rng.normal(size=_batch + (_n, _d_k))
    _K = _rng.normal(size=_batch + (_m, _d_k))
    _V = _rng.normal(size=_batch + (_m, _d_v))
    _mask = _random_mask(_rng, _mask_shape)
    _out, _w = scaled_dot_product_attention(_Q, _K, _V, mask=_mask)
    _ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K), _torch.from_numpy(_V),
                                               attn_mask=_torch.from_numpy(_mask)).numpy()
    assert np.shape(_out) == _batch + (_n, _d_v) and np.shape(_w) == _batch + (_n, _m)
    assert np.allclose(_out, _ref_out, atol=1e-10), f"masked output differs from torch, mask shape {_mask_shape}"
    assert np.allclose(_w, _reference_weights(_Q, _K, _mask), atol=1e-12)
    assert np.all(np.asarray(_w)[~np.broadcast_to(_mask, np.shape(_w))] == 0.0), "blocked keys get weight 0"
# a mask that allows everything changes nothing
_Q, _K, _V = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)), _rng.normal(size=(2, 5, 3))
_out_all, _w_all = scaled_dot_product_attention(_Q, _K, _V, mask=np.ones((3, 5), dtype=bool))
_out_none, _w_none = scaled_dot_product_attention(_Q, _K, _V)
assert np.allclose(_out_all, _out_none) and np.allclose(_w_all, _w_none)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_scaled_dot_product_attention_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
import torch.nn.functional as _F

_rng = np.random.default_rng(303)
for _batch, _n, _m, _d_k, _d_v in [((), 1, 1, 1, 1), ((), 4, 6, 3, 5), ((), 7, 3, 2, 9), ((3,), 5, 2, 8, 4),
                                   ((1,), 6, 6, 16, 16), ((2, 3), 3, 7, 6, 2), ((4, 1), 2, 5, 3, 7)]:
    _Q = _rng.normal(size=_batch + (_n, _d_k))
    _K = _rng.normal(size=_batch + (_m, _d_k))
    _V = _rng.normal(size=_batch + (_m, _d_v))
    _out, _w = scaled_dot_product_attention(_Q, _K, _V)
    _ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K),
                                               _torch.from_numpy(_V)).numpy()
    # the weights, written out independently of torch: softmax over the keys of the scaled scores
    _scores = np.einsum("...nd,...md->...nm", _Q, _K) / np.sqrt(_d_k)
    _e = np.exp(_scores - _scores.max(axis=-1, keepdims=True))
    _ref_w = _e / _e.sum(axis=-1, keepdims=True)
    assert np.shape(_out) == _batch + (_n, _d_v), f"output shape {np.shape(_out)} for batch {_batch}"
    assert np.shape(_w) == _batch + (_n, _m), f"weights shape {np.shape(_w)} for batch {_batch}"
    assert np.allclose(_out, _ref_out, atol=1e-10), f"output differs from torch for batch {_batch}"
    assert np.allclose(_w, _ref_w, atol=1e-12), f"weights differ from the softmax for batch {_batch}"
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
_out, _w = scaled_dot_product_attention(_Q, _K, _V)
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), "large scores must not give inf or nan"
assert np.allclose(_w, _reference_weights(_Q, _K), atol=1e-9)
_ref_out = _F.scaled_dot_product_attention(_torch.from_numpy(_Q), _torch.from_numpy(_K), _torch.from_numpy(_V)).numpy()
assert np.allclose(_out, _ref_out, atol=1e-8)
_mask = _rng.random((4, 6)) < 0.6
_mask[:, 0] = True
_out, _w = scaled_dot_product_attention(_Q, _K, _V, mask=_mask)
assert np.allclose(_w, _reference_weights(_Q, _K, _mask), atol=1e-9)

# Fully blocked rows: zero weights and zero output, no nan, no warning.
_Q, _K, _V = _rng.normal(size=(2, 3, 4)), _rng.normal(size=(2, 5, 4)), _rng.normal(size=(2, 5, 6))
_mask = _rng.random((2, 3, 5)) < 0.5
_mask[..., 2] = True
_mask[0, 0, :] = False
_mask[1, 2, :] = False
_out, _w = scaled_dot_product_attention(_Q, _K, _V, mask=_mask)
assert np.all(np.isfinite(_out)) and np.all(np.isfinite(_w)), "a fully blocked row must not give nan"
assert np.all(np.asarray(_w)[0, 0] == 0.0) and np.all(np.asarray(_w)[1, 2] == 0.0), "blocked row: zero weights"
assert np.all(np.asarray(_out)[0, 0] == 0.0) and np.all(np.asarray(_out)[1, 2] == 0.0), "blocked row: zero output"
_ref_w = _reference_weights(_Q, _K, _mask)
assert np.allclose(_w, _ref_w, atol=1e-12) and np.allclose(_out, _ref_w @ _V, atol=1e-12)
# the same through a shared (n, m) mask, unbatched and batched
_shared = np.ones((3, 5), dtype=bool)
_shared[1] = False
for _Qb, _Kb, _Vb in [(_Q[0], _K[0], _V[0]), (_Q, _K, _V)]:
    _out, _w = scaled_dot_product_attention(_Qb, _Kb, _Vb, mask=_shared)
    _ref_w = _reference_weights(_Qb, _Kb, _shared)
    assert np.allclose(_w, _ref_w, atol=1e-12) and np.allclose(_out, _ref_w @ _Vb, atol=1e-12)
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
#    in part 1; every head uses the same mask. (No test here blocks every key of a row.)
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
# Two and three heads, against a loop over the heads written out here.
_rng = np.random.default_rng(66)
for _n, _d_model, _num_heads in [(5, 4, 2), (3, 6, 3), (7, 8, 2)]:
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
    assert np.allclose(multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads), _expected, atol=1e-12)
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
for _n, _d_model, _num_heads in [(1, 4, 1), (6, 4, 2), (5, 8, 1), (5, 8, 2), (9, 8, 4), (4, 12, 4), (7, 16, 4)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _ours = multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads)
    _ref = _torch_self_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads)
    assert np.shape(_ours) == (_n, _d_model)
    assert np.allclose(_ours, _ref, atol=1e-10), f"differs from torch for n={_n}, d_model={_d_model}, heads={_num_heads}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_multi_head_attention_causal_mask", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
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


_rng = np.random.default_rng(808)
for _n, _d_model, _num_heads in [(1, 4, 2), (6, 4, 2), (5, 8, 1), (9, 8, 4), (4, 12, 4), (7, 6, 2)]:
    _X = _rng.normal(size=(_n, _d_model))
    _W_q, _W_k, _W_v, _W_o = (_rng.normal(size=(_d_model, _d_model)) / np.sqrt(_d_model) for _ in range(4))
    _may_attend = np.tril(np.ones((_n, _n), dtype=bool))  # built here, not with the student's causal_mask
    _ours = multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads, mask=_may_attend)
    _ref = _torch_self_attention(_X, _W_q, _W_k, _W_v, _W_o, _num_heads, blocked=~_may_attend)
    assert np.allclose(_ours, _ref, atol=1e-10), f"causal: differs from torch for n={_n}, heads={_num_heads}"
    # causality itself: changing the last position must not change any earlier output
    _X2 = _X.copy()
    _X2[-1] += 1.0
    _ours2 = multi_head_attention(_X2, _W_q, _W_k, _W_v, _W_o, _num_heads, mask=_may_attend)
    assert np.allclose(_ours[:-1], _ours2[:-1], atol=1e-12), "an earlier position saw a later one"
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
    assert np.allclose(_pe, _ref, atol=1e-9), f"differs from the formula for n={_n}, d={_d}"
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
    assert np.allclose(_pe, _ref, atol=1e-9), f"differs from the formula for odd d={_d}"
    assert np.allclose(_pe[:, -1], np.sin(np.arange(_n) / 10000 ** ((_d - 1) / _d))), "odd d: last column is a sine"
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
# ## 5 — Written: linking two distant tokens (4 points, graded by hand)
#
# Take a sequence of length $n$ and two tokens far apart in it, at positions $i < j$, where the
# representation computed at $j$ should depend on the token at $i$.
#
# In five to ten sentences: **how does self-attention reduce the structural complexity of
# establishing this dependency, compared with a recurrent layer (an LSTM, say)? And what does it
# pay for the shortcut?** Compare the route from $i$ to $j$ in each architecture and what happens
# to a gradient along it; refer to the functions you wrote above where they help. Write your
# answer in the cell below this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (4 points).** Award each point independently; accept any wording that shows the idea.
#
# 1. **Direct query–key comparison (1 pt).** In self-attention, position $j$'s query is compared
#    with position $i$'s key in a single score $q_j \cdot k_i / \sqrt{d_k}$, and $i$'s value enters
#    $j$'s output through one softmax-weighted sum, in the same layer, whatever $|i - j|$ is. In a
#    recurrent layer the token at $i$ reaches $j$ only by being carried through every hidden state
#    in between, each step overwriting part of a fixed-size state.
# 2. **Path length and gradients (1 pt).** The path is $O(1)$ steps for attention against
#    $|i - j|$, i.e. $O(n)$, for recurrence. Consequently the gradient of $j$'s output with respect
#    to token $i$ passes through a fixed number of operations instead of a product of $|i - j|$ step
#    Jacobians (like $\operatorname{diag}(1 - h^2) W_h$ in Assignment 1), which tends to vanish or
#    explode with distance; gates (LSTM) only slow that decay down. Mentioning that all pairs are
#    computed at once, $O(1)$ sequential operations against $O(n)$, is welcome but does not replace
#    the gradient argument.
# 3. **Cost: $n^2$ pairs (1 pt).** The shortcut exists because every pair of positions is scored:
#    $n^2$ scores per head and layer, $O(n^2 d)$ time and $O(n^2)$ memory for the weights, against
#    the recurrent layer's $O(n d^2)$, linear in $n$. For long sequences (large $n$ relative to
#    $d$) this quadratic cost dominates. Any correct statement of the quadratic cost in $n$ earns
#    the point.
# 4. **Order must be added (1 pt).** Attention by itself ignores position: permuting the inputs
#    permutes the outputs, so the distance and order that recurrence builds in for free must be
#    supplied, e.g. by positional encodings added to the inputs (part 4) and, for direction, a
#    causal mask (part 2). Also accept: a short path makes the dependency *learnable*, not
#    learned; the queries and keys still have to be trained to match.
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
# $n^2$ pairs must be scored, which costs $O(n^2 d)$ time and $O(n^2)$ memory per layer, against
# $O(n d^2)$ for recurrence, and becomes the bottleneck for long sequences. And because attention
# treats its inputs as an unordered set, the order that recurrence had built in must be added
# back, with positional encodings, and with a causal mask when the model may not look ahead.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
