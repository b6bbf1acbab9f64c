# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Lecture 4 — Attention
#
# *From Recurrence to Attention*, lecture 4 of 7. About 60 minutes to read and run; the notebook
# trains 30 small models (ten on each of three seeds) and executes in about a minute on a 2-core
# laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (Lecture 1);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (Lecture 3);
# 4. **attention** lets the decoder look back at every input directly (this lecture);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. that is **why attention replaced recurrence** (Lecture 6);
# 7. and why recurrence **returns**, as linear attention and state-space models, to pay
#    attention's price (Lecture 7).
#
# By the end of this lecture you can
#
# * explain attention as a soft version of a table lookup, and show that the hard lookup and the
#   plain average are its two limits;
# * write one decoder step of dot-product attention and Bahdanau's additive score in numpy, and
#   check them against PyTorch and against the attention inside the course's encoder–decoder;
# * measure what attention does to Lecture 3's experiment, with nothing else changed;
# * read an alignment heatmap, and say what it can and cannot tell you about a model;
# * show that attention gives gradients a short path to distant inputs;
# * apply the same operation to patches of an image.
#
# Each result claimed below is measured in the notebook and checked by an `assert` on that
# measurement, so if a result ever stops holding, the notebook stops with an error. Asserts on an
# identity, a count or a shape are marked *check*: they confirm that the code matches the
# mathematics, and are not evidence for a claim. Every training result is measured on three
# seeds and asserted on each of them. The patch demo of Section 6 is an illustration, not an
# experiment, and its asserts are checks too.

# %%
# On Google Colab this installs the course's helper package, r2a (Colab already has numpy,
# matplotlib and torch). Anywhere else it does nothing.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q",
                    "r2a @ git+https://github.com/recurrence-to-attention/course"], check=True)

# %%
import r2a  # first: it pins the BLAS thread count before numpy starts

import copy
import time
from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import torch

from r2a import bottleneck, diagrams, graphs, plotting, recurrent, seq2seq

rng = r2a.setup(seed=0)  # seeds numpy, torch and random; one CPU thread; course plot style

# %% [markdown]
# ## 1. From a lookup table to a soft lookup
#
# A lookup table (a Python `dict`) stores **values** under **keys**. A **query** is compared with
# the keys; the one key that matches returns its value, and the others contribute nothing.

# %%
table = {"a": "v1", "b": "v2", "c": "v3", "d": "v4", "e": "v5"}
print("table['c'] ->", table["c"])

# %% [markdown]
# To make this differentiable, and usable inside a network, we write it with vectors. Keys
# $k_1, \dots, k_n \in \mathbb{R}^d$ are the rows of a matrix $K$, values $v_1, \dots, v_n$ the rows
# of $V$, and the query is a vector $q$. The **similarity** of the query with key $i$ is the dot
# product $k_i^\top q$. A **hard lookup** returns the value of the most similar key: its weights
# are one-hot, 1 on the winner and 0 elsewhere.
#
# A **soft lookup** turns all the similarities into weights between 0 and 1 that sum to 1, and
# returns the weighted mix of *all* the values:
#
# $$w = \operatorname{softmax}\left(\frac{K q}{\tau}\right), \qquad
#   \text{output} = \sum_{i=1}^{n} w_i\, v_i = w^\top V, \qquad
#   \operatorname{softmax}(z)_i = \frac{e^{z_i}}{\sum_j e^{z_j}} .$$
#
# The **temperature** $\tau > 0$ sets how sharp the weights are. One detail matters in code: for a
# small $\tau$ the scores $Kq/\tau$ are huge and $e^{z}$ overflows. Subtracting the largest score
# first changes nothing mathematically (the factor $e^{-\max z}$ cancels between numerator and
# denominator) and keeps every exponent at or below 0.

# %%
def softmax(z, axis=-1):
    """Softmax along axis, shifted by the maximum so that no exponent is positive."""
    z = np.asarray(z, dtype=float)
    exp = np.exp(z - z.max(axis=axis, keepdims=True))
    return exp / exp.sum(axis=axis, keepdims=True)


def hard_lookup(query, keys, values):
    """The value of the key most similar to the query (dot product): one-hot weights."""
    return values[np.argmax(keys @ query)]


def soft_lookup(query, keys, values, temperature=1.0):
    """Every value, mixed with weights softmax(keys @ query / temperature)."""
    return softmax(keys @ query / temperature) @ values


# %% [markdown]
# First, the table itself. With one-hot keys a query that *is* key `c` has similarity 1 with `c`
# and 0 with every other key; the hard lookup returns `v3`, exactly like the `dict`. The soft
# lookup at $\tau = 1$ gives `c` the weight $e / (e + 4) \approx 0.40$ and each other key
# $1 / (e + 4)$: a blend, but one that favours the match. These are *checks*: the code against
# the arithmetic above, and against `torch.softmax`.

# %%
names = list(table)
one_hot_keys = np.eye(5)
values = rng.normal(size=(5, 2))  # v1..v5 as points in the plane, so we can draw the mixes
query_c = one_hot_keys[names.index("c")]

assert np.array_equal(hard_lookup(query_c, one_hot_keys, values), values[names.index("c")]), "check: like the dict"
print("check: hard lookup of key c returns v3, exactly like the table")
weights_c = softmax(one_hot_keys @ query_c)
print("soft weights at tau = 1:", np.round(weights_c, 3))
r2a.cmp("check: weight of the match == e / (e + 4)", weights_c[2], np.e / (np.e + 4), tol=1e-12)
r2a.cmp("check: softmax == torch.softmax", weights_c, torch.softmax(torch.from_numpy(one_hot_keys @ query_c), 0),
        tol=1e-12)

# %% [markdown]
# Real queries rarely equal a key. Now the keys are random vectors in $\mathbb{R}^4$, and the query
# is key `c` plus some noise: it is closest to `c`, but also somewhat similar to the others. We
# sweep the temperature over nine orders of magnitude and watch the weights and the output.

# %%
keys = rng.normal(size=(5, 4))
query = keys[2] + 0.3 * rng.normal(size=4)
scores = keys @ query
best = int(np.argmax(scores))
print("similarities k_i . q:", np.round(scores, 2), "  best key:", names[best])

temperatures = np.logspace(-3, 6, 91)
weights_by_tau = np.array([softmax(scores / tau) for tau in temperatures])
outputs_by_tau = np.array([soft_lookup(query, keys, values, tau) for tau in temperatures])
r2a.cmp("check: soft lookup == torch at tau = 0.5",
        soft_lookup(query, keys, values, 0.5),
        torch.softmax(torch.from_numpy(keys @ query) / 0.5, 0) @ torch.from_numpy(values), tol=1e-12)

# %%
# alt: Soft lookup weights against temperature, and the output moving from the best value to the mean.
fig, (ax_w, ax_path) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
for i, name in enumerate(names):
    ax_w.semilogx(temperatures, weights_by_tau[:, i], lw=2 if i == best else 1.2, label=f"key {name}")
ax_w.axhline(1 / 5, color="0.4", linestyle=":", lw=1, label="uniform, 1/n")
ax_w.set(xlabel="temperature tau (log scale)", ylabel="weight w_i", ylim=(-0.02, 1.02),
         title="weights: one-hot as tau -> 0, uniform as tau -> infinity")
