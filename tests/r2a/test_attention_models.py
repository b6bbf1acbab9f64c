import math

import numpy as np
import pytest
import torch

from r2a import data
from r2a.attention_models import (SelfAttentionBlock, SelfAttentionClassifier, SelfAttentionEncoder,
                                  SelfAttentionTagger, tagging_loss)
from r2a.recurrent import classification_loss, input_gradient_norms
from r2a.training import accuracy, train


def tokens(seed=0, batch=3, length=7, vocab=9):
    return torch.from_numpy(np.random.default_rng(seed).integers(0, vocab, size=(batch, length)))


def manual_block(block, x, causal=False):
    """The block written out with plain tensor operations, independently of nn.MultiheadAttention."""
    attention = block.attention
    d_model, heads = attention.embed_dim, attention.num_heads
    d_head = d_model // heads
    normed = torch.nn.functional.layer_norm(x, (d_model,), block.norm_attention.weight, block.norm_attention.bias)
    W_q, W_k, W_v = attention.in_proj_weight.chunk(3)
    b_q, b_k, b_v = attention.in_proj_bias.chunk(3)
    B, n, _ = x.shape
    split = lambda m: m.reshape(B, n, heads, d_head).transpose(1, 2)  # (B, heads, n, d_head)
    Q, K, V = split(normed @ W_q.T + b_q), split(normed @ W_k.T + b_k), split(normed @ W_v.T + b_v)
    scores = Q @ K.transpose(-1, -2) / math.sqrt(d_head)
    if causal:
        allowed = torch.ones(n, n, dtype=torch.bool).tril()
        scores = scores.masked_fill(~allowed, float("-inf"))
    weights = torch.softmax(scores, dim=-1)
    mixed = (weights @ V).transpose(1, 2).reshape(B, n, d_model)
    x = x + mixed @ attention.out_proj.weight.T + attention.out_proj.bias
    ff_in = torch.nn.functional.layer_norm(x, (d_model,), block.norm_feedforward.weight, block.norm_feedforward.bias)
    return x + block.feedforward[2](torch.relu(block.feedforward[0](ff_in))), weights


# --- the computation itself -----------------------------------------------------------------

@pytest.mark.parametrize("causal", [False, True])
def test_encoder_matches_a_manual_forward_pass(causal):
    torch.manual_seed(0)
    encoder = SelfAttentionEncoder(9, d_model=8, num_heads=2, num_layers=2, max_len=10, causal=causal).double()
    x_tokens = tokens()
    with torch.no_grad():
        states, maps = encoder(x_tokens, return_attention=True)
        x = encoder.embedding(x_tokens) + encoder.position_embedding.weight[:7]
        manual_maps = []
        for block in encoder.blocks:
            x, weights = manual_block(block, x, causal)
            manual_maps.append(weights)
        expected = torch.nn.functional.layer_norm(x, (8,), encoder.final_norm.weight, encoder.final_norm.bias)
    np.testing.assert_allclose(states.numpy(), expected.numpy(), atol=1e-12)
    np.testing.assert_allclose(maps.numpy(), torch.stack(manual_maps).numpy(), atol=1e-12)


def test_shapes_and_attention_rows_are_distributions():
    torch.manual_seed(1)
    x_tokens = tokens(batch=4, length=6)
    classifier = SelfAttentionClassifier(9, 5, d_model=12, num_heads=3, num_layers=2, max_len=6)
    tagger = SelfAttentionTagger(9, 5, d_model=12, num_heads=3, num_layers=1, max_len=6)
    logits, maps = classifier(x_tokens, return_attention=True)
    assert logits.shape == (4, 5) and maps.shape == (2, 4, 3, 6, 6)
    np.testing.assert_allclose(maps.sum(-1).detach().numpy(), 1.0, atol=1e-6)
    assert tagger(x_tokens).shape == (4, 6, 5)
    assert classifier(x_tokens).shape == (4, 5)  # without return_attention: the logits alone


def test_classifier_reads_the_last_position_and_tagger_every_position():
    torch.manual_seed(2)
    tagger = SelfAttentionTagger(9, 4, d_model=8, num_heads=2, max_len=7)
    classifier = SelfAttentionClassifier(9, 4, d_model=8, num_heads=2, max_len=7)
    classifier.load_state_dict(tagger.state_dict())
    x_tokens = tokens()
    with torch.no_grad():
        np.testing.assert_allclose(classifier(x_tokens).numpy(), tagger(x_tokens)[:, -1].numpy(), atol=1e-6)


