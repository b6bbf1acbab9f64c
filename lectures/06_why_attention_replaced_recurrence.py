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
# # Lecture 6 — Why attention replaced recurrence
#
# *From Recurrence to Attention*, lecture 6 of 6. About 50 minutes to read and run; the notebook
# executes in well under a minute on a 2-core laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (Lecture 1);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (Lecture 3);
# 4. **attention** lets the decoder look back at every input directly (Lecture 4);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. and that is **why attention replaced recurrence** (this lecture).
#
# This last lecture puts a recurrent layer and a self-attention layer side by side and compares
# them on the three lines of Table 1 of Vaswani et al. (2017), *Attention is all you need*: the
# work per layer, the number of sequential operations, and the longest path between two
# positions. Each line is derived, then measured on this CPU.
#
# By the end of this lecture you can
#
# * count the floating-point operations of an RNN, an LSTM and a self-attention layer, check the
#   counts against PyTorch's own counter, and say exactly when self-attention does less work;
# * correct a common mistake in that table: the recurrent layer costs $O(n d^2)$, not $O(n d^3)$;
# * measure forward and backward time of both layers as the sequence grows, and read the slopes;
# * compute the memory of the $n \times n$ attention weights, and see a kernel that avoids storing it;
# * measure the path length between distant positions with gradients, and match it to the
#   dependency graph;
# * state the three reasons attention won, the price it pays, and what came after.
#
# Every claim below is checked by an `assert` in the notebook, so if a claim ever stops holding,
# the notebook stops running.

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

import contextlib
import math

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch.utils.flop_counter import FlopCounterMode

from r2a import graphs, plotting, recurrent, timing

rng = r2a.setup(seed=0)  # seeds numpy, torch and random; one CPU thread; course plot style

# %% [markdown]
# ## 1. The two layers
#
# Both layers turn a sequence of $n$ vectors of width $d$ into another sequence of $n$ vectors of
# width $d$. Write the inputs as the rows of $X \in \mathbb{R}^{n \times d}$.
#
# **A recurrent layer** (Lectures 1 and 2) runs through the positions in order. The plain $\tanh$
# RNN computes $h_t = \tanh(W_h h_{t-1} + W_x x_t + b)$; the LSTM computes four such
# pre-activations per step, one for each of its gates $i, f, o$ and its candidate cell $g$, each
# with its own $W$ acting on $x_t$ and its own $U$ acting on $h_{t-1}$.
#
# **A self-attention layer** (Lecture 5), with one head and $d_k = d_v = d$, computes every
# position at once:
#
# $$Q = X W_Q,\quad K = X W_K,\quad V = X W_V,\qquad
# A = \operatorname{softmax}\!\left(\frac{Q K^\top}{\sqrt{d}}\right),\qquad Y = (A V)\, W_O ,$$
#
# with the softmax taken along each row, so that row $t$ of $A$ holds the weights
# $\alpha_{t,1}, \dots, \alpha_{t,n}$ with which position $t$ mixes the values.
#
# (Each projection also adds a bias, which we leave out of the equations.) For the recurrent side
# we use PyTorch's `torch.nn.RNN`, `torch.nn.LSTM` and `torch.nn.GRU`. For the attention
# side we write the layer ourselves in a few lines of torch: every product stays visible, it can
# hand back the weight matrix $A$ (Section 5 measures its size), and PyTorch's operation counter
# can see inside it (Section 2). With `fused=True` it calls
# `torch.nn.functional.scaled_dot_product_attention` instead, a single fused kernel we come back to
# in Section 5.

# %%
class SelfAttention(torch.nn.Module):
    """One head of self-attention with width d: returns (Y, A), A of shape (..., n, n) or None if fused."""

    def __init__(self, d, fused=False, dtype=torch.float32):
        super().__init__()
        self.q, self.k, self.v, self.o = (torch.nn.Linear(d, d, dtype=dtype) for _ in range(4))
        self.fused = fused

    def forward(self, x):
        Q, K, V = self.q(x), self.k(x), self.v(x)
        if self.fused:  # one kernel for softmax(Q K^T / sqrt(d)) V; it never hands out A
            mixed = torch.nn.functional.scaled_dot_product_attention(Q[..., None, :, :], K[..., None, :, :],
                                                                     V[..., None, :, :])[..., 0, :, :]
            return self.o(mixed), None
        A = torch.softmax(Q @ K.transpose(-2, -1) / math.sqrt(Q.shape[-1]), dim=-1)
        return self.o(A @ V), A


# %% [markdown]
# Before we measure anything with it, we check it against `torch.nn.MultiheadAttention` with one
# head, which stores the three input projections stacked in one `in_proj_weight`. Like
# `torch.nn.Linear`, it stores each weight as the matrix that acts from the left, $q_t = W x_t$,
# the transpose of our $W_Q$; so our `Linear` weights can be copied in as they are. We compare the
# outputs and the weight matrices in float64.

# %%
d_check, n_check = 8, 6
torch.manual_seed(0)
ours = SelfAttention(d_check, dtype=torch.float64)
reference = torch.nn.MultiheadAttention(d_check, num_heads=1, batch_first=True, dtype=torch.float64)
with torch.no_grad():
    reference.in_proj_weight.copy_(torch.cat([ours.q.weight, ours.k.weight, ours.v.weight]))
    reference.in_proj_bias.copy_(torch.cat([ours.q.bias, ours.k.bias, ours.v.bias]))
    reference.out_proj.weight.copy_(ours.o.weight)
    reference.out_proj.bias.copy_(ours.o.bias)
    x_check = torch.from_numpy(rng.normal(size=(2, n_check, d_check)))
    Y_ours, A_ours = ours(x_check)
    Y_ref, A_ref = reference(x_check, x_check, x_check, need_weights=True)
r2a.cmp("Y: our layer vs nn.MultiheadAttention", Y_ours, Y_ref, tol=1e-12)
r2a.cmp("A: our weights vs nn.MultiheadAttention", A_ours, A_ref, tol=1e-12)
r2a.cmp("every row of A sums to 1", A_ours.sum(dim=-1), torch.ones(2, n_check, dtype=torch.float64), tol=1e-12)

