"""Dependency graphs of sequence layers, and the two numbers the course reads off them.

A graph maps each node to the tuple of nodes it is computed from. Nodes are ``(kind, position)``
tuples: ``("x", i)`` inputs, ``("h", t)`` recurrent states, ``("y", t)`` outputs of a layer whose
positions read each other directly; in ``scan_graph``, the parallel scan of a linear recurrence,
``("s", t, r)`` is the combination that round ``r`` computes at position ``t``.

* ``dependency_depth``: the minimum number of sequential steps before a node can be computed,
  however many processors there are (the longest chain of nodes that must come before it).
* ``shortest_path_length``: how many edges a signal crosses from one node to another; gradients
  travel the same path backwards;
* ``nodes_per_round``: how many nodes each of those sequential steps computes, i.e. how many
  processors a round can keep busy; ``batched`` makes independent copies of a graph (a batch of
  sequences) to compare it with.
"""
from collections import deque


def rnn_graph(n: int) -> dict:
    """An RNN over ``n`` inputs: ``h_t`` reads ``h_{t-1}`` and ``x_t``; ``h_0`` is given."""
    _check_length(n)
    graph = {("h", 0): (), **{("x", t): () for t in range(1, n + 1)}}
    for t in range(1, n + 1):
        graph[("h", t)] = (("h", t - 1), ("x", t))
    return graph


def self_attention_graph(n: int) -> dict:
    """A layer in which every output position ``y_t`` reads every input ``x_1 .. x_n`` directly."""
    _check_length(n)
    graph = {("x", t): () for t in range(1, n + 1)}
    inputs = tuple(("x", t) for t in range(1, n + 1))
    for t in range(1, n + 1):
        graph[("y", t)] = inputs
    return graph


def scan_graph(n: int) -> dict:
    """The parallel scan of a linear recurrence over ``n`` steps (Hillis & Steele), as a graph.

    ``("x", t)`` is step ``t`` (its ``a_t, b_t``), given. In round ``r = 1, 2, ..`` every position
    ``t > 2^(r-1)`` combines its block of steps with the block ending ``2^(r-1)`` positions earlier:
    node ``("s", t, r)`` reads the latest node of position ``t - 2^(r-1)`` and the latest of ``t``.
    The state ``h_t`` (with ``h_0 = 0``) is the last node of position ``t``: after ``ceil(log2 t)``
    rounds, ``("x", 1)`` for ``t = 1``; ``scan_state`` names it. Every node's position is ``node[1]``.
    """
    _check_length(n)
    graph = {("x", t): () for t in range(1, n + 1)}
    latest = {t: ("x", t) for t in range(1, n + 1)}
    span, r = 1, 0
    while span < n:
        r += 1
        updated = {t: ("s", t, r) for t in range(span + 1, n + 1)}
        for t, node in updated.items():
            graph[node] = (latest[t - span], latest[t])
        latest.update(updated)
        span *= 2
    return graph


def scan_state(t: int):
    """The node of ``scan_graph`` that holds ``h_t``: the one of the last round that updates position ``t``."""
    _check_length(t)
    rounds = (t - 1).bit_length()  # ceil(log2 t): position t is updated while 2^(r-1) < t
    return ("x", t) if rounds == 0 else ("s", t, rounds)


def dependency_depth(graph: dict) -> dict:
    """Depth of every node: 0 for a node with no parents, else 1 + the deepest parent.

    Iterative (Kahn's topological order), so graphs of thousands of nodes do not hit Python's
    recursion limit. Raises ``ValueError`` on an unknown parent or a cycle.
    """
    children = {node: [] for node in graph}
    waiting = {}
    for node, parents in graph.items():
        for parent in parents:
            if parent not in graph:
                raise ValueError(f"{node} depends on {parent}, which is not in the graph")
            children[parent].append(node)
        waiting[node] = len(parents)
    depth = {node: 0 for node, parents in graph.items() if not parents}
    ready = deque(depth)
    while ready:
        node = ready.popleft()
        for child in children[node]:
            depth[child] = max(depth.get(child, 0), depth[node] + 1)
            waiting[child] -= 1
            if waiting[child] == 0:
                ready.append(child)
    if len(depth) != len(graph):
        raise ValueError("the graph has a cycle: some nodes can never be computed")
    return depth


def shortest_path_length(graph: dict, source, target):
    """Fewest edges on a path from ``source`` to ``target`` following the computation forwards.

    Returns ``None`` when ``target`` does not depend on ``source`` at all.
    """
    for node in (source, target):
        if node not in graph:
            raise ValueError(f"{node} is not in the graph")
    children = {node: [] for node in graph}
    for node, parents in graph.items():
        for parent in parents:
            children[parent].append(node)
    distance = {source: 0}
    frontier = deque([source])
    while frontier:
        node = frontier.popleft()
        if node == target:
            return distance[node]
        for child in children[node]:
            if child not in distance:
                distance[child] = distance[node] + 1
                frontier.append(child)
    return None


def batched(graph: dict, batch: int) -> dict:
    """``batch`` independent copies of ``graph``, as for a batch of sequences: node ``(kind, t)`` of
    sequence ``b`` (``b = 1 .. batch``) becomes ``(kind, t, b)`` and reads only nodes of sequence ``b``."""
    if int(batch) != batch or batch < 1:
        raise ValueError(f"batch must be a positive integer, got {batch!r}")
    return {(*node, b): tuple((*parent, b) for parent in parents)
            for b in range(1, batch + 1) for node, parents in graph.items()}


def nodes_per_round(graph: dict) -> list:
    """How many nodes each sequential round computes: entry ``r - 1`` counts the nodes of depth ``r``
    (``dependency_depth``), for ``r = 1 ..`` the deepest node. Nodes of depth 0 are given, not computed."""
    depth = dependency_depth(graph)
    rounds = max(depth.values(), default=0)
    counts = [0] * rounds
    for d in depth.values():
        if d > 0:
            counts[d - 1] += 1
    return counts


def _check_length(n):
    if int(n) != n or n < 1:
        raise ValueError(f"sequence length must be a positive integer, got {n!r}")