ax_w.legend(loc="center right")
ax_path.plot(*outputs_by_tau.T, "-", color="0.3", lw=1.5, zorder=1, label="soft lookup output as tau grows")
ax_path.scatter(*values.T, s=60, color="#1f77b4", zorder=2)
for name, point in zip(names, values):
    ax_path.annotate(f"v({name})", point, xytext=(6, 4), textcoords="offset points")
ax_path.scatter(*values[best], s=200, facecolor="none", edgecolor="#d62728", lw=2, zorder=3,
                label="hard lookup (tau -> 0)")
ax_path.scatter(*values.mean(axis=0), s=90, marker="X", color="#2ca02c", zorder=3,
                label="mean of the values (tau -> infinity)")
ax_path.set(xlabel="value, first coordinate", ylabel="value, second coordinate", title="where the output lies")
ax_path.set_aspect("equal", adjustable="datalim")
ax_path.legend(loc="best", fontsize=8)
plt.show()

# %% [markdown]
# At low temperature the output sits on the best key's value: the soft lookup has become the hard
# one. As $\tau$ grows the runner-up keys join in, and at very high temperature every weight tends
# to $1/n$ and the output to the plain **mean of the values**, the mean pooling of Lecture 1. So a
# soft lookup spans the whole range between the two: a table lookup at one end, an average at the
# other. Along the way the weight of the best key only falls: $w_\text{best} = 1 / \sum_j
# e^{-(z_\text{best} - z_j)/\tau}$ and every term of that sum grows with $\tau$.
#
# All of this was derived above, so the asserts below are *checks* that the code does what the
# mathematics says, at the two ends of the sweep and along it.

# %%
gap = np.sort(scores)[-1] - np.sort(scores)[-2]
assert gap > 0.1, "check: the query must have a clear best key for the limit to be sharp"
r2a.cmp("check: tau = 1e-3: soft == hard lookup", outputs_by_tau[0], hard_lookup(query, keys, values), tol=1e-12)
r2a.cmp("check: tau = 1e6: soft lookup == mean", outputs_by_tau[-1], values.mean(axis=0), tol=1e-4)
distance_to_hard = np.linalg.norm(outputs_by_tau - values[best], axis=1)
distance_to_mean = np.linalg.norm(outputs_by_tau - values.mean(axis=0), axis=1)
assert np.all(np.diff(weights_by_tau[:, best]) <= 0), "check: the best key's weight never grows with tau"
assert distance_to_hard[temperatures <= 0.01].max() < 1e-6 < distance_to_hard[temperatures >= 10].min(), "check"
assert distance_to_mean[temperatures >= 1e4].max() < 1e-2 < distance_to_mean[temperatures <= 1].min(), "check"
print("check: the soft lookup tends to the hard lookup as tau -> 0 and to the mean as tau -> infinity;")
print("       the weight of the best key falls monotonically with tau")

# %% [markdown]
# ## 2. Attention in the decoder
#
# Lecture 3's decoder received one vector $c$, the same at every step. Attention keeps **all** the
# encoder states $h_1, \dots, h_n$ (the rows of $H$) and lets the decoder do a soft lookup in them
# at every output step $t$. The decoder state is the query; the encoder states are both keys and
# values:
#
# $$e^t_i = s_t^\top h_i, \qquad \alpha^t = \operatorname{softmax}(e^t), \qquad
#   a_t = \sum_{i=1}^{n} \alpha^t_i\, h_i .$$
#
# The scores $e^t \in \mathbb{R}^n$ say how well each input position matches what the decoder needs
# now, the weights $\alpha^t$ are the soft lookup's $w$ (at $\tau = 1$), and the **attention output**
# $a_t \in \mathbb{R}^d$ replaces $c$ in that step. It is a new mix for every $t$.
#
# Which decoder state acts as the query is a design choice. Luong, Pham and Manning (2015) use the
# new state $s_t$; Bahdanau, Cho and Bengio (2015) use the state the decoder holds *before* step
# $t$, $s_{t-1}$, and so does `r2a.seq2seq`. With Lecture 3's notation our model is
#
# $$a_t = \text{attention}(s_{t-1}, H), \qquad s_t = \text{GRU}_\text{dec}\left(s_{t-1}, [F y_{t-1};\, a_t]\right),
#   \qquad p(y_t \mid y_{\lt t}, x) = \operatorname{softmax}\left(W_o [s_t;\, a_t] + b_o\right),$$
#
# still starting from $s_0 = h_n$: the only change is that $c$ became $a_t$. The diagram draws these
# equations for the last step: $a_t$ is computed from $s_{t-1}$ and every $h_i$, and goes both into
# the step's input and into its output layer.

# %%
# alt: The last decoder step mixes every encoder state into a5, chosen by s4, which feeds s5 and y5.
fig, ax = plt.subplots(figsize=(10, 3.2), constrained_layout=True)
diagrams.draw_encoder_decoder(ax, n_in=5, n_out=5, attention=True)
ax.set_title("Encoder–decoder with attention: every decoder step reads every encoder state")
plt.show()

# %% [markdown]
# The dot product needs the query and the states to live in the same space, with the same size.
# Bahdanau's original **additive** score instead runs a small network with one hidden layer of
# size $d_a$ on the pair:
#
# $$e_i = v^\top \tanh\left(W_s\, s + W_h\, h_i\right), \qquad W_s \in \mathbb{R}^{d_a \times d_s},\;
#   W_h \in \mathbb{R}^{d_a \times d_h},\; v \in \mathbb{R}^{d_a}.$$
#
# It costs more per score but learns its own notion of a match, and $s$ and $h_i$ may have
# different sizes. The weights and the output are computed exactly as before. In numpy:

# %%
def attention_step(s, H):
    """Dot-product attention of one query s (d,) over the rows of H (n, d): (alpha, a)."""
    scores = H @ s                    # e_i = s . h_i for every position at once
    alpha = softmax(scores)           # n weights that sum to 1
    return alpha, alpha @ H           # a = sum_i alpha_i h_i


def additive_scores(s, H, W_s, W_h, v):
    """Bahdanau's scores e_i = v . tanh(W_s s + W_h h_i) for every row h_i of H: shape (n,)."""
    return np.tanh(W_s @ s + H @ W_h.T) @ v   # W_s s is the same for every row: it broadcasts


n, d, d_a = 7, 5, 3
H = rng.normal(size=(n, d))
s = rng.normal(size=d)
W_s, W_h, v = rng.normal(size=(d_a, d)), rng.normal(size=(d_a, d)), rng.normal(size=d_a)
alpha, a = attention_step(s, H)
print("alpha =", np.round(alpha, 3), " sum", round(float(alpha.sum()), 6))
print("additive scores e =", np.round(additive_scores(s, H, W_s, W_h, v), 3))

# %% [markdown]
# Three references *check* these. PyTorch's `scaled_dot_product_attention` is the attention of
# Lecture 5, which divides the scores by $\sqrt{d}$; with `scale=1.0` it is exactly our dot-product
# step. The additive score is two `nn.Linear` layers without bias, a $\tanh$ and a dot product with
# $v$, as Bahdanau et al. describe it.

# %%
s_t, H_t = torch.from_numpy(s), torch.from_numpy(H)
r2a.cmp("check: alpha == torch.softmax(H s)", alpha, torch.softmax(H_t @ s_t, dim=0), tol=1e-12)
a_torch = torch.nn.functional.scaled_dot_product_attention(s_t[None, None], H_t[None], H_t[None], scale=1.0)
r2a.cmp("check: a == scaled_dot_product_attention", a, a_torch[0, 0], tol=1e-12)

