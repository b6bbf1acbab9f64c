import math

import pytest
import torch

from r2a.training import accuracy, train


def linear_problem():
    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([1.0, -2.0, 0.5])
    model = torch.nn.Linear(3, 1)
    return model, (lambda step: (x, y)), (lambda m, a, b: ((m(a).squeeze(-1) - b) ** 2).mean())


def test_train_reduces_the_loss_and_records_every_step():
    model, batch, loss = linear_problem()
    history = train(model, batch, loss, steps=200, lr=0.05)
    assert len(history["loss"]) == len(history["grad_norm"]) == 200
    assert history["loss"][-1] < 0.01 * history["loss"][0]
    assert not model.training


def test_clipping_bounds_the_update_not_the_recorded_norm():
    model, batch, loss = linear_problem()
    before = [p.detach().clone() for p in model.parameters()]
    history = train(model, batch, loss, steps=1, lr=1.0, clip=1e-3, optimizer="sgd")
    step = torch.sqrt(sum(((p.detach() - q) ** 2).sum() for p, q in zip(model.parameters(), before)))
    assert history["grad_norm"][0] > 1e-3, "the recorded norm is the one before clipping"
    assert float(step) == pytest.approx(1e-3, rel=1e-4), "an SGD step of lr 1 moves exactly the clipped norm"


def test_a_non_finite_loss_stops_training():
    model, batch, _ = linear_problem()
    history = train(model, batch, lambda m, a, b: m(a).sum() * math.inf, steps=10)
    assert len(history["loss"]) == 1 and not math.isfinite(history["loss"][0])


def test_bad_arguments():
    model, batch, loss = linear_problem()
    with pytest.raises(ValueError):
        train(model, batch, loss, steps=0)
    with pytest.raises(ValueError):
        train(model, batch, loss, steps=1, optimizer="rmsprop")


def test_accuracy():
    logits = torch.tensor([[[0.0, 1.0], [2.0, 0.0]], [[1.0, 0.0], [0.0, 3.0]]])
    assert accuracy(logits, torch.tensor([[1, 0], [1, 1]])) == 0.75
    with pytest.raises(ValueError):
        accuracy(logits, torch.tensor([1, 0]))
