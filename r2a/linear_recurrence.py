"""Recurrences that are linear in their state: linear attention, decay and gates, the parallel scan,
state-space layers, and the fixed-size state they keep in place of a KV cache (Lecture 7).

Everything up to the recall task is numpy, time along axis 0, written to be read next to its
equation; the scan also runs on torch tensors. The recall task and its models are torch.

* **linear attention** (Katharopoulos et al., 2020): ``linear_attention_parallel`` (the masked
  ``n x n`` form) and ``linear_attention_recurrent`` (a ``d_k x d_v`` state), with a feature map from
  ``FEATURE_MAPS`` and an optional decay per step (``decay_matrix``);
* **the scan**: ``combine`` (two steps of ``h -> a h + b`` as one), ``linear_recurrence_loop`` and
  ``linear_recurrence_scan`` (Hillis & Steele's ``ceil(log2 n)`` rounds, numpy or torch);
* **state-space layers**: ``discretize`` (zero-order hold or bilinear, diagonal ``A``),
  ``ssm_recurrent``, ``ssm_kernel`` and ``causal_convolution`` (direct or FFT), and the selective
  variant, whose step depends on its input: ``SelectiveSSM``;
* **decoding**: ``causal_softmax_attention`` and ``KVCache`` (which grows with the sequence) against
  ``LinearAttentionState`` (which does not);
* **multi-query associative recall** (Arora et al., 2023): ``mqar`` and ``RecallModel`` with a
  ``"softmax"``, ``"linear"``, ``"gated"`` or ``"lstm"`` mixer, ``recall_loss``, ``recall_accuracy``.
"""
import math
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from ._validation import check_choice, check_positive_int

# -- linear attention --------------------------------------------------------------------------


def elu_plus_one(x):
    """``elu(x) + 1``: ``x + 1`` for ``x > 0``, ``exp(x)`` otherwise; always positive (Katharopoulos et al.)."""
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x + 1.0, np.exp(np.minimum(x, 0.0)))


def relu(x):
    return np.maximum(np.asarray(x, dtype=float), 0.0)


def identity(x):
    return np.asarray(x, dtype=float)


# A feature map phi is applied row by row to queries and keys. With elu+1 every score phi(q) . phi(k)
# is positive, so the normaliser cannot vanish; with relu a score can be 0 and with the identity
# negative, so those two are used with normalise=False.
FEATURE_MAPS = {"elu+1": elu_plus_one, "relu": relu, "identity": identity}


def decay_matrix(gammas):
    """``D[t, s] = gamma_(s+1) * ... * gamma_t`` for ``s <= t`` (1 on the diagonal), 0 above it.

    ``gammas`` has one factor in ``(0, 1]`` per position (the first is never used). The products are
    formed as ``exp`` of differences of cumulative log sums, so an ``n x n`` matrix costs ``O(n^2)``.
    """
    gammas = np.asarray(gammas, dtype=float)
    if gammas.ndim != 1 or np.any(gammas <= 0) or np.any(gammas > 1):
        raise ValueError("gammas must be a 1-D array of factors in (0, 1]")
    cumulative = np.cumsum(np.log(gammas))
    exponent = cumulative[:, None] - cumulative[None, :]
    lower = np.tril(np.ones((len(gammas), len(gammas)), dtype=bool))
    return np.where(lower, np.exp(np.where(lower, exponent, 0.0)), 0.0)


def _feature_map(phi):
    if callable(phi):
        return phi
    check_choice("phi", phi, tuple(FEATURE_MAPS))
    return FEATURE_MAPS[phi]


def _gammas(decay, n):
    if decay is None:
        return None
    gammas = np.broadcast_to(np.asarray(decay, dtype=float), (n,))
    return np.array(gammas)


def linear_attention_parallel(Q, K, V, phi="elu+1", normalise=True, decay=None, return_scores=False):
    """Causal linear attention computed for all positions at once, through an ``n x n`` matrix:

    ``Y = (phi(Q) phi(K)^T * M) V``, row ``t`` divided by ``phi(q_t) . sum_(s <= t) phi(k_s)`` when
    ``normalise``. ``M`` is the causal mask, or ``decay_matrix`` of ``decay`` (one factor, or one per
    position). ``Q, K``: ``(n, d_k)``; ``V``: ``(n, d_v)``. With ``return_scores`` also the masked matrix.
    """
    phi = _feature_map(phi)
    n = len(Q)
    mask = np.tril(np.ones((n, n))) if decay is None else decay_matrix(_gammas(decay, n))
    scores = (phi(Q) @ phi(K).T) * mask
    Y = scores @ V
    if normalise:
        Y = Y / scores.sum(axis=1, keepdims=True)
    return (Y, scores) if return_scores else Y


