# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown] nbgrader={"grade": false, "grade_id": "intro", "locked": true, "schema_version": 3, "solution": false, "task": false}
# # Assignment 4 — Mini research: why attention beat recurrence
#
# **Goals.** Three reasons are usually given for why self-attention replaced recurrent layers:
# it parallelises, it connects distant positions directly, and it is cheap for the sequence
# lengths that matter. In this assignment you do not take those reasons on trust: you **measure**
# them, then **explain** them with your own numbers.
#
# * Part A (questions 1 to 4): describe both layers as dependency graphs and compute, for any
#   graph, how many sequential steps it needs and how far apart two positions are.
# * Part B (questions 5 to 8): count the floating-point operations of each layer, find the
#   sequence length at which self-attention becomes the more expensive of the two, then predict
#   that length on paper for other recurrent layers.
# * Part C: time both layers on your own machine and compare the slopes with your counts.
# * Part D (question 9): write the conclusion, backed by what you measured.
#
# **Before you start:** Lecture 1 (*Sequences and recurrence*), Lecture 2 (*Vanishing and
# exploding gradients*), Lecture 5 (*Self-attention*) and Lecture 6 (*Why attention replaced
# recurrence*), in the course's `lectures/` folder.
#
# **Estimated time:** 2 to 2.5 hours.
#
# **How this is graded.** Write your code where it says `YOUR CODE HERE` (delete the
# `raise NotImplementedError()` line) and your written answer where it says so. The test cells
# below each exercise are the *visible* tests: types and one simple case. When your work is graded,
# hidden tests also run: other sizes, hand-made graphs, graphs with thousands of nodes, and
# comparisons with independent reference implementations. Passing the visible tests is necessary,
# not sufficient. Press **Validate** in the toolbar to run everything you can see before you
# submit. Partial work earns partial credit: each function's points are split over several test
# cells, and each test cell checks one function on its own.
#
# **Studying on your own?** When the visible tests pass, check your work against every test,
# hidden ones included. From the course folder, with the path to your copy of this notebook:
#
# ```
# .venv/bin/python -m autograder check a4_why_attention_won.ipynb
# ```
#
# It prints your points per question and why a test failed, and changes nothing. Written answers
# are graded by hand in a class; working alone, compare yours with the model answer and its rubric
# in the instructor version, in `solutions/a4_why_attention_won/`, once you have written your own.
#
# Use plain Python and numpy only in your answers. Do not change the function names or
# signatures, and do not edit or delete the test cells. Your functions must not modify the
# arguments they are given (a graph, in Part A): later cells pass the same objects to other
# functions. The timing experiment of Part C earns no points by itself, but it must run, and
# Part D asks for its numbers.
#
# | part | what | points |
# |---|---|---|
# | 1 | `rnn_dependency_graph` | 2 |
# | 2 | `attention_dependency_graph` | 1 |
# | 3 | `critical_path_length` | 3 |
# | 4 | `shortest_path_length` | 2 |
# | 5 | `rnn_layer_flops` | 2 |
# | 6 | `self_attention_layer_flops` | 2 |
# | 7 | `crossover_length` | 2 |
# | 8 | `predicted_crossover_length` | 2 |
# | C | timing experiment (not graded, must run) | 0 |
# | 9 | written: why attention won (graded by hand) | 5 |
# | | **total** | **21** |

# %% nbgrader={"grade": false, "grade_id": "imports", "locked": true, "schema_version": 3, "solution": false, "task": false}
import time

import matplotlib.pyplot as plt
import numpy as np

# %% [markdown] nbgrader={"grade": false, "grade_id": "graphs_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part A — Dependency graphs
#
# A layer's **dependency graph** has one node per value the layer receives or computes, and an
# edge from $u$ to $v$ when $v$ is computed directly from $u$. In this assignment a graph is a
# plain Python `dict`:
#
# * each **key** is a node;
# * its **value** is a `tuple` of the nodes it is computed from directly (its *parents*); a node
#   that is given rather than computed has the empty tuple `()`;
# * every node that appears as a parent is also a key;
# * the order of the keys, and of the parents inside a tuple, does not matter.
#
# For the two layers of this assignment the nodes are tuples `(kind, position)`:
#
# | node | meaning | parents |
# |---|---|---|
# | `("x", i)`, $i = 1, \dots, n$ | input $x_i$ | none: `()` |
# | `("h", t)`, $t = 0, \dots, n$ | recurrent state $h_t$; `("h", 0)` is the given initial state | `()` for $t = 0$ |
# | `("y", t)`, $t = 1, \dots, n$ | output $y_t$ of the self-attention layer | see part 2 |
#
# **Worked example.** The recurrent layer reads $h_t = f(h_{t-1}, x_t)$: each state is computed
# from the previous state and the current input. For $n = 2$ its graph is
#
# ```python
# {("h", 0): (),
#  ("x", 1): (),
#  ("x", 2): (),
#  ("h", 1): (("h", 0), ("x", 1)),
#  ("h", 2): (("h", 1), ("x", 2))}
# ```
#
# The same graph describes an LSTM if you read each `("h", t)` as the pair of states
# $(h_t, c_t)$: both are computed from $h_{t-1}$, $c_{t-1}$ and $x_t$.
#
# Edges point in the **direction of computation**, from a parent to the nodes computed from it
# (its *children*): a change in $x_1$ travels forward along them to $h_1$, then to $h_2$.
# Gradients travel the same edges backwards.

# %% [markdown] nbgrader={"grade": false, "grade_id": "rnn_dependency_graph_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 1 — The recurrent layer's graph (2 points)
#
# Implement `rnn_dependency_graph(n)` for any $n \ge 1$: the graph of a recurrent layer that reads
# $x_1, \dots, x_n$, with nodes `("x", i)` for $i = 1..n$ and `("h", t)` for $t = 0..n$, where
# `("h", 0)` has no parents and each `("h", t)`, $t \ge 1$, has exactly the two parents
# `("h", t - 1)` and `("x", t)`. For $n = 2$ it must return the dict above.

# %% nbgrader={"grade": false, "grade_id": "rnn_dependency_graph", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_dependency_graph(n):
    """Dependency graph of a recurrent layer over n inputs: h_t reads h_(t-1) and x_t."""
    ### BEGIN SOLUTION
    graph = {("h", 0): ()}
    for t in range(1, n + 1):
        graph[("x", t)] = ()
        graph[("h", t)] = (("h", t - 1), ("x", t))
    return graph
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rnn_dependency_graph_small", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_graph = rnn_dependency_graph(2)
assert isinstance(_graph, dict), "return a dict"
assert all(isinstance(_parents, tuple) for _parents in _graph.values()), "each value must be a tuple of parents"
_expected = {("h", 0): set(), ("x", 1): set(), ("x", 2): set(),
             ("h", 1): {("h", 0), ("x", 1)}, ("h", 2): {("h", 1), ("x", 2)}}
assert set(_graph) == set(_expected), f"the nodes for n = 2 should be {list(_expected)}, got {list(_graph)}"
for _node, _parents in _expected.items():
    assert set(_graph[_node]) == _parents, f"{_node} should have parents {_parents}, got {_graph[_node]}"
### BEGIN HIDDEN TESTS
_one = rnn_dependency_graph(1)
assert set(_one) == {("h", 0), ("x", 1), ("h", 1)}
assert _one[("h", 0)] == () and _one[("x", 1)] == ()
assert sorted(_one[("h", 1)]) == [("h", 0), ("x", 1)]
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_dependency_graph_any_length", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
for _n in (3, 10, 257):
    _graph = rnn_dependency_graph(_n)
    _reference = {("h", 0): ()}
    for _t in range(1, _n + 1):
        _reference[("x", _t)] = ()
        _reference[("h", _t)] = (("h", _t - 1), ("x", _t))
    assert isinstance(_graph, dict) and set(_graph) == set(_reference), f"wrong set of nodes for n = {_n}"
    for _node, _parents in _reference.items():
        assert isinstance(_graph[_node], tuple), f"parents of {_node} must be a tuple"
        assert len(_graph[_node]) == len(_parents), f"{_node} has {len(_graph[_node])} parents, expected {len(_parents)}"
        assert set(_graph[_node]) == set(_parents), f"wrong parents for {_node} when n = {_n}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "attention_dependency_graph_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 2 — The self-attention layer's graph (1 point)
