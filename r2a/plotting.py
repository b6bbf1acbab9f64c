"""The course's plot style and the few figure types several lectures draw."""
import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .timing import scaling_exponent

COURSE_STYLE = {
    "figure.figsize": (7.0, 3.6),
    "figure.dpi": 90,
    "savefig.dpi": 90,
    "font.size": 10,
    "axes.titlesize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "legend.frameon": False,
    "image.cmap": "viridis",
    "axes.prop_cycle": mpl.cycler(color=["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b"]),
}


def use_course_style() -> None:
    """Apply the course style to every figure drawn after this call."""
    mpl.rcParams.update(COURSE_STYLE)


def heatmap(ax, matrix, x_labels=None, y_labels=None, vmin=None, vmax=None, cmap=None,
            colorbar=True, annotate=False, fmt="{:.2f}"):
    """Draw a 2-D array as an image with optional tick labels, colour bar and cell values."""
    matrix = np.asarray(matrix, dtype=float)
    if matrix.ndim != 2:
        raise ValueError(f"heatmap needs a 2-D array, got shape {matrix.shape}")
    image = ax.imshow(matrix, vmin=vmin, vmax=vmax, cmap=cmap, aspect="auto", interpolation="nearest")
    ax.grid(False)
    for labels, set_ticks, set_labels, size in (
        (x_labels, ax.set_xticks, ax.set_xticklabels, matrix.shape[1]),
        (y_labels, ax.set_yticks, ax.set_yticklabels, matrix.shape[0]),
    ):
        if labels is not None:
            if len(labels) != size:
                raise ValueError(f"{len(labels)} labels for an axis of length {size}")
            set_ticks(range(size))
            set_labels([str(label) for label in labels])
    if annotate:
        middle = (np.nanmin(matrix) + np.nanmax(matrix)) / 2
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, fmt.format(value), ha="center", va="center", fontsize=8,
                    color="white" if value < middle else "black")
    if colorbar:
        ax.figure.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    return image


def attention_grid(maps, tokens=None, row_name="layer", col_name="head", cell_size=2.0):
    """A layer x head grid of attention maps; ``maps`` has shape ``(layers, heads, n_query, n_key)``.

    All panels share one colour scale from 0 to 1 (they are probabilities), so they can be compared.
    """
    maps = np.asarray(maps, dtype=float)
    if maps.ndim != 4:
        raise ValueError(f"maps must have shape (layers, heads, n_query, n_key), got {maps.shape}")
    rows, cols = maps.shape[:2]
    fig, axes = plt.subplots(rows, cols, figsize=(cell_size * cols + 0.8, cell_size * rows),
                             squeeze=False, constrained_layout=True)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            image = heatmap(ax, maps[r, c], vmin=0.0, vmax=1.0, colorbar=False,
                            x_labels=tokens, y_labels=tokens)
            ax.set_title(f"{row_name} {r + 1}, {col_name} {c + 1}", fontsize=9)
            if tokens is None:
                ax.set_xticks([])
                ax.set_yticks([])
    fig.colorbar(image, ax=axes, shrink=0.8, label="attention weight")
    return fig


def loglog_fit(ax, sizes, values, label, **style):
    """Plot ``values`` against ``sizes`` on log-log axes with the fitted power law; return its slope."""
    slope = scaling_exponent(sizes, values)
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    points = ax.loglog(sizes, values, "o", label=f"{label} (slope {slope:.2f})", **style)[0]
    intercept = np.mean(np.log(values) - slope * np.log(sizes))
    ax.loglog(sizes, np.exp(intercept) * sizes ** slope, "-", color=points.get_color(), alpha=0.6)
    return slope


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
