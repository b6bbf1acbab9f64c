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
# # Lecture 3 — The context bottleneck
#
# *From Recurrence to Attention*, lecture 3 of 7. About 45 minutes to read and run; the notebook
# trains 36 small models (twelve on each of three seeds) and executes in about a minute on a
# 2-core laptop CPU.
#
# This course follows one argument from start to finish:
#
# 1. **recurrence** reads a sequence one step at a time (Lecture 1);
# 2. its gradients **vanish or explode** over long distances (Lecture 2);
# 3. an encoder–decoder squeezes the input through a **fixed-size context** (this lecture);
# 4. **attention** lets the decoder look back at every input directly (Lecture 4);
# 5. **self-attention** lets every position do the same for every other (Lecture 5);
# 6. that is **why attention replaced recurrence** (Lecture 6);
# 7. and why recurrence **returns**, as linear attention and state-space models, to pay
#    attention's price (Lecture 7).
#
# By the end of this lecture you can
#
# * write down an encoder–decoder with a fixed context vector, and say exactly which vector
#   carries the input to the decoder;
# * measure how its accuracy falls as the input grows, and how far a larger hidden state helps;
# * count the bits an input holds, bound the bits a trained model actually gets through, and say
#   honestly what that comparison does and does not prove;
# * predict which input tokens survive the squeeze best, for the final state and for the mean of
#   all states.
#
# Each result claimed below is measured in the notebook and checked by an `assert` on that
# measurement, so if a result ever stops holding, the notebook stops with an error. Asserts on an
# identity, a count or a shape are marked *check*: they confirm that the code matches the
# mathematics, and are not evidence for a claim. Every training result is measured on three
# seeds and asserted on each of them.

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

from dataclasses import replace

import matplotlib.pyplot as plt
import numpy as np
import torch

from r2a import bottleneck, data, diagrams, seq2seq

rng = r2a.setup(seed=0)  # seeds numpy, torch and random; one CPU thread; course plot style

# %% [markdown]
# ## 1. From one sequence to another
#
# Lectures 1 and 2 read a sequence and turned its states into outputs: one per position, or one
# label at the end. Many tasks instead turn a sequence into a *different* sequence, whose length
# need not match: a sentence into its
# translation, a question into an answer. The classic design splits the job between two recurrent
# networks.
#
# The **encoder** reads the input tokens $x_1, \dots, x_n$. We use a GRU, a gated recurrent cell
# of the same family as the LSTM of Lecture 2 (its gates $z_i$ and $r_i$ decide how much of the old
# state to keep and how much of it to use):
#
# $$z_i = \sigma(W_z e_i + U_z h_{i-1} + b_z), \quad r_i = \sigma(W_r e_i + U_r h_{i-1} + b_r),$$
# $$\tilde h_i = \tanh\left(W e_i + r_i \odot (U h_{i-1}) + b\right), \quad
#   h_i = (1 - z_i) \odot \tilde h_i + z_i \odot h_{i-1},$$
#
# where $e_i = E x_i$ is the embedding of token $x_i$ and $h_0 = 0$. Below we shorten all of this
# to $h_i = \text{GRU}(h_{i-1}, e_i)$.
#
# The encoder hands over one vector, the **context** $c \in \mathbb{R}^d$. In the classic model it
# is the final state:
#
# $$c = h_n .$$
#
# The **decoder** is a second GRU that writes the output $y_1, \dots, y_m$ one token at a time. It
# starts from the context, and at every step it reads the previous output token and the context
# again:
#
# $$s_0 = c, \qquad s_t = \text{GRU}_\text{dec}\left(s_{t-1}, [F y_{t-1};\, c]\right), \qquad
#   p(y_t \mid y_{\lt t}, x) = \operatorname{softmax}\left(W_o [s_t;\, c] + b_o\right),$$
#
# where $[a; b]$ stacks two vectors, $F$ embeds output tokens and $y_0$ is a special start token.
# Two ways of choosing $y_{t-1}$:
#
# * **teacher forcing**, for training: $y_{t-1}$ is the *true* previous token, so every step's
#   input is known in advance, and the loss is $-\sum_t \log p(y_t \mid y_{\lt t}, x)$;
# * **greedy decoding**, for testing: $y_{t-1}$ is the model's *own* previous guess,
#   $\hat y_{t-1} = \arg\max p(\cdot \mid \hat y_{<t-1}, x)$, because at test time no one supplies
#   the truth. Mistakes can then compound, so this is the honest measurement.
#
# Look at the equations for the decoder once more: the input $x$ appears nowhere except through $c$.
# Whatever the decoder is to write about the input, it must find in those $d$ numbers. The
# diagram draws one arrow for each term: $c$ reaches the decoder three ways, as its initial state
# $s_0$, as part of every step's input, and as part of every output layer's input, and all three
# start from the same box.

# %%
# alt: Encoder states h1 to h5 feed one context box c, which feeds every decoder state and every output.
fig, ax = plt.subplots(figsize=(10, 3.2), constrained_layout=True)
diagrams.draw_encoder_decoder(ax, n_in=5, n_out=5)
ax.set_title("Encoder–decoder with a fixed context: the only way from x to y goes through c")
plt.show()

# %% [markdown]
# ## 2. The model in code
#
# `r2a.seq2seq.Seq2Seq` implements these equations in PyTorch, with `torch.nn.GRU` for both
# networks (which puts one more bias vector inside the bracket of $\tilde h_i$). Its option
# `context` chooses $c$: `"last"` is the final state above, `"mean"` the average of all encoder
# states (Section 7). Its option `attention` is for Lecture 4; here it stays off.
#
# *Check* that `torch.nn.GRU` computes the GRU equations of Section 1: we write one step in numpy,
# straight from the equations, run it over a short input with the weights of the model's encoder,
# and compare every state. PyTorch stores the three blocks (reset $r$, update $z$, candidate
# $\tilde h$) stacked in one matrix, and gives each block two biases; only the candidate's second
# bias, $b_{hn}$, cannot be merged into $b$, because it sits inside $r_i \odot (\cdot)$.