#
# In a self-attention layer every output $y_t$ is a weighted mix of values computed from **all**
# the inputs, with weights computed from all the inputs too. We take the full, non-causal layer of
# an encoder: $y_t$ reads $x_1, \dots, x_n$, including the positions after $t$. (A causal mask, as
# in a decoder, would cut the edges from $x_{t+1}, \dots, x_n$; that is *not* the graph asked for
# here.) The queries, keys and values are intermediate results inside one layer; we leave them out
# and draw the edges from inputs to outputs directly.
#
# Implement `attention_dependency_graph(n)` for any $n \ge 1$: nodes `("x", i)` for $i = 1..n$
# with no parents, and `("y", t)` for $t = 1..n$, each with the $n$ parents
# `("x", 1), ..., ("x", n)`. There are no `("h", t)` nodes.

# %% nbgrader={"grade": false, "grade_id": "attention_dependency_graph", "locked": false, "schema_version": 3, "solution": true, "task": false}
def attention_dependency_graph(n):
    """Dependency graph of a (non-causal) self-attention layer: every y_t reads every x_i."""
    ### BEGIN SOLUTION
    inputs = tuple(("x", i) for i in range(1, n + 1))
    graph = {node: () for node in inputs}
    for t in range(1, n + 1):
        graph[("y", t)] = inputs
    return graph
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_attention_dependency_graph", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_graph = attention_dependency_graph(2)
assert isinstance(_graph, dict), "return a dict"
assert all(isinstance(_parents, tuple) for _parents in _graph.values()), "each value must be a tuple of parents"
assert set(_graph) == {("x", 1), ("x", 2), ("y", 1), ("y", 2)}, f"wrong nodes for n = 2: {list(_graph)}"
assert _graph[("x", 1)] == () and _graph[("x", 2)] == (), "inputs have no parents"
assert set(_graph[("y", 1)]) == {("x", 1), ("x", 2)}, "y_1 reads every input, also the later x_2"
### BEGIN HIDDEN TESTS
for _n in (1, 6, 40):
    _graph = attention_dependency_graph(_n)
    _inputs = {("x", _i) for _i in range(1, _n + 1)}
    assert set(_graph) == _inputs | {("y", _t) for _t in range(1, _n + 1)}
    for _i in range(1, _n + 1):
        assert _graph[("x", _i)] == ()
    for _t in range(1, _n + 1):
        assert isinstance(_graph[("y", _t)], tuple) and len(_graph[("y", _t)]) == _n
        assert set(_graph[("y", _t)]) == _inputs, f"y_{_t} must read all {_n} inputs"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "critical_path_length_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 3 — Sequential steps: the critical path (3 points)
#
# Suppose you have as many processors as you like. A node with no parents is available at step 0.
# Any other node can be computed one step after the last of its parents is ready, so its
# **depth** is
#
# $$\operatorname{depth}(v) = \begin{cases} 0 & \text{if } v \text{ has no parents,} \\
# 1 + \max_{u \in \operatorname{parents}(v)} \operatorname{depth}(u) & \text{otherwise.} \end{cases}$$
#
# The number of sequential steps needed to compute the whole graph is the largest depth. It equals
# the number of **edges** on the longest path of the graph, its *critical path*. For the worked
# example: the inputs and $h_0$ have depth 0, $h_1$ depth 1, $h_2$ depth 2, so the answer is 2.
# No amount of hardware computes that graph in fewer steps.
#
# Implement `critical_path_length(graph)` for **any** graph in the format above that has no cycles
# and at least one node, not only the two layers:
#
# * node names can be any hashable values (tuples, strings, numbers);
# * keys can come in any order: a node may be listed before its parents;
# * the graph may have several unconnected pieces;
# * a graph whose nodes are all inputs has critical path 0;
# * do not modify the graph: leave its keys and values as they are (later cells pass the same
#   graph to `shortest_path_length`).
#
# It must handle graphs of **several thousand nodes**. Python stops a recursion about 1000 calls
# deep, so a recursive function that follows a chain of 3000 states fails; and recomputing a
# node's depth every time one of its children asks for it can take exponentially long on graphs
# whose paths branch and rejoin. Compute every depth once, with a loop, in an order in which each
# node comes after its parents (a *topological order*). One way: count each node's parents that
# are not yet done, start from the nodes with no parents, and release a node when its count
# reaches zero (Kahn's algorithm).

# %% nbgrader={"grade": false, "grade_id": "critical_path_length", "locked": false, "schema_version": 3, "solution": true, "task": false}
def critical_path_length(graph):
    """Number of edges on the longest path of an acyclic dependency graph (0 if it has no edges)."""
    ### BEGIN SOLUTION
    children = {node: [] for node in graph}
    parents_left = {node: len(parents) for node, parents in graph.items()}
    for node, parents in graph.items():
        for parent in parents:
            children[parent].append(node)
    depth = {node: 0 for node, count in parents_left.items() if count == 0}
    ready = list(depth)
    while ready:
        node = ready.pop()
        for child in children[node]:
            # a child is at least one step after each of its parents
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
            parents_left[child] -= 1
            if parents_left[child] == 0:
                ready.append(child)
    return max(depth.values())
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_critical_path_length_small", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# These tests write their graphs out, so they do not depend on your answers to parts 1 and 2.
_rnn_2 = {("h", 0): (), ("x", 1): (), ("x", 2): (),
          ("h", 1): (("h", 0), ("x", 1)), ("h", 2): (("h", 1), ("x", 2))}
_attention_2 = {("x", 1): (), ("x", 2): (),
                ("y", 1): (("x", 1), ("x", 2)), ("y", 2): (("x", 1), ("x", 2))}
assert critical_path_length(_rnn_2) == 2, "the recurrent layer with n = 2 needs 2 sequential steps"
assert critical_path_length(_attention_2) == 1, "the self-attention layer needs 1 step"
assert critical_path_length({("x", 1): (), ("x", 2): ()}) == 0, "a graph of inputs only needs 0 steps"
### BEGIN HIDDEN TESTS
# a diamond with one long and one short arm: the longest path counts, not the shortest
_diamond = {"a": (), "b": ("a",), "c": ("b",), "d": ("c", "a")}
assert critical_path_length(_diamond) == 3, "longest path, not shortest"
_two_arms = {"s": (), "short": ("s",), "long1": ("s",), "long2": ("long1",), "t": ("short", "long2")}
assert critical_path_length(_two_arms) == 3
# unconnected pieces: the deepest one counts, wherever it is listed
_pieces = {"p": (), "q": ("p",), 1: (), 2: (1,), 3: (2,), 4: (3,)}
assert critical_path_length(_pieces) == 3, "two unconnected pieces: the deeper one counts"
_pieces = {4: (3,), 3: (2,), 2: (1,), 1: (), "p": (), "q": ("p",), ("lone", 0): ()}
assert critical_path_length(_pieces) == 3, "three unconnected pieces, the deepest listed first"
assert critical_path_length({"alone": ()}) == 0
assert critical_path_length({"a": (), "b": (), "c": (), "d": ()}) == 0, "inputs only, no edges: 0"
# numbers, tuples and frozensets as names
assert critical_path_length({0: (), 1: (0,), 2: (0, 1), 3: (2,)}) == 3
assert critical_path_length({frozenset({1}): (), (2, "b"): (frozenset({1}),), 7.5: ((2, "b"),)}) == 2
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_critical_path_length_any_order", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
def _reference_critical_path(graph):
    """Longest path in edges: a depth-first post-order over the parents (an explicit stack), then one pass."""
    order, state = [], {}
    for start in graph:
        if start in state:
            continue
        stack = [(start, iter(graph[start]))]
        state[start] = "open"
        while stack:
            node, parents = stack[-1]
            for parent in parents:
                if parent not in state:
                    state[parent] = "open"
                    stack.append((parent, iter(graph[parent])))
                    break
            else:
                stack.pop()
                state[node] = "done"
                order.append(node)
    depth = {}
    for node in order:  # parents come first in this order
        depth[node] = 1 + max(depth[p] for p in graph[node]) if graph[node] else 0
    return max(depth.values())


