"""Recurrent models and the gradient measurements that go with them.

Lecture 2 builds these; later lectures reuse them as the recurrent baseline and as the ruler that
measures how strongly an output still depends on a distant input.

* ``rnn_states``: the forward pass of an Elman RNN in numpy, keeping every state ``h_0 .. h_T``;
* ``state_jacobian``: ``dh_t/dh_k``, the product of the one-step Jacobians ``diag(phi'(a_i)) W_h``;
* ``jacobian_norms_by_distance``: ``||dh_T/dh_(T-s)||`` for every distance ``s`` at once;
* ``input_gradient_norms``: ``||d output / d x_t||`` at each position ``t``, for any torch callable
  (a recurrent model here, an attention model in Lectures 4 and 6);
* ``SequenceClassifier``: ``nn.Embedding -> nn.RNN or nn.LSTM -> nn.Linear`` on the final state;
* ``classification_loss``: its cross-entropy, in the form ``r2a.training.train`` expects.
"""
import numpy as np
import torch

NONLINEARITIES = ("tanh", "linear")
CELLS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}


def _check_nonlinearity(nonlinearity):
    if nonlinearity not in NONLINEARITIES:
        raise ValueError(f"nonlinearity must be one of {NONLINEARITIES}, got {nonlinearity!r}")


def rnn_states(X, W_h, W_x, b, h0=None, nonlinearity="tanh"):
    """Every state of ``h_t = phi(W_h h_(t-1) + W_x x_t + b)`` for one sequence ``X`` of shape ``(T, d_in)``.

    ``phi`` is ``tanh`` or, with ``nonlinearity="linear"``, the identity. Returns a ``(T + 1, d_h)``
    array whose row ``t`` is ``h_t``, so row 0 is ``h0`` (zeros when not given) and the indices match
    the equations.
    """
    _check_nonlinearity(nonlinearity)
    W_h, W_x, b = (np.asarray(a, dtype=np.float64) for a in (W_h, W_x, b))
    h = np.zeros(W_h.shape[0]) if h0 is None else np.asarray(h0, dtype=np.float64)
    states = [h]
    for x_t in np.asarray(X, dtype=np.float64):
        pre_activation = W_h @ h + W_x @ x_t + b
        h = np.tanh(pre_activation) if nonlinearity == "tanh" else pre_activation
        states.append(h)
    return np.stack(states)


def _one_step_jacobian(W_h, h_i, nonlinearity):
    """dh_i/dh_(i-1) = diag(phi'(a_i)) W_h; for tanh, phi'(a_i) = 1 - h_i**2 needs only the state."""
    if nonlinearity == "linear":
        return W_h
    return (1.0 - h_i ** 2)[:, None] * W_h  # scales row j by the derivative of unit j


def state_jacobian(W_h, states, k, t=None, nonlinearity="tanh"):
    """The Jacobian ``dh_t/dh_k`` of an RNN whose states ``h_0 .. h_T`` are the rows of ``states``.

    It is the product of one-step Jacobians, latest on the left:
    ``dh_t/dh_k = J_t J_(t-1) ... J_(k+1)`` with ``J_i = diag(1 - h_i**2) W_h`` for tanh (``W_h`` for
    a linear RNN). ``t`` defaults to ``T``; ``k == t`` gives the identity.
    """
    _check_nonlinearity(nonlinearity)
    W_h, states = np.asarray(W_h, dtype=np.float64), np.asarray(states, dtype=np.float64)
    last = len(states) - 1
    t = last if t is None else t
    if not 0 <= k <= t <= last:
        raise ValueError(f"need 0 <= k <= t <= T = {last}, got k={k}, t={t}")
    jacobian = np.eye(W_h.shape[0])
    for i in range(t, k, -1):  # multiply on the right: J_t, then J_t J_(t-1), ...
        jacobian = jacobian @ _one_step_jacobian(W_h, states[i], nonlinearity)
    return jacobian


def jacobian_norms_by_distance(W_h, states, nonlinearity="tanh", ord=2):
    """``||dh_T/dh_(T-s)||`` for every distance ``s = 0 .. T``, as an array of length ``T + 1``.

    Equal to calling ``state_jacobian`` for each ``k = T - s``, but builds each product from the
    previous one, so all distances cost one pass. ``ord`` is passed to ``np.linalg.norm``; the
    default 2 is the largest singular value.
    """
    _check_nonlinearity(nonlinearity)
    W_h, states = np.asarray(W_h, dtype=np.float64), np.asarray(states, dtype=np.float64)
    last = len(states) - 1
    jacobian = np.eye(W_h.shape[0])
    norms = [np.linalg.norm(jacobian, ord)]
    for i in range(last, 0, -1):
        jacobian = jacobian @ _one_step_jacobian(W_h, states[i], nonlinearity)
        norms.append(np.linalg.norm(jacobian, ord))
    return np.array(norms)


