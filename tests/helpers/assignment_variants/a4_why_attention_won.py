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
        "Kahn's algorithm with a deque, on private counters": '''
from collections import deque
def critical_path_length(graph):
    children = {v: [] for v in graph}
    missing = {v: len(ps) for v, ps in graph.items()}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    depth = {v: 0 for v, k in missing.items() if k == 0}
    queue = deque(depth)
    while queue:
        v = queue.popleft()
        for c in children[v]:
            depth[c] = max(depth.get(c, 0), depth[v] + 1)
            missing[c] -= 1
            if missing[c] == 0:
                queue.append(c)
    return max(depth.values())
''',
        "peels a private copy of the graph, deleting what it has placed": '''
def critical_path_length(graph):
    remaining = {v: set(ps) for v, ps in graph.items()}  # a copy: the caller's graph stays as it is
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    level = [v for v, ps in remaining.items() if not ps]
    steps = -1
    while level:
        steps += 1
        following = []
        for v in level:
            del remaining[v]
            for c in children[v]:
                remaining[c].discard(v)
                if not remaining[c]:
                    following.append(c)
        level = following
    return steps
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
        "backwards search that pops visited nodes from a private copy": '''
from collections import deque
def shortest_path_length(graph, source, target):
    unvisited = dict(graph)  # a shallow copy is enough: only its keys are removed
    queue = deque([(target, 0)])
    while queue:
        node, dist = queue.popleft()
        if node == source:
            return dist
        for parent in unvisited.pop(node, ()):
            queue.append((parent, dist + 1))
    return None
''',
        "level by level with sets, children in a defaultdict": '''