# %%
vocab_size, d = 16, 16
model = seq2seq.Seq2Seq(vocab_size, hidden_size=d)


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def gru_step(h, e, gru):
    """One step of the GRU equations above, with the weights of a torch.nn.GRU layer."""
    W_r, W_z, W = np.split(gru.weight_ih_l0.detach().double().numpy(), 3)   # input weights
    U_r, U_z, U = np.split(gru.weight_hh_l0.detach().double().numpy(), 3)   # recurrent weights
    b_ir, b_iz, b_in = np.split(gru.bias_ih_l0.detach().double().numpy(), 3)
    b_hr, b_hz, b_hn = np.split(gru.bias_hh_l0.detach().double().numpy(), 3)
    r = sigmoid(W_r @ e + U_r @ h + b_ir + b_hr)
    z = sigmoid(W_z @ e + U_z @ h + b_iz + b_hz)
    h_candidate = np.tanh(W @ e + r * (U @ h + b_hn) + b_in)
    return (1 - z) * h_candidate + z * h


x_check = torch.from_numpy(data.reversal_task(rng, 1, 6, vocab_size)[0])
with torch.no_grad():
    embedded = model.source_embedding(x_check)[0].double().numpy()
    torch_states, _ = model.encode(x_check)
h, ours = np.zeros(d), []
for e in embedded:          # h_0 = 0, then one step per token
    h = gru_step(h, e, model.encoder)
    ours.append(h)
r2a.cmp("check: GRU equations == torch.nn.GRU", np.array(ours), torch_states[0], tol=1e-5)

# %% [markdown]
# Two more *checks*, of properties the code has by construction: the context is the encoder's
# last state, and it has $d$ numbers whether the input holds 5 tokens or 50.

# %%
for n in (5, 50):
    x, y = map(torch.from_numpy, data.reversal_task(rng, 4, n, vocab_size))
    states, context = model.encode(x)
    print(f"n = {n:>2}: encoder states {tuple(states.shape)}, context {tuple(context.shape)}")
    assert context.shape == (4, d), "check: the context has d numbers for any n"

r2a.cmp("check: context == final encoder state", context, states[:, -1], tol=1e-6)
n_params = sum(p.numel() for p in model.parameters())
print(f"parameters: {n_params}, for inputs of any length")

# %% [markdown]
# The two ways of running the decoder give the shapes we expect (a *check*): teacher forcing
# returns a distribution over the $V$ tokens at every output position, greedy decoding returns
# token ids. (This model is untrained, so its output is still random.)

# %%
logits, tokens = model(x, y), model.generate(x)
print(f"teacher forcing: logits {tuple(logits.shape)}   greedy decoding: tokens {tuple(tokens.shape)}")
assert logits.shape == (4, 50, vocab_size) and tokens.shape == (4, 50), "check: the shapes of the two decoders"

# %% [markdown]
# ## 3. The task: reversing random tokens
#
# We need a task in which we know exactly how much the decoder must learn about the input. The
# reversal task (`r2a.data.reversal_task`) gives one: the input is $n$ tokens drawn uniformly and
# independently from a vocabulary of $V = 16$, and the target is the same tokens in reverse order.
#
# * The tokens are random, so there is no pattern to exploit and nothing to compress: the input
#   holds exactly $n \log_2 V = 4n$ bits, and to write the output without error the decoder needs
#   all of them.
# * Every output token counts. We score **token accuracy**: the fraction of output tokens that
#   greedy decoding gets right, on fresh test sequences. Guessing gives $1/V = 0.0625$.
# * Reversal hands the decoder the freshest token first. The first output is the last token the
#   encoder read, just written into $c = h_n$; only the last output needs the first token, which
#   has been through every step of the encoder. (Section 4 measures what that does along the
#   output.)
#
# Here are three inputs and targets, with the 16 tokens written as letters:

# %%
letters = np.array(list("abcdefghijklmnop"))
x_demo, y_demo = data.reversal_task(rng, 3, 8, vocab_size)
for source, target in zip(x_demo, y_demo):
    print(f"input {''.join(letters[source])}   target {''.join(letters[target])}")

# %% [markdown]
# Every model in this lecture is trained the same way, fixed in `bottleneck.LECTURE3_SWEEP` so that
# Lecture 4 can repeat the experiment with attention switched on and nothing else changed. Each
# training step draws a fresh batch of random sequences, so a model never sees the same sequence
# twice and cannot memorise its way to a good score.
#
# One training run could be lucky, so every experiment runs on the three seeds of
# `bottleneck.LECTURE3_SEEDS`, which Lecture 4 uses too. A seed fixes the initial weights, the
# training batches and the test sequences, so the three runs are independent repeats. Within one
# seed, all models share the same initial weights wherever their shapes agree, and the same
# batches. The figures show the mean over the seeds with a bar from the lowest to the highest
# seed; every claim is asserted on every seed.

# %%
sweep, seeds = bottleneck.LECTURE3_SWEEP, bottleneck.LECTURE3_SEEDS
setting = sweep.experiment
print(f"task {setting.task}, V = {setting.vocab_size} ({np.log2(setting.vocab_size):.0f} bits per token), "
      f"embeddings of size {setting.embed_size}")
