"""The encoder–decoder of Lectures 3 and 4: a GRU encoder, a GRU decoder, and what passes between them.

A GRU encoder reads the input tokens; a GRU decoder writes the output tokens one at a time, fed
with the previous output token. What the decoder learns about the input depends on one option:

* ``attention=None``: a **fixed context vector** ``c``, either the encoder's final state
  (``context="last"``) or the mean of all its states (``context="mean"``). The decoder starts from
  ``c`` and sees it again at every step. Everything it knows about the input passes through ``c``.
* ``attention="dot"`` or ``"additive"``: at every step the decoder's current state ``s`` (the one
  it holds before writing the next token) scores every encoder state ``h_i`` (``e_i = s . h_i``,
  or Bahdanau's ``e_i = v . tanh(W_s s + W_h h_i)``), the weights are ``alpha = softmax(e)``, and
  the attention output ``sum_i alpha_i h_i`` takes the place of ``c`` in that step's input and
  output layer. The decoder still starts from ``c``. ``return_attention=True`` returns the weights,
  one row per output step, for alignment heatmaps.

Both variants share every other weight, created in the same order, so under one seed they start
from the same initial values: a comparison of the two isolates the context. The experiment that
makes that comparison is ``r2a.bottleneck``; the picture of the model is
``r2a.diagrams.draw_encoder_decoder``.

* ``Seq2Seq``: the model (``encode``, ``attend``, teacher-forced ``forward``, greedy ``generate``);
* ``teacher_forcing_loss``: its cross-entropy, in the form ``r2a.training.train`` expects.

    model = Seq2Seq(vocab_size=16, hidden_size=16, attention="dot")
    tokens, weights = model.generate(x, return_attention=True)
"""
import torch
from torch import nn

from ._validation import check_choice, check_positive_int

CONTEXTS = ("last", "mean")
ATTENTIONS = (None, "dot", "additive")