def linear_attention_recurrent(Q, K, V, phi="elu+1", normalise=True, decay=None, return_state=False):
    """The same outputs, one position after another, from a state of fixed size:

    ``S_t = gamma_t S_(t-1) + phi(k_t) v_t^T`` (``d_k x d_v``), ``z_t = gamma_t z_(t-1) + phi(k_t)``
    (``d_k``), ``y_t = phi(q_t)^T S_t``, divided by ``phi(q_t) . z_t`` when ``normalise``; ``gamma_t = 1``
    without ``decay``. With ``return_state`` also the final ``(S, z)``.
    """
    phi = _feature_map(phi)
    n, d_k, d_v = len(Q), Q.shape[1], V.shape[1]
    gammas = None if decay is None else _gammas(decay, n)  # no array of n ones: the memory stays O(1)
    S, z = np.zeros((d_k, d_v)), np.zeros(d_k)
    Y = np.empty((n, d_v))
    for t in range(n):
        q, k = phi(Q[t]), phi(K[t])
        gamma = 1.0 if gammas is None else gammas[t]
        S = gamma * S + np.outer(k, V[t])
        z = gamma * z + k
        Y[t] = q @ S / (q @ z) if normalise else q @ S
    return (Y, (S, z)) if return_state else Y


# -- the scan ----------------------------------------------------------------------------------


def combine(first, second):
    """Two steps ``h -> a1 h + b1`` then ``h -> a2 h + b2`` as one: ``(a1 a2, a2 b1 + b2)`` (element-wise)."""
    (a1, b1), (a2, b2) = first, second
    return a1 * a2, a2 * b1 + b2


def linear_recurrence_loop(a, b, h0=None):
    """``h_t = a_t * h_(t-1) + b_t`` for ``t = 1 .. n``, one step after another; time along axis 0.

    ``a`` broadcasts against ``b`` (for instance ``(n, 1, 1)`` against ``(n, d_k, d_v)``); ``h0``
    defaults to zeros. Returns the ``n`` states stacked, shaped like ``b``.
    """
    h = np.zeros(b.shape[1:], dtype=np.result_type(a, b)) if h0 is None else h0
    states = []
    for a_t, b_t in zip(a, b):
        h = a_t * h + b_t
        states.append(h)
    return np.stack(states)


def _narrow(x, axis, start, length):
    index = [slice(None)] * x.ndim
    index[axis] = slice(start, start + length)
    return x[tuple(index)]


def linear_recurrence_scan(a, b, h0=None, axis=0):
    """The states of ``linear_recurrence_loop`` in ``ceil(log2 n)`` rounds (Hillis & Steele, 1986).

    After round ``r``, position ``t`` holds the combined step of the ``2^r`` steps ending at ``t`` (or
    of all steps from the first): in each round every position combines, all at once, its block
    with the block ending ``2^(r-1)`` positions earlier (``combine``). Works on numpy arrays and, with
    autograd, on torch tensors; time runs along ``axis``. Returns ``(states, rounds)``.
    """
    torch_input = isinstance(b, torch.Tensor)
    concatenate = (lambda parts: torch.cat(parts, dim=axis)) if torch_input else \
        (lambda parts: np.concatenate(parts, axis=axis))
    n = b.shape[axis]
    a = a * (torch.ones_like(b) if torch_input else np.ones_like(b))  # broadcast once: a and b align
    span, rounds = 1, 0
    while span < n:
        earlier = (_narrow(a, axis, 0, n - span), _narrow(b, axis, 0, n - span))
        later = (_narrow(a, axis, span, n - span), _narrow(b, axis, span, n - span))
        a_new, b_new = combine(earlier, later)
        a = concatenate([_narrow(a, axis, 0, span), a_new])
        b = concatenate([_narrow(b, axis, 0, span), b_new])
        span, rounds = 2 * span, rounds + 1
    states = b if h0 is None else a * h0 + b
    return states, rounds


# -- state-space layers --------------------------------------------------------------------------


