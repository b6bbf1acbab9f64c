"""The context-bottleneck experiment of Lectures 3 and 4: how much of an input gets through ``c``?

Lecture 3 trains ``r2a.seq2seq.Seq2Seq`` models on reversing (or copying) random tokens and
measures, on fresh data, how accuracy falls as the input grows and rises as the hidden size grows;
Lecture 4 reruns the same experiment with attention switched on and nothing else changed.

* ``Experiment``: everything about a training run except the input length and the hidden size;
* ``train_and_evaluate``: train one model and measure it (a ``Result``);
* ``Sweep``, ``run_sweep``: accuracy against length at one hidden size, and against hidden size at
  one length (a ``SweepResult``); ``LECTURE3_SWEEP`` is the sweep of both lectures;
* ``run_seeds``: the same sweep once per seed (a ``SeedsResult``), so that a claim can be checked
  on every seed; ``LECTURE3_SEEDS`` are the seeds of both lectures, ``with_seed`` changes only the
  seed of an ``Experiment`` or a ``Sweep``;
* ``bits_delivered``: Fano's lower bound on the bits that reached the decoder (a lower bound: the
  decoder may have received more).

Every model uses the same seed, so models that differ only in ``context`` or ``attention`` start
from the same shared weights and see the same training batches. Curves of a ``SweepResult`` are
drawn by ``r2a.plotting.plot_sweep``.

    fixed = run_sweep(LECTURE3_SWEEP)                        # Lecture 3: fixed context
    attended = run_sweep(LECTURE3_SWEEP, attention="dot")    # Lecture 4: the same experiment
    r2a.plotting.plot_sweep([fixed, attended])               # both curves on one figure
    tokens, weights = attended.by_length[-1].model.generate(x, return_attention=True)
    seeds = run_seeds(LECTURE3_SWEEP, attention="dot")       # once per seed of LECTURE3_SEEDS
    seeds.accuracy_by_length()                               # (seeds, lengths): the worst is .min(0)
"""
from dataclasses import dataclass, field, replace

import numpy as np
import torch

from . import data
from ._validation import check_choice, check_positive_int
from .seq2seq import Seq2Seq, teacher_forcing_loss
from .training import train

TASKS = {"reversal": data.reversal_task, "copy": data.copy_task}


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


def make_task(experiment, length, n_samples, rng):
    """``n_samples`` input and target sequences of the experiment's task, as torch tensors."""
    check_choice("task", experiment.task, tuple(TASKS))
    x, y = TASKS[experiment.task](rng, n_samples, length, experiment.vocab_size)
    return torch.from_numpy(x), torch.from_numpy(y)


def train_model(experiment, length, hidden_size, context="last", attention=None):
    """Train a fresh ``Seq2Seq`` with ``r2a.training.train``; returns ``(model, history)``.

    Every step draws a new batch, so the model never sees the same sequence twice and cannot
    memorise. The seed fixes both the initial weights and the batches.
    """
    check_positive_int(length=length, hidden_size=hidden_size)
    check_choice("task", experiment.task, tuple(TASKS))
    torch.manual_seed(experiment.seed)
    model = Seq2Seq(experiment.vocab_size, hidden_size, experiment.embed_size, context, attention)
    rng = np.random.default_rng(experiment.seed)
    history = train(model, lambda step: make_task(experiment, length, experiment.batch_size, rng),
                    teacher_forcing_loss, steps=experiment.steps, lr=experiment.lr, clip=experiment.clip)
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
    # np.where evaluates both branches: at a == 1 the unused one takes log2(0), hence the errstate.
    with np.errstate(divide="ignore", invalid="ignore"):
        binary_entropy = np.where(a < 1, -a * np.log2(a) - (1 - a) * np.log2(1 - a), 0.0)
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
    """The ``Result`` of every model of one ``Sweep``, and the legend label of its curves."""
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


# -- the same sweep on several seeds ------------------------------------------------------------

# The seeds of Lectures 3 and 4: every training claim of both lectures is checked on each of them.
LECTURE3_SEEDS = (0, 1, 2)


def with_seed(setting, seed):
    """A copy of an ``Experiment``, or of a ``Sweep`` and its experiment, with only the seed changed."""
    if isinstance(setting, Sweep):
        return replace(setting, experiment=replace(setting.experiment, seed=seed))
    return replace(setting, seed=seed)


@dataclass
class SeedsResult:
    """One ``SweepResult`` per seed of the same ``Sweep``, with the accuracies stacked by seed."""
    seeds: tuple
    runs: list         # a SweepResult for each seed, in the order of seeds
    label: str

    def accuracy_by_length(self):
        """Token accuracy, shape (seeds, lengths)."""
        return np.array([run.accuracy_by_length() for run in self.runs])

    def accuracy_by_hidden(self):
        """Token accuracy, shape (seeds, hidden sizes)."""
        return np.array([run.accuracy_by_hidden() for run in self.runs])

    def at_length(self, length):
        """The ``Result`` of every seed at input length ``length`` (and the sweep's hidden size)."""
        return [run.by_length[run.sweep.lengths.index(length)] for run in self.runs]

    def at_hidden(self, hidden_size):
        """The ``Result`` of every seed at hidden size ``hidden_size`` (and the sweep's length)."""
        return [run.by_hidden[run.sweep.hidden_sizes.index(hidden_size)] for run in self.runs]


def run_seeds(sweep=LECTURE3_SWEEP, seeds=LECTURE3_SEEDS, context="last", attention=None, label=None):
    """``run_sweep`` once for each seed: a ``SeedsResult``.

    The seed sets the initial weights, the training batches and the test sequences, so the seeds
    are independent repeats of the whole experiment. Runs that differ only in ``context`` or
    ``attention`` still share their seed's weights and batches, seed by seed.
    """
    seeds = tuple(seeds)
    if not seeds:
        raise ValueError("seeds must hold at least one seed")
    runs = [run_sweep(with_seed(sweep, seed), context, attention, label) for seed in seeds]
    return SeedsResult(seeds, runs, runs[0].label)
