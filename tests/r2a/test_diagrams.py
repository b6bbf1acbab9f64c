import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from r2a import diagrams, graphs  # noqa: E402


def test_draw_dependency_graph_labels_every_node_with_its_depth():
    fig, ax = plt.subplots()
    graph = graphs.rnn_graph(4)
    diagrams.draw_dependency_graph(ax, graph, graphs.dependency_depth(graph), title="rnn")
    labels = sorted(t.get_text() for t in ax.texts if t.get_text())
    assert labels == sorted(["0"] * 5 + ["1", "2", "3", "4"])
    assert ax.get_title() == "rnn"
    plt.close(fig)


@pytest.mark.parametrize("attention", [False, True])
def test_draw_encoder_decoder(attention):
    fig, ax = plt.subplots()
    diagrams.draw_encoder_decoder(ax, n_in=3, n_out=2, attention=attention)
    labels = {t.get_text() for t in ax.texts}
    assert {"$x_{1}$", "$h_{3}$", "$s_{2}$", "$y_{2}$"} <= labels
    assert ("$c$" in labels) != attention, "the fixed context is drawn only without attention"
    assert ("$a_{2}$" in labels) == attention, "the attention output of the last step, only with attention"
    plt.close(fig)


def test_draw_encoder_decoder_rejects_an_empty_sequence():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="n_in must be a positive integer"):
        diagrams.draw_encoder_decoder(ax, n_in=0)
    plt.close(fig)