def test_causal_model_ignores_later_tokens():
    torch.manual_seed(3)
    tagger = SelfAttentionTagger(9, 4, d_model=8, num_heads=2, num_layers=2, max_len=7, causal=True)
    a = tokens()
    b = a.clone()
    b[:, -1] = (b[:, -1] + 1) % 9
    with torch.no_grad():
        out_a, maps = tagger(a, return_attention=True)
        out_b = tagger(b)
    np.testing.assert_allclose(out_a[:, :-1].numpy(), out_b[:, :-1].numpy(), atol=1e-6)
    assert not np.allclose(out_a[:, -1].numpy(), out_b[:, -1].numpy())
    above_diagonal = torch.ones(7, 7, dtype=torch.bool).triu(1)
    assert torch.all(maps[..., above_diagonal] == 0)


def torch_layer_like(block, norm_first):
    """torch.nn.TransformerEncoderLayer holding ``block``'s weights (float64, no dropout, ReLU)."""
    attention, d_model = block.attention, block.attention.embed_dim
    layer = torch.nn.TransformerEncoderLayer(d_model, attention.num_heads,
                                             dim_feedforward=block.feedforward[0].out_features, dropout=0.0,
                                             activation="relu", batch_first=True, norm_first=norm_first,
                                             dtype=torch.float64)
    with torch.no_grad():
        for ours, theirs in ((attention, layer.self_attn), (block.feedforward[0], layer.linear1),
                             (block.feedforward[2], layer.linear2), (block.norm_attention, layer.norm1),
                             (block.norm_feedforward, layer.norm2)):
            theirs.load_state_dict(ours.state_dict())
    return layer.eval()


@pytest.mark.parametrize("norm", ["pre", "post"])
def test_pre_and_post_norm_blocks_match_torch_encoder_layer(norm):
    torch.manual_seed(8)
    block = SelfAttentionBlock(8, 2, ff_mult=4, norm=norm).double()
    with torch.no_grad():
        for parameter in block.parameters():  # LayerNorms away from (1, 0), so their placement matters
            parameter.add_(0.1 * torch.randn_like(parameter))
        x = torch.randn(3, 5, 8, dtype=torch.float64)
        ours, _ = block(x)
        reference = torch_layer_like(block, norm_first=norm == "pre")(x)
    np.testing.assert_allclose(ours.numpy(), reference.numpy(), atol=1e-12)


def test_blocks_without_layernorm_or_residuals_compute_what_they_say():
    torch.manual_seed(9)
    x = torch.randn(2, 6, 8, dtype=torch.float64)
    plain = SelfAttentionBlock(8, 2, norm=None).double()
    assert not any(isinstance(m, torch.nn.LayerNorm) for m in plain.modules())

    def attend(block, h):
        return block.attention(h, h, h, need_weights=False)[0]

    with torch.no_grad():
        h = x + attend(plain, x)
        np.testing.assert_allclose(plain(x)[0].numpy(), (h + plain.feedforward(h)).numpy(), atol=1e-12)
        for norm in ("pre", "post"):
            torch.manual_seed(9)
            block = SelfAttentionBlock(8, 2, norm=norm, residual=False).double()
            n1, n2 = block.norm_attention, block.norm_feedforward
            if norm == "pre":
                h = attend(block, n1(x))
                expected = block.feedforward(n2(h))
            else:
                h = n1(attend(block, x))
                expected = n2(block.feedforward(h))
            np.testing.assert_allclose(block(x)[0].numpy(), expected.numpy(), atol=1e-12)


def test_ablations_start_from_the_same_weights_and_keep_the_default():
    options = [dict(), dict(norm="post"), dict(norm=None), dict(residual=False)]
    models = []
    for option in options:
        torch.manual_seed(10)
        models.append(SelfAttentionTagger(9, 4, d_model=8, num_heads=2, num_layers=2, max_len=7, **option))
    shared = {k: v for k, v in models[0].state_dict().items() if "norm" not in k}
    for model in models[1:]:
        weights = {k: v for k, v in model.state_dict().items() if "norm" not in k}
        assert weights.keys() == shared.keys() and all(torch.equal(weights[k], shared[k]) for k in weights)
    default, post, plain = (m.encoder for m in models[:3])
    assert isinstance(default.final_norm, torch.nn.LayerNorm) and default.blocks[0].norm == "pre"
    assert isinstance(post.final_norm, torch.nn.Identity) and isinstance(plain.final_norm, torch.nn.Identity)
    x_tokens = tokens()
    with torch.no_grad():  # the variants compute different functions of the same weights
        outputs = [m(x_tokens) for m in models]
    assert all(not torch.allclose(outputs[0], other) for other in outputs[1:])


# --- positions ------------------------------------------------------------------------------

def test_without_positions_the_tagger_is_permutation_equivariant():
    torch.manual_seed(4)
    tagger = SelfAttentionTagger(9, 4, d_model=8, num_heads=2, num_layers=2, max_len=7, positions=None).double()
    x_tokens, perm = tokens(), torch.from_numpy(np.random.default_rng(1).permutation(7))
    with torch.no_grad():
        np.testing.assert_allclose(tagger(x_tokens[:, perm]).numpy(), tagger(x_tokens)[:, perm].numpy(), atol=1e-12)
    assert tagger.encoder.positions(7) is None


