"""Assignment 2: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "answer_q2": {"the right letter": 'answer_q2 = "D"'},
    "softmax": {
        "axis moved to the end and back": '''
def softmax(x, axis=-1):
    last = np.moveaxis(np.array(x, dtype=float), axis, -1)
    last = last - last.max(axis=-1)[..., None]
    e = np.exp(last)
    return np.moveaxis(e / e.sum(axis=-1)[..., None], -1, axis)
''',
        "log-sum-exp, then one exp": '''
def softmax(x, axis=-1):
    m = np.amax(x, axis=axis, keepdims=True)
    log_norm = m + np.log(np.sum(np.exp(x - m), axis=axis, keepdims=True))
    return np.exp(x - log_norm)
''',
        "one slice at a time with apply_along_axis": '''
def softmax(x, axis=-1):
    def one(v):
        e = np.exp(v - v.max())
        return e / e.sum()
    return np.apply_along_axis(one, axis, np.asarray(x, dtype=float))
''',
    },
    "attention_step": {
        "calls the student's softmax, context as H.T @ alpha": '''
def attention_step(s, H):
    alpha = softmax(s @ H.T)
    return alpha, H.T @ alpha
''',
        "explicit loops over positions": '''
def attention_step(s, H):
    scores = [float(np.dot(s, h)) for h in H]
    top = max(scores)
    exps = [np.exp(e - top) for e in scores]
    total = sum(exps)
    alpha = np.array([w / total for w in exps])
    context = np.zeros(H.shape[1])
    for a, h in zip(alpha, H):
        context += a * h
    return alpha, context
''',
        "einsum, returned as a list": '''
def attention_step(s, H):
    e = np.einsum("nd,d->n", H, s)
    w = np.exp(e - e.max())
    w /= w.sum()
    return [w, np.einsum("n,nd->d", w, H)]
''',
    },
    "additive_scores": {
        "loop over positions": '''
def additive_scores(s, H, W_s, W_h, v):
    query_part = W_s @ s
    return np.array([v @ np.tanh(query_part + W_h @ h) for h in H])
''',
        "column form: W_h @ H.T": '''
def additive_scores(s, H, W_s, W_h, v):
    hidden = np.tanh((W_s @ s)[:, None] + W_h @ H.T)   # (d_a, n)
    return v @ hidden
''',
        "einsum": '''
def additive_scores(s, H, W_s, W_h, v):
    return np.einsum("a,na->n", v, np.tanh(np.einsum("as,s->a", W_s, s) + np.einsum("ah,nh->na", W_h, H)))
''',
    },
    "soft_lookup": {
        "own shifted exponentials, tensordot": '''
def soft_lookup(query, keys, values, temperature=1.0):
    scores = keys @ query / temperature
    w = np.exp(scores - scores.max())
    w = w / w.sum()
    return np.tensordot(w, values, axes=1)
''',
        "weights broadcast over the rows of the values": '''
def soft_lookup(query, keys, values, temperature=1.0):
    scores = np.array([k @ query for k in keys]) / temperature
    w = softmax(scores)
    values = np.asarray(values)
    return (w.reshape((-1,) + (1,) * (values.ndim - 1)) * values).sum(axis=0)
''',
    },
}

WRONG = {
    "answer_q2": {f"letter {letter}": f'answer_q2 = "{letter}"' for letter in "ABC"} | {
        "lower case": 'answer_q2 = "d"', "the text of the option": 'answer_q2 = "context vector"'},
    "softmax": {
        "no max subtraction (overflows)": '''
def softmax(x, axis=-1):
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)
''',
        "axis ignored: always the last axis": '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)
''',
        "axis ignored: always axis 0": '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=0, keepdims=True))
    return e / e.sum(axis=0, keepdims=True)
''',
        "normalised over the whole array": '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / e.sum()
''',
        "maximum over the whole array (underflows far-below slices)": '''
def softmax(x, axis=-1):
    e = np.exp(x - np.max(x))
    return e / e.sum(axis=axis, keepdims=True)
''',
        "keepdims forgotten": '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis))
    return e / e.sum(axis=axis)
''',
        "keepdims forgotten in the sum only": '''
def softmax(x, axis=-1):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis)
''',
        "modifies the caller's array in place": '''
def softmax(x, axis=-1):
    x -= x.max(axis=axis, keepdims=True)
    np.exp(x, out=x)
    x /= x.sum(axis=axis, keepdims=True)
    return x
''',
        "minimum subtracted instead of maximum": '''
def softmax(x, axis=-1):
    e = np.exp(x - x.min(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)
''',
        "normalised by the sum without exp": '''
def softmax(x, axis=-1):
    return x / x.sum(axis=axis, keepdims=True)
''',
    },
    "attention_step": {
        "no softmax: raw scores as weights": '''
def attention_step(s, H):
    alpha = H @ s
    return alpha, alpha @ H
''',
        "normalised by the sum without exp": '''
def attention_step(s, H):
    e = H @ s
    alpha = e / e.sum()
    return alpha, alpha @ H
''',
        "returns (context, alpha)": '''
def attention_step(s, H):
    e = H @ s
    alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    return alpha @ H, alpha
''',
        "scores as H.T @ s": '''
def attention_step(s, H):
    e = H.T @ s
    alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    return alpha, alpha @ H
''',
        "softmax over the wrong axis of column scores": '''
def attention_step(s, H):
    e = H @ s[:, None]                              # (n, 1)
    w = np.exp(e - e.max(axis=1, keepdims=True))
    alpha = (w / w.sum(axis=1, keepdims=True)).ravel()
    return alpha, alpha @ H
''',
        "context summed over the wrong axis": '''
def attention_step(s, H):
    e = H @ s
    alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    return alpha, (alpha[:, None] * H).sum(axis=1)
''',
        "context is the mean of H, not weighted": '''
def attention_step(s, H):
    e = H @ s
    alpha = np.exp(e - e.max()) / np.exp(e - e.max()).sum()
    return alpha, H.mean(axis=0)
''',
        "unshifted exponentials (overflow on large scores)": '''
def attention_step(s, H):
    w = np.exp(H @ s)
    alpha = w / w.sum()
    return alpha, alpha @ H
''',
        "hard attention: one-hot argmax": '''
def attention_step(s, H):
    alpha = np.zeros(len(H))
    alpha[np.argmax(H @ s)] = 1.0
    return alpha, alpha @ H
''',
    },
    "additive_scores": {
        "transposed weights (row-vector form without .T)": '''
def additive_scores(s, H, W_s, W_h, v):
    return np.tanh(s @ W_s + H @ W_h) @ v
''',
        "W_h on H in the wrong orientation": '''
def additive_scores(s, H, W_s, W_h, v):
    return np.tanh(W_s @ s + H @ W_h) @ v
''',
        "tanh applied after the dot with v": '''
def additive_scores(s, H, W_s, W_h, v):
    return np.tanh((W_s @ s + H @ W_h.T) @ v)
''',
        "softmax applied: weights instead of scores": '''
def additive_scores(s, H, W_s, W_h, v):
    e = np.tanh(W_s @ s + H @ W_h.T) @ v
    w = np.exp(e - e.max())
    return w / w.sum()
''',
        "tanh forgotten": '''
def additive_scores(s, H, W_s, W_h, v):
    return (W_s @ s + H @ W_h.T) @ v
''',
        "W_s used for the encoder states too": '''
def additive_scores(s, H, W_s, W_h, v):
    return np.array([v @ np.tanh(W_s @ s + W_s @ h) for h in H])
''',
        "tanh of each part separately": '''
def additive_scores(s, H, W_s, W_h, v):
    return (np.tanh(W_s @ s) + np.tanh(H @ W_h.T)) @ v
''',
    },
    "soft_lookup": {
        "multiplies by the temperature": '''
def soft_lookup(query, keys, values, temperature=1.0):
    w = softmax(keys @ query * temperature)
    return w @ values
''',
        "negative squared distance instead of the dot product": '''
def soft_lookup(query, keys, values, temperature=1.0):
    w = softmax(-np.sum((keys - query) ** 2, axis=1) / temperature)
    return w @ values
''',
        "hard lookup (argmax) instead of soft": '''
def soft_lookup(query, keys, values, temperature=1.0):
    return np.asarray(values)[np.argmax(keys @ query)]
''',
        "weights not normalised": '''
def soft_lookup(query, keys, values, temperature=1.0):
    scores = keys @ query / temperature
    return np.exp(scores - scores.max()) @ values
''',
        "unshifted exponentials (overflow at small temperature)": '''
def soft_lookup(query, keys, values, temperature=1.0):
    w = np.exp(keys @ query / temperature)
    return (w / w.sum()) @ values
''',
        "temperature ignored": '''
def soft_lookup(query, keys, values, temperature=1.0):
    return softmax(keys @ query) @ values
''',
        "weighted values averaged instead of summed": '''
def soft_lookup(query, keys, values, temperature=1.0):
    w = softmax(keys @ query / temperature)
    return np.mean(w[:, None] * np.reshape(values, (len(w), -1)), axis=0).reshape(np.shape(values)[1:])
''',
    },
}

CORRECT["softmax_jacobian"] = {
    "diag(p) - outer(p, p)": '''
def softmax_jacobian(p):
    return np.diag(p) - np.outer(p, p)
''',
    "entry by entry with the Kronecker delta": '''
def softmax_jacobian(p):
    n = len(p)
    J = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            J[i, j] = p[i] * ((1.0 if i == j else 0.0) - p[j])
    return J
''',
    "broadcasting p[:, None] * (I - p[None, :])": '''
def softmax_jacobian(p):
    p = np.asarray(p, dtype=float)
    return p[:, None] * (np.eye(p.size) - p[None, :])
''',
}
WRONG["softmax_jacobian"] = {
    "diagonal only, p (1 - p)": '''
def softmax_jacobian(p):
    return np.diag(p * (1 - p))
''',
    "sign flipped, p p^T - diag(p)": '''
def softmax_jacobian(p):
    return np.outer(p, p) - np.diag(p)
''',
    "the off-diagonal sign forgotten, diag(p) + p p^T - 2 diag(p^2)": '''
def softmax_jacobian(p):
    return np.diag(p) + np.outer(p, p) - 2 * np.diag(p ** 2)
''',
    "p treated as the scores x (softmax taken again)": '''
def softmax_jacobian(p):
    q = np.exp(p - p.max()) / np.exp(p - p.max()).sum()
    return np.diag(q) - np.outer(q, q)
''',
    "the diagonal written into p in place": '''
def softmax_jacobian(p):
    J = np.diag(p) - np.outer(p, p)
    p[:] = np.diag(J)
    return J
''',
    "computed in float32": '''
def softmax_jacobian(p):
    p = np.asarray(p, dtype=np.float32)
    return np.diag(p) - np.outer(p, p)
''',
}
WRONG["softmax"] |= {
    "computed in float32": '''
def softmax(x, axis=-1):
    x = np.asarray(x, dtype=np.float32)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)
''',
}
WRONG["attention_step"] |= {
    "changes the caller's s after using it": '''
def attention_step(s, H):
    scores = H @ s
    alpha = np.exp(scores - scores.max())
    alpha /= alpha.sum()
    context = alpha @ H
    s[0] += 1e-3
    return alpha, context
''',
    "weights from float32 scores": '''
def attention_step(s, H):
    scores = (H.astype(np.float32) @ s.astype(np.float32))
    alpha = np.exp(scores - scores.max())
    alpha = alpha / alpha.sum()
    return alpha.astype(np.float64), alpha.astype(np.float64) @ H
''',
}
WRONG["additive_scores"] |= {
    "changes the caller's v after using it": '''
def additive_scores(s, H, W_s, W_h, v):
    e = np.tanh(W_s @ s + H @ W_h.T) @ v
    v[0] += 1e-3
    return e
''',
}
WRONG["soft_lookup"] |= {
    "changes the caller's keys after using them": '''
def soft_lookup(query, keys, values, temperature=1.0):
    scores = keys @ query / temperature
    w = np.exp(scores - scores.max())
    w = w / w.sum()
    out = w @ values
    keys[0] *= 2.0
    return out
''',
}

# -- the spec audit (tests/helpers/spec_audit.py) ------------------------------------------------
SPEC = {
    "intro": [
        ("The tests pass float64 arrays and compare your results with float64 references",
         "test_softmax_any_axis", "np.allclose(_ours, _ref, rtol=1e-9, atol=1e-12)"),
        ("No function may modify the arrays it is given", "test_softmax_basics", 'assert not _changed'),
    ],
    "answer_q2": [
        ('Set `answer_q2` to one letter', "test_answer_q2", 'answer_q2 in ("A", "B", "C", "D")'),
        ("Which part limits how much of a long input the decoder can use?", "test_answer_q2", 'answer_q2 == "D"'),
    ],
    "softmax": [
        ("$$\\operatorname{softmax}(x)_j = \\frac{e^{x_j}}{\\sum_{k=1}^{n} e^{x_k}} .$$", "test_softmax_basics",
         "np.allclose(_p, [0.25, 0.75])"),
        ("Implement `softmax(x, axis=-1)` for a numpy array `x` of floats.", "test_softmax_basics",
         "_P = softmax(np.arange(12.0).reshape(3, 4) / 4)"),
        ("return an array of the **same shape** as `x`", "test_softmax_any_axis",
         "assert _ours.shape == _shape"),
        ("in which every slice along `axis` sums to 1", "test_softmax_basics", "np.allclose(_P.sum(axis=-1), 1.0)"),
        ("work for any number of dimensions and any valid `axis`", "test_softmax_any_axis",
         "((2, 3, 4), -3), ((2, 3, 4), 2), ((3, 1, 2, 5), -2)"),
        ("leave `x` itself unchanged", "test_softmax_basics", '"softmax must not modify its input"'),
        ("be **numerically stable**", "test_softmax_large_inputs",
         'with np.errstate(over="raise", invalid="raise", divide="raise")'),
        ("`np.exp(1000.0)` is already `inf`", "test_softmax_large_inputs",
         "np.allclose(softmax(np.array([1e4, -1e4, 0.0])), [1.0, 0.0, 0.0])"),
        ("treat every slice **on its own scale**", "test_softmax_large_inputs",
         "np.allclose(softmax(_x.copy()), [_small, _small], rtol=1e-9, atol=1e-12)"),
        ("must return two identical rows", "test_softmax_large_inputs",
         "_x = np.array([[0.0, 1.0, 2.0], [1e4, 1e4 + 1, 1e4 + 2]])"),
        ("Softmax of x along axis; same shape as x", "test_softmax_basics", "_P.shape == (3, 4)"),
    ],
    "softmax_jacobian": [
        ("Derive, on paper, the partial derivative", "test_softmax_jacobian_two_entries",
         "[[0.16, -0.06, -0.10], [-0.06, 0.21, -0.15], [-0.10, -0.15, 0.25]]"),
        ("`p` is a probability vector of shape `(n,)`, `n >= 1`", "test_softmax_jacobian_two_entries",
         "softmax_jacobian(np.array([1.0])), [[0.0]]"),
        ("return the `(n, n)` array `J`", "test_softmax_jacobian_two_entries", "np.shape(_J) == (2, 2)"),
        ("with `J[i, j]` $= \\partial p_i / \\partial x_j$", "test_softmax_jacobian_against_autograd",
         "_torch.autograd.functional.jacobian(lambda _v: _torch.softmax(_v, dim=0), _x)"),
        ("use only `p`", "test_softmax_jacobian_against_autograd", "changed_arguments(softmax_jacobian, _p)"),
        ("The tests compare `J` with PyTorch's automatic differentiation", "test_softmax_jacobian_against_autograd",
         "np.allclose(_J, _ref, rtol=1e-9, atol=1e-12)"),
        ("J[i, j] = d p_i / d x_j for p = softmax(x), from p alone", "test_softmax_jacobian_two_entries",
         "[[0.25, -0.25], [-0.25, 0.25]]"),
    ],
    "attention_step": [
        ("The encoder keeps **all** its hidden states", "test_attention_step_against_torch",
         "_H = _rng.normal(size=(_n, _d))"),
        ("$$e_i = s^\\top h_i, \\qquad \\alpha = \\operatorname{softmax}(e)", "test_attention_step_against_torch",
         "_torch.softmax(_torch.from_numpy(_H) @ _torch.from_numpy(_s), dim=0)"),
        ("c = \\sum_{i=1}^{n} \\alpha_i h_i", "test_attention_step_simple", "np.allclose(_context, [0.8, 0.6])"),
        ("`s` has shape `(d,)` and `H` shape `(n, d)`", "test_attention_step_against_torch",
         "[(1, 3), (2, 2), (5, 3), (3, 5), (4, 4), (12, 7), (30, 16)]"),
        ("return the pair `(alpha, context)`, in that order, with shapes `(n,)` and `(d,)`",
         "test_attention_step_simple", "np.shape(_alpha) == (3,)"),
        ("either way the weights must stay correct when scores are in the thousands",
         "test_attention_step_large_scores", "for _n, _d, _scale in [(6, 4, 300.0), (9, 3, 2000.0)"),
        ("Dot-product attention of decoder state s (d,) over encoder states H (n, d)",
         "test_attention_step_simple", "np.allclose(_alpha, [0.4, 0.2, 0.4])"),
    ],
    "additive_scores": [
        ("$$e_i = v^\\top \\tanh\\left(W_s\\, s + W_h\\, h_i\\right),$$", "test_additive_scores_against_loop",
         "_v @ np.tanh(_W_s @ _s + _W_h @ _H[_i])"),
        ("$W_s$ has shape $(d_a, d_s)$, $W_h$ has shape $(d_a, d_h)$", "test_additive_scores_against_loop",
         "_W_s, _W_h = _rng.normal(size=(_d_a, _d_s)), _rng.normal(size=(_d_a, _d_h))"),
        ("The decoder and encoder sizes $d_s$ and $d_h$ may differ", "test_additive_scores_against_loop",
         "[(5, 3, 4, 6), (7, 6, 2, 3), (4, 4, 4, 4), (1, 2, 5, 3), (3, 5, 5, 2)]"),
        ("return the **scores** $e$ (not the weights: no softmax here)", "test_additive_scores_simple",
         "assert np.allclose(_e, _expected)"),
        ("as an array of shape `(n,)`", "test_additive_scores_simple", "np.shape(_e) == (4,)"),
        ("Additive attention scores e_i = v . tanh(W_s s + W_h h_i)", "test_additive_scores_against_torch",
         "_torch.tanh(_query_layer(_torch.from_numpy(_s)) + _key_layer(_torch.from_numpy(_H)))"),
    ],
    "soft_lookup": [
        ("the comparisons become weights that sum to 1", "test_soft_lookup_simple", "np.allclose(_out, [7.5, 2.5])"),
        ("$$w = \\operatorname{softmax}\\left(\\frac{K q}{\\tau}\\right)", "test_soft_lookup_temperature",
         "_torch.softmax(_torch.from_numpy(_K) @ _torch.from_numpy(_q) / _tau, dim=0)"),
        ("is the **dot product** $k_i^\\top q$", "test_soft_lookup_simple", "_query = np.array([np.log(3.0), 0.0])"),
        ("`query` has shape `(d,)`, `keys` shape `(n, d)`", "test_soft_lookup_simple",
         "for _n, _d, _d_v in [(6, 3, 4), (1, 2, 3), (9, 5, 1), (4, 4, 4)]"),
        ("`values` has shape `(n, d_v)` (return an array of shape `(d_v,)`)", "test_soft_lookup_simple",
         "np.shape(_out) == (2,)"),
        ("or `(n,)` (return a single number", "test_soft_lookup_simple", "np.shape(_out) == ()"),
        ("the scores are **divided** by the temperature", "test_soft_lookup_temperature",
         "for _tau in (0.5, 2.0, 7.0)"),
        ("as $\\tau \\to \\infty$ they become uniform", "test_soft_lookup_temperature",
         "soft_lookup(_q.copy(), _K.copy(), _V.copy(), temperature=1e6), _V.mean(axis=0)"),
        ("As $\\tau \\to 0$ the weights concentrate on the best-matching key", "test_soft_lookup_hard_limit",
         '"at temperature {_tau} the output must be the value of the best-matching key"'),
        ("Both limits are tested, with temperatures as small as `1e-5`", "test_soft_lookup_hard_limit",
         "for _tau in (1e-3, 1e-5)"),
        ("Mix of the values weighted by softmax(keys @ query / temperature).", "test_soft_lookup_temperature",
         '"soft_lookup must not modify query, keys or values"'),
    ],
}

PROSE = {
    "softmax": [
        "Attention turns scores into weights with the softmax.",
        "Along one axis of an array, each slice $x_1, \\dots, x_n$ becomes",
        "It must",
        "*Hint.*",
        "Which number keeps every exponent at or below 0",
        "Reductions such as `np.max(x, axis=axis, keepdims=True)`",
    ],
    "softmax_jacobian": [
        "Training attention sends gradients back through the softmax",
        "Let $p = \\operatorname{softmax}(x)$ for a vector $x$ of length $n$.",
        "Then implement `softmax_jacobian(p)`:",
        "Once your tests pass, check one consequence of your formula",
    ],
    "attention_step": [
        "At one decoder step with state $s \\in \\mathbb{R}^d$, dot-product attention computes",
        "so the decoder receives a fresh summary $c$ of the input at every step",
        "(The tests of this part do not call your `softmax` themselves",
    ],
    "additive_scores": [
        "The dot product needs $s$ and $h_i$ to live in the same space.",
        "Bahdanau, Cho and Bengio (2015) score each position",
        "A loop over the positions is fine; one matrix product for all of them is shorter.",
    ],
    "soft_lookup": [
        "A lookup table returns the value stored under the one key that matches the query.",
        "A **temperature** $\\tau > 0$ sets how sharp the weights are:",
        "Implement `soft_lookup(query, keys, values, temperature=1.0)`:",
    ],
}
