"""Schematic drawings of how a model computes: which quantity is computed from which.

Plots of measurements (heatmaps, fitted curves, accuracy sweeps) are in ``r2a.plotting``; these
draw the structure itself, onto an ``ax`` the lecture provides and titles.

* ``draw_dependency_graph``: a graph of ``r2a.graphs``, each node labelled with its depth
  (Lecture 1);
* ``draw_encoder_decoder``: ``r2a.seq2seq.Seq2Seq`` unrolled in time, with a fixed context
  (Lecture 3) or with attention (Lecture 4); every edge is a term of the model's equations.
"""
import numpy as np

from ._validation import check_choice, check_positive_int


def draw_dependency_graph(ax, graph, depth, title=None):
    """Draw a sequence layer's dependency graph with each node labelled by its depth.

    Inputs (``x``) sit on the bottom row, computed nodes (``h`` or ``y``) on the top row; an initial
    state ``h_0`` sits at position 0. Edges from a node's parents are drawn as arrows.
    """
    def place(node):
        kind, position = node
        return position, 0.0 if kind == "x" else 1.0

    for node, parents in graph.items():
        for parent in parents:
            (x0, y0), (x1, y1) = place(parent), place(node)
            ax.annotate("", xy=(x1, y1 - 0.09 if y1 > y0 else y1), xytext=(x0, y0 + 0.09 if y1 > y0 else y0),
                        arrowprops=dict(arrowstyle="-|>", color="0.55", lw=0.7, shrinkA=6, shrinkB=6))
    for node in graph:
        x, y = place(node)
        computed = depth[node] > 0
        ax.scatter([x], [y], s=420, zorder=3, color="#d62728" if computed else "#1f77b4",
                   edgecolor="black", linewidth=0.6)
        ax.text(x, y, str(depth[node]), ha="center", va="center", color="white", fontsize=9,
                fontweight="bold", zorder=4)
    ax.set_ylim(-0.4, 1.4)
    ax.set_yticks([0, 1])
    ax.set_yticklabels(["inputs", "computed"])
    ax.set_xlabel("position")
    ax.grid(False)
    if title:
        ax.set_title(title)


