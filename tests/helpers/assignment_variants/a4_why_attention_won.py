"""Assignment 4: alternative correct answers, and the mistakes the tests must catch."""

CORRECT = {
    "rnn_dependency_graph": {
        "one dict literal per kind, merged": '''
def rnn_dependency_graph(n):
    inputs = {("x", i): () for i in range(1, n + 1)}
    states = {("h", t): (("x", t), ("h", t - 1)) for t in range(1, n + 1)}
    return {("h", 0): (), **inputs, **states}
''',
        "states first, parents collected in a list then frozen": '''
def rnn_dependency_graph(n):
    graph = {}
    for t in range(n, 0, -1):
        parents = []
        parents.append(("x", t))
        parents.append(("h", t - 1))
        graph[("h", t)] = tuple(parents)
    graph[("h", 0)] = tuple()
    graph.update(dict.fromkeys([("x", i) for i in range(1, n + 1)], ()))
    return graph
''',
    },
    "attention_dependency_graph": {
        "outputs first, parents in reverse order": '''
def attention_dependency_graph(n):
    graph = {("y", t): tuple(("x", i) for i in range(n, 0, -1)) for t in range(1, n + 1)}
    for i in range(1, n + 1):
        graph[("x", i)] = ()
    return graph
''',
        "each output gets its own tuple": '''
def attention_dependency_graph(n):
    graph = dict.fromkeys((("x", i) for i in range(1, n + 1)), ())
    graph.update({("y", t): tuple(sorted(graph)) for t in range(1, n + 1)})
    return graph
''',
    },
    "critical_path_length": {
        "graphlib's topological order, then one pass": '''
from graphlib import TopologicalSorter
def critical_path_length(graph):
    depth = {}
    for node in TopologicalSorter(graph).static_order():
        parents = graph[node]
        depth[node] = 1 + max(depth[p] for p in parents) if parents else 0
    return max(depth.values())
''',
        "iterative depth-first search with an explicit stack and memo": '''
def critical_path_length(graph):
    depth = {}
    for start in graph:
        stack = [start]
        while stack:
            node = stack[-1]
            if node in depth:
                stack.pop()
                continue
            missing = [p for p in graph[node] if p not in depth]
            if missing:
                stack.extend(missing)
            else:
                depth[node] = max((depth[p] + 1 for p in graph[node]), default=0)
                stack.pop()
    return max(depth.values(), default=0)
''',
        "peel level by level with parent counters": '''
def critical_path_length(graph):
    children = {v: [] for v in graph}
    waiting = {}
    for v, ps in graph.items():
        waiting[v] = len(ps)
        for p in ps:
            children[p].append(v)
    level = [v for v, k in waiting.items() if k == 0]
    levels = 0
    while True:
        following = []
        for v in level:
            for c in children[v]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    following.append(c)
        if not following:
            return levels
        level, levels = following, levels + 1
''',
    },
    "shortest_path_length": {
        "backwards breadth-first search along the parents": '''
from collections import deque
def shortest_path_length(graph, source, target):
    seen = {target: 0}
    queue = deque([target])
    while queue:
        node = queue.popleft()
        if node == source:
            return seen[node]
        for parent in graph[node]:
            if parent not in seen:
                seen[parent] = seen[node] + 1
                queue.append(parent)
    return None
''',
        "Dijkstra with unit weights (heapq)": '''
import heapq
def shortest_path_length(graph, source, target):
    children = {}
    for node, parents in graph.items():
        for p in parents:
            children.setdefault(p, []).append(node)
    best = {source: 0}
    heap = [(0, 0, source)]
    counter = 1
    while heap:
        dist, _, node = heapq.heappop(heap)
        if node == target:
            return dist
        if dist > best[node]:
            continue
        for child in children.get(node, []):
            if dist + 1 < best.get(child, float("inf")):
                best[child] = dist + 1
                heapq.heappush(heap, (dist + 1, counter, child))
                counter += 1
    return None
''',
    },
    "rnn_layer_flops": {
        "gate by gate, then times n": '''
def rnn_layer_flops(n, d):
    per_step = 0
    for gate in "ifoc":
        per_step += 2 * d * d  # W_g x_t
        per_step += 2 * d * d  # U_g h_(t-1)
    return n * per_step
''',
        "one multiply-add counted as one FLOP": '''
def rnn_layer_flops(n, d):
    return 8 * n * d ** 2
''',
        "biases and element-wise work counted as well": '''
def rnn_layer_flops(n, d):
    return 16 * n * d * d + 8 * n * d + 10 * n * d
''',
    },
    "self_attention_layer_flops": {
        "h heads of width d / h (same total)": '''
def self_attention_layer_flops(n, d, heads=8):
    d_head = d / heads
    projections = 4 * 2 * n * d * d
    per_head = 2 * n * d_head * n + 2 * n * n * d_head
    return projections + heads * per_head
''',
        "one multiply-add counted as one FLOP": '''
def self_attention_layer_flops(n, d):
    return 4 * n * d * d + 2 * n * n * d
''',
        "softmax, scaling and biases counted as well": '''
def self_attention_layer_flops(n, d):
    matmuls = 3 * 2 * n * d * d + 2 * n * n * d + 2 * n * n * d + 2 * n * d * d
    softmax = 5 * n * n  # max, subtract, exp, sum, divide
    scaling = n * n
    biases = 4 * n * d
    return matmuls + softmax + scaling + biases
''',
    },
    "crossover_length": {
        "doubling, then bisection": '''
def crossover_length(d):
    def more(n):
        return self_attention_layer_flops(n, d) > rnn_layer_flops(n, d)
    high = 1
    while not more(high):
        high *= 2
    low = high // 2
    while high - low > 1:
        mid = (low + high) // 2
        if more(mid):
            high = mid
        else:
            low = mid
    return high
''',
        "itertools.count and next": '''
import itertools
def crossover_length(d):
    return next(n for n in itertools.count(1)
                if self_attention_layer_flops(n, d) - rnn_layer_flops(n, d) > 0)
''',
    },
}