# %% [markdown]
# ## 2. Counting the work
#
# We count floating-point operations (FLOPs) of one forward pass over one sequence with this
# convention:
#
# * multiplying an $(a \times b)$ matrix by a $(b \times c)$ matrix costs $2abc$ FLOPs: each of the
#   $ac$ entries of the result is $b$ multiply-adds, and a multiply-add counts as 2 FLOPs;
# * only matrix products count. Biases, nonlinearities, the softmax and the division by
#   $\sqrt{d}$ are element-wise, one or a few FLOPs per entry, and we leave them out.
#
# **Plain RNN.** Each step multiplies a $d \times d$ matrix by a vector twice, $W_x x_t$ and
# $W_h h_{t-1}$, at $2d^2$ FLOPs each. Over $n$ steps:
#
# $$F_\text{RNN}(n, d) = n \cdot 2 \cdot 2d^2 = 4\,n d^2 .$$
#
# **LSTM.** Four gate pre-activations per step, each with the same two products:
#
# $$F_\text{LSTM}(n, d) = n \cdot 4 \cdot 2 \cdot 2d^2 = 16\,n d^2 .$$
#
# **GRU** (the cell of Lecture 3's encoder–decoder). Three blocks (reset gate, update gate,
# candidate state), each again with one product with $x_t$ and one with $h_{t-1}$:
#
# $$F_\text{GRU}(n, d) = n \cdot 3 \cdot 2 \cdot 2d^2 = 12\,n d^2 .$$
#
# (Lecture 1 showed that the products with the inputs can be done for all positions in one matrix
# product before the loop. That changes *when* the work is done, not how much.)
#
# **Self-attention.** Six products, whose shapes we read off the equations of Section 1:
#
# | product | shapes | FLOPs |
# |---|---|---|
# | $Q = X W_Q$ | $(n \times d)(d \times d)$ | $2nd^2$ |
# | $K = X W_K$ | $(n \times d)(d \times d)$ | $2nd^2$ |
# | $V = X W_V$ | $(n \times d)(d \times d)$ | $2nd^2$ |
# | $S = Q K^\top$ | $(n \times d)(d \times n)$ | $2n^2 d$ |
# | $A V$ | $(n \times n)(n \times d)$ | $2n^2 d$ |
# | $Y = (AV) W_O$ | $(n \times d)(d \times d)$ | $2nd^2$ |
#
# $$F_\text{attention}(n, d) = \underbrace{8\,n d^2}_{\text{projections}}
#   + \underbrace{4\,n^2 d}_{\text{mixing positions}} .$$
#
# The projections treat each position on its own, exactly like the recurrent layer's products.
# The mixing term is new: the score matrix $S$ has one entry per *pair* of positions.

# %%
def matmul_flops(a, b, c):
    """FLOPs of an (a x b) @ (b x c) product: a*c entries of b multiply-adds each, 2 FLOPs per multiply-add."""
    return 2 * a * b * c


def rnn_flops(n, d):
    return n * 2 * matmul_flops(d, d, 1)  # W_x x_t and W_h h_(t-1) at every step


def lstm_flops(n, d):
    return n * 4 * 2 * matmul_flops(d, d, 1)  # the same two products for each of four gates


def gru_flops(n, d):
    return n * 3 * 2 * matmul_flops(d, d, 1)  # reset gate, update gate, candidate state


def attention_flops(n, d):
    projections = 4 * matmul_flops(n, d, d)  # Q, K, V and the output projection
    mixing = matmul_flops(n, d, n) + matmul_flops(n, n, d)  # Q K^T, then A V
    return projections + mixing


# %% [markdown]
# A derivation is only as good as its check. PyTorch's `FlopCounterMode` counts the FLOPs of every
# matrix product that actually runs, with the same convention (2 per multiply-add). We run the
# real layers under it. One detail: on a CPU, `torch.nn.LSTM` runs as one fused oneDNN kernel that
# the counter cannot look inside, so for counting only we switch that backend off and the same
# layer runs as ordinary matrix products.

# %%
def counted_flops(fn):
    """Total FLOPs of the matrix products run by fn(), as counted by PyTorch."""
    with FlopCounterMode(display=False) as counter:
        fn()
    return counter.get_total_flops()


@contextlib.contextmanager
def onednn_disabled():
    """Run torch's CPU LSTM as plain matrix products, which FlopCounterMode can see."""
    previous = torch.backends.mkldnn.enabled
    torch.backends.mkldnn.enabled = False
    try:
        yield
    finally:
        torch.backends.mkldnn.enabled = previous


def measured_flops(n, d):
    """Forward FLOPs of nn.RNN, nn.LSTM, nn.GRU and our SelfAttention on one sequence, counted by PyTorch."""
    torch.manual_seed(0)
    x = torch.randn(1, n, d)
    layers = {"rnn": torch.nn.RNN(d, d, batch_first=True), "lstm": torch.nn.LSTM(d, d, batch_first=True),
              "gru": torch.nn.GRU(d, d, batch_first=True), "attention": SelfAttention(d)}
    with torch.no_grad(), onednn_disabled():
        return {name: counted_flops(lambda: layer(x)) for name, layer in layers.items()}


for n, d in [(40, 16), (64, 32), (16, 48)]:
    counted = measured_flops(n, d)
    derived = {"rnn": rnn_flops(n, d), "lstm": lstm_flops(n, d), "gru": gru_flops(n, d),
               "attention": attention_flops(n, d)}
    print(f"n = {n:>2}, d = {d:>2}:  " + "  ".join(f"{name} {counted[name]:>9,d}" for name in counted))
    for name in counted:
        assert counted[name] == derived[name], (name, n, d, counted[name], derived[name])
print("checked: PyTorch's counter gives exactly 4nd^2 (RNN), 16nd^2 (LSTM), 12nd^2 (GRU), 8nd^2 + 4n^2 d (attention)")

# %% [markdown]
# **The recurrent layer is $O(n d^2)$, not $O(n d^3)$.** A version of this comparison that circulates
# in course notes gives the recurrent layer's cost per layer as $O(n d^3)$. That cannot be right:
# each step is a matrix times a *vector*, $d^2$ multiply-adds, not a matrix times a matrix. If the
# cost grew like $d^3$, doubling $d$ would multiply it by 8. The counter says 4:

# %%
width_16, width_32 = measured_flops(32, 16), measured_flops(32, 32)
for name in ("rnn", "lstm", "gru"):
    ratio = width_32[name] / width_16[name]
    print(f"{name}: doubling d from 16 to 32 multiplies the counted FLOPs by {ratio:.1f}")
    assert ratio == 4.0
print("checked: the recurrent layer's work grows like d^2 (O(n d^3) would give a factor 8)")

# %% [markdown]
# **Training costs about three forward passes.** For every product $C = AB$ of the forward pass,
# backpropagation needs $\partial L / \partial A = (\partial L / \partial C)\, B^\top$ and
# $\partial L / \partial B = A^\top (\partial L / \partial C)$: two products of the same size. So a
# forward-and-backward pass costs about $3\times$ the forward FLOPs, for both layers, and the
# orders in $n$ and $d$ do not change. The only product the recurrent layer can skip is the
# gradient with respect to its given initial state $h_0$: one step's worth of state products.

# %%
n, d = 40, 16
torch.manual_seed(0)
x_train = torch.randn(1, n, d, requires_grad=True)
lstm_small, attention_small = torch.nn.LSTM(d, d, batch_first=True), SelfAttention(d)
with onednn_disabled():
    lstm_training = counted_flops(lambda: lstm_small(x_train)[0].sum().backward())