from r2a.checks import changed_arguments

# children listed before their parents: one pass in the given order is not enough
assert critical_path_length({"c": ("b",), "b": ("a",), "a": ()}) == 2
_rng = np.random.default_rng(20240)
for _trial in range(25):
    _size = int(_rng.integers(1, 45))
    _density = float(_rng.uniform(0.02, 0.35))
    _names = [f"node{_k}" for _k in _rng.permutation(_size)]  # names unrelated to the order
    _graph = {}
    for _i in _rng.permutation(_size):  # keys in random order, parents earlier in a hidden order
        _graph[_names[_i]] = tuple(_names[_j] for _j in range(_i) if _rng.random() < _density)
    _expected = _reference_critical_path(_graph)
    _got, _changed = changed_arguments(critical_path_length, _graph)  # your function gets a copy
    assert not _changed, "critical_path_length must not modify the graph it is given"
    assert _got == _expected, f"random DAG with {_size} nodes: expected {_expected}, got {_got}"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_critical_path_length_thousands_of_nodes", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
# a recurrent layer with n = 3000, its keys listed from the last state back to the first
_n = 3000
_chain = {}
for _t in range(_n, 0, -1):
    _chain[("h", _t)] = (("h", _t - 1), ("x", _t))
    _chain[("x", _t)] = ()
_chain[("h", 0)] = ()
assert critical_path_length(_chain) == _n, "a recurrent layer over 3000 inputs needs 3000 steps"
# a self-attention layer with n = 300 (90,000 edges), outputs listed first
_n = 300
_inputs = tuple(("x", _i) for _i in range(1, _n + 1))
_attention = {("y", _t): _inputs for _t in range(1, _n + 1)}
_attention.update({_x: () for _x in _inputs})
assert critical_path_length(_attention) == 1
# 1000 diamonds in a row (3001 nodes): every diamond doubles the number of paths, so a depth is
# computed once or the count never ends; the longest path has 2 edges per diamond
_ladder = {("a", 0): ()}
for _k in range(1, 1001):
    _ladder[("b", _k)] = (("a", _k - 1),)
    _ladder[("c", _k)] = (("a", _k - 1),)
    _ladder[("a", _k)] = (("c", _k), ("b", _k))
assert critical_path_length(_ladder) == 2000, "1000 diamonds in a row: 2000 sequential steps"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "shortest_path_length_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 4 — Distance between positions: the shortest path (2 points)
#
# How directly can an early position influence a late one? Count the edges on the **shortest**
# path from one node to another, following the edges in the direction of computation (from a node
# to the nodes computed from it). Every edge on that path is one more transformation that a signal
# goes through on the way forward, and that the gradient goes through on the way back (Lecture 2).
#
# Implement `shortest_path_length(graph, source, target)` for any graph in the format above:
#
# * return the fewest edges on a directed path from `source` to `target`;
# * return `0` when `source == target`;
# * return `None` when there is no such path, that is, when `target` does not depend on `source`
#   (for example from $h_2$ back to $x_1$, or between two outputs of the self-attention layer);
# * as in part 3, node names can be any hashable values, keys can come in any order, the graph
#   may have several unconnected pieces, and it may have several thousand nodes;
# * do not modify the graph: leave its keys and values as they are.
#
# The dict gives each node's *parents*, but the path runs from parents to children: build the
# children first, or search backwards from the target along the parents. A breadth-first search
# finds the fewest edges; a depth-first search in general does not.

# %% nbgrader={"grade": false, "grade_id": "shortest_path_length", "locked": false, "schema_version": 3, "solution": true, "task": false}
def shortest_path_length(graph, source, target):
    """Fewest edges on a path from source to target along the direction of computation, or None."""
    ### BEGIN SOLUTION
    children = {node: [] for node in graph}
    for node, parents in graph.items():
        for parent in parents:
            children[parent].append(node)
    distance = {source: 0}
    frontier = [source]
    while frontier:  # breadth-first: every node at distance k is found before any at distance k + 1
        next_frontier = []
        for node in frontier:
            if node == target:
                return distance[node]
            for child in children[node]:
                if child not in distance:
                    distance[child] = distance[node] + 1
                    next_frontier.append(child)
        frontier = next_frontier
    return None
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_shortest_path_length_layers", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
from copy import deepcopy

_rnn_2 = {("h", 0): (), ("x", 1): (), ("x", 2): (),
          ("h", 1): (("h", 0), ("x", 1)), ("h", 2): (("h", 1), ("x", 2))}
# each call gets a fresh copy of the graph
assert shortest_path_length(deepcopy(_rnn_2), ("x", 1), ("h", 2)) == 2, "x_1 -> h_1 -> h_2 is 2 edges"
assert shortest_path_length(deepcopy(_rnn_2), ("x", 2), ("h", 2)) == 1
assert shortest_path_length(deepcopy(_rnn_2), ("h", 1), ("h", 1)) == 0, "from a node to itself: 0 edges"
assert shortest_path_length(deepcopy(_rnn_2), ("h", 2), ("x", 1)) is None, "x_1 does not depend on h_2: None"
### BEGIN HIDDEN TESTS
_n = 60
_chain = {("h", 0): ()}
for _t in range(1, _n + 1):
    _chain[("x", _t)] = ()
    _chain[("h", _t)] = (("h", _t - 1), ("x", _t))
assert shortest_path_length(deepcopy(_chain), ("x", 1), ("h", _n)) == _n
assert shortest_path_length(deepcopy(_chain), ("h", 0), ("h", _n)) == _n
assert shortest_path_length(deepcopy(_chain), ("x", 17), ("h", 20)) == 4
assert shortest_path_length(deepcopy(_chain), ("h", _n), ("x", 1)) is None
assert shortest_path_length(deepcopy(_chain), ("x", 2), ("h", 1)) is None, "h_1 is computed before x_2 is read"
assert shortest_path_length(deepcopy(_chain), ("x", 1), ("x", 2)) is None
assert shortest_path_length(deepcopy(_chain), ("x", 1), ("x", 1)) == 0, "an input to itself: 0 edges"
assert shortest_path_length(deepcopy(_chain), ("h", _n), ("h", _n)) == 0, "the last state to itself: 0 edges"
_inputs = tuple(("x", _i) for _i in range(1, 6))
_attention = {**{_x: () for _x in _inputs}, **{("y", _t): _inputs for _t in range(1, 6)}}
assert shortest_path_length(deepcopy(_attention), ("x", 1), ("y", 5)) == 1
assert shortest_path_length(deepcopy(_attention), ("x", 5), ("y", 1)) == 1
assert shortest_path_length(deepcopy(_attention), ("y", 1), ("y", 2)) is None, "outputs do not read each other"
assert shortest_path_length(deepcopy(_attention), ("y", 3), ("x", 3)) is None
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_shortest_path_length_any_graph", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
from copy import deepcopy

from r2a.checks import changed_arguments

