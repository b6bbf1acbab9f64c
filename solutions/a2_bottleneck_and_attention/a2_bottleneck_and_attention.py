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
# # Assignment 2 — The bottleneck and attention
#
# **Goals.** Name the weak point of an encoder–decoder without attention, then build the pieces
# that remove it: a softmax that never overflows, one decoder step of dot-product attention,
# Bahdanau's additive score, and attention seen as a soft version of a table lookup, with a
# temperature that turns it back into a hard one. Finally, read an alignment heatmap and explain
# what it says about the model that produced it.
#
# **Before you start:** Lecture 3 (*The context bottleneck*) and Lecture 4 (*Attention*), in the
# course's `lectures/` folder.
#
# **Estimated time:** 90 minutes.
#
# **How this is graded.** Write your code where it says `YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and your written answer where it says so. The test cells
# below each exercise are the *visible* tests: shapes, types and one simple case. When your work is
# graded, hidden tests also run: random sizes, other axes, very large scores, and comparisons with
# PyTorch. Passing the visible tests is necessary, not sufficient. Press **Validate** in the
# toolbar to run everything you can see before you submit. Partial work earns partial credit: each
# function's points are split over several test cells, and each function is tested on its own, so
# a mistake in one part does not cost you the points of another.
#
# **Studying on your own?** When the visible tests pass, check your work against every test,
# hidden ones included. From the course folder, with the path to your copy of this notebook:
#
# ```
# .venv/bin/python -m autograder check a2_bottleneck_and_attention.ipynb
# ```
#
# It prints your points per question and why a test failed, and changes nothing. Written answers
# are graded by hand in a class; working alone, compare yours with the model answer and its rubric
# in the instructor version, in `solutions/a2_bottleneck_and_attention/`, once you have written your own.
#
# Use numpy only in your answers. Do not change the function names or signatures, and do not
# edit or delete the test cells. The tests pass float64 arrays and compare your results with float64
# references (PyTorch in double precision) to within about 1e-9; numpy computes in float64 by
# default, so do not convert to float32. No function may modify the arrays it is given.
#
# | part | what | points |
# |---|---|---|
# | Q2 | multiple choice: the bottleneck before attention | 1 |
# | 1 | `softmax` | 3 |
# | 2 | derive, then check: `softmax_jacobian` | 2 |
# | 3 | `attention_step` | 3 |
# | 4 | `additive_scores` | 3 |
# | 5 | `soft_lookup` | 3 |
# | 6 | written: reading an alignment heatmap (graded by hand) | 3 |

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import numpy as np

# %% [markdown] nbgrader={"grade": false, "grade_id": "q2_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Q2 — Where is the bottleneck?
#
# A sequence-to-sequence model without attention reads the input with a recurrent encoder, then
# a recurrent decoder writes the output one token at a time. Which part limits how much of a
# long input the decoder can use?
#
# * **A.** The recurrent cell (a GRU, say): its gates throw away most of every token it reads.
# * **B.** The embedding layer: each input token is squeezed into a short vector before the
#   encoder sees it.
# * **C.** The softmax output layer: at every step it has to pick one word out of a large
#   vocabulary.
# * **D.** The context vector: the encoder's final hidden state, whose size is fixed in advance,
#   is all the decoder receives about the input, however long the input is.
#
# Set `answer_q2` to one letter, `"A"`, `"B"`, `"C"` or `"D"`.

# %% nbgrader={"grade": false, "grade_id": "answer_q2", "locked": false, "schema_version": 3, "solution": true, "task": false}
### BEGIN SOLUTION
answer_q2 = "D"
### END SOLUTION

