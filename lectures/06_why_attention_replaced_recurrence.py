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
# *From Recurrence to Attention*, lecture 6 of 7. About 50 minutes to read and run; the notebook
# executes in well under a minute on a 2-core laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (Lecture 1);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (Lecture 3);
# 4. **attention** lets the decoder look back at every input directly (Lecture 4);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. that is **why attention replaced recurrence** (this lecture);
# 7. and why recurrence **returns**, as linear attention and state-space models, to pay
#    attention's price (Lecture 7).
#
# This lecture puts a recurrent layer and a self-attention layer side by side and compares
# them on the three lines of Table 1 of Vaswani et al. (2017), *Attention is all you need*: the
# work per layer, the number of sequential operations, and the longest path between two
# positions. Each line is derived, checked against what PyTorch actually runs, and measured on this
# CPU where it can be: in seconds, in bytes, and in the size of gradients.
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
# Each result claimed below is measured in the notebook and checked by an `assert` on that
# measurement, so if a result ever stops holding, the notebook stops with an error. Asserts on an
# identity, a count or a shape are marked *check*: they confirm that the code matches the
# mathematics, and are not evidence for a claim. In this lecture the FLOP counts, the arithmetic
# on them and the path lengths read off the dependency graphs are checks; the timings, the memory
# kept for the backward pass and the gradients are the measurements.

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
# Check (of the code, not evidence): our layer computes what PyTorch's does.
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
print("Check: PyTorch's counter gives exactly 4nd^2 (RNN), 16nd^2 (LSTM), 12nd^2 (GRU), 8nd^2 + 4n^2 d (attention)")

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
print("Check: the recurrent layer's work grows like d^2 (O(n d^3) would give a factor 8)")

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
print("Check: forward + backward counts 3 x the forward FLOPs (the LSTM less the products with h_0)")

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
print("Check: sequential operations and maximum path length are n for the RNN and 1 for self-attention")

# %% [markdown]
# The depth counts the rounds; the other half of the picture is how many processors each round can
# keep busy. `r2a.graphs.nodes_per_round` counts the nodes computed in each round. Through an RNN,
# one sequence yields one new state per round, so within that sequence extra processors have
# nothing to do. A batch of $B$ sequences (`r2a.graphs.batched`) gives every round $B$ independent
# states to compute: that is how recurrent layers do use parallel hardware (Lecture 1 measured it:
# at $B = 64$ each sequence cost less than a quarter of running it alone). Self-attention computes
# all $n$ positions of one sequence in its single round, and a batch multiplies that by $B$.

# %%
n, B = 16, 8
per_round = {
    "RNN, one sequence": graphs.nodes_per_round(graphs.rnn_graph(n)),
    f"RNN, batch of {B}": graphs.nodes_per_round(graphs.batched(graphs.rnn_graph(n), B)),
    "self-attention, one sequence": graphs.nodes_per_round(graphs.self_attention_graph(n)),
    f"self-attention, batch of {B}": graphs.nodes_per_round(graphs.batched(graphs.self_attention_graph(n), B)),
}
for name, counts in per_round.items():
    print(f"n = {n}, {name:<29} {len(counts):>2} rounds of {max(counts):>3} nodes")
assert per_round["RNN, one sequence"] == [1] * n and per_round[f"RNN, batch of {B}"] == [B] * n
assert per_round["self-attention, one sequence"] == [n] and per_round[f"self-attention, batch of {B}"] == [B * n]
print("Check: within one sequence an RNN computes 1 node per round for n rounds, attention all n in one round;")
print("       a batch of B sequences gives both B times as many nodes per round, in the same number of rounds")

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
# RNN; and, as the next subsection shows, about the attention sublayer, not a whole Transformer
# layer. We check all three statements exactly for several widths (arithmetic on the counts above,
# so these are checks).

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
print("Check: the crossover is exactly n = 2d against the LSTM and n = d against the GRU;")
print("       against a plain RNN, attention does at least twice the work at every n")

