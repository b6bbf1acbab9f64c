import pytest

from r2a import graphs


def test_rnn_depth_grows_with_position():
    depth = graphs.dependency_depth(graphs.rnn_graph(6))
    assert [depth[("h", t)] for t in range(7)] == list(range(7))
    assert all(depth[("x", t)] == 0 for t in range(1, 7))


def test_all_to_all_depth_is_one_at_every_length():
    for n in (1, 5, 300):
        depth = graphs.dependency_depth(graphs.self_attention_graph(n))
        assert {depth[("y", t)] for t in range(1, n + 1)} == {1}


def test_depth_of_a_long_chain_needs_no_recursion():
    depth = graphs.dependency_depth(graphs.rnn_graph(5000))
    assert depth[("h", 5000)] == 5000


def test_depth_is_one_plus_the_deepest_parent():
    graph = {"a": (), "b": ("a",), "c": ("b",), "d": ("a", "c")}
    assert graphs.dependency_depth(graph) == {"a": 0, "b": 1, "c": 2, "d": 3}


def test_shortest_paths():
    assert graphs.shortest_path_length(graphs.rnn_graph(10), ("x", 1), ("h", 10)) == 10
    assert graphs.shortest_path_length(graphs.rnn_graph(10), ("x", 4), ("h", 10)) == 7
    assert graphs.shortest_path_length(graphs.self_attention_graph(10), ("x", 1), ("y", 10)) == 1
    assert graphs.shortest_path_length(graphs.rnn_graph(10), ("h", 5), ("h", 5)) == 0
    assert graphs.shortest_path_length(graphs.rnn_graph(10), ("x", 9), ("h", 3)) is None


def test_bad_graphs_are_rejected():
    with pytest.raises(ValueError, match="cycle"):
        graphs.dependency_depth({"a": ("b",), "b": ("a",)})
    with pytest.raises(ValueError, match="not in the graph"):
        graphs.dependency_depth({"a": ("ghost",)})
    with pytest.raises(ValueError, match="not in the graph"):
        graphs.shortest_path_length(graphs.rnn_graph(3), ("x", 9), ("h", 1))
    with pytest.raises(ValueError, match="positive integer"):
        graphs.rnn_graph(0)


def test_one_sequence_through_an_rnn_keeps_one_processor_busy_per_round():
    assert graphs.nodes_per_round(graphs.rnn_graph(5)) == [1] * 5


def test_a_batch_fills_as_many_processors_as_it_has_sequences_in_the_same_rounds():
    batch = graphs.batched(graphs.rnn_graph(5), 3)
    assert len(batch) == 3 * len(graphs.rnn_graph(5))
    assert batch[("h", 2, 3)] == (("h", 1, 3), ("x", 2, 3))
    assert graphs.nodes_per_round(batch) == [3] * 5


def test_self_attention_computes_every_position_in_one_round():
    assert graphs.nodes_per_round(graphs.self_attention_graph(7)) == [7]
    assert graphs.nodes_per_round(graphs.batched(graphs.self_attention_graph(7), 2)) == [14]


def test_nodes_per_round_of_an_uneven_graph_and_of_inputs_only():
    graph = {"a": (), "b": ("a",), "c": ("a",), "d": ("b", "c"), "e": ("a",)}
    assert graphs.nodes_per_round(graph) == [3, 1]
    assert graphs.nodes_per_round({"a": (), "b": ()}) == []


def test_batched_rejects_a_bad_batch_size():
    for bad in (0, 2.5):
        with pytest.raises(ValueError, match="positive integer"):
            graphs.batched(graphs.rnn_graph(2), bad)


def test_the_scan_graph_has_depth_ceil_log2_n():
    for n in (1, 2, 3, 8, 9, 1000):
        depth = graphs.dependency_depth(graphs.scan_graph(n))
        assert max(depth.values()) == (n - 1).bit_length()  # ceil(log2 n), 0 for n = 1
        assert {depth[graphs.scan_state(t)] for t in range(1, n + 1)} == set(range((n - 1).bit_length() + 1))


def test_the_scan_graph_of_eight_steps_by_hand():
    graph = graphs.scan_graph(8)
    assert graph[("s", 2, 1)] == (("x", 1), ("x", 2))
    assert graph[("s", 4, 2)] == (("s", 2, 1), ("s", 4, 1))  # steps 1-2, final after round 1, then 3-4
    assert graph[("s", 8, 3)] == (("s", 4, 2), ("s", 8, 2))
    assert graphs.nodes_per_round(graph) == [7, 6, 4]  # n - 2^(r-1) combinations in round r
    assert [graphs.scan_state(t) for t in (1, 2, 3, 5, 8)] == [("x", 1), ("s", 2, 1), ("s", 3, 2), ("s", 5, 3),
                                                            ("s", 8, 3)]


def test_every_state_of_the_scan_reads_every_earlier_step():
    graph = graphs.scan_graph(13)
    for t in range(1, 14):
        reached = {s for s in range(1, 14)
                   if graphs.shortest_path_length(graph, ("x", s), graphs.scan_state(t)) is not None}
        assert reached == set(range(1, t + 1))


def test_scan_graph_rejects_a_bad_length():
    with pytest.raises(ValueError, match="positive integer"):
        graphs.scan_graph(0)
    with pytest.raises(ValueError, match="positive integer"):
        graphs.scan_state(0)