query_layer = torch.nn.Linear(d, d_a, bias=False, dtype=torch.float64)
key_layer = torch.nn.Linear(d, d_a, bias=False, dtype=torch.float64)
with torch.no_grad():
    query_layer.weight.copy_(torch.from_numpy(W_s))
    key_layer.weight.copy_(torch.from_numpy(W_h))
    additive_torch = torch.tanh(query_layer(s_t) + key_layer(H_t)) @ torch.from_numpy(v)
r2a.cmp("check: additive scores == torch layers", additive_scores(s, H, W_s, W_h, v), additive_torch, tol=1e-12)

# %% [markdown]
# The third reference is the model we are about to train. `Seq2Seq.attend(state, states)` is the
# attention step inside `r2a.seq2seq`, for a batch of decoder states $(B, d)$ over encoder states
# $(B, n, d)$. We build one model of each kind, read its weights out ($W_s$, $W_h$ and $v$ are the
# layers `score_state`, `score_encoder` and `score_vector`), and compare our numpy functions with it
# on random states, one sequence at a time. The model computes in float32, hence the looser
# tolerance.

# %%
B, n_check, d_check = 4, 6, 16
states_check = torch.randn(B, n_check, d_check)
queries_check = torch.randn(B, d_check)
for kind in ("dot", "additive"):
    torch.manual_seed(0)
    model = seq2seq.Seq2Seq(vocab_size=16, hidden_size=d_check, attention=kind)
    with torch.no_grad():
        model_output, model_alpha = model.attend(queries_check, states_check)
    for b in range(B):
        H_b, s_b = states_check[b].double().numpy(), queries_check[b].double().numpy()
        if kind == "dot":
            ours_alpha, ours_output = attention_step(s_b, H_b)
        else:
            W_s_m, W_h_m, v_m = (layer.weight.detach().double().numpy()
                                 for layer in (model.score_state, model.score_encoder, model.score_vector))
            v_m = v_m[0]  # score_vector maps d -> 1: its weight is v as a (1, d) matrix
            ours_alpha = softmax(additive_scores(s_b, H_b, W_s_m, W_h_m, v_m))
            ours_output = ours_alpha @ H_b
        if b == 0:
            r2a.cmp(f"check: {kind}: alpha == Seq2Seq.attend", ours_alpha, model_alpha[b], tol=1e-5)
            r2a.cmp(f"check: {kind}: a_t == Seq2Seq.attend", ours_output, model_output[b], tol=1e-5)
        else:
            assert np.allclose(ours_alpha, model_alpha[b].numpy(), atol=1e-5), "check"
            assert np.allclose(ours_output, model_output[b].numpy(), atol=1e-5), "check"
print(f"check: all {B} sequences agree, for both kinds of score")

# %% [markdown]
# **What it costs.** Each output step computes one score per input position: $n$ scores, each a
# dot product of length $d$ (or a small network for the additive score), then a softmax and a
# weighted sum of $n$ vectors. An output of length $m$ costs $m \cdot n$ scores, where the fixed
# context cost nothing per step. And the encoder states must all be kept in memory until decoding
# ends. For the reversal task $m = n$, so the decoder's work grows like $n^2$; Lectures 5 and 6
# come back to this price.
#
# In parameters, on the other hand, dot-product attention is free: the scores use no weights of
# their own, so the model has exactly as many parameters as Lecture 3's. The additive score adds
# $W_s$, $W_h$ and $v$. Both are counts, so the asserts are *checks*.

# %%
n_params = {kind: sum(p.numel() for p in seq2seq.Seq2Seq(16, 16, attention=kind).parameters())
            for kind in (None, "dot", "additive")}
print(f"parameters at d = 16: no attention {n_params[None]}, dot {n_params['dot']}, additive {n_params['additive']}")
assert n_params["dot"] == n_params[None], "check: dot attention adds no parameters"
assert n_params["additive"] - n_params[None] == 16 * 16 + 16 * 16 + 16, "check: W_s, W_h and v"

# %% [markdown]
# ## 3. Lecture 3's experiment, with attention
#
# Now the test that matters. Lecture 3 trained encoder–decoders on reversing $n$ random tokens from
# $V = 16$, with hidden size $d = 16$, and found that accuracy collapses as $n$ grows. We rerun the
# same experiment through the same function, `bottleneck.run_sweep`, with the same budget, the same
# seed (so the weights the models share start identical) and the same training batches. The only
# change is the `attention` option.
#
# As in Lecture 3, the whole experiment runs on each of the three seeds of
# `bottleneck.LECTURE3_SEEDS`; within a seed, the models with and without attention start from the
# same weights and see the same batches, and every claim below is asserted on every seed.
#
# To keep this notebook under a minute we run the length axis only (`hidden_sizes` reduced to the
# one size $d = 16$; `bottleneck.run_seeds(bottleneck.LECTURE3_SWEEP, attention="dot")` runs both
# axes). Thirty models: on each seed, without attention (Lecture 3's, retrained) and with
# dot-product attention, at $n = 2, 4, 6, 8, 10$. An attention model costs more to train than a
# plain one, because its decoder must run step by step even with teacher forcing (each step's
# $a_t$ needs $s_{t-1}$), while the fixed-context decoder runs all its steps in one call. The
# notebook times one training step (forward and backward pass on a batch of 128 sequences of
# length 10) of each kind, taking the fastest of 15 alternating runs so that other work on the
# machine matters less: the exact ratio depends on the machine, but it is asserted to be above
# 1.5. That is why we leave the additive score out of the sweep; Section 2 checked that it computes
# its weights exactly like the model's, and you can train it with
# `bottleneck.run_seeds(sweep, attention="additive")`.

# %%
sweep = replace(bottleneck.LECTURE3_SWEEP, hidden_sizes=(bottleneck.LECTURE3_SWEEP.hidden_size,))
seeds = bottleneck.LECTURE3_SEEDS
setting, vocab_size, d = sweep.experiment, sweep.experiment.vocab_size, sweep.hidden_size
longest = sweep.lengths[-1]


from r2a.plotting import plot_over_seeds as plot_seeds, seed_range as spread  # shared with Lecture 3 or 4


# %% tags=["nbval-ignore-output"]
x_time, y_time = bottleneck.make_task(setting, longest, setting.batch_size, np.random.default_rng([setting.seed, 9]))
timed = {attention: seq2seq.Seq2Seq(vocab_size, d, setting.embed_size, attention=attention) for attention in (None, "dot")}
step_seconds = {attention: [] for attention in timed}
for _ in range(15):                   # alternate the two, so a burst of other work hits both alike
    for attention, timed_model in timed.items():
        start = time.perf_counter()
        seq2seq.teacher_forcing_loss(timed_model, x_time, y_time).backward()
        step_seconds[attention].append(time.perf_counter() - start)
step_ratio = min(step_seconds["dot"]) / min(step_seconds[None])
print(f"one training step at n = {longest}: fixed c {1e3 * min(step_seconds[None]):.1f} ms, "
      f"dot attention {1e3 * min(step_seconds['dot']):.1f} ms ({step_ratio:.1f}x)")

# %%
assert step_ratio > 1.5, "the step-by-step decoder costs clearly more per training step"
print(f"asserted: a training step at n = {longest} costs more than 1.5 times as much with attention")