# %% [markdown]
# ### A whole Transformer layer
#
# Self-attention is only one of the two sublayers of a Transformer layer. The other is the
# **position-wise feed-forward network**, applied to every position on its own,
# $\operatorname{FFN}(x) = W_2 \operatorname{ReLU}(W_1 x + b_1) + b_2$, with a hidden width
# $d_\text{ff} = 4d$ in Vaswani et al. ($d_\text{ff} = 2048$ for $d = 512$). Its two products,
# $(n \times d)(d \times 4d)$ and $(n \times 4d)(4d \times d)$, cost $2 \cdot 2 \cdot n \cdot d \cdot 4d =
# 16nd^2$: as much as a whole LSTM layer. (The residual connections and layer normalisations
# around both sublayers are element-wise.) A whole layer costs
#
# $$F_\text{Transformer}(n, d) = \underbrace{8\,n d^2}_{\text{projections}}
#   + \underbrace{16\,n d^2}_{\text{feed-forward}} + \underbrace{4\,n^2 d}_{\text{mixing positions}} ,$$
#
# and the comparison with an LSTM layer of the same width changes:
#
# * **the crossover is gone:** $24nd^2 + 4n^2 d > 16nd^2$ at every $n$; the ratio is
#   $\tfrac32 + n/(4d)$, so a whole Transformer layer always does at least 1.5 times the LSTM
#   layer's FLOPs;
# * **what is left of "$n < d$"** is where the quadratic term takes over. Inside the attention
#   sublayer, mixing outweighs the projections beyond $n = 2d$; inside a whole layer it outweighs
#   the rest ($24nd^2$) only beyond $n = 6d$. Below that, most of a Transformer layer's work is
#   position-wise products, linear in $n$.
#
# So the FLOP argument is about swapping the recurrent layer for an attention sublayer. A whole
# Transformer layer does more arithmetic than the LSTM layer it replaces, and has to win on how
# fast that arithmetic runs (Section 4). We build such a layer from our attention layer and check
# the count with PyTorch's counter.

# %%
class TransformerLayer(torch.nn.Module):
    """Vaswani et al.'s encoder layer with one head: self-attention, then a position-wise feed-forward
    network of width d_ff = 4d; each sublayer is added to its input and normalised. Returns (Y, A)."""

    def __init__(self, d):
        super().__init__()
        self.attention = SelfAttention(d)
        self.feed_forward = torch.nn.Sequential(torch.nn.Linear(d, 4 * d), torch.nn.ReLU(), torch.nn.Linear(4 * d, d))
        self.norm_1, self.norm_2 = torch.nn.LayerNorm(d), torch.nn.LayerNorm(d)

    def forward(self, x):
        mixed, A = self.attention(x)
        x = self.norm_1(x + mixed)
        return self.norm_2(x + self.feed_forward(x)), A


def feed_forward_flops(n, d):
    return matmul_flops(n, d, 4 * d) + matmul_flops(n, 4 * d, d)  # up to width 4d, then back down to d


def transformer_layer_flops(n, d):
    return attention_flops(n, d) + feed_forward_flops(n, d)


def mixing_flops(n, d):
    return matmul_flops(n, d, n) + matmul_flops(n, n, d)  # Q K^T and A V: the only terms in n^2


for n, d in [(40, 16), (64, 32), (16, 48)]:
    torch.manual_seed(0)
    layer, x = TransformerLayer(d), torch.randn(1, n, d)
    with torch.no_grad():
        counted = counted_flops(lambda: layer(x))
    print(f"n = {n:>2}, d = {d:>2}: Transformer layer, counted {counted:>9,d}; 24nd^2 + 4n^2 d = "
          f"{transformer_layer_flops(n, d):>9,d}")
    assert counted == transformer_layer_flops(n, d) == 24 * n * d ** 2 + 4 * n ** 2 * d
for d in (16, 64, 256, 512, 1024):
    n = np.arange(1, 8 * d + 1)
    assert np.all(transformer_layer_flops(n, d) > 1.5 * lstm_flops(n, d))
    assert np.array_equal(mixing_flops(n, d) <= transformer_layer_flops(n, d) - mixing_flops(n, d), n <= 6 * d)
    assert np.array_equal(mixing_flops(n, d) <= attention_flops(n, d) - mixing_flops(n, d), n <= 2 * d)
print("Check: PyTorch's counter gives 24nd^2 + 4n^2 d for the whole layer; for d = 16 ... 1024 and every n up to 8d,")
print("       it does more than 1.5 times an LSTM layer's FLOPs, and its mixing term is at most the rest of its")
print("       work exactly up to n = 6d (in the attention sublayer alone, up to n = 2d)")

# %% [markdown]
# How big is the difference where it matters? A sentence is tens of tokens; a document can be tens
# of thousands. Widths of real models run from a few hundred to several thousand. With $d = 512$:

# %%
d = 512
for n in (32, 512, 1024, 3072, 8192, 65536):
    print(f"n = {n:>5}: attention / LSTM = {attention_flops(n, d) / lstm_flops(n, d):6.2f}   "
          f"attention / RNN = {attention_flops(n, d) / rnn_flops(n, d):6.2f}   "
          f"Transformer layer / LSTM = {transformer_layer_flops(n, d) / lstm_flops(n, d):6.2f}")
# Check: the ratios quoted below, from the counts (1/2 + n/(4d) for attention, 3/2 + n/(4d) for the layer).
assert round(attention_flops(32, 512) / lstm_flops(32, 512), 3) == 0.516
assert attention_flops(65536, 512) / lstm_flops(65536, 512) == 32.5
assert round(transformer_layer_flops(32, 512) / lstm_flops(32, 512), 3) == 1.516
assert transformer_layer_flops(65536, 512) / lstm_flops(65536, 512) == 33.5

