"""Assignment 1: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "answer_q1": {"the right letter": 'answer_q1 = "B"'},
    "rnn_forward": {
        "list of states, stacked": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0]
    for x in X:
        states.append(np.tanh(W_h @ states[-1] + W_x @ x + b))
    return np.stack(states)
''',
        "inputs projected up front, row-vector form": '''
def rnn_forward(X, h0, W_x, W_h, b):
    inputs = X @ W_x.T + b
    H = np.zeros((len(X) + 1, len(h0)))
    H[0] = h0
    for t in range(len(X)):
        H[t + 1] = np.tanh(H[t] @ W_h.T + inputs[t])
    return H
''',
    },
    "hidden_jacobian": {
        "explicit diag, multiply from the right going backwards": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(t, k, -1):
        J = J @ (np.diag(1 - H[i] ** 2) @ W_h)
    return J
''',
        "functools.reduce over the factors": '''
from functools import reduce
def hidden_jacobian(H, W_h, t, k):
    factors = [np.diag(1 - H[i] ** 2) @ W_h for i in range(t, k, -1)]
    return reduce(np.matmul, factors, np.eye(W_h.shape[0]))
''',
    },
    "clip_by_global_norm": {
        "norm via np.linalg.norm of the concatenation": '''
def clip_by_global_norm(grads, max_norm):
    if not grads:
        return []
    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    if total <= max_norm:
        return [g.copy() for g in grads]
    return [g * (max_norm / total) for g in grads]
''',
        "min(1, ratio) with a guard for zero gradients": '''
def clip_by_global_norm(grads, max_norm):
    total = sum(np.sum(g * g) for g in grads) ** 0.5
    factor = min(1.0, max_norm / total) if total > 0 else 1.0
    return [np.array(g) * factor for g in grads]
''',
    },
}

WRONG = {
    "answer_q1": {f"letter {letter}": f'answer_q1 = "{letter}"' for letter in "ACD"} | {
        "lower case": 'answer_q1 = "b"', "the text of the option": 'answer_q1 = "O(n) path"'},
    "rnn_forward": {
        "h @ W_h instead of W_h @ h": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0]
    for x in X:
        states.append(np.tanh(states[-1] @ W_h + W_x @ x + b))
    return np.stack(states)
''',
        "h0 left out of H": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states, h = [], h0
    for x in X:
        h = np.tanh(W_h @ h + W_x @ x + b)
        states.append(h)
    return np.stack(states)
''',
        "ReLU instead of tanh": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0]
    for x in X:
        states.append(np.maximum(0, W_h @ states[-1] + W_x @ x + b))
    return np.stack(states)
''',
        "bias forgotten": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0]
    for x in X:
        states.append(np.tanh(W_h @ states[-1] + W_x @ x))
    return np.stack(states)
''',
        "every state computed from h0 (no recurrence)": '''
def rnn_forward(X, h0, W_x, W_h, b):
    return np.vstack([h0, np.tanh(W_h @ h0 + X @ W_x.T + b)])
''',
    },
    "hidden_jacobian": {
        "product order reversed": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(k + 1, t + 1):
        J = J @ (np.diag(1 - H[i] ** 2) @ W_h)
    return J
''',
        "tanh derivative at the previous state": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(k + 1, t + 1):
        J = (np.diag(1 - H[i - 1] ** 2) @ W_h) @ J
    return J
''',
        "W_h to the power t - k (tanh ignored)": '''
def hidden_jacobian(H, W_h, t, k):
    return np.linalg.matrix_power(W_h, t - k)
''',
        "diag on the wrong side (W_h D)": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(k + 1, t + 1):
        J = (W_h @ np.diag(1 - H[i] ** 2)) @ J
    return J
''',
        "one factor too many": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(k, t + 1):
        J = (np.diag(1 - H[i] ** 2) @ W_h) @ J
    return J
''',
    },
    "clip_by_global_norm": {
        "each tensor clipped on its own": '''
def clip_by_global_norm(grads, max_norm):
    out = []
    for g in grads:
        n = np.linalg.norm(g)
        out.append(g * (max_norm / n) if n > max_norm else g.copy())
    return out
''',
        "always rescaled to max_norm, even when smaller": '''
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    return [g * (max_norm / total) for g in grads]
''',
        "sum of norms instead of the root of the summed squares": '''
def clip_by_global_norm(grads, max_norm):
    total = sum(np.linalg.norm(g) for g in grads)
    return [g * (max_norm / total) if total > max_norm else g.copy() for g in grads]
''',
        "entries clipped to [-max_norm, max_norm]": '''
def clip_by_global_norm(grads, max_norm):
    return [np.clip(g, -max_norm, max_norm) for g in grads]
''',
        "modifies the caller's arrays in place": '''
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g ** 2) for g in grads))
    if total > max_norm:
        for g in grads:
            g *= max_norm / total
    return grads
''',
    },
}

CORRECT["rnn_forward"] |= {
    "states kept in a preallocated float64 array, inputs untouched": '''
def rnn_forward(X, h0, W_x, W_h, b):
    H = np.zeros((X.shape[0] + 1, h0.shape[0]), dtype=np.float64)
    H[0] = h0
    for t, x in enumerate(X, start=1):
        H[t] = np.tanh(W_h.dot(H[t - 1]) + W_x.dot(x) + b)
    return H
''',
}
WRONG["rnn_forward"] |= {
    "computes in float32 (precision lost)": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0.astype(np.float32)]
    for x in X.astype(np.float32):
        states.append(np.tanh(W_h.astype(np.float32) @ states[-1] + W_x.astype(np.float32) @ x + b.astype(np.float32)))
    return np.stack(states)
''',
    "changes the caller's X after using it": '''
def rnn_forward(X, h0, W_x, W_h, b):
    states = [h0]
    for x in X:
        states.append(np.tanh(W_h @ states[-1] + W_x @ x + b))
    X[0, 0] += 1.0
    return np.stack(states)
''',
}
WRONG["hidden_jacobian"] |= {
    "factors multiplied into H in place": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.eye(len(W_h))
    for i in range(k + 1, t + 1):
        H[i] = 1 - H[i] ** 2
        J = (H[i][:, None] * W_h) @ J
    return J
''',
    "k == t gives W_h, not the identity": '''
def hidden_jacobian(H, W_h, t, k):
    J = np.diag(1 - H[k + 1] ** 2) @ W_h if t == k else np.eye(len(W_h))
    for i in range(k + 1, t + 1):
        J = (np.diag(1 - H[i] ** 2) @ W_h) @ J
    return J
''',
}
CORRECT["predicted_jacobian_norm"] = {
    "|s| to the power m": '''
def predicted_jacobian_norm(s, m):
    return float(np.abs(s) ** m)
''',
    "exp(m log|s|), with s = 0 handled": '''
import math
def predicted_jacobian_norm(s, m):
    if m == 0:
        return 1.0
    if s == 0:
        return 0.0
    return math.exp(m * math.log(abs(s)))
''',
    "checked numerically with an orthogonal matrix of its own": '''
def predicted_jacobian_norm(s, m):
    Q = np.array([[0.0, -1.0], [1.0, 0.0]])
    return float(np.linalg.norm(np.linalg.matrix_power(s * Q, m), 2))
''',
}
WRONG["predicted_jacobian_norm"] = {
    "s ** m (negative for negative s and odd m)": '''
def predicted_jacobian_norm(s, m):
    return float(s ** m)
''',
    "linear in the distance": '''
def predicted_jacobian_norm(s, m):
    return float(abs(s) * m)
''',
    "one factor too many": '''
def predicted_jacobian_norm(s, m):
    return float(abs(s) ** (m + 1))
''',
    "tanh' counted as a factor below 1 at every step": '''
def predicted_jacobian_norm(s, m):
    return float((abs(s) * (1 - np.tanh(1.0) ** 2)) ** m)
''',
    "the Frobenius norm of the Jacobian of a 2-unit RNN": '''
def predicted_jacobian_norm(s, m):
    return float(np.sqrt(2) * abs(s) ** m)
''',
}
WRONG["clip_by_global_norm"] |= {
    "compares the squared norm with max_norm": '''
def clip_by_global_norm(grads, max_norm):
    squared = sum(float(np.sum(g * g)) for g in grads)
    if squared > max_norm:
        return [g * (max_norm / np.sqrt(squared)) for g in grads]
    return [g.copy() for g in grads]
''',
    "clips only above max_norm plus a tolerance": '''
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(float(np.sum(g * g)) for g in grads))
    if total > max_norm * (1 + 1e-6):
        return [g * (max_norm / total) for g in grads]
    return [g.copy() for g in grads]
''',
    "divides by the norm even when it is 0": '''
def clip_by_global_norm(grads, max_norm):
    total = np.sqrt(sum(np.sum(g * g) for g in grads))
    factor = min(1.0, max_norm / total)
    return [g * factor for g in grads]
''',
    "fails on an empty list": '''
def clip_by_global_norm(grads, max_norm):
    total = np.linalg.norm(np.concatenate([np.ravel(g) for g in grads]))
    factor = max_norm / total if total > max_norm else 1.0
    return [g * factor for g in grads]
''',
}
CORRECT["clip_by_global_norm"] |= {
    "one flat vector, scaled with np.where": '''
def clip_by_global_norm(grads, max_norm):
    flat = np.concatenate([np.ravel(g) for g in grads]) if grads else np.zeros(0)
    total = float(np.sqrt(flat @ flat))
    scale = np.where(total > max_norm, max_norm / max(total, max_norm), 1.0)
    return [np.asarray(g) * float(scale) for g in grads]
''',
}

# -- the spec audit (tests/helpers/spec_audit.py) ------------------------------------------------
SPEC = {
    "intro": [
        ("The tests pass float64 arrays and compare your results with float64 references",
         "test_rnn_forward_against_torch", "rtol=1e-9, atol=1e-10"),
        ("No function may modify the arrays it is given", "test_rnn_forward_against_torch",
         "assert not _changed"),
    ],
    "answer_q1": [
        ('Set `answer_q1` to one letter', "test_answer_q1", 'answer_q1 in ("A", "B", "C", "D")'),
        ("Why does the length of this path make long sequences hard?", "test_answer_q1", 'answer_q1 == "B"'),
    ],
    "rnn_forward": [
        ("Implement `rnn_forward(X, h0, W_x, W_h, b)` for one sequence", "test_rnn_forward_shape",
         "_H = rnn_forward(_X.copy(), _h0.copy(), _W_x.copy(), _W_h.copy(), _b.copy())"),
        ("`X` has shape `(T, d_in)`: row `t - 1` is the input $x_t$", "test_rnn_forward_against_torch",
         "_torch.from_numpy(_X)[:, None, :]"),
        ("`h0` has shape `(d_h,)`, `W_x` `(d_h, d_in)`", "test_rnn_forward_against_torch",
         "for _T, _d_in, _d_h in [(1, 1, 1), (7, 3, 5), (20, 6, 4), (3, 8, 9)]"),
        ("return `H` of shape `(T + 1, d_h)` with `H[0] = h0`", "test_rnn_forward_shape",
         'assert np.allclose(_H[0], _h0), "H[0] must be h0"'),
        ("$$H[t] = \\tanh\\left(W_h\\, H[t-1] + W_x\\, X[t-1] + b\\right).$$", "test_rnn_forward_values",
         "assert np.allclose(_H1[1], np.tanh([1.0 - 0.5 + 0.1, 2.0 + 0.5 + 0.2]))"),
        ("$$H[t] = \\tanh\\left(W_h\\, H[t-1]", "test_rnn_forward_values", "np.array([[0.0, 0.5], [0.0, 0.0]])"),
        ("All hidden states of a tanh RNN, including h0: shape (T + 1, d_h).", "test_rnn_forward_shape",
         "_H.shape == (6, 4)"),
    ],
    "hidden_jacobian": [
        ("$$\\frac{\\partial h_t}{\\partial h_k} = \\prod_{i=k+1}^{t}", "test_hidden_jacobian_against_autograd",
         "_torch.autograd.functional.jacobian(_advance"),
        ("where the factor for the *latest* step stands on the *left*", "test_hidden_jacobian_one_step",
         "_two = np.diag(1 - _H[6] ** 2) @ _W_h @ np.diag(1 - _H[5] ** 2) @ _W_h"),
        ("and $1 - h_i^2 = \\tanh'(a_i)$", "test_hidden_jacobian_one_step", "np.diag(1 - _H[5] ** 2) @ _W_h"),
        ("return $\\partial h_t / \\partial h_k$ as a `(d_h, d_h)` array", "test_hidden_jacobian_shape_and_identity",
         "np.shape(hidden_jacobian(_H.copy(), _W_h.copy(), 4, 2)) == (3, 3)"),
        ("for any `0 <= k <= t <= T`", "test_hidden_jacobian_against_autograd", "[(9, 0), (6, 2), (3, 1), (8, 8)]"),
        ("Entry `[p, q]` is $\\partial h_t[p] / \\partial h_k[q]$.", "test_hidden_jacobian_against_autograd",
         "assert np.allclose(_ours, _ref, rtol=1e-9, atol=1e-9)"),
        ("When `t == k` it is the identity.", "test_hidden_jacobian_shape_and_identity",
         "np.allclose(hidden_jacobian(_H.copy(), _W_h.copy(), 3, 3), np.eye(3))"),
        ("everything the Jacobian needs is in `H` and `W_h`", "test_hidden_jacobian_shape_and_identity",
         "_H = np.tanh(_rng.normal(size=(7, 3)))"),
        ("d h_t / d h_k for a tanh RNN, from its states H", "test_hidden_jacobian_against_autograd",
         "_ours, _changed = changed_arguments(hidden_jacobian, _H, _W_h, _t, _k)"),
    ],
    "predicted_jacobian_norm": [
        ("Take an RNN whose states all sit at 0", "test_predicted_jacobian_norm_against_products",
         "_states = np.zeros((_m + 1, _d_h))"),
        ("the spectral norm (the largest singular value), is as a function of $s$ and the distance",
         "test_predicted_jacobian_norm_against_products", "np.linalg.norm(np.linalg.multi_dot("),
        ("for any real $s$ (negative too)", "test_predicted_jacobian_norm_against_products",
         "(0.5, 0.9, 1.0, 1.1, -0.8, -1.3, 0.0)"),
        ("any integer $m \\ge 0$", "test_predicted_jacobian_norm_simple", "predicted_jacobian_norm(0.8, 0)"),
        ("Return a float.", "test_predicted_jacobian_norm_simple", "isinstance(_predicted, (float, np.floating))"),
        ("random orthogonal $Q$, to a relative tolerance of 1e-9", "test_predicted_jacobian_norm_against_products",
         "rtol=1e-9"),
        ("Spectral norm of d h_t / d h_k at distance m = t - k", "test_predicted_jacobian_norm_simple",
         "np.linalg.norm(_J, 2)"),
    ],
    "clip_by_global_norm": [
        ("rescales **all** gradients **together**", "test_clip_by_global_norm_simple",
         "np.allclose(_clipped[0], [0.6]) and np.allclose(_clipped[1], [[0.8]])"),
        ("$$\\lVert g \\rVert = \\sqrt{\\textstyle\\sum_{j}", "test_clip_by_global_norm_against_torch",
         "_torch.nn.utils.clip_grad_norm_(_params, _max_norm)"),
        ("every $g_j$ is multiplied by $\\text{max\\_norm} / \\lVert g \\rVert$", "test_clip_by_global_norm_simple",
         '"the global norm 5 should become 1"'),
        ("otherwise nothing changes", "test_clip_by_global_norm_below_threshold",
         '"gradients below max_norm must not change"'),
        ("The comparison is with the norm itself, not its square", "test_clip_by_global_norm_below_threshold",
         '"compare the norm itself with max_norm"'),
        ("only a norm strictly above `max_norm` is rescaled", "test_clip_by_global_norm_below_threshold",
         '"norm just above max_norm"'),
        ("a norm exactly equal to `max_norm` is left alone", "test_clip_by_global_norm_below_threshold",
         '"norm == max_norm: unchanged"'),
        ("with `max_norm > 0`", "test_clip_by_global_norm_against_torch", "1.0), ([(10,), (1,)], 0.01)"),
        ("possibly empty (then return an empty list)", "test_clip_by_global_norm_below_threshold",
         "clip_by_global_norm([], 1.0) == []"),
        ("return a list of arrays of the same shapes, in the same order", "test_clip_by_global_norm_simple",
         '"keep every array\'s shape"'),
        ("return a list", "test_clip_by_global_norm_below_threshold", 'isinstance(_out, list), "return a list"'),
        ("gradients that are all zero (global norm 0) come back unchanged", "test_clip_by_global_norm_below_threshold",
         'with np.errstate(all="raise")'),
        ("do not modify the input arrays", "test_clip_by_global_norm_against_torch",
         '"the input arrays must not be modified"'),
        ("Rescale all arrays together so their global L2 norm is at most max_norm.",
         "test_clip_by_global_norm_against_torch", "_new_norm <= _max_norm * (1 + 1e-9)"),
    ],
}

PROSE = {
    "rnn_forward": ["Keeping `h0` in row 0 means `H[t]` is the state after reading $t$ inputs."],
    "hidden_jacobian": [
        "Backpropagation through time multiplies Jacobians of one state with respect to an earlier one.",
        "With $a_i = W_h h_{i-1} + W_x x_i + b$ and $h_i = \\tanh(a_i)$, the chain rule gives",
    ],
    "predicted_jacobian_norm": [
        "Before computing a Jacobian, predict its size.",
        "The function is not given $Q$: it has to use what you derived.",
        "Your formula also tells you",
    ],
    "clip_by_global_norm": [
        "When gradients explode, one step can throw the parameters far away.",
        "For gradient arrays $g_1, \\dots, g_m$ (any shapes), the global norm is",
    ],
}