attention_training = counted_flops(lambda: attention_small(x_train)[0].sum().backward())
h0_products = 4 * matmul_flops(d, d, 1)  # U_g h_0 for the four gates: its gradient is not needed
print(f"n = {n}, d = {d}: forward + backward  LSTM {lstm_training:,d} = 3 x {lstm_flops(n, d):,d} - {h0_products:,d}"
      f"   attention {attention_training:,d} = 3 x {attention_flops(n, d):,d}")
assert attention_training == 3 * attention_flops(n, d)
assert lstm_training == 3 * lstm_flops(n, d) - h0_products

# %% [markdown]
# ### The table
#
# Here are the three lines of Table 1 of Vaswani et al. (2017) for the two layers, with the counts
# we just derived beside them:
#
# | layer | complexity per layer | sequential operations | maximum path length |
# |---|---|---|---|
# | recurrent | $O(n d^2)$ — RNN $4nd^2$, GRU $12nd^2$, LSTM $16nd^2$ | $O(n)$ | $O(n)$ |
# | self-attention | $O(n^2 d)$ — in full $8nd^2 + 4n^2 d$ | $O(1)$ | $O(1)$ |
#
# The table's $O(n^2 d)$ is the mixing term. The projections add $8nd^2$, the same order as the whole
# recurrent layer; the table leaves them out, which is fair for the *growth in $n$* but matters
# when you compare constants (Section 3).
#
# The last two columns come from the dependency graphs of Lecture 1: the **sequential operations**
# are the dependency depth, the number of rounds needed with unlimited processors; the **maximum
# path length** is the longest of the shortest paths from an input $x_i$ to an output that depends
# on it. `r2a.graphs` computes both from the graphs (for attention it leaves the few fixed internal
# steps, projections, scores, softmax, mixing, out of the graph: they do not grow with $n$).

# %%
def max_path_length(graph, output_kind, n):
    """Longest shortest path from any input x_i to any output at position j >= i that depends on it."""
    return max(graphs.shortest_path_length(graph, ("x", i), (output_kind, j))
               for i in range(1, n + 1) for j in range(i, n + 1))


print(f"{'n':>4} | {'RNN FLOPs':>10} {'LSTM FLOPs':>11} {'attn FLOPs':>11} | sequential ops  RNN  attn"
      f" | max path  RNN  attn   (d = 16)")
for n in (4, 8, 16, 32):
    rnn_g, attention_g = graphs.rnn_graph(n), graphs.self_attention_graph(n)
    rnn_steps = max(graphs.dependency_depth(rnn_g).values())
    attention_steps = max(graphs.dependency_depth(attention_g).values())
    rnn_path, attention_path = max_path_length(rnn_g, "h", n), max_path_length(attention_g, "y", n)
    print(f"{n:>4} | {rnn_flops(n, 16):>10,d} {lstm_flops(n, 16):>11,d} {attention_flops(n, 16):>11,d} |"
          f" {rnn_steps:>18} {attention_steps:>5} | {rnn_path:>13} {attention_path:>5}")
    assert (rnn_steps, attention_steps, rnn_path, attention_path) == (n, 1, n, 1)
print("checked: sequential operations and maximum path length are n for the RNN and 1 for self-attention")

# %% [markdown]
# ## 3. When does self-attention do less work?
#
# Vaswani et al. observe that self-attention is faster than a recurrent layer when $n$ is smaller
# than $d$. That statement compares the orders in the table, $n^2 d$ against $n d^2$, with the
# constants and the projections dropped. With the full counts the answer depends on which
# recurrent layer you compare with:
#
# * **against an LSTM:** $8nd^2 + 4n^2 d \le 16 n d^2 \iff 4n^2 d \le 8 n d^2 \iff n \le 2d$.
#   Self-attention does less work up to $n = 2d$, where the two are equal, and more beyond;
# * **against a GRU:** $8nd^2 + 4n^2 d \le 12 n d^2 \iff n \le d$. Here, by the coincidence of the
#   constants, the rule "$n < d$" holds as stated;
# * **against a plain RNN:** $8nd^2 + 4n^2 d > 4nd^2$ for every $n \ge 1$. The projections alone
#   cost twice the RNN's whole layer, so self-attention **always** does more FLOPs than a plain RNN.
#
# So "attention is cheaper for short sequences" is a statement about the gated layers, LSTMs and
# GRUs, that were in use in 2017 (and about the $n^2 d$ against $n d^2$ terms), not about the plain
# RNN. We check all three statements exactly for several widths.

# %%
for d in (16, 64, 256, 512, 1024):
    n = np.arange(1, 8 * d + 1)
    cheaper = attention_flops(n, d) <= lstm_flops(n, d)  # element-wise over all n at once
    last_cheaper = int(n[cheaper].max())
    assert np.all(cheaper[:last_cheaper]) and last_cheaper == 2 * d
    assert attention_flops(2 * d, d) == lstm_flops(2 * d, d)
    cheaper_than_gru = attention_flops(n, d) <= gru_flops(n, d)
    assert np.array_equal(cheaper_than_gru, n <= d)
    assert np.all(attention_flops(n, d) >= 2 * rnn_flops(n, d))
    print(f"d = {d:>4}: attention does at most the LSTM's work up to n = {last_cheaper:>4} (= 2d), the GRU's up to"
          f" n = {int(n[cheaper_than_gru].max()):>4} (= d); the plain RNN's never")
print("checked: the crossover is exactly n = 2d against the LSTM and n = d against the GRU;")
print("         against a plain RNN, attention does at least twice the work at every n")

# %% [markdown]
# How big is the difference where it matters? A sentence is tens of tokens; a document can be tens
# of thousands. Widths of real models run from a few hundred to several thousand. With $d = 512$:

# %%
d = 512
for n in (32, 512, 1024, 8192, 65536):
    print(f"n = {n:>5}: attention / LSTM = {attention_flops(n, d) / lstm_flops(n, d):6.2f}   "
          f"attention / RNN = {attention_flops(n, d) / rnn_flops(n, d):6.2f}")
assert round(attention_flops(32, 512) / lstm_flops(32, 512), 3) == 0.516
assert attention_flops(65536, 512) / lstm_flops(65536, 512) == 32.5

# %% [markdown]
# At sentence length the attention layer does about half the LSTM's work; at 65,536 tokens it does
# 32.5 times as much. The figure shows the whole range for $d = 256$, the width we time in
# Section 4, on log-log axes where a power law is a straight line: the recurrent layers and the
# projections have slope 1 in $n$; the mixing term has slope 2 and takes over past $n = 2d$.

# %%
D_FIG = 256
colours = {"attention": "C0", "LSTM": "C1", "GRU": "C3", "plain RNN": "C2"}
n_axis = np.unique(np.logspace(0, 16, 200, base=2).astype(int))
fig, (ax_f, ax_r) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
ax_f.loglog(n_axis, attention_flops(n_axis, D_FIG), lw=2.5, color=colours["attention"],
            label="self-attention, 8nd² + 4n²d")