# %% [markdown]
# At sentence length the attention sublayer does about half the LSTM's work; at 65,536 tokens it
# does 32.5 times as much. A whole Transformer layer does 1.52 times the LSTM's work at sentence
# length and 33.5 times at 65,536 tokens. The figure shows the whole range for $d = 256$, the width
# we time in Section 4, on log-log axes where a power law is a straight line: the recurrent layers
# and the projections have slope 1 in $n$; the mixing term has slope 2 and takes over past $n = 2d$
# in the attention sublayer, past $n = 6d$ in a whole Transformer layer.

# %%
# alt: Two log-log panels for d = 256: FLOPs of one forward pass against sequence length for self-attention, a whole Transformer layer, an LSTM, a GRU and a plain RNN, and the FLOP ratios of attention and of the Transformer layer to the recurrent layers, with the ratio 1 and n = d, n = 2d marked.
D_FIG = 256
colours = {"attention": "C0", "LSTM": "C1", "GRU": "C3", "plain RNN": "C2", "Transformer layer": "C4"}
n_axis = np.unique(np.logspace(0, 16, 200, base=2).astype(int))
fig, (ax_f, ax_r) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
ax_f.loglog(n_axis, attention_flops(n_axis, D_FIG), lw=2.5, color=colours["attention"],
            label="self-attention, 8nd² + 4n²d")
ax_f.loglog(n_axis, lstm_flops(n_axis, D_FIG), color=colours["LSTM"], label="LSTM, 16nd²")
ax_f.loglog(n_axis, gru_flops(n_axis, D_FIG), color=colours["GRU"], label="GRU, 12nd²")
ax_f.loglog(n_axis, rnn_flops(n_axis, D_FIG), color=colours["plain RNN"], label="plain RNN, 4nd²")
ax_f.loglog(n_axis, transformer_layer_flops(n_axis, D_FIG), "-.", lw=2, color=colours["Transformer layer"],
            label="whole Transformer layer, 24nd² + 4n²d")
ax_f.loglog(n_axis, 4 * n_axis ** 2 * D_FIG, ":", color="0.3", label="attention's mixing term alone, 4n²d")
ax_f.set(xlabel="sequence length n", ylabel="FLOPs of one forward pass", title=f"work per layer, d = {D_FIG}")
ax_f.legend(fontsize=8)
for name, flops in (("LSTM", lstm_flops), ("GRU", gru_flops), ("plain RNN", rnn_flops)):
    ax_r.loglog(n_axis, attention_flops(n_axis, D_FIG) / flops(n_axis, D_FIG), lw=2, color=colours[name],
                label=f"attention / {name}")
ax_r.loglog(n_axis, transformer_layer_flops(n_axis, D_FIG) / lstm_flops(n_axis, D_FIG), "-.", lw=2,
            color=colours["Transformer layer"], label="whole Transformer layer / LSTM")
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
# * our `SelfAttention` layer of Section 1: six matrix products and a softmax, no loop. This is the
#   attention sublayer only; a whole Transformer layer adds the feed-forward network's $16nd^2$
#   FLOPs (Section 3), two more large products, which we do not time here.
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
rounds = {n: 9 if n <= 512 else 6 for n in time_lengths}
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
# alt: Two log-log panels, forward and forward plus backward, of measured seconds against sequence length for the LSTM and self-attention at d = 256, each layer with one fitted line below n = d and one above, dotted guide lines of slope 1 and 2, and n = d and n = 2d marked.
fig, axes = plt.subplots(1, 2, figsize=(12, 4.2), sharey=True, constrained_layout=True)
for ax, mode in zip(axes, ("forward", "forward + backward")):
    for name in timed_layers:
        plotting.loglog_fit_regimes(ax, time_lengths, seconds[name, mode], name, boundary=D_TIME, boundary_label="d")
    at_d = seconds["self-attention", mode][time_lengths == D_TIME][0]
    plotting.slope_guides(ax, D_TIME, 4 * D_TIME, at_d / 6)  # from n = d, below the points they are read against
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
# Three things to read off the plot. Each layer has two fitted lines, one over $n \le d$ and one over
# $n \ge d$, with both slopes in the legend; the dotted guides from $n = d$ have slopes 1 and 2.
#
# * **Above $n = d$, the LSTM's time grows linearly** with $n$: slope close to 1 (asserted between
#   0.75 and 1.25). Every step waits for the previous one. Below $d$ its slope is well under 1
#   (asserted below 0.8): at short lengths a cost that every call pays, whatever its length, is a
#   large part of the time.
# * **At short and medium lengths, self-attention is faster**, forward and backward: more than 1.1
#   times at every $n \le d$ in the assertion below. Below $d$ its lead is roughly constant (at
#   $n = 16$ and $32$ at least 0.8 times what it is at $n = d$; whether it is a little larger or a
#   little smaller there depends on the machine and on what else it is running), and above $d$ it
#   shrinks. Part of that is fewer FLOPs (between a half and three quarters of
#   the LSTM's for $n \le d$); the rest is *how* the FLOPs are done: a few large matrix products keep
#   the processor's arithmetic units busy, while the LSTM's $n$ small dependent steps cannot. The
#   GFLOP/s printed above show it for the forward pass: over the lengths up to $n = d$, attention
#   gets more arithmetic done per second than the LSTM (asserted: more than 1.1 times, as a
#   geometric mean). With the backward pass included the two rates come out much closer, and we
#   assert nothing about them.
#   On one thread that gain can only come from one core's vector units and caches. On hardware
#   with many parallel units, the attention layer's products over the positions of a sequence can
#   be spread over all of them, while the LSTM's steps through one sequence stay a chain of depth
#   $n$; only a batch of sequences gives it parallel work (Section 2).
# * **Above $n = d$, attention's slope rises toward 2** as the $4n^2d$ term takes over (from $n = d$
#   to $8d$ the FLOP count itself has slope 1.58; 2 is its limit): asserted above 1.3, and more than
#   0.5 above its slope below $d$. By $n = 8d$ it has lost more than half of the lead it had at
#   $n = d$; the FLOP counts of Section 3 say where this ends, with attention the more expensive
#   layer by a factor that grows like $n / (4d)$. That is the price in time.