# the long way round is listed first: a depth-first search finds 4 edges, the shortest path has 1
_detour = {"s": (), "a": ("s",), "b": ("a",), "c": ("b",), "t": ("c", "s")}
assert shortest_path_length(deepcopy(_detour), "s", "t") == 1
assert shortest_path_length(deepcopy(_detour), "a", "t") == 3
assert shortest_path_length(deepcopy(_detour), "t", "s") is None
# children listed before their parents, names of several types
_backwards = {(3, "c"): (frozenset({2}),), frozenset({2}): ("one",), "one": (0,), 0: ()}
assert shortest_path_length(deepcopy(_backwards), 0, (3, "c")) == 3
assert shortest_path_length(deepcopy(_backwards), frozenset({2}), frozenset({2})) == 0
# unconnected pieces
_pieces = {"p": (), "q": ("p",), 1: (), 2: (1,), "lone": ()}
assert shortest_path_length(deepcopy(_pieces), "p", 2) is None
assert shortest_path_length(deepcopy(_pieces), 1, 2) == 1
assert shortest_path_length(deepcopy(_pieces), "lone", "q") is None
assert shortest_path_length(deepcopy(_pieces), "lone", "lone") == 0
# several thousand nodes: a recurrent layer with n = 3000, keys from the last state back
_n = 3000
_chain = {}
for _t in range(_n, 0, -1):
    _chain[("h", _t)] = (("h", _t - 1), ("x", _t))
    _chain[("x", _t)] = ()
_chain[("h", 0)] = ()
assert shortest_path_length(deepcopy(_chain), ("x", 1), ("h", _n)) == _n, "x_1 -> h_3000 is 3000 edges"
assert shortest_path_length(deepcopy(_chain), ("h", _n), ("h", 0)) is None


def _reference_distance(graph, source, target):
    """Backwards breadth-first search from the target along the parents."""
    seen, level, steps = {target}, [target], 0
    while level:
        if source in level:
            return steps
        following = []
        for node in level:
            for parent in graph[node]:
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        level, steps = following, steps + 1
    return None


_rng = np.random.default_rng(31337)
for _trial in range(20):
    _size = int(_rng.integers(2, 30))
    _density = float(_rng.uniform(0.05, 0.4))
    _names = [f"v{_k}" for _k in _rng.permutation(_size)]
    _graph = {}
    for _i in _rng.permutation(_size):
        _graph[_names[_i]] = tuple(_names[_j] for _j in range(_i) if _rng.random() < _density)
    for _pair in range(8):
        _a, _b = (_names[int(_k)] for _k in _rng.integers(0, _size, size=2))
        _expected = _reference_distance(_graph, _a, _b)
        _got, _changed = changed_arguments(shortest_path_length, _graph, _a, _b)  # your function gets a copy
        assert not _changed, "shortest_path_length must not modify the graph it is given"
        assert _got == _expected, f"{_a} -> {_b}: expected {_expected}, got {_got}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "graph_numbers_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Your numbers for Part A
#
# The cell below applies your four functions to both layers for a few lengths. Keep its output:
# Part D asks you to quote it.

# %% nbgrader={"grade": false, "grade_id": "graph_numbers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def show_graph_numbers(lengths=(8, 64, 256)):
    """Sequential steps and the distance from x_1 to the last position, for both layers."""
    try:
        for n in lengths:
            rnn, attention = rnn_dependency_graph(n), attention_dependency_graph(n)
            print(f"n = {n:>3}: sequential steps  recurrent {critical_path_length(rnn):>3} | "
                  f"self-attention {critical_path_length(attention)}    "
                  f"path x_1 -> last position  recurrent {shortest_path_length(rnn, ('x', 1), ('h', n)):>3} | "
                  f"self-attention {shortest_path_length(attention, ('x', 1), ('y', n))}")
    except NotImplementedError:
        print("Finish parts 1 to 4 first, then run this cell again.")


show_graph_numbers()

# %% [markdown] nbgrader={"grade": false, "grade_id": "flops_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part B — Counting the work
#
# Part A counted *steps*. Now count *work*: the floating-point operations (FLOPs) of one forward
# pass of one layer over one sequence of length $n$, with width $d$ everywhere. Use this
# convention, and only this one:
#
# * multiplying an $(a \times b)$ matrix by a $(b \times c)$ matrix costs $2abc$ FLOPs: each of the
#   $ac$ entries of the result takes $b$ multiply-adds, and one multiply-add counts as 2 FLOPs. A
#   matrix times a vector is the case $c = 1$: $2ab$ FLOPs;
# * count **only matrix products**; ignore biases, nonlinearities, the softmax, the scaling by
#   $1/\sqrt{d}$ and all element-wise products.
#
# **The recurrent layer is an LSTM** with input and state width $d$. The recurrent layers that
# self-attention displaced in practice were LSTMs, and a plain tanh RNN is a quarter of an LSTM's
# work (see the note at the end of Part B). At each step $t = 1, \dots, n$, each of the four gate
# pre-activations (input gate, forget gate, output gate and candidate cell) needs one product with
# the input and one with the previous state:
#
# $$z^{(g)}_t = W_g\, x_t + U_g\, h_{t-1} + b_g, \qquad W_g, U_g \in \mathbb{R}^{d \times d},
# \qquad g \in \{i, f, o, c\}.$$
#
# **The self-attention layer** has one head with $d_k = d_v = d$. With the inputs as the rows of
# $X \in \mathbb{R}^{n \times d}$ it computes
#
# $$Q = X W_Q,\quad K = X W_K,\quad V = X W_V,\quad S = Q K^\top,\quad
# A = \operatorname{softmax}\!\left(S / \sqrt{d}\right)\text{ row by row},\quad
# Y = (A V)\, W_O,$$
#
# with $W_Q, W_K, W_V, W_O \in \mathbb{R}^{d \times d}$: three projections, the scores, the
# weights times the values, and the output projection.
#
# Work out the shape of every product before you count it. In particular, $S$ has one entry per
# *pair* of positions.

# %% [markdown] nbgrader={"grade": false, "grade_id": "rnn_layer_flops_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 5 — The recurrent layer's FLOPs (2 points)
#
# Implement `rnn_layer_flops(n, d)`: the FLOPs of the LSTM layer above over $n$ steps, for any
# whole numbers $n \ge 1$ and $d \ge 1$, as a number (an `int` or a `float`). The tests compare
# your count exactly with the number the convention above gives, for many $n$ and $d$: a count of
# multiply-adds (half as large), of other work besides the matrix products, or of another layer
# does not pass.

# %% nbgrader={"grade": false, "grade_id": "rnn_layer_flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def rnn_layer_flops(n, d):
    """FLOPs of one LSTM layer (width d) over n steps, counting only matrix products."""
    ### BEGIN SOLUTION
    products_per_step = 4 * 2  # four gates, each with W_g x_t and U_g h_(t-1)
    return n * products_per_step * 2 * d * d  # a (d x d) matrix times a vector: 2 d^2 FLOPs
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_rnn_layer_flops_scaling", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_flops = rnn_layer_flops(10, 8)
assert isinstance(_flops, (int, float, np.integer, np.floating)) and _flops > 0, "return a positive number"
assert np.isclose(rnn_layer_flops(20, 8) / rnn_layer_flops(10, 8), 2.0), "twice as many steps, twice the work"
### BEGIN HIDDEN TESTS
# Only matrix products, each a (d x d) matrix times a vector: the count is exactly proportional
# to n and to d^2 (anything else counted, such as biases, breaks the proportions).
for _n, _d in [(1, 1), (7, 3), (100, 64), (1000, 512), (5, 4096)]:
    _ours = float(rnn_layer_flops(_n, _d))
    _in_n = float(rnn_layer_flops(2 * _n, _d)) / _ours
    assert abs(_in_n - 2.0) <= 1e-12, f"the work must be exactly proportional to n; doubling n gave {_in_n} (d = {_d})"
    _in_d = float(rnn_layer_flops(_n, 2 * _d)) / _ours
    assert abs(_in_d - 4.0) <= 1e-12, f"only matrix products: doubling d must multiply the work by exactly 4, got {_in_d} (d = {_d})"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_rnn_layer_flops_size", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