# %% nbgrader={"grade": true, "grade_id": "test_answer_q2", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
assert isinstance(answer_q2, str) and answer_q2 in ("A", "B", "C", "D"), 'answer_q2 must be one of "A", "B", "C", "D"'
### BEGIN HIDDEN TESTS
assert answer_q2 == "D"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1 — A softmax that never overflows (3 points)
#
# Attention turns scores into weights with the softmax. Along one axis of an array, each slice
# $x_1, \dots, x_n$ becomes
#
# $$\operatorname{softmax}(x)_j = \frac{e^{x_j}}{\sum_{k=1}^{n} e^{x_k}} .$$
#
# Implement `softmax(x, axis=-1)` for a numpy array `x` of floats. It must
#
# * return an array of the **same shape** as `x` in which every slice along `axis` sums to 1;
# * work for any number of dimensions and any valid `axis`, including `axis=0` and negative
#   axes (`axis=-1` is the last axis, `axis=-2` the one before it);
# * leave `x` itself unchanged;
# * be **numerically stable**: entries as large as `1e4` or as small as `-1e4`, in any mix, must
#   give finite, correct results without any overflow or `RuntimeWarning`. `np.exp(1000.0)` is
#   already `inf`, so the formula above cannot be used as it stands.
# * treat every slice **on its own scale**: slices whose values are far apart must all come out
#   right. For example, `softmax(np.array([[0.0, 1.0, 2.0], [1e4, 1e4 + 1, 1e4 + 2]]))` must
#   return two identical rows, because the two rows differ only by a constant.
#
# *Hint.* The softmax of a slice does not change when the same number is subtracted from every
# entry of that slice. Which number keeps every exponent at or below 0 and at least one of them
# at exactly 0? Reductions such as `np.max(x, axis=axis, keepdims=True)` keep the reduced axis
# with length 1, so the result lines up with `x` again.

# %% nbgrader={"grade": false, "grade_id": "softmax", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax(x, axis=-1):
    """Softmax of x along axis; same shape as x, every slice along axis sums to 1."""
    ### BEGIN SOLUTION
    x = np.asarray(x, dtype=float)
    # Subtracting each slice's own maximum puts every exponent in (-inf, 0]: no overflow, and the
    # largest term is exactly 1, so the denominator is at least 1.
    shifted = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return shifted / np.sum(shifted, axis=axis, keepdims=True)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_basics", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_p = softmax(np.array([0.0, np.log(3.0)]))
assert isinstance(_p, np.ndarray), "softmax must return a numpy array"
assert _p.shape == (2,), f"expected shape (2,), got {_p.shape}"
assert np.allclose(_p, [0.25, 0.75]), f"softmax([0, log 3]) should be [0.25, 0.75], got {_p}"
_P = softmax(np.arange(12.0).reshape(3, 4) / 4)
assert _P.shape == (3, 4), f"the output must have the shape of the input, (3, 4); got {_P.shape}"
assert np.allclose(_P.sum(axis=-1), 1.0), "by default every row (the last axis) must sum to 1"
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments

