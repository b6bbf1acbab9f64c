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
# # Lecture 1 — Sequences and recurrence
#
# *From Recurrence to Attention*, lecture 1 of 7. About 45 minutes to read and run; the notebook
# executes in well under a minute on a 2-core laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (this lecture);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (Lecture 3);
# 4. **attention** lets the decoder look back at every input directly (Lecture 4);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. that is **why attention replaced recurrence** (Lecture 6);
# 7. and why recurrence **returns**, as linear attention and state-space models, to pay
#    attention's price (Lecture 7).
#
# By the end of this lecture you can
#
# * write the recurrent update and its output layer in numpy and check them against `torch.nn.RNN`;
# * explain, with a dependency graph, why a recurrent layer needs as many sequential steps as the
#   sequence is long, while a batch of sequences costs no extra steps, and why a recurrence that is
#   linear in the state would not (a parallel scan);
# * measure what that means in wall-clock time on your own CPU;
# * say what the simplest alternative, averaging the sequence, throws away.
#
# Each result claimed below is measured in the notebook and checked by an `assert` on that
# measurement, so if a result ever stops holding, the notebook stops with an error. Asserts on an
# identity, a count or a shape are marked *check*: they confirm that the code matches the
# mathematics, and are not evidence for a claim. Timings vary from machine to machine, so the
# notebook prints them without comparing them, and asserts only wide margins.

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

import matplotlib.pyplot as plt
import numpy as np
import torch

from r2a import diagrams, graphs, plotting, timing

rng = r2a.setup(seed=0)  # seeds numpy, torch and random; one CPU thread; course plot style

# %% [markdown]
# ## 1. One model for every length
#
# A sentence, a melody or a sensor trace is a sequence $x_1, x_2, \dots, x_T$ of vectors
# $x_t \in \mathbb{R}^{d_\text{in}}$, and $T$ changes from one example to the next. A recurrent
# network handles any $T$ with a fixed set of weights by carrying a **hidden state**
# $h_t \in \mathbb{R}^{d_h}$ forward, a running summary of everything read so far:
#
# $$h_t = \tanh\left(W_h\, h_{t-1} + W_x\, x_t + b\right), \qquad y_t = W_y\, h_t + b_y .$$
#
# * $W_x \in \mathbb{R}^{d_h \times d_\text{in}}$ brings the new input in,
# * $W_h \in \mathbb{R}^{d_h \times d_h}$ carries the old state forward,
# * $W_y \in \mathbb{R}^{d_\text{out} \times d_h}$ reads an output off the state,
# * $h_0$ is given (usually zeros).
#
# The same matrices are used at every step. That is what lets the model generalise across
# positions, and, as we will see, what forces it to work through the sequence in order.
#
# We build it in numpy, one piece at a time, on a tiny example.

# %%
d_in, d_h, d_out, T = 3, 4, 2, 5

W_x = rng.normal(0, 0.5, size=(d_h, d_in))
W_h = rng.normal(0, 0.5, size=(d_h, d_h))
b = rng.normal(0, 0.1, size=d_h)
W_y = rng.normal(0, 0.5, size=(d_out, d_h))
b_y = rng.normal(0, 0.1, size=d_out)

X = rng.normal(size=(T, d_in))  # one sequence: row t-1 holds x_t
h0 = np.zeros(d_h)


# %% [markdown]
# One step of the recurrence is one line:

# %%
def rnn_step(h_prev, x_t, W_h, W_x, b):
    """h_t = tanh(W_h h_{t-1} + W_x x_t + b) for one time step."""
    return np.tanh(W_h @ h_prev + W_x @ x_t + b)


h1 = rnn_step(h0, X[0], W_h, W_x, b)
print("h_1 =", np.round(h1, 3))


# %% [markdown]
# A whole sequence is that step in a loop. Notice the loop variable: step $t$ needs the `h`
# that step $t-1$ produced. Keep that in mind; it is the subject of the rest of the lecture.

# %%
def rnn_forward(X, h0, W_h, W_x, b):
    """All hidden states h_1 .. h_T of one sequence X of shape (T, d_in), as a (T, d_h) array."""
    states, h = [], h0
    for x_t in X:  # strictly in order: each step consumes the previous state
        h = rnn_step(h, x_t, W_h, W_x, b)
        states.append(h)
    return np.stack(states)