WRONG = {
    "rnn_dependency_graph": {
        "h_0 missing: h_1 reads only x_1": '''
def rnn_dependency_graph(n):
    graph = {("x", i): () for i in range(1, n + 1)}
    graph[("h", 1)] = (("x", 1),)
    for t in range(2, n + 1):
        graph[("h", t)] = (("h", t - 1), ("x", t))
    return graph
''',
        "h_t reads every earlier input": '''
def rnn_dependency_graph(n):
    graph = {("h", 0): (), **{("x", i): () for i in range(1, n + 1)}}
    for t in range(1, n + 1):
        graph[("h", t)] = (("h", t - 1),) + tuple(("x", i) for i in range(1, t + 1))
    return graph
''',
        "off by one: h_t reads x_(t-1)": '''
def rnn_dependency_graph(n):
    graph = {("h", 0): (), **{("x", i): () for i in range(0, n)}}
    for t in range(1, n + 1):
        graph[("h", t)] = (("h", t - 1), ("x", t - 1))
    return graph
''',
        "inputs left out of the keys": '''
def rnn_dependency_graph(n):
    graph = {("h", 0): ()}
    for t in range(1, n + 1):
        graph[("h", t)] = (("h", t - 1), ("x", t))
    return graph
''',
        "states only, no edges from the inputs": '''
def rnn_dependency_graph(n):
    graph = {("h", 0): (), **{("x", i): () for i in range(1, n + 1)}}
    for t in range(1, n + 1):
        graph[("h", t)] = (("h", t - 1),)
    return graph
''',
        "node names as strings": '''
def rnn_dependency_graph(n):
    graph = {"h0": ()}
    for t in range(1, n + 1):
        graph[f"x{t}"] = ()
        graph[f"h{t}"] = (f"h{t - 1}", f"x{t}")
    return graph
''',
        "parents given as lists": '''
def rnn_dependency_graph(n):
    graph = {("h", 0): []}
    for t in range(1, n + 1):
        graph[("x", t)] = []
        graph[("h", t)] = [("h", t - 1), ("x", t)]
    return graph
''',
    },
    "attention_dependency_graph": {
        "causal: y_t reads only x_1..x_t": '''
def attention_dependency_graph(n):
    graph = {("x", i): () for i in range(1, n + 1)}
    for t in range(1, n + 1):
        graph[("y", t)] = tuple(("x", i) for i in range(1, t + 1))
    return graph
''',
        "y_t reads only x_t": '''
def attention_dependency_graph(n):
    graph = {("x", i): () for i in range(1, n + 1)}
    graph.update({("y", t): (("x", t),) for t in range(1, n + 1)})
    return graph
''',
        "y_t reads every other input but not its own": '''
def attention_dependency_graph(n):
    graph = {("x", i): () for i in range(1, n + 1)}
    for t in range(1, n + 1):
        graph[("y", t)] = tuple(("x", i) for i in range(1, n + 1) if i != t)
    return graph
''',
        "a recurrent state h_0 added": '''
def attention_dependency_graph(n):
    graph = {("h", 0): (), **{("x", i): () for i in range(1, n + 1)}}
    for t in range(1, n + 1):
        graph[("y", t)] = tuple(("x", i) for i in range(1, n + 1))
    return graph
''',
    },
    "critical_path_length": {
        "counts nodes on the longest path instead of edges": '''
from graphlib import TopologicalSorter
def critical_path_length(graph):
    depth = {}
    for node in TopologicalSorter(graph).static_order():
        depth[node] = 1 + max((depth[p] for p in graph[node]), default=0)
    return max(depth.values())
''',
        "breadth-first distance from the inputs (shortest, not longest)": '''
def critical_path_length(graph):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    level = {v: 0 for v, ps in graph.items() if not ps}
    frontier = list(level)
    while frontier:
        following = []
        for v in frontier:
            for c in children[v]:
                if c not in level:
                    level[c] = level[v] + 1
                    following.append(c)
        frontier = following
    return max(level.values())
''',
        "recursion without memoisation": '''
def critical_path_length(graph):
    def depth(node):
        parents = graph[node]
        if not parents:
            return 0
        return 1 + max(depth(p) for p in parents)
    return max(depth(node) for node in graph)
''',
        "recursion with memoisation (too deep for 3000 states)": '''
def critical_path_length(graph):
    memo = {}
    def depth(node):
        if node not in memo:
            parents = graph[node]
            memo[node] = 1 + max(depth(p) for p in parents) if parents else 0
        return memo[node]
    return max(depth(node) for node in graph)
''',
        "one pass in the order of the keys": '''
def critical_path_length(graph):
    depth = {}
    for node, parents in graph.items():
        depth[node] = 1 + max(depth.get(p, 0) for p in parents) if parents else 0
    return max(depth.values())
''',
        "the largest position number": '''
def critical_path_length(graph):
    return max((node[1] for node, parents in graph.items() if parents), default=0)
''',
        "longest path from the first key only": '''
def critical_path_length(graph):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    from graphlib import TopologicalSorter
    order = list(TopologicalSorter(graph).static_order())
    start = next(iter(graph))
    best = {start: 0}
    for v in order:
        if v in best:
            for c in children[v]:
                best[c] = max(best.get(c, 0), best[v] + 1)
    return max(best.values())
''',
    },
    "shortest_path_length": {
        "edges reversed: follows the parents from the source": '''
from collections import deque
def shortest_path_length(graph, source, target):
    seen = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            return seen[node]
        for parent in graph[node]:
            if parent not in seen:
                seen[parent] = seen[node] + 1
                queue.append(parent)
    return None
''',
        "counts nodes instead of edges": '''
from collections import deque
def shortest_path_length(graph, source, target):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    seen = {source: 1}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            return seen[node]
        for c in children[node]:
            if c not in seen:
                seen[c] = seen[node] + 1
                queue.append(c)
    return None
''',
        "depth-first: the first path found, not the shortest": '''
def shortest_path_length(graph, source, target):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    stack, seen = [(source, 0)], set()
    while stack:
        node, dist = stack.pop()
        if node == target:
            return dist
        if node in seen:
            continue
        seen.add(node)
        for c in reversed(children[node]):
            stack.append((c, dist + 1))
    return None
''',
        "edges treated as undirected": '''
from collections import deque
def shortest_path_length(graph, source, target):
    neighbours = {v: set(ps) for v, ps in graph.items()}
    for v, ps in graph.items():
        for p in ps:
            neighbours[p].add(v)
    seen = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            return seen[node]
        for m in neighbours[node]:
            if m not in seen:
                seen[m] = seen[node] + 1
                queue.append(m)
    return None
''',
        "-1 instead of None when there is no path": '''
from collections import deque
def shortest_path_length(graph, source, target):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    seen = {source: 0}
    queue = deque([source])
    while queue:
        node = queue.popleft()
        if node == target:
            return seen[node]
        for c in children[node]:
            if c not in seen:
                seen[c] = seen[node] + 1
                queue.append(c)
    return -1
''',
        "difference of positions (assumes a recurrent chain)": '''
def shortest_path_length(graph, source, target):
    if source == target:
        return 0
    steps = target[1] - source[1] + (1 if source[0] == "x" else 0)
    return steps if steps > 0 else None
''',
    },
    "rnn_layer_flops": {
        "the O(n d^3) of a well-known table": '''
def rnn_layer_flops(n, d):
    return 16 * n * d ** 3
''',
        "one step only: forgets the n steps": '''
def rnn_layer_flops(n, d):
    return 16 * d * d
''',
        "O(n) work: the width ignored": '''
def rnn_layer_flops(n, d):
    return 16 * n
''',
        "a plain tanh RNN instead of the LSTM": '''
def rnn_layer_flops(n, d):
    return 2 * (2 * n * d * d)
''',
        "a matrix-vector product counted as 2 d FLOPs": '''
def rnn_layer_flops(n, d):
    return n * 8 * 2 * d
''',
        "the n x n interactions of attention charged to the LSTM": '''
def rnn_layer_flops(n, d):
    return 16 * n * n * d
''',
    },
    "self_attention_layer_flops": {
        "the n^2 term forgotten (projections only)": '''
def self_attention_layer_flops(n, d):
    return 4 * 2 * n * d * d
''',
        "scores counted as n d instead of n^2 d": '''
def self_attention_layer_flops(n, d):
    return 4 * 2 * n * d * d + 2 * n * d + 2 * n * n * d
''',
        "scores and weighted sum both counted as n d": '''
def self_attention_layer_flops(n, d):
    return 4 * 2 * n * d * d + 2 * n * d + 2 * n * d
''',
        "output projection left out": '''
def self_attention_layer_flops(n, d):
    return 3 * 2 * n * d * d + 2 * n * n * d + 2 * n * n * d
''',
        "scores and weighted sum only, no projections": '''
def self_attention_layer_flops(n, d):
    return 4 * n * n * d
''',
        "the attention-times-values product counted as n^2 d^2": '''
def self_attention_layer_flops(n, d):
    return 8 * n * d * d + 2 * n * n * d + 2 * n * n * d * d
''',
    },
    "crossover_length": {
        "formula typed in for the reference counts": '''
def crossover_length(d):
    return 2 * d + 1
''',
        "greater or equal: returns the tie": '''
def crossover_length(d):
    n = 1
    while self_attention_layer_flops(n, d) < rnn_layer_flops(n, d):
        n += 1
    return n
''',
        "last length at which attention is still cheaper": '''
def crossover_length(d):
    n = 1
    while self_attention_layer_flops(n + 1, d) <= rnn_layer_flops(n + 1, d):
        n += 1
    return n
''',
        "comparison reversed": '''
def crossover_length(d):
    n = 1
    while rnn_layer_flops(n, d) <= self_attention_layer_flops(n, d):
        n += 1
    return n
''',
        "search range sized for one's own counts": '''
def crossover_length(d):
    for n in range(1, 4 * d):
        if self_attention_layer_flops(n, d) > rnn_layer_flops(n, d):
            return n
    return None
''',
        "real root of the quadratic instead of an integer length": '''
def crossover_length(d):
    # attention = alpha n^2 + beta n, recurrent = gamma n: they are equal at n = (gamma - beta) / alpha
    alpha = (self_attention_layer_flops(2, d) - 2 * self_attention_layer_flops(1, d)) / 2
    beta = self_attention_layer_flops(1, d) - alpha
    gamma = rnn_layer_flops(1, d)
    return (gamma - beta) / alpha
''',
    },
}