def discretize(A, B, delta, method="zoh"):
    """``(A_bar, B_bar)`` of the diagonal system ``h' = A h + B u`` sampled every ``delta``.

    * ``"zoh"`` (zero-order hold, ``u`` constant over each step): ``A_bar = exp(delta A)``,
      ``B_bar = (exp(delta A) - 1) / A * B``;
    * ``"bilinear"`` (the trapezoid rule): ``A_bar = (1 + delta A / 2) / (1 - delta A / 2)``,
      ``B_bar = delta B / (1 - delta A / 2)``.

    ``A`` and ``B`` are vectors (the diagonal of ``A``), real or complex, with no zero in ``A``.
    """
    check_choice("method", method, ("zoh", "bilinear"))
    A, B = np.asarray(A), np.asarray(B)
    if method == "zoh":
        A_bar = np.exp(delta * A)
        return A_bar, (A_bar - 1) / A * B
    return (1 + delta * A / 2) / (1 - delta * A / 2), delta * B / (1 - delta * A / 2)


def ssm_recurrent(A_bar, B_bar, C, u):
    """``h_t = A_bar * h_(t-1) + B_bar u_t``, ``y_t = Re(C . h_t)`` for a scalar input sequence ``u`` (``n``)."""
    h = np.zeros(len(A_bar), dtype=np.result_type(A_bar, B_bar, complex))
    y = np.empty(len(u))
    for t, u_t in enumerate(u):
        h = A_bar * h + B_bar * u_t
        y[t] = np.real(C @ h)
    return y


def ssm_kernel(A_bar, B_bar, C, n):
    """The convolution kernel of that recurrence, ``K_k = Re(C . (A_bar^k * B_bar))`` for ``k = 0 .. n-1``."""
    powers = np.asarray(A_bar)[None, :] ** np.arange(n)[:, None]  # (n, N)
    return np.real(powers @ (np.asarray(C) * np.asarray(B_bar)))


def causal_convolution(u, K, fft=False):
    """``y_t = sum_(k = 0 .. t) K_k u_(t-k)``; with ``fft`` through zero-padded FFTs (``O(n log n)``)."""
    u, K = np.asarray(u, dtype=float), np.asarray(K, dtype=float)
    n = len(u)
    if not fft:
        return np.convolve(u, K)[:n]
    size = 2 * n  # zero padding: the circular convolution then equals the linear one on the first n
    return np.fft.irfft(np.fft.rfft(u, size) * np.fft.rfft(K, size), size)[:n]


def softplus(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0) + np.log1p(np.exp(-np.abs(x)))