from collections import defaultdict
def shortest_path_length(graph, source, target):
    children = defaultdict(set)
    for node, parents in graph.items():
        for p in parents:
            children[p].add(node)
    level, seen, steps = {source}, {source}, 0
    while level:
        if target in level:
            return steps
        level = {c for v in level for c in children[v]} - seen
        seen |= level
        steps += 1
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
        "a float count": '''
def rnn_layer_flops(n, d):
    return n * 16.0 * d ** 2
''',
        "a matmul helper, per step, as numpy integers": '''
def rnn_layer_flops(n, d):
    def matmul(a, b, c):
        return 2 * np.int64(a) * b * c
    per_step = 4 * (matmul(d, d, 1) + matmul(d, d, 1))  # W_g x_t and U_g h_(t-1)
    return per_step * n
''',
    },
    "self_attention_layer_flops": {
        "8 heads of width d / 8 (the same total, as a float)": '''
def self_attention_layer_flops(n, d):
    heads = 8
    d_head = d / heads
    projections = 4 * 2 * n * d * d
    per_head = 2 * n * d_head * n + 2 * n * n * d_head
    return projections + heads * per_head
''',
        "closed form, factored": '''
def self_attention_layer_flops(n, d):
    return 4 * n * d * (2 * d + n)
''',
        "a table of product shapes, summed": '''
def self_attention_layer_flops(n, d):
    shapes = [(n, d, d)] * 3 + [(n, d, n), (n, n, d), (n, d, d)]
    return sum(2 * a * b * c for a, b, c in shapes)
''',
    },
    "crossover_length": {
        "a for loop over a range far longer than needed": '''
def crossover_length(d):
    for n in range(1, 10 ** 12):
        if self_attention_layer_flops(n, d) > rnn_layer_flops(n, d):
            return n
''',
        "while True with the difference of the costs": '''
def crossover_length(d):
    n = 0
    while True:
        n += 1
        if self_attention_layer_flops(n, d) - rnn_layer_flops(n, d) > 0:
            return int(n)
''',
        "itertools.count and next": '''
import itertools
def crossover_length(d):
    return next(n for n in itertools.count(1)
                if self_attention_layer_flops(n, d) - rnn_layer_flops(n, d) > 0)
''',
    },
    "predicted_crossover_length": {
        "max of 1 and the root plus one": '''
def predicted_crossover_length(d, gates):
    return max(1, (gates - 2) * d + 1)
''',
        "the two cases written out": '''
def predicted_crossover_length(d, gates):
    # 8 n d^2 + 4 n^2 d > 4 gates n d^2  <=>  n > (gates - 2) d
    if gates <= 2:
        return 1  # attention costs more at every length
    return (gates - 2) * d + 1
''',
        "floor of the real root, then one more": '''
import math
def predicted_crossover_length(d, gates):
    root = (4 * gates * d * d - 8 * d * d) / (4 * d)  # where the two costs are equal
    return max(1, math.floor(root) + 1)
''',
        "a search with its own counts for any number of gates": '''
def predicted_crossover_length(d, gates):
    def recurrent(n):
        return gates * 2 * (2 * d * d) * n
    def attention(n):
        return 4 * 2 * n * d * d + 2 * n * d * n + 2 * n * n * d
    n = 1
    while attention(n) <= recurrent(n):
        n += 1
    return n
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
        "deletes the nodes it has placed from the caller's graph": '''
def critical_path_length(graph):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    waiting = {v: len(ps) for v, ps in graph.items()}
    level = [v for v, k in waiting.items() if k == 0]
    steps = -1
    while level:
        steps += 1
        following = []
        for v in level:
            del graph[v]  # modifies the caller's graph
            for c in children[v]:
                waiting[c] -= 1
                if waiting[c] == 0:
                    following.append(c)
        level = following
    return steps
''',
        "replaces the caller's parent tuples with lists it empties": '''
def critical_path_length(graph):
    children = {v: [] for v in graph}
    for v in graph:
        graph[v] = list(graph[v])  # modifies the caller's graph
        for p in graph[v]:
            children[p].append(v)
    depth = {v: 0 for v, ps in graph.items() if not ps}
    ready = list(depth)
    while ready:
        v = ready.pop()
        for c in children[v]:
            depth[c] = max(depth.get(c, 0), depth[v] + 1)
            graph[c].remove(v)
            if not graph[c]:
                ready.append(c)
    return max(depth.values())
''',
        "sorted keys taken as a topological order": '''
def critical_path_length(graph):
    depth = {}
    for node in sorted(graph, key=repr):
        parents = graph[node]
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
        "pops the caller's graph to mark the nodes it has visited": '''
from collections import deque
def shortest_path_length(graph, source, target):
    queue = deque([(target, 0)])
    while queue:
        node, dist = queue.popleft()
        if node == source:
            return dist
        for parent in graph.pop(node, ()):  # modifies the caller's graph
            queue.append((parent, dist + 1))
    return None
''',
        "None when source == target: checks only the nodes it reaches": '''
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
        for c in children[node]:
            if c not in seen:
                seen[c] = seen[node] + 1
                if c == target:
                    return seen[c]
                queue.append(c)
    return None
''',
        "recursion with memoisation (too deep for 3000 states)": '''
def shortest_path_length(graph, source, target):
    children = {v: [] for v in graph}
    for v, ps in graph.items():
        for p in ps:
            children[p].append(v)
    memo = {}
    def distance(node):
        if node == target:
            return 0
        if node not in memo:
            found = [distance(c) for c in children[node]]
            found = [f for f in found if f is not None]
            memo[node] = 1 + min(found) if found else None
        return memo[node]
    return distance(source)
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
        "one multiply-add counted as one FLOP (half the count)": '''
def rnn_layer_flops(n, d):
    return 8 * n * d ** 2
''',
        "only the state products (Part C's code does the input products before the loop)": '''
def rnn_layer_flops(n, d):
    return n * 4 * 2 * d * d  # U_g h_(t-1) for the four gates
''',
        "biases and element-wise work counted as well": '''
def rnn_layer_flops(n, d):
    return 16 * n * d * d + 8 * n * d + 10 * n * d
''',
        "another layer's count: the GRU (three gates)": '''
def rnn_layer_flops(n, d):
    return 12 * n * d ** 2
''',
        "forward and backward pass (three times the forward count)": '''
def rnn_layer_flops(n, d):
    return 3 * 16 * n * d ** 2
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
        "one multiply-add counted as one FLOP (half the count)": '''
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
        "another layer's count: a whole Transformer layer (attention and feed-forward network)": '''
def self_attention_layer_flops(n, d):
    return 24 * n * d * d + 4 * n * n * d
''',
        "causal: only half of the scores and of A V counted": '''
def self_attention_layer_flops(n, d):
    return 8 * n * d * d + 2 * n * n * d
''',
        "another layer's count: the LSTM's": '''
def self_attention_layer_flops(n, d):
    return 16 * n * d * d
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
        "doubling, then bisection: finds a later crossing": '''
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
        "search starts at n = d": '''
def crossover_length(d):
    n = d
    while self_attention_layer_flops(n, d) <= rnn_layer_flops(n, d):
        n += 1
    return n
''',
        "search starts at n = 2": '''
def crossover_length(d):
    n = 2
    while self_attention_layer_flops(n, d) <= rnn_layer_flops(n, d):
        n += 1
    return n
''',
        "returns a float": '''
def crossover_length(d):
    n = 1.0
    while self_attention_layer_flops(n, d) <= rnn_layer_flops(n, d):
        n += 1
    return n
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
    "predicted_crossover_length": {
        "the LSTM's 2d + 1 whatever the number of gates": '''
def predicted_crossover_length(d, gates):
    return 2 * d + 1
''',
        "the tie counted: (gates - 2) d": '''
def predicted_crossover_length(d, gates):
    return max(1, (gates - 2) * d)
''',
        "forgets that attention can cost more at every length": '''
def predicted_crossover_length(d, gates):
    return (gates - 2) * d + 1
''',
        "one product per gate instead of two": '''
def predicted_crossover_length(d, gates):
    # 8 n d^2 + 4 n^2 d > 2 gates n d^2  <=>  n > (gates - 4) d / 2
    return max(1, (gates - 4) * d // 2 + 1)
''',
        "calls the search of part 7 for the LSTM": '''
def predicted_crossover_length(d, gates):
    if gates == 4:
        return crossover_length(d)
    return max(1, (gates - 2) * d + 1)
''',
        "a search with the counts of parts 5 and 6": '''
def predicted_crossover_length(d, gates):
    n = 1
    while self_attention_layer_flops(n, d) <= rnn_layer_flops(n, d) * gates / 4:
        n += 1
    return n
''',
        "returns a float": '''
def predicted_crossover_length(d, gates):
    return max(1.0, (gates - 2) * d + 1.0)
''',
    },
}