print(f"Adam, learning rate {setting.lr}, gradient norm clipped at {setting.clip}, "
      f"{setting.steps} steps of {setting.batch_size} fresh sequences")
print(f"accuracy measured with greedy decoding on {setting.n_test} fresh sequences")
print(f"sweep 1: lengths n = {sweep.lengths} at hidden size d = {sweep.hidden_size}")
print(f"sweep 2: hidden sizes d = {sweep.hidden_sizes} at length n = {sweep.length}")
print(f"seeds {seeds}")


from r2a.plotting import plot_over_seeds as plot_seeds, seed_range as spread  # shared with Lecture 3 or 4

# %% [markdown]
# ## 4. Accuracy against input length, and against hidden size
#
# What should we expect? With $d = 16$ held fixed, a longer input puts more bits through the same
# 16 numbers, so accuracy should fall as $n$ grows. With $n = 6$ held fixed, a larger $d$ gives the
# same bits more room, so accuracy should rise with $d$.
#
# `run_seeds` runs the sweep once per seed: it trains one model per point (eight models per seed;
# the point $n = 6$, $d = 16$ is shared by both sweeps) and measures each on fresh data. The
# printed numbers can differ in the last digits on another CPU, so the notebook tests do not
# compare them; the claims are asserted below them, on every seed.

# %% tags=["nbval-ignore-output"]
last = bottleneck.run_seeds(sweep, seeds)
for n, accuracies in zip(sweep.lengths, last.accuracy_by_length().T):
    print(f"n = {n:>2}, d = {sweep.hidden_size:>2}: token accuracy {spread(accuracies)} over the seeds")
for d_size, accuracies in zip(sweep.hidden_sizes, last.accuracy_by_hidden().T):
    if d_size != sweep.hidden_size:
        print(f"n = {sweep.length:>2}, d = {d_size:>2}: token accuracy {spread(accuracies)} over the seeds")

# %%
# alt: Token accuracy falls as input length grows at d = 16, and rises with hidden size at n = 6.
fig, (ax_n, ax_d) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
plot_seeds(ax_n, sweep.lengths, last.accuracy_by_length(), "o-", label=last.label)
plot_seeds(ax_d, sweep.hidden_sizes, last.accuracy_by_hidden(), "o-", label=last.label)
for ax in (ax_n, ax_d):
    ax.axhline(1 / vocab_size, color="0.4", linestyle=":", lw=1, label=f"chance (1/{vocab_size})")
    ax.set(ylim=(0, 1.03), ylabel="token accuracy, fresh data")
ax_n.set(xlabel="input length n", xticks=list(sweep.lengths), title=f"hidden size d = {sweep.hidden_size}")
ax_d.set_xscale("log", base=2)
ax_d.set_xticks(list(sweep.hidden_sizes), [str(size) for size in sweep.hidden_sizes])
ax_d.minorticks_off()
ax_d.set(xlabel="hidden size d (log scale)", title=f"input length n = {sweep.length}")
ax_n.legend(title=f"mean of {len(seeds)} seeds, bar: range", fontsize=8, title_fontsize=8)
plt.show()

# %% [markdown]
# Both predictions hold, on every seed. At $d = 16$ the model reverses two tokens perfectly and
# gets most of four right; from there accuracy falls steeply, to fewer than two tokens in five at
# $n = 10$. At $n = 6$, a state of 8 numbers gets most tokens wrong; doubling $d$ to 16 and again
# to 32 helps a lot, but the step to 64 adds little in this training budget, and even $d = 64$ is
# far from perfect. The seeds agree closely: at no point do their accuracies differ by more than
# 0.1.

# %%
# Each entry below is an array with one accuracy per seed; every assert must hold on all of them.
acc_n = dict(zip(sweep.lengths, last.accuracy_by_length().T))
acc_d = dict(zip(sweep.hidden_sizes, last.accuracy_by_hidden().T))
assert np.all(acc_n[2] > 0.95) and np.all(acc_n[4] > 0.8), "two tokens reversed almost perfectly, most of four"
assert np.all(np.diff(last.accuracy_by_length(), axis=1) < 0), "accuracy should fall at every longer length"
assert np.all(acc_n[10] < np.minimum(acc_n[2] - 0.5, 0.4)), "n = 10: far below n = 2, under two tokens in five"
assert np.all(acc_d[8] < 0.5), "8 numbers get most tokens wrong at n = 6"
assert np.all(acc_d[16] > acc_d[8] + 0.15) and np.all(acc_d[32] > acc_d[16] + 0.1), "16 and 32 numbers help a lot"
assert np.all((-0.03 < acc_d[64] - acc_d[32]) & (acc_d[64] - acc_d[32] < 0.1)), "64 adds little"
assert np.all(acc_d[64] < 0.9), "and is far from perfect"
for accuracies in (last.accuracy_by_length(), last.accuracy_by_hidden()):
    assert np.all(np.ptp(accuracies, axis=0) < 0.1), "the seeds agree to within 0.1 at every point"
print(f"asserted on each of the {len(seeds)} seeds: accuracy falls with every added pair of tokens,")
print("         by more than 0.5 from n = 2 to n = 10; at n = 6 it rises by more than 0.15 from d = 8 to 16")
print("         and by more than 0.1 from 16 to 32, then changes by less than 0.1; at every point the")
print("         seeds differ by less than 0.1")

# %% [markdown]
# Section 1 called greedy decoding the honest measurement, because a wrong guess is fed back and
# can cause more. How much does that matter? On the same test sequences we also score the models
# with teacher forcing, where every step is fed the true previous token. If mistakes compound,
# teacher forcing should score clearly higher once the model makes mistakes.