ax_f.loglog(n_axis, lstm_flops(n_axis, D_FIG), color=colours["LSTM"], label="LSTM, 16nd²")
ax_f.loglog(n_axis, gru_flops(n_axis, D_FIG), color=colours["GRU"], label="GRU, 12nd²")
ax_f.loglog(n_axis, rnn_flops(n_axis, D_FIG), color=colours["plain RNN"], label="plain RNN, 4nd²")
ax_f.loglog(n_axis, 4 * n_axis ** 2 * D_FIG, ":", color="0.3", label="attention's mixing term alone, 4n²d")
ax_f.set(xlabel="sequence length n", ylabel="FLOPs of one forward pass", title=f"work per layer, d = {D_FIG}")
ax_f.legend(fontsize=8)
for name, flops in (("LSTM", lstm_flops), ("GRU", gru_flops), ("plain RNN", rnn_flops)):
    ax_r.loglog(n_axis, attention_flops(n_axis, D_FIG) / flops(n_axis, D_FIG), lw=2, color=colours[name],
                label=f"attention / {name}")
ax_r.axhline(1, color="0.4", lw=1)
ax_r.set(xlabel="sequence length n", ylabel="FLOP ratio", title="attention is cheaper only below the line 1")
ax_r.legend(fontsize=8)
for ax in (ax_f, ax_r):
    ax.axvline(D_FIG, color="0.6", ls="--", lw=1)
    ax.axvline(2 * D_FIG, color="0.2", ls="--", lw=1)
ax_r.text(D_FIG * 0.93, 40, "n = d:\nattention = GRU", ha="right", fontsize=9, color="0.4")
ax_r.text(2 * D_FIG * 1.08, 40, "n = 2d:\nattention = LSTM", ha="left", fontsize=9)
plt.show()

# %% [markdown]
# ## 4. Measuring it: forward and backward time
#
# FLOPs are not seconds. Lecture 1 measured that a time loop of small dependent steps runs far
# below the speed of one large matrix product. Here we time a whole layer both ways, at $d = 256$
# on one sequence ($B = 1$) and one CPU thread, for $n$ from 16 to 2048:
#
# * `torch.nn.LSTM`: the recurrent layer that self-attention replaced in practice (gated layers
#   were what practical models used, for the reasons of Lecture 2), and the one whose FLOPs are
#   comparable to attention's. On a CPU it runs as one compiled oneDNN kernel, so the loop over
#   time runs in compiled code, not in Python;
# * our `SelfAttention` layer of Section 1: six matrix products and a softmax, no loop.
#
# We time the **forward** pass alone (inference, under `torch.no_grad()`) and a **forward and
# backward** pass (one training step's worth of gradient). Each time is the fastest of several runs
# (as in `r2a.timing.best_time`), and the runs are spread over rounds through every layer and
# length, so that a busy moment on the machine spoils one round rather than every run of one
# length. The printed numbers change from run to run and machine to machine; the claims are
# asserted below with wide margins.

# %% tags=["nbval-ignore-output"]
D_TIME = 256
time_lengths = np.array([16, 32, 64, 128, 256, 512, 1024, 2048])
torch.manual_seed(0)
timed_layers = {"LSTM": torch.nn.LSTM(D_TIME, D_TIME, batch_first=True), "self-attention": SelfAttention(D_TIME)}


def forward_only(layer, x):
    def run():
        with torch.no_grad():
            layer(x)
    return run


def forward_and_backward(layer, x):
    def run():
        layer(x)[0].sum().backward()  # both layers return a pair whose first entry is the output sequence
    return run


calls = {}  # (layer, mode, n) -> the call to time
for n in time_lengths:
    x = torch.randn(1, n, D_TIME, requires_grad=True)
    for name, layer in timed_layers.items():
        calls[name, "forward", n] = forward_only(layer, x)
        calls[name, "forward + backward", n] = forward_and_backward(layer, x)
        calls[name, "forward + backward", n]()  # the first call of each size sets up its kernels: not timed

# Repeats are spread over rounds through all sizes, so a busy moment on the shared machine spoils one
# round, not every repeat of one size. Short runs are cheap and noisier: they get more rounds.
rounds = {n: 7 if n <= 512 else 4 for n in time_lengths}
best = {key: np.inf for key in calls}
for round_number in range(max(rounds.values())):
    for (name, mode, n), call in calls.items():
        if round_number < rounds[n]:
            best[name, mode, n] = min(best[name, mode, n], timing.best_time(call, repeats=1, warmup=0))
seconds = {(name, mode): np.array([best[name, mode, n] for n in time_lengths])
           for name in timed_layers for mode in ("forward", "forward + backward")}

flops_forward = {"LSTM": lstm_flops(time_lengths, D_TIME), "self-attention": attention_flops(time_lengths, D_TIME)}
for mode, flop_factor in (("forward", 1), ("forward + backward", 3)):
    print(mode)
    for i, n in enumerate(time_lengths):
        lstm_s, attention_s = seconds["LSTM", mode][i], seconds["self-attention", mode][i]
        rates = [flop_factor * flops_forward[name][i] / seconds[name, mode][i] / 1e9 for name in timed_layers]
        print(f"  n = {n:>4}: LSTM {lstm_s * 1e3:7.2f} ms | attention {attention_s * 1e3:7.2f} ms | "
              f"LSTM / attention {lstm_s / attention_s:5.1f} | "
              f"GFLOP/s  LSTM {rates[0]:5.1f}, attention {rates[1]:5.1f}")

# %% tags=["nbval-ignore-output"]
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, constrained_layout=True)
for ax, mode in zip(axes, ("forward", "forward + backward")):
    for name in timed_layers:
        plotting.loglog_fit(ax, time_lengths, seconds[name, mode], name)
    ax.axvline(D_TIME, color="0.6", ls="--", lw=1)
    ax.axvline(2 * D_TIME, color="0.2", ls="--", lw=1)
    near_bottom = ax.get_xaxis_transform()  # x in data units, y as a fraction of the axes' height
    ax.text(2 * D_TIME * 1.08, 0.04, "n = 2d:\nequal FLOPs", fontsize=9, transform=near_bottom)
    ax.text(D_TIME * 0.93, 0.04, "n = d", ha="right", fontsize=9, color="0.4", transform=near_bottom)
    ax.set(xlabel="sequence length n", title=f"{mode}, d = {D_TIME}, one sequence, one thread")
    ax.set_xticks(time_lengths, [str(n) for n in time_lengths])
    ax.minorticks_off()
    ax.legend(fontsize=8, loc="upper left")
axes[0].set_ylabel("seconds (best of several runs)")
plt.show()