def rnn_outputs(H, W_y, b_y):
    """y_t = W_y h_t + b_y for every step at once: the outputs do not depend on each other."""
    return H @ W_y.T + b_y


H = rnn_forward(X, h0, W_h, W_x, b)
Y = rnn_outputs(H, W_y, b_y)
print("H shape", H.shape, " Y shape", Y.shape)
print("y_T =", np.round(Y[-1], 3))

# %% [markdown]
# The number of parameters does not depend on $T$: the same five arrays serve a sequence of
# five steps or of five thousand. (A *check*, a count: nothing in the formula mentions $T$.)

# %%
n_params = sum(p.size for p in (W_x, W_h, b, W_y, b_y))
print(f"parameters: {n_params}  (= d_h*d_in + d_h*d_h + d_h + d_out*d_h + d_out)")
assert n_params == d_h * d_in + d_h * d_h + d_h + d_out * d_h + d_out  # Check: a count

# %% [markdown]
# ## 2. Checking against `torch.nn.RNN`
#
# A hand-written model is only trustworthy once it agrees with an independent implementation; this
# is a *check* of our code. `torch.nn.RNN` computes $h_t = \tanh(W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh})$: the same
# update, with two bias vectors whose sum plays the role of our single $b$. We copy our weights
# into it (in float64, so the comparison can be tight) and compare every state.
#
# `r2a.cmp` prints one line per check and raises an error if the two disagree beyond the
# tolerance.

# %%
torch_rnn = torch.nn.RNN(d_in, d_h, nonlinearity="tanh", dtype=torch.float64)
with torch.no_grad():
    torch_rnn.weight_ih_l0.copy_(torch.from_numpy(W_x))
    torch_rnn.weight_hh_l0.copy_(torch.from_numpy(W_h))
    torch_rnn.bias_ih_l0.copy_(torch.from_numpy(b))
    torch_rnn.bias_hh_l0.zero_()  # our b = b_ih + b_hh

    readout = torch.nn.Linear(d_h, d_out, dtype=torch.float64)
    readout.weight.copy_(torch.from_numpy(W_y))
    readout.bias.copy_(torch.from_numpy(b_y))

    # torch wants (T, batch, d_in) and the initial state as (layers, batch, d_h)
    H_torch, h_T_torch = torch_rnn(torch.from_numpy(X)[:, None, :], torch.from_numpy(h0)[None, None, :])
    Y_torch = readout(H_torch[:, 0, :])

# Check: our numpy RNN computes what torch.nn.RNN computes.
r2a.cmp("all hidden states h_1..h_T", H, H_torch[:, 0, :], tol=1e-12)
r2a.cmp("final state h_T", H[-1], h_T_torch[0, 0], tol=1e-12)
r2a.cmp("outputs y_1..y_T", Y, Y_torch, tol=1e-12)

# %% [markdown]
# ## 3. Batches are parallel; time is not
#
# In practice we process $B$ sequences at once. Stack the states of all sequences as the rows of a
# matrix $H_{t} \in \mathbb{R}^{B \times d_h}$; one step then becomes one matrix product for the
# whole batch:
#
# $$H_t = \tanh\left(H_{t-1} W_h^\top + X_t W_x^\top + b\right).$$
#
# Two things can be done for all positions at once, because they do not involve the state:
# the input term $X_t W_x^\top + b$ for every $t$, and the outputs $y_t$ once all states are known.
# The term $H_{t-1} W_h^\top$ cannot: it needs the previous state. That one product is the whole
# sequential part of the model. We *check* that the batched loop gives every sequence the states
# it gets on its own.

# %%
def rnn_forward_batched(X, H0, W_h, W_x, b):
    """States of B sequences at once. X: (T, B, d_in), H0: (B, d_h) -> (T, B, d_h)."""
    inputs = X @ W_x.T + b  # every time step in one product: no state involved
    states, H_t = [], H0
    for t in range(len(X)):  # the only loop left: the recurrent part
        H_t = np.tanh(H_t @ W_h.T + inputs[t])
        states.append(H_t)
    return np.stack(states)


B = 6
X_batch = rng.normal(size=(T, B, d_in))
H_batch = rnn_forward_batched(X_batch, np.zeros((B, d_h)), W_h, W_x, b)
H_one_by_one = np.stack([rnn_forward(X_batch[:, i], h0, W_h, W_x, b) for i in range(B)], axis=1)
r2a.cmp("batched loop == one sequence at a time", H_batch, H_one_by_one, tol=1e-12)  # Check
print(f"{B} sequences of length {T}: {T} sequential steps, not {B * T}")