_rng = np.random.default_rng(3)
_x = _rng.normal(size=(4, 5))
_original = _x.copy()
_P, _changed = changed_arguments(softmax, _x)
assert not _changed, "softmax must not modify its input"
_expected = np.exp(_original) / np.exp(_original).sum(axis=1, keepdims=True)
assert np.allclose(_P, _expected, rtol=1e-9, atol=1e-12)
assert np.allclose(softmax(_original + 7.5), _expected, rtol=1e-9, atol=1e-12), "adding a constant must not change the result"
assert np.allclose(softmax(_original.copy(), axis=-1), _expected, rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_any_axis", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch

_rng = np.random.default_rng(4)
# Square shapes and length-1 axes are included: they hide broadcasting mistakes that other shapes expose.
for _shape, _axis in [((5,), 0), ((5,), -1), ((3, 4), 0), ((3, 4), 1), ((3, 4), -2), ((4, 4), 0), ((4, 4), -1),
                      ((1, 6), 0), ((6, 1), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((2, 3, 4), 2), ((3, 1, 2, 5), -2),
                      ((3, 1, 2, 5), 0)]:
    _x = 3.0 * _rng.normal(size=_shape)
    _ref = _torch.softmax(_torch.from_numpy(_x), dim=_axis).numpy()
    _ours = np.asarray(softmax(_x.copy(), axis=_axis))
    assert _ours.shape == _shape, f"shape {_ours.shape} for an input of shape {_shape}"
    assert np.allclose(_ours, _ref, rtol=1e-9, atol=1e-12), f"differs from torch.softmax for shape {_shape}, axis={_axis}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_large_inputs", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch

# Overflow, 0/0 and division by zero raise here instead of printing a warning. Underflow (a tiny
# weight rounding to 0) is allowed: a stable softmax produces it on purpose.
with np.errstate(over="raise", invalid="raise", divide="raise"):
    assert np.allclose(softmax(np.array([1e4, -1e4, 0.0])), [1.0, 0.0, 0.0])
    assert np.allclose(softmax(np.array([[1e4] * 5, [-1e4] * 5, [0.0] * 5])), 0.2), "equal entries: uniform weights"
    # Each slice on its own scale: one row near 0, one near 1e4 (a maximum over the whole array fails here).
    _small = np.exp([0.0, 1.0, 2.0]) / np.exp([0.0, 1.0, 2.0]).sum()
    _x = np.array([[0.0, 1.0, 2.0], [1e4, 1e4 + 1, 1e4 + 2]])
    # A copy each time: a softmax that changes its input in place is charged once, in the test above.
    assert np.allclose(softmax(_x.copy()), [_small, _small], rtol=1e-9, atol=1e-12)
    assert np.allclose(softmax(_x.T.copy(), axis=0), np.array([_small, _small]).T, rtol=1e-9, atol=1e-12)
    _x = np.array([[-1e4, -1e4 + 1, -1e4 + 2], [0.0, 1.0, 2.0]])
    assert np.allclose(softmax(_x.copy(), axis=-1), [_small, _small], rtol=1e-9, atol=1e-12)
    _rng = np.random.default_rng(5)
    _x = 50.0 * _rng.normal(size=(3, 6, 2))
    _ref = _torch.softmax(_torch.from_numpy(_x), dim=1).numpy()
    for _shift in (1e4, -1e4, 0.0):
        _ours = np.asarray(softmax(_x + _shift, axis=1))
        assert np.all(np.isfinite(_ours)), "no nan or inf"
        assert np.allclose(_ours, _ref, rtol=1e-9, atol=1e-9), f"large inputs (shift {_shift}) give the wrong weights"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "softmax_jacobian_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2 — Derive, then check: the softmax's Jacobian (2 points)
#
# Training attention sends gradients back through the softmax, so its derivative matters. Let
# $p = \operatorname{softmax}(x)$ for a vector $x$ of length $n$. Derive, on paper, the partial
# derivative $\partial p_i / \partial x_j$ for $i = j$ and for $i \ne j$, and write it using the
# entries of $p$ only (no exponentials left). Then implement `softmax_jacobian(p)`:
#
# * `p` is a probability vector of shape `(n,)`, `n >= 1` (the output of a softmax, entries
#   positive and summing to 1);
# * return the `(n, n)` array `J` with `J[i, j]` $= \partial p_i / \partial x_j$;
# * use only `p`: the function is not given `x`, so it has to use the formula you derived.
#
# The tests compare `J` with PyTorch's automatic differentiation of the softmax, for several
# lengths. Once your tests pass, check one consequence of your formula: what is the sum of each
# column of `J`, and why must it be that, given that the entries of $p$ always sum to 1?

# %% nbgrader={"grade": false, "grade_id": "softmax_jacobian", "locked": false, "schema_version": 3, "solution": true, "task": false}
def softmax_jacobian(p):
    """J[i, j] = d p_i / d x_j for p = softmax(x), from p alone: shape (n, n)."""
    ### BEGIN SOLUTION
    p = np.asarray(p, dtype=float)
    # d p_i / d x_j = p_i (delta_ij - p_j): diag(p) on the diagonal, minus the outer product p p^T.
    return np.diag(p) - np.outer(p, p)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_softmax_jacobian_two_entries", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# p = [0.5, 0.5]: raising x_1 raises p_1 exactly as much as it lowers p_2.
_J = softmax_jacobian(np.array([0.5, 0.5]))
assert np.shape(_J) == (2, 2), f"expected shape (n, n) = (2, 2), got {np.shape(_J)}"
assert np.allclose(_J, [[0.25, -0.25], [-0.25, 0.25]]), f"wrong Jacobian for p = [0.5, 0.5]: {_J}"
### BEGIN HIDDEN TESTS
# Unequal p tells the diagonal p_i (1 - p_i) from p_i p_j and from a transposed or negated J.
_J = softmax_jacobian(np.array([0.2, 0.3, 0.5]))
assert np.allclose(_J, [[0.16, -0.06, -0.10], [-0.06, 0.21, -0.15], [-0.10, -0.15, 0.25]], rtol=1e-9, atol=1e-12)
assert np.allclose(softmax_jacobian(np.array([1.0])), [[0.0]]), "n = 1: the only weight is always 1"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_softmax_jacobian_against_autograd", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch
from r2a.checks import changed_arguments

_rng = np.random.default_rng(13)
for _n in (1, 2, 5, 9):
    _x = _torch.from_numpy(2.0 * _rng.normal(size=_n))
    _p = _torch.softmax(_x, dim=0).numpy()
    _ref = _torch.autograd.functional.jacobian(lambda _v: _torch.softmax(_v, dim=0), _x).numpy()
    _J, _changed = changed_arguments(softmax_jacobian, _p)
    assert not _changed, "softmax_jacobian must not modify p"
    assert np.shape(_J) == (_n, _n), f"expected shape ({_n}, {_n}), got {np.shape(_J)}"
    assert np.allclose(_J, _ref, rtol=1e-9, atol=1e-12), f"differs from autograd for n={_n}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "attention_step_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3 — One decoder step of attention (3 points)
#
# The encoder keeps **all** its hidden states $h_1, \dots, h_n \in \mathbb{R}^d$, the rows of `H`.
# At one decoder step with state $s \in \mathbb{R}^d$, dot-product attention computes
#
# $$e_i = s^\top h_i, \qquad \alpha = \operatorname{softmax}(e), \qquad
# c = \sum_{i=1}^{n} \alpha_i h_i ,$$
#
# so the decoder receives a fresh summary $c$ of the input at every step, weighted towards the
# positions whose states match $s$.
#
# Implement `attention_step(s, H)`: `s` has shape `(d,)` and `H` shape `(n, d)`; return the pair
# `(alpha, context)`, in that order, with shapes `(n,)` and `(d,)`.
#
# You may call your `softmax` from part 1 or write the exponentials out with `np.exp`; either
# way the weights must stay correct when scores are in the thousands. (The tests of this part do
# not call your `softmax` themselves; if your `attention_step` does, it needs a correct one.)

# %% nbgrader={"grade": false, "grade_id": "attention_step", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_step(s, H):
    """Dot-product attention of decoder state s (d,) over encoder states H (n, d): (alpha, context)."""
    ### BEGIN SOLUTION
    scores = H @ s                                 # e_i = s . h_i, one per position: shape (n,)
    weights = np.exp(scores - np.max(scores))      # shifted for stability; softmax is unchanged
    alpha = weights / np.sum(weights)
    context = alpha @ H                            # sum_i alpha_i h_i: shape (d,)
    return alpha, context
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_attention_step_simple", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# n = 3 positions, d = 2. Scores are [log 2, 0, log 2], so the weights are [2, 1, 2] / 5.
_H = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
_s = np.array([np.log(2.0), 0.0])
_alpha, _context = attention_step(_s.copy(), _H.copy())
assert np.shape(_alpha) == (3,), f"alpha has one weight per position: expected shape (3,), got {np.shape(_alpha)}"
assert np.shape(_context) == (2,), f"the context has the size of one state: expected (2,), got {np.shape(_context)}"
assert np.allclose(_alpha, [0.4, 0.2, 0.4]), f"wrong weights: {_alpha}"
assert np.allclose(_context, [0.8, 0.6]), f"wrong context: {_context}"
### BEGIN HIDDEN TESTS
# A zero query scores every position equally: uniform weights, context = mean of the states.
_H = np.array([[1.0, 2.0, 0.0], [3.0, -1.0, 4.0]])
_alpha, _context = attention_step(np.zeros(3), _H.copy())
assert np.allclose(_alpha, [0.5, 0.5]) and np.allclose(_context, _H.mean(axis=0))
# One position: all the weight on it, whatever its score.
_alpha, _context = attention_step(np.array([3.0, -2.0]), np.array([[0.5, 7.0]]))
assert np.shape(_alpha) == (1,) and np.allclose(_alpha, [1.0]) and np.allclose(_context, [0.5, 7.0])
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_step_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments
import torch as _torch

_rng = np.random.default_rng(6)
for _n, _d in [(1, 3), (2, 2), (5, 3), (3, 5), (4, 4), (12, 7), (30, 16)]:
    _H = _rng.normal(size=(_n, _d))
    _s = _rng.normal(size=_d)
    _ref_alpha = _torch.softmax(_torch.from_numpy(_H) @ _torch.from_numpy(_s), dim=0)
    _ref_context = _ref_alpha @ _torch.from_numpy(_H)
    (_alpha, _context), _changed = changed_arguments(attention_step, _s, _H)
    assert not _changed, "attention_step must not modify s or H"
    assert np.shape(_alpha) == (_n,) and np.shape(_context) == (_d,), f"wrong shapes for n={_n}, d={_d}"
    assert np.allclose(_alpha, _ref_alpha.numpy(), rtol=1e-9, atol=1e-12), f"weights differ from torch for n={_n}, d={_d}"
    assert np.allclose(_context, _ref_context.numpy(), rtol=1e-9, atol=1e-12), f"context differs from torch for n={_n}, d={_d}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_attention_step_large_scores", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch

_rng = np.random.default_rng(7)
with np.errstate(over="raise", invalid="raise", divide="raise"):
    for _n, _d, _scale in [(6, 4, 300.0), (9, 3, 2000.0), (1, 5, 1e4), (4, 8, -500.0)]:
        _H = _rng.normal(size=(_n, _d))
        _s = _scale * _rng.normal(size=_d)  # scores in the hundreds or thousands
        _ref_alpha = _torch.softmax(_torch.from_numpy(_H) @ _torch.from_numpy(_s), dim=0)
        _ref_context = _ref_alpha @ _torch.from_numpy(_H)
        _alpha, _context = attention_step(_s.copy(), _H.copy())
        assert np.all(np.isfinite(_alpha)) and np.all(np.isfinite(_context)), "no nan or inf for large scores"
        assert np.allclose(_alpha, _ref_alpha.numpy(), rtol=1e-9, atol=1e-9)
        assert np.allclose(_context, _ref_context.numpy(), rtol=1e-9, atol=1e-9)
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "additive_scores_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4 — Bahdanau's additive score (3 points)
#
# The dot product needs $s$ and $h_i$ to live in the same space. Bahdanau, Cho and Bengio (2015)
# score each position with a small one-hidden-layer network instead:
#
# $$e_i = v^\top \tanh\left(W_s\, s + W_h\, h_i\right),$$
#
# where $s \in \mathbb{R}^{d_s}$, $h_i \in \mathbb{R}^{d_h}$ (row $i$ of `H`), $W_s$ has shape
# $(d_a, d_s)$, $W_h$ has shape $(d_a, d_h)$ and $v \in \mathbb{R}^{d_a}$. The decoder and encoder
# sizes $d_s$ and $d_h$ may differ, and so may the attention size $d_a$.
#
# Implement `additive_scores(s, H, W_s, W_h, v)`: return the **scores** $e$ (not the weights: no
# softmax here) as an array of shape `(n,)`, where `H` has shape `(n, d_h)`. A loop over the
# positions is fine; one matrix product for all of them is shorter.

# %% nbgrader={"grade": false, "grade_id": "additive_scores", "locked": false, "schema_version": 3, "solution": true, "task": false}
def additive_scores(s, H, W_s, W_h, v):
    """Additive attention scores e_i = v . tanh(W_s s + W_h h_i) for every row h_i of H: shape (n,)."""
    ### BEGIN SOLUTION
    # Row i of H @ W_h.T is W_h h_i; W_s s is the same for every position and broadcasts over rows.
    hidden = np.tanh(W_s @ s + H @ W_h.T)          # shape (n, d_a)
    return hidden @ v
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_additive_scores_simple", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# d_s = 2, d_h = 3, d_a = 2, n = 4: small numbers you can check by hand.
_s = np.array([1.0, -1.0])
_W_s = np.array([[0.5, 0.0], [0.0, 0.5]])        # W_s s = [0.5, -0.5]
_H = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 1.0]])
_W_h = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])  # W_h h_i picks entries 0 and 2 of h_i
_v = np.array([2.0, 1.0])
_e = additive_scores(_s.copy(), _H.copy(), _W_s.copy(), _W_h.copy(), _v.copy())
assert np.shape(_e) == (4,), f"one score per position: expected shape (4,), got {np.shape(_e)}"
_expected = [2 * np.tanh(1.5) + np.tanh(-0.5), 2 * np.tanh(0.5) + np.tanh(-0.5),
             2 * np.tanh(0.5) + np.tanh(0.5), 2 * np.tanh(1.5) + np.tanh(0.5)]
