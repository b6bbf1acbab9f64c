import numpy as np
import pytest
import torch

from r2a import data
from r2a.recurrent import (SequenceClassifier, classification_loss, input_gradient_norms,
                           jacobian_norms_by_distance, rnn_states, state_jacobian)
from r2a.training import accuracy, train


def small_rnn(seed=0, d_in=3, d_h=4, T=6, scale=0.8):
    rng = np.random.default_rng(seed)
    W_h = rng.normal(0, scale, size=(d_h, d_h))
    W_x = rng.normal(0, 0.7, size=(d_h, d_in))
    b = rng.normal(0, 0.2, size=d_h)
    X = rng.normal(size=(T, d_in))
    h0 = rng.normal(0, 0.3, size=d_h)
    return W_h, W_x, b, X, h0


def torch_final_state(W_h, W_x, b, X, h_start, k, nonlinearity="tanh"):
    """h_T as a torch function of h_k: the reference for the Jacobian, written independently."""
    W_h, W_x, b, X = (torch.from_numpy(a) for a in (W_h, W_x, b, X))
    h = h_start
    for x_t in X[k:]:
        a = W_h @ h + W_x @ x_t + b
        h = torch.tanh(a) if nonlinearity == "tanh" else a
    return h


# --- rnn_states -----------------------------------------------------------------------------

def test_rnn_states_match_torch_rnn():
    W_h, W_x, b, X, h0 = small_rnn()
    rnn = torch.nn.RNN(3, 4, dtype=torch.float64)
    with torch.no_grad():
        rnn.weight_hh_l0.copy_(torch.from_numpy(W_h))
        rnn.weight_ih_l0.copy_(torch.from_numpy(W_x))
        rnn.bias_ih_l0.copy_(torch.from_numpy(b))
        rnn.bias_hh_l0.zero_()
        out, _ = rnn(torch.from_numpy(X), torch.from_numpy(h0)[None])
    H = rnn_states(X, W_h, W_x, b, h0)
    assert H.shape == (7, 4)
    np.testing.assert_array_equal(H[0], h0)
    np.testing.assert_allclose(H[1:], out.numpy(), atol=1e-12)


def test_linear_rnn_states_are_a_sum_of_matrix_powers():
    W_h, W_x, b, X, _ = small_rnn()
    H = rnn_states(X, W_h, W_x, b, nonlinearity="linear")
    # h_T = sum_t W_h^(T-t) (W_x x_t + b) when h_0 = 0
    expected = sum(np.linalg.matrix_power(W_h, 6 - t) @ (W_x @ X[t - 1] + b) for t in range(1, 7))
    np.testing.assert_allclose(H[-1], expected, atol=1e-12)
    np.testing.assert_array_equal(H[0], np.zeros(4))


def test_unknown_nonlinearity_is_rejected():
    W_h, W_x, b, X, _ = small_rnn()
    with pytest.raises(ValueError, match="nonlinearity"):
        rnn_states(X, W_h, W_x, b, nonlinearity="relu")
    with pytest.raises(ValueError, match="nonlinearity"):
        state_jacobian(W_h, rnn_states(X, W_h, W_x, b), 0, nonlinearity="relu")


# --- state_jacobian ---------------------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity", ["tanh", "linear"])
@pytest.mark.parametrize("k", [0, 2, 5])
def test_state_jacobian_matches_autograd(nonlinearity, k):
    W_h, W_x, b, X, h0 = small_rnn()
    H = rnn_states(X, W_h, W_x, b, h0, nonlinearity=nonlinearity)
    ours = state_jacobian(W_h, H, k, nonlinearity=nonlinearity)
    reference = torch.autograd.functional.jacobian(
        lambda h: torch_final_state(W_h, W_x, b, X, h, k, nonlinearity), torch.from_numpy(H[k]))
    np.testing.assert_allclose(ours, reference.numpy(), atol=1e-12)


def test_state_jacobian_matches_finite_differences_at_an_intermediate_time():
    W_h, W_x, b, X, h0 = small_rnn(seed=3)
    H = rnn_states(X, W_h, W_x, b, h0)
    k, t, eps = 1, 4, 1e-6
    numeric = np.empty((4, 4))
    for j in range(4):
        bump = np.zeros(4)
        bump[j] = eps
        plus = rnn_states(X[k:t], W_h, W_x, b, H[k] + bump)[-1]
        minus = rnn_states(X[k:t], W_h, W_x, b, H[k] - bump)[-1]
        numeric[:, j] = (plus - minus) / (2 * eps)
    np.testing.assert_allclose(state_jacobian(W_h, H, k, t), numeric, atol=1e-8)


def test_state_jacobian_of_a_linear_rnn_is_a_matrix_power():
    W_h, W_x, b, X, _ = small_rnn()
    H = rnn_states(X, W_h, W_x, b, nonlinearity="linear")
    np.testing.assert_allclose(state_jacobian(W_h, H, 1, nonlinearity="linear"),
                               np.linalg.matrix_power(W_h, 5), atol=1e-12)


