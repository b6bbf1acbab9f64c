import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from r2a import graphs, plotting, timing  # noqa: E402


def test_scaling_exponent_recovers_a_power_law():
    sizes = np.array([10, 20, 40, 80])
    assert timing.scaling_exponent(sizes, 3.0 * sizes ** 1.5) == pytest.approx(1.5)
    assert timing.scaling_exponent(sizes, 2.0 / sizes) == pytest.approx(-1.0)


@pytest.mark.parametrize("sizes, values", [([1], [1]), ([1, 2], [1, 0]), ([1, 2, 3], [1, 2])])
def test_scaling_exponent_rejects_bad_input(sizes, values):
    with pytest.raises(ValueError):
        timing.scaling_exponent(sizes, values)


def test_best_time_is_the_minimum_and_calls_the_function():
    calls = []
    seconds = timing.best_time(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and 0 <= seconds < 0.1
    with pytest.raises(ValueError):
        timing.best_time(lambda: None, repeats=0)


def test_time_over_sizes_returns_one_time_per_size():
    times = timing.time_over_sizes(lambda n: (lambda: sum(range(n))), [10, 100], repeats=2)
    assert times.shape == (2,) and np.all(times > 0)


def test_loglog_fit_returns_the_slope_and_draws():
    fig, ax = plt.subplots()
    slope = plotting.loglog_fit(ax, [1, 2, 4, 8], [1, 4, 16, 64], "square")
    assert slope == pytest.approx(2.0)
    assert ax.get_xscale() == "log" and len(ax.lines) == 2
    assert "slope 2.00" in ax.lines[0].get_label()
    plt.close(fig)


def test_heatmap_labels_and_validation():
    fig, ax = plt.subplots()
    image = plotting.heatmap(ax, np.eye(3), x_labels="abc", y_labels=[1, 2, 3], annotate=True)
    assert image.get_array().shape == (3, 3)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert len(ax.texts) == 9
    with pytest.raises(ValueError):
        plotting.heatmap(ax, np.zeros(3))
    with pytest.raises(ValueError):
        plotting.heatmap(ax, np.zeros((2, 2)), x_labels="abc")
    plt.close(fig)


def test_attention_grid_is_layers_by_heads():
    maps = np.full((2, 3, 4, 4), 0.25)
    fig = plotting.attention_grid(maps, tokens=list("wxyz"))
    titled = [ax for ax in fig.axes if ax.get_title()]
    assert len(titled) == 6 and titled[-1].get_title() == "layer 2, head 3"
    with pytest.raises(ValueError):
        plotting.attention_grid(np.zeros((3, 4, 4)))
    plt.close(fig)


def test_draw_dependency_graph_labels_every_node_with_its_depth():
    fig, ax = plt.subplots()
    graph = graphs.rnn_graph(4)
    plotting.draw_dependency_graph(ax, graph, graphs.dependency_depth(graph), title="rnn")
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert labels == sorted(["0"] * 5 + ["1", "2", "3", "4"])
    plt.close(fig)
