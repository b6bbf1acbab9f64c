"""A deliberately small training loop shared by every lecture that trains a model.

It records what the lectures plot: the loss and the gradient norm (before any clipping) at every
step. Models, data and losses stay in the lectures (or in the model modules ``r2a.recurrent``,
``r2a.seq2seq`` and ``r2a.attention_models``), so the loop is the only thing shared.
"""
import math

import torch


def train(model, make_batch, loss_fn, steps, lr=1e-2, clip=None, optimizer="adam"):
    """Train ``model`` for ``steps`` updates and return ``{"loss": [...], "grad_norm": [...]}``.

    * ``make_batch(step)`` returns ``(inputs, targets)`` for that step;
    * ``loss_fn(model, inputs, targets)`` returns a scalar loss tensor;
    * ``clip``: if given, rescale all gradients together so their global L2 norm is at most
      ``clip`` (``torch.nn.utils.clip_grad_norm_``); the recorded norm is the one before clipping;
    * ``optimizer``: ``"adam"`` or ``"sgd"``.

    A non-finite loss stops training early (the history shows where), instead of filling the
    remaining steps with NaN.
    """
    if steps < 1:
        raise ValueError(f"steps must be at least 1, got {steps}")
    optimizers = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
    if optimizer not in optimizers:
        raise ValueError(f"optimizer must be one of {sorted(optimizers)}, got {optimizer!r}")
    opt = optimizers[optimizer](model.parameters(), lr=lr)
    history = {"loss": [], "grad_norm": []}
    model.train()
    for step in range(steps):
        inputs, targets = make_batch(step)
        loss = loss_fn(model, inputs, targets)
        opt.zero_grad()
        loss.backward()
        norm = torch.nn.utils.clip_grad_norm_(model.parameters(), clip if clip is not None else math.inf)
        history["loss"].append(float(loss.detach()))
        history["grad_norm"].append(float(norm))
        if not math.isfinite(history["loss"][-1]):
            break
        opt.step()
    model.eval()
    return history


def accuracy(logits, targets) -> float:
    """Fraction of positions where the arg-max of ``logits`` (last axis) equals ``targets``."""
    if logits.shape[:-1] != targets.shape:
        raise ValueError(f"logits {tuple(logits.shape)} do not match targets {tuple(targets.shape)}")
    return float((logits.argmax(dim=-1) == targets).float().mean())