assert np.allclose(_e, _expected), f"wrong scores: {_e}, expected {np.round(_expected, 4)}"

# %% nbgrader={"grade": true, "grade_id": "test_additive_scores_against_loop", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments
_rng = np.random.default_rng(8)
# All sizes different (catches a transposed W_s or W_h), all equal (catches it by value), and n = 1.
for _n, _d_s, _d_h, _d_a in [(5, 3, 4, 6), (7, 6, 2, 3), (4, 4, 4, 4), (1, 2, 5, 3), (3, 5, 5, 2)]:
    _s = _rng.normal(size=_d_s)
    _H = _rng.normal(size=(_n, _d_h))
    _W_s, _W_h = _rng.normal(size=(_d_a, _d_s)), _rng.normal(size=(_d_a, _d_h))
    _v = _rng.normal(size=_d_a)
    _ref = np.array([_v @ np.tanh(_W_s @ _s + _W_h @ _H[_i]) for _i in range(_n)])
    _e, _changed = changed_arguments(additive_scores, _s, _H, _W_s, _W_h, _v)
    assert not _changed, "additive_scores must not modify its arguments"
    _e = np.asarray(_e)
    assert _e.shape == (_n,), f"expected shape ({_n},), got {_e.shape}"
    assert np.allclose(_e, _ref, rtol=1e-9, atol=1e-12), f"wrong scores for n={_n}, d_s={_d_s}, d_h={_d_h}, d_a={_d_a}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_additive_scores_against_torch", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