# %% tags=["nbval-ignore-output"]
def teacher_forced_accuracy(result, seed_setting):
    """Token accuracy when every step is fed the true previous token (the test set of evaluate)."""
    x, y = bottleneck.make_task(seed_setting, result.length, seed_setting.n_test,
                                np.random.default_rng([seed_setting.seed, 1]))
    with torch.no_grad():
        return float((result.model(x, y).argmax(-1) == y).float().mean())


forced = {n: np.array([teacher_forced_accuracy(r, run.sweep.experiment) for r, run in zip(last.at_length(n), last.runs)])
          for n in (6, 8, 10)}
for n, accuracies in forced.items():
    print(f"n = {n:>2}: greedy {spread(acc_n[n])}, teacher-forced {spread(accuracies)}")

# %%
for n, accuracies in forced.items():
    assert np.all(accuracies > acc_n[n] + 0.1), f"n = {n}: teacher forcing flatters the model"
print(f"asserted on each of the {len(seeds)} seeds: at n = 6, 8 and 10, teacher forcing scores more than 0.1")
print("         above greedy decoding on the same test sequences")

# %% [markdown]
# It does: fed the truth at every step, the same models look much better. Every accuracy in
# Lectures 3 and 4 is measured with greedy decoding.

# %% [markdown]
# ### Which tokens get lost?
#
# The context is the encoder's *last* state, and every step of the GRU partly overwrites the state
# with the new token. So we expect the most recently read tokens to be the best preserved. In the
# reversal task the decoder writes those first: output position $t$ copies input position
# $n + 1 - t$. Accuracy should therefore fall along the output.
#
# Here are a few test sequences decoded by the $n = 8$ model of the first seed, with its wrong
# tokens in capitals:

# %% tags=["nbval-ignore-output"]
n8 = last.at_length(8)[0]
x_show, y_show = bottleneck.make_task(setting, 8, 5, np.random.default_rng(1))
guess = n8.model.generate(x_show).numpy()
for source, target, out in zip(x_show.numpy(), y_show.numpy(), guess):
    marked = "".join(g if g == t else g.upper() for g, t in zip(letters[out], letters[target]))
    print(f"input {''.join(letters[source])}   target {''.join(letters[target])}   decoded {marked}")

# %%
# alt: Accuracy along the output falls from the first to the last output position for every input length.
fig, ax = plt.subplots(figsize=(6.5, 3.6))
for n in sweep.lengths[1:]:
    plot_seeds(ax, np.arange(1, n + 1), [r.per_position for r in last.at_length(n)], "o-", label=f"n = {n}", ms=4)
ax.axhline(1 / vocab_size, color="0.4", linestyle=":", lw=1, label="chance")
ax.set(xlabel="output position t (it copies input position n + 1 - t)", ylabel="token accuracy",
       ylim=(0, 1.03), title=f"Reversal with c = h_n, d = {sweep.hidden_size}: what the decoder gets right")
ax.legend(ncol=2, title=f"mean of {len(seeds)} seeds, bar: range", fontsize=8, title_fontsize=8)
plt.show()

# %% [markdown]
# As predicted, every curve falls from left to right: the last tokens read come out best, the
# first ones worst. There is a second effect: even the first output, the very last token read, is
# recalled less well as $n$ grows. The tokens compete for the same $d$ numbers, so every extra
# token takes room from all the others.

# %%
for n in sweep.lengths[2:]:  # n = 6, 8, 10
    for result in last.at_length(n):
        assert result.per_position[0] > result.per_position[-1] + 0.2, f"n = {n}: recency"
for short, long in zip(last.at_length(4), last.at_length(10)):
    assert long.per_position[0] < short.per_position[0] - 0.15, "the freshest token also suffers when n grows"
print(f"asserted on each of the {len(seeds)} seeds: for n >= 6 the first output beats the last by more than 0.2;")
print("         the first output itself loses more than 0.15 from n = 4 to n = 10")

# %% [markdown]
# ## 5. How many bits get through the context?
#
# Counting bits makes "the context is too small" precise, and shows where the argument needs
# care.
#
# **What the input holds.** $n$ independent uniform tokens carry $n \log_2 V$ bits: 8 bits for
# $n = 2$, 40 bits for $n = 10$.
#
# **What $c$ could hold.** This is where care is needed: $c$ is 16 float32 numbers, 512 bits.
# Counting alone does not forbid even $n = 10$; a float vector can in principle hold a lot. What
# limits the model is how much the encoder *learns to write* into $c$ and the decoder *learns to
# read back out*, reliably, with smooth functions trained for a few hundred steps. That is
# something to measure, not to count.
#
# **What the decoder gets out.** We cannot see inside $c$, but the outputs give a lower bound.
# Fano's inequality says that if a guess $\hat x_i$ of a token with $V$ possible values is right
# with probability $a_i$, then the uncertainty left about that token is at most
# $h(a_i) + (1 - a_i) \log_2 (V - 1)$ bits, where $h(a) = -a \log_2 a - (1-a) \log_2 (1-a)$.
# So the guess carries at least
#
# $$I_i \ge \log_2 V - h(a_i) - (1 - a_i) \log_2 (V - 1) \text{ bits.}$$
#
# The input tokens are independent, so the whole output carries at least $\sum_i I_i$ bits about
# the input. And since the decoder sees the input only through $c$, at least that many bits made it
# through the context. `bottleneck.bits_delivered` computes this bound from the accuracy at each
# output position, which we estimate on the 1000 test sequences.
#
# Read it the right way round: it is a **lower bound** on the bits delivered. If it says 12 bits,
# at least 12 bits got through; more may have, because the bound sees only how often the greedy
# guess is right, not what the decoder knows beyond its top guess. A low bound therefore does not
# prove that little got through; it only fails to prove that much did. It becomes exact at the two
# ends, which we *check*: a perfect output delivers all $n \log_2 V$ bits, an output at chance
# is credited with nothing.

