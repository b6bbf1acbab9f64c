"""The encoder–decoder experiment that Lectures 3 and 4 share.

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
from the same initial values and see the same training batches: the comparison isolates the
context.

    fixed = run_sweep(LECTURE3_SWEEP)                        # Lecture 3: fixed context
    attended = run_sweep(LECTURE3_SWEEP, attention="dot")    # Lecture 4: the same experiment
    plot_sweep([fixed, attended])                            # both curves on one figure
    tokens, weights = attended.by_length[-1].model.generate(x, return_attention=True)
"""
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from . import data
from .training import train

CONTEXTS = ("last", "mean")
ATTENTIONS = (None, "dot", "additive")
TASKS = {"reversal": data.reversal_task, "copy": data.copy_task}


def _check_choice(name, value, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")


def _check_positive_int(**values):
    for name, value in values.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")


class Seq2Seq(nn.Module):
    """GRU encoder, GRU decoder, and a context vector or an attention step between them.

    Tokens are ids in ``[0, vocab_size)``; the decoder's first input is an extra start token,
    ``vocab_size``. The output layer reads the decoder state next to the context of that step.
    """

    def __init__(self, vocab_size, hidden_size, embed_size=16, context="last", attention=None):
        super().__init__()
        _check_positive_int(vocab_size=vocab_size, hidden_size=hidden_size, embed_size=embed_size)
        _check_choice("context", context, CONTEXTS)
        _check_choice("attention", attention, ATTENTIONS)
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
        _check_positive_int(length=length)
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


# -- one experiment: train on a task, measure on fresh data -----------------------------------

@dataclass(frozen=True)
class Experiment:
    """Everything about a training run except the input length and the hidden size."""
    task: str = "reversal"
    vocab_size: int = 16
    embed_size: int = 16
    steps: int = 200
    batch_size: int = 128
    lr: float = 2e-2
    clip: float = 1.0
    n_test: int = 1000
    seed: int = 0


@dataclass
class Result:
    """What one trained model achieved on fresh test sequences."""
    length: int
    hidden_size: int
    accuracy: float                 # fraction of output tokens that are right (greedy decoding)
    per_position: np.ndarray        # the same, for each output position separately
    sequence_accuracy: float        # fraction of sequences with every token right
    loss: list = field(repr=False)  # training loss at every step
    model: Seq2Seq = field(repr=False, default=None)  # the trained model, to inspect afterwards


def cross_entropy(model, x, y):
    """Mean cross-entropy of the teacher-forced predictions over every output token."""
    logits = model(x, y)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), y.reshape(-1))


def make_task(experiment, length, n_samples, rng):
    """``n_samples`` input and target sequences of the experiment's task, as torch tensors."""
    _check_choice("task", experiment.task, tuple(TASKS))
    x, y = TASKS[experiment.task](rng, n_samples, length, experiment.vocab_size)
    return torch.from_numpy(x), torch.from_numpy(y)


def train_model(experiment, length, hidden_size, context="last", attention=None):
    """Train a fresh ``Seq2Seq`` with ``r2a.training.train``; returns ``(model, history)``.

    Every step draws a new batch, so the model never sees the same sequence twice and cannot
    memorise. The seed fixes both the initial weights and the batches.
    """
    _check_positive_int(length=length, hidden_size=hidden_size)
    _check_choice("task", experiment.task, tuple(TASKS))
    torch.manual_seed(experiment.seed)
    model = Seq2Seq(experiment.vocab_size, hidden_size, experiment.embed_size, context, attention)
    rng = np.random.default_rng(experiment.seed)
    history = train(model, lambda step: make_task(experiment, length, experiment.batch_size, rng),
                    cross_entropy, steps=experiment.steps, lr=experiment.lr, clip=experiment.clip)
    return model, history


def evaluate(model, experiment, length):
    """Greedy decoding on ``n_test`` fresh sequences: (token accuracy, per position, whole sequences).

    The test rng is seeded apart from the training rng, so no test sequence is a training batch.
    """
    x, y = make_task(experiment, length, experiment.n_test, np.random.default_rng([experiment.seed, 1]))
    correct = (model.generate(x) == y).numpy()
    return float(correct.mean()), correct.mean(axis=0), float(correct.all(axis=1).mean())


def train_and_evaluate(experiment, length, hidden_size, context="last", attention=None):
    """Train one model and measure it on fresh data; returns a ``Result``."""
    model, history = train_model(experiment, length, hidden_size, context, attention)
    accuracy, per_position, sequence_accuracy = evaluate(model, experiment, length)
    return Result(length, hidden_size, accuracy, per_position, sequence_accuracy, history["loss"], model)