import torch as _torch

_rng = np.random.default_rng(9)
for _n, _d_s, _d_h, _d_a in [(10, 8, 6, 5), (6, 3, 3, 3), (2, 7, 1, 4)]:
    _s = 2.0 * _rng.normal(size=_d_s)
    _H = 2.0 * _rng.normal(size=(_n, _d_h))
    _W_s, _W_h = _rng.normal(size=(_d_a, _d_s)), _rng.normal(size=(_d_a, _d_h))
    _v = _rng.normal(size=_d_a)
    # The scoring network as torch layers: two linear maps without bias, tanh, then v.
    _query_layer = _torch.nn.Linear(_d_s, _d_a, bias=False, dtype=_torch.float64)
    _key_layer = _torch.nn.Linear(_d_h, _d_a, bias=False, dtype=_torch.float64)
    with _torch.no_grad():
        _query_layer.weight.copy_(_torch.from_numpy(_W_s))
        _key_layer.weight.copy_(_torch.from_numpy(_W_h))
        _ref = _torch.tanh(_query_layer(_torch.from_numpy(_s)) + _key_layer(_torch.from_numpy(_H))) @ _torch.from_numpy(_v)
    _e = np.asarray(additive_scores(_s.copy(), _H.copy(), _W_s.copy(), _W_h.copy(), _v.copy()))
    assert _e.shape == (_n,)
    assert np.allclose(_e, _ref.numpy(), rtol=1e-9, atol=1e-12), f"differs from the torch scoring network for n={_n}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "soft_lookup_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5 — Attention as a soft lookup (3 points)