# %%
r2a.cmp("check: perfect on 10 tokens -> 40 bits", bottleneck.bits_delivered(np.ones(10), 16), 40.0, tol=1e-12)
r2a.cmp("check: chance on 10 tokens -> 0 bits", bottleneck.bits_delivered(np.full(10, 1 / 16), 16), 0.0, tol=1e-12)


def delivered(result):
    """Fano's lower bound on the bits that reached the decoder of one trained model."""
    return bottleneck.bits_delivered(result.per_position, vocab_size)


bits_per_token = int(np.log2(vocab_size))
bits_by_length = np.array([[delivered(r) for r in run.by_length] for run in last.runs])   # (seeds, lengths)
bits_by_hidden = np.array([[delivered(r) for r in run.by_hidden] for run in last.runs])   # (seeds, sizes)

# %% tags=["nbval-ignore-output"]
for n, bits in zip(sweep.lengths, bits_by_length.T):
    print(f"n = {n:>2}, d = {sweep.hidden_size:>2}: input {n * bits_per_token:>2} bits, Fano bound {spread(bits)} bits, "
          f"{spread(bits / sweep.hidden_size)} per hidden unit")
for d_size, bits in zip(sweep.hidden_sizes, bits_by_hidden.T):
    if d_size != sweep.hidden_size:
        print(f"n = {sweep.length:>2}, d = {d_size:>2}: input {sweep.length * bits_per_token:>2} bits, "
              f"Fano bound {spread(bits)} bits, {spread(bits / d_size)} per hidden unit")

# %%
# alt: The Fano lower bound on bits delivered rises, then falls with input length, and stays far below 32 bits per unit.
fig, (ax_n, ax_d) = plt.subplots(1, 2, figsize=(10, 3.8), constrained_layout=True)
bits_in = np.array(sweep.lengths) * bits_per_token
ax_n.plot(bits_in, bits_in, color="0.6", lw=1, label="bits in the input (all delivered)")
plot_seeds(ax_n, bits_in, bits_by_length, "o-", label=f"Fano lower bound, {len(seeds)} seeds")
ax_n.axhline(sweep.hidden_size, color="#2ca02c", linestyle="--", lw=1,
             label=f"reference: d = {sweep.hidden_size} bits (1 per unit), not a limit")
ax_n.set(xlabel="bits in the input, n log2 V", ylabel="Fano lower bound on bits delivered", xticks=bits_in,
         ylim=(0, 42), title=f"fixed d = {sweep.hidden_size}, n = {', '.join(map(str, sweep.lengths))}")
ax_n.legend(fontsize=8)
sizes = np.array(sweep.hidden_sizes)
plot_seeds(ax_d, sizes, bits_by_hidden, "o-", label=f"Fano lower bound, {len(seeds)} seeds")
ax_d.axhline(sweep.length * bits_per_token, color="0.6", lw=1, label=f"bits in the input (n = {sweep.length})")
ax_d.plot(sizes, sizes, color="#2ca02c", linestyle="--", lw=1, label="reference: d bits (1 per unit), not a limit")
ax_d.set_xscale("log", base=2)
ax_d.set_xticks(sizes, [str(size) for size in sizes])
ax_d.minorticks_off()
ax_d.set(xlabel="hidden size d (log scale)", ylabel="Fano lower bound on bits delivered", ylim=(0, 40),
         title=f"fixed n = {sweep.length}")
ax_d.legend(fontsize=8)
plt.show()

# %% [markdown]
# The dashed green line marks $d$ bits, one per hidden unit. It is a yardstick, **not a capacity**:
# nothing stops $d$ numbers from carrying more than $d$ bits (float32 has 32 per number), and a
# point below the line does not show that fewer than $d$ bits reached the decoder, only that the
# bound cannot guarantee more.
#
# Left: as long as the input is small, all of it is guaranteed to come through (at $n = 2$ the
# points sit on the diagonal). The bound then bends over, after most of the 16 bits of an $n = 4$
# input, and for longer inputs it *falls*: the outputs of the $n = 10$ models are guaranteed fewer
# than half the bits of the $n = 4$ models. A plausible reason, which this lecture does not test,
# is Lecture 2's: the training signal about the early tokens must travel back through the whole
# chain, so a longer input is not only more to carry but also harder to learn to carry in the same
# budget.
#
# Right: a larger state is guaranteed to carry more, but nowhere near in proportion: from
# $d = 16$ on, the bound falls further and further below the reference line, and at $d = 64$ it
# stays below 90% of the 24 bits of an $n = 6$ input, where the accuracy stays below 0.9. On every
# model the bound is below one bit per hidden unit, far from the 32 bits per unit that float32
# could store. Those numbers are what these trained models are *guaranteed* to deliver; they are
# not a measured ceiling.