# %% tags=["nbval-ignore-output"]
fixed = bottleneck.run_seeds(sweep, seeds)
dot = bottleneck.run_seeds(sweep, seeds, attention="dot")
for n_tokens, acc_fixed, acc_dot in zip(sweep.lengths, fixed.accuracy_by_length().T, dot.accuracy_by_length().T):
    print(f"n = {n_tokens:>2}: token accuracy over the seeds  fixed c {spread(acc_fixed)} | dot attention {spread(acc_dot)}")

# %%
# alt: Accuracy against input length with and without attention, and along the output at n = 10.
fig, (ax_n, ax_pos) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
for result, style in zip((fixed, dot), ("o-", "s--")):
    plot_seeds(ax_n, sweep.lengths, result.accuracy_by_length(), style, label=result.label)
    plot_seeds(ax_pos, np.arange(1, longest + 1), [r.per_position for r in result.at_length(longest)], style,
               label=result.label)
for ax in (ax_n, ax_pos):
    ax.axhline(1 / vocab_size, color="0.4", linestyle=":", lw=1, label=f"chance (1/{vocab_size})")
    ax.set(ylim=(0, 1.03), ylabel="token accuracy, fresh data")
ax_n.set(xlabel="input length n", xticks=list(sweep.lengths),
         title=f"same experiment, same budget, d = {d}, {len(seeds)} seeds")
ax_n.legend(title="mean over seeds, bar: range", fontsize=8, title_fontsize=8)
ax_pos.set_xticks(range(1, longest + 1))
ax_pos.set(xlabel=f"output position t (it copies input position {longest + 1} - t)",
           title=f"n = {longest}: accuracy along the output")
ax_pos.legend(fontsize=8)
plt.show()

# %% [markdown]
# The curves separate as soon as the fixed context starts to struggle, on every seed. At $n = 10$
# the model without attention gets fewer than one token in three right; with attention, more than
# six in ten. The right panel shows where the difference comes from: without attention the last
# outputs, the first tokens read, are rarely right (less than one time in six); with attention they
# are more than three times as accurate, because the decoder no longer needs them to survive ten
# steps of the encoder.
#
# Lecture 3 turned accuracies into a lower bound on the bits that reach the decoder (Fano's,
# `bottleneck.bits_delivered`): for the fixed context the bound stayed below one bit per hidden
# unit, and at $n = 10$ below half of $d$. A lower bound shows what is guaranteed, not what is
# impossible, so the comparison that counts is between the two models on the same inputs: with
# attention, the bound at $n = 10$ is above $d = 16$ bits, more than twice as many bits guaranteed
# as without.

# %%
gain = dot.accuracy_by_length() - fixed.accuracy_by_length()   # (seeds, lengths)
assert np.all(gain > -0.02), "dot attention is never worse than the fixed context"
assert np.all(gain[:, 2:] > 0.2), "and ahead by more than 0.2 from n = 6 on"
fixed_10, dot_10 = fixed.at_length(longest), dot.at_length(longest)   # one Result per seed
for without, with_attention in zip(fixed_10, dot_10):
    assert with_attention.accuracy - without.accuracy > 0.3, f"ahead by more than 0.3 at n = {longest}"
    assert with_attention.accuracy > 0.6 and without.accuracy < 1 / 3
    assert without.per_position[-1] < 1 / 6, "without attention the last output is rarely right"
    assert with_attention.per_position[-1] > max(without.per_position[-1] + 0.2, 3 * without.per_position[-1])
    bits_with = bottleneck.bits_delivered(with_attention.per_position, vocab_size)
    bits_without = bottleneck.bits_delivered(without.per_position, vocab_size)
    assert bits_with > d and bits_without < d / 2 and bits_with > 2 * bits_without
print(f"asserted on each of the {len(seeds)} seeds: dot attention is ahead of the fixed context by more than 0.2")
print(f"         from n = 6 on; at n = {longest} by more than 0.3 in accuracy (above 0.6 against below 1/3),")
print("         and on the last output by more than 0.2 and more than 3 times (the fixed context is below 1/6);")
print(f"         its Fano bound is above d = {d} bits, the fixed context's below {d // 2}, less than half")

# %% [markdown]
# Attention did not make the task easy, though. With attention, accuracy still falls from $n = 4$
# to $n = 10$, and along the output. The bottleneck is gone, so something else limits these models
# in this budget; Section 4 finds a likely culprit by looking at what the model attends to.

# %%
acc_dot = dict(zip(sweep.lengths, dot.accuracy_by_length().T))
assert np.all(acc_dot[4] - acc_dot[longest] > 0.15), "attention also falls with n"
assert all(r.per_position[0] - r.per_position[-1] > 0.3 for r in dot_10), "and along the output"
print(f"asserted on each of the {len(seeds)} seeds: dot attention loses more than 0.15 from n = 4 to n = 10,")
print("         and more than 0.3 along the n = 10 output")

# %% [markdown]
# ## 4. Alignment for free
#
# The attention weights $\alpha^t$ of a trained model can be read off and drawn: one row per output
# step, one column per input position. For reversal we know which input each output copies,
# position $n + 1 - t$, so if the model attends to the token it copies, the picture should be an
# **anti-diagonal**. Here are four test sequences for the dot-attention model at $n = 10$ of the
# first seed, decoded greedily, and its mean over 1000 test sequences. Circles mark the
# anti-diagonal: the position each output copies. (The pictures show one seed; the numbers below
# them are measured and asserted on every seed.)

# %%
letters = np.array(list("abcdefghijklmnop"))
steps = np.arange(longest)                   # output step t - 1, 0-based
copied = longest - 1 - steps                 # position n + 1 - t, 0-based: the token output t copies
decoded_by_seed = []                          # per seed: the test inputs, targets, decoded tokens and weights
for run, result in zip(dot.runs, dot_10):
    seed_setting = run.sweep.experiment
    x_test, y_test = bottleneck.make_task(seed_setting, longest, 1000, np.random.default_rng([seed_setting.seed, 1]))
    decoded, alignment = result.model.generate(x_test, return_attention=True)
    decoded_by_seed.append((x_test.numpy(), y_test.numpy(), decoded.numpy(), alignment.numpy()))
x_np, y_np, decoded, alignment = decoded_by_seed[0]
print("alignment array (sequences, output steps, input positions):", alignment.shape)

# %%
# alt: Attention heatmaps of four reversals and their mean form an anti-diagonal shifted one position right.
fig, axes = plt.subplots(1, 5, figsize=(15, 3.4), constrained_layout=True)
for ax, k in zip(axes[:4], range(4)):
    drawn = plotting.heatmap(ax, alignment[k], vmin=0, vmax=1, colorbar=False,
                             x_labels=letters[x_np[k]], y_labels=letters[decoded[k]])
    ax.set(xlabel="input token", title=f"example {k + 1}")
    ax.scatter(copied, steps, s=70, facecolor="none", edgecolor="white", lw=1.2)
axes[0].set_ylabel("decoded token (output step t, top to bottom)")
plotting.heatmap(axes[4], alignment.mean(axis=0), vmin=0, vmax=1, colorbar=False,
                 x_labels=np.arange(1, longest + 1), y_labels=np.arange(1, longest + 1))
axes[4].scatter(copied, steps, s=70, facecolor="none", edgecolor="white", lw=1.2)
axes[4].set(xlabel="input position i", title="mean over 1000 sequences")
fig.colorbar(drawn, ax=axes, shrink=0.85, label="attention weight alpha")
plt.show()