# %% [markdown]
# Three things to read off the plot (the slopes in the legend are fitted over all lengths):
#
# * **The LSTM's time grows linearly** with $n$ once the sequence is long enough for the fixed cost of
#   a call to stop mattering: slope close to 1. Every step waits for the previous one.
# * **At short and medium lengths, self-attention is faster**, forward and backward: two to three
#   times on this machine, and more than 1.5 times at every $n \le d$ in the assertion below.
#   Part of that is fewer FLOPs (between a half and three quarters of the LSTM's for $n \le d$);
#   the rest is *how* the FLOPs are done: a few large matrix products keep the processor's
#   arithmetic units busy, while the LSTM's $n$ small dependent steps cannot. The GFLOP/s printed
#   above show it: over the lengths up to $n = d$, attention gets more arithmetic done per second
#   than the LSTM. Here that gain comes from one core's vector units and caches; on hardware with
#   many parallel units the attention layer's products can be spread over all of them, while the
#   LSTM's $n$ steps stay in a chain of depth $n$ (Section 2).
# * **At large $n$, attention's slope rises toward 2** as the $4n^2d$ term takes over (from $n = d$
#   to $8d$ the FLOP count itself has slope 1.58; 2 is its limit), and by
#   $n = 8d$ it has lost more than half of the lead it had at $n = d$; the FLOP counts of Section 3
#   say where this ends, with attention the more expensive layer by a factor that grows like
#   $n / (4d)$. That is the price in time.

# %%
long_enough = time_lengths >= 128  # where the fixed cost of a call no longer dominates the LSTM's time
short, long = time_lengths <= D_TIME, time_lengths >= D_TIME  # n <= d and n >= d
flop_slope_long = timing.scaling_exponent(time_lengths[long], flops_forward["self-attention"][long])
for mode in ("forward", "forward + backward"):
    lstm_s, attention_s = seconds["LSTM", mode], seconds["self-attention", mode]
    lstm_slope = timing.scaling_exponent(time_lengths[long_enough], lstm_s[long_enough])
    attention_slope_long = timing.scaling_exponent(time_lengths[long], attention_s[long])
    attention_slope_short = timing.scaling_exponent(time_lengths[short], attention_s[short])
    speedup = lstm_s / attention_s
    rate_ratio = speedup * flops_forward["self-attention"] / flops_forward["LSTM"]  # attention's FLOP/s over the LSTM's
    mean_rate_ratio = float(np.exp(np.mean(np.log(rate_ratio[short]))))  # geometric mean over n <= d
    assert 0.7 < lstm_slope < 1.4, f"{mode}: the LSTM's time should grow about linearly (slope {lstm_slope:.2f})"
    assert np.all(speedup[short] > 1.5), f"{mode}: attention should be faster at n <= d ({np.round(speedup, 1)})"
    assert mean_rate_ratio > 1.3, f"{mode}: attention should run more FLOP/s at n <= d ({np.round(rate_ratio, 1)})"
    assert attention_slope_long > 1.25, f"{mode}: attention's slope should approach 2 ({attention_slope_long:.2f})"
    assert attention_slope_long > attention_slope_short + 0.5, f"{mode}: attention's slope should rise with n"
    assert speedup[-1] < 0.5 * speedup[short][-1], f"{mode}: at n = {time_lengths[-1]} attention should lose its lead"
print("checked, forward and forward + backward: the LSTM's time grows with slope 0.7-1.4 for n >= 128;")
print(f"         attention is more than 1.5x faster at every n <= d = {D_TIME}, and runs more than 1.3x the LSTM's")
print("         FLOP/s on average over those lengths; its slope over n >= d exceeds 1.25 (its FLOP count's")
print(f"         slope there is {flop_slope_long:.2f}) and its slope over n <= d by 0.5;")
print(f"         at n = {time_lengths[-1]} its lead over the LSTM has shrunk by more than half compared with n = d")

# %% [markdown]
# ## 5. The price in memory: an $n \times n$ matrix
#
# The weight matrix $A$ has one entry per pair of positions: $n^2$ numbers per head, per sequence,
# per layer, each 4 bytes in float32. The recurrent layer's states, and every other activation of
# either layer, are $n \times d$. We compute the bytes and measure them on the tensor our layer
# returns (`element_size()` bytes per entry times `numel()` entries).

# %%
def weight_matrix_bytes(n, bytes_per_number=4, heads=1, batch=1):
    return batch * heads * n * n * bytes_per_number


torch.manual_seed(0)
memory_layer = SelfAttention(64)
memory_lengths = np.array([64, 128, 256, 512, 1024, 2048])
with torch.no_grad():
    measured_weight_bytes = np.array([(lambda A: A.element_size() * A.numel())(memory_layer(torch.randn(1, n, 64))[1])
                                      for n in memory_lengths])
for n, measured in zip(memory_lengths, measured_weight_bytes):
    print(f"n = {n:>4}: A holds {measured:>10,d} bytes = {measured / 2 ** 20:6.2f} MiB")
assert np.array_equal(measured_weight_bytes, weight_matrix_bytes(memory_lengths))
for n in (8192, 32768, 65536):
    print(f"n = {n:>5}: {weight_matrix_bytes(n) / 2 ** 30:5.2f} GiB per head, per sequence, per layer")
assert weight_matrix_bytes(65536) == 16 * 2 ** 30
layers_and_heads = 12 * 12  # a mid-sized model: 12 layers of 12 heads
print(f"12 layers x 12 heads at n = 4096: {weight_matrix_bytes(4096, heads=layers_and_heads) / 2 ** 30:.0f} GiB")
assert weight_matrix_bytes(4096, heads=layers_and_heads) == 9 * 2 ** 30

# %% [markdown]
# For training, what counts is what the layer must **keep for the backward pass**. PyTorch lets us
# watch every tensor that autograd saves (`torch.autograd.graph.saved_tensors_hooks`). We add up
# the saved activations, each storage counted once and the layer's own parameters left out, for the
# LSTM, for our attention layer, and for the same attention layer with `fused=True`.
#
# The fused kernel, `scaled_dot_product_attention`, runs on this CPU as PyTorch's version of the
# idea behind FlashAttention (Dao et al., 2022): compute the softmax and the weighted sum block by
# block, so that $A$ is never stored, and keep only one number per query (the log of its softmax
# denominator) to recompute the weights in the backward pass. It computes the same function:

# %%
torch.manual_seed(0)
explicit_attention, fused_attention = SelfAttention(64), SelfAttention(64, fused=True)
fused_attention.load_state_dict(explicit_attention.state_dict())
x_same = torch.randn(2, 100, 64)
with torch.no_grad():
    r2a.cmp("fused kernel vs explicit softmax(QK^T/sqrt(d))V", fused_attention(x_same)[0],
            explicit_attention(x_same)[0], tol=1e-5)