# %%
per_unit = np.concatenate([bits_by_length / sweep.hidden_size, bits_by_hidden / sizes], axis=1)
assert np.all(per_unit < 1.0), "on every model and seed the bound stays below 1 bit per hidden unit"
assert np.all(bits_by_length[:, 0] > 0.95 * 2 * bits_per_token), "n = 2: all 8 bits guaranteed"
assert np.all(bits_by_length[:, 1] > 10), "more than 10 of the 16 bits of an n = 4 input guaranteed"
assert np.all(bits_by_length[:, -1] < 0.5 * bits_by_length[:, 1]), "n = 10: under half the bound of n = 4"
assert np.all(acc_n[4] > 0.8) and np.all(acc_n[6] < 0.7), "the d = 16 curve bends between 1 and 1.5 input bits per unit"
shortfall = sizes[sizes >= 16] - bits_by_hidden[:, sizes >= 16]   # (seeds, d = 16, 32, 64)
assert np.all(np.diff(shortfall, axis=1) > 0), "from d = 16 on, ever further below the reference line"
assert np.all(bits_by_hidden[:, -1] < 0.9 * sweep.length * bits_per_token), "d = 64: under 90% of n = 6 guaranteed"
print(f"asserted on each of the {len(seeds)} seeds: the Fano bound is below 1 bit per hidden unit on every model")
print("         (float32 could hold 32); it guarantees at least 95% of the 8 bits at n = 2 and more than")
print("         10 of the 16 bits at n = 4, but under half of that at n = 10; the accuracy bends between")
print("         16 and 24 input bits (1 to 1.5 input bits per unit); from d = 16 to 64 the bound falls ever")
print("         further below d bits, and at d = 64 it stays under 90% of the 24 bits of n = 6")

# %% [markdown]
# ## 6. A bigger state only postpones the problem
#
# If the context is the bottleneck, why not make it larger? Section 4 showed that it helps. But the
# information in the input grows without bound as $n$ grows, while $d$ is fixed the moment the model
# is built, and each extra unit costs parameters in every weight matrix that touches the state
# (their number grows like $d^2$). So for every $d$ we expect the same story as for $d = 16$,
# shifted to longer inputs: better at each length, and still falling as the input grows.
#
# We check with one more model per seed, $d = 64$ at the longest length, $n = 10$, next to the
# $d = 64$ models of the hidden-size sweep at $n = 6$.

# %% tags=["nbval-ignore-output"]
big_long = [bottleneck.train_and_evaluate(bottleneck.with_seed(setting, seed), length=10, hidden_size=64)
            for seed in seeds]
big_short, small_long, small_at_4 = last.at_hidden(64), last.at_length(10), last.at_length(4)
for label, results in (("d = 64, n =  6", big_short), ("d = 64, n = 10", big_long), ("d = 16, n = 10", small_long)):
    print(f"{label}: token accuracy {spread([r.accuracy for r in results])}, "
          f"Fano bound {spread([delivered(r) for r in results])} bits")

# %% [markdown]
# First a *check* of the cost, a count: the parameters of every weight matrix that touches the
# state grow like $d^2$.

# %%
params = {size: sum(p.numel() for p in seq2seq.Seq2Seq(vocab_size, size).parameters()) for size in (16, 64)}
print(f"parameters: d = 16 -> {params[16]}, d = 64 -> {params[64]} ({params[64] / params[16]:.1f}x)")
assert params[64] > 8 * params[16], "check: 4 times the state, more than 8 times the parameters"

# %%
accuracy = {name: np.array([r.accuracy for r in results]) for name, results in
            (("big_long", big_long), ("big_short", big_short), ("small_long", small_long), ("small_at_4", small_at_4))}
assert np.all(accuracy["big_long"] > accuracy["small_long"] + 0.15), "at n = 10 the larger state should help clearly"
assert np.all(accuracy["big_long"] < accuracy["big_short"] - 0.15), "and still fall clearly from n = 6 to n = 10"
print(f"asserted on each of the {len(seeds)} seeds: at n = 10, d = 64 beats d = 16 by more than 0.15 in accuracy,")
print("         yet d = 64 itself loses more than 0.15 from n = 6 to n = 10")

# %% [markdown]
# Is there a simple rule for where the curve bends, such as "a fixed number of input bits per
# hidden unit"? If there were, plotting every model's accuracy against its **load**,
# $n \log_2 V / d$ bits of input per hidden unit, would put all of them on one curve. It does not:

# %%
# alt: Token accuracy against input bits per hidden unit: the three groups of models lie on different curves.
fig, ax = plt.subplots(figsize=(6.5, 3.8))
groups = [(f"d = {sweep.hidden_size}, n varies", [run.by_length for run in last.runs], "o-"),
          (f"n = {sweep.length}, d varies", [run.by_hidden for run in last.runs], "s--"),
          ("d = 64, n = 6 and 10", [[short, long] for short, long in zip(big_short, big_long)], "D-")]
for label, results, style in groups:
    load = [r.length * bits_per_token / r.hidden_size for r in results[0]]
    plot_seeds(ax, load, [[r.accuracy for r in per_seed] for per_seed in results], style, label=label)
for results, offset in ((small_at_4, (25, 12)), (big_long, (10, -35))):
    load = results[0].length * bits_per_token / results[0].hidden_size
    ax.annotate(f"d = {results[0].hidden_size}, n = {results[0].length}", (load, np.mean([r.accuracy for r in results])),
                xytext=offset, textcoords="offset points", fontsize=9,
                arrowprops=dict(arrowstyle="-", color="0.4", lw=0.7))
ax.set_xscale("log", base=2)
ax.set_xticks([0.5, 1, 2], ["0.5", "1", "2"])
ax.set(xlabel="load: input bits per hidden unit, n log2 V / d (log scale)", ylabel="token accuracy",
       ylim=(0, 1.05), title=f"Accuracy against load, every model of this lecture ({len(seeds)} seeds)")
ax.legend(loc="lower left", fontsize=8)
plt.show()