# %% [markdown]
# There is the anti-diagonal, and nobody asked for it: the model was trained only to predict the
# next output token, with no alignment in its loss or its data. The alignment emerged because
# looking in the right place lowers the loss. Bahdanau et al. saw the same in translation, where
# the weights line up words with their translations, bending where the two languages order words
# differently.
#
# But look closely: apart from the first row, the bright cells sit **one position to the right** of
# the circles. Output $t$ puts more weight on position $n + 2 - t$, the token it wrote one step
# *earlier*, than anywhere else, and much less on the token it copies. The alignment is also
# sharp for the first outputs and blurs towards the last, as accuracy does.

# %%
model_position = np.minimum(longest - 1, copied + 1)   # n + 2 - t (n for the first output), 0-based
mass_model = np.array([a[:, steps, model_position].mean(axis=0) for *_, a in decoded_by_seed])   # (seeds, steps)
mass_copied = np.array([a[:, steps, copied].mean(axis=0) for *_, a in decoded_by_seed])
peak_is_model = np.array([(a.argmax(axis=-1) == model_position).mean() for *_, a in decoded_by_seed])

# %% tags=["nbval-ignore-output"]
for seed, on_model, on_copied, peak in zip(seeds, mass_model, mass_copied, peak_is_model):
    print(f"seed {seed}: mean weight on n + 2 - t (n for t = 1) {np.round(on_model, 2)}")
    print(f"        mean weight on n + 1 - t (the copied token) {np.round(on_copied, 2)}")
    print(f"        rows whose largest weight is on position n + 2 - t: {peak:.2f}")

# %%
assert np.all(mass_model[:, 0] > 0.7), "the first output reads h_n, the last state (and the token it copies)"
assert np.all(mass_model.mean(axis=1) > 0.5) and np.all(peak_is_model > 0.5), "most weight one right of the copy"
assert np.all(mass_copied[:, 1:] < 0.35), "the copied token itself gets far less"
together = mass_model + np.where(steps > 0, mass_copied, 0)
assert np.all(together.mean(axis=1) > 0.6), "the two together hold most of the mass"
assert np.all(np.diff(mass_model, axis=1) < 0.02), "the alignment blurs along the output"
print(f"asserted on each of the {len(seeds)} seeds: on average more than half of each row's weight, and the")
print("         row's peak in more than half of all rows, falls on position n + 2 - t; the copied position")
print("         gets less than 0.35 for t >= 2; the two together hold more than 0.6; the weight on")
print("         n + 2 - t falls along the output")

# %% [markdown]
# Why would the model do that? Remember what the decoder has and what the encoder states hold. The
# query for output $t$ is $s_{t-1}$, the state that has just written $y_{t-1} = x_{n+2-t}$, so it
# knows that token well. The encoder state $h_{n+2-t}$ is the one that has just *read* that token.
# Matching "what I just wrote" with "what you just read" is an easy way to find one's place by
# content alone: the encoder is a GRU reading left to right, and its states carry no explicit
# position. Once there, the token that follows in the output is the one that came *before* it in
# the input, and the decoder can use the state it landed on, the smaller weight on $h_{n+1-t}$
# next to it, and the token it is fed.
#
# That is an interpretation, and it makes a prediction we can test. Finding one's place by content
# is ambiguous when the token just written occurs more than once in the input (with $V = 16$ and
# $n = 10$ that is common): the query then matches several states. So outputs whose previous token
# is repeated in the input should be less accurate than outputs whose previous token is unique.

# %%
def repeat_penalty(x_np, y_np, decoded):
    """Accuracy at outputs 2..n when the previous target token is unique / repeated in the input."""
    correct = decoded == y_np
    unique_acc, repeated_acc = [], []
    for t in range(1, longest):                          # output steps 2..n (0-based 1..n-1)
        just_written = y_np[:, t - 1]
        repeated = (x_np == just_written[:, None]).sum(axis=1) > 1
        unique_acc.append(correct[~repeated, t].mean())
        repeated_acc.append(correct[repeated, t].mean())
    return np.array(unique_acc), np.array(repeated_acc)


unique_repeated = [repeat_penalty(x_seed, y_seed, decoded_seed) for x_seed, y_seed, decoded_seed, _ in decoded_by_seed]

# %% tags=["nbval-ignore-output"]
for seed, (unique_acc, repeated_acc) in zip(seeds, unique_repeated):
    print(f"seed {seed}, outputs 2..{longest}: accuracy {unique_acc.mean():.3f} when the previous token is unique "
          f"in the input, {repeated_acc.mean():.3f} when it is repeated "
          f"(difference {unique_acc.mean() - repeated_acc.mean():.3f})")

# %%
for unique_acc, repeated_acc in unique_repeated:
    assert unique_acc.mean() - repeated_acc.mean() > 0.04, "a repeated landmark costs accuracy"
    assert np.sum(unique_acc > repeated_acc) >= 6, "at most output positions"
print(f"asserted on each of the {len(seeds)} seeds: when the token just written is repeated in the input,")
print("         accuracy is lower by more than 0.04 on average, and lower at 6 or more of the 9 output positions")

# %% [markdown]
# The prediction holds. It also suggests why attention did not solve the task completely in
# Section 3: the model has to *find* each position by content, and a repeated token throws it off;
# once it loses its place, greedy decoding carries the error forward. Lecture 5 meets the same
# question in a sharper form: self-attention has no notion of position at all until positional
# encodings give it one.
#
# **How far to trust an attention map.** The heatmap is real and useful: it shows where the
# decoder read from, and it revealed a strategy we did not expect. But it is not an explanation of
# the model's decision, and this example shows three reasons why.
#
# * **A state is not a token.** $h_i$ summarises $x_1, \dots, x_i$, so weight on position $i$ is
#   weight on a mixture. Read naively, our map says "output $t$ is about input $n + 2 - t$", which
#   is the wrong token.
# * **Attention is not the only path.** The decoder also starts from $s_0 = h_n$ and is fed its own
#   previous token; information can bypass the weights.
# * **Weights are not importance.** A small weight on a state with a large norm, or a large weight
#   on a state the output layer ignores, can mislead. Jain and Wallace (2019) found that very
#   different weights can yield the same predictions; Wiegreffe and Pinter (2019) replied that this
#   does not make the weights meaningless. The safe reading is the one we used above: an attention
#   map is a place to start asking questions, and it takes a test to answer them.
#
# ## 5. A shortcut for the gradient
#
# Lecture 2 showed that the gradient reaching an input shrinks with every step it travels back
# through a recurrence. Count the steps from the first input to the first output. Without attention
# the shortest path is $x_1 \to h_1 \to \dots \to h_n = c \to y_1$ (the output layer reads $c$);
# with attention there is also $x_1 \to h_1 \to a_1 \to y_1$. `r2a.graphs` counts the steps on
# the dependency graphs of both models. The counts follow from the graphs' construction, so the
# assert is a *check* of the graphs, not a measurement.

# %%
def encoder_decoder_graph(n, attention):
    """Dependency graph of an encoder–decoder with n inputs and n outputs (nodes (kind, position))."""
    graph = {("x", i): () for i in range(1, n + 1)} | {("h", 0): (), ("y", 0): ()}
    for i in range(1, n + 1):
        graph[("h", i)] = (("h", i - 1), ("x", i))
    graph[("s", 0)] = (("h", n),)                            # the decoder starts from the last state
    for t in range(1, n + 1):
        if attention:                                         # a_t reads s_(t-1) and every h_i
            graph[("a", t)] = (("s", t - 1),) + tuple(("h", i) for i in range(1, n + 1))
            step_context = ("a", t)
        else:
            step_context = ("h", n)                           # c = h_n at every step
        graph[("s", t)] = (("s", t - 1), ("y", t - 1), step_context)
        graph[("y", t)] = (("s", t), step_context)
    return graph