# The spec audit (tests/helpers/spec_audit.py): every sentence a student reads about a graded answer,
# and the line of a test cell that checks it.
SPEC = {
    "intro": [
        ("Your functions must not modify the arguments they are given", "test_critical_path_length_any_order",
         'assert not _changed, "critical_path_length must not modify the graph it is given"'),
        ("later cells pass the same objects to other functions", "test_shortest_path_length_any_graph",
         'assert not _changed, "shortest_path_length must not modify the graph it is given"'),
        ("graphs with thousands of nodes", "test_critical_path_length_thousands_of_nodes",
         '"a recurrent layer over 3000 inputs needs 3000 steps"'),
    ],
    "rnn_dependency_graph": [
        ("has one node per value the layer receives or computes", "test_rnn_dependency_graph_any_length",
         "assert set(_graph[_node]) == set(_parents)"),
        ("a graph is a plain Python `dict`", "test_rnn_dependency_graph_small", 'assert isinstance(_graph, dict), "return a dict"'),
        ("each **key** is a node", "test_rnn_dependency_graph_small", "assert set(_graph) == set(_expected)"),
        ("its **value** is a `tuple` of the nodes it is computed from directly", "test_rnn_dependency_graph_small",
         "assert all(isinstance(_parents, tuple) for _parents in _graph.values())"),
        ("a node that is given rather than computed has the empty tuple `()`", "test_rnn_dependency_graph_small",
         'assert _one[("h", 0)] == () and _one[("x", 1)] == ()'),
        ("every node that appears as a parent is also a key", "test_rnn_dependency_graph_any_length",
         "set(_graph) == set(_reference)"),
        ("the order of the keys, and of the parents inside a tuple, does not matter", "test_rnn_dependency_graph_small",
         "assert set(_graph[_node]) == _parents"),
        ("the nodes are tuples `(kind, position)`", "test_rnn_dependency_graph_small",
         '_expected = {("h", 0): set(), ("x", 1): set(), ("x", 2): set(),'),
        ("each state is computed from the previous state and the current input", "test_rnn_dependency_graph_small",
         '("h", 1): {("h", 0), ("x", 1)}, ("h", 2): {("h", 1), ("x", 2)}}'),
        ("Implement `rnn_dependency_graph(n)` for any $n \\ge 1$", "test_rnn_dependency_graph_any_length",
         "for _n in (3, 10, 257):"),
        ("has exactly the two parents", "test_rnn_dependency_graph_any_length",
         "assert len(_graph[_node]) == len(_parents)"),
        ("For $n = 2$ it must return the dict above", "test_rnn_dependency_graph_small",
         "_graph = rnn_dependency_graph(2)"),
        ("h_t reads h_(t-1) and x_t", "test_rnn_dependency_graph_any_length",
         '_reference[("h", _t)] = (("h", _t - 1), ("x", _t))'),
    ],
    "attention_dependency_graph": [
        ("every output $y_t$ is a weighted mix of values computed from **all** the inputs", "test_attention_dependency_graph",
         'assert set(_graph[("y", _t)]) == _inputs'),
        ("including the positions after $t$", "test_attention_dependency_graph",
         '"y_1 reads every input, also the later x_2"'),
        ("draw the edges from inputs to outputs directly", "test_attention_dependency_graph",
         'assert set(_graph) == _inputs | {("y", _t) for _t in range(1, _n + 1)}'),
        ("Implement `attention_dependency_graph(n)` for any $n \\ge 1$", "test_attention_dependency_graph",
         "for _n in (1, 6, 40):"),
        ("with no parents", "test_attention_dependency_graph", 'assert _graph[("x", _i)] == ()'),
        ("each with the $n$ parents", "test_attention_dependency_graph",
         'assert isinstance(_graph[("y", _t)], tuple) and len(_graph[("y", _t)]) == _n'),
        ('There are no `("h", t)` nodes', "test_attention_dependency_graph",
         'assert set(_graph) == {("x", 1), ("x", 2), ("y", 1), ("y", 2)}'),
        ("every y_t reads every x_i", "test_attention_dependency_graph", '"y_{_t} must read all {_n} inputs"'),
    ],
    "critical_path_length": [
        ("A node with no parents is available at step 0", "test_critical_path_length_small",
         'critical_path_length({("x", 1): (), ("x", 2): ()}) == 0'),
        ("Any other node can be computed one step after the last of its parents is ready",
         "test_critical_path_length_any_order", "_expected = _reference_critical_path(_graph)"),
        (r"\operatorname{depth}(v) = \begin{cases}", "test_critical_path_length_any_order",
         'assert _got == _expected, f"random DAG with {_size} nodes'),
        ("is the largest depth", "test_critical_path_length_small", '_diamond) == 3, "longest path, not shortest"'),
        ("the number of **edges** on the longest path of the graph", "test_critical_path_length_small",
         'assert critical_path_length(_rnn_2) == 2, "the recurrent layer with n = 2 needs 2 sequential steps"'),
        ("so the answer is 2", "test_critical_path_length_small", "assert critical_path_length(_rnn_2) == 2"),
        ("that has no cycles and at least one node, not only the two layers", "test_critical_path_length_small",
         'assert critical_path_length({"alone": ()}) == 0'),
        ("that has no cycles and at least one node, not only the two layers", "test_critical_path_length_any_order",
         "for _trial in range(25):"),
        ("node names can be any hashable values (tuples, strings, numbers)", "test_critical_path_length_small",
         'assert critical_path_length({frozenset({1}): (), (2, "b"): (frozenset({1}),), 7.5: ((2, "b"),)}) == 2'),
        ("node names can be any hashable values (tuples, strings, numbers)", "test_critical_path_length_small",
         "assert critical_path_length({0: (), 1: (0,), 2: (0, 1), 3: (2,)}) == 3"),
        ("keys can come in any order: a node may be listed before its parents", "test_critical_path_length_any_order",
         'assert critical_path_length({"c": ("b",), "b": ("a",), "a": ()}) == 2'),
        ("keys can come in any order: a node may be listed before its parents", "test_critical_path_length_any_order",
         "for _i in _rng.permutation(_size):"),
        ("the graph may have several unconnected pieces", "test_critical_path_length_small",
         '"three unconnected pieces, the deepest listed first"'),
        ("a graph whose nodes are all inputs has critical path 0", "test_critical_path_length_small",
         '"inputs only, no edges: 0"'),
        ("do not modify the graph: leave its keys and values as they are", "test_critical_path_length_any_order",
         'assert not _changed, "critical_path_length must not modify the graph it is given"'),
        ("It must handle graphs of **several thousand nodes**", "test_critical_path_length_thousands_of_nodes",
         '"a recurrent layer over 3000 inputs needs 3000 steps"'),
        ("a recursive function that follows a chain of 3000 states fails", "test_critical_path_length_thousands_of_nodes",
         "_n = 3000"),
        ("can take exponentially long on graphs whose paths branch and rejoin", "test_critical_path_length_thousands_of_nodes",
         '"1000 diamonds in a row: 2000 sequential steps"'),
        ("Number of edges on the longest path of an acyclic dependency graph (0 if it has no edges)",
         "test_critical_path_length_small", '"a graph of inputs only needs 0 steps"'),
    ],
    "shortest_path_length": [
        ("following the edges in the direction of computation", "test_shortest_path_length_layers",
         '"x_1 -> h_1 -> h_2 is 2 edges"'),
        ("for any graph in the format above", "test_shortest_path_length_any_graph",
         'assert _got == _expected, f"{_a} -> {_b}: expected {_expected}, got {_got}"'),
        ("return the fewest edges on a directed path from `source` to `target`", "test_shortest_path_length_any_graph",
         'shortest_path_length(deepcopy(_detour), "s", "t") == 1'),
        ("return `0` when `source == target`", "test_shortest_path_length_layers", '"from a node to itself: 0 edges"'),
        ("return `0` when `source == target`", "test_shortest_path_length_any_graph",
         'shortest_path_length(deepcopy(_pieces), "lone", "lone") == 0'),
        ("return `None` when there is no such path", "test_shortest_path_length_layers",
         '"x_1 does not depend on h_2: None"'),
        ("between two outputs of the self-attention layer", "test_shortest_path_length_layers",
         '"outputs do not read each other"'),
        ("node names can be any hashable values", "test_shortest_path_length_any_graph",
         'shortest_path_length(deepcopy(_backwards), frozenset({2}), frozenset({2})) == 0'),
        ("keys can come in any order", "test_shortest_path_length_any_graph",
         'shortest_path_length(deepcopy(_backwards), 0, (3, "c")) == 3'),
        ("the graph may have several unconnected pieces", "test_shortest_path_length_any_graph",
         'shortest_path_length(deepcopy(_pieces), "lone", "q") is None'),
        ("it may have several thousand nodes", "test_shortest_path_length_any_graph", '"x_1 -> h_3000 is 3000 edges"'),
        ("do not modify the graph: leave its keys and values as they are", "test_shortest_path_length_any_graph",
         'assert not _changed, "shortest_path_length must not modify the graph it is given"'),
        ("A breadth-first search finds the fewest edges; a depth-first search in general does not",
         "test_shortest_path_length_any_graph", 'shortest_path_length(deepcopy(_detour), "a", "t") == 3'),
        ("Fewest edges on a path from source to target along the direction of computation, or None",
         "test_shortest_path_length_layers", 'shortest_path_length(deepcopy(_chain), ("x", 17), ("h", 20)) == 4'),
    ],
    "rnn_layer_flops": [
        ("the floating-point operations (FLOPs) of one forward pass of one layer", "test_rnn_layer_flops_size",
         "_expected = 16 * _n * _d ** 2"),
        ("Use this convention, and only this one", "test_rnn_layer_flops_size",
         "assert abs(float(_got) - _expected) <= 1e-12 * _expected"),
        ("costs $2abc$ FLOPs", "test_rnn_layer_flops_size", "_expected = 16 * _n * _d ** 2"),
        ("A matrix times a vector is the case $c = 1$: $2ab$ FLOPs", "test_rnn_layer_flops_size",
         "_expected = 16 * _n * _d ** 2"),
        ("count **only matrix products**", "test_rnn_layer_flops_scaling",
         '"only matrix products: doubling d must multiply the work by exactly 4'),
        ("**The recurrent layer is an LSTM** with input and state width $d$", "test_rnn_layer_flops_size",
         "_expected = 16 * _n * _d ** 2"),
        ("each of the four gate pre-activations", "test_rnn_layer_flops_size", "_expected = 16 * _n * _d ** 2"),
        ("At each step $t = 1, \\dots, n$", "test_rnn_layer_flops_scaling", '"the work must be exactly proportional to n'),
        ("W_g, U_g \\in \\mathbb{R}^{d \\times d}", "test_rnn_layer_flops_size", "_expected = 16 * _n * _d ** 2"),
        ("for any whole numbers $n \\ge 1$ and $d \\ge 1$", "test_rnn_layer_flops_size",
         "for _n, _d in [(1, 1), (1, 16), (3, 5), (50, 128), (512, 512), (3, 2048), (65536, 4096)]:"),
        ("as a number (an `int` or a `float`)", "test_rnn_layer_flops_scaling",
         "assert isinstance(_flops, (int, float, np.integer, np.floating)) and _flops > 0"),
        ("The tests compare your count exactly with the number the convention above gives",
         "test_rnn_layer_flops_size", "assert abs(float(_got) - _expected) <= 1e-12 * _expected"),
        ("FLOPs of one LSTM layer (width d) over n steps, counting only matrix products", "test_rnn_layer_flops_size",
         "_expected = 16 * _n * _d ** 2"),
    ],
    "self_attention_layer_flops": [
        ("the FLOPs of the self-attention layer above", "test_self_attention_layer_flops_terms",
         "_expected = _reference_attention(_n, _d)"),
        ("for any whole numbers $n \\ge 1$ and $d \\ge 1$", "test_self_attention_layer_flops_terms",
         "for _n, _d in [(1, 1), (2, 3), (1, 512)"),
        ("as a number (an `int` or a `float`)", "test_self_attention_layer_flops_scaling",
         "assert isinstance(_flops, (int, float, np.integer, np.floating)) and _flops > 0"),
        ("Count all six products", "test_self_attention_layer_flops_terms",
         "return 8 * n * d ** 2 + 4 * n ** 2 * d  # four (n x d)(d x d) products, Q K^T and A V"),
        ("the tests compare your count exactly with the number the convention gives",
         "test_self_attention_layer_flops_terms", "assert abs(float(_got) - _expected) <= 1e-12 * _expected"),
        ("FLOPs of one single-head self-attention layer (width d) over n positions: matrix products only",
         "test_self_attention_layer_flops_scaling", "assert abs(_ours - _ref) <= 1e-12 * _ref"),
    ],
    "crossover_length": [
        ("the **smallest** sequence length $n \\ge 1$", "test_crossover_length_other_costs",
         'assert _got == 28, f"with these costs and d = 3 the answer is 28, got {_got}"'),
        ("is **strictly greater** than `rnn_layer_flops(n, d)`", "test_crossover_length_lstm_against_attention",
         "assert _c == 2 * _d + 1"),
        ("as an `int`", "test_crossover_length_other_costs", 'assert isinstance(_got, (int, np.integer)), f"return an int'),
        ("A length at which the two costs are equal does not count", "test_crossover_length_other_costs",
         '"a tie at n = 9 d is not strictly greater"'),
        ("A length at which the two costs are equal does not count", "test_crossover_length_lstm_against_attention",
         '"equal cost at n = 2d, so the first n that costs more is 2d + 1'),
        ("the tests also call `crossover_length` with other cost functions in place of yours",
         "test_crossover_length_other_costs", "rnn_layer_flops = lambda n, d: 10 * n * d"),
        ("any pair of cost functions in which attention costs strictly more from some length on",
         "test_crossover_length_other_costs", "assert crossover_length(1) == 11"),
        ("attention already costs more at $n = 1$: the answer is then 1", "test_crossover_length_other_costs",
         '"more expensive at n = 1: the answer is 1"'),
        ("the crossover is smaller than $d$", "test_crossover_length_other_costs", '"the crossover can be smaller than d"'),
        ("the costs cross more than once", "test_crossover_length_other_costs", '"the first crossing, not a later one"'),
        ("Smallest n at which self-attention costs more FLOPs than the recurrent layer, at width d",
         "test_crossover_length_lstm_against_attention", "_found = {_d: crossover_length(_d) for _d in"),
    ],
    "predicted_crossover_length": [
        ("with one $(d \\times d)$ product with the input and one with the previous state",
         "test_predicted_crossover_length_any_gates", "while 8 * n * d * d + 4 * n * n * d <= 4 * gates * n * d * d:"),
        ("the same shapes, the same count", "test_predicted_crossover_length_lstm_and_gru",
         'assert _gru == _d + 1'),
        ("The self-attention layer is the one of part 6", "test_predicted_crossover_length_lstm_and_gru",
         "assert _lstm == 2 * _d + 1"),
        ("for any whole numbers $d \\ge 1$ and `gates` $\\ge 1$", "test_predicted_crossover_length_any_gates",
         'assert _got == _expected, f"{_gates} gates, d = {_d}: expected {_expected}, got {_got}"'),
        ("as an `int`", "test_predicted_crossover_length_lstm_and_gru",
         'assert isinstance(_got, (int, np.integer)), f"return an int, got {type(_got).__name__}"'),
        ("A length at which the two costs are equal does not count", "test_predicted_crossover_length_lstm_and_gru",
         "the costs are equal at n = 2d, so {2 * _d + 1}"),
        ("When attention costs more at every length, the answer is 1", "test_predicted_crossover_length_any_gates",
         "attention costs more at every length, so 1"),
        ("Do not call your functions from parts 5 to 7", "test_predicted_crossover_length_lstm_and_gru",
         "rnn_layer_flops = self_attention_layer_flops = crossover_length = _not_allowed"),
        ("Do not call your functions from parts 5 to 7", "test_predicted_crossover_length_any_gates",
         "rnn_layer_flops = self_attention_layer_flops = crossover_length = _not_allowed"),
        ("Smallest n at which self-attention costs more FLOPs than a recurrent layer with `gates` gates",
         "test_predicted_crossover_length_any_gates", "_expected = predicted_crossover_length(_d, _gates), _first_more_expensive(_d, _gates)"),
    ],
}

