import math

import numpy as np
import pytest
import torch

from r2a import linear_recurrence as lin
from r2a.checks import max_abs_diff
from r2a.training import train


def qkv(seed=0, n=20, d_k=4, d_v=3):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d_k)) / 2, rng.normal(size=(n, d_k)) / 2, rng.normal(size=(n, d_v))


# -- linear attention ----------------------------------------------------------------------------

def test_elu_plus_one_is_x_plus_one_above_zero_and_exp_below():
    x = np.array([-2.0, -0.5, 0.0, 0.5, 3.0])
    np.testing.assert_allclose(lin.elu_plus_one(x), [math.exp(-2), math.exp(-0.5), 1.0, 1.5, 4.0], rtol=1e-15)
    assert np.all(lin.elu_plus_one(np.linspace(-50, 50, 101)) > 0)


@pytest.mark.parametrize("phi, normalise", [("elu+1", True), ("elu+1", False), ("relu", False), ("identity", False)])
@pytest.mark.parametrize("decay", [None, 0.9, "per step"])
def test_parallel_and_recurrent_forms_agree(phi, normalise, decay):
    Q, K, V = qkv()
    if decay == "per step":
        decay = np.random.default_rng(1).uniform(0.5, 1.0, len(Q))
    parallel = lin.linear_attention_parallel(Q, K, V, phi, normalise, decay)
    recurrent = lin.linear_attention_recurrent(Q, K, V, phi, normalise, decay)
    assert parallel.shape == (20, 3)
    assert max_abs_diff(parallel, recurrent) < 1e-12


def test_linear_attention_against_a_direct_sum_and_its_state():
    Q, K, V = qkv(n=6)
    phi = lin.elu_plus_one
    t = 4  # y_t = sum_(s <= t) phi(q_t).phi(k_s) v_s / sum_(s <= t) phi(q_t).phi(k_s)
    weights = np.array([phi(Q[t]) @ phi(K[s]) for s in range(t + 1)])
    direct = weights @ V[:t + 1] / weights.sum()
    np.testing.assert_allclose(lin.linear_attention_parallel(Q, K, V)[t], direct, rtol=1e-12)
    _, (S, z) = lin.linear_attention_recurrent(Q, K, V, return_state=True)
    np.testing.assert_allclose(S, phi(K).T @ V, rtol=1e-12)
    np.testing.assert_allclose(z, phi(K).sum(axis=0), rtol=1e-12)


def test_a_feature_map_can_be_any_callable_and_a_bad_name_is_rejected():
    Q, K, V = qkv()
    square = lambda x: np.asarray(x) ** 2  # noqa: E731
    assert max_abs_diff(lin.linear_attention_parallel(Q, K, V, square), lin.linear_attention_recurrent(Q, K, V, square)) < 1e-12
    with pytest.raises(ValueError, match="phi"):
        lin.linear_attention_parallel(Q, K, V, "softmax")


def test_decay_matrix():
    D = lin.decay_matrix([0.3, 0.5, 0.2, 1.0])
    expected = np.array([[1, 0, 0, 0], [0.5, 1, 0, 0], [0.1, 0.2, 1, 0], [0.1, 0.2, 1, 1]])
    np.testing.assert_allclose(D, expected, rtol=1e-14, atol=0)
    np.testing.assert_allclose(lin.decay_matrix(np.full(5, 0.9))[4], 0.9 ** np.arange(4, -1, -1), rtol=1e-14)
    for bad in ([0.5, 0.0], [1.5], [[0.5]]):
        with pytest.raises(ValueError):
            lin.decay_matrix(bad)


# -- the scan ------------------------------------------------------------------------------------

def test_combine_is_composition_and_associative():
    rng = np.random.default_rng(0)
    steps = [(rng.uniform(0.1, 1, 3), rng.normal(size=3)) for _ in range(3)]
    h = rng.normal(size=3)
    a, b = lin.combine(steps[0], steps[1])
    np.testing.assert_allclose(a * h + b, steps[1][0] * (steps[0][0] * h + steps[0][1]) + steps[1][1], rtol=1e-14)
    left = lin.combine(lin.combine(steps[0], steps[1]), steps[2])
    right = lin.combine(steps[0], lin.combine(steps[1], steps[2]))
    for x, y in zip(left, right):
        np.testing.assert_allclose(x, y, rtol=1e-14)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 8, 9, 100, 257])
def test_scan_equals_the_loop_in_ceil_log2_n_rounds(n):
    rng = np.random.default_rng(n)
    a, b, h0 = rng.uniform(0.5, 1, (n, 3)), rng.normal(size=(n, 3)), rng.normal(size=3)
    for start in (None, h0):
        states, rounds = lin.linear_recurrence_scan(a, b, start)
        assert max_abs_diff(states, lin.linear_recurrence_loop(a, b, start)) < 1e-12
    assert rounds == math.ceil(math.log2(n))