# %% [markdown]
# ## 4. Dependency depth: how many steps must come first?
#
# Imagine a machine with unlimited processors. How many rounds of computation must pass before a
# given value can be computed? That number is the value's **dependency depth**: zero for the
# inputs, and one more than the deepest thing it reads.
#
# `r2a.graphs` describes a layer as a dependency graph and computes the depth of every node. We
# compare the RNN with a layer in which every output position reads every input position directly
# (the shape of the self-attention layer of Lecture 5).

# %%
# alt: Two dependency graphs of eight positions, the recurrent one a chain with depths 1 to 8, the all-to-all one with every output at depth 1.
n = 8
rnn_g, direct_g = graphs.rnn_graph(n), graphs.self_attention_graph(n)
rnn_depth, direct_depth = graphs.dependency_depth(rnn_g), graphs.dependency_depth(direct_g)

fig, (ax_rnn, ax_direct) = plt.subplots(1, 2, figsize=(11, 2.8), constrained_layout=True)
diagrams.draw_dependency_graph(ax_rnn, rnn_g, rnn_depth, title="recurrent layer: h_t reads h_(t-1) and x_t")
diagrams.draw_dependency_graph(ax_direct, direct_g, direct_depth, title="all-to-all layer: y_t reads every x")
fig.suptitle("Numbers: minimum sequential steps before the node can be computed")
plt.show()

# %% [markdown]
# In the recurrent layer, computed as written, the state at position $t$ sits at depth $t$: $h_8$
# reads $h_7$, so no number of processors can start it before $h_7$ is done. In the all-to-all
# layer every output sits at depth 1, whatever the length. The same graphs give the number of
# edges a signal crosses from the first input to the last position, the path a gradient must
# travel backwards (Lecture 2). The depths and paths follow from how the graphs are built, so the
# asserts below are *checks* of `r2a.graphs`:

# %%
for length in (8, 64, 512):
    r_depth = graphs.dependency_depth(graphs.rnn_graph(length))
    d_depth = graphs.dependency_depth(graphs.self_attention_graph(length))
    # Check: depth t for h_t in the chain, depth 1 for every output of the all-to-all layer.
    assert [r_depth[("h", t)] for t in range(1, length + 1)] == list(range(1, length + 1))
    assert {d_depth[("y", t)] for t in range(1, length + 1)} == {1}
    rnn_path = graphs.shortest_path_length(graphs.rnn_graph(length), ("x", 1), ("h", length))
    direct_path = graphs.shortest_path_length(graphs.self_attention_graph(length), ("x", 1), ("y", length))
    print(f"n = {length:>3}: sequential steps  RNN {max(r_depth.values()):>3} | all-to-all {max(d_depth.values())}"
          f"   path x_1 -> last position  RNN {rnn_path:>3} | all-to-all {direct_path}")

# %% [markdown]
# ### Is the chain unavoidable? Only because of the nonlinearity
#
# "Depth $t$" describes the computation *as written*: one step after another. Could a cleverer
# order shorten it? For a **linear** recurrence it can. Take $h_t = a_t \odot h_{t-1} + b_t$, with
# vectors $a_t, b_t$ known in advance (multiplied element by element). Each step is the affine map
# $h \mapsto a_t \odot h + b_t$, and two such maps compose into one of the same form:
#
# $$\big(a_2 \odot (a_1 \odot h + b_1) + b_2\big) = (a_2 \odot a_1) \odot h + (a_2 \odot b_1 + b_2).$$
#
# So the pair $(a_1 a_2,\; a_2 b_1 + b_2)$ describes two steps at once, and since composition is
# associative, neighbouring steps can be combined in a tree. In round 1 every position combines its
# step with the one before it, in round 2 with the pair two before, in round 3 with the block four
# before, and so on: after $\lceil \log_2 n \rceil$ rounds position $t$ holds the map from $h_0$ to
# $h_t$. This is a **parallel (associative) scan**. It does more total work (about $n \log_2 n$
# combinations instead of $n$), but every round is one vectorised operation over all positions.
#
# The $\tanh$ breaks this. $\tanh(W_h \tanh(W_h h + c_1) + c_2)$ is not $\tanh(W h + c)$ for any
# $W, c$: two steps do not compress into one of the same form, so there is nothing for a scan to
# combine, and the exact states are computed one step after another. (Research methods run such
# recurrences in parallel by iterating instead: guess every state, linearise the recurrence around
# the guess, solve that linear recurrence with a scan, repeat until the states settle. Iteration $k$
# fixes at least the first $k$ states, so the worst case is $n$ iterations; how many are needed
# depends on the network.) Below, a small numpy scan; the comparison with the loop is a *check* of
# the code (the algebra above already says they agree), and so is the round count.