def bits_delivered(per_position, vocab_size):
    """A lower bound, in bits, on what the outputs reveal about a uniformly random input.

    Fano's inequality bounds what is still unknown about one token once a guess with accuracy
    ``a`` is made: at most ``h(a) + (1 - a) log2(V - 1)`` bits, where ``h`` is the binary entropy.
    So that position delivers at least ``log2 V`` minus that much. The input tokens are
    independent, so the whole output delivers at least the sum over positions. Accuracy at or
    below chance counts as zero.
    """
    a = np.clip(np.asarray(per_position, dtype=float), 1.0 / vocab_size, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        binary_entropy = np.where((a > 0) & (a < 1), -a * np.log2(a) - (1 - a) * np.log2(1 - a), 0.0)
    unknown = binary_entropy + (1 - a) * np.log2(max(vocab_size - 1, 1))
    return float(np.sum(np.maximum(np.log2(vocab_size) - unknown, 0.0)))


# -- the sweep of Lectures 3 and 4 -------------------------------------------------------------

@dataclass(frozen=True)
class Sweep:
    """Accuracy against input length at one hidden size, and against hidden size at one length."""
    experiment: Experiment = Experiment()
    lengths: tuple = (2, 4, 6, 8, 10)
    hidden_size: int = 16
    hidden_sizes: tuple = (8, 16, 32, 64)
    length: int = 6


@dataclass
class SweepResult:
    sweep: Sweep
    label: str
    by_length: list    # a Result for each of sweep.lengths, at sweep.hidden_size
    by_hidden: list    # a Result for each of sweep.hidden_sizes, at sweep.length

    def accuracy_by_length(self):
        return np.array([r.accuracy for r in self.by_length])

    def accuracy_by_hidden(self):
        return np.array([r.accuracy for r in self.by_hidden])


# The experiment of Lecture 3; Lecture 4 reruns it with attention switched on.
LECTURE3_SWEEP = Sweep()


def describe(context="last", attention=None):
    """A short legend label: what the decoder gets from the encoder."""
    if attention is not None:
        return f"{attention} attention"
    return "c = final encoder state" if context == "last" else "c = mean of encoder states"


def run_sweep(sweep=LECTURE3_SWEEP, context="last", attention=None, label=None):
    """Train and measure every model of ``sweep``; a (length, hidden size) pair is trained once.

    Every model uses the same seed, so models that differ only in ``context`` or ``attention``
    start from the same shared weights and see the same batches.
    """
    done = {}

    def result(length, hidden_size):
        if (length, hidden_size) not in done:
            done[length, hidden_size] = train_and_evaluate(sweep.experiment, length, hidden_size,
                                                           context, attention)
        return done[length, hidden_size]

    by_length = [result(n, sweep.hidden_size) for n in sweep.lengths]
    by_hidden = [result(sweep.length, d) for d in sweep.hidden_sizes]
    return SweepResult(sweep, label or describe(context, attention), by_length, by_hidden)


_STYLES = ("o-", "s--", "^-.", "D:", "v-")


def _chance_and_limits(ax, experiment):
    ax.axhline(1 / experiment.vocab_size, color="0.4", linestyle=":", lw=1,
               label=f"chance (1/{experiment.vocab_size})")
    ax.set_ylim(0, 1.03)
    ax.set_ylabel("token accuracy, fresh data")


def plot_by_length(ax, results):
    """Accuracy against input length, one curve per ``SweepResult`` (same lengths, hidden size)."""
    first = _same(results, lambda s: (s.experiment, s.lengths, s.hidden_size))
    for style, r in zip(_STYLES, results):
        ax.plot(first.lengths, r.accuracy_by_length(), style, label=r.label)
    _chance_and_limits(ax, first.experiment)
    ax.set(xlabel="input length n", xticks=list(first.lengths), title=f"hidden size d = {first.hidden_size}")


def plot_by_hidden(ax, results):
    """Accuracy against hidden size, one curve per ``SweepResult`` (same sizes, length)."""
    first = _same(results, lambda s: (s.experiment, s.hidden_sizes, s.length))
    for style, r in zip(_STYLES, results):
        ax.plot(first.hidden_sizes, r.accuracy_by_hidden(), style, label=r.label)
    _chance_and_limits(ax, first.experiment)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(first.hidden_sizes), [str(d) for d in first.hidden_sizes])
    ax.minorticks_off()
    ax.set(xlabel="hidden size d (log scale)", title=f"input length n = {first.length}")


def plot_sweep(results):
    """Both panels side by side; every result must come from the same ``Sweep``. Returns the figure."""
    _same(results, lambda s: s)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    plot_by_length(left, results)
    plot_by_hidden(right, results)
    left.legend()
    return fig