# The exact count under the stated convention: per step, 4 gates x 2 products x 2 d^2 FLOPs.
for _n, _d in [(1, 1), (1, 16), (3, 5), (50, 128), (512, 512), (3, 2048), (65536, 4096)]:
    _expected = 16 * _n * _d ** 2
    _got = rnn_layer_flops(_n, _d)
    assert isinstance(_got, (int, float, np.integer, np.floating)), f"return a number, got {type(_got).__name__}"
    assert abs(float(_got) - _expected) <= 1e-12 * _expected, \
        f"the LSTM count at n = {_n}, d = {_d} is {float(_got) / _expected:g} times the count the convention gives"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "self_attention_layer_flops_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 6 — The self-attention layer's FLOPs (2 points)
#
# Implement `self_attention_layer_flops(n, d)`: the FLOPs of the self-attention layer above, for
# any whole numbers $n \ge 1$ and $d \ge 1$, under the same convention, as a number (an `int` or a
# `float`). Count all six products. As in part 5, the tests compare your count exactly with the
# number the convention gives.

# %% nbgrader={"grade": false, "grade_id": "self_attention_layer_flops", "locked": false, "schema_version": 3, "solution": true, "task": false}
def self_attention_layer_flops(n, d):
    """FLOPs of one single-head self-attention layer (width d) over n positions: matrix products only."""
    ### BEGIN SOLUTION
    def matmul(a, b, c):  # (a x b) @ (b x c)
        return 2 * a * b * c

    projections = 3 * matmul(n, d, d)  # Q, K, V
    scores = matmul(n, d, n)           # Q K^T: one score per pair of positions
    mix = matmul(n, n, d)              # A V
    output = matmul(n, d, d)           # (A V) W_O
    return projections + scores + mix + output
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_self_attention_layer_flops_scaling", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
_flops = self_attention_layer_flops(16, 16)
assert isinstance(_flops, (int, float, np.integer, np.floating)) and _flops > 0, "return a positive number"
_in_n = self_attention_layer_flops(32, 16) / _flops
assert 2.0 < _in_n < 4.0, f"doubling n should multiply the work by more than 2 and less than 4, got {_in_n:.2f}"
### BEGIN HIDDEN TESTS
# How the count grows, exactly: these ratios do not depend on the constant in front of each term,
# only on which products are counted and on their shapes (four (n x d)(d x d) products, Q K^T, A V).
def _growth(n, d):
    return 8 * n * d ** 2 + 4 * n ** 2 * d


for (_n1, _d1), (_n2, _d2) in [((65536, 64), (131072, 64)), ((65536, 64), (65536, 128)),
                               ((2, 4096), (4, 4096)), ((2, 4096), (2, 8192)), ((1, 1), (3, 1)),
                               ((16, 16), (16, 48)), ((100, 7), (300, 7))]:
    _ours = float(self_attention_layer_flops(_n2, _d2)) / float(self_attention_layer_flops(_n1, _d1))
    _ref = _growth(_n2, _d2) / _growth(_n1, _d1)
    assert abs(_ours - _ref) <= 1e-12 * _ref, \
        f"from (n, d) = {(_n1, _d1)} to {(_n2, _d2)} the work should grow {_ref:.4f} times, yours grows {_ours:.4f} times"
### END HIDDEN TESTS

# %% nbgrader={"grade": true, "grade_id": "test_self_attention_layer_flops_terms", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
def _reference_attention(n, d):
    return 8 * n * d ** 2 + 4 * n ** 2 * d  # four (n x d)(d x d) products, Q K^T and A V


# The exact count under the stated convention (2 FLOPs per multiply-add, matrix products only).
for _n, _d in [(1, 1), (2, 3), (1, 512), (8, 1024), (64, 256), (64, 64), (2048, 64), (16384, 64), (300, 300)]:
    _expected = _reference_attention(_n, _d)
    _got = self_attention_layer_flops(_n, _d)
    assert isinstance(_got, (int, float, np.integer, np.floating)), f"return a number, got {type(_got).__name__}"
    assert abs(float(_got) - _expected) <= 1e-12 * _expected, \
        f"the attention count at n = {_n}, d = {_d} is {float(_got) / _expected:g} times the count the convention gives"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "crossover_length_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 7 — Where self-attention becomes the more expensive layer (2 points)
#
# Implement `crossover_length(d)`: the **smallest** sequence length $n \ge 1$ at which
# `self_attention_layer_flops(n, d)` is **strictly greater** than `rnn_layer_flops(n, d)`, as an
# `int`. A length at which the two costs are equal does not count.
#
# Find it by calling your two functions from parts 5 and 6 (a search over $n$), not from a
# formula typed in by hand: the tests also call `crossover_length` with other cost functions in
# place of yours. Your function must return the right answer for any pair of cost functions in
# which attention costs strictly more from some length on, including pairs in which
#
# * attention already costs more at $n = 1$: the answer is then 1;
# * the crossover is smaller than $d$;
# * the costs cross more than once (attention costs more at some short lengths, then less again,
#   then more for good): the answer is still the smallest $n$ at which attention costs strictly
#   more, the first crossing, not a later one.

# %% nbgrader={"grade": false, "grade_id": "crossover_length", "locked": false, "schema_version": 3, "solution": true, "task": false}
def crossover_length(d):
    """Smallest n at which self-attention costs more FLOPs than the recurrent layer, at width d."""
    ### BEGIN SOLUTION
    n = 1
    while self_attention_layer_flops(n, d) <= rnn_layer_flops(n, d):
        n += 1
    return n
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_crossover_length_other_costs", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# This test puts two made-up cost functions in place of yours, then puts yours back.
_yours = (rnn_layer_flops, self_attention_layer_flops)
try:
    rnn_layer_flops = lambda n, d: 10 * n * d
    self_attention_layer_flops = lambda n, d: n * n + n * d
    # n^2 + n d > 10 n d  <=>  n > 9 d; at n = 9 d the two costs are equal
    _got = crossover_length(3)
    assert isinstance(_got, (int, np.integer)), f"return an int, got {type(_got).__name__}"
    assert _got == 28, f"with these costs and d = 3 the answer is 28, got {_got}"
    ### BEGIN HIDDEN TESTS
    assert crossover_length(1) == 10 and crossover_length(50) == 451, "a tie at n = 9 d is not strictly greater"
    rnn_layer_flops = lambda n, d: 3 * n * d * d
    self_attention_layer_flops = lambda n, d: 2 * n * n * d + n * d * d
    assert [crossover_length(_d) for _d in (1, 5, 40)] == [2, 6, 41]  # equal at n = d
    rnn_layer_flops = lambda n, d: 10 * n * d + 5
    self_attention_layer_flops = lambda n, d: n * n
    assert crossover_length(1) == 11  # 121 > 115 while 100 < 105: no tie at the boundary
    # a crossover smaller than d: n^2 d + n d > 8 n d once n > 7, whatever d is (a tie at n = 7)
    rnn_layer_flops = lambda n, d: 8 * n * d
    self_attention_layer_flops = lambda n, d: n * n * d + n * d
    assert [crossover_length(_d) for _d in (1, 3, 64, 500)] == [8, 8, 8, 8], "the crossover can be smaller than d"
    # attention already costs more at n = 1
    rnn_layer_flops = lambda n, d: n * d
    self_attention_layer_flops = lambda n, d: n * d + 1
    assert crossover_length(2) == 1 and crossover_length(100) == 1, "more expensive at n = 1: the answer is 1"
    # three crossings: attention costs more at n = 5 and 6, less from 7 to 20, more from 21 on
    rnn_layer_flops = lambda n, d: 5000 * n * d
    self_attention_layer_flops = lambda n, d: 5000 * n * d + d * (2 * n - 9) * (2 * n - 13) * (2 * n - 41)
    assert crossover_length(1) == 5 and crossover_length(64) == 5, "the first crossing, not a later one"
    ### END HIDDEN TESTS