# %%
def linear_recurrence_loop(a, b, h0):
    """h_t = a_t * h_(t-1) + b_t for t = 1..n, one step after another. a, b: (n, d); returns (n, d)."""
    states, h = [], h0
    for a_t, b_t in zip(a, b):
        h = a_t * h + b_t
        states.append(h)
    return np.stack(states)


def linear_recurrence_scan(a, b, h0):
    """The same states in ceil(log2 n) rounds. After each round, (A[t], B[t]) is the map h -> A h + B
    from the state `span` steps before position t (or from h_0) to h_t; each round doubles `span`."""
    A, B = a.copy(), b.copy()
    span, rounds, combinations = 1, 0, 0
    while span < len(a):
        # every position t >= span at once: first the block ending at t - span, then the block ending at t
        A_next, B_next = A.copy(), B.copy()
        A_next[span:] = A[span:] * A[:-span]
        B_next[span:] = A[span:] * B[:-span] + B[span:]
        A, B = A_next, B_next
        combinations += len(a) - span
        span, rounds = 2 * span, rounds + 1
    return A * h0 + B, rounds, combinations


n_scan, d_scan = 1000, 4
a_scan = rng.uniform(0.5, 1.0, size=(n_scan, d_scan))
b_scan = rng.normal(size=(n_scan, d_scan))
h0_scan = rng.normal(size=d_scan)
H_scan, scan_rounds, scan_combinations = linear_recurrence_scan(a_scan, b_scan, h0_scan)
r2a.cmp("linear recurrence: scan == loop", H_scan, linear_recurrence_loop(a_scan, b_scan, h0_scan), tol=1e-12)
assert scan_rounds == int(np.ceil(np.log2(n_scan)))  # Check: a count
print(f"n = {n_scan}: the loop takes {n_scan} dependent steps; the scan takes {scan_rounds} rounds "
      f"(ceil(log2 n)) and {scan_combinations} combinations of two steps in total")

# %% [markdown]
# Modern recurrent layers that train fast (the state-space models of Lecture 7) are built
# on exactly this: a state update that is linear in the state, so that training can use a scan.
# With a full matrix $A_t$ in place of the vector $a_t$ the scan still works, but each combination
# is a $d \times d$ matrix product, $d$ times the cost of a step; that is one reason those models use
# a diagonal $a_t$. The $\tanh$ RNN of this lecture has no such shortcut, and from here on "an RNN"
# means that nonlinear one.
#
# This is the correct reading of the often-quoted "an RNN is $O(n)$". The *total work* of a
# recurrent layer is $O(n\,d^2)$ — a product with the $d \times d$ matrix $W_h$ (and one with $W_x$)
# per position — and
# linear work in $n$ is not the problem (the self-attention layer of Lecture 5 does $O(n^2 d)$
# work). The problem is the $O(n)$ **sequential** steps: work that cannot be spread over
# processors, and paths that grow with the distance between two positions.
#
# ## 5. Measuring it: a time loop against the same work done at once
#
# Does the depth show up on a laptop CPU, which has only a few cores? We time two layers that do
# exactly the same arithmetic, with the same weights, on one sequence ($B = 1$, $d = 64$) as $T$
# grows:
#
# * `torch.nn.RNN`, whose time loop runs in compiled code: $h_t = \tanh(W_{ih} x_t + b_{ih} +
#   W_{hh} h_{t-1} + b_{hh})$, $T$ dependent steps;
# * a **position-wise** layer with the same two products and the same weights,
#   $\tanh(W_{ih} x_t + b_{ih} + W_{hh} z_t + b_{hh})$, where $z_t$ is a second input known in
#   advance instead of the previous state. It has the same $2Td^2$ multiply-adds, but no
#   dependency between positions, so it runs as two matrix products over all positions at once.
#
# To see that the two layers differ only in where the second operand comes from, we *check* that
# the position-wise layer, fed the RNN's own states $z_t = h_{t-1}$, returns the RNN's states.