for length in (5, 10, 100):
    plain_path = graphs.shortest_path_length(encoder_decoder_graph(length, False), ("x", 1), ("y", 1))
    attention_path = graphs.shortest_path_length(encoder_decoder_graph(length, True), ("x", 1), ("y", 1))
    print(f"n = {length:>3}: path x_1 -> y_1  without attention {plain_path:>3} | with attention {attention_path}")
    assert plain_path == length + 1 and attention_path == 3, "check: n + 1 steps without attention, 3 with"

# %% [markdown]
# The path grows as $O(n)$ without attention and stays at 3 with it. Does the gradient notice? We
# measure $\lVert \partial\, \text{logits of } y_t / \partial e_i \rVert$, the dependence of one
# output on the embedding $e_i$ of each input token, with `r2a.recurrent.input_gradient_norms`.
# `Seq2Seq` takes token ids, so we write the teacher-forced decoder once more starting from the
# embeddings, with the model's own layers, and first *check* that it reproduces the model's output.
# As in Lecture 2 we copy the models to float64, so that tiny gradients do not underflow.

# %%
def logits_from_embeddings(model, embedded, y):
    """Teacher-forced logits (B, m, V) of a Seq2Seq, starting from embedded inputs (B, n, E)."""
    states, final = model.encoder(embedded)
    context = final[0]
    previous = torch.cat([torch.full_like(y[:, :1], model.start_token), y[:, :-1]], dim=1)
    inputs, state, logits = model.target_embedding(previous), context[None], []
    for t in range(y.shape[1]):
        step_context = context if model.attention is None else model.attend(state[0], states)[0]
        output, state = model.decoder(torch.cat([inputs[:, t], step_context], dim=-1)[:, None], state)
        logits.append(model.output(torch.cat([output[:, 0], step_context], dim=-1)))
    return torch.stack(logits, dim=1)


def gradient_by_position(model, x, y, t):
    """Mean over the batch of ||d logits(y_t) / d e_i|| for every input position i (t is 1-based)."""
    model64 = copy.deepcopy(model).double()
    embedded = model64.source_embedding(x).detach()
    return recurrent.input_gradient_norms(lambda e: logits_from_embeddings(model64, e, y)[:, t - 1],
                                          embedded).mean(axis=0)


def probes(seed_setting, length, n_samples, stream):
    """Probe sequences of one seed, drawn from their own random stream (not training or test data)."""
    return bottleneck.make_task(seed_setting, length, n_samples, np.random.default_rng([seed_setting.seed, stream]))


x_probe, y_probe = probes(setting, longest, 100, 7)
for result in (fixed_10[0], dot_10[0]):
    model64 = copy.deepcopy(result.model).double()
    with torch.no_grad():
        ours = logits_from_embeddings(model64, model64.source_embedding(x_probe), y_probe)
        r2a.cmp(f"check: {bottleneck.describe(attention=model64.attention)}: from embeddings", ours,
                model64(x_probe, y_probe), tol=1e-10)

# %% [markdown]
# Two measurements, each on the three seeds. **At initialisation**, before any training, the
# gradient reflects the architecture alone: we take untrained models with and without dot
# attention, a long input of $n = 30$ tokens, and the first output. **After training**, we take the
# two $n = 10$ models of Section 3 and the last output, $y_{10}$, which copies $x_1$, the token
# farthest from the decoder.

# %%
n_long = 30
initial = {None: [], "dot": []}   # per attention kind, one gradient profile per seed
trained = {None: [], "dot": []}
for run_fixed, run_dot in zip(fixed.runs, dot.runs):
    seed_setting = run_fixed.sweep.experiment
    x_long, y_long = probes(seed_setting, n_long, 50, 8)
    x_probe, y_probe = probes(seed_setting, longest, 100, 7)
    for attention, run in ((None, run_fixed), ("dot", run_dot)):
        torch.manual_seed(seed_setting.seed)
        untrained = seq2seq.Seq2Seq(vocab_size, d, seed_setting.embed_size, attention=attention)
        initial[attention].append(gradient_by_position(untrained, x_long, y_long[:, :1], t=1))
        trained[attention].append(gradient_by_position(run.by_length[-1].model, x_probe, y_probe, t=longest))
initial = {kind: np.array(profiles) for kind, profiles in initial.items()}   # (seeds, positions)
trained = {kind: np.array(profiles) for kind, profiles in trained.items()}

# %%
# alt: Input gradient against position, falling exponentially without attention and nearly flat with it.
fig, (ax_init, ax_trained) = plt.subplots(1, 2, figsize=(11, 3.8), constrained_layout=True)
for attention, style in ((None, "o-"), ("dot", "s--")):
    label = f"{bottleneck.describe(attention=attention)} (band: range of {len(seeds)} seeds)"
    for ax, profiles in ((ax_init, initial[attention]), (ax_trained, trained[attention])):
        positions = np.arange(1, profiles.shape[1] + 1)
        line, = ax.semilogy(positions, np.exp(np.log(profiles).mean(axis=0)), style, ms=4, label=label)
        ax.fill_between(positions, profiles.min(axis=0), profiles.max(axis=0), color=line.get_color(), alpha=0.2, lw=0)
ax_init.set(xlabel="input position i (the encoder ends at i = 30)", ylabel="||d logits / d e_i||",
            title="untrained models, n = 30, first output")
ax_trained.set(xlabel="input position i", ylabel="||d logits / d e_i||", xticks=range(1, longest + 1),
               title=f"trained models, n = {longest}, last output (it copies x_1)")
for ax in (ax_init, ax_trained):
    ax.legend(fontsize=8)
plt.show()


# %%
def far_over_near(profiles):
    return profiles[..., 0] / profiles[..., -1]   # gradient at x_1 relative to the gradient at x_n, per seed


# %% tags=["nbval-ignore-output"]
for attention in (None, "dot"):
    print(f"{bottleneck.describe(attention=attention):<24} gradient at x_1 / gradient at x_n, over the seeds:  "
          f"untrained, n = {n_long}: {far_over_near(initial[attention]).min():.1e} to "
          f"{far_over_near(initial[attention]).max():.1e}   trained, n = {longest}: {spread(far_over_near(trained[attention]))}")

# %% [markdown]
# Without attention, the untrained model's dependence on an input falls exponentially with its
# distance from the end of the encoder: on every seed the first token of 30 has a gradient more
# than a hundred thousand times smaller than the last. With attention, every encoder state is one
# step from the output, and the curve is nearly flat over the first 25 positions (within a factor
# of 3); the far tokens still count. After training, the difference is what the task needs: the
# last output of the attention model depends on the first two input positions more than on the
# last, while the fixed-context model's gradient still falls towards the start of the input. (The
# peak at position 2 rather than 1 is Section 4's shift again.)

# %%
assert np.all((1e-8 < far_over_near(initial[None])) & (far_over_near(initial[None]) < 1e-5)), \
    "untrained, no attention: x_1 all but invisible"