# %% [markdown]
# Within each sweep, more load means lower accuracy, as a bottleneck should. But the curves do not
# coincide: the $d = 64$ model at $n = 10$ carries a load of only $0.625$ bits per unit and is
# less accurate than the $d = 16$ model at $n = 4$, which carries a full bit per unit, on every
# seed. In the same training budget, a large state is used much less efficiently than a small one.
# So the honest summary is not a law but a measurement: for these models and this budget, the
# largest Fano bound of any context was between ten and twenty bits (more may have got through,
# but no more is guaranteed), and multiplying $d$ by 4 bought far less than 4 times the length.

# %%
assert 10 * 4 / 64 < 4 * 4 / 16, "check: the load of d = 64, n = 10 is the lower one"
assert np.all(accuracy["big_long"] < accuracy["small_at_4"] - 0.2), "lower load, clearly lower accuracy"
best_bits = np.max(np.concatenate([bits_by_length, bits_by_hidden, [[delivered(r)] for r in big_long]], axis=1), axis=1)
assert np.all((10 < best_bits) & (best_bits < 20)), "on each seed the best bound is between ten and twenty bits"
print(f"asserted on each of the {len(seeds)} seeds: at a lower load (0.625 vs 1 bit per unit), d = 64 at n = 10")
print("         is more than 0.2 less accurate than d = 16 at n = 4: load per unit is not a universal law here;")
print("         the largest Fano bound of all these contexts is between 10 and 20 bits")

# %% [markdown]
# ## 7. Mean pooling instead of the last state
#
# Lecture 1 met the simplest way to pass a sequence on: average it. Here that means a different
# context, the mean of all encoder states,
#
# $$c = \frac{1}{n} \sum_{i=1}^{n} h_i ,$$
#
# with everything else unchanged. What should we expect?
#
# * **No more room.** $c$ is still $d$ numbers, so the counting of Section 5 is unchanged.
# * **A different bias.** Token $x_i$ can influence only the states $h_i, \dots, h_n$: that is
#   $n - i + 1$ of the $n$ terms of the average. The first token reaches every term, the last only
#   one. The final state favours the *end* of the input; the mean leans towards its *beginning*.
#   So the accuracy along the output should no longer fall steadily.
# * **A cost.** Averaging adds up states that each hold a different mixture of tokens; to keep the
#   tokens apart, the encoder must learn to write every token in a form that survives being summed
#   with all the others. That is harder than writing the final state, so accuracy may well be
#   *lower*.
#
# Same task, same hidden size $d = 16$, same budget and seeds, at the middle lengths $n = 4, 6, 8$,
# where the final state is neither perfect nor close to its floor:

# %% tags=["nbval-ignore-output"]
mean_lengths = (4, 6, 8)
mean_sweep = replace(sweep, lengths=mean_lengths, hidden_sizes=(sweep.hidden_size,))  # the same d, fewer n
mean = bottleneck.run_seeds(mean_sweep, seeds, context="mean")
last_acc = np.array([[r.accuracy for r in last.at_length(n)] for n in mean_lengths]).T   # (seeds, lengths)
mean_acc = mean.accuracy_by_length()
for n, acc_last, acc_mean in zip(mean_lengths, last_acc.T, mean_acc.T):
    print(f"n = {n}: token accuracy  c = h_n {spread(acc_last)} | c = mean {spread(acc_mean)}")

# %%
# alt: The mean context is less accurate than the final state, with a U-shaped accuracy along the output.
fig, (ax_n, ax_pos) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
plot_seeds(ax_n, sweep.lengths, last.accuracy_by_length(), "o-", label=last.label)
plot_seeds(ax_n, mean_lengths, mean_acc, "s--", label=mean.label)
ax_n.axhline(1 / vocab_size, color="0.4", linestyle=":", lw=1, label="chance")
ax_n.set(xlabel="input length n", ylabel="token accuracy, fresh data", xticks=list(sweep.lengths), ylim=(0, 1.03),
         title=f"same budget, hidden size d = {sweep.hidden_size}")
ax_n.legend(title=f"mean of {len(seeds)} seeds, bar: range", fontsize=8, title_fontsize=8)
mean_n6, last_n6 = mean.at_length(6), last.at_length(6)
positions = np.arange(1, 7)
plot_seeds(ax_pos, positions, [r.per_position for r in last_n6], "o-", label=last.label)
plot_seeds(ax_pos, positions, [r.per_position for r in mean_n6], "s--", label=mean.label)
ax_pos.set(xlabel="output position t (it copies input position 7 - t)", ylabel="token accuracy", ylim=(0, 1.03),
           title="n = 6, d = 16: accuracy along the output")
ax_pos.legend(fontsize=8)
plt.show()

# %% [markdown]
# The mean gives a different error profile, as predicted: its accuracy along the output is
# U-shaped, with the last output (the first input token) its best, while the final state's
# accuracy falls to its worst, or within 0.05 of it, at that same position. But overall, the mean is **worse**
# at every length we tried, on every seed: it spreads the same $d$ numbers over the whole input
# and, it seems, pays for the mixing (a guess this lecture does not test). Mean pooling is a
# useful baseline, not a way around the bottleneck: whichever fixed vector we choose, the decoder
# gets $d$ numbers.

# %%
assert np.all(mean_acc < last_acc - 0.05), "the mean should be worse at n = 4, 6 and 8"
for profile_mean, profile_last in zip((r.per_position for r in mean_n6), (r.per_position for r in last_n6)):
    assert profile_mean[-1] > profile_mean.min() + 0.1, "the mean's profile rises again at the end"
    assert profile_mean[0] > profile_mean.min() + 0.05, "after falling first: a U"
    assert profile_mean.argmax() == len(profile_mean) - 1, "its last output is its best"
    assert profile_last[-1] < profile_last.min() + 0.05, "the final state is (near) its worst at the end"