# %%
d = 64
recurrent = torch.nn.RNN(d, d)
W_ih, W_hh = recurrent.weight_ih_l0, recurrent.weight_hh_l0
b_ih, b_hh = recurrent.bias_ih_l0, recurrent.bias_hh_l0


def position_wise(x, z):
    """tanh(W_ih x_t + b_ih + W_hh z_t + b_hh) for every position t at once: the RNN's update, with
    a given z_t where the RNN has h_(t-1). x, z: (T, B, d)."""
    return torch.tanh(torch.nn.functional.linear(x, W_ih, b_ih) + torch.nn.functional.linear(z, W_hh, b_hh))


with torch.no_grad():
    x_check = torch.randn(50, 1, d)
    states_check, _ = recurrent(x_check)
    previous_states = torch.cat([torch.zeros(1, 1, d), states_check[:-1]])  # h_0 .. h_(T-1)
    # Check: same weights, same arithmetic; only the source of the second operand differs.
    r2a.cmp("position-wise layer fed h_(t-1) == nn.RNN", position_wise(x_check, previous_states), states_check, tol=1e-5)

# %% [markdown]
# Each time is the fastest of five runs (`r2a.timing.best_time`), and the sweep over all lengths is
# repeated in three interleaved rounds (`time_over_sizes(..., rounds=3)`), keeping each length's
# fastest time: a busy moment on the machine then spoils one round of one length rather than every
# run of it. The printed numbers still vary from run to run and machine to machine, so the notebook
# tests do not compare them; the claim is asserted below instead, with a wide margin.

# %% tags=["nbval-ignore-output"]
lengths = np.array([16, 32, 64, 128, 256, 512, 1024, 2048])


def time_recurrent(length):
    x = torch.randn(length, 1, d)
    return lambda: recurrent(x)


def time_position_wise(length):
    x, z = torch.randn(length, 1, d), torch.randn(length, 1, d)
    return lambda: position_wise(x, z)


with torch.no_grad():
    t_loop = timing.time_over_sizes(time_recurrent, lengths, rounds=3)
    t_once = timing.time_over_sizes(time_position_wise, lengths, rounds=3)
speedup = t_loop / t_once
for length, a, c, s in zip(lengths, t_loop, t_once, speedup):
    print(f"T = {length:>4}: RNN {a * 1e3:7.3f} ms | position-wise {c * 1e3:6.3f} ms | ratio {s:5.1f}x")

# %% tags=["nbval-ignore-output"]
# alt: Log-log plot of forward time against sequence length for the RNN loop and the position-wise layer, and their time ratio against length.
fig, (ax_t, ax_r) = plt.subplots(1, 2, figsize=(10, 3.6))
slope_loop = plotting.loglog_fit(ax_t, lengths, t_loop, "RNN time loop")
slope_once = plotting.loglog_fit(ax_t, lengths, t_once, "same products, all positions at once")
ax_t.set(xlabel="sequence length T", ylabel="seconds (best of 15)", title="forward pass, one sequence")
ax_t.legend()
ax_r.semilogx(lengths, speedup, "o-")
ax_r.set(xlabel="sequence length T", ylabel="RNN time / position-wise time", title="price of the sequential loop")
plt.show()

# %% [markdown]
# The recurrent layer's time grows in proportion to $T$ (slope close to 1): each step waits for the
# previous one, and each step is too small to keep even one core busy. The position-wise layer does
# the same multiply-adds but hands all positions to the matrix library at once, which processes them
# in large efficient blocks, so it is several times faster at every length we tried. We do not quote
# the ratios: they depend on the machine and on what else it is doing. What the assert below
# requires, on any machine, is a slope between 0.7 and 1.3 for the loop, a ratio above 2 at every
# length and above 4 at the longest.

# %%
assert 0.7 < slope_loop < 1.3, f"the RNN's time should grow about linearly with T (slope {slope_loop:.2f})"
assert speedup.min() > 2, f"the same work at once should be faster at every length (min {speedup.min():.1f}x)"
assert speedup[-1] > 4, f"and clearly faster at T = {lengths[-1]} ({speedup[-1]:.1f}x)"
print(f"asserted: the RNN's time grows about linearly with T (slope in 0.7..1.3); the same products done at once "
      f"are more than 2x faster at every length and more than 4x at T = {lengths[-1]}")

