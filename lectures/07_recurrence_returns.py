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
# # Lecture 7 — Recurrence returns
#
# *From Recurrence to Attention*, lecture 7 of 7. About 60 minutes to read and run; the notebook
# executes in under a minute on a 2-core laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (Lecture 1);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (Lecture 3);
# 4. **attention** lets the decoder look back at every input directly (Lecture 4);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. that is **why attention replaced recurrence** (Lecture 6);
# 7. and why recurrence **returns**, as linear attention and state-space models, to pay attention's
#    price (this lecture).
#
# Lecture 6 ended with the price of attention: work and memory that grow with the square of the
# sequence length, and, when generating text, a cache of every past key and value. This lecture
# follows the layers that were built to avoid that price. They turn out to be recurrences again,
# with one difference from the RNNs of Lectures 1 and 2: the state is updated **linearly**. That
# one change lets them train in parallel like attention and generate with a fixed-size state like
# an RNN. It also brings back Lecture 3's problem, a fixed-size memory, and Section 7
# measures exactly that.
#
# By the end of this lecture you can
#
# * write causal linear attention in its parallel form and as a recurrence with a $d_k \times d_v$
#   state, check that the two agree, and measure how their memory and time grow with $n$;
# * add a fixed decay or an input-dependent gate to that state, and measure how far back the
#   output still reaches;
# * compute a linear recurrence in $\lceil \log_2 n \rceil$ rounds with a parallel scan, and say why
#   the same trick does not apply to a $\tanh$ RNN;
# * run a diagonal state-space layer as a recurrence and as a convolution, and show why its
#   selective variant is no longer a convolution but is still a scan;
# * measure the bytes of a KV cache against those of a fixed state as the sequence grows;
# * train softmax attention, linear attention, a gated state-space layer and an LSTM on
#   multi-query associative recall, and explain with the size of each state why the fixed-state
#   models fall behind as the number of pairs grows.
#
# Each result claimed below is measured in the notebook and checked by an `assert` on that
# measurement, so if a result ever stops holding, the notebook stops with an error. Asserts on an
# identity, a count or a shape are marked *check*: they confirm that the code matches the
# mathematics, and are not evidence for a claim. In this lecture the agreement of two ways of
# computing the same thing (parallel and recurrent forms, scan and loop, convolution and
# recurrence, KV cache and recomputation), the round counts, the decay factors and the bytes a
# cache must hold by its shape are checks; the growth of memory and time with $n$, the departure of
# the selective layer from a convolution, the failure of $\tanh$ steps to compose, and the recall
# accuracies of the trained models are the measurements.

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

import math
import tracemalloc

import matplotlib.pyplot as plt
import numpy as np
import torch

from r2a import bottleneck, graphs, plotting, recurrent, timing, training
from r2a import linear_recurrence as lin

rng = r2a.setup(seed=0)  # seeds numpy, torch and random; one CPU thread; course plot style

# %% [markdown]
# ## 1. Attention's price, recalled
#
# Lecture 6 measured what self-attention pays for its short paths. Its scores $Q K^\top$ have one
# entry per *pair* of positions: $4n^2 d$ FLOPs to mix the positions, and an $n \times n$ matrix per
# head that an explicit layer stores (a fused kernel avoids storing it, not computing it). And
# there is a second bill, paid when a model **generates** text one token at a time: each new token
# attends to every token before it, so the keys and values of all of them must be kept. That is the
# **KV cache**: $2 n d$ numbers per layer after $n$ tokens, growing with every token, and each new
# token costs $O(n d)$ to attend over it. A recurrent layer generates from a state of fixed size at a
# fixed cost per token, whatever came before, but trains one step after another.
#
# Can one layer have both, the parallel training of attention and the fixed state of an RNN? The
# answer of the last few years is *yes, if the recurrence is linear in its state*, and it starts
# from a small change to attention itself.
#
# ## 2. Linear attention is an RNN
#
# Causal softmax attention computes, at every position $t$,
#
# $$y_t = \frac{\sum_{s \le t} \exp(q_t \cdot k_s / \sqrt{d_k})\, v_s}
#   {\sum_{s \le t} \exp(q_t \cdot k_s / \sqrt{d_k})} .$$
#
# Katharopoulos et al. (2020), *Transformers are RNNs*, replace the similarity
# $\exp(q \cdot k / \sqrt{d_k})$ by a product of **feature maps**, $\phi(q) \cdot \phi(k)$, for
# instance $\phi(x) = \operatorname{elu}(x) + 1$ applied element by element (positive, so every
# similarity is positive, like the exponential). Then $\phi(q_t)$ can be taken out of both sums:
#
# $$y_t = \frac{\phi(q_t)^\top \sum_{s \le t} \phi(k_s)\, v_s^\top}{\phi(q_t)^\top \sum_{s \le t} \phi(k_s)}
#       = \frac{\phi(q_t)^\top S_t}{\phi(q_t)^\top z_t}, \qquad
#   S_t = S_{t-1} + \phi(k_t)\, v_t^\top, \quad z_t = z_{t-1} + \phi(k_t).$$
#
# The two sums are a **state**: $S_t$ is a $d_k \times d_v$ matrix and $z_t$ a vector of $d_k$,
# updated once per position, whatever $t$ is. The same layer has two forms:
#
# * **parallel:** $Y = \big((\phi(Q)\,\phi(K)^\top) \odot M\big)\, V$, with $M$ the causal mask
#   (ones on and below the diagonal), each row divided by the row sum of the same masked matrix.
#   Every position at once, through an $n \times n$ matrix, exactly like softmax attention;
# * **recurrent:** the loop over $t$ above, an RNN whose state does not grow with $n$.
#
# The module `r2a.linear_recurrence` writes both in numpy. Any feature map works the same way;
# with $\phi$ the identity or a ReLU we leave out the normaliser (which could vanish), as several
# later models do. We check the two forms against each other in float64.

# %%
n_check, d_k, d_v = 64, 8, 16
Q, K, V = (rng.normal(size=(n_check, d)) / math.sqrt(d) for d in (d_k, d_k, d_v))
# Check (of the code, not evidence): both forms compute the same outputs, for every feature map.
for phi, normalise in (("elu+1", True), ("elu+1", False), ("relu", False), ("identity", False)):
    r2a.cmp(f"phi = {phi}, {'normalised' if normalise else 'no normaliser'}: parallel == recurrent",
            lin.linear_attention_parallel(Q, K, V, phi, normalise),
            lin.linear_attention_recurrent(Q, K, V, phi, normalise), tol=1e-12)
_, (S, z) = lin.linear_attention_recurrent(Q, K, V, return_state=True)
assert S.shape == (d_k, d_v) and z.shape == (d_k,)  # Check: the state's shape does not involve n
print(f"the recurrent state after n = {n_check}: S is {S.shape[0]} x {S.shape[1]}, z has {z.shape[0]} numbers")

# %% [markdown]
# ### What each form costs
#
# The two forms do different amounts of work and keep different things. The parallel form builds
# the masked $n \times n$ matrix: $2n^2 d_k$ FLOPs for $\phi(Q)\phi(K)^\top$ and $2 n^2 d_v$ for the
# product with $V$, and $n^2$ numbers in memory. The recurrent form does $O(d_k d_v)$ work per
# position, $O(n\, d_k d_v)$ in all, and keeps one state.
#
# We measure both. **Memory:** Python's `tracemalloc` records every allocation numpy makes; we take
# the peak while each form runs, minus the output array ($n \times d_v$, which both must return).
# **Time:** the fastest of several runs, repeated over rounds through all lengths (as in
# Lecture 6), for $d_k = d_v = 16$. The recurrent form is a Python loop here, so each step pays
# Python's overhead and its absolute times mean nothing; the claims are about the *slopes*.

# %%
def peak_bytes_beyond_output(fn):
    """Peak bytes numpy allocated while fn() ran (tracemalloc), less the bytes of the array it returns."""
    tracemalloc.start()
    try:
        output = fn()
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - output.nbytes


D_COST = 16
memory_lengths = np.array([128, 256, 512, 1024, 2048])
cost_inputs = {n: [rng.normal(size=(n, D_COST)) / 4 for _ in range(3)] for n in memory_lengths}
peak = {"parallel": [], "recurrent": []}
for n in memory_lengths:
    peak["parallel"].append(peak_bytes_beyond_output(lambda: lin.linear_attention_parallel(*cost_inputs[n])))
    peak["recurrent"].append(peak_bytes_beyond_output(lambda: lin.linear_attention_recurrent(*cost_inputs[n])))