class Seq2Seq(nn.Module):
    """GRU encoder, GRU decoder, and a context vector or an attention step between them.

    Tokens are ids in ``[0, vocab_size)``; the decoder's first input is an extra start token,
    ``vocab_size``. The output layer reads the decoder state next to the context of that step.
    """

    def __init__(self, vocab_size, hidden_size, embed_size=16, context="last", attention=None):
        super().__init__()
        check_positive_int(vocab_size=vocab_size, hidden_size=hidden_size, embed_size=embed_size)
        check_choice("context", context, CONTEXTS)
        check_choice("attention", attention, ATTENTIONS)
        self.vocab_size, self.hidden_size = vocab_size, hidden_size
        self.context, self.attention = context, attention
        self.start_token = vocab_size
        self.source_embedding = nn.Embedding(vocab_size, embed_size)
        self.target_embedding = nn.Embedding(vocab_size + 1, embed_size)  # + the start token
        self.encoder = nn.GRU(embed_size, hidden_size, batch_first=True)
        self.decoder = nn.GRU(embed_size + hidden_size, hidden_size, batch_first=True)
        self.output = nn.Linear(2 * hidden_size, vocab_size)
        # Created last, so that every weight above starts identical with and without attention.
        if attention == "additive":
            self.score_state = nn.Linear(hidden_size, hidden_size, bias=False)     # W_s
            self.score_encoder = nn.Linear(hidden_size, hidden_size, bias=False)   # W_h
            self.score_vector = nn.Linear(hidden_size, 1, bias=False)              # v

    # -- the pieces --------------------------------------------------------------------------

    def encode(self, x):
        """Encoder states ``H`` of shape (B, n, d) and the context vector ``c`` of shape (B, d)."""
        states, final = self.encoder(self.source_embedding(self._check_tokens("x", x)))
        context = final[0] if self.context == "last" else states.mean(dim=1)
        return states, context

    def attend(self, state, states):
        """Attention of decoder states ``state`` (B, d) over encoder ``states`` (B, n, d).

        Returns the attention output ``sum_i alpha_i h_i`` (B, d) and the weights ``alpha`` (B, n).
        """
        if self.attention is None:
            raise ValueError("this model was built with attention=None; it has no attention step")
        keys = self.score_encoder(states) if self.attention == "additive" else None
        return self._attend(state, states, keys)

    def _attend(self, state, states, keys):
        if self.attention == "dot":
            scores = torch.einsum("bd,bnd->bn", state, states)                   # s . h_i
        else:  # keys = W_h h_i, computed once per sequence
            scores = self.score_vector(torch.tanh(self.score_state(state)[:, None, :] + keys)).squeeze(-1)
        weights = torch.softmax(scores, dim=-1)
        return torch.einsum("bn,bnd->bd", weights, states), weights

    # -- the two ways of running the decoder --------------------------------------------------

    def forward(self, x, y, return_attention=False):
        """Teacher forcing: logits (B, m, V) for targets ``y`` (B, m), fed the true previous token.

        With ``return_attention=True`` also returns the weights (B, m, n), or ``None`` without
        attention.
        """
        y = self._check_tokens("y", y)
        states, context = self.encode(x)
        if y.shape[0] != states.shape[0]:
            raise ValueError(f"x and y hold different numbers of sequences: {states.shape[0]} vs {y.shape[0]}")
        start = torch.full_like(y[:, :1], self.start_token)
        previous = torch.cat([start, y[:, :-1]], dim=1)
        if self.attention is None:
            # The context is the same at every step, so the whole decoder runs in one call.
            repeated = context[:, None, :].expand(-1, y.shape[1], -1)
            outputs, _ = self.decoder(torch.cat([self.target_embedding(previous), repeated], dim=-1),
                                      context[None])
            logits, weights = self.output(torch.cat([outputs, repeated], dim=-1)), None
        else:
            logits, weights = self._decode(states, context, previous.shape[1], previous)
        return (logits, weights) if return_attention else logits

    @torch.no_grad()
    def generate(self, x, length=None, return_attention=False):
        """Greedy decoding: each step feeds back the most likely token. Returns ids (B, length).

        ``length`` defaults to the input length (the copy and reversal tasks). With
        ``return_attention=True`` also returns the weights (B, length, n), or ``None``.
        """
        states, context = self.encode(x)
        length = states.shape[1] if length is None else length
        check_positive_int(length=length)
        logits, weights = self._decode(states, context, length, previous=None)
        tokens = logits.argmax(-1)
        return (tokens, weights) if return_attention else tokens

    def _decode(self, states, context, length, previous):
        """Run the decoder one step at a time: logits (B, length, V) and weights (B, length, n).

        ``previous`` holds the teacher-forced input tokens (B, length); ``None`` means greedy,
        each step's input being the arg-max of the step before.
        """
        # What does not depend on the step is computed once, outside the loop.
        keys = self.score_encoder(states) if self.attention == "additive" else None
        inputs = None if previous is None else self.target_embedding(previous)
        token = torch.full((states.shape[0],), self.start_token, dtype=torch.long)
        state, all_logits, all_weights = context[None], [], []
        for t in range(length):
            step_context, weights = context, None
            if self.attention is not None:
                step_context, weights = self._attend(state[0], states, keys)
            step_input = self.target_embedding(token) if inputs is None else inputs[:, t]
            output, state = self.decoder(torch.cat([step_input, step_context], dim=-1)[:, None, :], state)
            logits = self.output(torch.cat([output[:, 0], step_context], dim=-1))
            token = logits.argmax(-1)
            all_logits.append(logits)
            all_weights.append(weights)
        weights = None if self.attention is None else torch.stack(all_weights, dim=1)
        return torch.stack(all_logits, dim=1), weights

    def _check_tokens(self, name, tokens):
        if not isinstance(tokens, torch.Tensor) or tokens.dtype != torch.long or tokens.ndim != 2:
            raise ValueError(f"{name} must be a 2-D tensor of token ids (torch.long), shape (batch, length)")
        if tokens.shape[1] < 1:
            raise ValueError(f"{name} must hold at least one token per sequence")
        if tokens.min() < 0 or tokens.max() >= self.vocab_size:
            raise ValueError(f"{name} holds ids outside [0, {self.vocab_size})")
        return tokens


def teacher_forcing_loss(model, x, y):
    """Mean cross-entropy of the teacher-forced predictions over every output token: a ``loss_fn`` for ``train``."""
    logits = model(x, y)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))