# %% [markdown]
# The batch dimension, by contrast, is free parallelism: each of the $T$ steps becomes a larger
# matrix product, which the hardware runs more efficiently. The time *per sequence* falls as the
# batch grows. (Timed the same way: best of five, in three interleaved rounds.)

# %% tags=["nbval-ignore-output"]
# alt: Log-log plot of the RNN's forward time per sequence against batch size, falling as the batch grows.
batch_sizes = np.array([1, 4, 16, 64, 256])


def time_batch(batch):
    x = torch.randn(256, batch, d)
    return lambda: recurrent(x)


with torch.no_grad():
    t_batch = timing.time_over_sizes(time_batch, batch_sizes, rounds=3)
per_sequence = t_batch / batch_sizes
for batch, total, each in zip(batch_sizes, t_batch, per_sequence):
    print(f"B = {batch:>3}: {total * 1e3:6.2f} ms for the batch, {each * 1e6:7.1f} us per sequence")

fig, ax = plt.subplots(figsize=(5.5, 3.4))
ax.loglog(batch_sizes, per_sequence * 1e6, "o-")
ax.set(xlabel="batch size B", ylabel="microseconds per sequence", title="RNN, T = 256: batching amortises the loop")
plt.show()

# %% [markdown]
# $B = 1$, $T = 256$ is the same call as $T = 256$ in the first sweep, so we compare the batch of 64
# against the faster of those two measurements: noise that slowed one of them cannot make batching
# look better than it is.

# %%
alone = min(t_batch[0], t_loop[list(lengths).index(256)])  # one sequence of length 256, measured twice
assert per_sequence[list(batch_sizes).index(64)] < alone / 4, "a batch of 64 should cost < 1/4 per sequence"
print("asserted: at B = 64 each sequence costs less than a quarter of running it alone")

# %% [markdown]
# ## 6. Mean pooling: the simplest way to pass a sequence on
#
# Before building anything recurrent, there is a much simpler way to turn a sequence of vectors
# $v_1, \dots, v_n$ (word embeddings, or RNN states) into one vector that a classifier can use:
# average them,
#
# $$c = \frac{1}{n} \sum_{i=1}^{n} v_i .$$
#
# It is fast and fully parallel (depth 1). It is also the baseline to beat: the attention of
# Lecture 4 is a *weighted* average whose weights depend on what we are looking for. The plain
# average is the special case in which every score is equal (a *check* of that identity):

# %%
V = rng.normal(size=(7, 5))
uniform_weights = np.exp(np.zeros(7)) / np.exp(np.zeros(7)).sum()  # softmax of all-zero scores
r2a.cmp("mean pooling == softmax(0) weighted sum", V.mean(axis=0), uniform_weights @ V, tol=1e-12)

# %% [markdown]
# What does averaging throw away? First, **order**. Here are three made-up word embeddings: the
# pooled vectors of "dog bites man" and "man bites dog" are the same vector, so no model that
# reads only the average can tell who bit whom; that the averages agree is a *check* (a sum does
# not depend on the order of its terms). The result is the other half: the RNN's final states differ.

# %%
vocab = {word: rng.normal(size=4) for word in ("dog", "bites", "man")}
W_x4, W_h4, b4 = (rng.normal(0, 0.5, size=s) for s in ((4, 4), (4, 4), (4,)))


def embed(sentence):
    return np.stack([vocab[word] for word in sentence.split()])


for sentence in ("dog bites man", "man bites dog"):
    E = embed(sentence)
    print(f"{sentence!r:>16}: mean {np.round(E.mean(axis=0), 3)}   "
          f"RNN h_T {np.round(rnn_forward(E, np.zeros(4), W_h4, W_x4, b4)[-1], 3)}")

mean_gap = np.abs(embed("dog bites man").mean(0) - embed("man bites dog").mean(0)).max()
rnn_gap = np.abs(rnn_forward(embed("dog bites man"), np.zeros(4), W_h4, W_x4, b4)[-1]
                 - rnn_forward(embed("man bites dog"), np.zeros(4), W_h4, W_x4, b4)[-1]).max()