peak = {form: np.array(values) for form, values in peak.items()}
n_by_n = 8 * memory_lengths ** 2  # bytes of one n x n float64 matrix
for i, n in enumerate(memory_lengths):
    print(f"n = {n:>4}: parallel form {peak['parallel'][i] / 2 ** 20:6.1f} MiB beyond the output"
          f" ({peak['parallel'][i] / n_by_n[i]:.1f} n x n matrices)")
memory_slope = timing.scaling_exponent(memory_lengths, peak["parallel"])
assert np.all(peak["parallel"] >= n_by_n), "the parallel form holds at least one n x n matrix"
assert 1.8 < memory_slope < 2.2, memory_slope
assert peak["recurrent"].max() < 32 * 2 ** 10, "the recurrent form's extra memory stays under 32 KiB"
assert peak["recurrent"].max() < 1.2 * peak["recurrent"].min(), "and does not grow with n"
print(f"Asserted: the parallel form's peak grows with slope {memory_slope:.2f} in n (1.8-2.2) and is at least one")
print("          n x n matrix; the recurrent form's stays under 32 KiB at every n, within 20% of its smallest")

# %%
time_lengths = np.array([256, 512, 1024, 2048])
forms = {"parallel": lin.linear_attention_parallel, "recurrent": lin.linear_attention_recurrent}
# Both forms and all lengths in one sweep of interleaved rounds, so a busy moment on the shared
# machine spoils one round of one call, not a whole form or length; each keeps its fastest run.
sweep = [(form, n) for form in forms for n in time_lengths]
best = timing.time_over_sizes(lambda key: (lambda: forms[key[0]](*cost_inputs[key[1]])), sweep, repeats=2, rounds=4)
seconds = {form: best[[i for i, key in enumerate(sweep) if key[0] == form]] for form in forms}
time_slope = {form: timing.scaling_exponent(time_lengths, s) for form, s in seconds.items()}
assert time_slope["parallel"] > 1.5, f"the parallel form's time should grow about like n^2 ({time_slope})"
assert 0.6 < time_slope["recurrent"] < 1.4, f"the recurrent form's time should grow like n ({time_slope})"
assert time_slope["parallel"] > time_slope["recurrent"] + 0.4, time_slope
print("Asserted (timings vary by machine, so they are not printed): from n = 256 to 2048 the parallel form's")
print("          time grows with a slope above 1.5, the recurrent form's with a slope between 0.6 and 1.4")

# %%
# alt: Two log-log panels against sequence length: on the left the measured peak memory of the parallel and the recurrent form of linear attention beyond their output, with one n by n matrix for reference; on the right their measured times with fitted slopes and dotted guides of slope 1 and 2.
fig, (ax_m, ax_t) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
plotting.loglog_fit(ax_m, memory_lengths, peak["parallel"], "parallel form")
ax_m.loglog(memory_lengths, peak["recurrent"], "s-", label="recurrent form (flat)")
ax_m.loglog(memory_lengths, n_by_n, ":", color="0.4", label="one n × n float64 matrix")
ax_m.set(xlabel="sequence length n", ylabel="peak bytes beyond the output (tracemalloc)",
         title=f"memory, d_k = d_v = {D_COST}")
ax_m.legend(fontsize=8)
for form, s in seconds.items():
    plotting.loglog_fit(ax_t, time_lengths, s, f"{form} form")
plotting.slope_guides(ax_t, time_lengths[0], time_lengths[-1], seconds["parallel"][0] / 3)
ax_t.set(xlabel="sequence length n", ylabel="seconds (best of several runs)",
         title="time: the slopes matter, not the heights")