def test_scan_broadcasts_a_scalar_gate_over_matrix_states_and_takes_an_axis():
    rng = np.random.default_rng(0)
    gamma, writes = rng.uniform(0.5, 1, (30, 1, 1)), rng.normal(size=(30, 4, 5))
    states, _ = lin.linear_recurrence_scan(gamma, writes)
    assert states.shape == (30, 4, 5)
    assert max_abs_diff(states, lin.linear_recurrence_loop(gamma, writes)) < 1e-12
    batched, _ = lin.linear_recurrence_scan(np.moveaxis(gamma, 0, 1), np.moveaxis(writes, 0, 1), axis=1)
    assert max_abs_diff(np.moveaxis(batched, 1, 0), states) < 1e-12


def test_scan_runs_on_torch_tensors_with_autograd():
    torch.manual_seed(0)
    a = torch.rand(2, 13, 3, dtype=torch.float64, requires_grad=True)
    b = torch.randn(2, 13, 3, dtype=torch.float64, requires_grad=True)
    states, rounds = lin.linear_recurrence_scan(a, b, axis=1)
    assert isinstance(states, torch.Tensor) and rounds == 4
    loop = lin.linear_recurrence_loop(a.detach().numpy().swapaxes(0, 1), b.detach().numpy().swapaxes(0, 1))
    assert max_abs_diff(states.detach().numpy().swapaxes(0, 1), loop) < 1e-12
    states.sum().backward()
    assert a.grad is not None and torch.isfinite(b.grad).all()
    np.testing.assert_allclose(b.grad[:, -1].numpy(), 1.0)  # the last write reaches only the last state


# -- state-space layers --------------------------------------------------------------------------

def s4d(N=6):
    rng = np.random.default_rng(0)
    return -0.5 + 1j * np.pi * np.arange(N), np.ones(N, dtype=complex), rng.normal(size=N) + 1j * rng.normal(size=N)


@pytest.mark.parametrize("method", ["zoh", "bilinear"])
def test_ssm_recurrence_equals_its_convolution_direct_and_by_fft(method):
    A, B, C = s4d()
    u = np.random.default_rng(1).normal(size=300)
    A_bar, B_bar = lin.discretize(A, B, 0.05, method)
    y = lin.ssm_recurrent(A_bar, B_bar, C, u)
    K = lin.ssm_kernel(A_bar, B_bar, C, len(u))
    assert max_abs_diff(lin.causal_convolution(u, K), y) < 1e-12
    assert max_abs_diff(lin.causal_convolution(u, K, fft=True), y) < 1e-12
    assert np.all(np.abs(A_bar) < 1)


def test_discretisations_agree_for_a_small_step_and_zoh_is_exact_for_a_constant_input():
    A, B, _ = s4d()
    zoh, bilinear = lin.discretize(A, B, 1e-4, "zoh"), lin.discretize(A, B, 1e-4, "bilinear")
    for x, y in zip(zoh, bilinear):
        np.testing.assert_allclose(x, y, rtol=1e-6)
    # h' = a h + b with u = 1 from h = 0: h(delta) = (exp(a delta) - 1) / a * b
    a, b, delta = np.array([-2.0]), np.array([3.0]), 0.3
    A_bar, B_bar = lin.discretize(a, b, delta)
    np.testing.assert_allclose(B_bar, (np.exp(-0.6) - 1) / -2.0 * 3.0, rtol=1e-14)
    with pytest.raises(ValueError):
        lin.discretize(a, b, delta, "euler")


def test_causal_convolution_by_hand():
    np.testing.assert_allclose(lin.causal_convolution([1, 2, 3], [1, 10, 100]), [1, 12, 123])
    np.testing.assert_allclose(lin.causal_convolution([1, 2, 3], [1, 10, 100], fft=True), [1, 12, 123], atol=1e-12)


def test_time_invariant_ssm_is_a_convolution_and_selective_is_not():
    rng = np.random.default_rng(0)
    fixed = lin.SelectiveSSM.random(rng, channels=3, state_size=4, selective=False)
    selective = lin.SelectiveSSM(**{**vars(fixed), "selective": True})
    u1, u2 = rng.normal(size=(25, 3)), rng.normal(size=(25, 3))
    M = fixed.coefficients(u1)
    for t in range(25):
        for s in range(t + 1):
            assert np.abs(M[t, s] - M[t - s, 0]).max() < 1e-12
    assert np.abs(M - fixed.coefficients(u2)).max() < 1e-12
    assert max_abs_diff(fixed(2 * u1), 2 * fixed(u1)) < 1e-12
    M1 = selective.coefficients(u1)
    assert np.abs(M1 - selective.coefficients(u2)).max() > 1e-3
    assert max_abs_diff(selective(2 * u1), 2 * selective(u1)) > 1e-3


@pytest.mark.parametrize("selective", [True, False])
def test_ssm_coefficients_reproduce_the_outputs_and_the_scan_the_loop(selective):
    rng = np.random.default_rng(2)
    layer = lin.SelectiveSSM.random(rng, channels=2, state_size=5, selective=selective)
    u = rng.normal(size=(30, 2))
    delta, _, _ = layer._parts(u)
    y = layer(u)
    assert y.shape == (30, 2)
    assert max_abs_diff(np.einsum("tsc,sc->tc", layer.coefficients(u), delta * u), y) < 1e-12
    assert max_abs_diff(layer(u, method="scan"), y) < 1e-12
    with pytest.raises(ValueError):
        layer(u, method="fft")