assert mean_gap < 1e-12  # Check: an identity
assert rnn_gap > 1e-2, "the RNN's final state should tell the two orders apart"
print(f"Check: the averages are equal. asserted: the RNN's final states differ by {rnn_gap:.2f} (more than 0.01) in some unit")

# %% [markdown]
# Second, **the weight of any single token**. Change one token of an $n$-token sequence and the
# average moves by exactly $\lVert v_\text{new} - v_\text{old} \rVert / n$: a slope of $-1$ on a
# log-log plot. The longer the sequence, the more one decisive word is drowned out.
#
# For comparison we make the same change to the *first* token and watch the final state of an RNN
# whose $W_h$ is a rotation scaled by 0.9, so it shrinks every vector by 10% per step (and $\tanh$
# can only shrink further, since $|\tanh(u) - \tanh(v)| \le |u - v|$). A change $\Delta$ of the first
# token moves $h_1$ by at most $\lVert W_x \rVert \lVert \Delta \rVert$, and each of the remaining
# $n - 1$ steps shrinks that by at least 10%:
#
# $$\lVert \Delta h_n \rVert \le 0.9^{\,n-1}\, \lVert W_x \rVert\, \lVert \Delta \rVert .$$
#
# So its memory of the first token fades exponentially, faster than any power of $n$: a first
# glimpse of Lecture 2. Both curves below follow from algebra, the average's exactly and the RNN's
# through this bound, so the asserts after the figure are *checks* that the code behaves as the
# algebra says.

# %%
# alt: Log-log plot of how far one changed first token moves the output against sequence length, a straight 1/n line for mean pooling and a much faster fall for the RNN.
n_values = np.array([2, 4, 8, 16, 32, 64, 128])
d_v = 16
W_x16 = rng.normal(0, 1 / np.sqrt(d_v), size=(d_v, d_v))
W_h16 = 0.9 * np.linalg.qr(rng.normal(size=(d_v, d_v)))[0]  # every singular value is 0.9
b16 = np.zeros(d_v)

mean_shift, rnn_shift = [], []
for n_tokens in n_values:
    seq = 0.3 * rng.normal(size=(n_tokens, d_v))
    changed = seq.copy()
    changed[0] = 0.3 * rng.normal(size=d_v)  # replace the first token
    mean_shift.append(np.linalg.norm(changed.mean(0) - seq.mean(0)) / np.linalg.norm(changed[0] - seq[0]))
    h_a = rnn_forward(seq, np.zeros(d_v), W_h16, W_x16, b16)[-1]
    h_b = rnn_forward(changed, np.zeros(d_v), W_h16, W_x16, b16)[-1]
    rnn_shift.append(np.linalg.norm(h_b - h_a) / np.linalg.norm(changed[0] - seq[0]))
mean_shift, rnn_shift = np.array(mean_shift), np.array(rnn_shift)

fig, ax = plt.subplots(figsize=(6, 3.6))
slope_mean = plotting.loglog_fit(ax, n_values, mean_shift, "mean pooling")
ax.loglog(n_values, rnn_shift, "s-", label="RNN final state, W_h = 0.9 x rotation")
ax.set(xlabel="sequence length n", ylabel="shift per unit change of token 1",
       title="how much one token still matters")
ax.legend()
plt.show()

# %%
print(f"mean pooling: slope {slope_mean:.3f} (exactly -1 in theory)")
# Check: the average moves by exactly 1/n of the change.
assert abs(slope_mean + 1) < 1e-9
r2a.cmp("mean pooling shift == 1/n", mean_shift, 1 / n_values, tol=1e-12)
# Check: the RNN stays below its bound 0.9^(n-1) ||W_x||, which at n = 128 is far below 1/128.
rnn_bound = 0.9 ** (n_values - 1) * np.linalg.norm(W_x16, 2)
assert np.all(rnn_shift <= rnn_bound) and rnn_bound[-1] < 1e-3 * mean_shift[-1]
print(f"RNN: shift {rnn_shift[-1]:.1e} at n = {n_values[-1]}, bound {rnn_bound[-1]:.1e}; average: {mean_shift[-1]:.1e}")
print("Check: the average dilutes token 1 as exactly 1/n; the contractive RNN stays below 0.9^(n-1) ||W_x||")

