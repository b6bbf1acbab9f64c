import numpy as np
import pytest
import torch

from r2a.seq2seq import Seq2Seq, teacher_forcing_loss

V, D, B, N = 6, 5, 3, 4


def tokens(batch=B, length=N, seed=0):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, V, size=(batch, length)))


def model(seed=0, **options):
    torch.manual_seed(seed)
    return Seq2Seq(V, D, embed_size=3, **options)


ALL_VARIANTS = [dict(), dict(context="mean"), dict(attention="dot"), dict(attention="additive")]


@pytest.mark.parametrize("options", ALL_VARIANTS, ids=lambda o: str(o) or "plain")
def test_shapes(options):
    m, x, y = model(**options), tokens(), tokens(seed=1, length=N + 2)
    states, context = m.encode(x)
    assert states.shape == (B, N, D) and context.shape == (B, D)
    logits, weights = m(x, y, return_attention=True)
    assert logits.shape == (B, N + 2, V)
    generated, gen_weights = m.generate(x, return_attention=True)
    assert generated.shape == (B, N) and generated.dtype == torch.long
    assert generated.min() >= 0 and generated.max() < V, "the start token is never an output"
    assert m.generate(x, length=7).shape == (B, 7)
    if options.get("attention") is None:
        assert weights is None and gen_weights is None
    else:
        assert weights.shape == (B, N + 2, N) and gen_weights.shape == (B, N, N)


def test_the_context_is_the_final_state_or_the_mean_of_the_states():
    x = tokens()
    states, last = model().encode(x)
    np.testing.assert_allclose(last.detach(), states[:, -1].detach(), atol=1e-6)
    states, mean = model(context="mean").encode(x)
    np.testing.assert_allclose(mean.detach(), states.mean(dim=1).detach(), atol=1e-6)


def test_the_context_has_the_same_size_for_every_input_length():
    m = model()
    assert {m.encode(tokens(length=n))[1].shape for n in (1, 5, 50)} == {(B, D)}


@pytest.mark.parametrize("attention", ["dot", "additive"])
def test_attention_weights_are_a_distribution_over_input_positions(attention):
    m = model(attention=attention)
    with torch.no_grad():
        _, weights = m(tokens(), tokens(seed=1), return_attention=True)
    assert torch.all(weights >= 0)
    np.testing.assert_allclose(weights.sum(dim=-1), np.ones((B, N)), atol=1e-6)


def test_dot_attention_matches_a_hand_computation():
    rng = np.random.default_rng(3)
    state, states = rng.normal(size=(2, D)), rng.normal(size=(2, N, D))
    scores = np.einsum("bd,bnd->bn", state, states)
    expected_weights = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    expected_output = np.einsum("bn,bnd->bd", expected_weights, states)
    output, weights = model(attention="dot").attend(torch.tensor(state), torch.tensor(states))
    np.testing.assert_allclose(weights.numpy(), expected_weights, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(output.numpy(), expected_output, rtol=1e-12, atol=1e-14)


def test_additive_attention_matches_a_hand_computation():
    m = model(attention="additive")
    rng = np.random.default_rng(4)
    state, states = rng.normal(size=(2, D)), rng.normal(size=(2, N, D))
    W_s, W_h = m.score_state.weight.detach().double().numpy(), m.score_encoder.weight.detach().double().numpy()
    v = m.score_vector.weight.detach().double().numpy()[0]
    scores = np.tanh((state @ W_s.T)[:, None, :] + states @ W_h.T) @ v  # v . tanh(W_s s + W_h h_i)
    expected = np.exp(scores) / np.exp(scores).sum(axis=1, keepdims=True)
    with torch.no_grad():
        output, weights = m.double().attend(torch.tensor(state), torch.tensor(states))
    np.testing.assert_allclose(weights.numpy(), expected, rtol=1e-10)
    np.testing.assert_allclose(output.numpy(), np.einsum("bn,bnd->bd", expected, states), rtol=1e-10)


def test_teacher_forcing_in_one_call_equals_the_step_by_step_decoder():
    """Without attention the decoder runs as one GRU call; it must equal the per-step loop."""
    m, x, y = model(), tokens(), tokens(seed=1)
    with torch.no_grad():
        states, context = m.encode(x)
        previous = torch.cat([torch.full_like(y[:, :1], m.start_token), y[:, :-1]], dim=1)
        stepwise, _ = m._decode(states, context, N, previous)
        np.testing.assert_allclose(m(x, y), stepwise, atol=1e-6)


@pytest.mark.parametrize("options", ALL_VARIANTS, ids=lambda o: str(o) or "plain")
def test_greedy_output_is_the_arg_max_of_teacher_forcing_on_itself(options):
    m, x = model(**options), tokens()
    generated = m.generate(x)
    with torch.no_grad():
        np.testing.assert_array_equal(m(x, generated).argmax(-1), generated)


def test_without_attention_the_decoder_sees_the_input_only_through_the_context():
    m, x = model(), tokens()
    states, context = m.encode(x)
    scrambled = torch.randn_like(states)  # other encoder states, same context
    with torch.no_grad():
        same, _ = m._decode(states, context, N, None)
        also, _ = m._decode(scrambled, context, N, None)
    np.testing.assert_array_equal(same, also)


def test_shared_weights_start_identical_with_and_without_attention():
    plain, attended = model(seed=7).state_dict(), model(seed=7, attention="additive").state_dict()
    assert set(plain) < set(attended)
    for name, value in plain.items():
        assert torch.equal(value, attended[name]), name


def test_teacher_forcing_loss_is_the_mean_negative_log_probability_of_every_target_token():
    m, x, y = model(), tokens(), tokens(seed=1, length=N + 1)
    with torch.no_grad():
        log_p = torch.log_softmax(m(x, y), dim=-1)                    # (B, m, V)
        expected = -log_p.gather(-1, y[..., None]).mean()
        torch.testing.assert_close(teacher_forcing_loss(m, x, y), expected)


@pytest.mark.parametrize("call, message", [
    (lambda: Seq2Seq(V, D, context="first"), "context must be one of"),
    (lambda: Seq2Seq(V, D, attention="cosine"), "attention must be one of"),
    (lambda: Seq2Seq(0, D), "vocab_size must be a positive integer"),
    (lambda: Seq2Seq(V, 2.5), "hidden_size must be a positive integer"),
    (lambda: model().encode(tokens().float()), "2-D tensor of token ids"),
    (lambda: model().encode(tokens()[0]), "2-D tensor of token ids"),
    (lambda: model().encode(tokens() + V), r"outside \[0, 6\)"),
    (lambda: model()(tokens(), tokens(batch=B + 1)), "different numbers of sequences"),
    (lambda: model().generate(tokens(), length=0), "length must be a positive integer"),
    (lambda: model().attend(torch.zeros(B, D), torch.zeros(B, N, D)), "attention=None"),
])
def test_bad_arguments_raise_clear_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()