flat = initial["dot"][:, :25]
assert np.all(flat.max(axis=1) < 3 * flat.min(axis=1)), "attention: nearly flat over 25 positions"
assert np.all(far_over_near(initial["dot"]) > 1e3 * far_over_near(initial[None])), "orders of magnitude more"
assert np.all(initial["dot"][:, :20] > 5 * initial[None][:, :20]), "and for every one of the 20 farthest tokens"
assert np.all(far_over_near(trained["dot"]) > 1.5) and np.all(far_over_near(trained[None]) < 1), "trained"
assert np.all(far_over_near(trained["dot"]) > 5 * far_over_near(trained[None]))
assert np.all(trained["dot"][:, :2].min(axis=1) > trained["dot"][:, -1]), "the first two positions beat the last"
assert np.all(trained["dot"].argmax(axis=1) == 1), "the peak is at position 2: Section 4's shift"
print(f"asserted on each of the {len(seeds)} seeds: untrained, x_1 gets between 1e-8 and 1e-5 of x_30's gradient")
print("         without attention, and over 1000 times that ratio with attention; the 20 farthest tokens all")
print("         get more than 5 times more; with attention the gradient varies by less than a factor 3 over")
print("         positions 1 to 25")
print(f"asserted on each of the {len(seeds)} seeds: trained at n = 10, the last output of the attention model")
print("         depends more on x_1 than on x_10 (ratio above 1.5), the fixed-context model's less (below 1),")
print("         a ratio 5 times smaller; with attention x_1 and x_2 both beat x_10, and the peak is at x_2")

# %% [markdown]
# This is the second benefit of attention, besides removing the bottleneck: a **shortcut for
# gradients**. The signal from an output back to any input crosses a constant number of steps,
# whatever the distance, so learning to use a distant token no longer depends on a gradient
# surviving a long product of Jacobians. The encoder is still recurrent, though, so the states
# themselves are still computed one after another: the $O(n)$ sequential steps of Lecture 1 remain.
# Lecture 5 removes them too.
#
# ## 6. Attention is a general operation
#
# Nothing in a soft lookup is specific to words. Attention needs a set of vectors to look in and a
# query; the vectors can come from anything. Vision transformers (Dosovitskiy et al., 2021) cut an
# image into patches, flatten each patch into a vector, project it, and let every patch attend to
# every other.
#
# Here is a small, honest version with **no training at all**: a $32 \times 32$ image with three
# kinds of shapes and some pixel noise, cut into a $4 \times 4$ grid of $8 \times 8$ patches. Each
# patch is flattened into a vector $p_j \in \mathbb{R}^{64}$ and scaled to length 1 (so a shape
# with many pixels does not outshout one with few), then projected by one random matrix
# $W \in \mathbb{R}^{32 \times 64}$ into a query and a key, $q_j = k_j = W p_j$. Using the same random
# matrix for both makes the score $q_i^\top k_j = p_i^\top W^\top W p_j$ a noisy version of the
# cosine similarity $p_i^\top p_j$ of the two patches, because $W^\top W = I$ on average. A trained
# model would learn separate $W_q$ and $W_k$, and with them its own idea of which patches belong
# together. The temperature, $\tau = 0.15$, is set by hand so that the map shows more than the
# single best match.
#
# Be clear about what this is: an **illustration** of the mechanics, not an experiment. The
# look-alike patches are the same drawing plus a little noise, so their cosine similarity is close
# to 1 and that of any other pair is far lower; a random projection approximately preserves those
# similarities. That like attends to like is therefore close to guaranteed by construction, and
# the asserts after the figure are *checks* that the code does what this paragraph says, not
# evidence that attention discovers anything.

# %%
P, grid = 8, 4


def draw_shape(kind):
    """One 8x8 patch holding a plus sign, a hollow square or a thick diagonal."""
    patch, inner = np.zeros((P, P)), np.arange(1, 7)
    if kind == "plus":
        patch[1:7, 3:5] = patch[3:5, 1:7] = 1
    elif kind == "square":
        patch[1:7, 1:7] = 1
        patch[2:6, 2:6] = 0
    elif kind == "diagonal":
        patch[inner, inner] = patch[inner[:-1], inner[:-1] + 1] = 1
    return patch


layout = [["plus", None, "square", None],
          [None, "diagonal", None, "plus"],
          ["square", None, None, "diagonal"],
          [None, "plus", None, "square"]]
image = 0.1 * rng.normal(size=(grid * P, grid * P))
for r, row in enumerate(layout):
    for c, kind in enumerate(row):
        if kind is not None:
            image[r * P:(r + 1) * P, c * P:(c + 1) * P] += draw_shape(kind)

patches = image.reshape(grid, P, grid, P).transpose(0, 2, 1, 3).reshape(grid * grid, P * P)  # row-major
patches /= np.linalg.norm(patches, axis=1, keepdims=True)  # unit length: similarity = shape, not ink
patch_kind = np.array([kind or "empty" for row in layout for kind in row])
W = rng.normal(0, 1 / np.sqrt(32), size=(32, P * P))
patch_queries = patch_keys = patches @ W.T                   # q_j = k_j = W p_j, one row per patch
patch_weights = softmax(patch_queries @ patch_keys.T / 0.15)  # row i: patch i's attention over all 16
print("patches:", patches.shape, " attention matrix:", patch_weights.shape)
print("kinds in reading order:", " ".join(patch_kind))

# %%
# alt: Attention weights of a plus, a square and a diagonal patch over all sixteen patches of the image.
query_patches = [0, 2, 5]   # the first plus, square and diagonal
ink = np.ma.masked_less(image, 0.5)   # only the drawn pixels, to lay over the weights
fig, axes = plt.subplots(1, 4, figsize=(14, 3.9), constrained_layout=True)
axes[0].imshow(image, cmap="gray_r")
axes[0].set_title("the image: 4 x 4 patches of 8 x 8 pixels")
for ax, query_index in zip(axes[1:], query_patches):
    weights_grid = patch_weights[query_index].reshape(grid, grid)
    shading = ax.imshow(weights_grid, cmap="Reds", vmin=0, vmax=1, extent=(-0.5, grid * P - 0.5, grid * P - 0.5, -0.5))
    ax.imshow(ink, cmap="gray_r", vmin=0, vmax=1.2)
    for (r, c), weight in np.ndenumerate(weights_grid):
        ax.text(c * P + P - 1, r * P + P - 1, f"{weight:.2f}", ha="right", va="bottom", fontsize=7,
                bbox=dict(boxstyle="square,pad=0.1", fc="white", ec="none", alpha=0.8))
    r, c = divmod(query_index, grid)
    ax.add_patch(plt.Rectangle((c * P - 0.5, r * P - 0.5), P, P, fill=False, edgecolor="#1f77b4", lw=3))
    ax.set_title(f"query: the {patch_kind[query_index]} in the blue frame")
for ax in axes:
    ax.set_xticks(np.arange(0, grid * P + 1, P) - 0.5, [])
    ax.set_yticks(np.arange(0, grid * P + 1, P) - 0.5, [])
    ax.grid(True, color="0.5", alpha=0.6, lw=0.8)
fig.colorbar(shading, ax=axes, shrink=0.85, label="attention weight of the query on each patch")
plt.show()

# %% [markdown]
# Each query patch puts most of its weight on the patches that look like it (itself included);
# the empty patches and the other shapes get little. That is all this demo shows: the mechanics of
# a soft lookup over patches, with a random projection that keeps enough of the pixel similarity to
# group like with like. The interesting part of a real vision model, what the projections learn to
# call similar (a shape moved by two pixels, a rotated one, part of an object), needs training, and
# this lecture does not test it.

