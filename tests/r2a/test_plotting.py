import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402

from r2a import plotting  # noqa: E402
from r2a.bottleneck import Experiment, Result, Sweep, SweepResult  # noqa: E402


def test_use_course_style_sets_every_key_of_the_course_style():
    expected = matplotlib.RcParams(plotting.COURSE_STYLE)  # validated as rcParams stores them (tuples -> lists)
    with matplotlib.rc_context():
        matplotlib.rcdefaults()
        assert matplotlib.rcParams["axes.spines.top"] is True, "matplotlib's default, which the style changes"
        plotting.use_course_style()
        for key in plotting.COURSE_STYLE:
            assert matplotlib.rcParams[key] == expected[key], key


def test_loglog_fit_returns_the_slope_and_draws():
    fig, ax = plt.subplots()
    slope = plotting.loglog_fit(ax, [1, 2, 4, 8], [1, 4, 16, 64], "square")
    assert slope == pytest.approx(2.0)
    assert ax.get_xscale() == "log" and len(ax.lines) == 2
    assert "slope 2.00" in ax.lines[0].get_label()
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [1, 4, 16, 64], rtol=1e-12)
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


# -- the bottleneck sweep's curves, from hand-made results (no training) -------------------------

SWEEP = Sweep(Experiment(vocab_size=4), lengths=(2, 3), hidden_size=4, hidden_sizes=(2, 4, 8), length=3)


def sweep_result(accuracy_by_length, accuracy_by_hidden, label, sweep=SWEEP):
    def result(length, hidden_size, accuracy):
        return Result(length, hidden_size, accuracy, np.full(length, accuracy), accuracy, loss=[])

    return SweepResult(sweep, label,
                       [result(n, sweep.hidden_size, a) for n, a in zip(sweep.lengths, accuracy_by_length)],
                       [result(sweep.length, d, a) for d, a in zip(sweep.hidden_sizes, accuracy_by_hidden)])


def test_plot_sweep_draws_one_curve_per_result_and_the_chance_line_on_both_panels():
    fixed = sweep_result([0.9, 0.5], [0.3, 0.5, 0.7], "fixed")
    attended = sweep_result([1.0, 0.8], [0.6, 0.8, 0.9], "attended")
    fig = plotting.plot_sweep([fixed, attended])
    by_length, by_hidden = fig.axes
    assert [line.get_label() for line in by_length.lines] == ["fixed", "attended", "chance (1/4)"]
    np.testing.assert_array_equal(by_length.lines[1].get_xdata(), [2, 3])
    np.testing.assert_array_equal(by_length.lines[1].get_ydata(), [1.0, 0.8])
    np.testing.assert_array_equal(by_hidden.lines[0].get_xdata(), [2, 4, 8])
    np.testing.assert_array_equal(by_hidden.lines[0].get_ydata(), [0.3, 0.5, 0.7])
    assert by_hidden.lines[2].get_ydata()[0] == 0.25
    assert by_hidden.get_xscale() == "log" and by_length.get_xscale() == "linear"
    assert by_length.get_legend() is not None
    plt.close(fig)


def test_one_panel_needs_only_its_own_axis_of_the_sweep_to_agree():
    """Lecture 4 compares a sweep without the hidden-size axis with Lecture 3's full sweep."""
    lengths_only = Sweep(SWEEP.experiment, SWEEP.lengths, SWEEP.hidden_size, hidden_sizes=(4,), length=3)
    fig, ax = plt.subplots()
    plotting.plot_sweep_by_length(ax, [sweep_result([0.9, 0.5], [0.3, 0.5, 0.7], "full"),
                                       sweep_result([1.0, 0.8], [0.8], "lengths only", lengths_only)])
    assert len(ax.lines) == 3
    with pytest.raises(ValueError, match="different experiments"):
        plotting.plot_sweep_by_hidden(ax, [sweep_result([0.9, 0.5], [0.3, 0.5, 0.7], "full"),
                                           sweep_result([1.0, 0.8], [0.8], "lengths only", lengths_only)])
    plt.close(fig)


def test_plot_sweep_refuses_results_that_are_not_comparable():
    other = Sweep(Experiment(vocab_size=8), SWEEP.lengths, SWEEP.hidden_size, SWEEP.hidden_sizes, SWEEP.length)
    with pytest.raises(ValueError, match="different experiments"):
        plotting.plot_sweep([sweep_result([0.9, 0.5], [0.3, 0.5, 0.7], "a"),
                             sweep_result([0.9, 0.5], [0.3, 0.5, 0.7], "b", other)])
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_sweep([])
    plt.close("all")


def test_loglog_fit_regimes_draws_one_fitted_line_per_regime_and_names_both_slopes():
    sizes = np.array([1, 2, 4, 8, 16, 32])
    values = np.where(sizes <= 4, 3.0 * sizes, 3.0 * 4 * (sizes / 4) ** 2)
    fig, ax = plt.subplots()
    below, above = plotting.loglog_fit_regimes(ax, sizes, values, "layer", boundary=4, boundary_label="d")
    assert below == pytest.approx(1.0) and above == pytest.approx(2.0)
    points, fit_below, fit_above = ax.lines
    assert points.get_label() == "layer (slope 1.00 below d, 2.00 above)"
    np.testing.assert_array_equal(fit_below.get_xdata(), [1, 4])
    np.testing.assert_allclose(fit_below.get_ydata(), [3, 12], rtol=1e-12)
    np.testing.assert_array_equal(fit_above.get_xdata(), [4, 32])
    np.testing.assert_allclose(fit_above.get_ydata(), [12, 768], rtol=1e-12)
    assert fit_below.get_color() == points.get_color() and ax.get_yscale() == "log"
    plotting.loglog_fit_regimes(ax, sizes, values, "other", boundary=6)  # between two sizes: both lines reach 6
    assert ax.lines[3].get_label() == "other (slope 1.00 below 6, 2.00 above)"
    assert ax.lines[4].get_xdata()[-1] == 6 and ax.lines[5].get_xdata()[0] == 6
    np.testing.assert_allclose(ax.lines[5].get_ydata(), [12 * (6 / 4) ** 2, 768], rtol=1e-12)
    plt.close(fig)


def test_slope_guides_draw_labelled_lines_of_the_given_slopes_outside_the_legend():
    fig, ax = plt.subplots()
    ax.loglog([1, 100], [1, 100], "o", label="data")
    lines = plotting.slope_guides(ax, 2, 20, 5.0)
    assert len(lines) == 2
    np.testing.assert_allclose(lines[0].get_ydata(), [5, 50])
    np.testing.assert_allclose(lines[1].get_ydata(), [5, 500])
    assert [t.get_text() for t in ax.texts] == [" slope 1", " slope 2"]
    _, labels = ax.get_legend_handles_labels()
    assert labels == ["data"]
    plt.close(fig)