print(f"asserted on each of the {len(seeds)} seeds: the mean context is less accurate than the final state")
print("         at n = 4, 6 and 8 (by more than 0.05); at n = 6 its profile is a U, more than 0.05 above")
print("         its lowest point at the start and more than 0.1 at the end, which is its best output;")
print("         the final state is within 0.05 of its worst at the end")

# %% [markdown]
# ## Summary
#
# * An encoder–decoder without attention passes the input to the decoder through one vector, the
#   context $c$: here the encoder's final state $h_n$ (or the mean of its states). The decoder's
#   equations contain $x$ only through $c$.
# * On reversal of random tokens, with $d = 16$, accuracy falls steadily with the input length,
#   on each of three seeds: every token right at $n = 2$, most at $n = 4$, fewer than two in five
#   at $n = 10$. At a fixed length, accuracy rises with $d$, but the step from 32 to 64 adds little.
# * The tokens read last survive best in $c = h_n$; and every added token also costs the others,
#   because they share the same $d$ numbers.
# * Fano's inequality turns the measured accuracies into a *lower* bound on the bits that reach
#   the decoder. Here that bound stayed below one bit per hidden unit on every model, and fell once
#   the inputs got long. It says how much is guaranteed to get through, not that no more could. A
#   float32 vector could hold 32 bits per unit: what limits these models is what a trained GRU
#   writes and reads reliably, not a count of bits.
# * A larger state moves the bend to longer inputs but does not remove it, and in a fixed budget it
#   buys far less than proportionally. Mean pooling changes which tokens survive, not the $d$
#   numbers the decoder gets; here it is worse than the final state.
#
# ## Self-check
#
# Try each question before opening the answer.
#
# **1.** In an encoder–decoder *without* attention, which component is the information
# bottleneck: the softmax output layer, the recurrent cell (the GRU), the input embedding, or the
# fixed-size context vector?
#
# <details><summary>Answer</summary>
#
# The fixed-size context vector, derived from the encoder's final hidden state. It is the only
# path from the input to the decoder, and its size $d$ is fixed however long the input is. The
# softmax works on one output token at a time over $V$ choices; the embedding holds one token at a
# time; the recurrent cell processes the input one step at a time and could pass on as many states
# as there are tokens. Lecture 4 keeps exactly these cells and changes only what the decoder may
# read. What fails here is the handover through $d$ numbers.
# </details>
#
# **2.** Why does a bigger hidden state only postpone the problem instead of solving it?
#
# <details><summary>Answer</summary>
#
# An input of $n$ tokens holds $n \log_2 V$ bits, which grows without bound with $n$, while $d$ is
# chosen once when the model is built. A larger $d$ moves the point where accuracy collapses to
# longer inputs (Section 6: at $n = 10$, $d = 64$ beats $d = 16$ clearly), but accuracy still
# falls as $n$ grows (the $d = 64$ model is clearly worse at $n = 10$ than at $n = 6$). Meanwhile
# the parameters grow like $d^2$, and in a fixed training budget the extra units were used far less
# efficiently than the first ones.
# </details>
#
# **3.** The context of a $d = 16$ model is 16 float32 numbers, 512 bits. A length-10 input holds
# 40 bits. Why, then, is "the input does not fit" not a valid explanation of the failure at
# $n = 10$, and what is?
#
# <details><summary>Answer</summary>
#
# 40 bits fit easily into 512 in principle, for instance by storing each token in a few bits of one
# float. But the encoder and decoder are smooth functions learned by gradient descent; they must
# write the tokens into $c$ and read them out again robustly, and what they learn to do reliably is
# far less than the storage limit. The Fano lower bound never exceeded one bit per hidden unit
# (a lower bound caps nothing, so this alone is no proof), and the accuracy itself says the rest:
# at $n = 10$ the decoder gets fewer than two tokens in five right, so whatever $c$ holds, the
# trained decoder does not get the 40 bits back out. The bottleneck is real, but it is set by what
# a trained network can use, not by a count of bits.
# </details>
#
# **4.** A model reverses every length-4 input perfectly ($V = 16$). At least how many bits about
# the input must its context vector carry?
#
# <details><summary>Answer</summary>
#
# All of them: $4 \log_2 16 = 16$ bits. The inputs are uniform and independent, so each output
# token that is always right delivers its full 4 bits (the Fano bound with $a_i = 1$), and the
# decoder sees the input only through $c$.
# </details>
#
# **5.** With $c = h_n$, which outputs of the reversal task does the model get right most often,
# and why? How does the picture change with $c = \frac1n \sum_i h_i$?
#
# <details><summary>Answer</summary>
#
# The first outputs: they copy the last tokens the encoder read, which later steps have had no
# chance to overwrite. Accuracy falls along the output. With the mean, token $x_i$ appears in
# $n - i + 1$ of the $n$ averaged states, so early tokens are no longer at a disadvantage; the
# profile becomes U-shaped. It does not become better overall: in our runs the mean was less
# accurate at every length we tried, on every seed.
# </details>
#
# **6.** Why do we measure accuracy with greedy decoding rather than with teacher forcing?
#
# <details><summary>Answer</summary>
#
# At test time nobody supplies the true previous token: the decoder must continue from its own
# output. Teacher forcing feeds it the truth at every step, so one mistake never leads to another
# and the score would be too optimistic: in Section 4, by more than 0.1 at $n = 6$, 8 and 10.
# Greedy decoding measures what the model does on its own.
# </details>
#
# **Next:** Lecture 4 removes the bottleneck without touching the encoder or the decoder's cell: at
# every step the decoder looks at *all* the encoder states $h_1, \dots, h_n$ and takes a weighted
# mix of them chosen for that step. It reruns this lecture's sweep with that one change.
