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