# %%
short = time_lengths <= D_TIME  # n <= d
at_d, at_8d = list(time_lengths).index(D_TIME), list(time_lengths).index(8 * D_TIME)
flop_slope_above = timing.regime_exponents(time_lengths, flops_forward["self-attention"], D_TIME)[1]
for mode in ("forward", "forward + backward"):
    lstm_s, attention_s = seconds["LSTM", mode], seconds["self-attention", mode]
    lstm_below, lstm_above = timing.regime_exponents(time_lengths, lstm_s, D_TIME)  # the legend's slopes
    attention_below, attention_above = timing.regime_exponents(time_lengths, attention_s, D_TIME)
    speedup = lstm_s / attention_s
    assert 0.75 < lstm_above < 1.25, f"{mode}: the LSTM's time should grow about linearly ({lstm_above:.2f})"
    assert lstm_below < 0.8, f"{mode}: below d a fixed cost per call should flatten the LSTM's slope ({lstm_below:.2f})"
    assert np.all(speedup[short] > 1.1), f"{mode}: attention should be faster at n <= d ({np.round(speedup, 1)})"
    assert speedup[:2].min() > 0.8 * speedup[at_d], f"{mode}: attention's lead at n = 16, 32 should be near its lead at n = d"
    assert attention_above > 1.3, f"{mode}: attention's slope above d should approach 2 ({attention_above:.2f})"
    assert attention_above > attention_below + 0.5, f"{mode}: attention's slope should rise with n"
    assert speedup[at_8d] < 0.5 * speedup[at_d], f"{mode}: by n = 8d attention should lose over half its lead"
forward_speedup = seconds["LSTM", "forward"] / seconds["self-attention", "forward"]
rate_ratio = forward_speedup * flops_forward["self-attention"] / flops_forward["LSTM"]  # attention's FLOP/s / LSTM's
mean_rate_ratio = float(np.exp(np.mean(np.log(rate_ratio[short]))))  # geometric mean over n <= d
assert mean_rate_ratio > 1.1, f"forward: attention should run more FLOP/s at n <= d ({np.round(rate_ratio, 2)})"
print("Asserted, forward and forward + backward: the LSTM's slope is 0.75-1.25 above d and below 0.8 under d;")
print(f"         attention is more than 1.1x faster at every n <= d = {D_TIME}, at n = 16 and 32 by at least 0.8")
print("         times its lead at n = d; its slope above d exceeds 1.3")
print(f"         (its FLOP count's slope there is {flop_slope_above:.2f}) and its slope below d by 0.5; by n = 8d")
print("         its lead over the LSTM has shrunk by more than half compared with n = d.")
print("         Forward: attention runs more than 1.1x the LSTM's FLOP/s on average over n <= d")

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
assert np.array_equal(measured_weight_bytes, weight_matrix_bytes(memory_lengths))  # Check: n^2 float32 entries
for n in (8192, 32768, 65536):
    print(f"n = {n:>5}: {weight_matrix_bytes(n) / 2 ** 30:5.2f} GiB per head, per sequence, per layer")