def _same(results, key):
    """The sweep shared by ``results``, after checking they agree on what ``key`` picks out."""
    if not results:
        raise ValueError("need at least one SweepResult to plot")
    if any(key(r.sweep) != key(results[0].sweep) for r in results):
        raise ValueError("these results come from different experiments; their curves are not comparable")
    return results[0].sweep


# -- a picture of the model ---------------------------------------------------------------------

def draw_encoder_decoder(ax, n_in=4, n_out=4, attention=False):
    """Draw the encoder–decoder unrolled in time: inputs below, states in the middle row.

    Without attention the decoder's only view of the input is the context box ``c``, handed to
    its first state and to every step. With ``attention=True`` the last decoder step is drawn
    reading every encoder state through its attention output ``a_t`` (the other steps do the same;
    the first state still starts from the final encoder state).
    """
    _check_positive_int(n_in=n_in, n_out=n_out)
    enc_x = np.arange(n_in, dtype=float)
    ctx_x = n_in + 0.4
    dec_x = n_in + 1.8 + np.arange(n_out, dtype=float)
    blue, red, green, grey = "#cfe0f3", "#f6c9c9", "#d4ecd0", "0.35"

    def box(x, y, text, colour):
        ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=colour, ec="0.3", lw=0.8))

    def arrow(start, end, **style):
        props = dict(arrowstyle="-|>", color=grey, lw=0.9, shrinkA=12, shrinkB=12) | style
        ax.annotate("", xy=end, xytext=start, arrowprops=props, zorder=2)

    for i, x in enumerate(enc_x, start=1):
        box(x, 0, f"$x_{{{i}}}$", "white")
        box(x, 1, f"$h_{{{i}}}$", blue)
        arrow((x, 0), (x, 1))
        if i > 1:
            arrow((x - 1, 1), (x, 1))
    for t, x in enumerate(dec_x, start=1):
        box(x, 0, "<start>" if t == 1 else f"$y_{{{t - 1}}}$", "white")
        box(x, 1, f"$s_{{{t}}}$", green)
        box(x, 2, f"$y_{{{t}}}$", "white")
        arrow((x, 0), (x, 1))
        arrow((x, 1), (x, 2))
        if t > 1:
            arrow((x - 1, 1), (x, 1))
    bus_y = 0.45  # the extra input that joins each decoder step, between the token and the state
    if attention:
        t = len(dec_x)
        a_x = dec_x[-1] - 0.45
        box(a_x, bus_y, f"$a_{{{t}}}$", red)
        for x in enc_x:  # from just below each h_i, so the lines pass under the next box
            ax.plot([x, x], [1 - 0.13, 0.8], color="#d62728", lw=0.8, alpha=0.8)
            arrow((x, 0.8), (a_x, bus_y), color="#d62728", lw=0.8, alpha=0.8, shrinkA=0, shrinkB=10)
        arrow((a_x, bus_y), (dec_x[-1], 1), color="#d62728", shrinkA=8)
        arrow((enc_x[-1], 1), (dec_x[0], 1))  # the first decoder state still starts from c
        ax.text(ctx_x, 1.7, f"$a_{{{t}}} = \\sum_i \\alpha_{{{t},i}}\\, h_i$: a new mix of\nall $h_i$ at every step "
                f"(drawn for step {t})", ha="center", va="center", color="#d62728", fontsize=9)
    else:
        box(ctx_x, 1, "$c$", red)
        arrow((enc_x[-1], 1), (ctx_x, 1), shrinkB=9)
        arrow((ctx_x, 1), (dec_x[0], 1), shrinkA=9, color="#d62728")
        ax.plot([ctx_x, ctx_x, dec_x[-1] - 0.3], [1 - 0.15, bus_y, bus_y], color="#d62728", lw=0.9, zorder=1)
        for x in dec_x:  # c is also part of every decoder step's input
            arrow((x - 0.3, bus_y), (x - 0.05, 1), color="#d62728", lw=0.8, shrinkA=0, shrinkB=9)
        ax.text(ctx_x, 1.7, "context $c$: $d$ numbers,\nwhatever the length $n$", ha="center", va="center",
                color="#d62728", fontsize=9)
    ax.text(enc_x.mean(), -0.65, "encoder reads x", ha="center", fontsize=10)
    ax.text(dec_x.mean(), -0.65, "decoder writes y", ha="center", fontsize=10)
    ax.set_xlim(-0.7, dec_x[-1] + 0.7)
    ax.set_ylim(-0.95, 2.5)
    ax.axis("off")