@dataclass
class SelectiveSSM:
    """A selective state-space layer in the manner of Mamba (Gu & Dao, 2023), for ``D`` channels.

    Each channel ``c`` has a state of ``N`` numbers and a fixed diagonal ``A[c]`` (negative reals).
    What makes it *selective* is that the step size and the input and output maps depend on the
    input ``u_t`` (``D`` numbers) at every step:

    ``delta_t = softplus(u_t W_delta + b_delta)`` (``D``), ``B_t = u_t W_B``, ``C_t = u_t W_C`` (``N``),
    ``h_t[c] = exp(delta_t[c] A[c]) * h_(t-1)[c] + delta_t[c] u_t[c] B_t``, ``y_t[c] = C_t . h_t[c]``.

    (``B`` is discretised by the simple rule ``delta B``, as in Mamba.) With ``selective=False`` the
    step and the maps are fixed (``b_delta``, ``B_fixed``, ``C_fixed``): a time-invariant diagonal SSM.
    """
    A: np.ndarray          # (D, N), negative
    W_delta: np.ndarray    # (D, D)
    b_delta: np.ndarray    # (D,)
    W_B: np.ndarray        # (D, N)
    W_C: np.ndarray        # (D, N)
    B_fixed: np.ndarray    # (N,) used when selective=False
    C_fixed: np.ndarray    # (N,)
    selective: bool = True

    @classmethod
    def random(cls, rng, channels, state_size, selective=True):
        """Random parameters: ``A[c] = -(1, 2, .., N)`` (S4D-real), the rest Gaussian, scaled ``1/sqrt(D)``."""
        check_positive_int(channels=channels, state_size=state_size)
        A = -np.tile(np.arange(1, state_size + 1, dtype=float), (channels, 1))
        scale = 1 / math.sqrt(channels)
        return cls(A, rng.normal(scale=scale, size=(channels, channels)), rng.normal(size=channels) - 1.0,
                   rng.normal(scale=scale, size=(channels, state_size)),
                   rng.normal(scale=scale, size=(channels, state_size)),
                   rng.normal(size=state_size), rng.normal(size=state_size), selective)

    def _parts(self, u):
        """``delta`` (``n, D``), ``B`` and ``C`` (``n, N``) at every step."""
        u = np.asarray(u, dtype=float)
        n = len(u)
        if self.selective:
            return softplus(u @ self.W_delta + self.b_delta), u @ self.W_B, u @ self.W_C
        return (np.broadcast_to(softplus(self.b_delta), u.shape), np.broadcast_to(self.B_fixed, (n, len(self.B_fixed))),
                np.broadcast_to(self.C_fixed, (n, len(self.C_fixed))))

    def steps(self, u):
        """``(a, b, C)`` of ``h_t = a_t * h_(t-1) + b_t``, ``y_t[c] = C_t . h_t[c]``: ``a, b`` of shape
        ``(n, D, N)``, ``C`` of shape ``(n, N)``."""
        delta, B, C = self._parts(u)
        a = np.exp(delta[:, :, None] * self.A[None])
        b = (delta * np.asarray(u, dtype=float))[:, :, None] * B[:, None, :]
        return a, b, np.asarray(C)

    def __call__(self, u, method="loop"):
        """Outputs ``(n, D)``, with the states computed by ``"loop"`` or ``"scan"``."""
        check_choice("method", method, ("loop", "scan"))
        a, b, C = self.steps(u)
        h = linear_recurrence_loop(a, b) if method == "loop" else linear_recurrence_scan(a, b)[0]
        return np.einsum("tcn,tn->tc", h, C)

    def coefficients(self, u):
        """``M[t, s, c]``: the weight of ``delta_s[c] u_s[c]`` in ``y_t[c]``, so that
        ``y_t[c] = sum_(s <= t) M[t, s, c] delta_s[c] u_s[c]``.

        For a time-invariant layer ``M[t, s]`` depends only on ``t - s`` (a convolution); for a
        selective one it depends on ``t`` and ``s``, and on the input itself.
        """
        delta, B, C = self._parts(u)
        a = np.exp(delta[:, :, None] * self.A[None])          # (n, D, N)
        cumulative = np.cumsum(np.log(a), axis=0)
        n = len(a)
        M = np.zeros((n, n, a.shape[1]))
        for t in range(n):
            decay = np.exp(cumulative[t][None] - cumulative[:t + 1])  # a_(s+1) ... a_t for s = 0 .. t
            M[t, :t + 1] = np.einsum("scn,sn,n->sc", decay, B[:t + 1], C[t])
        return M


# -- decoding: a cache that grows against a state that does not ---------------------------------


def causal_softmax_attention(Q, K, V):
    """``softmax(Q K^T / sqrt(d_k) + causal mask) V`` for all positions at once (numerically stable)."""
    n = len(Q)
    scores = Q @ K.T / math.sqrt(Q.shape[1])
    scores = np.where(np.tril(np.ones((n, n), dtype=bool)), scores, -np.inf)
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (weights / weights.sum(axis=1, keepdims=True)) @ V


class KVCache:
    """The keys and values of every position decoded so far: two arrays of ``n`` rows that grow by one
    row per step. ``step(q, k, v)`` appends ``k, v`` and returns the attention output for ``q``."""

    def __init__(self, d_k, d_v, dtype=np.float64):
        self.K, self.V = np.zeros((0, d_k), dtype=dtype), np.zeros((0, d_v), dtype=dtype)

    def step(self, q, k, v):
        self.K, self.V = np.vstack([self.K, k]), np.vstack([self.V, v])
        scores = self.K @ q / math.sqrt(len(q))
        weights = np.exp(scores - scores.max())
        return weights @ self.V / weights.sum()

    @property
    def nbytes(self):
        return self.K.nbytes + self.V.nbytes


class LinearAttentionState:
    """Linear attention decoded one token at a time: the ``d_k x d_v`` state ``S`` and the normaliser
    ``z``, whatever the number of tokens seen (``linear_attention_recurrent`` step by step)."""

    def __init__(self, d_k, d_v, phi="elu+1", normalise=True):
        self.S, self.z = np.zeros((d_k, d_v)), np.zeros(d_k)
        self.phi, self.normalise = _feature_map(phi), normalise

    def step(self, q, k, v):
        q, k = self.phi(q), self.phi(k)
        self.S = self.S + np.outer(k, v)
        self.z = self.z + k
        return q @ self.S / (q @ self.z) if self.normalise else q @ self.S

    @property
    def nbytes(self):
        return self.S.nbytes + self.z.nbytes