#
# A lookup table returns the value stored under the one key that matches the query. Attention
# softens this: the query is compared with **every** key, the comparisons become weights that sum
# to 1, and the result is the weighted mix of the values. A **temperature** $\tau > 0$ sets how
# sharp the weights are:
#
# $$w = \operatorname{softmax}\left(\frac{K q}{\tau}\right), \qquad \text{output} = \sum_{i=1}^{n} w_i\, v_i ,$$
#
# where the similarity of the query $q$ with key $k_i$ (row $i$ of $K$) is the **dot product**
# $k_i^\top q$, and $v_i$ is row $i$ of the values.
#
# Implement `soft_lookup(query, keys, values, temperature=1.0)`:
#
# * `query` has shape `(d,)`, `keys` shape `(n, d)`;
# * `values` has shape `(n, d_v)` (return an array of shape `(d_v,)`) or `(n,)` (return a single
#   number, a numpy scalar or an array of shape `()`);
# * the scores are **divided** by the temperature: a small $\tau$ makes the weights sharper, a
#   large one flatter.
#
# As $\tau \to 0$ the weights concentrate on the best-matching key and the soft lookup becomes the
# hard one; as $\tau \to \infty$ they become uniform and the output tends to the mean of the
# values. Both limits are tested, with temperatures as small as `1e-5`, so the softmax must be
# stable (part 1's, or your own exponentials, shifted).

# %% nbgrader={"grade": false, "grade_id": "soft_lookup", "locked": false, "schema_version": 3, "solution": true, "task": false}
def soft_lookup(query, keys, values, temperature=1.0):
    """Mix of the values weighted by softmax(keys @ query / temperature)."""
    ### BEGIN SOLUTION
    weights = softmax(keys @ query / temperature)  # one weight per key, summing to 1
    return weights @ values                        # (n,) @ (n, d_v) -> (d_v,); (n,) @ (n,) -> scalar
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_soft_lookup_simple", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Two keys; the query scores them log 3 and 0, so the weights are [0.75, 0.25].
_keys = np.array([[1.0, 0.0], [0.0, 1.0]])
_query = np.array([np.log(3.0), 0.0])
_out = soft_lookup(_query.copy(), _keys.copy(), np.array([[10.0, 0.0], [0.0, 10.0]]))
assert np.shape(_out) == (2,), f"values of shape (n, d_v) give an output of shape (d_v,): got {np.shape(_out)}"
assert np.allclose(_out, [7.5, 2.5]), f"wrong mix: {_out}"
_out = soft_lookup(_query.copy(), _keys.copy(), np.array([10.0, 20.0]))
assert np.shape(_out) == (), f"values of shape (n,) give a single number: got shape {np.shape(_out)}"
assert np.isclose(_out, 12.5), f"wrong mix: {_out}"
### BEGIN HIDDEN TESTS
import torch as _torch