# %%
def saved_activation_bytes(layer, x):
    """Bytes of the tensors autograd keeps for the backward pass of layer(x): each storage once, parameters excluded."""
    parameters = {p.untyped_storage().data_ptr() for p in layer.parameters()}
    kept = {}

    def pack(tensor):
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in parameters:
            kept[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        layer(x)
    return sum(kept.values())


torch.manual_seed(0)
memory_layers = {"LSTM": torch.nn.LSTM(64, 64, batch_first=True), "attention, A stored": explicit_attention,
                 "attention, fused kernel": fused_attention}
saved = {name: [] for name in memory_layers}
for n in memory_lengths:
    x = torch.randn(1, n, 64, requires_grad=True)
    for name, layer in memory_layers.items():
        saved[name].append(saved_activation_bytes(layer, x))
saved = {name: np.array(values) for name, values in saved.items()}

# %% tags=["nbval-ignore-output"]
# The LSTM's share includes a oneDNN workspace whose size depends on the oneDNN build.
for i, n in enumerate(memory_lengths):
    print(f"n = {n:>4}: kept for backward  "
          + "  ".join(f"{name} {saved[name][i] / 2 ** 20:6.2f} MiB" for name in saved))

# %%
fig, (ax_a, ax_s) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
n_memory_axis = 2.0 ** np.arange(6, 18)
ax_a.loglog(n_memory_axis, weight_matrix_bytes(n_memory_axis), lw=2, label="A: n × n float32 (computed)")
ax_a.loglog(memory_lengths, measured_weight_bytes, "o", color="C0", label="A: measured, element_size × numel")
ax_a.loglog(n_memory_axis, 4 * n_memory_axis * 256, "--", label="one n × d activation, d = 256")
for label, size in (("1 MiB", 2 ** 20), ("1 GiB", 2 ** 30)):
    ax_a.axhline(size, color="0.6", lw=0.8, ls=":")
    ax_a.text(n_memory_axis[0], size * 1.3, label, fontsize=8, color="0.4")
ax_a.set(xlabel="sequence length n", ylabel="bytes", title="the attention weights of one head, one sequence")
ax_a.legend(fontsize=8, loc="lower right")
for name in saved:
    plotting.loglog_fit(ax_s, memory_lengths, saved[name], name)
ax_s.set(xlabel="sequence length n", ylabel="bytes kept for backward",
         title="activation memory of one layer, d = 64 (measured)")
ax_s.legend(fontsize=8)
plt.show()

# %% [markdown]
# The explicit layer keeps $A$ for the backward pass, so its memory grows toward $n^2$ and, past a few
# hundred positions at $d = 64$, is mostly $A$. The fused kernel keeps exactly the same tensors
# except that $A$, $n^2$ numbers, is replaced by one number per query: its memory grows linearly,
# like the LSTM's. It does not remove the quadratic *time*: every one of the $n^2$ scores is still
# computed, only never stored all at once.

# %%
difference = saved["attention, A stored"] - saved["attention, fused kernel"]
assert np.array_equal(difference, 4 * (memory_lengths ** 2 - memory_lengths)), "A (n^2 floats) vs n floats"
share_of_A = weight_matrix_bytes(memory_lengths) / saved["attention, A stored"]
assert np.all(share_of_A[memory_lengths >= 512] > 0.5), "past a few hundred positions, A is most of the memory"
assert timing.scaling_exponent(memory_lengths[-3:], saved["attention, A stored"][-3:]) > 1.7
for name in ("LSTM", "attention, fused kernel"):
    assert 0.9 < timing.scaling_exponent(memory_lengths[-3:], saved[name][-3:]) < 1.1, name
print("checked: the explicit layer keeps 4(n^2 - n) bytes more than the fused kernel at every n, and from n = 512 on")
print("         A is more than half of what it keeps; its memory grows with slope > 1.7 at the longest lengths,")
print("         the fused kernel's and the LSTM's with slope 0.9-1.1")

# %% [markdown]
# ## 6. Path length, measured with gradients
#
# The third column of the table is the one Lecture 2 was about. A gradient from the last position
# back to position $t$ is multiplied by one Jacobian per edge of the path between them. In a
# recurrent layer the path from $x_t$ to $h_n$ has $n - t + 1$ edges, so the gradient changes
# exponentially with the distance; in a self-attention layer every input is one edge from every
# output.
#
# `r2a.recurrent.input_gradient_norms(fn, x)` measures $\lVert \partial\, \text{fn}(x) / \partial x_t \rVert$
# for every position $t$. We apply it to three untrained layers of width 32, in float64 so tiny
# gradients do not underflow, with `fn` returning the layer's output at the **last** position, and
# average over 8 random sequences of length 100. Beside it we put the structural path length from
# `r2a.graphs.shortest_path_length`.

# %%
D_PATH, N_PATH = 32, 100
x_path = torch.from_numpy(rng.normal(size=(8, N_PATH, D_PATH)))
torch.manual_seed(0)
path_rnn = torch.nn.RNN(D_PATH, D_PATH, batch_first=True, dtype=torch.float64)
torch.manual_seed(0)
path_lstm = torch.nn.LSTM(D_PATH, D_PATH, batch_first=True, dtype=torch.float64)
torch.manual_seed(0)
path_attention = SelfAttention(D_PATH, dtype=torch.float64)
last_position = {
    "RNN (tanh)": lambda x: path_rnn(x)[0][:, -1],
    "LSTM": lambda x: path_lstm(x)[0][:, -1],
    "self-attention": lambda x: path_attention(x)[0][:, -1],
}
distance = np.arange(N_PATH)  # distance n - t of input x_t from the last position
gradient = {name: recurrent.input_gradient_norms(fn, x_path).mean(axis=0)[::-1] for name, fn in last_position.items()}

rnn_g, attention_g = graphs.rnn_graph(N_PATH), graphs.self_attention_graph(N_PATH)
structural = {
    "recurrent": np.array([graphs.shortest_path_length(rnn_g, ("x", N_PATH - s), ("h", N_PATH)) for s in distance]),
    "self-attention": np.array([graphs.shortest_path_length(attention_g, ("x", N_PATH - s), ("y", N_PATH))
                                for s in distance]),
}
far = distance >= 1  # the last position itself also reaches its own output through the query


def tidy(x, digits=2):
    """Round for printing; adding 0.0 turns a rounded -0.0 into 0.0, so the sign never flickers."""
    return round(float(x), digits) + 0.0


rates = {name: float(np.polyfit(distance[1:61], np.log(g[1:61]), 1)[0]) for name, g in gradient.items()}
sigma_max_W_h = float(np.linalg.norm(path_rnn.weight_hh_l0.detach().numpy(), 2))
for name, g in gradient.items():
    print(f"{name:<15} gradient at distance 1: {g[1]:.1e}, 10: {g[10]:.1e}, 50: {g[50]:.1e}, 99: {g[99]:.1e}"
          f"   fitted rate over 1..60: {tidy(rates[name]):+.2f} per step")
print(f"largest singular value of the RNN's W_h: {sigma_max_W_h:.2f}")

# %%
fig, (ax_g, ax_p) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
path_colours = {"RNN (tanh)": "C0", "LSTM": "C1", "self-attention": "C2"}
for name, g in gradient.items():
    ax_g.semilogy(distance[far], g[far], color=path_colours[name],
                  label=f"{name} (rate {tidy(rates[name]):+.2f} per step)")
ax_g.set(xlabel="distance n - t from the last position", ylabel="||d y_n / d x_t||  (mean of 8 sequences)",
         title=f"measured: untrained layers, d = {D_PATH}, n = {N_PATH}", ylim=(1e-40, 10))
ax_g.legend(fontsize=8)
ax_p.plot(distance, structural["recurrent"], color="C0", label="recurrent layer (RNN or LSTM): x_t -> h_n")
ax_p.plot(distance, structural["self-attention"], lw=2.5, color="C2", label="self-attention: x_t -> y_n")
ax_p.set(xlabel="distance n - t from the last position", ylabel="edges on the shortest path",
         title="structural: r2a.graphs.shortest_path_length")
ax_p.legend(fontsize=8)
plt.show()

# %% [markdown]
# The two panels tell the same story. In the RNN the gradient shrinks by a roughly constant factor
# per step: a straight line on the log axis, the same exponential fall-off as in Lecture 2. (It
# vanishes although the largest singular value of this $W_h$ is above 1: as Lecture 2 showed, that
# is necessary for exploding but not sufficient, because the $\tanh'$ factors damp every step.)
# The LSTM's line is less steep, and still a straight line: gates change the rate, not the form.
# Both lines follow the path length on the right, one Jacobian per edge. The attention layer's
# gradient is flat: the input 99 positions back matters about as much as the one next door
# (within a factor of 4, asserted below), because both are one edge away.

# %%
for name in ("RNN (tanh)", "LSTM"):
    assert rates[name] < -0.2, f"{name}: the gradient should fall exponentially with distance"
    assert gradient[name][50] < 1e-8 * gradient[name][1], name
assert rates["RNN (tanh)"] < rates["LSTM"], "the LSTM's gradient falls more slowly than the RNN's"
assert sigma_max_W_h > 1, "the RNN's gradient vanishes although sigma_max(W_h) > 1: saturation (Lecture 2)"
attention_far = gradient["self-attention"][far]
assert abs(rates["self-attention"]) < 0.005, "attention's gradient should not trend with distance"
assert attention_far.max() < 4 * attention_far.min(), "every earlier input should matter to within a factor 4"
assert gradient["self-attention"][99] > 1e10 * gradient["LSTM"][99]
assert np.array_equal(structural["recurrent"], distance + 1) and np.all(structural["self-attention"] == 1)
print("checked: RNN and LSTM gradients fall exponentially with distance (rate < -0.2 per step, below 1e-8 of")
print("         distance 1 at distance 50); attention's has no trend (|rate| < 0.005) and varies by less than a")
print("         factor 4 over all earlier positions; structural paths are n - t + 1 edges against 1")

# %% [markdown]
# One edge does not mean a loud signal. The softmax weights of a row sum to 1, so the gradient that
# reaches the inputs through one output is *shared* among them. At initialisation no weight stands
# out: all are within a factor of 4 of $1/n$, so each earlier input gets a share of order $1/n$:
# doubling the length halves it, at every distance alike.

# %%
with torch.no_grad():
    last_row = path_attention(x_path)[1][:, -1].numpy()  # weights of the last position, one row per sequence
print(f"weights of the last position, times n: between {N_PATH * last_row.min():.2f} and {N_PATH * last_row.max():.2f}")
assert 0.25 < N_PATH * last_row.min() and N_PATH * last_row.max() < 4, "every weight within a factor 4 of 1/n"

x_half = torch.from_numpy(rng.normal(size=(8, N_PATH // 2, D_PATH)))
gradient_half = recurrent.input_gradient_norms(last_position["self-attention"], x_half).mean(axis=0)[::-1]
halving = float(gradient_half[1:].mean() / attention_far.mean())
print(f"mean gradient per earlier position, n = {N_PATH // 2} over n = {N_PATH}: {halving:.1f}")
assert 1.6 < halving < 2.5

# %% [markdown]
# What the short path buys is not a large gradient everywhere but a gradient that does not decay
# with distance: when training has taught a row of $A$ to put its weight on the one position that
# matters, the signal reaches that position in one step, however far back it is.
# A recurrent layer has no such option; its signal must survive every link of the chain.
#
# ## 7. Why attention won, and what it costs
#
# The measurements of this course add up to three reasons.
#
# 1. **Parallelisation.** A recurrent layer needs $n$ sequential steps, whatever the hardware
#    (Lecture 1; Section 2 here); self-attention needs a fixed handful of steps, each a large
#    matrix product. Even on one CPU thread the attention layer was more than 1.5 times faster
#    (two to three times on this machine) at every length up to $n = d$, forward and backward
#    (Section 4); on hardware with many parallel units only attention can use them all. Training
#    repeats such passes over and over, so the time of one pass sets what can be trained at all.
# 2. **Long-range dependencies.** Every pair of positions is one edge apart, so the gradient between
#    them does not shrink with their distance (Section 6), where an RNN's vanishes exponentially and
#    an LSTM's more slowly but still exponentially (Lecture 2). Attention also removes the
#    fixed-size context of the encoder–decoder (Lectures 3 and 4).
# 3. **Efficiency when $n$ is small compared with $d$.** For sentence-length inputs and widths of
#    hundreds, the $n^2 d$ mixing term is small next to the $n d^2$ projections, and self-attention
#    does less work than an LSTM up to $n = 2d$ (Section 3). It never does less than a plain RNN,
#    but plain RNNs were not what it was competing with.
#
# **The price** is the same $n^2$ that made the comparison favourable for short inputs. For long
# ones, time grows quadratically (slope toward 2 in Section 4) and an explicit layer stores an
# $n \times n$ matrix per head: 16 GiB in float32 at $n = 65{,}536$ (Section 5). Long documents,
# audio, and images cut into many patches all run into it.
#
# **What came next** attacks that price from different sides; each is a topic of its own.
#
# * **Local and sparse attention** lets each position attend to a window or a fixed pattern of
#   others instead of all $n$ (Vaswani et al. already list a "restricted" variant; the Sparse
#   Transformer of Child et al., 2019, and Longformer of Beltagy et al., 2020, are examples). The
#   work grows more slowly than $n^2$; in exchange a distant pair may be several edges apart again.
# * **Linear attention** (Katharopoulos et al., 2020) replaces the softmax by a product of feature
#   maps, so the product can be regrouped as $\phi(Q)\,(\phi(K)^\top V)$ and no $n \times n$ matrix
#   is ever formed; the causal version can even be run as a recurrence.
# * **Memory-efficient exact kernels** such as FlashAttention (Dao et al., 2022) compute ordinary
#   attention in tiles without storing $A$. As measured in Section 5, memory becomes linear in $n$;
#   the FLOPs stay quadratic, and the kernel is designed to cut the reads and writes of the GPU's
#   slow main memory.
# * **State-space models** (S4, Gu et al., 2022; Mamba, Gu & Dao, 2023) bring recurrence back, with
#   a twist: the state update is linear in the state, which lets training compute all positions at
#   once (as a convolution or a parallel scan) instead of one step after another, while inference
#   keeps a fixed-size state.
#
# ## Summary
#
# * Counted with 2 FLOPs per multiply-add: a plain RNN layer costs $4nd^2$, a GRU $12nd^2$, an LSTM
#   $16nd^2$, a single-head self-attention layer $8nd^2 + 4n^2d$. PyTorch's counter agrees exactly;
#   a training step costs about three times the forward pass for both kinds of layer.
# * The recurrent layer is $O(nd^2)$, not $O(nd^3)$: doubling $d$ multiplies its work by 4.
# * "Attention is cheaper when $n < d$" compares the $n^2 d$ and $nd^2$ terms. In full, attention
#   does less work than an LSTM up to $n = 2d$, than a GRU up to $n = d$, and always more than a
#   plain RNN.
# * Measured at $d = 256$ on one thread: the LSTM's time grows linearly; attention is faster up to
#   $n = d$ (more than 1.5 times), because it does fewer FLOPs and runs them faster; then its slope
#   rises toward 2 and its lead melts away.
# * The attention weights take $4n^2$ bytes per head in float32 (16 GiB at $n = 65{,}536$); a fused
#   kernel keeps $n$ numbers instead, making memory linear, not time.
# * Gradients from the last position fall exponentially with distance through an RNN or an LSTM and
#   do not depend on distance through self-attention: path length $n - t + 1$ against 1.
#
# ## Self-check
#
# Try each question before opening the answer.
#
# **1.** Take a dependency between an input token $x_i$ and an output $y_j$ far away in the
# sequence. How does attention reduce the structural complexity of establishing it, compared with
# an LSTM?
#
# <details><summary>Answer</summary>
#
# In an LSTM the only route from $x_i$ to position $j$ runs through every state in between: a path
# of $|j - i| + 1$ edges, $O(n)$, each applying the recurrence once, so the signal forward and the
# gradient backward are transformed at every link and tend to fade (Section 6, Lecture 2). Attention
# connects $y_j$ to every $x_i$ directly: the query of position $j$ is compared with the key of
# position $i$, the score becomes a weight $\alpha_{j,i}$, and $v_i$ enters $y_j$ with that weight.
# The path has one edge, $O(1)$, whatever the distance, and all pairs are handled at once instead of
# step by step. Whether the model *uses* the connection is decided by the learned weight, not by
# how far apart the two tokens are.
# </details>
#
# **2.** A handout lists "$O(n)$ complexity in the sequence length" as a drawback of RNNs. Why is that
# not the drawback, and what is?
#
# <details><summary>Answer</summary>
#
# Linear total work is cheap: the recurrent layer's $O(nd^2)$ grows more slowly in $n$ than
# self-attention's $O(n^2 d)$, and at long lengths attention is the more expensive layer (Section 3;
# Section 4 shows its time catching up). The drawbacks are that the $O(n)$ steps are
# **sequential**, so they cannot be spread over parallel hardware, and that distant positions are
# $O(n)$ edges apart, so gradients between them vanish.
# </details>
#
# **3.** The same comparison table is sometimes printed with $O(n d^3)$ for the recurrent layer. How
# would you convince someone that it is wrong, with one experiment?
#
# <details><summary>Answer</summary>
#
# Count or time the layer at width $d$ and $2d$, with $n$ fixed. Each step is a $d \times d$ matrix
# times a vector, $d^2$ multiply-adds, so the work grows by a factor of 4, not 8. PyTorch's counter
# gives exactly 4 (Section 2). The correct entry is $O(n d^2)$.
# </details>
#
# **4.** When is self-attention *not* the cheaper layer?
#
# <details><summary>Answer</summary>
#
# Against a plain RNN, never in FLOPs: its four projections alone cost $8nd^2$, twice the RNN's
# $4nd^2$. Against a GRU beyond $n = d$, against an LSTM beyond $n = 2d$ (for $d = 512$, from
# 1025 tokens on); the ratio to the LSTM is $\tfrac12 + n/(4d)$, 32.5 at $n = 65{,}536$. In memory,
# an explicit layer stores $n^2$ weights per head, which outgrow every $n \times d$ activation once
# $n$ is a few times $d$ (Section 5). In wall-clock time the comparison also depends on how fast
# each layer's FLOPs run: attention's run faster (Section 4), which moves the crossover in seconds
# but cannot stop the $n^2$ term from winning for $n \gg d$.
# </details>
#
# **5.** At $n = d = 256$ the attention layer does three quarters of the LSTM's FLOPs
# ($12nd^2$ against $16nd^2$), yet it ran well over $4/3$ times as fast on this CPU. Where does the
# rest of the gap come from?
#
# <details><summary>Answer</summary>
#
# From how fast the FLOPs run. Attention's work comes as a few large matrix products, which the
# matrix library runs in big, cache-friendly blocks; the LSTM's comes as 256 small steps, each
# waiting for the one before. The printed GFLOP/s show attention doing more arithmetic per second
# (asserted: on average more than 1.3 times the LSTM's rate over $n \le d$). The same number of FLOPs can
# take very different times, and on hardware with many parallel units the difference grows,
# because only attention's products can be spread over them.
# </details>
#
# **6.** How much memory do the attention weights of a model with 12 layers and 12 heads take for one
# sequence of 4096 tokens in float32, if all are kept for the backward pass? What would a fused
# kernel keep instead?
#
# <details><summary>Answer</summary>
#
# $12 \times 12 \times 4096^2 \times 4$ bytes $= 9{,}663{,}676{,}416$ bytes, exactly 9 GiB
# (Section 5 computes it). A FlashAttention-style kernel keeps one number per query instead of a
# row of $n$ weights: $12 \times 12 \times 4096 \times 4$ bytes $= 2{,}359{,}296$ bytes, 2.25 MiB, and
# recomputes the weights during the backward pass.
# </details>
#
# **7.** In Section 6 the attention layer's gradient per earlier position halves when $n$ doubles.
# Does that mean long-range dependencies get harder for attention too?
#
# <details><summary>Answer</summary>
#
# Not in the same way. The halving comes from spreading nearly uniform weights over twice as many
# positions, and it is the same at every distance; an RNN's gradient instead shrinks exponentially
# with distance. A trained layer can put most of a row's weight on the relevant position, and then
# that position receives most of the gradient, however far back it is.
# </details>
#
# **Next:** Assignment 4 asks you to rebuild these measurements yourself, dependency graphs, FLOP
# counts and timings on your own machine, and to write the conclusion in your own words.