# -- multi-query associative recall --------------------------------------------------------------


def mqar(rng, n_samples, n_pairs, n_keys=32, n_values=16):
    """Multi-query associative recall (Arora et al., 2023), one key-value pair per position.

    Each sequence shows ``n_pairs`` pairs ``(key, value)`` with distinct keys drawn from ``n_keys``
    and values drawn uniformly from ``n_values``, then asks for every one of those keys again, in a
    random order; a query position carries its key and the value id ``n_values`` ("?"). Returns
    ``(keys, values, targets)``: ``keys, values`` of shape ``(n_samples, 2 * n_pairs)``, ``targets``
    (the asked key's value) of shape ``(n_samples, n_pairs)``, one per query position.
    """
    check_positive_int(n_samples=n_samples, n_pairs=n_pairs, n_keys=n_keys, n_values=n_values)
    if n_pairs > n_keys:
        raise ValueError(f"{n_pairs} distinct keys cannot be drawn from {n_keys}")
    keys = np.argsort(rng.random((n_samples, n_keys)), axis=1)[:, :n_pairs]
    values = rng.integers(0, n_values, size=(n_samples, n_pairs))
    order = np.argsort(rng.random((n_samples, n_pairs)), axis=1)
    asked, answers = np.take_along_axis(keys, order, 1), np.take_along_axis(values, order, 1)
    question = np.full((n_samples, n_pairs), n_values)
    return np.concatenate([keys, asked], 1), np.concatenate([values, question], 1), answers


class _SoftmaxMixer(nn.Module):
    """Causal single-head softmax attention; its KV cache holds ``d_k + d_v`` numbers per position."""

    def __init__(self, d_model, d_k, d_v):
        super().__init__()
        self.q, self.k, self.v, self.o = (nn.Linear(d_model, d_k), nn.Linear(d_model, d_k),
                                          nn.Linear(d_model, d_v), nn.Linear(d_v, d_model))

    def forward(self, x):
        n = x.shape[1]
        scores = self.q(x) @ self.k(x).transpose(1, 2) / math.sqrt(self.q.out_features)
        scores = scores.masked_fill(torch.ones(n, n, dtype=torch.bool).triu(1), float("-inf"))
        return self.o(torch.softmax(scores, dim=-1) @ self.v(x))


class _LinearMixer(_SoftmaxMixer):
    """Causal linear attention with ``phi = elu + 1`` and the normaliser, in its parallel form; its
    recurrent state holds ``d_k d_v + d_k`` numbers."""

    def forward(self, x):
        n = x.shape[1]
        q, k = nn.functional.elu(self.q(x)) + 1, nn.functional.elu(self.k(x)) + 1
        scores = (q @ k.transpose(1, 2)) * torch.ones(n, n, dtype=x.dtype).tril()
        return self.o(scores @ self.v(x) / scores.sum(dim=-1, keepdim=True))


class _GatedMixer(nn.Module):
    """A selective state-space layer with one decay per step shared by its state (as in Mamba-2, Dao
    & Gu, 2024), equivalently gated linear attention without a normaliser:
    ``S_t = gamma_t S_(t-1) + B_t u_t^T``, ``y_t = S_t^T C_t`` with ``gamma_t = exp(-softplus(w . x_t + b))``,
    ``B_t, C_t`` (``N``) and ``u_t`` (``channels``) linear in ``x_t``: a state of ``N x channels`` numbers.

    ``forward`` uses the parallel form ``((C B^T) * decay matrix) U``; ``recurrent`` runs the same layer
    with ``linear_recurrence_scan`` over its states."""

    def __init__(self, d_model, state_size, channels):
        super().__init__()
        self.B, self.C = nn.Linear(d_model, state_size), nn.Linear(d_model, state_size)
        self.u, self.gate = nn.Linear(d_model, channels), nn.Linear(d_model, 1)
        self.o = nn.Linear(channels, d_model)

    def log_gamma(self, x):
        return -nn.functional.softplus(self.gate(x))[..., 0]  # (batch, n), at most 0

    def forward(self, x):
        n = x.shape[1]
        cumulative = torch.cumsum(self.log_gamma(x), dim=1)
        lower = torch.ones(n, n, dtype=torch.bool).tril()
        exponent = torch.where(lower, cumulative[:, :, None] - cumulative[:, None, :], float("-inf"))
        scores = (self.C(x) @ self.B(x).transpose(1, 2)) * torch.exp(exponent)
        return self.o(scores @ self.u(x))

    def recurrent(self, x):
        gamma = torch.exp(self.log_gamma(x))[..., None, None]            # (batch, n, 1, 1)
        writes = self.B(x)[..., :, None] * self.u(x)[..., None, :]     # (batch, n, N, channels)
        S, _ = linear_recurrence_scan(gamma, writes, axis=1)
        return self.o((self.C(x)[..., :, None] * S).sum(dim=-2))