assert weight_matrix_bytes(65536) == 16 * 2 ** 30  # Check: the arithmetic quoted in the text
layers_and_heads = 12 * 12  # a mid-sized model: 12 layers of 12 heads
print(f"12 layers x 12 heads at n = 4096: {weight_matrix_bytes(4096, heads=layers_and_heads) / 2 ** 30:.0f} GiB")
assert weight_matrix_bytes(4096, heads=layers_and_heads) == 9 * 2 ** 30  # Check

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
with torch.no_grad():  # Check: the fused kernel computes the same function
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
rest = saved["attention, A stored"] - weight_matrix_bytes(memory_lengths)  # what the explicit layer keeps besides A
n_star = int(rest[-1] / memory_lengths[-1] / 4)  # 4 n^2 bytes of A = (rest per position) * n at n = n*
print(f"besides A, the explicit layer keeps {rest[-1] / memory_lengths[-1]:.0f} bytes per position "
      f"= {rest[-1] / memory_lengths[-1] / (4 * 64):.0f} float32 vectors of width d = 64; A is as large at n* = {n_star}")

# %% tags=["nbval-ignore-output"]
# The LSTM's share includes a oneDNN workspace whose size depends on the oneDNN build.
for i, n in enumerate(memory_lengths):
    print(f"n = {n:>4}: kept for backward  "
          + "  ".join(f"{name} {saved[name][i] / 2 ** 20:6.2f} MiB" for name in saved))

# %%
# alt: Two log-log panels: on the left the bytes of the n by n attention weights against sequence length, computed and measured, beside one n by d activation; on the right the measured bytes each layer keeps for the backward pass, with one fitted line below n* = 5d and one above, and dotted guides of slope 1 and 2.
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
    plotting.loglog_fit_regimes(ax_s, memory_lengths, saved[name], name, boundary=n_star, boundary_label="n*")
fused_at_n_star = np.interp(n_star, memory_lengths, saved["attention, fused kernel"])
plotting.slope_guides(ax_s, n_star, 4 * n_star, fused_at_n_star / 6)  # from n*, below the points
ax_s.axvline(n_star, color="0.6", ls="--", lw=1)
ax_s.text(n_star * 0.93, 0.04, f"n* = 5d = {n_star}:\nA = the rest", ha="right", fontsize=9, color="0.4",
          transform=ax_s.get_xaxis_transform())
ax_s.set(xlabel="sequence length n", ylabel="bytes kept for backward",
         title="activation memory of one layer, d = 64 (measured)")
ax_s.legend(fontsize=8, loc="upper left")
plt.show()

# %% [markdown]
# The explicit layer keeps $A$ for the backward pass. Besides $A$ it keeps exactly five $n \times d$
# tensors (the input, $Q$, $K$, $V$ and $AV$, each needed for the gradient of some product): $20nd$
# bytes in float32, against $4n^2$ for $A$. So $A$ is the larger part beyond $n^* = 5d$, 320
# positions at $d = 64$, and that is where the plot splits its two fitted regimes. Below $n^*$ the
# explicit layer's memory grows with a slope between 1 and 2 (asserted under 1.5); above it, with
# a slope over 1.7, toward 2. The fused kernel keeps exactly the same tensors except that $A$,
# $n^2$ numbers, is replaced by one number per query: its slope is 1 in both regimes (asserted
# between 0.9 and 1.1), like the LSTM's. It does not remove the quadratic *time*: every one of the
# $n^2$ scores is still computed, only never stored all at once.

# %%
difference = saved["attention, A stored"] - saved["attention, fused kernel"]
assert np.array_equal(difference, 4 * (memory_lengths ** 2 - memory_lengths)), "A (n^2 floats) vs n floats"
assert np.array_equal(rest, 4 * 5 * memory_lengths * 64), "besides A, five n x d float32 tensors"
assert n_star == 5 * 64
share_of_A = weight_matrix_bytes(memory_lengths) / saved["attention, A stored"]
assert np.array_equal(share_of_A > 0.5, memory_lengths > n_star), "beyond n*, A is most of the memory"
explicit_below, explicit_above = timing.regime_exponents(memory_lengths, saved["attention, A stored"], n_star)
assert 1 < explicit_below < 1.5 and explicit_above > 1.7, (explicit_below, explicit_above)
for name in ("LSTM", "attention, fused kernel"):
    assert all(0.9 < slope < 1.1 for slope in timing.regime_exponents(memory_lengths, saved[name], n_star)), name
print("Asserted: the explicit layer keeps 4(n^2 - n) bytes more than the fused kernel at every n, and besides A")
print("          exactly 20nd bytes, so A is more than half of what it keeps exactly beyond n* = 5d = 320;")
print("          its memory grows with slope 1-1.5 below n* and over 1.7 above, the fused kernel's and the LSTM's")
print("          with slope 0.9-1.1 on both sides")

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
# average over 8 random sequences of length 100. A fourth line separates the two causes of an RNN's
# vanishing gradient (Lecture 2): the same RNN, same weights, with the $\tanh$ left out,
# $h_t = W_h h_{t-1} + W_x x_t + b$, whose gradient is set by $W_h$ alone. Beside it we put the
# structural path length from `r2a.graphs.shortest_path_length`.