# -- decoding ------------------------------------------------------------------------------------

def test_kv_cache_decoding_equals_full_causal_attention_and_grows():
    Q, K, V = qkv(n=15, d_k=4, d_v=4)
    cache = lin.KVCache(4, 4)
    outputs, sizes = [], []
    for q, k, v in zip(Q, K, V):
        outputs.append(cache.step(q, k, v))
        sizes.append(cache.nbytes)
    assert max_abs_diff(np.array(outputs), lin.causal_softmax_attention(Q, K, V)) < 1e-12
    assert sizes == [2 * n * 4 * 8 for n in range(1, 16)]


def test_causal_softmax_attention_first_row_and_rows_sum():
    Q, K, V = qkv(n=5, d_k=3, d_v=3)
    Y = lin.causal_softmax_attention(Q, K, np.eye(5))  # with V = I, row t holds the weights
    np.testing.assert_allclose(Y.sum(axis=1), 1.0, rtol=1e-14)
    assert np.all(np.triu(Y, 1) == 0) and Y[0, 0] == 1.0


def test_linear_attention_state_decodes_the_parallel_form_with_a_constant_size():
    Q, K, V = qkv(n=12, d_k=4, d_v=3)
    state = lin.LinearAttentionState(4, 3)
    outputs = [state.step(q, k, v) for q, k, v in zip(Q, K, V)]
    assert max_abs_diff(np.array(outputs), lin.linear_attention_parallel(Q, K, V)) < 1e-12
    assert state.nbytes == (4 * 3 + 4) * 8


# -- associative recall --------------------------------------------------------------------------

def test_mqar_asks_every_key_once_and_the_answers_are_the_paired_values():
    keys, values, answers = lin.mqar(np.random.default_rng(0), 50, 5, n_keys=8, n_values=6)
    assert keys.shape == values.shape == (50, 10) and answers.shape == (50, 5)
    assert np.all(values[:, 5:] == 6) and values[:, :5].max() < 6
    for k, v, a in zip(keys, values, answers):
        assert len(set(k[:5])) == 5 and sorted(k[:5]) == sorted(k[5:])
        pairs = dict(zip(k[:5], v[:5]))
        assert [pairs[q] for q in k[5:]] == list(a)
    with pytest.raises(ValueError, match="distinct"):
        lin.mqar(np.random.default_rng(0), 1, 9, n_keys=8)


@pytest.mark.parametrize("mixer", lin.RecallModel.MIXERS)
def test_recall_models_are_causal_and_report_their_state(mixer):
    torch.manual_seed(0)
    model = lin.RecallModel(mixer, n_keys=10, n_values=5, d_model=8, d_k=4, d_v=6)
    (keys, values), targets = lin.as_tensors(*lin.mqar(np.random.default_rng(0), 3, 4, n_keys=10, n_values=5))
    logits = model(keys, values)
    assert logits.shape == (3, 8, 5)
    changed = values.clone()
    changed[:, 5] = 0
    with torch.no_grad():  # changing position 5 leaves positions 0..4 alone
        assert torch.equal(model(keys, values)[:, :5], model(keys, changed)[:, :5])
    expected = {"softmax": 10 * (4 + 6), "linear": 4 * 6 + 4, "gated": 4 * 6, "lstm": 4 * 6}
    assert model.state_floats(10) == expected[mixer]
    assert 0.0 <= lin.recall_accuracy(model, (keys, values), targets) <= 1.0
    assert lin.recall_loss(model, (keys, values), targets).shape == ()


def test_gated_mixer_parallel_form_is_its_scanned_recurrence():
    torch.manual_seed(0)
    model = lin.RecallModel("gated", d_model=8, d_k=4, d_v=6).double()
    x = torch.randn(2, 17, 8, dtype=torch.float64)
    with torch.no_grad():
        assert max_abs_diff(model.mixer(x), model.mixer.recurrent(x)) < 1e-12


def test_recall_model_rejects_bad_options():
    with pytest.raises(ValueError, match="mixer"):
        lin.RecallModel("transformer")
    with pytest.raises(ValueError, match="even"):
        lin.RecallModel("lstm", d_k=3, d_v=5)


def test_attention_learns_a_small_recall_task():
    torch.manual_seed(0)
    model = lin.RecallModel("softmax", n_keys=8, n_values=4, d_model=16, d_k=8, d_v=8)
    rng = np.random.default_rng(0)
    train(model, lambda step: lin.as_tensors(*lin.mqar(rng, 32, 3, n_keys=8, n_values=4)), lin.recall_loss, 80,
          lr=1e-2)
    inputs, targets = lin.as_tensors(*lin.mqar(np.random.default_rng(1), 200, 3, n_keys=8, n_values=4))
    assert lin.recall_accuracy(model, inputs, targets) > 0.9