class _LSTMMixer(nn.Module):
    """An LSTM of ``hidden`` units, read out through a linear map: a state of ``2 hidden`` numbers."""

    def __init__(self, d_model, hidden):
        super().__init__()
        self.lstm, self.o = nn.LSTM(d_model, hidden, batch_first=True), nn.Linear(hidden, d_model)

    def forward(self, x):
        return self.o(self.lstm(x)[0])


class RecallModel(nn.Module):
    """``(keys, values) -> logits over the values`` at every position, for ``mqar``.

    The same parts around every mixer: the embedding of a position is ``E_key[key] + E_value[value]``
    (``d_model``), the mixer's output is added to it, and a linear readout gives ``n_values`` logits.

    * ``"softmax"``: causal softmax attention, keys of ``d_k``, values of ``d_v``;
    * ``"linear"``: the same projections with ``phi = elu + 1`` instead of the softmax;
    * ``"gated"``: a selective SSM with a scalar decay per step, ``N = d_k``, ``d_v`` channels;
    * ``"lstm"``: an LSTM with ``(d_k d_v) / 2`` units, so its state (``h`` and ``c``) holds ``d_k d_v``.
    """

    MIXERS = ("softmax", "linear", "gated", "lstm")

    def __init__(self, mixer, n_keys=32, n_values=16, d_model=32, d_k=8, d_v=16):
        super().__init__()
        check_choice("mixer", mixer, self.MIXERS)
        check_positive_int(n_keys=n_keys, n_values=n_values, d_model=d_model, d_k=d_k, d_v=d_v)
        self.mixer_name, self.d_k, self.d_v = mixer, d_k, d_v
        self.key_embedding = nn.Embedding(n_keys, d_model)
        self.value_embedding = nn.Embedding(n_values + 1, d_model)  # the last id is the query's "?"
        if mixer == "softmax":
            self.mixer = _SoftmaxMixer(d_model, d_k, d_v)
        elif mixer == "linear":
            self.mixer = _LinearMixer(d_model, d_k, d_v)
        elif mixer == "gated":
            self.mixer = _GatedMixer(d_model, d_k, d_v)
        else:
            if d_k * d_v % 2:
                raise ValueError("an LSTM's state is 2 x hidden numbers: d_k * d_v must be even")
            self.mixer = _LSTMMixer(d_model, d_k * d_v // 2)
        self.readout = nn.Linear(d_model, n_values)

    def embed(self, keys, values):
        return self.key_embedding(keys) + self.value_embedding(values)

    def forward(self, keys, values):
        x = self.embed(keys, values)
        return self.readout(x + self.mixer(x))

    def state_floats(self, length):
        """Numbers the model keeps between positions after ``length`` of them (per sequence)."""
        if self.mixer_name == "softmax":
            return length * (self.d_k + self.d_v)  # the KV cache
        if self.mixer_name == "linear":
            return self.d_k * self.d_v + self.d_k  # S and the normaliser z
        return self.d_k * self.d_v  # the gated state S; the LSTM's h and c


def recall_logits(model, inputs):
    """The logits at the query positions (the second half of each sequence)."""
    keys, values = inputs
    return model(keys, values)[:, keys.shape[1] // 2:]


def recall_loss(model, inputs, targets):
    """Cross-entropy of the answers at the query positions, in the form ``r2a.training.train`` expects."""
    logits = recall_logits(model, inputs)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


def recall_accuracy(model, inputs, targets) -> float:
    """Fraction of queries answered with the right value."""
    with torch.no_grad():
        return float((recall_logits(model, inputs).argmax(dim=-1) == targets).float().mean())


def as_tensors(keys, values, targets):
    """``mqar``'s numpy arrays as the ``((keys, values), targets)`` torch tensors the models take."""
    return (torch.from_numpy(keys), torch.from_numpy(values)), torch.from_numpy(targets)