_rng = np.random.default_rng(10)
for _n, _d, _d_v in [(6, 3, 4), (1, 2, 3), (9, 5, 1), (4, 4, 4)]:
    _q, _K = _rng.normal(size=_d), _rng.normal(size=(_n, _d))
    _V = _rng.normal(size=(_n, _d_v))
    _w = _torch.softmax(_torch.from_numpy(_K) @ _torch.from_numpy(_q), dim=0)
    assert np.allclose(soft_lookup(_q.copy(), _K.copy(), _V.copy()), (_w @ _torch.from_numpy(_V)).numpy(), rtol=1e-9, atol=1e-12)
    assert np.allclose(soft_lookup(_q.copy(), _K.copy(), _V[:, 0].copy()), float(_w @ _torch.from_numpy(_V[:, 0])), rtol=1e-9, atol=1e-12)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_soft_lookup_temperature", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
from r2a.checks import changed_arguments
import torch as _torch

_rng = np.random.default_rng(11)
for _tau in (0.5, 2.0, 7.0):
    _q, _K, _V = _rng.normal(size=3), _rng.normal(size=(8, 3)), _rng.normal(size=(8, 2))
    _w = _torch.softmax(_torch.from_numpy(_K) @ _torch.from_numpy(_q) / _tau, dim=0)
    _out, _changed = changed_arguments(soft_lookup, _q, _K, _V, _tau)
    assert not _changed, "soft_lookup must not modify query, keys or values"
    assert np.allclose(_out, (_w @ _torch.from_numpy(_V)).numpy(), rtol=1e-9, atol=1e-12), f"wrong output at temperature {_tau}"
# A very large temperature flattens the weights: the output tends to the mean of the values.
_q, _K, _V = _rng.normal(size=4), _rng.normal(size=(5, 4)), _rng.normal(size=(5, 3))
assert np.allclose(soft_lookup(_q.copy(), _K.copy(), _V.copy(), temperature=1e6), _V.mean(axis=0), atol=1e-4)
assert np.allclose(soft_lookup(_q.copy(), _K.copy(), _V[:, 1].copy(), temperature=1e6), _V[:, 1].mean(), atol=1e-4)
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_soft_lookup_hard_limit", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
_rng = np.random.default_rng(12)
_checked = 0
with np.errstate(over="raise", invalid="raise", divide="raise"):
    while _checked < 5:
        _q, _K = _rng.normal(size=4), _rng.normal(size=(7, 4))
        _scores = np.sort(_K @ _q)
        if _scores[-1] - _scores[-2] < 0.1:  # keep cases with a clear best key
            continue
        _best = int(np.argmax(_K @ _q))
        _V = _rng.normal(size=(7, 3))
        for _tau in (1e-3, 1e-5):
            # Scores divided by 1e-5 reach the hundreds of thousands: an unshifted exp overflows.
            assert np.allclose(soft_lookup(_q.copy(), _K.copy(), _V.copy(), temperature=_tau), _V[_best], rtol=1e-9, atol=1e-9), \
                f"at temperature {_tau} the output must be the value of the best-matching key"
            assert np.isclose(soft_lookup(_q.copy(), _K.copy(), _V[:, 0].copy(), temperature=_tau), _V[_best, 0], rtol=1e-9, atol=1e-9)
        _checked += 1
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "heatmap_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6 — Written: reading an alignment heatmap (3 points, graded by hand)
#
# Run the next cell. It draws the attention weights of an English-to-French decoder translating
# *the cat walks to the green market* into *le chat marche au marché vert*. The numbers were set
# by hand to look like what a trained encoder–decoder with attention produces on such a sentence.
# A model like that is trained only to translate: nobody tells it which words correspond. Row $t$
# holds the weights $\alpha^t$ of output word $t$ over the seven input positions, so every row
# sums to 1.

# %% nbgrader={"grade": false, "grade_id": "alignment_heatmap", "locked": true, "schema_version": 3, "solution": false, "task": false}
import matplotlib.pyplot as plt

source_words = ["the", "cat", "walks", "to", "the", "green", "market"]
target_words = ["le", "chat", "marche", "au", "marché", "vert"]