ax_t.legend(fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# The parallel form's memory is about two $n \times n$ matrices (the masked scores and the mask
# that makes them) and grows with a slope close to 2; the recurrent form keeps one $16 \times 16$ state and a
# few vectors, the same at every length. Time follows the work: a slope near 2 for the parallel form,
# near 1 for the loop. Which of the two is faster at these lengths says little, because each step of
# the loop pays Python's overhead of a few microseconds; a compiled loop would be faster, with the
# same slope.
#
# So which form is better? For **generating** text, the recurrent one: one state, constant cost
# per token. For **training**, neither as written: the parallel form is quadratic again and the loop
# is sequential again. Practical implementations split the sequence into chunks, use the parallel
# form inside each chunk and pass the state from chunk to chunk. Section 4 shows a third way, which
# computes the states of a linear recurrence in parallel without any $n \times n$ matrix.
#
# ## 3. Forgetting: decay and gates
#
# The state $S_t = S_{t-1} + \phi(k_t) v_t^\top$ never forgets: a pair written at $s = 1$ counts as
# much at $t = 10{,}000$ as one written just before, and all of them share one $d_k \times d_v$
# matrix. Most recent models multiply the old state by a factor before adding the new pair:
#
# * a **fixed decay** $\gamma \in (0, 1)$, $S_t = \gamma S_{t-1} + k_t v_t^\top$, as in RetNet
#   (Sun et al., 2023), which gives each head its own $\gamma$; RWKV (Peng et al., 2023) similarly
#   learns a decay rate per channel that does not depend on the input;
# * an **input-dependent gate** $\gamma_t \in (0, 1)$, computed from the current input, for
#   instance $\gamma_t = \sigma(w \cdot x_t + b)$, like the LSTM's forget gate. Mamba (Gu & Dao,
#   2023) does this through an input-dependent step size (Section 5), gated linear attention and
#   Gated DeltaNet (Yang et al., 2024) with a gate on the state.
#
# Unrolled, the output at the last position $n$ is $y_n = S_n^\top q_n = \sum_{s \le n}
# \big(\gamma_{s+1} \cdots \gamma_n\big)\,(q_n \cdot k_s)\, v_s$ (the normaliser is usually dropped
# once there is a decay, and we drop it). So the value written $k = n - s$ steps back reaches the
# output with the factor $\gamma_{s+1} \cdots \gamma_n$: $1$ without decay, $\gamma^k$ with a fixed
# decay. As in Lectures 2 and 6 we *measure* the reach with autograd: the gradient
# $\lVert \partial y_n / \partial v_s \rVert$, divided by the part that does not depend on the
# distance, $|q_n \cdot k_s| \sqrt{d_v}$. For the gate we take two inputs that differ in one
# position, 30 steps back, where the second input holds a token that drives its gate close to 0:
# the model's way to say "forget what came before".

# %%
def last_output(V, K, Q, log_gamma):
    """y_n = S_n^T q_n with S_t = gamma_t S_(t-1) + k_t v_t^T and S_0 = 0 (torch, so autograd can differentiate)."""
    S = torch.zeros(K.shape[1], V.shape[1], dtype=V.dtype)
    for t in range(len(V)):
        S = torch.exp(log_gamma[t]) * S + torch.outer(K[t], V[t])
    return S.T @ Q[-1]


N_REACH, D_REACH, GAMMA, RESET_AT = 100, 8, 0.95, 30
K_r, Q_r, V_r, X_r = (torch.from_numpy(rng.normal(size=(N_REACH, D_REACH))) for _ in range(4))
K_r, Q_r = K_r / K_r.norm(dim=1, keepdim=True), Q_r / Q_r.norm(dim=1, keepdim=True)
w_gate = torch.from_numpy(rng.normal(size=D_REACH)) / math.sqrt(D_REACH)
X_reset = X_r.clone()
X_reset[N_REACH - 1 - RESET_AT] = -10 * w_gate / (w_gate @ w_gate)  # w . x = -10: a token that closes its gate


def log_gate(X, bias=3.0):
    return torch.nn.functional.logsigmoid(X @ w_gate + bias)  # log sigma(w . x_t + b), one gate per position


NO_DECAY, FIXED, GATE_1, GATE_2 = ("no decay", f"fixed decay, gamma = {GAMMA}", "gate, input 1",
                                   f"gate, input 2 (reset token {RESET_AT} back)")
log_gammas = {NO_DECAY: torch.zeros(N_REACH, dtype=torch.float64),
              FIXED: torch.full((N_REACH,), math.log(GAMMA), dtype=torch.float64),
              GATE_1: log_gate(X_r), GATE_2: log_gate(X_reset)}
distance = np.arange(N_REACH)  # k = n - s
score = (K_r @ Q_r[-1]).abs().numpy()[::-1]  # |q_n . k_s|, by distance
reach = {name: recurrent.input_gradient_norms(lambda V: last_output(V, K_r, Q_r, lg), V_r)[::-1]
         / (score * math.sqrt(D_REACH)) for name, lg in log_gammas.items()}


def expected_reach(lg):
    """By distance k: the product of the factors gamma_(s+1) ... gamma_n after position s = n - k (1 for k = 0)."""
    after = np.concatenate([[0.0], np.cumsum(lg.numpy()[::-1])[:-1]])  # sums of the last k log factors
    return np.exp(after)


# Check: the measured reach is exactly the product of the factors after position s.
r2a.cmp("no decay: reach == 1", reach[NO_DECAY], np.ones(N_REACH), tol=1e-12)
r2a.cmp(f"fixed decay: reach == {GAMMA}^k", reach[FIXED], GAMMA ** distance, tol=1e-12)
for name in (GATE_1, GATE_2):
    r2a.cmp(f"{name}: reach == product of gates", reach[name], expected_reach(log_gammas[name]), tol=1e-12)


def reach_rate(r, upto=60):
    """Slope of log(reach) against distance over distances 1..upto: the log of the factor per step."""
    return float(np.polyfit(distance[1:upto + 1], np.log(r[1:upto + 1]), 1)[0])


rates = {name: round(reach_rate(r), 3) + 0.0 for name, r in reach.items()}  # + 0.0: a rounded -0.0 prints as 0.0
gates = {name: np.exp(log_gammas[name].numpy()) for name in (GATE_1, GATE_2)}
for name, rate in rates.items():
    print(f"{name:<38} reach at distance 10: {reach[name][10]:.3f}, 60: {reach[name][60]:.2e};"
          f"  fitted rate {rate:+.3f} per step")
print(f"gates of input 1: between {gates[GATE_1].min():.3f} and {gates[GATE_1].max():.3f}; "
      f"the reset token's gate: {gates[GATE_2][N_REACH - 1 - RESET_AT]:.4f}")

# %%
# alt: Semi-log plot of how strongly the last output depends on the value written k steps back, against k, for no decay (flat at 1), a fixed decay of 0.95 (a straight line), and an input-dependent gate on two inputs, the second with a cliff at the reset token 30 steps back.
fig, ax = plt.subplots(figsize=(7.5, 3.8), constrained_layout=True)
for (name, r), style in zip(reach.items(), ("-", "--", "-", "-")):
    ax.semilogy(distance, r, style, lw=2 if name == NO_DECAY else 1.5, label=f"{name} (rate {rates[name]:+.3f})")
ax.axvline(RESET_AT, color="0.6", ls=":", lw=1)
ax.set(xlabel="distance k = n - s", ylabel="reach: ||∂y_n/∂v_s|| / (|q_n·k_s| √d_v)", ylim=(1e-8, 3),
       title="how far back the last output reads, measured with autograd")
ax.legend(fontsize=8, loc="lower left")
plt.show()

# %% [markdown]
# Without decay the line is flat: the memory reaches back as far as attention does (Lecture 6,
# Section 6), at no cost per step of distance. A fixed decay gives a straight line on the log axis,
# with slope exactly $\ln 0.95 = -0.051$: the same exponential forgetting as a linear RNN whose
# spectral radius is $\gamma$ (Lecture 6), but chosen, not accidental. With a gate the rate depends
# on the input: each step back multiplies by that step's gate. The two gated inputs agree exactly up
# to 30 steps back, and then the second one drops by a factor of a thousand at its reset token.
# This is what "selective" means in the state-space literature: the input decides what the state
# keeps.

# %%
assert abs(reach_rate(reach[NO_DECAY])) < 1e-12, "without decay the reach does not change with distance"
assert abs(reach_rate(reach[FIXED]) - math.log(GAMMA)) < 1e-9, "the fixed decay's rate is ln gamma"
input_1, input_2 = reach[GATE_1], reach[GATE_2]
# Check: up to the reset token (distance 30, whose own value is not decayed by its gate) the gates are the same.
r2a.cmp("input 1 vs input 2, distances 0..30", input_1[:RESET_AT + 1], input_2[:RESET_AT + 1], tol=1e-12)
assert np.all(input_2[RESET_AT + 1:] < 1e-2 * input_1[RESET_AT + 1:]), "beyond the reset token, input 2 forgets"
log_factors = np.diff(np.log(input_1))  # the factor per step back, measured
assert log_factors.max() - log_factors.min() > 0.01, "the gated rate per step varies with the input"
assert log_factors.max() < 0 and math.log(gates[GATE_1].min()) < reach_rate(input_1) < 0
print("Asserted: no decay is flat (|rate| under 1e-12); the fixed decay's rate is ln 0.95 to within 1e-9;")
print("          the gated memory's per-step factor varies with the input, its fitted rate lies between the")
print("          logs of its smallest gate and 1, and the reset token cuts everything behind it by over 100x")

# %% [markdown]
# ## 4. A linear recurrence needs only $\log_2 n$ rounds
#
# Every layer so far updates its state by $h_t = a_t \odot h_{t-1} + b_t$: for linear attention
# with a decay, $h_t = S_t$, $a_t = \gamma_t$ and $b_t = k_t v_t^\top$. Lecture 1 showed how to
# compute such a recurrence without going through the positions one by one. Each step is the affine
# map $h \mapsto a_t h + b_t$, and two steps compose into one of the same form:
#
# $$(a_2, b_2) \circ (a_1, b_1) = (a_1 a_2,\; a_2 b_1 + b_2), \qquad
#   a_2 (a_1 h + b_1) + b_2 = (a_1 a_2)\, h + (a_2 b_1 + b_2).$$
#
# Composition is associative, so the prefix compositions $(a_t, b_t) \circ \dots \circ (a_1, b_1)$,
# whose second halves are the states $h_t$ (with $h_0 = 0$), can be computed by a **parallel
# scan** (Hillis & Steele, 1986; Blelloch, 1990): in round $r$ every position combines its block of
# steps with the block ending $2^{r-1}$ positions earlier, all positions at once. After
# $\lceil \log_2 n \rceil$ rounds every position holds its full prefix. Martin & Cundy (2018) used
# exactly this to train linear RNNs in parallel over the sequence, and it is how Mamba trains.
#
# `lin.linear_recurrence_scan` is this scan (Hillis–Steele, for numpy arrays or torch tensors), and
# `graphs.scan_graph(n)` is its dependency graph, with one node per combination, so that
# `graphs.dependency_depth` counts its rounds as it counted the RNN's in Lecture 1. First the
# combination rule itself, then the scan against the loop, on matrix-valued states $S_t$ with a
# scalar gate per step.

# %%
a1, b1, a2, b2, h = rng.uniform(0.1, 1, 4), rng.normal(size=4), rng.uniform(0.1, 1, 4), rng.normal(size=4), \
    rng.normal(size=4)
a12, b12 = lin.combine((a1, b1), (a2, b2))
# Check: the composition of two affine steps is the affine step (a1 a2, a2 b1 + b2).
r2a.cmp("two affine steps == their combination", a2 * (a1 * h + b1) + b2, a12 * h + b12, tol=1e-12)

n_scan = 1000
gamma_scan = rng.uniform(0.8, 1.0, size=(n_scan, 1, 1))       # one gate per step, shared by the state
writes = np.einsum("tk,tv->tkv", rng.normal(size=(n_scan, 4)), rng.normal(size=(n_scan, 8)))  # k_t v_t^T
states_scan, scan_rounds = lin.linear_recurrence_scan(gamma_scan, writes)
r2a.cmp("S_t: scan == loop", states_scan, lin.linear_recurrence_loop(gamma_scan, writes), tol=1e-12)  # Check
print(f"n = {n_scan}: the loop takes {n_scan} dependent steps, the scan {scan_rounds} rounds")

for n in (8, 100, 1000, 4096):
    scan_depth = max(graphs.dependency_depth(graphs.scan_graph(n)).values())
    rnn_depth = max(graphs.dependency_depth(graphs.rnn_graph(n)).values())
    combinations = sum(graphs.nodes_per_round(graphs.scan_graph(n)))
    _, rounds = lin.linear_recurrence_scan(np.ones((n, 1)), np.ones((n, 1)))
    assert scan_depth == rounds == math.ceil(math.log2(n)) and rnn_depth == n  # Check: counts
    print(f"n = {n:>4}: loop (RNN graph) depth {rnn_depth:>4}; scan depth {scan_depth:>2} = ceil(log2 n),"
          f" {combinations:>6,d} combinations ({combinations / n:.1f} per position)")
print("Check: the scan's graph has depth ceil(log2 n), the rounds the scan runs; the loop's has depth n")

# %% [markdown]
# The price of fewer rounds is more work: Hillis–Steele does about $n \log_2 n$ combinations instead
# of $n$ (the printed count per position grows like $\log_2 n$). Blelloch's version of the scan
# does about $2n$ combinations in $2 \log_2 n$ rounds: the same order of work as the loop, which
# matters on long sequences. Either way the rounds, not the combinations, are what a machine with
# enough parallel units waits for. The picture shows both graphs for $n = 8$, each node drawn at the
# round in which it can be computed: the loop is a staircase of 8 rounds, the scan is 3 rounds deep.

# %%
def draw_by_round(ax, graph, title):
    """Each node at (its position, its dependency depth), labelled with the depth; edges from its parents."""
    depth = graphs.dependency_depth(graph)
    for node, parents in graph.items():
        for parent in parents:
            ax.annotate("", xy=(node[1], depth[node]), xytext=(parent[1], depth[parent]),
                        arrowprops=dict(arrowstyle="-|>", color="0.55", lw=0.7, shrinkA=7, shrinkB=7))
    for node, d in depth.items():
        ax.scatter([node[1]], [d], s=260, zorder=3, color="#d62728" if d else "#1f77b4", edgecolor="black", lw=0.6)
        ax.text(node[1], d, str(d), ha="center", va="center", color="white", fontsize=8, fontweight="bold", zorder=4)
    ax.set(xlabel="position t", ylabel="round (dependency depth)", title=title, ylim=(-0.6, 8.6))
    ax.grid(False)


# alt: Two dependency graphs of eight positions with each node drawn at its round: the recurrent loop climbs one round per position to depth 8, while the parallel scan of the same linear recurrence finishes every position within 3 rounds.
fig, (ax_loop, ax_scan) = plt.subplots(1, 2, figsize=(11, 3.6), constrained_layout=True)
draw_by_round(ax_loop, graphs.rnn_graph(8), "loop (Lecture 1's RNN graph): h_t reads h_(t-1) and x_t")
draw_by_round(ax_scan, graphs.scan_graph(8), "parallel scan of h_t = a_t h_(t-1) + b_t")
plt.show()

# %% [markdown]
# ### The correction to "recurrence means $O(n)$ sequential steps"
#
# Lecture 6's table gives a recurrent layer $O(n)$ sequential operations. That holds for the
# recurrences it was about, $h_t = \tanh(W h_{t-1} + U x_t + c)$, and not for recurrence as such, as
# Lecture 1 already noted for the linear case.
# The scan needs one property: that two steps combine into **one step of the same small form**, so
# that a block of any length is described by a few numbers. Affine maps have it: the composition of
# affine maps is affine, with as many parameters as one step. $\tanh$ steps do not:
# $\tanh\big(w_2 \tanh(w_1 h + c_1) + c_2\big)$ is not $\tanh(w h + c)$ for any $w, c$, and each further
# step nests the function once more, so a block of $m$ steps can only be described by all of its
# $m$ steps. We measure it for one scalar example. If two $\tanh$ steps were one, then
# $\operatorname{artanh}$ of their composition would be a straight line in $h$; we fit the best line
# and look at what is left.

# %%
h_grid = np.linspace(-3, 3, 601)
(w1, c1), (w2, c2) = (1.5, 0.3), (2.0, -0.5)
two_tanh_steps = np.tanh(w2 * np.tanh(w1 * h_grid + c1) + c2)
line = np.polyval(np.polyfit(h_grid, np.arctanh(two_tanh_steps), 1), h_grid)
tanh_misfit = float(np.max(np.abs(np.arctanh(two_tanh_steps) - line)))
two_affine_steps = 0.7 * (1.5 * h_grid + 0.3) - 0.5
affine_misfit = float(np.max(np.abs(two_affine_steps - np.polyval(np.polyfit(h_grid, two_affine_steps, 1), h_grid))))
print(f"best straight line through artanh(two tanh steps): off by up to {tanh_misfit:.2f}")
print(f"best straight line through two affine steps: off by less than 1e-12: {affine_misfit < 1e-12}")
assert tanh_misfit > 0.5 and affine_misfit < 1e-12
print("Asserted: two tanh steps are not one tanh step (the best line through artanh misses by more than 0.5);")
print("          two affine steps are one affine step")

# %% [markdown]
# This is why the layers of this lecture keep the state update linear and put every nonlinearity
# *outside* the recurrence: in the feature map, in the gates (which depend on the input, not on the
# state), and in the layers before and after. The gates may be any function of $x_t$, because they
# are computed for all positions at once before the scan; what may not appear is a nonlinear
# function of $h_{t-1}$. An LSTM breaks the rule twice: its gates read $h_{t-1}$, and $h_t$ is a
# $\tanh$ of the cell. So the corrected statement is: a recurrence **linear in its state** needs only
# $\lceil \log_2 n \rceil$ rounds, given enough parallel units; one **nonlinear in its state** has no
# such scan, and its exact states take $n$ sequential steps (short of the iterative methods mentioned
# in Lecture 1).
#
# ## 5. A state-space layer
#
# State-space models (SSMs) arrive at the same kind of layer from signal processing. The S4 line of
# work (Gu et al., 2021, 2022) starts from a continuous-time linear system for one input channel,
#
# $$h'(\tau) = A\, h(\tau) + B\, u(\tau), \qquad y(\tau) = C\, h(\tau),$$
#
# with a state of $N$ numbers, and samples it with a step $\Delta$. With a **diagonal** $A$ (S4D,
# Gu et al., 2022), every state component evolves on its own, and the sampled system is
#
# $$h_t = \bar A \odot h_{t-1} + \bar B\, u_t, \qquad y_t = \operatorname{Re}(C \cdot h_t),$$
#
# where the discretisation gives $\bar A, \bar B$:
#
# * **zero-order hold** (the input held constant over each step): $\bar A = e^{\Delta A}$,
#   $\bar B = (e^{\Delta A} - 1) / A \cdot B$;
# * **bilinear** (the trapezoid rule): $\bar A = (1 + \Delta A/2) / (1 - \Delta A/2)$,
#   $\bar B = \Delta B / (1 - \Delta A/2)$.
#
# The recurrence is linear and, because $\bar A, \bar B, C$ are the same at every step, it can be
# unrolled into a **convolution**: $y_t = \sum_{k=0}^{t} K_k\, u_{t-k}$ with the kernel
# $K_k = \operatorname{Re}\big(C \cdot (\bar A^k \odot \bar B)\big)$. A convolution over the whole
# sequence is one FFT product, $O(n \log n)$: that is how S4 trains, and the recurrence is how it
# generates. We use S4D's "Lin" initialisation, $A_j = -\tfrac12 + i \pi j$ for $j = 0, \dots, N-1$
# (complex: each state component is a damped oscillation; the model's real output takes
# $\operatorname{Re}$).

# %%
N_SSM, n_ssm, step = 16, 2000, 0.01
A_s4d = -0.5 + 1j * np.pi * np.arange(N_SSM)
B_s4d = np.ones(N_SSM, dtype=complex)
C_s4d = (rng.normal(size=N_SSM) + 1j * rng.normal(size=N_SSM)) / math.sqrt(N_SSM)
u_ssm = rng.normal(size=n_ssm)
# Check: the recurrence, the direct convolution and the FFT convolution compute the same outputs.
for method in ("zoh", "bilinear"):
    A_bar, B_bar = lin.discretize(A_s4d, B_s4d, step, method)
    y_recurrent = lin.ssm_recurrent(A_bar, B_bar, C_s4d, u_ssm)
    kernel = lin.ssm_kernel(A_bar, B_bar, C_s4d, n_ssm)
    r2a.cmp(f"{method}: convolution == recurrence", lin.causal_convolution(u_ssm, kernel), y_recurrent, tol=1e-12)
    r2a.cmp(f"{method}: FFT convolution == recurrence", lin.causal_convolution(u_ssm, kernel, fft=True), y_recurrent,
            tol=1e-12)
zoh_A, _ = lin.discretize(A_s4d, B_s4d, step, "zoh")
bilinear_A, _ = lin.discretize(A_s4d, B_s4d, step, "bilinear")
print(f"|A_bar| (the decay per step) is at most {np.abs(zoh_A).max():.4f} (zero-order hold), "
      f"{np.abs(bilinear_A).max():.4f} (bilinear): stable")
assert np.all(np.abs(zoh_A) < 1) and np.all(np.abs(bilinear_A) < 1)  # Check: Re A < 0 gives |A_bar| < 1

# %% [markdown]
# ### The selective variant
#
# A fixed kernel treats every input alike: it cannot decide, from what it reads, to keep one token
# and skip the next. Mamba (Gu & Dao, 2023) makes the step size and the input and output maps depend
# on the input: for channels $c = 1, \dots, D$ with a real, negative diagonal $A_c$,
#
# $$\Delta_t = \operatorname{softplus}(W_\Delta u_t + b_\Delta), \quad B_t = W_B u_t, \quad C_t = W_C u_t,
#   \qquad h_t[c] = e^{\Delta_t[c] A_c} \odot h_{t-1}[c] + \Delta_t[c]\, u_t[c]\, B_t, \quad
#   y_t[c] = C_t \cdot h_t[c].$$
#
# A large $\Delta_t$ makes the decay $e^{\Delta_t A}$ small: the state forgets and the current input
# is written strongly. A small $\Delta_t$ keeps the state and nearly ignores the input. It is the
# gate of Section 3, built into the step size. `lin.SelectiveSSM` is this layer in numpy; with
# `selective=False` the same class uses fixed $\Delta, B, C$, a time-invariant SSM.
#
# Unrolled, $y_t[c] = \sum_{s \le t} M_{t,s}[c]\, \Delta_s[c]\, u_s[c]$, and `coefficients` returns the
# weights $M_{t,s} = C_t \cdot \big(e^{A(\Delta_{s+1} + \dots + \Delta_t)} \odot B_s\big)$. For the
# time-invariant layer they depend only on $t - s$: a convolution. For the selective one we
# measure three things: whether $M$ depends only on $t - s$ for one input, whether it changes from
# one input to another, and whether the layer is linear in its input at all (every convolution
# is). Then we run it with the scan of Section 4.

# %%
D_SEL, N_SEL, n_sel = 4, 8, 48
u_1, u_2 = rng.normal(size=(n_sel, D_SEL)), rng.normal(size=(n_sel, D_SEL))
layers = {"time-invariant": lin.SelectiveSSM.random(rng, D_SEL, N_SEL, selective=False)}
layers["selective"] = lin.SelectiveSSM(**{**vars(layers["time-invariant"]), "selective": True})  # the same A


def shift_dependence(M):
    """Largest |M[t, s] - M[t - s, 0]| over s <= t, relative to max |M|: 0 for a convolution."""
    gaps = [np.abs(M[t, s] - M[t - s, 0]).max() for t in range(len(M)) for s in range(t + 1)]
    return max(gaps) / np.abs(M).max()


measured = {}
for name, layer in layers.items():
    M_1, M_2 = layer.coefficients(u_1), layer.coefficients(u_2)
    measured[name] = {
        "depends on more than t - s": shift_dependence(M_1),
        "changes with the input": np.abs(M_1 - M_2).max() / np.abs(M_1).max(),
        "not linear: y(2u) vs 2 y(u)": np.abs(layer(2 * u_1) - 2 * layer(u_1)).max() / np.abs(2 * layer(u_1)).max(),
    }
    print(f"{name:<15}" + "   ".join(f"{what} {value:.3f}" for what, value in measured[name].items()))
# Check: the time-invariant layer is a convolution, one fixed linear map.
assert all(value < 1e-12 for value in measured["time-invariant"].values())
assert all(value > 0.1 for value in measured["selective"].values()), measured["selective"]
print("Asserted: the time-invariant layer's weights depend on t - s only, the same for every input, and it is")
print("          linear (Check, all below 1e-12); the selective layer's depend on t and s, change between two")
print("          inputs and it is not linear (each measure above 0.1 of the weights' or outputs' size)")
# Check: not a convolution, but still a linear recurrence in its state: the scan gives the loop's outputs.
r2a.cmp("selective SSM: scan == loop", layers["selective"](u_1, method="scan"), layers["selective"](u_1), tol=1e-12)

# %%
# alt: Three heatmaps of the weight with which the input at position s enters the output at position t, for a time-invariant SSM (constant along every diagonal, a convolution) and for a selective SSM on two different inputs (different patterns, not constant along diagonals).
fig, axes = plt.subplots(1, 3, figsize=(12, 3.6), constrained_layout=True)
panels = (("time-invariant, any input", layers["time-invariant"], u_1),
          ("selective, input 1", layers["selective"], u_1), ("selective, input 2", layers["selective"], u_2))
for ax, (title, layer, u) in zip(axes, panels):
    M = np.abs(layer.coefficients(u)[:, :, 0])
    plotting.heatmap(ax, np.log10(np.where(M > 0, M, np.nan)), vmin=-6, vmax=0, colorbar=ax is axes[-1])
    ax.set(title=title, xlabel="input position s", ylabel="output position t")
fig.suptitle("log10 |M[t, s]|, channel 1: the weight of input s in output t")
plt.show()

# %% [markdown]
# The time-invariant layer's weights are constant along every diagonal (a Toeplitz matrix: that is
# what a convolution is). The selective layer's are not, and they change with the input: there is
# no single kernel to hand to an FFT, which is why Mamba gave up S4's convolution. It kept the
# linearity *in the state*, so it trains with a scan instead (the check above), written as a fused
# kernel on GPUs. Its cost is a state of $D \times N$ numbers per layer, carried through the scan.
#
# ## 6. KV cache against a fixed state
#
# Now the bill at generation time. A decoder that generates token $n + 1$ needs, for causal softmax
# attention, the keys and values of all $n$ tokens before it. Recomputing them every step would
# cost the whole prefix each time; so they are **cached**: each step appends one key and one value
# and attends over the cache. We decode a sequence token by token with `lin.KVCache` and check the
# outputs against full causal attention recomputed on the whole sequence. Then we measure the bytes
# of the cache arrays after each step, and those of the states that linear attention
# (`lin.LinearAttentionState`) and the selective SSM keep instead.

# %%
n_decode, d_model = 512, 16
Q_dec, K_dec, V_dec = (rng.normal(size=(n_decode, d_model)) for _ in range(3))
cache = lin.KVCache(d_model, d_model)
linear_state = lin.LinearAttentionState(d_model, d_model)
ssm_state_bytes = layers["selective"].A.size * 8  # D x N float64 numbers: h_t, whatever t
decoded, linear_decoded = [], []
state_bytes = {"KV cache (softmax attention)": [], "linear attention state S, z": []}
for t in range(n_decode):
    decoded.append(cache.step(Q_dec[t], K_dec[t], V_dec[t]))
    linear_decoded.append(linear_state.step(Q_dec[t], K_dec[t], V_dec[t]))
    state_bytes["KV cache (softmax attention)"].append(cache.nbytes)
    state_bytes["linear attention state S, z"].append(linear_state.nbytes)
state_bytes = {name: np.array(values) for name, values in state_bytes.items()}
state_bytes[f"selective SSM state, D = {D_SEL}, N = {N_SEL}"] = np.full(n_decode, ssm_state_bytes)
# Check: decoding with a cache gives the outputs of full recomputation, for both layers.
r2a.cmp("KV cache, token by token == full recompute", np.array(decoded),
        lin.causal_softmax_attention(Q_dec, K_dec, V_dec), tol=1e-12)
r2a.cmp("linear attention state, token by token == parallel form", np.array(linear_decoded),
        lin.linear_attention_parallel(Q_dec, K_dec, V_dec), tol=1e-12)
tokens = np.arange(1, n_decode + 1)
assert np.array_equal(state_bytes["KV cache (softmax attention)"], 2 * tokens * d_model * 8)  # Check: 2 n d x 8 bytes
assert np.all(state_bytes["linear attention state S, z"] == (d_model * d_model + d_model) * 8)  # Check
cache_bytes, linear_bytes = state_bytes["KV cache (softmax attention)"], state_bytes["linear attention state S, z"]
for n in (1, 64, 512):
    print(f"after {n:>3} tokens: KV cache {cache_bytes[n - 1]:>7,d} bytes = 2 n d x 8;"
          f"  linear attention {linear_bytes[n - 1]:,d} bytes;  SSM {ssm_state_bytes} bytes")
print("Check: the cache arrays hold exactly 2 n d float64 numbers, the linear attention state (d + 1) d at every n")

# %%
# alt: Bytes kept per layer against the number of decoded tokens: the KV cache of softmax attention grows in a straight line, while the states of linear attention and of the selective SSM stay flat.
fig, ax = plt.subplots(figsize=(7, 3.6), constrained_layout=True)
for (name, values), style in zip(state_bytes.items(), ("-", "--", ":")):
    ax.plot(tokens, values / 1024, style, lw=2, label=name)
ax.set(xlabel="tokens decoded n", ylabel="KiB kept (float64, one layer, one head)",
       title=f"what a decoder keeps between tokens, d = {d_model} (measured)")
ax.legend(fontsize=8)
plt.show()

# %% [markdown]
# At this toy width the crossing comes early: the linear-attention state, $(d + 1) d$ numbers, is as
# large as the cache of $(d + 1)/2$ tokens. For a model of realistic size the same arithmetic, in
# 16-bit numbers:

# %%
layers_big, width, bytes_per_number = 32, 4096, 2


def kv_cache_bytes(n, layers=layers_big, d=width):
    return 2 * n * d * layers * bytes_per_number  # a key and a value of width d per token, per layer


heads, d_head = 32, 128  # width 4096 as 32 heads of 128
fixed_state_bytes = layers_big * heads * d_head * d_head * bytes_per_number  # one d_head x d_head state per head
for n in (64, 4096, 32768, 131072):
    print(f"n = {n:>6}: KV cache {kv_cache_bytes(n) / 2 ** 30:7.3f} GiB;  "
          f"linear-attention states {fixed_state_bytes / 2 ** 30:.3f} GiB")
assert kv_cache_bytes(4096) == 2 * 2 ** 30 and fixed_state_bytes == kv_cache_bytes(64)  # Check: the arithmetic
assert kv_cache_bytes(131072) == 64 * 2 ** 30  # Check

# %% [markdown]
# A model with 32 layers of width 4096 keeps 2 GiB of cache per sequence at 4096 tokens, 64 GiB at
# 131,072, and reads all of it for every new token (models that share keys and values between
# heads cut this by a constant factor, not its growth). A linear-attention layer with heads of 128
# keeps $128 \times 128$ numbers per head: in all, as much as the cache of 64 tokens, whatever the
# length. That is the price this lecture set out to avoid. The next section asks what the fixed
# state costs in return.
#
# ## 7. The bottleneck returns: associative recall
#
# A fixed state is Lecture 3's fixed-size context again. Whatever a model has read must fit into
# it, and attention's point was that it does not have to. To see what that means for the new layers
# we use the task that Arora et al. (2023, *Zoology*) found to separate them from attention:
# **multi-query associative recall** (MQAR). Each sequence shows $P$ key-value pairs, with distinct
# keys from 32 and values from 16, and then asks for each of those keys again in a random order;
# the model must answer each query with the value that was paired with its key. (We put a key and
# its value in one position, so a single layer can do it; Zoology puts them in consecutive
# positions.)

# %%
keys_example, values_example, answers_example = lin.mqar(np.random.default_rng(0), 1, 4)
print("keys:   ", keys_example[0], "   <- 4 pairs, then the same 4 keys asked in another order")
print("values: ", values_example[0], "   <- 16 marks a query: '?'")
print("answers:", answers_example[0], "              <- the value each query must recall")

# %% [markdown]
# **The models.** Every model embeds a position as $E_\text{key}[\text{key}] + E_\text{value}[\text{value}]$
# in width 32, adds one mixing layer's output to it, and reads the answer with a linear layer
# (`lin.RecallModel`). Only the mixing layer differs:
#
# | mixer | what it keeps between positions, after $n$ positions | numbers |
# |---|---|---|
# | softmax attention, $d_k = 8$, $d_v = 16$ | the KV cache, $n (d_k + d_v)$ | $24n$: 96 to 768 |
# | linear attention, same projections, $\phi = \operatorname{elu} + 1$ | $S$ and $z$, $d_k d_v + d_k$ | 136 |
# | gated SSM, $N = 8$, 16 channels (one decay $\gamma_t$ per step, as in Mamba-2) | $S$, $8 \times 16$ | 128 |
# | LSTM, 64 units | $h$ and $c$, $2 \times 64$ | 128 |
#
# The fixed-state models are matched on their state, 128 numbers (136 with linear attention's
# normaliser), not on parameters: the LSTM has about eight times as many as the others. Attention's
# "state" is its cache, which at $n = 32$ (16 pairs) holds 768. The gated SSM is a selective SSM whose
# decay is one number per step, shared by the whole state, as in Mamba-2 (Dao & Gu, 2024): it computes
# $S_t = \gamma_t S_{t-1} + B_t u_t^\top$, $y_t = S_t^\top C_t$ with $\gamma_t$, $B_t$, $C_t$, $u_t$
# computed from the input, which is gated linear attention without a normaliser. It trains in its parallel
# form; we check first that this is the same function as its recurrence run by the scan.

# %%
torch.manual_seed(0)
gated_check = lin.RecallModel("gated").double()
x_gated = torch.from_numpy(rng.normal(size=(3, 32, 32)))
with torch.no_grad():  # Check: the gated SSM's parallel form is its recurrence, run by the scan of Section 4
    r2a.cmp("gated SSM: parallel form == scan of its recurrence", gated_check.mixer(x_gated),
            gated_check.mixer.recurrent(x_gated), tol=1e-12)
for mixer in lin.RecallModel.MIXERS:
    model = lin.RecallModel(mixer)
    print(f"{mixer:<8} {sum(p.numel() for p in model.parameters()):>6,d} parameters; keeps "
          f"{model.state_floats(4):>3} numbers after 4 positions, {model.state_floats(32):>3} after 32")

# %% [markdown]
# **Training, the same for every model.** 300 Adam steps on batches of 64 fresh sequences, the number
# of pairs cycling through $P = 2, 4, 8, 16$; the loss is the cross-entropy of the answers. For each
# model the learning rate is the better of $3 \times 10^{-3}$ and $10^{-2}$ by validation accuracy on
# seed 0, then seeds 1 and 2 are trained with it. Each seed gives the same batches to every model.
# The accuracy is measured on 1000 fresh test sequences for each $P$; chance is $1/16$.

# %%
PAIRS, STEPS, BATCH, LEARNING_RATES, SEEDS = (2, 4, 8, 16), 300, 64, (3e-3, 1e-2), (0, 1, 2)
NAMES = {"softmax": "softmax attention", "linear": "linear attention", "gated": "gated SSM", "lstm": "LSTM"}


def recall_set(seed, n_samples, n_pairs):
    return lin.as_tensors(*lin.mqar(np.random.default_rng(seed), n_samples, n_pairs))


validation = {P: recall_set(1000 + P, 500, P) for P in PAIRS}
test = {P: recall_set(2000 + P, 1000, P) for P in PAIRS}


def train_recall(mixer, seed, lr, **sizes):
    torch.manual_seed(seed)
    model = lin.RecallModel(mixer, **sizes)
    batches = np.random.default_rng(seed)  # the same stream of batches for every model

    def make_batch(step):
        return lin.as_tensors(*lin.mqar(batches, BATCH, PAIRS[step % len(PAIRS)]))

    training.train(model, make_batch, lin.recall_loss, STEPS, lr=lr)
    return model


def accuracy_by_pairs(model, sets):
    return np.array([lin.recall_accuracy(model, *sets[P]) for P in PAIRS])


accuracy, chosen_lr = {}, {}
for mixer in NAMES:
    candidates = {lr: train_recall(mixer, SEEDS[0], lr) for lr in LEARNING_RATES}
    chosen_lr[mixer] = max(LEARNING_RATES, key=lambda lr: accuracy_by_pairs(candidates[lr], validation).mean())
    models = [candidates[chosen_lr[mixer]]] + [train_recall(mixer, seed, chosen_lr[mixer]) for seed in SEEDS[1:]]
    accuracy[mixer] = np.array([accuracy_by_pairs(model, test) for model in models])  # (seeds, pairs)
    print(f"{NAMES[mixer]:<18} lr {chosen_lr[mixer]:.0e}:  "
          + "  ".join(f"P = {P:>2}: {plotting.seed_range(accuracy[mixer][:, i])}" for i, P in enumerate(PAIRS)))

# %%
# alt: Two panels against the number of key-value pairs: recall accuracy of softmax attention, linear attention, a gated SSM and an LSTM with seed ranges, attention flat at 1 and the fixed-state models falling; and the Fano lower bound on bits recalled against the bits the pairs hold.
fig, (ax_acc, ax_bits) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
styles = {"softmax": "o-", "linear": "s--", "gated": "^-.", "lstm": "D:"}
bits = {mixer: np.array([[bottleneck.bits_delivered(np.full(P, a), 16) for P, a in zip(PAIRS, row)]
                         for row in accuracy[mixer]]) for mixer in NAMES}
for mixer in NAMES:
    plotting.plot_over_seeds(ax_acc, PAIRS, accuracy[mixer], styles[mixer], label=NAMES[mixer])
    plotting.plot_over_seeds(ax_bits, PAIRS, bits[mixer], styles[mixer], label=NAMES[mixer])
ax_acc.axhline(1 / 16, color="0.4", ls=":", lw=1, label="chance (1/16)")
ax_acc.set(xlabel="key-value pairs P", ylabel="recall accuracy, test", ylim=(0, 1.05), xticks=PAIRS,
           title="MQAR, 3 seeds (mean, bars: lowest to highest)")
ax_acc.legend(fontsize=8, loc="lower left")
ax_bits.plot(PAIRS, 4 * np.array(PAIRS), color="0.6", lw=1, label="bits in the pairs' values, 4P")
ax_bits.set(xlabel="key-value pairs P", ylabel="Fano lower bound on bits recalled", xticks=PAIRS,
            title="what the answers prove was remembered")
ax_bits.legend(fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# Softmax attention answers practically every query at every $P$, on every seed: it never has to
# squeeze the pairs into anything smaller than the pairs themselves, because it looks them up in its
# cache. The three fixed-state models do well with 2 pairs and fall as the pairs grow, each on all
# three seeds. At 16 pairs the gated SSM holds up best, the LSTM worst, with eight times the
# parameters; why the
# gated SSM beats linear attention here we do not test (two differences are its unconstrained
# $B_t, C_t$, where $\phi = \operatorname{elu}+1$ makes every key feature positive, and the absence
# of a normaliser).

# %%
attention_acc = accuracy["softmax"]
assert np.all(attention_acc > 0.99), "softmax attention recalls (nearly) every pair at every P, on every seed"
for mixer in ("linear", "gated", "lstm"):
    acc = accuracy[mixer]
    assert np.all(acc[:, 0] > 0.85), f"{mixer}: learns the task with 2 pairs"
    assert np.all(acc[:, 1] <= acc[:, 0] + 0.005), f"{mixer}: no better with 4 pairs than with 2"
    assert np.all(np.diff(acc[:, 1:], axis=1) < 0), f"{mixer}: accuracy falls with every doubling from P = 4 on"
    assert np.all(acc[:, -1] < 0.9) and np.all(acc[:, 0] - acc[:, -1] > 0.1), f"{mixer}: falls by over 0.1 by P = 16"
    assert np.all(acc[:, -1] < attention_acc[:, -1] - 0.1), f"{mixer}: over 0.1 below attention at P = 16"
assert np.all(accuracy["gated"][:, -1] > accuracy["linear"][:, -1]) and \
    np.all(accuracy["linear"][:, -1] > accuracy["lstm"][:, -1]), "at P = 16: gated SSM > linear attention > LSTM"
print("Asserted, on seeds 0, 1 and 2: softmax attention above 0.99 at every P; linear attention, the gated SSM")
print("          and the LSTM above 0.85 at P = 2, no higher at P = 4, lower at every doubling from there, and")
print("          at P = 16 below 0.9, more than 0.1 below their own P = 2 and more than 0.1 below attention;")
print("          at P = 16 the gated SSM above linear attention, and linear attention above the LSTM")

# %% [markdown]
# ### Counting bits, as in Lecture 3
#
# How much must a state hold to answer every query? The values are independent and uniform over 16,
# so $P$ pairs carry $P \log_2 16 = 4P$ bits the keys do not give away: 64 bits at $P = 16$. The
# Fano bound of Lecture 3 (`bottleneck.bits_delivered`) turns an accuracy into a lower bound on the
# bits the answers prove were remembered (right panel above). Attention's answers prove all $4P$
# (its points hide the grey line); the fixed-state models' fall further short as $P$ grows, and the
# LSTM's prove less at 16 pairs than at 4.
#
# Is a state of 128 numbers too small for 64 bits? Counting bits says no: 128 float32 numbers are
# 4096 bits, enough for the values of a thousand pairs. As in Lecture 3, bits are a yardstick, not
# the limit. What limits linear attention and the gated SSM is how their state is written and read.
# Each pair is added as an outer product $\phi(k_j)\, v_j^\top$ into a $d_k \times d_v$ matrix, so the
# read-out for query $i$ is $\phi(q_i)^\top S = \sum_j \big(\phi(q_i) \cdot \phi(k_j)\big)\, v_j$ (the
# gated SSM's has a decay factor in each term). For it to contain no other pair's value, $\phi(q_i)$
# must be orthogonal to every other $\phi(k_j)$ but not to $\phi(k_i)$, which needs the key features
# of all $P$ pairs to be linearly independent: impossible for $P > d_k = 8$, whatever the training.
# Beyond 8 pairs the read-outs are mixtures, and only the final choice of the nearest value can save
# some answers. (The LSTM's state is not such a matrix, and this argument says nothing about it.)
# Attention has no such ceiling, because it keeps every key and value separately and its softmax can
# pick out one of them.
#
# If the state is what limits, a larger state should move the curve. We train linear attention once
# more with keys of $d_k = 16$, a state of $16 \times 16 + 16 = 272$ numbers, with everything else as
# before (the learning rate chosen for $d_k = 8$, the same steps, data and seeds).

# %%
for mixer in NAMES:
    kept = lin.RecallModel(mixer).state_floats(32)  # numbers kept after the 32 positions of 16 pairs
    print(f"{NAMES[mixer]:<18} P = 16: Fano bound {plotting.seed_range(bits[mixer][:, -1])} of 64 bits;"
          f" keeps {kept:>3} numbers = {32 * kept:>6,d} bits in float32")
input_bits = 4 * np.array(PAIRS)
assert np.all(bits["softmax"] > 0.95 * input_bits)
for mixer in ("linear", "gated", "lstm"):
    shortfall = input_bits - bits[mixer]
    assert np.all(shortfall[:, 1] >= shortfall[:, 0]) and np.all(np.diff(shortfall[:, 1:], axis=1) > 0), mixer
    assert np.all(bits[mixer][:, -1] < 0.9 * 64), mixer
    assert np.all(bits[mixer][:, -1] < 32 * 128 / 10), "far below what the state could hold, counted in bits"
assert np.all(bits["lstm"][:, -1] < bits["lstm"][:, 1]), "the LSTM's answers prove less at P = 16 than at P = 4"
print("Asserted, on every seed: attention's answers prove more than 95% of the 4P bits at every P; each")
print("          fixed-state model falls further short from P = 4 on with every doubling (no less short at 4")
print("          than at 2), proves less than 90% of the 64 bits at P = 16, less than a tenth of what its state")
print("          holds in float32, and the LSTM less at P = 16 than at P = 4")

# %%
larger = np.array([accuracy_by_pairs(train_recall("linear", seed, chosen_lr["linear"], d_k=16), test)
                   for seed in SEEDS])
for i, P in enumerate(PAIRS):
    print(f"linear attention, P = {P:>2}: d_k = 8 (136 numbers) {plotting.seed_range(accuracy['linear'][:, i])}"
          f"   d_k = 16 (272 numbers) {plotting.seed_range(larger[:, i])}")
assert np.all(larger[:, 1:] > accuracy["linear"][:, 1:] + 0.03), "a larger state recalls more, from 4 pairs on"
assert np.all(larger[:, -1] > accuracy["linear"][:, -1] + 0.15), "at 16 pairs, much more"
assert np.all(larger[:, -1] < accuracy["softmax"][:, -1]), "and still less than attention"
print("Asserted, on every seed: with d_k = 16 linear attention recalls more than with d_k = 8 at every P from 4")
print("          (by more than 0.03), more than 0.15 more at P = 16, and still less than attention")

# %% [markdown]
# Doubling $d_k$ moves the whole curve up: at 16 pairs, where the key features can now all be
# linearly independent, accuracy rises by more than 0.15 (from about 0.6 to about 0.85), though not
# to attention's 1. A fixed state can be made large enough for a given number of pairs, but its size
# must be chosen in advance, and what does not fit is lost. Attention's cache simply grows with the
# input.
#
# ## 8. Why hybrids
#
# What the measurements of this lecture support:
#
# * **A fixed state is cheap.** A layer that is linear in its state generates with a constant-size
#   state and constant work per token (Sections 2 and 6), where attention's KV cache grows with every
#   token and must be read in full at every step.
# * **And it trains in parallel.** Linearity in the state makes the recurrence associative, so its
#   states take $\lceil \log_2 n \rceil$ rounds, not $n$ (Section 4), or a convolution when the layer is
#   time-invariant (Section 5). The claim "recurrence is sequential" was about nonlinear recurrences.
# * **Gates make forgetting a choice.** A decay forgets at a fixed rate; an input-dependent gate or
#   step size lets the input decide what to keep (Sections 3 and 5), at the cost of the convolution.
# * **But a fixed state cannot recall everything.** On associative recall, with the same training
#   for every model, attention stayed above 0.99 as the pairs grew while every fixed-state model fell,
#   long before its state ran out of bits; a larger state moved the curve up (Section 7).
#
# What they do not show: anything about scale. Our models have one mixing layer and were trained for
# 300 steps on a toy task; nothing here measures language-modelling quality, or how the gap changes
# with model size, training length or state size. Arora et al. (2023) study that question at the
# scale of real language models and report that much of the quality gap they find between attention
# and the convolution and recurrent models they test comes from tokens that need recall of this kind.
#
# **Hybrids** follow from the two halves: keep most layers recurrent, for their fixed state and
# cheap generation, and add a few attention layers, for exact recall from the context. Griffin (De
# et al., 2024) mixes gated linear recurrences with local attention; Jamba (Lieber et al., 2024)
# interleaves Mamba layers with a few Transformer layers. Our measurement supports the hypothesis
# behind them, that a little attention buys back the recall a fixed state loses; it does not prove
# that the mixture is the best use of a given budget, which only experiments at scale can decide.
#
# ## Summary
#
# * Linear attention replaces $\exp(q \cdot k)$ by $\phi(q) \cdot \phi(k)$; then causal attention is an
#   RNN with a $d_k \times d_v$ state $S_t = S_{t-1} + \phi(k_t) v_t^\top$. Its parallel form needs an
#   $n \times n$ matrix (memory slope 2, measured), its recurrent form a constant state.
# * A decay $\gamma$ makes the reach fall as $\gamma^k$; an input-dependent gate lets the input decide,
#   down to erasing the state with one token.
# * A recurrence that is linear in its state is a composition of affine maps, which is associative:
#   a parallel scan computes all states in $\lceil \log_2 n \rceil$ rounds. $\tanh$ steps do not
#   compose into a $\tanh$ step, so nonlinear RNNs keep their $n$ sequential steps.
# * A time-invariant diagonal SSM is also a convolution with $K_k = \operatorname{Re}(C \cdot \bar A^k \bar B)$;
#   a selective one is not (its weights depend on the input), but it is still a scan.
# * Generation: a KV cache holds $2nd$ numbers per layer and grows; the fixed state does not.
# * On multi-query associative recall, softmax attention stayed above 0.99 up to 16 pairs, while
#   linear attention, a gated SSM and an LSTM with 128-number states fell with every doubling of
#   the pairs, on three seeds, and doubling linear attention's key width moved its curve up: the
#   bottleneck of Lecture 3, returned.
#
# ## Self-check
#
# Try each question before opening the answer.
#
# **1.** Linear attention with $\phi(x) = \operatorname{elu}(x) + 1$ has a parallel form and a recurrent
# form. Which would you use to train on sequences of 1,000 tokens, and which to generate one token at
# a time? Why?
#
# <details><summary>Answer</summary>
#
# To generate, the recurrent form: each new token updates the $d_k \times d_v$ state once and reads it
# once, constant work and memory per token, with no cache. To train, not the loop, which runs the
# positions one after another, and for long sequences not the plain parallel form either, which
# builds an $n \times n$ matrix (memory slope 2 in Section 2). In practice, a chunked form: the
# parallel form inside blocks of positions and the recurrence between blocks; or, since the
# recurrence is linear, a parallel scan (Section 4).
# </details>
#
# **2.** Why can a parallel scan compute $h_t = a_t \odot h_{t-1} + b_t$ in $\lceil \log_2 n \rceil$
# rounds, but not $h_t = \tanh(W h_{t-1} + U x_t)$?
#
# <details><summary>Answer</summary>
#
# The scan combines blocks of steps, so it needs a block of any length to be described as compactly
# as one step, and the combination to be associative. Affine maps compose into affine maps:
# $(a_2, b_2) \circ (a_1, b_1) = (a_1 a_2, a_2 b_1 + b_2)$, two vectors, however many steps are
# combined. Two $\tanh$ steps are not a $\tanh$ step (Section 4 measured a misfit above 0.5 for the
# best candidate), and a block of $m$ steps can only be described by all $m$ steps, so there is
# nothing small to combine. Note that the gates of a linear recurrence may depend on the input
# nonlinearly; what must be linear is the dependence on $h_{t-1}$.
# </details>
#
# **3.** A state-space layer can be run as a convolution. Why can Mamba's selective layer not, and
# what does it use instead?
#
# <details><summary>Answer</summary>
#
# A convolution applies the same kernel $K_{t-s}$ to every input: the weight of input $s$ in output $t$
# may depend only on $t - s$. In the selective layer the step $\Delta_t$ and the maps $B_t, C_t$ are
# computed from the input, so the weight $M_{t,s}$ depends on $t$, on $s$ and on the input itself
# (Section 5 measured both, and that the layer is not even linear in its input). It is still linear
# in its *state*, so its states are computed by a parallel scan.
# </details>
#
# **4.** A model with 32 layers of width 4096 generates in 16-bit numbers. How much KV cache does one
# sequence of 8192 tokens need? How much would linear-attention layers with 32 heads of
# $128 \times 128$ states keep instead?
#
# <details><summary>Answer</summary>
#
# $2 \times 8192 \times 4096 \times 32 \times 2$ bytes $= 4$ GiB, twice the 2 GiB of 4096 tokens in
# Section 6, and it doubles again with every doubling of the length. The linear-attention states
# hold $32 \times 32 \times 128 \times 128 \times 2$ bytes $= 32$ MiB at every length, as much as the
# cache of 64 tokens.
# </details>
#
# **5.** Linear attention's state in Section 7 holds 136 float32 numbers, 4352 bits, and 16 pairs
# hold only 64 bits of values. Why does it still fail to recall them all?
#
# <details><summary>Answer</summary>
#
# Because the bound on bits is not the binding limit; the way the state is written and read is.
# Each pair is added as an outer product $\phi(k)\, v^\top$ and read as $\phi(q)^\top S$: a linear
# memory with keys of $d_k = 8$ numbers. A read-out free of the other pairs' values needs the key
# features of all pairs to be linearly independent, and at most 8 vectors of 8 numbers can be; so
# with 16 pairs the read-outs are mixtures, and doubling $d_k$ helped (Section 7). Lecture 3 drew the same lesson
# for the encoder–decoder's context: the bits a vector could hold in principle are far more than
# what a trained model gets through it.
# </details>
#
# **6.** Does Section 7 show that attention is better than state-space models for language
# modelling?
#
# <details><summary>Answer</summary>
#
# No. It shows that on one toy recall task, with one-layer models, a matched fixed state and 300
# training steps, the fixed-state models lose accuracy as the number of pairs grows while attention
# does not. Language modelling needs recall, but also much else, at scales we did not test; a larger
# state already narrowed the gap in Section 7, and more layers or longer training could change it
# further. What the result does support is the reasoning behind hybrid models, that a few attention
# layers could give exact recall back at little cost; we did not train a hybrid, so it does not
# test that.
# </details>
#
# This is the last lecture of the course. The argument that began with one step at a time in
# Lecture 1 ends with recurrence again: linear in its state, computed in parallel, and as limited by
# its fixed size as the encoder–decoder of Lecture 3 was.