def test_state_jacobian_chain_rule_and_identity():
    W_h, W_x, b, X, h0 = small_rnn()
    H = rnn_states(X, W_h, W_x, b, h0)
    np.testing.assert_array_equal(state_jacobian(W_h, H, 3, 3), np.eye(4))
    np.testing.assert_allclose(state_jacobian(W_h, H, 1, 5),
                               state_jacobian(W_h, H, 3, 5) @ state_jacobian(W_h, H, 1, 3), atol=1e-12)


@pytest.mark.parametrize("k, t", [(-1, None), (4, 3), (0, 7)])
def test_state_jacobian_rejects_bad_indices(k, t):
    W_h, W_x, b, X, _ = small_rnn()
    with pytest.raises(ValueError, match="need 0 <= k <= t <= T"):
        state_jacobian(W_h, rnn_states(X, W_h, W_x, b), k, t)


# --- jacobian_norms_by_distance ---------------------------------------------------------------

@pytest.mark.parametrize("nonlinearity", ["tanh", "linear"])
def test_norms_by_distance_agree_with_one_jacobian_at_a_time(nonlinearity):
    W_h, W_x, b, X, h0 = small_rnn(scale=1.2)
    H = rnn_states(X, W_h, W_x, b, h0, nonlinearity=nonlinearity)
    norms = jacobian_norms_by_distance(W_h, H, nonlinearity=nonlinearity)
    expected = [np.linalg.svd(state_jacobian(W_h, H, 6 - s, nonlinearity=nonlinearity), compute_uv=False)[0]
                for s in range(7)]
    np.testing.assert_allclose(norms, expected, rtol=1e-12)
    assert norms[0] == 1.0


def test_norms_by_distance_of_a_scaled_rotation_are_powers_of_the_scale():
    rng = np.random.default_rng(1)
    Q = np.linalg.qr(rng.normal(size=(5, 5)))[0]
    X = rng.normal(size=(20, 2))
    W_x = rng.normal(size=(5, 2))
    H = rnn_states(X, 1.3 * Q, W_x, np.zeros(5), nonlinearity="linear")
    np.testing.assert_allclose(jacobian_norms_by_distance(1.3 * Q, H, nonlinearity="linear"),
                               1.3 ** np.arange(21), rtol=1e-10)
    frobenius = jacobian_norms_by_distance(1.3 * Q, H, nonlinearity="linear", ord="fro")
    np.testing.assert_allclose(frobenius, np.sqrt(5) * 1.3 ** np.arange(21), rtol=1e-10)


# --- input_gradient_norms ---------------------------------------------------------------------

def test_input_gradient_norms_of_a_linear_map_are_frobenius_norms_of_its_blocks():
    torch.manual_seed(0)
    A = torch.randn(5, 3, 4, dtype=torch.float64)  # y = sum_t A_t x_t, A_t of shape (3, 4)
    x = torch.randn(5, 4, dtype=torch.float64)
    norms = input_gradient_norms(lambda z: torch.einsum("tod,td->o", A, z), x)
    np.testing.assert_allclose(norms, torch.linalg.matrix_norm(A).numpy(), rtol=1e-12)


def test_input_gradient_norms_match_the_full_autograd_jacobian():
    torch.manual_seed(1)
    rnn = torch.nn.RNN(3, 6, batch_first=True, dtype=torch.float64)
    readout = torch.nn.Linear(6, 2, dtype=torch.float64)

    def model(z):
        return readout(rnn(z)[0][..., -1, :])

    x = torch.randn(4, 7, 3, dtype=torch.float64)
    norms = input_gradient_norms(model, x)
    assert norms.shape == (4, 7)
    for i in range(4):
        jac = torch.autograd.functional.jacobian(model, x[i])  # (2, 7, 3)
        np.testing.assert_allclose(norms[i], jac.pow(2).sum(dim=(0, 2)).sqrt().numpy(), rtol=1e-10)
    np.testing.assert_allclose(input_gradient_norms(model, x[2]), norms[2], rtol=1e-12)


def test_input_gradient_norms_leave_inputs_and_parameters_alone():
    layer = torch.nn.Linear(3, 1)
    x = torch.ones(2, 4, 3)
    norms = input_gradient_norms(lambda z: layer(z).sum(dim=(1, 2)), x)
    np.testing.assert_allclose(norms, np.full((2, 4), float(layer.weight.detach().norm())), rtol=1e-6)
    assert layer.weight.grad is None and not x.requires_grad


def test_input_gradient_norms_reject_other_shapes():
    with pytest.raises(ValueError, match="shape"):
        input_gradient_norms(lambda z: z.sum(), torch.zeros(3))


# --- SequenceClassifier and classification_loss -------------------------------------------------

