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
