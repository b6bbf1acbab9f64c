"""Small self-attention models for the course's toy tasks, the counterparts of ``r2a.recurrent``.

Lecture 5 builds self-attention from scratch in numpy; these PyTorch models are what a student
would then train. They are deliberately small (a few thousand parameters) so they learn the toy
tasks of ``r2a.data`` in seconds on a CPU.

* ``SelfAttentionBlock``: one Transformer encoder block, multi-head self-attention and a
  position-wise ReLU feed-forward layer, each inside a residual connection with a LayerNorm;
  pre-norm by default (``norm="pre"``, the variant most models now use), or post-norm
  (``norm="post"``, the arrangement of Vaswani et al., 2017, and of ``torch.nn.TransformerEncoderLayer``
  by default); ``norm=None`` and ``residual=False`` remove the parts, for ablations;
* ``SelfAttentionEncoder``: token embedding + position information + a stack of those blocks,
  returning one state per position and, on request, every attention map;
* ``SelfAttentionClassifier``: one label per sequence, read from the state at the **last**
  position (for the recall task that is the query marker, so its attention row shows where the
  model looks for the answer);
* ``SelfAttentionTagger``: one label per position (copy, reversal);
* ``tagging_loss``: the per-position cross-entropy, in the form ``r2a.training.train`` expects
  (for the classifier use ``r2a.recurrent.classification_loss``).

Position information is chosen with ``positions``:

* ``"learned"``: a trained embedding per position, up to ``max_len``;
* ``None``: none at all, so the model cannot tell the order of its inputs (permuting the tokens
  permutes a tagger's outputs);
* an array of shape ``(max_len, d_model)``: a fixed table added to the token embeddings and never
  trained, for instance the sinusoidal encodings a lecture computes itself.

Masks follow ``torch.nn.MultiheadAttention``, which this module uses inside: its boolean
``attn_mask`` marks the pairs that may **not** attend (the opposite of
``torch.nn.functional.scaled_dot_product_attention`` and of the course's numpy code, where
``True`` means *may attend*).
"""
import numpy as np
import torch
from torch import nn

from ._validation import check_choice, check_positive_int

__all__ = ["SelfAttentionBlock", "SelfAttentionEncoder", "SelfAttentionClassifier", "SelfAttentionTagger",
           "tagging_loss"]


class SelfAttentionBlock(nn.Module):
    """One Transformer encoder block with a ReLU feed-forward layer of width ``ff_mult * d_model``.

    * ``norm="pre"`` (default): ``x + MHA(LN(x))``, then ``x + FFN(LN(x))``;
    * ``norm="post"`` (Vaswani et al., 2017): ``LN(x + MHA(x))``, then ``LN(x + FFN(x))``;
    * ``norm=None``: no LayerNorm, ``x + MHA(x)``, then ``x + FFN(x)``;
    * ``residual=False`` drops the ``x +`` of both sublayers (keeping the norms where ``norm`` puts them).

    ``causal=True`` lets position ``i`` attend to positions ``j <= i`` only.
    """

    NORMS = ("pre", "post", None)

    def __init__(self, d_model, num_heads, ff_mult=2, causal=False, norm="pre", residual=True):
        super().__init__()
        check_positive_int(d_model=d_model, num_heads=num_heads, ff_mult=ff_mult)
        check_choice("norm", norm, self.NORMS)
        check_choice("residual", residual, (True, False))
        if d_model % num_heads:
            raise ValueError(f"num_heads ({num_heads}) must divide d_model ({d_model})")
        self.causal, self.norm, self.residual = causal, norm, residual
        self.norm_attention = nn.LayerNorm(d_model) if norm else nn.Identity()
        self.attention = nn.MultiheadAttention(d_model, num_heads, batch_first=True)
        self.norm_feedforward = nn.LayerNorm(d_model) if norm else nn.Identity()
        self.feedforward = nn.Sequential(nn.Linear(d_model, ff_mult * d_model), nn.ReLU(),
                                         nn.Linear(ff_mult * d_model, d_model))

    def _sublayer(self, x, layer, norm):
        """``x + layer(norm(x))`` (pre-norm) or ``norm(x + layer(x))`` (post-norm), with or without the ``x +``."""
        out, extra = layer(x if self.norm == "post" else norm(x))
        out = x + out if self.residual else out
        return (norm(out) if self.norm == "post" else out), extra

    def forward(self, x, need_weights=False):
        """``x`` of shape ``(B, T, d_model)`` -> ``(new x, weights)``; weights ``(B, heads, T, T)`` or None."""
        n = x.shape[1]
        # MultiheadAttention's boolean mask is True where attending is NOT allowed: above the diagonal.
        blocked = torch.ones(n, n, dtype=torch.bool, device=x.device).triu(1) if self.causal else None

        def attend(h):
            return self.attention(h, h, h, attn_mask=blocked, need_weights=need_weights, average_attn_weights=False)

        x, weights = self._sublayer(x, attend, self.norm_attention)
        x, _ = self._sublayer(x, lambda h: (self.feedforward(h), None), self.norm_feedforward)
        return x, weights