@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_classifier_shapes_and_unbatched_input(cell):
    torch.manual_seed(0)
    model = SequenceClassifier(vocab_size=9, n_classes=8, hidden_size=12, cell=cell, embedding_dim=5)
    tokens = torch.randint(0, 9, (3, 10))
    logits = model(tokens)
    assert logits.shape == (3, 8)
    single = model.classify_embedded(model.embedding(tokens[1]))
    torch.testing.assert_close(single, logits[1], rtol=1e-5, atol=1e-6)


def test_rnn_classifier_reads_the_final_state_of_the_numpy_rnn():
    torch.manual_seed(2)
    model = SequenceClassifier(vocab_size=6, n_classes=3, hidden_size=5, cell="rnn", embedding_dim=4).double()
    tokens = torch.tensor([[1, 4, 0, 5, 2, 2, 3]])
    p = {name: value.detach().numpy() for name, value in model.named_parameters()}
    H = rnn_states(p["embedding.weight"][tokens[0].numpy()], p["recurrent.weight_hh_l0"],
                   p["recurrent.weight_ih_l0"], p["recurrent.bias_ih_l0"] + p["recurrent.bias_hh_l0"])
    expected = p["readout.weight"] @ H[-1] + p["readout.bias"]
    np.testing.assert_allclose(model(tokens)[0].detach().numpy(), expected, atol=1e-12)


def test_forget_bias_sets_the_total_forget_gate_bias_only():
    model = SequenceClassifier(9, 8, hidden_size=4, cell="lstm", forget_bias=2.5)
    total = (model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0).detach()
    torch.testing.assert_close(total[4:8], torch.full((4,), 2.5))
    assert not torch.allclose(total[:4], torch.full((4,), 2.5)), "other gates keep their initialisation"
    with pytest.raises(ValueError, match="LSTM"):
        SequenceClassifier(9, 8, cell="rnn", forget_bias=1.0)
    with pytest.raises(ValueError, match="cell"):
        SequenceClassifier(9, 8, cell="gru")


@pytest.mark.parametrize("cell, blocks", [("rnn", 1), ("lstm", 4)])
def test_orthogonal_starts_every_recurrent_block_with_all_singular_values_one(cell, blocks):
    torch.manual_seed(0)
    model = SequenceClassifier(9, 8, hidden_size=6, cell=cell, orthogonal=True)
    W_h = model.recurrent.weight_hh_l0.detach().double()
    assert W_h.shape == (blocks * 6, 6)
    for block in W_h.split(6):
        torch.testing.assert_close(torch.linalg.svdvals(block), torch.ones(6, dtype=torch.float64), atol=1e-6, rtol=0)
    torch.manual_seed(0)
    default = SequenceClassifier(9, 8, hidden_size=6, cell=cell)
    spread = torch.linalg.svdvals(default.recurrent.weight_hh_l0.detach()[:6])
    assert float(spread.max() - spread.min()) > 0.5, "without the option, torch's default W_h is kept"
    for name in ("weight_ih_l0", "bias_ih_l0", "bias_hh_l0"):  # only W_h changes; the seed still gives the rest
        torch.testing.assert_close(getattr(model.recurrent, name), getattr(default.recurrent, name))


def test_orthogonal_and_forget_bias_combine():
    model = SequenceClassifier(9, 8, hidden_size=4, cell="lstm", forget_bias=3.0, orthogonal=True)
    total = (model.recurrent.bias_ih_l0 + model.recurrent.bias_hh_l0).detach()
    torch.testing.assert_close(total[4:8], torch.full((4,), 3.0))
    torch.testing.assert_close(torch.linalg.svdvals(model.recurrent.weight_hh_l0.detach()[4:8].double()),
                               torch.ones(4, dtype=torch.float64), atol=1e-6, rtol=0)


def test_classification_loss_is_the_mean_negative_log_probability_of_the_target():
    torch.manual_seed(0)
    model = SequenceClassifier(5, 4, hidden_size=6)
    tokens, targets = torch.randint(0, 5, (6, 3)), torch.tensor([0, 1, 2, 3, 0, 1])
    log_p = torch.log_softmax(model(tokens), dim=-1)
    expected = -log_p[torch.arange(6), targets].mean()
    torch.testing.assert_close(classification_loss(model, tokens, targets), expected)


@pytest.mark.parametrize("cell", ["rnn", "lstm"])
def test_both_cells_learn_a_short_recall_task(cell):
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    model = SequenceClassifier(vocab_size=5, n_classes=4, hidden_size=16, cell=cell)

    def make_batch(step):
        x, y = data.recall_task(rng, 32, gap=2, vocab_size=4)
        return torch.from_numpy(x), torch.from_numpy(y)

    history = train(model, make_batch, classification_loss, steps=150, lr=2e-2)
    x, y = data.recall_task(np.random.default_rng(1), 500, gap=2, vocab_size=4)
    with torch.no_grad():
        assert accuracy(model(torch.from_numpy(x)), torch.from_numpy(y)) > 0.95
    assert history["loss"][-1] < 0.5 * history["loss"][0]