# Sentences that explain, motivate or point elsewhere, and promise nothing a test of this answer could check.
PROSE = {
    "rnn_dependency_graph": [
        "For $n = 2$ its graph is",  # introduces the worked example, checked through the sentence after it
        "The same graph describes an LSTM",
        "Edges point in the **direction of computation**",
        "Gradients travel the same edges backwards",
    ],
    "attention_dependency_graph": [],
    "critical_path_length": [
        "Suppose you have as many processors as you like",
        "No amount of hardware computes that graph in fewer steps",
        "Compute every depth once, with a loop",
        "One way: count each node's parents",
    ],
    "shortest_path_length": [
        "How directly can an early position influence a late one?",
        "Every edge on that path is one more transformation",
        "The dict gives each node's *parents*, but the path runs from parents to children",
    ],
    "rnn_layer_flops": [
        "The cell below applies your four functions",
        "Keep its output: Part D asks you to quote it",
        "Part A counted *steps*",
        "The recurrent layers that self-attention displaced in practice were LSTMs",
        # the self-attention layer is specified here, before part 5, and checked by part 6's tests
        "**The self-attention layer** has one head",
        "With the inputs as the rows of",
        "Q = X W_Q",
        "three projections, the scores, the weights times the values, and the output projection",
        "Work out the shape of every product before you count it",
        "In particular, $S$ has one entry per *pair* of positions",
    ],
    "self_attention_layer_flops": [],
    "crossover_length": [],
    "predicted_crossover_length": [
        "Part 7 found the crossover by trying one length after another",
        "Now predict it on paper",
        "Work it out on paper first",
        "The answer is a short formula",
        "For `gates = 4` it predicts what your search of part 7 found",
    ],
}