def draw_encoder_decoder(ax, n_in=4, n_out=4, attention=False, context_to_output=True):
    """Draw the encoder–decoder unrolled in time: inputs below, states in the middle row.

    Without attention the decoder's only view of the input is the context box ``c``: it is the
    first decoder state's predecessor (``s_0 = c``), part of every step's input, and, with
    ``context_to_output=True`` (the default, as in ``r2a.seq2seq.Seq2Seq``), read again by the
    output layer next to ``s_t``. With ``attention=True`` the last decoder step ``t`` is drawn
    reading every encoder state through its attention output ``a_t``, whose weights the previous
    decoder state ``s_{t-1}`` chooses (the other steps do the same; the first state still starts
    from the final encoder state); with ``context_to_output=True`` ``a_t`` also goes to ``y_t``.
    ``context_to_output=False`` draws a decoder whose output layer reads ``s_t`` alone.
    """
    check_positive_int(n_in=n_in, n_out=n_out)
    check_choice("context_to_output", context_to_output, (True, False))
    enc_x = np.arange(n_in, dtype=float)
    ctx_x = n_in + 0.4
    dec_x = n_in + 1.8 + np.arange(n_out, dtype=float)
    blue, red, green, grey = "#cfe0f3", "#f6c9c9", "#d4ecd0", "0.35"
    context_colour = "#d62728"

    def box(x, y, text, colour):
        ax.text(x, y, text, ha="center", va="center", fontsize=10, zorder=3,
                bbox=dict(boxstyle="round,pad=0.35", fc=colour, ec="0.3", lw=0.8))

    def arrow(start, end, **style):
        props = dict(arrowstyle="-|>", color=grey, lw=0.9, shrinkA=12, shrinkB=12) | style
        ax.annotate("", xy=end, xytext=start, arrowprops=props, zorder=2)

    for i, x in enumerate(enc_x, start=1):
        box(x, 0, f"$x_{{{i}}}$", "white")
        box(x, 1, f"$h_{{{i}}}$", blue)
        arrow((x, 0), (x, 1))
        if i > 1:
            arrow((x - 1, 1), (x, 1))
    for t, x in enumerate(dec_x, start=1):
        box(x, 0, "<start>" if t == 1 else f"$y_{{{t - 1}}}$", "white")
        box(x, 1, f"$s_{{{t}}}$", green)
        box(x, 2, f"$y_{{{t}}}$", "white")
        arrow((x, 0), (x, 1))
        arrow((x, 1), (x, 2))
        if t > 1:
            arrow((x - 1, 1), (x, 1))
    bus_y = 0.45      # the extra input that joins each decoder step, between the token and the state
    out_bus_y = 1.5   # the same vector read again by the output layer, between the state and y_t
    if attention:
        t = len(dec_x)
        a_x = dec_x[-1] - 0.45
        box(a_x, bus_y, f"$a_{{{t}}}$", red)
        for x in enc_x:  # from just below each h_i, so the lines pass under the next box
            ax.plot([x, x], [1 - 0.13, 0.8], color=context_colour, lw=0.8, alpha=0.8)
            arrow((x, 0.8), (a_x, bus_y), color=context_colour, lw=0.8, alpha=0.8, shrinkA=0, shrinkB=10)
        query_x = dec_x[-2] if t > 1 else enc_x[-1]  # s_(t-1); for t = 1 that is s_0 = h_n
        arrow((query_x, 1), (a_x, bus_y), color="#2ca02c", lw=1.1, shrinkA=10, shrinkB=9)
        arrow((a_x, bus_y), (dec_x[-1], 1), color=context_colour, shrinkA=8)
        if context_to_output:  # the output layer reads [s_t; a_t]
            ax.plot([a_x + 0.08, a_x + 0.08], [bus_y + 0.12, out_bus_y], color=context_colour, lw=0.9, zorder=1)
            arrow((a_x + 0.08, out_bus_y), (dec_x[-1] - 0.05, 2), color=context_colour, lw=0.8,
                  shrinkA=0, shrinkB=9)
        arrow((enc_x[-1], 1), (dec_x[0], 1))  # the first decoder state still starts from c
        ax.text(enc_x.mean() + 0.5, 1.95, f"$a_{{{t}}} = \\sum_i \\alpha_{{{t},i}}\\, h_i$, weights chosen by "
                f"$s_{{{t - 1}}}$:\na new mix of all $h_i$ at every step (drawn for step {t})",
                ha="center", va="center", color=context_colour, fontsize=9)
    else:
        box(ctx_x, 1, "$c$", red)
        arrow((enc_x[-1], 1), (ctx_x, 1), shrinkB=9)
        arrow((ctx_x, 1), (dec_x[0], 1), shrinkA=9, color=context_colour)
        ax.plot([ctx_x, ctx_x, dec_x[-1] - 0.3], [1 - 0.15, bus_y, bus_y], color=context_colour, lw=0.9, zorder=1)
        for x in dec_x:  # c is also part of every decoder step's input
            arrow((x - 0.3, bus_y), (x - 0.05, 1), color=context_colour, lw=0.8, shrinkA=0, shrinkB=9)
        if context_to_output:  # and the output layer reads [s_t; c]
            ax.plot([ctx_x, ctx_x, dec_x[-1] - 0.3], [1 + 0.15, out_bus_y, out_bus_y], color=context_colour,
                    lw=0.9, zorder=1)
            for x in dec_x:
                arrow((x - 0.3, out_bus_y), (x - 0.05, 2), color=context_colour, lw=0.8, shrinkA=0, shrinkB=9)
        ax.text(ctx_x, 2.05, "context $c$: $d$ numbers,\nwhatever the length $n$", ha="center", va="center",
                color=context_colour, fontsize=9)
    ax.text(enc_x.mean(), -0.65, "encoder reads x", ha="center", fontsize=10)
    ax.text(dec_x.mean(), -0.65, "decoder writes y", ha="center", fontsize=10)
    ax.set_xlim(-0.7, dec_x[-1] + 0.7)
    ax.set_ylim(-0.95, 2.5)
    ax.axis("off")
