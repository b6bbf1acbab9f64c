"""Assignment 3: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "answer_q3": {"the right letter": 'answer_q3 = "D"'},
    "scaled_dot_product_attention": {
        "einsum, -1e9 for blocked keys, fully blocked rows zeroed afterwards": '''
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