# %%
for query_index in query_patches:
    same = patch_kind == patch_kind[query_index]
    w = patch_weights[query_index]
    assert w[same].min() > w[~same].max(), f"check: {patch_kind[query_index]}: look-alikes beat every other patch"
    assert w[same].sum() > 0.7, f"check: {patch_kind[query_index]}: more than 0.7 of the weight on look-alikes"
print("check: for each query, every patch of the same kind gets more weight than any other patch,")
print("       and the same-kind patches together get more than 0.7 of it (true by construction, see above)")

# %% [markdown]
# The cost is the same as in the decoder: every patch scores every patch, $16 \times 16 = 256$
# scores here, and $196^2 \approx 38{,}000$ for a $224 \times 224$ image cut into $16 \times 16$
# patches. Attention looks everywhere at once, and pays for each look.
#
# ## Summary
#
# * A soft lookup compares a query with every key, turns the similarities into weights with a
#   softmax, and mixes the values. As the temperature goes to 0 it becomes the hard lookup of a
#   table; as it goes to infinity, the mean of the values.
# * Decoder attention is a soft lookup in the encoder states at every output step:
#   $e^t_i = s^\top h_i$ (or Bahdanau's $v^\top \tanh(W_s s + W_h h_i)$), $\alpha^t =
#   \operatorname{softmax}(e^t)$, $a_t = \sum_i \alpha^t_i h_i$. Our numpy versions agree with
#   PyTorch and with the attention step of `r2a.seq2seq`. The price is $n$ scores per output step.
# * On Lecture 3's experiment, with nothing else changed, attention lifts accuracy at $n = 10$ from
#   under a third to over 0.6 on each of three seeds, and the Fano lower bound now guarantees more
#   than $d$ bits at the decoder, more than twice what it guarantees without attention: the
#   fixed-size context was the bottleneck.
# * The trained model learned an alignment nobody showed it: an anti-diagonal, shifted by one
#   position, most likely because it finds its place by the token it just wrote (a repeated token
#   costs accuracy, as that reading predicts). Attention maps show where a
#   model reads, not why; read them as questions to test, as we did.
# * Attention connects every input to every output in a constant number of steps, so the gradient
#   reaches distant inputs without shrinking along the way: before training, over a thousand
#   times more of it reaches the farthest of 30 inputs than without attention.
# * The operation is general: patches of an image can attend to each other the same way (an
#   illustration of the mechanics; what a vision model learns needs training).
#
# ## Self-check
#
# Try each question before opening the answer.
#
# **1.** Why does attention remove the bottleneck of Lecture 3? Does it give the decoder more
# parameters?
#
# <details><summary>Answer</summary>
#
# Without attention the decoder sees the input only through one vector $c$ of $d$ numbers, fixed
# before decoding starts, however long the input is. With attention it reads all $n$ encoder states
# at every step, through a mix $a_t$ chosen for that step, so what it can get from the input grows
# with $n$. Dot attention adds **no** parameters at all (Section 2 counted them); the gain comes
# from what the decoder may read, not from capacity. The additive score adds $W_s$, $W_h$ and $v$,
# 528 numbers at $d = 16$.
# </details>
#
# **2.** What does attention cost, per output step and for a whole output of length $m$?
#
# <details><summary>Answer</summary>
#
# Per output step, $n$ scores (each a length-$d$ dot product, or a small network for the additive
# score), a softmax over $n$ numbers and a weighted sum of $n$ vectors of size $d$: $O(n d)$. For
# $m$ outputs, $m \cdot n$ scores, $O(m n d)$, against nothing extra for a fixed context. The $n$
# encoder states must also stay in memory for the whole decoding. For self-attention, where every
# one of $n$ positions attends to all $n$, this becomes $n^2$ scores per layer (Lectures 5 and 6).
# </details>
#
# **3.** A soft lookup with temperature $\tau$ returns $\sum_i w_i v_i$ with
# $w = \operatorname{softmax}(Kq / \tau)$. What does it return as $\tau \to 0$, and as
# $\tau \to \infty$? Which earlier lecture's method is the second limit?
#
# <details><summary>Answer</summary>
#
# As $\tau \to 0$ the weight of the best-matching key tends to 1 and the others to 0, so the output
# is that key's value: the hard lookup (if two keys tie, their values are averaged). As
# $\tau \to \infty$ all scores divided by $\tau$ tend to 0, every weight to $1/n$, and the output
# to the mean of the values: the mean pooling of Lecture 1.
# </details>
#
# **4.** Write one decoder step of dot-product attention, and say what changes with Bahdanau's
# additive score.
#
# <details><summary>Answer</summary>
#
# Given the decoder state $s$ and encoder states $h_1, \dots, h_n$: $e_i = s^\top h_i$,
# $\alpha = \operatorname{softmax}(e)$, $a = \sum_i \alpha_i h_i$; $a$ joins the decoder's input
# and its output layer. The additive score replaces $s^\top h_i$ with $v^\top \tanh(W_s s + W_h h_i)$,
# a one-hidden-layer network with learned $W_s$, $W_h$, $v$. It allows $s$ and $h_i$ of different
# sizes and learns what counts as a match; the softmax and the weighted sum are unchanged.
# </details>
#
# **5.** The trained model's alignment for reversal is an anti-diagonal, but output $t$ puts most
# weight on input $n + 2 - t$, not on the token $x_{n+1-t}$ it copies. Is the model wrong to look
# there? What does this tell you about reading attention maps?
#
# <details><summary>Answer</summary>
#
# Not wrong: it gets most tokens right. The weights are over encoder *states*, and $h_{n+2-t}$ is
# the state that has just read the token the decoder wrote one step before, a landmark the decoder
# can find by content; the token it needs was read one step earlier and can be recovered from there
# and from the smaller weight on $h_{n+1-t}$. The map shows where the model reads, not which token
# it is "thinking about": a state mixes all earlier tokens, other paths (the initial state, the fed
# back token) bypass the weights, and a weight is not a measure of importance. Treat a map as a
# hypothesis and test it, as Section 4 did with repeated tokens.
# </details>
#
# **6.** In an encoder–decoder of input length $n$, how many steps separate $x_1$ from the first
# output with and without attention, and why does that matter for training?
#
# <details><summary>Answer</summary>
#
# Without attention, $n + 1$ ($x_1 \to h_1 \to \dots \to h_n = c \to y_1$); with attention, 3
# ($x_1 \to h_1 \to a_1 \to y_1$), for any $n$. The gradient is a product of one Jacobian per step
# (Lecture 2), so on the long path it usually shrinks exponentially with $n$; the short path lets a
# useful signal reach distant inputs. Section 5 measured a ratio of over a thousand at $n = 30$
# before training, on every seed.
# </details>
#
# **7.** In the patch demo, queries and keys were made by the *same random* matrix. Why did the
# patches still attend to look-alikes, and what would training add?
#
# <details><summary>Answer</summary>
#
# With $q = k = W p$ the score is $p_i^\top W^\top W p_j$, and for a random $W$ with entries of
# variance $1/32$, $W^\top W$ is the identity on average, so the score is a noisy version of the
# patches' cosine similarity (they were scaled to length 1): identical shapes overlap most.
# Training would learn separate $W_q$ and $W_k$ (and values $W_v$), and with them which patches
# *should* inform each other, for instance a shape and its shifted copy, whose pixels barely
# overlap.
# </details>
#
# **Next:** the encoder is still a recurrence, computed one step at a time. Lecture 5 lets every
# position of a sequence attend to every other (**self-attention**), so no recurrence is left at
# all.
