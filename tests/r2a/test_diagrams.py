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


def arrow_heads_at(ax, height):
    """How many arrows end on the row at ``height`` (the outputs y_t sit at height 2)."""
    return sum(1 for t in ax.texts if getattr(t, "arrow_patch", None) is not None and t.xy[1] == height)


@pytest.mark.parametrize("attention, from_context", [(False, 3), (True, 1)])
def test_the_output_layer_reads_the_context_unless_told_otherwise(attention, from_context):
    # Seq2Seq's output layer reads [s_t; c] (or [s_t; a_t]); the default diagram draws those edges.
    n_out = 3
    counts = {}
    for context_to_output in (True, False):
        fig, ax = plt.subplots()
        diagrams.draw_encoder_decoder(ax, n_in=2, n_out=n_out, attention=attention,
                                      context_to_output=context_to_output)
        counts[context_to_output] = arrow_heads_at(ax, 2)
        plt.close(fig)
    assert counts[False] == n_out, "s_t -> y_t for every step"
    assert counts[True] == n_out + from_context, "plus c -> every y_t, or a_t -> y_t for the step drawn"


def test_the_attention_step_draws_its_query():
    fig, ax = plt.subplots()
    diagrams.draw_encoder_decoder(ax, n_in=3, n_out=2, attention=True)
    a_box = next(t for t in ax.texts if t.get_text() == "$a_{2}$")
    into_a = [t for t in ax.texts if getattr(t, "arrow_patch", None) is not None and t.xy == a_box.get_position()]
    assert len(into_a) == 3 + 1, "every encoder state and the previous decoder state s_1 point to a_2"
    plt.close(fig)


def test_context_to_output_must_be_a_bool():
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match="context_to_output must be one of"):
        diagrams.draw_encoder_decoder(ax, context_to_output="yes")
    plt.close(fig)