def input_gradient_norms(fn, x):
    """How strongly ``fn(x)`` depends on each position of ``x``: ``||d fn(x) / d x_t||`` for every ``t``.

    ``fn`` is any torch callable; ``x`` is a float tensor of shape ``(T, d)`` (one sequence) or
    ``(B, T, d)`` (a batch, whose output must have ``B`` as its first dimension). The norm is the
    Frobenius norm of the Jacobian of all of one sequence's outputs with respect to ``x_t``.
    Returns a numpy array of shape ``(T,)`` or ``(B, T)``.

    The batch is differentiated in one pass per output component, which assumes the sequences do
    not interact (true for any model without batch statistics). Parameter gradients are not touched.
    """
    if x.dim() not in (2, 3):
        raise ValueError(f"x must have shape (T, d) or (B, T, d), got {tuple(x.shape)}")
    batched = x.dim() == 3
    x = x.detach().clone().requires_grad_(True)
    output = fn(x)
    rows = output.reshape(x.shape[0], -1) if batched else output.reshape(1, -1)
    squared = torch.zeros(x.shape[:-1], dtype=x.dtype)
    for j in range(rows.shape[1]):
        (grad,) = torch.autograd.grad(rows[:, j].sum(), x, retain_graph=j + 1 < rows.shape[1])
        squared += (grad.detach() ** 2).sum(dim=-1)
    return squared.sqrt().numpy()


class SequenceClassifier(torch.nn.Module):
    """Classify a token sequence from the final state of a recurrent layer.

    ``tokens (B, T) -> nn.Embedding -> nn.RNN (tanh) or nn.LSTM -> final state -> nn.Linear -> logits``.

    * ``cell``: ``"rnn"`` or ``"lstm"``;
    * ``forget_bias``: for an LSTM, start every forget gate's total bias at this value (common
      practice is 1 or more, so the cell begins by keeping what it stores); ``None`` keeps torch's
      default initialisation;
    * ``orthogonal``: start the recurrent weights ``W_h`` as a random orthogonal matrix (for an LSTM,
      each gate's ``H x H`` block of it), so every singular value is 1; ``False`` keeps torch's
      default, uniform in ``(-1/sqrt(H), 1/sqrt(H))``.

    ``classify_embedded`` takes embedded inputs ``(B, T, E)`` or ``(T, E)``, so
    ``input_gradient_norms(model.classify_embedded, model.embedding(tokens))`` measures how much the
    prediction depends on each position.
    """

    def __init__(self, vocab_size, n_classes, hidden_size=32, cell="rnn", embedding_dim=16, forget_bias=None,
                 orthogonal=False):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"cell must be one of {sorted(CELLS)}, got {cell!r}")
        if forget_bias is not None and cell != "lstm":
            raise ValueError("forget_bias applies to an LSTM only")
        self.cell = cell
        self.embedding = torch.nn.Embedding(vocab_size, embedding_dim)
        self.recurrent = CELLS[cell](embedding_dim, hidden_size, batch_first=True)
        self.readout = torch.nn.Linear(hidden_size, n_classes)
        if orthogonal:
            with torch.no_grad():
                for block in self.recurrent.weight_hh_l0.split(hidden_size):  # 1 block (RNN) or 4 (LSTM)
                    torch.nn.init.orthogonal_(block)
        if forget_bias is not None:
            # torch orders the LSTM gates (input, forget, cell, output) along the bias vectors.
            forget = slice(hidden_size, 2 * hidden_size)
            with torch.no_grad():
                self.recurrent.bias_ih_l0[forget] = forget_bias
                self.recurrent.bias_hh_l0[forget] = 0.0

    def classify_embedded(self, embedded):
        """Logits from embedded inputs of shape ``(B, T, E)`` or ``(T, E)``."""
        states, _ = self.recurrent(embedded)
        return self.readout(states[..., -1, :])

    def forward(self, tokens):
        """Logits ``(B, n_classes)`` for integer tokens ``(B, T)``."""
        return self.classify_embedded(self.embedding(tokens))


def classification_loss(model, inputs, targets):
    """Mean cross-entropy of ``model(inputs)`` against integer ``targets``: a ``loss_fn`` for ``train``."""
    return torch.nn.functional.cross_entropy(model(inputs), targets)