finally:
    rnn_layer_flops, self_attention_layer_flops = _yours

# %% nbgrader={"grade": true, "grade_id": "test_crossover_length_lstm_against_attention", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
# Reference counts in place of yours, so a mistake in parts 5 or 6 is not charged twice.
_yours = (rnn_layer_flops, self_attention_layer_flops)
try:
    rnn_layer_flops = lambda n, d: 16 * n * d * d
    self_attention_layer_flops = lambda n, d: 8 * n * d * d + 4 * n * n * d
    _found = {_d: crossover_length(_d) for _d in (1, 2, 3, 8, 16, 32, 64, 100, 128, 256, 512)}
finally:
    rnn_layer_flops, self_attention_layer_flops = _yours
for _d, _c in _found.items():
    assert isinstance(_c, (int, np.integer)), f"return an int, got {type(_c).__name__}"
    assert _c == 2 * _d + 1, f"equal cost at n = 2d, so the first n that costs more is 2d + 1; got {_c} for d = {_d}"
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "predicted_crossover_length_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## 8 — Predict the crossover before you compute it (2 points)
#
# Part 7 found the crossover by trying one length after another. Now predict it on paper, for a
# whole family of recurrent layers at once. A gated recurrent layer of width $d$ with `gates` gate
# pre-activations per step (1 for a plain tanh RNN, 3 for a GRU, 4 for the LSTM of part 5)
# computes each of them as in part 5, with one $(d \times d)$ product with the input and one with
# the previous state. (In a GRU the candidate state's second product reads $r_t \odot h_{t-1}$
# instead of $h_{t-1}$: the same shapes, the same count.) The self-attention layer is the one of
# part 6.
#
# Implement `predicted_crossover_length(d, gates)`: for any whole numbers $d \ge 1$ and
# `gates` $\ge 1$, the smallest sequence length $n \ge 1$ at which the self-attention layer costs
# strictly more FLOPs than this recurrent layer, under the convention of Part B, as an `int`.
#
# * A length at which the two costs are equal does not count.
# * When attention costs more at every length, the answer is 1.
# * Do not call your functions from parts 5 to 7: the tests put functions that raise an error in
#   their place.
#
# Work it out on paper first: write both counts as functions of $n$, $d$ and `gates`, and solve
# the inequality for $n$. The answer is a short formula. For `gates = 4` it predicts what your
# search of part 7 found; the cell after the tests prints both side by side.

# %% nbgrader={"grade": false, "grade_id": "predicted_crossover_length", "locked": false, "schema_version": 3, "solution": true, "task": false}
def predicted_crossover_length(d, gates):
    """Smallest n at which self-attention costs more FLOPs than a recurrent layer with `gates` gates, by formula."""
    ### BEGIN SOLUTION
    # recurrent: gates * 2 products * 2 d^2 FLOPs per step = 4 gates n d^2
    # attention: 8 n d^2 + 4 n^2 d.  Attention costs more  <=>  8 d + 4 n > 4 gates d  <=>  n > (gates - 2) d
    return max(1, (gates - 2) * d + 1)
    ### END SOLUTION


# %% nbgrader={"grade": true, "grade_id": "test_predicted_crossover_length_lstm_and_gru", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Your functions from parts 5 to 7 are replaced by stand-ins that raise an error, then put back.
def _not_allowed(*args, **kwargs):
    raise AssertionError("predicted_crossover_length must not call your functions from parts 5 to 7")


_yours = (rnn_layer_flops, self_attention_layer_flops, crossover_length)
try:
    rnn_layer_flops = self_attention_layer_flops = crossover_length = _not_allowed
    _got = predicted_crossover_length(3, 4)
    assert isinstance(_got, (int, np.integer)), f"return an int, got {type(_got).__name__}"
    assert _got >= 1, f"a sequence length is at least 1, got {_got}"
    ### BEGIN HIDDEN TESTS
    for _d in (1, 2, 3, 7, 64, 100, 512, 1000, 4096, 100000):
        _lstm, _gru = predicted_crossover_length(_d, 4), predicted_crossover_length(_d, 3)
        assert isinstance(_lstm, (int, np.integer)) and isinstance(_gru, (int, np.integer)), "return an int"
        assert _lstm == 2 * _d + 1, f"LSTM (4 gates), d = {_d}: the costs are equal at n = 2d, so {2 * _d + 1}; got {_lstm}"
        assert _gru == _d + 1, f"GRU (3 gates), d = {_d}: the costs are equal at n = d, so {_d + 1}; got {_gru}"
    ### END HIDDEN TESTS
finally:
    rnn_layer_flops, self_attention_layer_flops, crossover_length = _yours

# %% nbgrader={"grade": true, "grade_id": "test_predicted_crossover_length_any_gates", "locked": true, "points": 1, "schema_version": 3, "solution": false, "task": false}
# Hidden tests run in this cell when your work is graded.
### BEGIN HIDDEN TESTS
def _not_allowed(*args, **kwargs):
    raise AssertionError("predicted_crossover_length must not call your functions from parts 5 to 7")


def _first_more_expensive(d, gates):
    """The answer by a search over n, with the counts of the convention."""
    n = 1
    while 8 * n * d * d + 4 * n * n * d <= 4 * gates * n * d * d:
        n += 1
    return n


_yours = (rnn_layer_flops, self_attention_layer_flops, crossover_length)
try:
    rnn_layer_flops = self_attention_layer_flops = crossover_length = _not_allowed
    for _gates in (1, 2):  # attention costs more at every length: a tie at no n >= 1 either
        for _d in (1, 5, 64, 512, 4096):
            _got = predicted_crossover_length(_d, _gates)
            assert isinstance(_got, (int, np.integer)), f"return an int, got {type(_got).__name__}"
            assert _got == 1, f"with {_gates} gate(s) attention costs more at every length, so 1; got {_got} for d = {_d}"
    for _gates in (3, 4, 5, 6, 10):
        for _d in (1, 2, 9, 64, 300):
            _got, _expected = predicted_crossover_length(_d, _gates), _first_more_expensive(_d, _gates)
            assert isinstance(_got, (int, np.integer)), f"return an int, got {type(_got).__name__}"
            assert _got == _expected, f"{_gates} gates, d = {_d}: expected {_expected}, got {_got}"
finally:
    rnn_layer_flops, self_attention_layer_flops, crossover_length = _yours
### END HIDDEN TESTS

# %% [markdown] nbgrader={"grade": false, "grade_id": "flop_numbers_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ### Your numbers for Part B
#
# The cell below uses your functions. A sentence is usually tens of tokens long; the widths of
# real models run from a few hundred to several thousand. Part D asks you to quote these numbers.
#
# *Note.* A plain tanh RNN does one product with the input and one with the state per step, a
# quarter of the LSTM's work. Check with your counts that this is less than the four projections
# of the attention layer alone: a single-head attention layer never undercuts a plain RNN in FLOPs.
# It is the LSTM, the recurrent layer that was actually used, that attention undercuts for short
# sequences.