# A little weight leaks to every input position; the rest goes to the aligned position(s).
alignment = np.full((len(target_words), len(source_words)), 0.02)
for output_position, input_position, weight in [(0, 0, 0.88), (1, 1, 0.88), (2, 2, 0.88), (3, 3, 0.46),
                                                (3, 4, 0.44), (4, 6, 0.88), (5, 5, 0.88)]:
    alignment[output_position, input_position] = weight
assert np.allclose(alignment.sum(axis=1), 1.0)  # each row is a distribution over the input

fig, ax = plt.subplots(figsize=(6.0, 4.2))
image = ax.imshow(alignment, cmap="viridis", vmin=0.0, vmax=1.0)
ax.set_xticks(range(len(source_words)), [f"{i}: {w}" for i, w in enumerate(source_words)], rotation=30)
ax.set_yticks(range(len(target_words)), [f"{t}: {w}" for t, w in enumerate(target_words)])
ax.set_xlabel("input position (English)")
ax.set_ylabel("output word (French)")
for (row, col), weight in np.ndenumerate(alignment):
    ax.text(col, row, f"{weight:.2f}", ha="center", va="center", fontsize=8,
            color="black" if weight > 0.5 else "white")
fig.colorbar(image, ax=ax, label="attention weight")
ax.set_title("Attention weights: one row per output word")
fig.tight_layout()
plt.show()

# %% [markdown] nbgrader={"grade": false, "grade_id": "free_response_alignment", "locked": true, "points": 3, "schema_version": 3, "solution": false, "task": true}
# **Question.** In five to eight sentences, using the figure above:
#
# 1. Most rows put nearly all their weight on one input position. What does that pattern, read
#    row by row, say the model has learned about how the two sentences correspond?
# 2. The row for *au* does not look like the others. What does it show, and why is that the
#    right thing for this sentence?
# 3. The rows for *marché* and *vert* leave the overall pattern. What do they show, and why
#    could a decoder that only receives the encoder's final state (Lecture 3) give you no such
#    picture?
#
# Write your answer in the cell below this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (3 points).** Award each point independently; accept any wording that shows the idea.
# Numbers quoted from the figure are welcome but not required.
#
# 1. **A learned word alignment (1 pt).** Most output words put almost all their weight (0.88) on
#    one input word, which is the word they translate: *le* on *the* (position 0), *chat* on *cat*,
#    *marche* on *walks*. So the model has learned which words correspond, although it was trained
#    only to translate and never shown an alignment. That idea earns the point; saying that the
#    pattern is roughly diagonal because the two languages mostly share word order is a good
#    extra, not needed.
# 2. **One output, two inputs (1 pt).** *au* splits its weight between *to* (0.46) and the second
#    *the* (0.44): French contracts *à le* into the single word *au*, so one output word draws on
#    two input words. Soft weights allow this; it is also why seven input words give six output
#    words, and why the following rows sit one column further right. (Noting that the two *the*
#    are told apart by position, position 0 going to *le* and position 4 into *au*, is a good extra
#    but not needed.)
# 3. **Reordering, and why it needs attention (1 pt).** *marché* attends to *market* (position 6)
#    and then *vert* to *green* (position 5): the two weights cross the diagonal because French puts
#    this adjective after its noun. The decoder is not forced to read the input in order; at each
#    step it looks up whichever position it needs. Without attention the decoder only receives one
#    fixed-size context vector, the same for every output step, so there are no per-step weights
#    over input positions to draw, and no direct route back to a particular input word. Both halves
#    (the swap and the contrast with the context vector) are needed for the point. Also accept, as
#    a bonus remark, that attention weights show where the decoder looked, not a complete
#    explanation of its decision.
#
# *Model answer.* Each row is the distribution of one French word's attention over the seven
# English positions. Most rows are nearly one-hot and follow the diagonal: *le* looks at *the*,
# *chat* at *cat*, *marche* at *walks*, so the model has learned which words translate which,
# without ever being given that correspondence. The row for *au* is split almost evenly between
# *to* and the second *the*, because French merges *à le* into one word; a single output word
# draws on two inputs, which also explains why the sentence shrinks from seven words to six. At
# the end the pattern crosses: *marché* attends to the last input word *market* and *vert* to
# *green*, because the adjective follows the noun in French. The decoder can take the input out
# of order because at every step it looks back at all encoder states and picks the one it needs.
# A decoder without attention gets only the encoder's final state, one vector for the whole
# sentence, so there would be no weights over input positions to plot and no direct way to
# reach *market* before *green*.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