class SelfAttentionEncoder(nn.Module):
    """``tokens (B, T)`` -> embedding + positions -> ``num_layers`` blocks -> final LayerNorm -> ``(B, T, d_model)``.

    See the module docstring for ``positions``; ``norm`` and ``residual`` are passed to every
    ``SelfAttentionBlock``. The final LayerNorm belongs to pre-norm stacks only (a post-norm
    block already ends with one, and ``norm=None`` means none anywhere). ``encode_embedded`` starts from embedded tokens
    (before positions are added), so gradients with respect to each input position can be taken
    with ``r2a.recurrent.input_gradient_norms``.
    """

    def __init__(self, vocab_size, d_model=32, num_heads=2, num_layers=2, max_len=256, positions="learned",
                 causal=False, ff_mult=2, norm="pre", residual=True):
        super().__init__()
        check_positive_int(vocab_size=vocab_size, d_model=d_model, num_heads=num_heads,
                           num_layers=num_layers, max_len=max_len)
        self.max_len = max_len
        self.embedding = nn.Embedding(vocab_size, d_model)
        self.position_embedding = None
        if isinstance(positions, str):
            if positions != "learned":
                raise ValueError(f'positions must be "learned", None or a (max_len, d_model) table, got {positions!r}')
            self.position_embedding = nn.Embedding(max_len, d_model)
            table = None
        elif positions is None:
            table = None
        else:
            table = torch.as_tensor(np.asarray(positions), dtype=torch.float32)
            if tuple(table.shape) != (max_len, d_model):
                raise ValueError(f"a position table must have shape (max_len, d_model) = ({max_len}, {d_model}), "
                                 f"got {tuple(table.shape)}")
        # A buffer moves with the model (.double(), .to()) but is not a parameter: it is never trained.
        self.register_buffer("position_table", table)
        self.blocks = nn.ModuleList(SelfAttentionBlock(d_model, num_heads, ff_mult, causal, norm, residual)
                                    for _ in range(num_layers))
        self.final_norm = nn.LayerNorm(d_model) if norm == "pre" else nn.Identity()

    def positions(self, length):
        """The ``(length, d_model)`` position vectors added to the embeddings, or None without positions."""
        if length > self.max_len:
            raise ValueError(f"sequence of length {length} is longer than max_len = {self.max_len}")
        if self.position_embedding is not None:
            return self.position_embedding.weight[:length]
        if self.position_table is not None:
            return self.position_table[:length]
        return None

    def encode_embedded(self, embedded, return_attention=False):
        """States ``(B, T, d_model)`` from embedded tokens ``(B, T, d_model)``; with ``return_attention``
        also the maps, shape ``(num_layers, B, num_heads, T, T)``, row ``i`` = query position ``i``."""
        positions = self.positions(embedded.shape[1])
        x = embedded if positions is None else embedded + positions
        maps = []
        for block in self.blocks:
            x, weights = block(x, need_weights=return_attention)
            maps.append(weights)
        x = self.final_norm(x)
        return (x, torch.stack(maps)) if return_attention else x

    def forward(self, tokens, return_attention=False):
        return self.encode_embedded(self.embedding(tokens), return_attention)


class _ReadoutModel(nn.Module):
    """An encoder and a linear readout; subclasses choose which positions are read."""

    def __init__(self, vocab_size, n_classes, **encoder_options):
        super().__init__()
        check_positive_int(n_classes=n_classes)
        self.encoder = SelfAttentionEncoder(vocab_size, **encoder_options)
        self.readout = nn.Linear(self.encoder.embedding.embedding_dim, n_classes)

    @property
    def embedding(self):
        """The token embedding, so ``input_gradient_norms(model.classify_embedded, model.embedding(x))`` works."""
        return self.encoder.embedding

    def _read(self, states):
        raise NotImplementedError

    def classify_embedded(self, embedded, return_attention=False):
        """Logits from embedded tokens of shape ``(B, T, d_model)`` or ``(T, d_model)``."""
        unbatched = embedded.dim() == 2
        if unbatched:
            embedded = embedded[None]
        states, maps = self.encoder.encode_embedded(embedded, return_attention=True) if return_attention \
            else (self.encoder.encode_embedded(embedded), None)
        logits = self._read(states)
        if unbatched:
            logits = logits[0]
            maps = None if maps is None else maps[:, 0]
        return (logits, maps) if return_attention else logits

    def forward(self, tokens, return_attention=False):
        """Logits for integer tokens ``(B, T)``; with ``return_attention`` also the attention maps
        ``(num_layers, B, num_heads, T, T)``."""
        return self.classify_embedded(self.encoder.embedding(tokens), return_attention)


class SelfAttentionClassifier(_ReadoutModel):
    """One label per sequence, read from the last position: ``(B, T) -> (B, n_classes)``.

    Takes the encoder's options (``d_model``, ``num_heads``, ``num_layers``, ``max_len``,
    ``positions``, ``causal``, ``ff_mult``, ``norm``, ``residual``) as keywords.
    """

    def _read(self, states):
        return self.readout(states[:, -1])


class SelfAttentionTagger(_ReadoutModel):
    """One label per position: ``(B, T) -> (B, T, n_classes)``; takes the encoder's options as keywords."""

    def _read(self, states):
        return self.readout(states)


def tagging_loss(model, inputs, targets):
    """Mean cross-entropy over every position of ``model(inputs)`` ``(B, T, C)`` against ``targets`` ``(B, T)``."""
    logits = model(inputs)
    return nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