# %% nbgrader={"grade": false, "grade_id": "flop_numbers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def show_flop_numbers(widths=(64, 256, 512, 1024), lengths=(32, 512, 4096, 65536)):
    """Crossover lengths (searched, and predicted for 4 gates), and the attention/LSTM FLOP ratio."""
    try:
        for d in widths:
            if self_attention_layer_flops(16 * d, d) <= rnn_layer_flops(16 * d, d):
                print(f"d = {d}: attention is not the more expensive layer even at n = {16 * d}: check parts 5 and 6")
                continue
            try:
                predicted = f"{predicted_crossover_length(d, 4):>5}"
            except NotImplementedError:
                predicted = "  n/a"
            ratios = "  ".join(f"n={n}: {self_attention_layer_flops(n, d) / rnn_layer_flops(n, d):7.2f}"
                               for n in lengths)
            print(f"d = {d:>4}: crossover n = {crossover_length(d):>5} (predicted {predicted}) | "
                  f"attention / LSTM FLOPs  {ratios}")
    except NotImplementedError:
        print("Finish parts 5 to 7 first, then run this cell again.")


show_flop_numbers()

# %% [markdown] nbgrader={"grade": false, "grade_id": "timing_text", "locked": true, "schema_version": 3, "solution": false, "task": false}
# ## Part C — Timing both layers (not graded, must run)
#
# FLOPs are not seconds. A processor is fast on a few large matrix products and slow on many
# small dependent ones, so the same number of FLOPs can take very different times. Measure it.
#
# The cell just below is written for you: two forward passes in numpy, a timer and a plotting
# helper.
#
# * `lstm_forward_loop(X, W, U, b)` runs an LSTM over the rows of `X`. The input products for all
#   steps go into one matrix product before the loop (they do not need the state); the state
#   products stay inside the loop over time, which cannot be avoided.
# * `self_attention_forward(X, W_q, W_k, W_v, W_o)` computes the whole layer in six matrix
#   products, without a loop over positions.
# * `best_time(fn)` returns the fastest of a few runs of `fn()`, in seconds: the least disturbed
#   run, which filters out most interference from other programs.
# * `plot_loglog_with_slope(ax, sizes, values, label)` draws `values` against `sizes` on log-log
#   axes with a fitted line, and returns the fitted slope $p$ of `values` $\approx c \cdot$
#   `sizes`$^p$; `fitted_slope(sizes, values)` returns the same slope without plotting.
#
# The experiment cell after it is yours to edit. As given, it times both layers at $d = 32$ for $n$
# from 16 to 512 and plots the measured times next to your FLOP counts. Run it, then change it:
# try another width (for example $d = 128$ or $d = 256$), or lengths further past the crossover,
# and note what happens to the slopes and to the ratio of the two times. Keep the cell under about
# 10 seconds: it runs again when your work is graded. Timings vary from run to run and from
# machine to machine; no test depends on them.

# %% nbgrader={"grade": false, "grade_id": "timing_helpers", "locked": true, "schema_version": 3, "solution": false, "task": false}
def lstm_forward_loop(X, W, U, b):
    """States h_1..h_n of an LSTM over the rows of X (n, d). W, U: (4d, d) gate weights, b: (4d,)."""
    d = U.shape[1]
    inputs = X @ W.T + b  # every step's input products at once: they do not need the state
    h, c = np.zeros(d), np.zeros(d)
    states = np.empty((len(X), d))
    for t in range(len(X)):  # each step needs the previous state: this loop cannot be parallelised
        z = inputs[t] + U @ h
        gates = 1.0 / (1.0 + np.exp(-z[:3 * d]))  # input, forget and output gates
        c = gates[d:2 * d] * c + gates[:d] * np.tanh(z[3 * d:])
        h = gates[2 * d:] * np.tanh(c)
        states[t] = h
    return states


def self_attention_forward(X, W_q, W_k, W_v, W_o):
    """One single-head self-attention layer over the rows of X (n, d), all positions at once."""
    Q, K, V = X @ W_q, X @ W_k, X @ W_v
    scores = Q @ K.T / np.sqrt(Q.shape[1])
    weights = np.exp(scores - scores.max(axis=1, keepdims=True))  # softmax, shifted for stability
    weights /= weights.sum(axis=1, keepdims=True)
    return (weights @ V) @ W_o


def best_time(fn, repeats=3):
    """Seconds taken by the fastest of `repeats` calls of fn(), after one warm-up call."""
    fn()
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def fitted_slope(sizes, values):
    """Slope p of the least-squares line through (log size, log value): value ~ c * size**p."""
    return float(np.polyfit(np.log(sizes), np.log(values), 1)[0])


def plot_loglog_with_slope(ax, sizes, values, label, marker="o"):
    """Plot values against sizes on log-log axes with the fitted line; return the slope."""
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    slope, intercept = np.polyfit(np.log(sizes), np.log(values), 1)
    points = ax.loglog(sizes, values, marker, label=f"{label} (slope {slope:.2f})")
    ax.loglog(sizes, np.exp(intercept) * sizes ** slope, "--", color=points[0].get_color(), alpha=0.6)
    ax.set_xticks(sizes, [f"{size:g}" for size in sizes])  # label the measured lengths only
    ax.tick_params(axis="x", which="minor", bottom=False, labelbottom=False)
    return float(slope)


# %% tags=["nbval-ignore-output"]
# Your experiment: edit freely, keep it under about 10 seconds.
d = 32
lengths = [16, 32, 64, 128, 256, 512]

rng = np.random.default_rng(0)
W, U, b = rng.normal(0, d ** -0.5, (4 * d, d)), rng.normal(0, d ** -0.5, (4 * d, d)), np.zeros(4 * d)
W_q, W_k, W_v, W_o = (rng.normal(0, d ** -0.5, (d, d)) for _ in range(4))

seconds_lstm, seconds_attention = [], []
for n in lengths:
    X = rng.normal(size=(n, d))
    seconds_lstm.append(best_time(lambda: lstm_forward_loop(X, W, U, b)))
    seconds_attention.append(best_time(lambda: self_attention_forward(X, W_q, W_k, W_v, W_o)))

fig, (ax_time, ax_flops) = plt.subplots(1, 2, figsize=(11, 4))
slope_lstm = plot_loglog_with_slope(ax_time, lengths, seconds_lstm, "LSTM, loop over time")
slope_attention = plot_loglog_with_slope(ax_time, lengths, seconds_attention, "self-attention", "s")
ax_time.set(xlabel="sequence length n", ylabel="seconds (best of 3)", title=f"measured forward pass, d = {d}")
ax_time.legend()
try:
    flops_lstm = [rnn_layer_flops(n, d) for n in lengths]
    flops_attention = [self_attention_layer_flops(n, d) for n in lengths]
    plot_loglog_with_slope(ax_flops, lengths, flops_lstm, "LSTM")
    plot_loglog_with_slope(ax_flops, lengths, flops_attention, "self-attention", "s")
    ax_flops.set(xlabel="sequence length n", ylabel="FLOPs (your counts)", title=f"counted work, d = {d}")
    ax_flops.legend()
except NotImplementedError:
    flops_lstm = flops_attention = None
    ax_flops.set_title("finish parts 5 and 6 to see your FLOP counts here")
plt.show()
plt.close(fig)  # the figure is drawn; free its memory

print(f"measured slopes over n = {lengths[0]}..{lengths[-1]}: LSTM {slope_lstm:.2f}, "
      f"self-attention {slope_attention:.2f}")
print(f"self-attention slope over the last four lengths: {fitted_slope(lengths[-4:], seconds_attention[-4:]):.2f}")
if flops_lstm is not None:
    print(f"FLOP slopes (your counts): LSTM {fitted_slope(lengths, flops_lstm):.2f}, "
          f"self-attention {fitted_slope(lengths, flops_attention):.2f} "
          f"(last four lengths {fitted_slope(lengths[-4:], flops_attention[-4:]):.2f})")