# %% [markdown]
# Both ways of passing a sequence on have a weakness. The average keeps every token equally but
# blurs them together and forgets order; the recurrent state keeps order but must carry everything
# through a chain of $n$ steps, which is slow (Section 5) and, as Lecture 2 shows, lossy. Attention
# will combine the good halves: a weighted average (parallel, depth 1) whose weights are chosen
# for each query.
#
# ## Summary
#
# * An RNN applies one update, $h_t = \tanh(W_h h_{t-1} + W_x x_t + b)$, at every position, with the
#   same weights; its output is $y_t = W_y h_t + b_y$. Our numpy version matches `torch.nn.RNN`.
# * Everything except the product with $W_h$ can be computed for all positions at once. That product,
#   inside the $\tanh$, forces $T$ sequential steps: the state at position $t$ has dependency depth $t$.
#   A *linear* recurrence $h_t = a_t \odot h_{t-1} + b_t$ would not: a parallel scan computes all
#   its states in $\lceil \log_2 T \rceil$ rounds.
# * Measured on this CPU: the time loop grows linearly with $T$ and is slower at every length than
#   the same products done for all positions at once (by more than 2x, asserted); batching, in
#   contrast, makes each sequence cheaper.
# * A recurrent layer's total work is $O(n d^2)$; its drawback is the $O(n)$ sequential steps and
#   the $O(n)$-long path between distant positions, not the linear work.
# * Mean pooling is parallel and simple, but it forgets order and dilutes each token as $1/n$.
#
# ## Self-check
#
# Try each question before opening the answer.
#
# **1.** You have a machine with 1000 cores and one sequence of length 1000. How many sequential
# steps does an RNN's forward pass need? And for 1000 sequences of length 1000?
#
# <details><summary>Answer</summary>
#
# 1000 in both cases. The state at position $t$ of the $\tanh$ RNN has dependency depth $t$, so no
# amount of hardware shortens the chain for one sequence. A batch adds no steps: the 1000 sequences
# are independent, and each step becomes one larger matrix product over the batch. (Were the
# recurrence linear in the state, a parallel scan would need only $\lceil \log_2 1000 \rceil = 10$
# rounds; Section 4.)
# </details>
#
# **2.** Which parts of the RNN's computation can be done for every position at once, and which
# cannot?
#
# <details><summary>Answer</summary>
#
# The input term $W_x x_t + b$ for all $t$ (one product, before the loop) and the outputs
# $y_t = W_y h_t + b_y$ (one product, after it). The recurrent term $W_h h_{t-1}$ and the $\tanh$
# that follows it cannot: each needs the previous state.
# </details>
#
# **3.** How many parameters does the RNN of Section 1 have for $T = 5$, and for $T = 5000$?
#
# <details><summary>Answer</summary>
#
# The same number, $d_h d_\text{in} + d_h^2 + d_h + d_\text{out} d_h + d_\text{out} = 42$ here.
# The weights are shared across time steps; only the number of times they are applied grows.
# </details>
#
# **4.** `torch.nn.RNN` has two bias vectors, `bias_ih_l0` and `bias_hh_l0`. Which single $b$ of our
# equation do they correspond to, and why could we set one of them to zero?
#
# <details><summary>Answer</summary>
#
# Both are added inside the $\tanh$, so only their sum matters: $b = b_{ih} + b_{hh}$. Putting all
# of $b$ into one of them and zeroing the other gives the same function. (Two biases exist for
# compatibility with cuDNN's formulation; they add no expressive power.)
# </details>
#
# **5.** A handout lists "$O(n)$ complexity in the sequence length" as a drawback of RNNs. What is
# wrong with that, and what is the real drawback?
#
# <details><summary>Answer</summary>
#
# Linear total work is cheap; a self-attention layer does $O(n^2 d)$ work against the recurrent
# layer's $O(n d^2)$. The drawback is that the $O(n)$ steps are *sequential*: they cannot be spread
# over processors (Sections 4 and 5), and information between distant positions must cross $O(n)$ steps.
# </details>
#
# **6.** Give two different sequences that mean pooling cannot tell apart. How much does one token
# of a 100-token sequence move the average?
#
# <details><summary>Answer</summary>
#
# Any sequence and a reordering of it ("dog bites man", "man bites dog"). Replacing one token moves
# the average by $\lVert v_\text{new} - v_\text{old} \rVert / 100$: one hundredth of the change.
# </details>
#
# **Next:** Lecture 2 follows the gradient backwards along the chain of Section 4 and asks when it
# survives the trip.
