"""The course's plot style and the plots of measurements that several lectures draw.

* ``use_course_style``: the style every lecture applies (``r2a.setup`` calls it);
* ``heatmap``, ``attention_grid``: matrices, such as attention weights, as images;
* ``loglog_fit``: a power law fitted to measurements, with its slope in the legend;
* ``loglog_fit_regimes``: one power law on each side of a boundary, with both slopes in the legend,
  and ``slope_guides``: reference lines of slope 1, 2, ... to read such slopes by eye;
* ``plot_sweep`` (and its two panels, ``plot_sweep_by_length``, ``plot_sweep_by_hidden``): the
  accuracy curves of the bottleneck experiment, ``r2a.bottleneck.SweepResult``.

Schematic drawings of models, rather than of measurements, are in ``r2a.diagrams``.
"""
import sys

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .timing import regime_exponents, scaling_exponent

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
    """Apply the course style to every figure drawn after this call; in a notebook, also draw
    figures at twice the pixel density, shown at the same size (180 dpi: crisp on any screen)."""
    mpl.rcParams.update(COURSE_STYLE)
    _crisp_inline_figures()


def _crisp_inline_figures() -> None:
    ipython = sys.modules.get("IPython")  # loaded only when running inside IPython or Jupyter
    shell = ipython.get_ipython() if ipython else None
    if shell is not None and "IPKernelApp" in shell.config:
        shell.run_line_magic("config", "InlineBackend.figure_formats = ['retina']")


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


def loglog_fit_regimes(ax, sizes, values, label, boundary, boundary_label=None, **style):
    """Plot ``values`` against ``sizes`` on log-log axes with one power law fitted up to ``boundary``
    and one from it on (``r2a.timing.regime_exponents``), both slopes in the legend entry. Each fitted
    line is drawn from the end of its regime's sizes to the boundary.

    ``boundary_label`` names the boundary in the legend (default: its value). Returns the two slopes
    as the pair ``(below, above)``.
    """
    below, above = regime_exponents(sizes, values, boundary)
    sizes, values = np.asarray(sizes, dtype=float), np.asarray(values, dtype=float)
    name = f"{boundary:g}" if boundary_label is None else boundary_label
    points = ax.loglog(sizes, values, "o", label=f"{label} (slope {below:.2f} below {name}, {above:.2f} above)",
                       **style)[0]
    for slope, part, ends in ((below, sizes <= boundary, lambda x: [x.min(), boundary]),
                              (above, sizes >= boundary, lambda x: [boundary, x.max()])):
        intercept = np.mean(np.log(values[part]) - slope * np.log(sizes[part]))
        x = np.array(ends(sizes[part]), dtype=float)  # each line reaches the boundary, so the regimes are visible
        ax.loglog(x, np.exp(intercept) * x ** slope, "-", color=points.get_color(), alpha=0.6)
    return below, above


def slope_guides(ax, start, end, y_start, slopes=(1, 2), **style):
    """Reference lines on log-log axes, one per slope, each from ``(start, y_start)`` to x = ``end`` and
    labelled "slope k" at its right end; not in the legend. Returns the lines."""
    style = {"color": "0.45", "linestyle": ":", "linewidth": 1.2, **style}
    x = np.array([start, end], dtype=float)
    lines = []
    for slope in slopes:
        y = y_start * (x / start) ** slope
        lines.append(ax.loglog(x, y, **style)[0])
        ax.text(end, y[-1], f" slope {slope:g}", fontsize=8, color=style["color"], va="center")
    return lines


# -- the bottleneck experiment (r2a.bottleneck) ---------------------------------------------------

_SWEEP_STYLES = ("o-", "s--", "^-.", "D:", "v-")


def _chance_line_and_accuracy_axis(ax, experiment):
    ax.axhline(1 / experiment.vocab_size, color="0.4", linestyle=":", lw=1,
               label=f"chance (1/{experiment.vocab_size})")
    ax.set_ylim(0, 1.03)
    ax.set_ylabel("token accuracy, fresh data")


def plot_sweep_by_length(ax, results):
    """Accuracy against input length, one curve per ``SweepResult`` (same lengths, hidden size)."""
    first = _same_sweep(results, lambda s: (s.experiment, s.lengths, s.hidden_size))
    for style, r in zip(_SWEEP_STYLES, results):
        ax.plot(first.lengths, r.accuracy_by_length(), style, label=r.label)
    _chance_line_and_accuracy_axis(ax, first.experiment)
    ax.set(xlabel="input length n", xticks=list(first.lengths), title=f"hidden size d = {first.hidden_size}")


def plot_sweep_by_hidden(ax, results):
    """Accuracy against hidden size, one curve per ``SweepResult`` (same sizes, length)."""
    first = _same_sweep(results, lambda s: (s.experiment, s.hidden_sizes, s.length))
    for style, r in zip(_SWEEP_STYLES, results):
        ax.plot(first.hidden_sizes, r.accuracy_by_hidden(), style, label=r.label)
    _chance_line_and_accuracy_axis(ax, first.experiment)
    ax.set_xscale("log", base=2)
    ax.set_xticks(list(first.hidden_sizes), [str(d) for d in first.hidden_sizes])
    ax.minorticks_off()
    ax.set(xlabel="hidden size d (log scale)", title=f"input length n = {first.length}")


def plot_sweep(results):
    """Both panels side by side; every result must come from the same ``Sweep``. Returns the figure."""
    _same_sweep(results, lambda s: s)
    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 3.6), constrained_layout=True)
    plot_sweep_by_length(left, results)
    plot_sweep_by_hidden(right, results)
    left.legend()
    return fig


def _same_sweep(results, key):
    """The sweep shared by ``results``, after checking they agree on what ``key`` picks out."""
    if not results:
        raise ValueError("need at least one SweepResult to plot")
    if any(key(r.sweep) != key(results[0].sweep) for r in results):
        raise ValueError("these results come from different experiments; their curves are not comparable")
    return results[0].sweep


def seed_range(values) -> str:
    """The range of a measurement over seeds, lowest to highest, for printing."""
    return f"{np.min(values):.3f} to {np.max(values):.3f}"


def plot_over_seeds(ax, x, values, style, label=None, **style_kw):
    """values (seeds, points): the mean over seeds, with a bar from the lowest to the highest seed."""
    values = np.asarray(values, dtype=float)
    mean = values.mean(axis=0)
    return ax.errorbar(x, mean, yerr=[mean - values.min(axis=0), values.max(axis=0) - mean], fmt=style,
                       capsize=3, label=label, **style_kw)