for i, n in enumerate(lengths):
    flop_ratio = f"{flops_attention[i] / flops_lstm[i]:6.2f}" if flops_lstm is not None else "   n/a"
    print(f"n = {n:>5}: LSTM {seconds_lstm[i] * 1e3:8.3f} ms | self-attention {seconds_attention[i] * 1e3:8.3f} ms"
          f" | time ratio attention/LSTM {seconds_attention[i] / seconds_lstm[i]:6.3f} | FLOP ratio {flop_ratio}")

# %% [markdown] nbgrader={"grade": false, "grade_id": "free_response_why_attention_won", "locked": true, "points": 5, "schema_version": 3, "solution": false, "task": true}
# ## Part D — 9. Written: why attention beat recurrence (5 points, graded by hand)
#
# Using **your own results** from Parts A, B and C, explain in 10 to 15 sentences (a short list of
# paragraphs is fine) why self-attention layers replaced recurrent layers. Cover:
#
# 1. **parallelisation**: how many sequential steps each layer needs, and why that matters for
#    training on modern hardware;
# 2. **long-range dependencies**: how many edges separate two distant positions in each layer,
#    and what that means for gradients;
# 3. **computational cost**: how the work of each layer grows with $n$ and $d$, and up to which
#    length self-attention is the cheaper layer, compared with the length of typical sentences;
# 4. **your measurements**: what the timings of Part C show, compared with your FLOP counts;
# 5. **the price**: how self-attention's work, and the memory for its scores, grow for very long
#    sequences.
#
# For each of points 1 to 4, quote at least one number from your notebook (sequential steps, path
# lengths, the crossover, measured slopes or times). If you have seen the recurrent layer's cost
# per layer given as $O(n d^3)$, say whether your count agrees. Write your answer in the cell
# below this one.
#
# ### BEGIN MARK SCHEME
# **Rubric (5 points: one per point of the prompt, each made of two half points).** Award each
# half point independently; accept any wording that shows the idea. Where a half point names two
# things, both are needed for it; nothing outside its description is needed. Text in
# parentheses or after "e.g." illustrates the idea and is not required. A "number from their
# notebook" is one their own cells printed (it may differ from the model answer's if their
# functions or their machine differ).
#
# 1. **Parallelisation.**
#    * (½) The sequential steps: $n$ for the recurrent layer (critical path $O(n)$), 1 for
#      self-attention ($O(1)$) whatever $n$ is, with a number from their notebook (e.g. "256 steps
#      against 1 for $n = 256$"). Both the comparison and one of their numbers are needed.
#    * (½) Why it matters: the recurrent steps cannot be spread over processors, however many
#      there are, while attention's work can all be done at once on parallel hardware (GPUs), as a
#      few large matrix products (so training on long sequences and large datasets is much
#      faster).
# 2. **Long-range dependencies.**
#    * (½) The shortest path from $x_1$ to the last position: $n$ edges for the recurrent layer,
#      1 edge for self-attention, with a number from their notebook (e.g. "256 against 1"). Both
#      the comparison and one of their numbers are needed.
#    * (½) What it means for gradients: they cross one Jacobian per edge, so over $O(n)$ edges they
#      tend to vanish or explode (Lecture 2; gating only slows this down), while with one edge the
#      distance between two positions does not weaken the signal.
# 3. **Cost.**
#    * (½) The orders per layer: $O(n d^2)$ for the recurrent layer (their count: $16 n d^2$ for
#      the LSTM) and $O(n^2 d)$ for self-attention (their count: $8 n d^2 + 4 n^2 d$; the $n^2 d$
#      term comes from the scores and the weighted sum). Both layers are needed; the $O(\cdot)$
#      orders or the exact counts both earn it.
#    * (½) Where self-attention is the cheaper layer: for $n < 2d$; the two cost the same at
#      $n = 2d$, and from the crossover $2d + 1$ on attention costs more (their number, e.g.
#      "1025 for $d = 512$"); typical sentences, tens of tokens, are far shorter than that.
#      Both the crossover (one of their numbers) and the comparison with sentence lengths are
#      needed.
# 4. **Own measurements.**
#    * (½) Quotes measured slopes or times from their own run of the timing experiment.
#    * (½) Compares them with the FLOP counts, e.g.: the loop's time grows about linearly in $n$,
#      as its FLOPs do; the attention layer's time grows more slowly than its FLOPs at small $n$
#      and approaches slope 2 only when $n \gg d$; attention can be faster in wall-clock time even
#      where it does more FLOPs, because its work is a few large products while the loop is $n$
#      small dependent steps. Any honest comparison of their measurement with their counts earns
#      it, including one that explains a surprise.
# 5. **The price.**
#    * (½) Self-attention's work grows as $n^2$ (the $n^2 d$ term): for very long sequences
#      ($n \gg d$: long documents, audio, high-resolution images as patches) it costs more than
#      recurrence, e.g. 32.5 times the LSTM's FLOPs at $n = 65{,}536$, $d = 512$.
#    * (½) The memory for its $n \times n$ score matrix grows as $n^2$ too (e.g. $65{,}536^2$, about
#      4.3 billion, scores for one head).
#
# **Deductions** (total score not below 0): $-1$ if the answer gives the recurrent layer's cost as
# $O(n d^3)$ (or accepts that figure without correcting it); $-1$ if it names the recurrent layer's
# $O(n)$ total work, or its "linear complexity", as its drawback (linear work is cheap; the
# drawback is $O(n)$ *sequential* steps and $O(n)$-long paths).
#
# *Model answer (numbers from one run; the student's will differ).* My graphs show the difference
# in structure directly. For $n = 256$ the recurrent layer's critical path is 256 edges and the
# self-attention layer's is 1: the LSTM cannot compute $h_{256}$ before $h_{255}$, however many
# processors it has, while every output of the attention layer can be computed at once, as a few
# large matrix products that a GPU runs in parallel. The shortest path from $x_1$ to the last
# position is also 256 edges against 1. A gradient from the last position back to $x_1$ is
# multiplied by one Jacobian per edge, so in the recurrent layer it shrinks or grows
# geometrically with the distance, and gates only slow this down; in self-attention every pair of
# positions is one edge apart. On cost, my counts give $16 n d^2$ FLOPs for the LSTM and
# $8 n d^2 + 4 n^2 d$ for self-attention, so $O(n d^2)$ against $O(n^2 d)$; the $O(n d^3)$
# sometimes quoted for the recurrent layer is wrong, since doubling $d$ multiplies my count by 4,
# not 8. Attention is the cheaper layer below $n = 2d$, the two cost the same at $n = 2d$, and my
# search finds the crossover at 1025 tokens for $d = 512$, as my formula $2d + 1$ predicts: far
# longer than a sentence of tens of tokens. At $n = 32$ and $d = 512$ attention does 0.52 times
# the LSTM's work. My timings at $d = 32$ agree only partly with the counts. The LSTM loop's time
# grew with slope 1.0, as its FLOPs do, but most of it is the fixed cost of $n$ small dependent
# steps: at $n = 256$ the attention layer was several times faster, although it does 2.5 times
# the LSTM's FLOPs. Attention's measured slope (about 1.5 over the whole range, about 2 over the
# longer lengths) rises towards 2 as the $n^2 d$ term takes over, and by $n = 512$ it took about
# as long as the loop. That $n^2 d$ term is the price: for a document of 65,536 tokens at
# $d = 512$, attention does 32.5 times the LSTM's work and must hold a $65{,}536 \times 65{,}536$
# matrix of scores, about 4.3 billion numbers, which is why very long inputs need restricted or
# approximate attention. Recurrence did not lose because its total work is linear in $n$ (that is
# its one advantage); it lost because its $O(n)$ steps are sequential and its paths are $O(n)$
# long.
# ### END MARK SCHEME

# %% [markdown]
# *Write your answer here (double-click to edit).*
