"""Assignment 3: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "answer_q3": {"the right letter": 'answer_q3 = "D"'},
    "scaled_dot_product_attention": {
        "row by row over the allowed keys only": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.matmul(Q, np.swapaxes(K, -2, -1)) / np.sqrt(Q.shape[-1])
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    weights = np.zeros_like(scores)
    for idx in np.ndindex(*scores.shape[:-1]):
        row, ok = scores[idx], allowed[idx]
        if ok.any():
            e = np.exp(row[ok] - row[ok].max())
            weights[idx][ok] = e / e.sum()
    return np.matmul(weights, V), weights
''',
        "flattened batch, masked exponentials multiplied by the mask": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    batch, n, m = Q.shape[:-2], Q.shape[-2], K.shape[-2]
    q = Q.reshape(-1, n, Q.shape[-1])
    k = K.reshape(-1, m, K.shape[-1])
    v = V.reshape(-1, m, V.shape[-1])
    scores = np.stack([a @ b.T for a, b in zip(q, k)]) / Q.shape[-1] ** 0.5
    allowed = np.broadcast_to(np.ones((n, m), bool) if mask is None else mask, batch + (n, m)).reshape(-1, n, m)
    peak = np.max(np.where(allowed, scores, -np.inf), axis=-1, keepdims=True)
    peak[~np.isfinite(peak)] = 0.0
    e = np.exp(np.where(allowed, scores - peak, 0.0)) * allowed
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total == 0, 1.0, total)
    out = np.stack([w @ b for w, b in zip(weights, v)])
    return out.reshape(batch + (n, V.shape[-1])), weights.reshape(batch + (n, m))
''',
    },
    "causal_mask": {
        "np.tri with dtype bool": '''
def causal_mask(n):
    return np.tri(n, dtype=bool)
''',
        "comparison of index grids": '''
def causal_mask(n):
    i = np.arange(n)
    return i[:, None] >= i[None, :]
''',
        "upper triangle negated": '''
def causal_mask(n):
    return ~np.triu(np.ones((n, n), dtype=bool), k=1)
''',
    },
    "multi_head_attention": {
        "loop over heads with column slices": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_model = X.shape[1]
    d_head = d_model // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        a /= a.sum(axis=1, keepdims=True)
        outputs.append(a @ V[:, cols])
    return np.hstack(outputs) @ W_o
''',
        "reuses scaled_dot_product_attention with heads on a batch axis": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    def heads(M):
        return np.moveaxis(M.reshape(n, num_heads, d_model // num_heads), 1, 0)
    out, _ = scaled_dot_product_attention(heads(X @ W_q), heads(X @ W_k), heads(X @ W_v), mask=mask)
    return np.moveaxis(out, 0, 1).reshape(n, d_model) @ W_o
''',
        "each head projected by its own rows of W_o, then summed": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    total = 0.0
    for Wq_h, Wk_h, Wv_h, Wo_h in zip(np.split(W_q, num_heads, axis=1), np.split(W_k, num_heads, axis=1),
                                      np.split(W_v, num_heads, axis=1), np.split(W_o, num_heads, axis=0)):
        s = np.einsum("id,jd->ij", X @ Wq_h, X @ Wk_h) / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=-1, keepdims=True))
        total = total + (a / a.sum(axis=-1, keepdims=True)) @ (X @ Wv_h) @ Wo_h
    return total
''',
    },
    "positional_encoding": {
        "two loops over positions and columns": '''
import math
def positional_encoding(n, d):
    pe = np.zeros((n, d))
    for pos in range(n):
        for j in range(d):
            angle = pos / 10000 ** ((j // 2) * 2 / d)
            pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
    return pe
''',
        "div_term through exp and log, as in many tutorials": '''
def positional_encoding(n, d):
    position = np.arange(n, dtype=float)[:, None]
    div_term = np.exp(np.arange(0, d, 2) * (-np.log(10000.0) / d))
    pe = np.empty((n, d))
    pe[:, 0::2] = np.sin(position * div_term)
    pe[:, 1::2] = np.cos(position * div_term)[:, : d // 2]
    return pe
''',
        "phase shift: cos(x) = sin(x + pi/2)": '''
def positional_encoding(n, d):
    j = np.arange(d)
    angles = np.arange(n)[:, None] / np.power(10000.0, (j - j % 2) / d)
    return np.sin(angles + (j % 2) * np.pi / 2)
''',
    },
}

WRONG = {
    "answer_q3": {f"letter {letter}": f'answer_q3 = "{letter}"' for letter in "ABC"} | {
        "lower case": 'answer_q3 = "d"', "a number": "answer_q3 = 4"},
    "scaled_dot_product_attention": {
        "no scaling by sqrt(d_k)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "divided by d_k instead of sqrt(d_k)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / Q.shape[-1]
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "divided by sqrt(d_v) instead of sqrt(d_k)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(V.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "softmax over the queries (axis -2) instead of the keys": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-2, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-2, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "mask applied after the softmax, without renormalising": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    if mask is not None:
        w = w * mask
    return w @ V, w
''',
        "inverted mask (True = blocked)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, -np.inf, scores)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "blocked scores set to 0 instead of -inf": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = scores * mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ V, w
''',
        "mask ignored": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ V, w
''',
        "no max subtraction (overflows on large scores)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "one maximum for the whole array instead of per row": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - np.max(scores))
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "K.T on batched inputs": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ K.T / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
        "returns (weights, output)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w, w @ V
''',
        "fully blocked row: -inf minus -inf gives nan": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ V, w
''',
        "fully blocked row: -1e9 gives uniform weights instead of zeros": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -1e9)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ V, w
''',
    },
    "causal_mask": {
        "strictly lower triangular (diagonal excluded)": '''
def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool), k=-1)
''',
        "upper triangular": '''
def causal_mask(n):
    return np.triu(np.ones((n, n), dtype=bool))
''',
        "float dtype": '''
def causal_mask(n):
    return np.tril(np.ones((n, n)))
''',
        "integer dtype": '''
def causal_mask(n):
    return np.tri(n, dtype=int)
''',
        "inverted (True = blocked)": '''
def causal_mask(n):
    return ~np.tril(np.ones((n, n), dtype=bool))
''',
    },
    "multi_head_attention": {
        "heads split by rows of the weight matrices": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    outputs = []
    for h in range(num_heads):
        rows = slice(h * d_head, (h + 1) * d_head)
        q, k, v = X @ W_q[rows].T, X @ W_k[rows].T, X @ W_v[rows].T
        s = q @ k.T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ v)
    return np.hstack(outputs) @ W_o
''',
        "scaled by sqrt(d_model) instead of sqrt(d_head)": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_model = X.shape[1]
    d_head = d_model // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_model)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, cols])
    return np.hstack(outputs) @ W_o
''',
        "W_o forgotten": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, cols])
    return np.hstack(outputs)
''',
        "reshape(num_heads, n, d_head) directly": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    d_head = d_model // num_heads
    Q, K, V = ((X @ W).reshape(num_heads, n, d_head) for W in (W_q, W_k, W_v))
    s = Q @ K.transpose(0, 2, 1) / np.sqrt(d_head)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    a = np.exp(s - s.max(axis=-1, keepdims=True))
    heads = a / a.sum(axis=-1, keepdims=True) @ V
    return heads.reshape(n, d_model) @ W_o
''',
        "weights applied as W @ X.T": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = (W_q @ X.T).T, (W_k @ X.T).T, (W_v @ X.T).T
    outputs = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, cols])
    return (W_o @ np.hstack(outputs).T).T
''',
        "mask ignored": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, cols])
    return np.hstack(outputs) @ W_o
''',
        "heads averaged instead of concatenated": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    weights = 0.0
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        weights = weights + a / a.sum(axis=1, keepdims=True) / num_heads
    return weights @ V @ W_o
''',
        "returns (output, weights)": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs, weights = [], []
    for h in range(num_heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, cols] @ K[:, cols].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        weights.append(a / a.sum(axis=1, keepdims=True))
        outputs.append(weights[-1] @ V[:, cols])
    return np.hstack(outputs) @ W_o, np.stack(weights)
''',
    },
    "positional_encoding": {
        "sine and cosine swapped": '''
def positional_encoding(n, d):
    angles = np.arange(n)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
    pe = np.zeros((n, d))
    pe[:, 0::2] = np.cos(angles)
    pe[:, 1::2] = np.sin(angles[:, : d // 2])
    return pe
''',
        "exponent j/d with the column index j (odd columns off by one)": '''
def positional_encoding(n, d):
    j = np.arange(d)
    angles = np.arange(n)[:, None] / 10000.0 ** (j / d)
    return np.where(j % 2 == 0, np.sin(angles), np.cos(angles))
''',
        "exponent i/d with the pair index i": '''
def positional_encoding(n, d):
    i = np.arange(d) // 2
    angles = np.arange(n)[:, None] / 10000.0 ** (i / d)
    return np.where(np.arange(d) % 2 == 0, np.sin(angles), np.cos(angles))
''',
        "positions start at 1": '''
def positional_encoding(n, d):
    angles = np.arange(1, n + 1)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
    pe = np.zeros((n, d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe
''',
        "halves concatenated [sin | cos] instead of interleaved": '''
def positional_encoding(n, d):
    angles = np.arange(n)[:, None] / 10000.0 ** (np.arange(0, d, 2) / d)
    return np.concatenate([np.sin(angles), np.cos(angles[:, : d // 2])], axis=1)
''',
        "odd d built as d + 1 and truncated": '''
def positional_encoding(n, d):
    D = d + d % 2
    angles = np.arange(n)[:, None] / 10000.0 ** (np.arange(0, D, 2) / D)
    pe = np.zeros((n, D))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles)
    return pe[:, :d]
''',
        "odd d: last column left at zero": '''
def positional_encoding(n, d):
    pe = np.zeros((n, d))
    for i in range(d // 2):
        angle = np.arange(n) / 10000.0 ** (2 * i / d)
        pe[:, 2 * i] = np.sin(angle)
        pe[:, 2 * i + 1] = np.cos(angle)
    return pe
''',
        "base 1000 instead of 10000": '''
def positional_encoding(n, d):
    angles = np.arange(n)[:, None] / 1000.0 ** (np.arange(0, d, 2) / d)
    pe = np.zeros((n, d))
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe
''',
    },
}

# -- more alternatives and misconceptions (issue 16: edge cases the spec names, inputs left alone,
#    float64 precision, and the new counting item) ------------------------------------------------
CORRECT["scaled_dot_product_attention"].update({
    "additive -inf mask, fully blocked rows through a safe shift and a safe total": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.einsum("...nd,...md->...nm", Q, K) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = scores + np.where(mask, 0.0, -np.inf)
    peak = scores.max(axis=-1, keepdims=True)
    e = np.exp(scores - np.where(np.isfinite(peak), peak, 0.0))
    total = e.sum(axis=-1, keepdims=True)
    weights = e / np.where(total > 0, total, 1.0)
    return weights @ V, weights
''',
    "log-softmax of the shifted scores, queries scaled first": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.matmul(Q / np.sqrt(Q.shape[-1]), np.swapaxes(K, -1, -2))
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    scores = np.where(allowed, scores, -np.inf)
    any_ok = allowed.any(axis=-1, keepdims=True)
    shifted = scores - np.where(any_ok, np.max(scores, axis=-1, keepdims=True), 0.0)
    log_total = np.log(np.sum(np.exp(shifted), axis=-1, keepdims=True) + ~any_ok)
    weights = np.where(any_ok, np.exp(shifted - log_total), 0.0)
    return weights @ V, weights
''',
    "copies the queries, then divides the copy in place": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    q = np.array(Q, dtype=float)
    q /= np.sqrt(q.shape[-1])
    scores = q @ np.swapaxes(K, -1, -2)
    if mask is not None:
        scores[...] = np.where(mask, scores, -np.inf)
    peak = scores.max(axis=-1, keepdims=True)
    peak[~np.isfinite(peak)] = 0.0
    e = np.exp(scores - peak)
    total = e.sum(axis=-1, keepdims=True)
    weights = np.divide(e, total, out=np.zeros_like(e), where=total > 0)
    return weights @ V, weights
''',
    "loop over the batch entries, 2-D attention for each": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    batch, n, m = Q.shape[:-2], Q.shape[-2], K.shape[-2]
    allowed = np.broadcast_to(True if mask is None else mask, batch + (n, m))
    out = np.zeros(batch + (n, V.shape[-1]))
    weights = np.zeros(batch + (n, m))
    for idx in np.ndindex(*batch):
        s = Q[idx] @ K[idx].T / np.sqrt(Q.shape[-1])
        s = np.where(allowed[idx], s, -np.inf)
        for i in range(n):
            if allowed[idx][i].any():
                e = np.exp(s[i] - s[i].max())
                weights[idx][i] = e / e.sum()
        out[idx] = weights[idx] @ V[idx]
    return out, weights
''',
})

WRONG["scaled_dot_product_attention"].update({
    "-1e9 for blocked keys (fully blocked rows zeroed): fails when the allowed scores are below -1e9": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.einsum("...id,...jd->...ij", Q, K) / np.sqrt(K.shape[-1])
    if mask is None:
        mask = np.ones(scores.shape, dtype=bool)
    mask = np.broadcast_to(mask, scores.shape)
    scores = np.where(mask, scores, -1e9)
    scores = scores - scores.max(axis=-1, keepdims=True)
    weights = np.exp(scores)
    weights = weights / weights.sum(axis=-1, keepdims=True)
    weights = np.where(mask.any(axis=-1, keepdims=True), weights, 0.0)
    return np.einsum("...ij,...jd->...id", weights, V), weights
''',
    "-1e30 for blocked keys (fully blocked rows zeroed)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    scores = np.where(allowed, scores, -1e30)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = np.where(allowed.any(axis=-1, keepdims=True), e / e.sum(axis=-1, keepdims=True), 0.0)
    return w @ V, w
''',
    "additive mask: -1e9 added to the blocked scores": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    scores = scores + (1.0 - allowed) * -1e9
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = np.where(allowed.any(axis=-1, keepdims=True), e / e.sum(axis=-1, keepdims=True), 0.0)
    return w @ V, w
''',
    "additive mask of -10000, as in BERT": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    allowed = np.broadcast_to(True if mask is None else mask, scores.shape)
    scores = scores - 10000.0 * (~allowed)
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = np.where(allowed.any(axis=-1, keepdims=True), e / e.sum(axis=-1, keepdims=True), 0.0)
    return w @ V, w
''',
    "boolean mask added to the scores as 0/1 (PyTorch's float-mask convention)": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = scores + mask
    e = np.exp(scores - scores.max(axis=-1, keepdims=True))
    w = e / e.sum(axis=-1, keepdims=True)
    return w @ V, w
''',
    "row maximum taken over all keys, before masking": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    scores = scores - scores.max(axis=-1, keepdims=True)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    e = np.exp(scores)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
    "divides the caller's Q in place (Q /= sqrt(d_k)): modifies an input": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    Q /= np.sqrt(Q.shape[-1])
    scores = Q @ np.swapaxes(K, -1, -2)
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
    "divided by sqrt(m), the number of keys": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(K.shape[-2])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
    "exactly one batch axis assumed (transpose(0, 2, 1))": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ K.transpose(0, 2, 1) / np.sqrt(Q.shape[-1])
    if mask is not None:
        scores = np.where(mask, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
    "mask assumed to be one (n, m) array, not broadcast over the batch": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = Q @ np.swapaxes(K, -1, -2) / np.sqrt(Q.shape[-1])
    if mask is not None:
        allowed = np.broadcast_to(mask, scores.shape[-2:])
        scores = np.where(allowed, scores, -np.inf)
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, 0.0)
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
    "log-sum-exp added to the peak first: at scores of 1e30 the log is rounded away": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    scores = np.matmul(Q / np.sqrt(Q.shape[-1]), np.swapaxes(K, -1, -2))
    allowed = np.ones(scores.shape, dtype=bool) if mask is None else np.broadcast_to(mask, scores.shape)
    scores = np.where(allowed, scores, -np.inf)
    any_ok = allowed.any(axis=-1, keepdims=True)
    peak = np.where(any_ok, np.max(scores, axis=-1, keepdims=True), 0.0)
    log_total = peak + np.log(np.sum(np.exp(scores - peak), axis=-1, keepdims=True) + ~any_ok)
    weights = np.where(any_ok, np.exp(scores - log_total), 0.0)
    return weights @ V, weights
''',
    "computed in float32": '''
def scaled_dot_product_attention(Q, K, V, mask=None):
    Q, K, V = (np.asarray(a, dtype=np.float32) for a in (Q, K, V))
    scores = Q @ np.swapaxes(K, -1, -2) / np.float32(np.sqrt(Q.shape[-1]))
    if mask is not None:
        scores = np.where(mask, scores, np.float32(-np.inf))
    peak = np.max(scores, axis=-1, keepdims=True)
    peak = np.where(np.isfinite(peak), peak, np.float32(0.0))
    e = np.exp(scores - peak)
    t = e.sum(axis=-1, keepdims=True)
    w = np.divide(e, t, out=np.zeros_like(e), where=t > 0)
    return w @ V, w
''',
})

CORRECT["causal_mask"].update({
    "np.tri compared with 0": '''
def causal_mask(n):
    return np.tri(n) > 0
''',
    "filled row by row": '''
def causal_mask(n):
    mask = np.zeros((n, n), dtype=bool)
    for i in range(n):
        mask[i, : i + 1] = True
    return mask
''',
})

WRONG["causal_mask"].update({
    "one step above the diagonal allowed too (k=1)": '''
def causal_mask(n):
    return np.tril(np.ones((n, n), dtype=bool), k=1)
''',
    "a list of lists instead of a numpy array": '''
def causal_mask(n):
    return [[j <= i for j in range(n)] for i in range(n)]
''',
    "flipped left to right": '''
def causal_mask(n):
    return np.fliplr(np.tri(n, dtype=bool))
''',
})

CORRECT["multi_head_attention"].update({
    "one combined projection X [W_q W_k W_v], then split": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    d_head = d_model // num_heads
    Q, K, V = np.split(X @ np.concatenate([W_q, W_k, W_v], axis=1), 3, axis=1)
    allowed = np.broadcast_to(True if mask is None else mask, (n, n))
    heads = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = np.where(allowed, Q[:, c] @ K[:, c].T / np.sqrt(d_head), -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        heads.append((a / a.sum(axis=1, keepdims=True)) @ V[:, c])
    return np.concatenate(heads, axis=1) @ W_o
''',
    "einsum over (n, heads, d_head), additive -inf mask": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    d_head = d_model // num_heads
    q, k, v = ((X @ W).reshape(n, num_heads, d_head) for W in (W_q, W_k, W_v))
    s = np.einsum("ihd,jhd->hij", q, k) / np.sqrt(d_head)
    if mask is not None:
        s = s + np.where(mask, 0.0, -np.inf)
    a = np.exp(s - s.max(axis=-1, keepdims=True))
    a /= a.sum(axis=-1, keepdims=True)
    return np.einsum("hij,jhd->ihd", a, v).reshape(n, d_model) @ W_o
''',
    "scaling folded into a copy of W_q": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    d_head = d_model // num_heads
    W_q = W_q.copy()
    W_q /= np.sqrt(d_head)
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
})

WRONG["multi_head_attention"].update({
    "-1e9 for blocked pairs": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(mask, s, -1e9)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
    "additive mask: -1e9 added to the blocked scores": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T / np.sqrt(d_head)
        if mask is not None:
            s = s - 1e9 * (~np.asarray(mask))
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
    "divides the caller's W_q in place (W_q /= sqrt(d_head)): modifies an input": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    W_q /= np.sqrt(d_head)
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T
        if mask is not None:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
    "heads take interleaved columns (reshape(n, d_head, num_heads))": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n, d_model = X.shape
    d_head = d_model // num_heads
    def split(M):
        return M.reshape(n, d_head, num_heads).transpose(2, 0, 1)
    Q, K, V = split(X @ W_q), split(X @ W_k), split(X @ W_v)
    s = Q @ K.transpose(0, 2, 1) / np.sqrt(d_head)
    if mask is not None:
        s = np.where(mask, s, -np.inf)
    a = np.exp(s - s.max(axis=-1, keepdims=True))
    heads = a / a.sum(axis=-1, keepdims=True) @ V
    return heads.transpose(1, 2, 0).reshape(n, d_model) @ W_o
''',
    "mask applied to head 0 only": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T / np.sqrt(d_head)
        if mask is not None and h == 0:
            s = np.where(mask, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
    "mask transposed (read as [key, query])": '''
def multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None):
    n = X.shape[0]
    d_head = X.shape[1] // num_heads
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    outputs = []
    for h in range(num_heads):
        c = slice(h * d_head, (h + 1) * d_head)
        s = Q[:, c] @ K[:, c].T / np.sqrt(d_head)
        if mask is not None:
            s = np.where(np.broadcast_to(mask, (n, n)).T, s, -np.inf)
        a = np.exp(s - s.max(axis=1, keepdims=True))
        outputs.append(a / a.sum(axis=1, keepdims=True) @ V[:, c])
    return np.hstack(outputs) @ W_o
''',
})

CORRECT["positional_encoding"].update({
    "outer product of positions and frequencies, columns picked by parity": '''
def positional_encoding(n, d):
    cols = np.arange(d)
    freqs = np.power(10000.0, -(cols - cols % 2) / d)
    angles = np.outer(np.arange(n), freqs)
    return np.where(cols % 2 == 0, np.sin(angles), np.cos(angles))
''',
    "frequencies repeated pairwise with np.repeat": '''
def positional_encoding(n, d):
    freqs = np.repeat(1.0 / 10000.0 ** (np.arange(0, d, 2) / d), 2)[:d]
    angles = np.arange(n)[:, None] * freqs
    pe = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, 1::2])
    return pe
''',
})

WRONG["positional_encoding"].update({
    "computed in float32": '''
def positional_encoding(n, d):
    positions = np.arange(n, dtype=np.float32)[:, None]
    angles = positions / np.float32(10000.0) ** (np.arange(0, d, 2, dtype=np.float32) / np.float32(d))
    pe = np.zeros((n, d), dtype=np.float32)
    pe[:, 0::2] = np.sin(angles)
    pe[:, 1::2] = np.cos(angles[:, : d // 2])
    return pe
''',
    "odd d: the last column a cosine": '''
def positional_encoding(n, d):
    j = np.arange(d)
    angles = np.arange(n)[:, None] / 10000.0 ** ((j - j % 2) / d)
    pe = np.where(j % 2 == 0, np.sin(angles), np.cos(angles))
    if d % 2:
        pe[:, -1] = np.cos(angles[:, -1])
    return pe
''',
})

CORRECT["allowed_pairs"] = {
    "case distinction: n <= w, else a full triangle plus full rows": '''
def allowed_pairs(n, w=None):
    if w is None or n <= w:
        return n * (n + 1) // 2
    return n * w - w * (w - 1) // 2
''',
    "all causal pairs minus those w or more apart": '''
import math
def allowed_pairs(n, w=None):
    far = 0 if w is None else max(n - w, 0)
    return math.comb(n + 1, 2) - math.comb(far + 1, 2)
''',
    "numpy integers": '''
def allowed_pairs(n, w=None):
    w = n if w is None else w
    ramp = np.minimum(np.int64(n), np.int64(w))
    return ramp * (ramp + 1) // 2 + (np.int64(n) - ramp) * np.int64(w)
''',
    "sum of a ramp and a plateau, window capped at n": '''
def allowed_pairs(n, w=None):
    w = n if w is None else min(w, n)
    ramp = w * (w + 1) // 2
    plateau = (n - w) * w
    return ramp + plateau
''',
}

WRONG["allowed_pairs"] = {
    "window one too wide (0 <= i - j <= w)": '''
def allowed_pairs(n, w=None):
    w = n if w is None else min(w + 1, n)
    return w * (w + 1) // 2 + (n - w) * w
''',
    "diagonal excluded (j < i)": '''
def allowed_pairs(n, w=None):
    w = n if w is None else min(w, n)
    return w * (w + 1) // 2 + (n - w) * w - n
''',
    "no ramp: every row allowed min(n, w) keys": '''
def allowed_pairs(n, w=None):
    return n * (n if w is None else min(n, w))
''',
    "threshold off by one: n <= w + 1 counted as the plain causal mask": '''
def allowed_pairs(n, w=None):
    if w is None or n <= w + 1:
        return n * (n + 1) // 2
    return n * w - w * (w - 1) // 2
''',
    "case distinction the wrong way round": '''
def allowed_pairs(n, w=None):
    if w is None or n >= w:
        return n * (n + 1) // 2
    return n * w - w * (w - 1) // 2
''',
    "float division: a float, not an exact integer": '''
def allowed_pairs(n, w=None):
    w = n if w is None else min(w, n)
    return w * (w + 1) / 2 + (n - w) * w
''',
    "no window counted as all n^2 pairs": '''
def allowed_pairs(n, w=None):
    if w is None:
        return n * n
    w = min(w, n)
    return w * (w + 1) // 2 + (n - w) * w
''',
    "wrong algebra: n * w - w * w // 2": '''
def allowed_pairs(n, w=None):
    if w is None or n <= w:
        return n * (n + 1) // 2
    return n * w - w * w // 2
''',
    "ignores the window": '''
def allowed_pairs(n, w=None):
    return n * (n + 1) // 2
''',
}

# -- the spec audit (tests/helpers/spec_audit.py) ------------------------------------------------
SPEC = {
    "intro": [
        ("The tests pass float64 arrays and compare your results with float64 references to within 1e-9",
         "test_scaled_dot_product_attention_values", "np.allclose(_w, _ref_w, rtol=0, atol=1e-9)"),
        ("so do not convert to float32", "test_positional_encoding_values",
         "np.allclose(_pe, _ref, rtol=0, atol=1e-9)"),
        ("PyTorch, where a test compares with it, is run in float64 too", "test_multi_head_attention_against_torch",
         "dtype=_torch.float64"),
        ("Your functions must not change the arrays passed to them", "test_scaled_dot_product_attention_masks",
         "changed_arguments(scaled_dot_product_attention, _Q, _K, _V, _mask)"),
        ("Your functions must not change the arrays passed to them", "test_multi_head_attention_causal_mask",
         "changed_arguments(multi_head_attention, _X, _W_q, _W_k, _W_v, _W_o, 2, _mask)"),
        ("edge cases such as very large scores and rows with nothing to attend to",
         "test_scaled_dot_product_attention_edge_cases", "# Fully blocked rows: zero weights and zero output"),
        ("and comparisons with PyTorch", "test_scaled_dot_product_attention_against_torch",
         "_F.scaled_dot_product_attention(_torch.from_numpy(_Q)"),
    ],
    "answer_q3": [
        ('Set `answer_q3` to one letter', "test_answer_q3", 'answer_q3 in ("A", "B", "C", "D")'),
        ("Which row is right?", "test_answer_q3", 'answer_q3 == "D"'),
    ],
    "scaled_dot_product_attention": [
        ("Each query is compared with every key; the scores become weights through a softmax over the keys",
         "test_scaled_dot_product_attention_values", "_expected_w = np.exp([2.0, 0.0]) / np.sum(np.exp([2.0, 0.0]))"),
        ("\\operatorname{Attention}(Q, K, V)", "test_scaled_dot_product_attention_values", "_ref_out = _ref_w @ _V"),
        ("so that each query's weights sum to 1", "test_scaled_dot_product_attention_shapes",
         "np.allclose(np.sum(_w, axis=-1), 1.0)"),
        ("Implement `scaled_dot_product_attention(Q, K, V, mask=None)`", "test_scaled_dot_product_attention_shapes",
         "_result = scaled_dot_product_attention("),
        ("`Q` has shape `(..., n, d_k)` (`n` queries)", "test_scaled_dot_product_attention_shapes",
         'f"output must have shape (n, d_v) = (3, 2), got {np.shape(_out)}"'),
        ("The leading axes `...` are batch axes: there may be none, one or several",
         "test_scaled_dot_product_attention_against_torch", "((2, 3), 3, 7, 6, 2), ((4, 1), 2, 5, 3, 7)"),
        ("`n` may differ from `m`, and `d_v` may differ from `d_k`", "test_scaled_dot_product_attention_values",
         "[(4, 6, 3, 5), (5, 2, 9, 1), (1, 7, 2, 4), (6, 3, 3, 6)]"),
        ("Return the tuple `(output, weights)`, in that order", "test_scaled_dot_product_attention_shapes",
         "isinstance(_result, tuple) and len(_result) == 2"),
        ("Divide the scores by $\\sqrt{d_k}$", "test_scaled_dot_product_attention_values",
         "_scores = np.array([[q @ k for k in _K] for q in _Q]) / np.sqrt(_d_k)"),
        ("or a **boolean** array that broadcasts to `(..., n, m)`", "test_scaled_dot_product_attention_masks",
         "((2, 3), 4, 5, 6, 3, (2, 1, 4, 5))"),
        ("`True` means *query `i` may attend to key `j`*", "test_scaled_dot_product_attention_masks",
         "_expected = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1 / 3, 1 / 3, 1 / 3]])"),
        ("`False` means that key is blocked for that query", "test_scaled_dot_product_attention_masks",
         '"blocked keys get weight exactly 0"'),
        ("A blocked key gets weight exactly 0, and the remaining weights of the row still sum to 1",
         "test_scaled_dot_product_attention_masks", "np.allclose(_w, _expected, rtol=0, atol=1e-9)"),
        ("This holds whatever the allowed scores are", "test_scaled_dot_product_attention_masks",
         "_S = np.array([[-1e30, -1e30, 0.0, 5.0],"),
        ("So a large negative number such as `-1e9` in place of $-\\infty$",
         "test_scaled_dot_product_attention_masks",
         '"a blocked key must get weight exactly 0, even when the allowed scores are -1e4 or -1e30"'),
        ("This is the convention of PyTorch's `torch.nn.functional.scaled_dot_product_attention`",
         "test_scaled_dot_product_attention_masks", "attn_mask=_torch.from_numpy(_mask)"),
        ("In this course that row of `weights` is all zeros and that row of `output` is all zeros",
         "test_scaled_dot_product_attention_edge_cases", '"blocked row: zero output"'),
        ("Scores in the thousands, or far larger", "test_scaled_dot_product_attention_edge_cases",
         "_Q = _rng.normal(size=(2, 4, 8)) * np.array([0.1, 10.0, 100.0, 1000.0])[:, None]"),
        ("subtract each row's maximum (over its allowed keys)", "test_scaled_dot_product_attention_edge_cases",
         '"subtract the maximum over the allowed keys: here a blocked key has the largest score"'),
        ("Your function must return finite numbers and print no warning", "test_scaled_dot_product_attention_edge_cases",
         '"large scores must not give inf or nan"'),
        ("Do not modify `Q`, `K`, `V` or `mask`", "test_scaled_dot_product_attention_masks",
         "assert not _changed"),
        ("softmax(Q K^T / sqrt(d_k)) V over the last two axes", "test_scaled_dot_product_attention_against_torch",
         '"weights differ from the softmax for batch {_batch}"'),
    ],
    "causal_mask": [
        ("it may use positions $j \\le i$ only, itself included", "test_causal_mask_sizes",
         "assert _mask[_i, _j] == (_j <= _i)"),
        ("Implement `causal_mask(n)`: return a numpy array of shape `(n, n)`", "test_causal_mask_small",
         "[[True, False, False], [True, True, False], [True, True, True]]"),
        ("The dtype matters", "test_causal_mask_small", "_mask.dtype == bool"),
        ("Boolean (n, n): True where j <= i", "test_causal_mask_sizes",
         "_mask.dtype == bool and _mask.shape == (_n, _n)"),
    ],
    "multi_head_attention": [
        ("In **self**-attention the queries, keys and values all come from the same sequence",
         "test_multi_head_attention_one_head", "_expected = _weights @ (_X @ _W_v) @ _W_o"),
        ("runs several smaller attentions side by side, each on its own slice of the features",
         "test_multi_head_attention_one_head", "for _h in range(_num_heads):"),
        ("Implement `multi_head_attention(X, W_q, W_k, W_v, W_o, num_heads, mask=None)`",
         "test_multi_head_attention_shape", "multi_head_attention(_X, _W_q, _W_k, _W_v, _W_o, num_heads=2)"),
        ("`X` has shape `(n, d_model)`", "test_multi_head_attention_shape", "_X = _rng.normal(size=(6, 8))"),
        ("act from the right: $Q = X W_q$", "test_multi_head_attention_one_head",
         "_scores = (_X @ _W_q) @ (_X @ _W_k).T / np.sqrt(4)"),
        ("`num_heads` divides `d_model`", "test_multi_head_attention_one_head", "_d_head = _d_model // _num_heads"),
        ("Head $h$ (counting from 0) uses the **columns**", "test_multi_head_attention_one_head",
         "_cols = slice(_h * _d_head, (_h + 1) * _d_head)"),
        ("so its scores are divided by $\\sqrt{d_\\text{head}}$", "test_multi_head_attention_one_head",
         "(_X @ _W_k)[:, _cols].T / np.sqrt(_d_head)"),
        ("Its output has shape `(n, d_head)`", "test_multi_head_attention_one_head",
         "_heads.append(_a / _a.sum(axis=1, keepdims=True) @ (_X @ _W_v)[:, _cols])"),
        ("Concatenate the head outputs along the features, head 0 first", "test_multi_head_attention_one_head",
         "_expected = np.concatenate(_heads, axis=1) @ _W_o"),
        ("`mask` is `None` or a boolean array that broadcasts to `(n, n)`", "test_multi_head_attention_causal_mask",
         "(7, 8, 2, (1, 7))"),
        ("every head uses the same mask", "test_multi_head_attention_causal_mask",
         'f"causal: differs from torch for n={_n}, heads={_num_heads}"'),
        ("A blocked pair gets weight exactly 0, as in part 1, however large or negative the scores are",
         "test_multi_head_attention_causal_mask", "_W_q, _W_k = (1e15 * _rng.normal(size=(_d_model, _d_model))"),
        ("Do not modify `X`, the weight matrices or `mask`", "test_multi_head_attention_causal_mask",
         "assert not _changed"),
        ("Return **only the output**", "test_multi_head_attention_shape",
         '"return only the output array (not a tuple with the weights)"'),
        ("This is what `torch.nn.MultiheadAttention(d_model, num_heads, bias=False)` computes",
         "test_multi_head_attention_against_torch", "_torch.nn.MultiheadAttention(d_model, num_heads, bias=False"),
        ("Multi-head self-attention of the rows of X", "test_multi_head_attention_shape",
         "_out.shape == (6, 8)"),
    ],
    "positional_encoding": [
        ("For position $\\text{pos} = 0, 1, \\dots, n - 1$", "test_positional_encoding_values",
         "for _pos in range(_n):"),
        ("PE[\\text{pos}, 2i] = \\sin", "test_positional_encoding_values",
         "_ref[_pos, 2 * _i] = np.sin(_pos / 10000 ** (2 * _i / _d))"),
        ("Even columns hold sines, odd columns cosines, **interleaved**", "test_positional_encoding_values",
         "[np.sin(1.0), np.cos(1.0), np.sin(_angle), np.cos(_angle)]"),
        ("Implement `positional_encoding(n, d)`: return a float array of shape `(n, d)`",
         "test_positional_encoding_shape", "np.issubdtype(_pe.dtype, np.floating)"),
        ("The formula holds for every $d \\ge 1$", "test_positional_encoding_odd_d",
         "[(4, 5), (6, 1), (9, 3), (30, 7), (12, 15)]"),
        ("**When $d$ is odd**, the last column $d - 1$ is even, so it is a sine", "test_positional_encoding_odd_d",
         '"odd d: the last column is a sine"'),
        ("Sinusoidal positional encoding, shape (n, d)", "test_positional_encoding_shape",
         "_pe.shape == (10, 6)"),
    ],
    "allowed_pairs": [
        ("position $i$ may attend to position $j$ exactly when $0 \\le i - j < w$",
         "test_allowed_pairs_against_masks", "_mask = (_lag >= 0) & (_lag < (_n if _w is None else _w))"),
        ("return the number of `True` entries of that $(n, n)$ mask", "test_allowed_pairs_against_masks",
         "assert _count == int(_mask.sum())"),
        ("as an exact integer (a Python `int` or a numpy integer, not a float)", "test_allowed_pairs_small",
         "isinstance(_count, (int, np.integer)) and not isinstance(_count, (bool, np.bool_))"),
        ("`w=None` means no window", "test_allowed_pairs_small", "assert _count == 10"),
        ("`n` and `w` are integers $\\ge 1$, and `w` may be smaller than `n`, equal to it or larger",
         "test_allowed_pairs_against_masks", "for _w in [None] + list(range(1, 16)):"),
        ("The tests use `n` and `w` up to $10^9$", "test_allowed_pairs_large",
         "(_big, _big), (_big, _big - 1), (_big - 1, _big)"),
        ("Compute it with integers (`//`, not `/`)", "test_allowed_pairs_large",
         "assert int(_count) == _expected"),
        ("Number of (i, j) with 0 <= i - j < w among n positions", "test_allowed_pairs_small",
         "allowed_pairs(5, 2) == _expected"),
    ],
}

PROSE = {
    "scaled_dot_product_attention": [
        "The dot product of two random vectors with $d_k$ independent unit-variance entries has variance $d_k$",
        "(Careful: `torch.nn.MultiheadAttention` uses the opposite one",
        "If a query may attend to no key at all, there is nothing to average.",
        "handle such rows on purpose.)",
        "For arrays with more than two axes, `K.T` reverses *all* axes",
    ],
    "causal_mask": [],
    "multi_head_attention": [
        "(No test here blocks every key of a row.)",
        "You may call your `scaled_dot_product_attention` from part 1",
        "(If you do, a mistake in part 1 will cost points here too.)",
    ],
    "positional_encoding": [
        "Nothing in self-attention knows where a row sits in the sequence",
        "Order must be added to the input.",
        "Vaswani et al. (2017) add to each input row a fixed vector",
    ],
    "allowed_pairs": [
        "A causal mask still lets about half of the $n^2$ (query, key) pairs through",
        "How many pairs does such a mask allow?",
        "Work it out on paper before you write any code",
        "A short formula comes out, with one case distinction.",
    ],
}