# %%
D_PATH, N_PATH = 32, 100
x_path = torch.from_numpy(rng.normal(size=(8, N_PATH, D_PATH)))
torch.manual_seed(0)
path_rnn = torch.nn.RNN(D_PATH, D_PATH, batch_first=True, dtype=torch.float64)
torch.manual_seed(0)
path_lstm = torch.nn.LSTM(D_PATH, D_PATH, batch_first=True, dtype=torch.float64)
torch.manual_seed(0)
path_attention = SelfAttention(D_PATH, dtype=torch.float64)


def without_tanh(rnn):
    """The last state of rnn's recurrence with tanh replaced by the identity: h_t = W_h h_(t-1) + W_x x_t + b."""
    W_h, W_x, b = rnn.weight_hh_l0, rnn.weight_ih_l0, rnn.bias_hh_l0 + rnn.bias_ih_l0

    def last_state(x):
        h = torch.zeros(x.shape[0], W_h.shape[0], dtype=x.dtype)
        for t in range(x.shape[1]):
            h = h @ W_h.T + x[:, t] @ W_x.T + b
        return h
    return last_state


last_position = {
    "RNN (tanh)": lambda x: path_rnn(x)[0][:, -1],
    "linear RNN, same W_h": without_tanh(path_rnn),
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


def decay_rate(g):
    """Slope of log(gradient) against distance over distances 1..60: the log of the factor per step."""
    return float(np.polyfit(distance[1:61], np.log(g[1:61]), 1)[0])


rates = {name: decay_rate(g) for name, g in gradient.items()}
for name, g in gradient.items():
    print(f"{name:<20} gradient at distance 1: {g[1]:.1e}, 10: {g[10]:.1e}, 50: {g[50]:.1e}, 99: {g[99]:.1e}"
          f"   fitted rate over 1..60: {tidy(rates[name]):+.2f} per step")

# Check: without tanh, d h_n / d x_(n-s) = W_h^s W_x exactly, whatever the input.
W_h, W_x = path_rnn.weight_hh_l0.detach().numpy(), path_rnn.weight_ih_l0.detach().numpy()
exact = [np.linalg.norm(np.linalg.matrix_power(W_h, s) @ W_x) for s in distance]
r2a.cmp("linear RNN: log gradient vs log ||W_h^s W_x||", np.log(gradient["linear RNN, same W_h"]), np.log(exact),
        tol=1e-9)

# %% [markdown]
# Lecture 2 separated the two conditions on $W_h$: its largest singular value $\sigma_{\max}$ bounds
# what one step can do, its spectral radius $\rho$ (the largest eigenvalue modulus) sets the
# long-run rate of a linear recurrence, $\lVert W_h^s \rVert^{1/s} \to \rho$. We compute both for
# this RNN's $W_h$, and, so that one initialisation does not decide the conclusion, repeat the
# comparison for the RNNs that seeds 1 and 2 give.

# %%
def spectral_radius(W):
    return float(np.max(np.abs(np.linalg.eigvals(W))))


rnn_by_seed = {0: path_rnn}
for seed in (1, 2):
    torch.manual_seed(seed)
    rnn_by_seed[seed] = torch.nn.RNN(D_PATH, D_PATH, batch_first=True, dtype=torch.float64)
decay = {}  # seed -> (rho, sigma_max, tanh rate, linear rate)
for seed, rnn in rnn_by_seed.items():
    W = rnn.weight_hh_l0.detach().numpy()
    tanh_rate = rates["RNN (tanh)"] if seed == 0 else decay_rate(
        recurrent.input_gradient_norms(lambda x: rnn(x)[0][:, -1], x_path).mean(axis=0)[::-1])
    linear_rate = rates["linear RNN, same W_h"] if seed == 0 else decay_rate(
        recurrent.input_gradient_norms(without_tanh(rnn), x_path).mean(axis=0)[::-1])
    decay[seed] = (spectral_radius(W), float(np.linalg.norm(W, 2)), tanh_rate, linear_rate)
    rho, sigma_max, _, _ = decay[seed]
    print(f"seed {seed}: sigma_max(W_h) = {sigma_max:.2f}, rho(W_h) = {rho:.2f} (ln rho = {np.log(rho):+.2f});"
          f" rate per step: linear {linear_rate:+.2f}, tanh {tanh_rate:+.2f};"
          f" the linear part is {linear_rate / tanh_rate:.0%} of the decay")

# %%
# alt: Two panels: on the left the gradient of the last output with respect to each earlier input against distance, log scale, for a tanh RNN, the same RNN without tanh, an LSTM and self-attention; on the right the number of edges on the shortest path against distance for a recurrent layer and for self-attention.
fig, (ax_g, ax_p) = plt.subplots(1, 2, figsize=(12, 4), constrained_layout=True)
path_colours = {"RNN (tanh)": "C0", "linear RNN, same W_h": "C0", "LSTM": "C1", "self-attention": "C2"}
for name, g in gradient.items():
    linear = name.startswith("linear")
    ln_rho = f"; ln ρ(W_h) = {tidy(np.log(decay[0][0])):+.2f}" if linear else ""
    ax_g.semilogy(distance[far], g[far], "--" if linear else "-", color=path_colours[name],
                  label=f"{name} (rate {tidy(rates[name]):+.2f} per step{ln_rho})")
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
# per step: a straight line on the log axis, the same exponential fall-off as in Lecture 2.
#
# Most of that fall-off is the spectral radius, not $\tanh$ saturation. This $W_h$ has
# $\sigma_{\max} = 1.08$, above 1, but $\rho = 0.60$, well below it, and $\rho$ is what sets the
# long-run rate (Lecture 2): the linear RNN with the same weights (dashed) loses $-0.53$ per step
# in the log, close to $\ln \rho = -0.52$, which is two thirds of the tanh RNN's $-0.79$. The
# $\tanh'$ factors, each at most 1, add the remaining $-0.26$ per step. The other two
# initialisations printed above agree: $\rho$ between 0.60 and 0.68, and the linear part between 58%
# and 67% of the decay (asserted on all three: $\rho < 1$, the linear rate within 0.05 of
# $\ln \rho$, more than half of the decay, and the $\tanh$ adding at least 0.1 per step). A
# $\sigma_{\max}$ above 1 is no sign that gradients will survive.
#
# The LSTM's line is less steep, and still a straight line: gates change the rate, not the form.
# These lines follow the path length on the right, one Jacobian per edge. The attention layer's
# gradient is flat: the input 99 positions back matters about as much as the one next door
# (within a factor of 4, asserted below), because both are one edge away.

# %%
for name in ("RNN (tanh)", "LSTM"):
    assert rates[name] < -0.2, f"{name}: the gradient should fall exponentially with distance"
    assert gradient[name][50] < 1e-8 * gradient[name][1], name
assert rates["RNN (tanh)"] < rates["LSTM"], "the LSTM's gradient falls more slowly than the RNN's"
for seed, (rho, sigma_max, tanh_rate, linear_rate) in decay.items():
    assert rho < 1, f"seed {seed}: the spectral radius should be below 1 ({rho:.2f})"
    assert abs(linear_rate - np.log(rho)) < 0.05, f"seed {seed}: the linear RNN should decay at about ln rho"
    assert linear_rate / tanh_rate > 0.5, f"seed {seed}: rho should account for most of the decay"
    assert tanh_rate < linear_rate - 0.1, f"seed {seed}: the tanh factors should add to the decay"
attention_far = gradient["self-attention"][far]
assert abs(rates["self-attention"]) < 0.005, "attention's gradient should not trend with distance"
assert attention_far.max() < 4 * attention_far.min(), "every earlier input should matter to within a factor 4"
assert gradient["self-attention"][99] > 1e10 * gradient["LSTM"][99]
assert np.array_equal(structural["recurrent"], distance + 1) and np.all(structural["self-attention"] == 1)  # Check
print("Asserted: RNN and LSTM gradients fall exponentially with distance (rate < -0.2 per step, below 1e-8 of")
print("          distance 1 at distance 50); for seeds 0, 1, 2, rho(W_h) < 1, the RNN without tanh decays within")
print("          0.05 of ln rho per step, which is more than half of the tanh RNN's rate, and tanh adds more than 0.1;")
print("          attention's gradient has no trend (|rate| < 0.005) and varies by less than a factor 4 over all")
print("          earlier positions. Check: structural paths are n - t + 1 edges against 1")

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
# 1. **Parallelisation.** Through one sequence, a recurrent layer needs $n$ sequential rounds of one
#    state each, whatever the hardware; self-attention computes all $n$ positions in one round, a
#    fixed handful of large matrix products (Section 2). Even on one CPU thread the attention layer
#    was faster at every length up to $n = d$, more than 1.1 times, forward and backward
#    (Section 4). On hardware with many parallel units the difference is in who can use them:
#    across the positions of one sequence only attention can, while a recurrent layer fills them
#    only with a batch of sequences (Section 2, Lecture 1), and still takes $n$ rounds. Training
#    repeats such passes over and over, so the time of one pass sets what can be trained at all.
# 2. **Long-range dependencies.** Every pair of positions is one edge apart, so the gradient between
#    them does not shrink with their distance (Section 6), where an RNN's vanishes exponentially and
#    an LSTM's more slowly but still exponentially (Lecture 2). Attention also removes the
#    fixed-size context of the encoder–decoder (Lectures 3 and 4).
# 3. **Efficiency when $n$ is small compared with $d$.** For sentence-length inputs and widths of
#    hundreds, the $n^2 d$ mixing term is small next to the $n d^2$ projections, and the attention
#    sublayer does less work than an LSTM layer up to $n = 2d$ (Section 3). It never does less than
#    a plain RNN, but plain RNNs were not what it was competing with. A whole Transformer layer adds
#    the feed-forward network's $16nd^2$ and does at least 1.5 times an LSTM layer's FLOPs at every
#    length; for it, "$n < d$" means that up to $n = 6d$ most of its work is position-wise products,
#    linear in $n$ and done as a few large matrix products, the kind that ran faster per FLOP than
#    the LSTM's steps in Section 4.
#
# **The price** is the same $n^2$ that made the comparison favourable for short inputs. For long
# ones, time grows quadratically (slope toward 2 in Section 4) and an explicit layer stores an
# $n \times n$ matrix per head: 16 GiB in float32 at $n = 65{,}536$ (Section 5). Long documents,
# audio, and images cut into many patches all run into it.
#
# **What came next** attacks that price from different sides. Lecture 7 takes up linear attention
# and state-space models, and measures them.
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
#   $16nd^2$, a single-head self-attention layer $8nd^2 + 4n^2d$, and a whole Transformer layer,
#   with its feed-forward network of width $4d$, $24nd^2 + 4n^2d$. PyTorch's counter agrees exactly;
#   a training step costs about three times the forward pass for both kinds of layer.
# * The recurrent layer is $O(nd^2)$, not $O(nd^3)$: doubling $d$ multiplies its work by 4.
# * "Attention is cheaper when $n < d$" compares the $n^2 d$ and $nd^2$ terms. In full, the
#   attention sublayer does less work than an LSTM up to $n = 2d$, than a GRU up to $n = d$, and
#   always more than a plain RNN; a whole Transformer layer always does at least 1.5 times an LSTM
#   layer's work, and its $n^2$ term takes over only beyond $n = 6d$.
# * Measured at $d = 256$ on one thread, fitted separately below and above $n = d$: the LSTM's time
#   grows linearly above $d$; attention is faster at every $n \le d$ (more than 1.1 times), because
#   it does fewer FLOPs and (forward) runs them faster; above $d$ its slope rises toward 2 and its
#   lead melts away.
# * The attention weights take $4n^2$ bytes per head in float32 (16 GiB at $n = 65{,}536$); a fused
#   kernel keeps $n$ numbers instead, making memory linear, not time.
# * Gradients from the last position fall exponentially with distance through an RNN or an LSTM and
#   do not depend on distance through self-attention: path length $n - t + 1$ against 1. Most of
#   the untrained RNN's decay is its spectral radius $\rho(W_h) < 1$, even with $\sigma_{\max} > 1$;
#   the $\tanh$ adds the rest.
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
# 1025 tokens on); the ratio to the LSTM is $\tfrac12 + n/(4d)$, 32.5 at $n = 65{,}536$. And as a
# whole Transformer layer, attention plus its feed-forward network, never: $24nd^2 + 4n^2d$ is at
# least 1.5 times an LSTM layer's $16nd^2$ (Section 3). In memory, an explicit layer stores $n^2$
# weights per head, which outgrow everything else it keeps, five $n \times d$ tensors, beyond
# $n = 5d$ (Section 5). In wall-clock time the comparison also depends on how fast each layer's
# FLOPs run: in the forward pass attention's ran faster (Section 4), which moves the crossover in
# seconds but cannot stop the $n^2$ term from winning for $n \gg d$.
# </details>
#
# **5.** In the forward pass at $n \le d$, the attention layer does between a half and three
# quarters of the LSTM's FLOPs ($8nd^2 + 4n^2d$ against $16nd^2$), yet its time was smaller by more
# than that factor. Where does the rest of the gap come from?
#
# <details><summary>Answer</summary>
#
# From how fast the FLOPs run. Attention's work comes as a few large matrix products, which the
# matrix library runs in big, cache-friendly blocks; the LSTM's comes as $n$ small steps, each
# waiting for the one before. The printed GFLOP/s show attention doing more arithmetic per second
# (asserted: on average more than 1.1 times the LSTM's rate over $n \le d$). The same number of
# FLOPs can take very different times. On hardware with many parallel units the difference grows
# for one sequence, because only attention's products over its positions can be spread over them;
# a recurrent layer can fill them only with a batch of sequences.
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
