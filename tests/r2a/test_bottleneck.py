import numpy as np
import pytest
import torch

from r2a import bottleneck
from r2a.bottleneck import Experiment, Sweep

FAST = Experiment(vocab_size=4, embed_size=8, steps=120, batch_size=64, lr=3e-2, n_test=300)
# Three training steps per model: enough to exercise the bookkeeping of a sweep, not to learn.
TINY = Sweep(Experiment(vocab_size=4, embed_size=4, steps=3, batch_size=8, n_test=10),
             lengths=(2, 3), hidden_size=4, hidden_sizes=(2, 4), length=3)


def test_greedy_decoding_of_a_briefly_trained_model_is_deterministic_under_a_seed():
    x = torch.from_numpy(np.random.default_rng(5).integers(0, 4, size=(20, 5)))
    short = Experiment(vocab_size=4, embed_size=8, steps=15, batch_size=32)
    first, _ = bottleneck.train_model(short, 5, 8)
    second, _ = bottleneck.train_model(short, 5, 8)
    other, _ = bottleneck.train_model(Experiment(**{**short.__dict__, "seed": 1}), 5, 8)
    assert torch.equal(first.generate(x), second.generate(x))
    assert not torch.equal(first.output.weight, other.output.weight), "the seed must matter"


@pytest.mark.parametrize("attention", [None, "dot"])
def test_smoke_training_beats_chance_on_short_sequences(attention):
    result = bottleneck.train_and_evaluate(FAST, length=3, hidden_size=16, attention=attention)
    chance = 1 / FAST.vocab_size
    assert result.accuracy > chance + 0.4, result.accuracy
    assert result.per_position.shape == (3,) and 0 <= result.sequence_accuracy <= result.accuracy
    assert len(result.loss) == FAST.steps and result.loss[-1] < result.loss[0] / 2
    assert result.model.attention == attention, "the Result keeps the trained model"


def test_the_test_data_are_not_the_training_batches():
    rng_train = np.random.default_rng(FAST.seed)
    train_x, _ = bottleneck.make_task(FAST, 5, FAST.batch_size, rng_train)
    test_x, _ = bottleneck.make_task(FAST, 5, FAST.n_test, np.random.default_rng([FAST.seed, 1]))
    assert not torch.equal(train_x, test_x[:FAST.batch_size])


@pytest.mark.parametrize("task, expected", [("reversal", lambda x: x.flip(1)), ("copy", lambda x: x)])
def test_make_task_draws_the_experiment_task_as_tensors(task, expected):
    x, y = bottleneck.make_task(Experiment(task=task, vocab_size=5), 6, 4, np.random.default_rng(0))
    assert x.dtype == torch.long and x.shape == (4, 6) and int(x.max()) < 5
    assert torch.equal(y, expected(x))


def test_bits_delivered():
    assert bottleneck.bits_delivered([1.0, 1.0, 1.0], 8) == pytest.approx(9.0)
    assert bottleneck.bits_delivered([1 / 8, 0.05], 8) == 0.0, "chance or worse delivers nothing"
    # Fano at accuracy 0.5 over 4 symbols: 2 - h(0.5) - 0.5 log2 3
    assert bottleneck.bits_delivered([0.5], 4) == pytest.approx(2 - 1 - 0.5 * np.log2(3))
    values = [bottleneck.bits_delivered([a], 16) for a in np.linspace(0.1, 1, 10)]
    assert np.all(np.diff(values) >= 0), "more accuracy never delivers fewer bits"


def test_run_sweep_trains_each_pair_once():
    result = bottleneck.run_sweep(TINY)
    assert [r.length for r in result.by_length] == [2, 3]
    assert [r.hidden_size for r in result.by_hidden] == [2, 4]
    assert result.by_hidden[1] is result.by_length[1], "the shared point (n = 3, d = 4) is trained once"
    np.testing.assert_array_equal(result.accuracy_by_length(), [r.accuracy for r in result.by_length])
    np.testing.assert_array_equal(result.accuracy_by_hidden(), [r.accuracy for r in result.by_hidden])


def test_run_sweep_labels_say_what_the_decoder_gets():
    assert bottleneck.run_sweep(TINY).label == "c = final encoder state"
    assert bottleneck.run_sweep(TINY, context="mean").label == "c = mean of encoder states"
    assert bottleneck.run_sweep(TINY, attention="dot", label="mine").label == "mine"
    assert bottleneck.describe(attention="additive") == "additive attention"



def test_with_seed_changes_only_the_seed():
    assert bottleneck.with_seed(FAST, 3) == Experiment(**{**FAST.__dict__, "seed": 3})
    moved = bottleneck.with_seed(TINY, 3)
    assert moved.experiment.seed == 3 and moved == Sweep(**{**TINY.__dict__, "experiment": moved.experiment})
    assert TINY.experiment.seed == 0, "the original is left as it was"


def test_run_seeds_repeats_the_sweep_once_per_seed():
    repeated = bottleneck.run_seeds(TINY, seeds=(0, 1), attention="dot")
    assert repeated.seeds == (0, 1) and repeated.label == "dot attention"
    assert [run.sweep.experiment.seed for run in repeated.runs] == [0, 1]
    assert repeated.accuracy_by_length().shape == (2, 2) and repeated.accuracy_by_hidden().shape == (2, 2)
    np.testing.assert_array_equal(repeated.accuracy_by_length()[1], repeated.runs[1].accuracy_by_length())
    assert [r.length for r in repeated.at_length(3)] == [3, 3]
    assert repeated.at_hidden(4)[0] is repeated.runs[0].by_hidden[1]
    first = bottleneck.run_sweep(bottleneck.with_seed(TINY, 1), attention="dot")
    np.testing.assert_array_equal(first.by_length[0].per_position, repeated.runs[1].by_length[0].per_position)
    seed_0, seed_1 = (run.by_length[0].model for run in repeated.runs)
    assert not torch.equal(seed_0.output.weight, seed_1.output.weight), "the seeds are different runs"


def test_run_seeds_needs_a_seed():
    with pytest.raises(ValueError, match="at least one seed"):
        bottleneck.run_seeds(TINY, seeds=())


def test_the_lectures_share_one_set_of_seeds():
    assert len(bottleneck.LECTURE3_SEEDS) >= 3 and len(set(bottleneck.LECTURE3_SEEDS)) == len(bottleneck.LECTURE3_SEEDS)


@pytest.mark.parametrize("call, message", [
    (lambda: bottleneck.train_model(Experiment(task="sorting"), 3, 4), "task must be one of"),
    (lambda: bottleneck.train_model(Experiment(), 0, 4), "length must be a positive integer"),
    (lambda: bottleneck.train_model(Experiment(), 3, True), "hidden_size must be a positive integer"),
    (lambda: bottleneck.make_task(Experiment(task="sorting"), 3, 2, np.random.default_rng(0)), "task must be"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
