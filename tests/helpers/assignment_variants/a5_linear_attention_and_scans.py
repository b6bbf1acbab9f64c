"""Assignment 5: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "linear_attention_parallel": {
        "double loop over t and s, the formula written out": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    T = Q.shape[0]
    Y = np.zeros((T, V.shape[1]))
    for t in range(T):
        num, den = np.zeros(V.shape[1]), 0.0
        for s in range(t + 1):
            w = decay ** (t - s) * np.dot(fq[t], fk[s])
            num = num + w * V[s]
            den = den + w
        Y[t] = num / den
    return Y
''',
        "feature map row by row, np.power only where s <= t": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq = np.array([feature_map(q) for q in Q])
    fk = np.array([feature_map(k) for k in K])
    T = len(Q)
    dist = np.subtract.outer(np.arange(T), np.arange(T))
    D = np.power(float(decay), dist, out=np.zeros((T, T)), where=dist >= 0)
    A = D * np.einsum("td,sd->ts", fq, fk)
    return np.einsum("ts,se->te", A, V) / A.sum(axis=1)[:, None]
''',
        "prefix sums of the state without decay, a diagonal-by-diagonal decay matrix otherwise": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    if decay == 1.0:
        S = np.cumsum(fk[:, :, None] * V[:, None, :], axis=0)
        z = np.cumsum(fk, axis=0)
        return np.einsum("td,tde->te", fq, S) / np.sum(fq * z, axis=1, keepdims=True)
    T = len(Q)
    D = np.zeros((T, T))
    for k in range(T):  # the k-th diagonal below the main one holds decay ** k
        D += np.diag(np.full(T - k, decay ** k), -k)
    A = D * (fq @ fk.T)
    return A @ V / A.sum(axis=1, keepdims=True)
''',
        "value matrix augmented with a column of ones for the normaliser": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    T = len(Q)
    t = np.arange(T)
    dist = t[:, None] - t[None, :]
    D = np.tril(decay ** np.abs(dist))
    A = D * (feature_map(Q) @ feature_map(K).T)
    out = A @ np.hstack([V, np.ones((T, 1))])
    return out[:, :-1] / out[:, -1:]
''',
    },
    "linear_attention_recurrent": {
        "row-wise feature maps, the state updated in place": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    d_k, d_v = Q.shape[1], V.shape[1]
    S, z = np.zeros((d_k, d_v)), np.zeros(d_k)
    Y = np.zeros((len(Q), d_v))
    for t in range(len(Q)):
        q, k = feature_map(Q[t]), feature_map(K[t])
        S *= decay
        S += k[:, None] * V[t][None, :]
        z *= decay
        z += k
        Y[t] = (q @ S) / (q @ z)
    return Y
''',
        "normaliser carried as an extra column of ones in the values": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    Va = np.concatenate([V, np.ones((len(V), 1))], axis=1)
    S = np.zeros((Q.shape[1], Va.shape[1]))
    out = []
    for t in range(len(Q)):
        S = decay * S + np.outer(fk[t], Va[t])
        r = fq[t] @ S
        out.append(r[:-1] / r[-1])
    return np.array(out)
''',
        "every state kept, shape (T, d_k, d_v), read at the end": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    T = len(Q)
    states = np.empty((T, Q.shape[1], V.shape[1]))
    norms = np.empty((T, Q.shape[1]))
    S, z = np.zeros(states.shape[1:]), np.zeros(Q.shape[1])
    for t in range(T):
        S = decay * S + np.outer(fk[t], V[t])
        z = decay * z + fk[t]
        states[t], norms[t] = S, z
    return np.einsum("td,tde->te", fq, states) / np.einsum("td,td->t", fq, norms)[:, None]
''',
        "plain Python over rows with np.dot": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    S, z, rows = 0.0, 0.0, []
    for q, k, v in zip(Q, K, V):
        pk = feature_map(k)
        pq = feature_map(q)
        S = decay * S + np.multiply.outer(pk, v)
        z = decay * z + pk
        rows.append(np.dot(pq, S) / np.dot(pq, z))
    return np.array(rows, dtype=float)
''',
    },
    "decayed_weight": {
        "the terms added up in a loop": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    total = sum(decay ** (t - u) for u in range(t + 1))
    return float(decay ** (t - s) / total)
''',
        "closed form with math.pow, decay 1 by its limit": '''
import math
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    if decay >= 1.0:
        return 1.0 / (t + 1)
    return math.pow(decay, t - s) * (1.0 - decay) / (1.0 - math.pow(decay, t + 1))
''',
        "numpy weights of all positions, normalised": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    w = np.power(float(decay), np.arange(t, -1, -1))  # w[u] = decay ** (t - u)
    return float(w[s] / w.sum())
''',
    },
    "linear_scan": {
        "slices assigned in place, on copies": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        A[offset:], B[offset:] = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        offset *= 2
    return B
''',
        "all T rows every round, padded with the identity step": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    for r in range((len(A) - 1).bit_length()):  # ceil(log2 T) rounds
        off = 2 ** r
        A_prev = np.concatenate([np.ones_like(A[:off]), A[:-off]])
        B_prev = np.concatenate([np.zeros_like(B[:off]), B[:-off]])
        A, B = combine(A_prev, B_prev, A, B)
    return B
''',
        "1-D input reshaped to (T, 1) and back, rounds counted with math.log2": '''
import math
def linear_scan(a, b, combine=compose_steps):
    shape = np.shape(b)
    A = np.array(a, dtype=float).reshape(shape[0], -1)
    B = np.array(b, dtype=float).reshape(shape[0], -1)
    T = shape[0]
    rounds = math.ceil(math.log2(T)) if T > 1 else 0
    for r in range(rounds):
        k = 2 ** r
        new_a, new_b = combine(A[: T - k], B[: T - k], A[k:], B[k:])
        A = np.vstack([A[:k], new_a])
        B = np.vstack([B[:k], new_b])
    return B.reshape(shape)
''',
    },
    "answer_q4": {"the right letter": 'answer_q4 = "B"', "the right letter, single quotes": "answer_q4 = 'B'"},
    "inference_memory": {
        "summed layer by layer in Python": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    cache = state = 0
    for _ in range(layers):
        for _ in range(heads):
            cache += (n * d_k + n * d_v) * bytes_per_number
            state += (d_k * d_v + d_k) * bytes_per_number
    return cache, state
''',
        "numpy int64 products": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    per_number = np.int64(bytes_per_number) * heads * layers
    return per_number * n * (d_k + d_v), per_number * d_k * (d_v + 1)
''',
        "keys and values counted apart, then the state": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    keys = n * d_k * heads * layers * bytes_per_number
    values = n * d_v * heads * layers * bytes_per_number
    S = d_k * d_v * heads * layers * bytes_per_number
    z = d_k * heads * layers * bytes_per_number
    return keys + values, S + z
''',
    },
}

_PARALLEL_OK = '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    T = Q.shape[0]
    dist = np.arange(T)[:, None] - np.arange(T)[None, :]
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
'''

WRONG = {
    "linear_attention_parallel": {
        "causal mask forgotten": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.abs(np.subtract.outer(np.arange(len(Q)), np.arange(len(Q))))
    A = decay ** dist * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "strict mask s < t: a position does not see itself": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist > 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "normaliser left out": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    return A @ V
''',
        "decay with the exponent t - s + 1 (cancels, except at decay 0)": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** (np.maximum(dist, 0) + 1), 0.0) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "decay through exp((t - s) log decay): nan at decay 0": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    D = np.tril(np.exp(np.maximum(dist, 0) * np.log(decay)))
    A = D * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "decay ** (t - s) on the whole matrix, masked afterwards (warns)": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q))).astype(float)
    A = np.tril(decay ** dist) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "decay 0 treated as no decay": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    decay = decay or 1.0
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "decay ** s instead of decay ** (t - s)": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    T = len(Q)
    A = np.tril(np.ones((T, T)) * decay ** np.arange(T)[None, :]) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "feature map ignored (plain Q K^T)": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (Q @ K.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "feature map applied to the values too": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk, fv = feature_map(Q), feature_map(K), feature_map(V)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    return (A @ fv) / A.sum(axis=1, keepdims=True)
''',
        "anti-causal mask (np.triu)": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.triu(decay ** np.abs(dist)) * (fq @ fk.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
        "normalised by column sums": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (fq @ fk.T)
    A = A / A.sum(axis=0, keepdims=True)
    return A @ V
''',
        "float32 arithmetic": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q).astype(np.float32), feature_map(K).astype(np.float32)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, np.float32(decay) ** np.maximum(dist, 0), 0.0).astype(np.float32) * (fq @ fk.T)
    return (A @ V.astype(np.float32)) / A.sum(axis=1, keepdims=True)
''',
        "inputs overwritten by their feature maps": '''
def linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    Q[...] = feature_map(Q)
    K[...] = feature_map(K)
    dist = np.subtract.outer(np.arange(len(Q)), np.arange(len(Q)))
    A = np.where(dist >= 0, decay ** np.maximum(dist, 0), 0.0) * (Q @ K.T)
    return (A @ V) / A.sum(axis=1, keepdims=True)
''',
    },
    "linear_attention_recurrent": {
        "state read before it is updated (position t left out)": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
        S = decay * S + np.outer(fk[t], V[t])
        z = decay * z + fk[t]
    return Y
''',
        "decay applied after adding (decay ** (t - s + 1))": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = decay * (S + np.outer(fk[t], V[t]))
        z = decay * (z + fk[t])
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
    return Y
''',
        "decay on the new term instead of the old state": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = S + decay * np.outer(fk[t], V[t])
        z = z + decay * fk[t]
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
    return Y
''',
        "normaliser left out": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S = np.zeros((Q.shape[1], V.shape[1]))
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = decay * S + np.outer(fk[t], V[t])
        Y[t] = fq[t] @ S
    return Y
''',
        "normaliser not decayed": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = decay * S + np.outer(fk[t], V[t])
        z = z + fk[t]
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
    return Y
''',
        "queries and keys swapped: written with phi(q), read with phi(k)": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = decay * S + np.outer(fq[t], V[t])
        z = decay * z + fq[t]
        Y[t] = (fk[t] @ S) / (fk[t] @ z)
    return Y
''',
        "T x T array: the parallel form in disguise": _PARALLEL_OK.replace(
            "linear_attention_parallel", "linear_attention_recurrent"),
        "T x T array: a causal mask built for the loop": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q), feature_map(K)
    T = len(Q)
    mask = np.tri(T)
    Y = np.empty((T, V.shape[1]))
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    for t in range(T):
        S = decay * S + mask[t, t] * np.outer(fk[t], V[t])
        z = decay * z + mask[t, t] * fk[t]
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
    return Y
''',
        "inputs overwritten by their feature maps": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    Q[...] = feature_map(Q)
    K[...] = feature_map(K)
    S, z = np.zeros((Q.shape[1], V.shape[1])), np.zeros(Q.shape[1])
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = decay * S + np.outer(K[t], V[t])
        z = decay * z + K[t]
        Y[t] = (Q[t] @ S) / (Q[t] @ z)
    return Y
''',
        "float32 state": '''
def linear_attention_recurrent(Q, K, V, feature_map=elu_plus_one, decay=1.0):
    fq, fk = feature_map(Q).astype(np.float32), feature_map(K).astype(np.float32)
    S, z = np.zeros((Q.shape[1], V.shape[1]), np.float32), np.zeros(Q.shape[1], np.float32)
    Y = np.empty((len(Q), V.shape[1]))
    for t in range(len(Q)):
        S = np.float32(decay) * S + np.outer(fk[t], V[t].astype(np.float32))
        z = np.float32(decay) * z + fk[t]
        Y[t] = (fq[t] @ S) / (fq[t] @ z)
    return Y
''',
    },
    "decayed_weight": {
        "unnormalised decay ** (t - s)": '''
def decayed_weight(decay, t, s):
    return float(decay ** (t - s)) if s <= t else 0.0
''',
        "normalised as if the sequence were infinite": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    if decay == 1.0:
        return 1.0 / (t + 1)
    return float((1.0 - decay) * decay ** (t - s))
''',
        "closed form divides by zero at decay 1": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    return decay ** (t - s) * (1.0 - decay) / (1.0 - decay ** (t + 1))
''',
        "through exp and log: fails at decay 0": '''
import math
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    if decay == 1.0:
        return 1.0 / (t + 1)
    return math.exp((t - s) * math.log(decay)) * (1.0 - decay) / (1.0 - math.exp((t + 1) * math.log(decay)))
''',
        "future not masked": '''
def decayed_weight(decay, t, s):
    if decay == 1.0:
        return 1.0 / (t + 1)
    return float(np.float64(decay) ** (t - s) * (1.0 - decay) / (1.0 - decay ** (t + 1)))
''',
        "t terms in the geometric series instead of t + 1": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    if decay == 1.0:
        return 1.0 / max(t, 1)
    return float(decay ** (t - s) * (1.0 - decay) / (1.0 - decay ** max(t, 1)))
''',
        "s read as the distance t - s": '''
def decayed_weight(decay, t, s):
    if s > t:
        return 0.0
    if decay == 1.0:
        return 1.0 / (t + 1)
    return float(decay ** s * (1.0 - decay) / (1.0 - decay ** (t + 1)))
''',
    },
    "linear_scan": {
        "secretly a loop, combine never called": '''
def linear_scan(a, b, combine=compose_steps):
    H, h = np.empty(np.shape(b)), np.zeros(np.shape(b)[1:])
    for t in range(len(b)):
        h = a[t] * h + b[t]
        H[t] = h
    return H
''',
        "secretly a loop, one combine call per position": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    for t in range(1, len(A)):
        A[t], B[t] = combine(A[t - 1], B[t - 1], A[t], B[t])
    return B
''',
        "one combine call per position within each round": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        A_new, B_new = A.copy(), B.copy()
        for t in range(offset, len(A)):
            A_new[t], B_new[t] = combine(A[t - offset], B[t - offset], A[t], B[t])
        A, B = A_new, B_new
        offset *= 2
    return B
''',
        "combine's arguments swapped (then, first)": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        A_new, B_new = combine(A[offset:], B[offset:], A[:-offset], B[:-offset])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return B
''',
        "floor(log2 T) rounds": '''
import math
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    for r in range(int(math.log2(len(A)))):
        k = 2 ** r
        A_new, B_new = combine(A[:-k], B[:-k], A[k:], B[k:])
        A, B = np.concatenate([A[:k], A_new]), np.concatenate([B[:k], B_new])
    return B
''',
        "while offset <= T: an extra, empty round for powers of 2": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset <= len(A):
        A_new, B_new = combine(A[:len(A) - offset], B[:len(B) - offset], A[offset:], B[offset:])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return B
''',
        "exclusive scan: H[t] is the state before step t": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        A_new, B_new = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return np.concatenate([np.zeros_like(B[:1]), B[:-1]])
''',
        "the caller's arrays updated in place": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = a, b
    offset = 1
    while offset < len(A):
        A[offset:], B[offset:] = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        offset *= 2
    return B.copy()
''',
        "(T, d) flattened: the scan runs over T * d entries": '''
def linear_scan(a, b, combine=compose_steps):
    shape = np.shape(b)
    A, B = np.array(a, dtype=float).ravel(), np.array(b, dtype=float).ravel()
    offset = 1
    while offset < shape[0]:
        A_new, B_new = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return B.reshape(shape)
''',
        "returns the a part": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        A_new, B_new = combine(A[:-offset], B[:-offset], A[offset:], B[offset:])
        A = np.concatenate([A[:offset], A_new])
        B = np.concatenate([B[:offset], B_new])
        offset *= 2
    return A
''',
        "combines with position t - 2**r only from t >= 2**(r+1)": '''
def linear_scan(a, b, combine=compose_steps):
    A, B = np.array(a, dtype=float), np.array(b, dtype=float)
    offset = 1
    while offset < len(A):
        start = min(2 * offset, len(A))
        A_new, B_new = combine(A[start - offset:len(A) - offset], B[start - offset:len(B) - offset], A[start:], B[start:])
        A = np.concatenate([A[:start], A_new])
        B = np.concatenate([B[:start], B_new])
        offset *= 2
    return B
''',
        "Blelloch's work-efficient scan (right numbers, 2 log2 T calls on shrinking arrays)": '''
def linear_scan(a, b, combine=compose_steps):
    T = len(b)
    size = 1 << (T - 1).bit_length()  # pad to a power of 2 with identity steps
    A = np.ones((size,) + np.shape(a)[1:])
    B = np.zeros((size,) + np.shape(b)[1:])
    A[:T], B[:T] = a, b
    step = 1
    while step < size:  # up-sweep: block sums
        right = slice(2 * step - 1, size, 2 * step)
        left = slice(step - 1, size, 2 * step)
        A[right], B[right] = combine(A[left], B[left], A[right], B[right])
        step *= 2
    step //= 2
    while step >= 1:  # down-sweep, inclusive: fill in the positions between the block ends
        left = slice(2 * step - 1, size - step, 2 * step)
        right = slice(3 * step - 1, size, 2 * step)
        if len(range(size)[right]):
            A[right], B[right] = combine(A[left], B[left], A[right], B[right])
        step //= 2
    return B[:T]
''',
    },
    "answer_q4": {f"letter {letter}": f'answer_q4 = "{letter}"' for letter in "ACD"} | {
        "lower case": 'answer_q4 = "b"', "a number": "answer_q4 = 2"},
    "inference_memory": {
        "KV cache counts the keys only": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return n * d_k * heads * layers * bytes_per_number, (d_k * d_v + d_k) * heads * layers * bytes_per_number
''',
        "state without the normaliser z": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return n * (d_k + d_v) * heads * layers * bytes_per_number, d_k * d_v * heads * layers * bytes_per_number
''',
        "state grows with n": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return n * (d_k + d_v) * heads * layers * bytes_per_number, n * (d_k * d_v + d_k) * heads * layers * bytes_per_number
''',
        "floats instead of exact integers": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return float(n * (d_k + d_v) * heads * layers * bytes_per_number), float((d_k * d_v + d_k) * heads * layers * bytes_per_number)
''',
        "heads forgotten": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return n * (d_k + d_v) * layers * bytes_per_number, (d_k * d_v + d_k) * layers * bytes_per_number
''',
        "layers forgotten in the state": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return n * (d_k + d_v) * heads * layers * bytes_per_number, (d_k * d_v + d_k) * heads * bytes_per_number
''',
        "bits instead of bytes": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return 8 * n * (d_k + d_v) * heads * layers * bytes_per_number, 8 * (d_k * d_v + d_k) * heads * layers * bytes_per_number
''',
        "tuple in the wrong order": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return (d_k * d_v + d_k) * heads * layers * bytes_per_number, n * (d_k + d_v) * heads * layers * bytes_per_number
''',
        "cache for n + 1 tokens": '''
def inference_memory(n, d_k, d_v, heads, layers, bytes_per_number):
    return (n + 1) * (d_k + d_v) * heads * layers * bytes_per_number, (d_k * d_v + d_k) * heads * layers * bytes_per_number
''',
    },
}

# The spec audit (tests/helpers/spec_audit.py): every sentence a student reads about a graded answer,
# with the test line that checks it, or declared as explanation.
_P, _R = "test_linear_attention_parallel", "test_linear_attention_recurrent"
_W, _S, _M = "test_decayed_weight", "test_linear_scan", "test_inference_memory"

SPEC = {
    "intro": [
        ("compare your results with float64 references to within 1e-10", f"{_P}_against_torch",
         "assert np.allclose(_Y, _ref, rtol=0, atol=1e-10)"),
        ("compare your results with float64 references to within 1e-10", f"{_R}_matches_parallel",
         "assert np.allclose(_Y, _ref, rtol=0, atol=1e-10)"),
        ("compare your results with float64 references to within 1e-10", f"{_S}_values",
         "assert np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10)"),
        ("so do not convert to float32", f"{_P}_values", "assert np.allclose(_Y, _ref, rtol=0, atol=1e-10)"),
        ("No function may modify the arrays it is given", f"{_P}_against_torch",
         "assert not _changed, f\"linear_attention_parallel must not modify Q, K or V"),
        ("No function may modify the arrays it is given", f"{_R}_decay",
         "assert not _changed, f\"linear_attention_recurrent must not modify Q, K or V"),
        ("No function may modify the arrays it is given", f"{_S}_inputs_unchanged",
         "assert not _changed, f\"linear_scan must not modify a or b"),
        ("A test cell also fails if your code prints a warning while it runs", f"{_P}_decay",
         "_Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=0.05)"),
        ("sequences of length 1", f"{_P}_shape", "for _T, _d_k, _d_v in [(1, 1, 1), (1, 5, 3)"),
        ("a long sequence for the memory check of part 2", f"{_R}_memory", "_T = 20000"),
        ("one of them written with PyTorch in double precision", f"{_P}_against_torch",
         "def _torch_linear_attention(Q, K, V, gamma):"),
    ],
    "linear_attention_parallel": [
        ("uses a dot product of *feature maps* instead", f"{_P}_values",
         "w = np.array([gamma ** (t - s) * float(fq[t] @ fk[s]) for s in range(t + 1)])"),
        ("In a causal model position $t$ looks at positions $s \\le t$ only", f"{_P}_values",
         "assert np.allclose(_Y[:-1], _Y2[:-1], rtol=0, atol=1e-12)"),
        ("a position $t - s$ steps back is also weighted by a factor $\\gamma^{t-s}$", f"{_P}_decay",
         "w = np.array([gamma ** (t - s) * float(fq[t] @ fk[s]) for s in range(t + 1)])"),
        ("$$y_t = \\frac{\\sum_{s=0}^{t} \\gamma^{\\,t-s}", f"{_P}_values", "Y[t] = w @ V[: t + 1] / w.sum()"),
        ("So $y_t$ is a weighted average of $v_0, \\dots, v_t$", f"{_P}_values",
         "np.cumsum(_V[:6], axis=0) / np.arange(1, 7)[:, None]"),
        ("`Q` and `K` have shape `(T, d_k)` and `V` has shape `(T, d_v)`, with `T >= 1`", f"{_P}_shape",
         "for _T, _d_k, _d_v in [(1, 1, 1), (1, 5, 3), (7, 1, 5), (3, 6, 1), (12, 4, 4), (2, 3, 7)]:"),
        ("row `t` holds $q_t$, $k_t$ and $v_t$", f"{_P}_values", "Y[t] = w @ V[: t + 1] / w.sum()"),
        ("The result `Y` is a float array of shape `(T, d_v)`", f"{_P}_shape",
         "assert np.issubdtype(_Y.dtype, np.floating)"),
        ("The result `Y` is a float array of shape `(T, d_v)`", f"{_P}_shape",
         "assert _Y.shape == (_T, _d_v)"),
        ("Both sums run over $s = 0, \\dots, t$, so position $t$ sees itself", f"{_P}_shape",
         "assert np.allclose(_Y[0], _V[0], rtol=0, atol=1e-10), \"position 0 sees only itself: y_0 = v_0\""),
        ("Both sums run over $s = 0, \\dots, t$, so position $t$ sees itself", f"{_P}_values",
         "assert np.allclose(_Y, [[10.0], [50.0 / 3.0]], rtol=0, atol=1e-10)"),
        ("`feature_map` is a function that takes an array and returns an array of the same shape", f"{_P}_values",
         "_Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), feature_map=_phi)"),
        ("It is applied to the queries and the keys, never to the values", f"{_P}_values", "fq, fk = phi(Q), phi(K)"),
        ("The tests pass only feature maps and inputs for which every", f"{_P}_values",
         "_draw = (lambda size: _rng.uniform(0.0, 2.0, size=size)) if _positive"),
        ("The default feature map is `elu_plus_one`", f"{_P}_values",
         "if _phi is _elu1:  # the default feature map"),
        ("`decay` is $\\gamma$, a float with $0 \\le \\gamma \\le 1$", f"{_P}_decay",
         "for _decay in (0.0, 0.05, 0.3, 0.5, 0.9, 0.99, 1.0):"),
        ("`decay = 1.0` means no decay", f"{_P}_decay",
         "assert np.allclose(linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=1.0),"),
        ("**including $\\gamma = 0$** (take $0^0 = 1$)", f"{_P}_decay",
         "assert np.all(np.isfinite(_Y)), \"decay 0 must not give nan or inf: take 0**0 = 1\""),
        ("with `decay = 0.0` only $s = t$ keeps a nonzero weight, so $y_t = v_t$", f"{_P}_decay",
         "assert np.allclose(_Y, _V, rtol=0, atol=1e-10), \"with decay 0, y_t = v_t\""),
        ("Implement `linear_attention_parallel(Q, K, V, feature_map=elu_plus_one, decay=1.0)`", f"{_P}_values",
         "assert np.allclose(_Y, _ref, rtol=0, atol=1e-10), f\"differs from the formula: feature map {_name}"),
        ("which divides by zero when `decay = 0.0`", f"{_P}_decay",
         "_Y = linear_attention_parallel(_rng.normal(size=(200, 4)), _rng.normal(size=(200, 4)), _V.copy(), decay=0.0)"),
        ("overflows for a small decay and a long sequence, with a warning", f"{_P}_decay",
         "_Y = linear_attention_parallel(_Q.copy(), _K.copy(), _V.copy(), decay=0.05)"),
        ("returns Y of shape (T, d_v)", f"{_P}_shape", "assert _Y.shape == (5, 2)"),
    ],
    "linear_attention_recurrent": [
        ("Call **state** the $d_k \\times d_v$ matrix", f"{_R}_memory",
         "_S = np.cumsum(_fk[:, :, None] * _V[:, None, :], axis=0)"),
        ("**normaliser** the vector of $d_k$ numbers", f"{_R}_memory", "_z = np.cumsum(_fk, axis=0)"),
        ("Starting from $S_{-1} = 0$ and $z_{-1} = 0$", f"{_R}_memory",
         "_s, _zz = np.zeros((_d_k, _d_v)), np.zeros(_d_k)"),
        ("$$S_t = \\gamma\\, S_{t-1} + \\phi(k_t)\\, v_t^\\top", f"{_R}_memory",
         "_s = _decay * _s + np.outer(_fk[_t], _V[_t])"),
        ("update $S$ and $z$ first and read $y_t$ from them afterwards", f"{_R}_shape",
         "assert np.allclose(_Y[0], _V[0], rtol=0, atol=1e-10), \"position 0 sees only itself: y_0 = v_0\""),
        ("with the same arguments, conventions and result as part 1", f"{_R}_matches_parallel",
         "_Y = linear_attention_recurrent(_Q.copy(), _K.copy(), _V.copy(), feature_map=_phi, decay=_decay)"),
        ("with the same arguments, conventions and result as part 1", f"{_R}_shape",
         "assert isinstance(_Y, np.ndarray) and np.issubdtype(_Y.dtype, np.floating)"),
        ("Its result must agree with the parallel form's to within 1e-10", f"{_R}_matches_parallel",
         "f\"differs from the parallel form: feature map {_name}, decay {_decay}, T={_T}\""),
        ("with any feature map and decay", f"{_R}_matches_parallel", "for _decay in (0.0, 0.5, 0.9, 1.0):"),
        ("Your function must not build any array with $T \\times T$ entries", f"{_R}_memory",
         "assert _peak < _bound, (f\"T = {_T}: your function allocated"),
        ("The hidden tests call it with `T = 20000` and $d_k = d_v = 2$", f"{_R}_memory", "_T = 20000"),
        ("once with `decay = 1.0` and once with `decay = 0.9`", f"{_R}_memory", "for _decay in (1.0, 0.9):"),
        ("They measure the peak memory allocated during the call with Python's `tracemalloc`", f"{_R}_memory",
         "peak = _tracemalloc.get_traced_memory()[1]"),
        ("require it to stay below `1600 * T * (d_k + d_v)` bytes", f"{_R}_memory",
         "_bound = 1600 * _T * (_d_k + _d_v)"),
        ("The visible test runs the same check with `T = 2000`", f"{_R}_memory", "_T, _d_k, _d_v = 2000, 2, 2"),
        ("The same Y as linear_attention_parallel", f"{_R}_matches_parallel",
         "assert np.allclose(_Y, [[10.0], [50.0 / 3.0]], rtol=0, atol=1e-10)"),
    ],
    "decayed_weight": [
        ("Take inputs on which every similarity $\\phi(q_t) \\cdot \\phi(k_s)$ is the same number",
         f"{_W}_against_attention", "Q = K = np.zeros((T, 3))"),
        ("Then $y_t$ is a weighted average of $v_0, \\dots, v_t$", f"{_W}_against_attention",
         "assert np.isclose(sum(decayed_weight(_decay, 30, _s) for _s in range(31)), 1.0"),
        ("Then implement `decayed_weight(decay, t, s)` from your formula", f"{_W}_against_attention",
         "for _decay in (0.0, 0.1, 0.3, 0.5, 0.75, 0.9, 0.99, 1.0):"),
        ("returning a float", f"{_W}_edge_cases", "assert isinstance(_w, (float, np.floating)), \"return a float\""),
        ("the weight is 0.0 when $s > t$", f"{_W}_edge_cases",
         "assert decayed_weight(_decay, _t, _s) == 0.0, f\"s > t gets weight 0"),
        ("with `decay = 1.0` every position $s \\le t$ gets the same weight, $1/(t + 1)$", f"{_W}_edge_cases",
         "assert np.isclose(decayed_weight(1.0, _t, _s), 1.0 / (_t + 1), rtol=1e-10, atol=0)"),
        ("with `decay = 0.0` the weight is 1.0 for $s = t$ and 0.0 for $s < t$", f"{_W}_edge_cases",
         "assert _w0 == (1.0 if _s == _t else 0.0)"),
        ("for $0 < \\gamma < 1$, it is what your formula gives", f"{_W}_against_attention",
         "assert np.isclose(_predicted, _expected, rtol=1e-10, atol=0)"),
        ("The tests compare your prediction with the weights measured by running a reference linear attention",
         f"{_W}_against_attention", "return W @ np.eye(T)"),
        ("to a relative tolerance of 1e-10", f"{_W}_against_attention",
         "assert np.isclose(_predicted, _expected, rtol=1e-10, atol=0)"),
        ("The weight y_t gives to v_s when every similarity", f"{_W}_against_attention",
         "_measured = (_A @ np.eye(_T)) / _A.sum(axis=1, keepdims=True)"),
    ],
    "linear_scan": [
        ("Take $h_t = a_t \\odot h_{t-1} + b_t$", f"{_S}_values", "h = a[t] * h + b[t]"),
        ("two steps, first $(a_1, b_1)$ and then $(a_2, b_2)$, compose into one step of the same form",
         f"{_S}_rounds", "return np.multiply(a_then, a_first), np.multiply(a_then, b_first) + b_then"),
        ("$$a_2 (a_1 h + b_1) + b_2 = (a_2 a_1)\\, h + (a_2 b_1 + b_2).$$", f"{_S}_rounds",
         "return np.multiply(a_then, a_first), np.multiply(a_then, b_first) + b_then"),
        ("The cell below defines this composition as `compose_steps`", f"{_S}_values",
         "_H = linear_scan(_a.copy(), _b.copy())"),
        ("Implement `linear_scan(a, b, combine=compose_steps)`", f"{_S}_values",
         "assert np.allclose(_H, [1.0, 3.0, -1.0, 4.0, 11.0], rtol=0, atol=1e-10)"),
        ("`a` and `b` are float arrays of the same shape, `(T,)` or `(T, d)`, with `T >= 1`", f"{_S}_values",
         "for _shape in [(2,), (3,), (6,), (31,), (64,), (100,), (4, 3), (9, 1), (33, 5), (128, 2), (1000, 4)]:"),
        ("products are entry by entry", f"{_S}_edge_cases",
         "assert np.allclose(linear_scan(np.full((_T, 3), 0.9), _b.copy()), _H, rtol=0, atol=1e-10)"),
        ("Return `H`, a float array of that shape", f"{_S}_values",
         "assert isinstance(_H, np.ndarray) and np.issubdtype(_H.dtype, np.floating)"),
        ("with `H[0] = b[0]` and `H[t] = a[t] * H[t - 1] + b[t]` for `t >= 1`", f"{_S}_values",
         "assert np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10)"),
        ("(the state before the first step is 0)", f"{_S}_edge_cases",
         "assert np.allclose(linear_scan(np.zeros((_T, 3)), _b.copy()), _b, rtol=0, atol=1e-10)"),
        ("Do all the combining through `combine`", f"{_S}_rounds", "assert len(_calls) == _rounds"),
        ("use the pair `(a, b)` it returns", f"{_S}_rounds",
         "assert np.allclose(_H, _loop(_a, _b), rtol=0, atol=1e-10), f\"T = {_T}: wrong values with the tests' combine\""),
        ("compute no product or sum of two steps yourself", f"{_S}_rounds", "assert len(_calls) == _rounds"),
        ("The tests pass a `combine` of their own", f"{_S}_rounds",
         "_H = linear_scan(_a.copy(), _b.copy(), combine=_counting_combine(_calls))"),
        ("in round $r$ every position $t \\ge 2^r$ combines the pair held by position $t - 2^r$", f"{_S}_rounds",
         "assert all(_rows in (_T - 2 ** _r, _T) for _r, _rows in enumerate(_calls))"),
        ("Make **one** call of `combine` per round", f"{_S}_rounds",
         "assert all(_rows in (_T - 2 ** _r, _T) for _r, _rows in enumerate(_calls))"),
        ("You may instead pass all $T$ rows in every round", f"{_S}_rounds",
         "assert all(_rows in (_T - 2 ** _r, _T) for _r, _rows in enumerate(_calls))"),
        ("So `combine` is called exactly $\\lceil \\log_2 T \\rceil$ times (never for `T = 1`)", f"{_S}_rounds",
         "_rounds = _math.ceil(_math.log2(_T)) if _T > 1 else 0"),
        ("A loop over the positions, or Blelloch's work-efficient scan", f"{_S}_rounds",
         "assert len(_calls) == _rounds"),
        ("in ceil(log2 T) rounds of one combine call each", f"{_S}_rounds",
         "assert len(_calls) == 3, f\"T = 8 needs ceil(log2 8) = 3 rounds"),
    ],
    "answer_q4": [
        ("Set `answer_q4` to one letter", "test_answer_q4", 'answer_q4 in ("A", "B", "C", "D")'),
        ("Which of them can a parallel scan compute exactly", "test_answer_q4", 'assert answer_q4 == "B"'),
    ],
    "inference_memory": [
        ("returning the tuple `(kv_cache_bytes, state_bytes)`, in that order", f"{_M}_kv_cache",
         "assert isinstance(_result, tuple) and len(_result) == 2"),
        ("for a model that has read `n` tokens", f"{_M}_kv_cache",
         "_expected = _n * (_d_k + _d_v) * _heads * _layers * _bytes"),
        ("`kv_cache_bytes` counts, in each of the `layers` layers and for each of the `heads` heads", f"{_M}_kv_cache",
         "_expected = _n * (_d_k + _d_v) * _heads * _layers * _bytes"),
        ("With $d_k = d_v = d/\\text{heads}$ that is $2 n d$ numbers per layer", f"{_M}_kv_cache",
         "assert inference_memory(300, 64, 64, 8, 1, 1)[0] == 2 * 300 * 512"),
        ("`state_bytes` counts, in each layer and for each head, the state $S$", f"{_M}_state",
         "_expected = (_d_k * _d_v + _d_k) * _heads * _layers * _bytes"),
        ("it does not depend on `n`", f"{_M}_state", "the state must not depend on n"),
        ("Every number takes `bytes_per_number` bytes", f"{_M}_kv_cache",
         "_expected = _n * (_d_k + _d_v) * _heads * _layers * _bytes"),
        ("Every number takes `bytes_per_number` bytes", f"{_M}_state",
         "_expected = (_d_k * _d_v + _d_k) * _heads * _layers * _bytes"),
        ("`n >= 0` (a model that has read nothing has an empty cache)", f"{_M}_kv_cache",
         "for _n, _d_k, _d_v, _heads, _layers, _bytes in [(0, 4, 4, 1, 1, 8)"),
        ("the other arguments are positive integers", f"{_M}_kv_cache", "(1, 1, 1, 1, 1, 1)"),
        ("Return both counts as exact integers", f"{_M}_kv_cache",
         "assert isinstance(_kv, (int, np.integer)) and not isinstance(_kv, bool)"),
        ("Return both counts as exact integers", f"{_M}_state",
         "assert isinstance(_state, (int, np.integer)) and not isinstance(_state, bool)"),
        ("(KV cache bytes after n tokens, linear-attention state bytes), both exact integers", f"{_M}_kv_cache",
         "assert _kv == 10 * (4 + 4) * 8"),
    ],
}

PROSE = {
    "linear_attention_parallel": [
        "Softmax attention (Lecture 5) gives the value of position",
        "These conventions hold for parts 1 and 2 and for every test of them",
        "This is the form a GPU runs for all positions at once",
        "Build the `(T, T)` matrix of weights",
        "Like softmax attention, this form needs memory for $T^2$ numbers",
        "Raise `decay` only to exponents $t - s \\ge 0$",
    ],
    "linear_attention_recurrent": [
        "The numerator and the denominator of $y_t$ can be carried from one position to the next",
        "only $d_k d_v + d_k$ numbers go from one position to the next",
        "The natural way is a loop over the positions",
    ],
    "decayed_weight": [
        "Before you run anything, work out on paper",
        "The function sees no data",
        "Your formula also says how far back a decay lets a model see",
    ],
    "linear_scan": [
        "The loop of part 2 takes $T$ steps, one after another",
        "Its recurrence is **linear in the state**",
        "Because composing is associative, the prefixes can be built in rounds",
        "Each round is one vectorised operation over whole arrays",
        "Lecture 1 wrote a scan like this with the combining inlined",
    ],
    "inference_memory": [
        "A decoder generates text one token at a time",
        "With softmax attention the query of each new token is compared with the keys",
        "A linear-attention layer keeps only its state and its normaliser",
    ],
}