def test_learned_positions_break_the_equivariance():
    torch.manual_seed(4)
    tagger = SelfAttentionTagger(9, 4, d_model=8, num_heads=2, max_len=7, positions="learned")
    x_tokens, perm = tokens(), torch.from_numpy(np.random.default_rng(1).permutation(7))
    with torch.no_grad():
        assert not np.allclose(tagger(x_tokens[:, perm]).numpy(), tagger(x_tokens)[:, perm].numpy(), atol=1e-4)


def test_a_fixed_table_is_added_and_never_trained():
    table = np.random.default_rng(5).normal(size=(10, 8))
    torch.manual_seed(5)
    model = SelfAttentionClassifier(9, 8, d_model=8, num_heads=2, max_len=10, positions=table)
    assert all(p.shape != (10, 8) for p in model.parameters()), "the table must not be a parameter"
    np.testing.assert_allclose(model.encoder.positions(6).numpy(), table[:6], atol=1e-6)
    x, y = data.recall_task(np.random.default_rng(0), 64, 4, 8)
    x, y = torch.from_numpy(x), torch.from_numpy(y)
    train(model, lambda step: (x, y), classification_loss, steps=3)
    np.testing.assert_allclose(model.encoder.position_table.numpy(), table, atol=1e-6)
    assert model.double().encoder.position_table.dtype == torch.float64, "the table follows the model's dtype"


def test_embedded_entry_point_matches_forward_and_supports_input_gradients():
    torch.manual_seed(6)
    model = SelfAttentionClassifier(9, 4, d_model=8, num_heads=2, max_len=7).double()
    x_tokens = tokens()
    with torch.no_grad():
        embedded = model.embedding(x_tokens)
        np.testing.assert_allclose(model.classify_embedded(embedded).numpy(), model(x_tokens).numpy(), atol=1e-12)
        np.testing.assert_allclose(model.classify_embedded(embedded[1]).numpy(), model(x_tokens)[1].numpy(),
                                   atol=1e-12)
        _, maps_one = model.classify_embedded(embedded[1], return_attention=True)
        _, maps_all = model(x_tokens, return_attention=True)
    np.testing.assert_allclose(maps_one.numpy(), maps_all[:, 1].numpy(), atol=1e-12)
    norms = input_gradient_norms(model.classify_embedded, embedded)
    assert norms.shape == (3, 7) and np.all(norms > 0)


# --- loss, training and arguments -----------------------------------------------------------

def test_tagging_loss_is_the_mean_cross_entropy_over_positions():
    torch.manual_seed(7)
    tagger = SelfAttentionTagger(9, 4, d_model=8, num_heads=2, max_len=7)
    x_tokens, targets = tokens(), tokens(seed=1, vocab=4)
    with torch.no_grad():
        log_p = torch.log_softmax(tagger(x_tokens), dim=-1)
        expected = -log_p.gather(-1, targets[..., None]).mean()
        assert abs(float(tagging_loss(tagger, x_tokens, targets)) - float(expected)) < 1e-6


def test_classifier_learns_the_recall_task_quickly():
    rng = np.random.default_rng(0)
    gap, steps, batch = 12, 120, 64
    x, y = data.recall_task(rng, steps * batch, gap, 8)
    torch.manual_seed(0)
    model = SelfAttentionClassifier(9, 8, d_model=32, num_heads=2, num_layers=1, max_len=gap + 2)
    batches = lambda s: (torch.from_numpy(x[s * batch:(s + 1) * batch]), torch.from_numpy(y[s * batch:(s + 1) * batch]))
    train(model, batches, classification_loss, steps, lr=1e-2)
    x_test, y_test = data.recall_task(rng, 500, gap, 8)
    with torch.no_grad():
        assert accuracy(model(torch.from_numpy(x_test)), torch.from_numpy(y_test)) > 0.9


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match="divide"):
        SelfAttentionBlock(10, 3)
    with pytest.raises(ValueError, match="norm"):
        SelfAttentionBlock(8, 2, norm="middle")
    with pytest.raises(ValueError, match="residual"):
        SelfAttentionEncoder(9, d_model=8, residual="yes")
    with pytest.raises(ValueError, match="positive integer"):
        SelfAttentionEncoder(9, d_model=0)
    with pytest.raises(ValueError, match="positions"):
        SelfAttentionEncoder(9, d_model=8, positions="sinusoidal")
    with pytest.raises(ValueError, match="shape"):
        SelfAttentionEncoder(9, d_model=8, max_len=5, positions=np.zeros((4, 8)))
    with pytest.raises(ValueError, match="max_len"):
        SelfAttentionTagger(9, 4, d_model=8, max_len=5)(tokens(length=6))
    with pytest.raises(ValueError, match="n_classes"):
        SelfAttentionClassifier(9, 0)
