"""Transformer for the Insertion Language Model (ILM) and its autoregressive (AR) baseline.

One network, two uses:
  - ILM (causal=False): bidirectional. Row i of token_logits scores "insert token v right after token i";
    with length_head, row i also gives lambda_i >= 0, the expected number of tokens missing in the gap right
    after token i; the stop head reads the CLS state (index 0 = "text complete").
    With gap_marker, the rows that may insert (a writer's gaps; every body row in the paper's setting) carry a
    learned vector, so "how much is missing here" is asked of a place known to be a gap.
  - AR (causal=True): the same blocks with a causal mask; row i scores the next token.
Positions are an explicit integer input fed to rotary attention, so a caller can renumber the sequence
(the ILM numbers the KEPT tokens contiguously) without the tensor index leaking anything.
"""
import math
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F


@dataclass
class ModelConfig:
    vocab_size: int
    n_layer: int = 4
    n_head: int = 4
    d_model: int = 256
    d_ff: int = 1024
    max_len: int = 256  # whole sequence: [CLS] prompt [BOS] body
    dropout: float = 0.0
    rope_base: float = 10000.0
    causal: bool = False
    tie_embeddings: bool = True  # vocabulary head shares the input embedding matrix
    length_head: bool = False  # per-row expected missing length (models trained before it have none)
    gap_marker: bool = False  # a learned vector added to the rows that may insert: the model knows where the gaps are


def rotary(positions, head_dim, base):
    """cos/sin tables [B, 1, L, head_dim/2] computed from the positions themselves (not the tensor index)."""
    inv_freq = torch.exp(torch.arange(0, head_dim, 2, device=positions.device, dtype=torch.float32) * (-math.log(base) / head_dim))
    angles = positions.to(torch.float32)[:, None, :, None] * inv_freq
    return angles.cos(), angles.sin()


def apply_rotary(x, cos, sin):
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat([x1 * cos - x2 * sin, x1 * sin + x2 * cos], dim=-1).to(x.dtype)


def _use_sdpa():
    # torch 1.13 has no fused attention; the ONNX exporter wants the plain matmul form.
    return hasattr(F, "scaled_dot_product_attention") and not torch.onnx.is_in_onnx_export()


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.n_head, self.head_dim = cfg.n_head, cfg.d_model // cfg.n_head
        self.qkv = nn.Linear(cfg.d_model, 3 * cfg.d_model)
        self.proj = nn.Linear(cfg.d_model, cfg.d_model)
        self.dropout = cfg.dropout

    def forward(self, x, cos, sin, mask, past=None):
        """mask: bool [B, 1, Lq, Lk], True = may attend. past: (k, v) of earlier tokens, already rotated."""
        B, L, D = x.shape
        q, k, v = self.qkv(x).view(B, L, 3, self.n_head, self.head_dim).permute(2, 0, 3, 1, 4).unbind(0)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        if past is not None:
            k, v = torch.cat([past[0], k], dim=2), torch.cat([past[1], v], dim=2)
        p = self.dropout if self.training else 0.0
        if _use_sdpa():
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=p)
        else:
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(self.head_dim))
            att = att.masked_fill(~mask, torch.finfo(att.dtype).min).softmax(dim=-1)
            y = F.dropout(att, p, self.training) @ v
        y = y.transpose(1, 2).reshape(B, L, D)
        return F.dropout(self.proj(y), p, self.training), (k, v)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(cfg.d_model), nn.LayerNorm(cfg.d_model)
        self.attn = Attention(cfg)
        self.mlp = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_ff), nn.GELU(), nn.Linear(cfg.d_ff, cfg.d_model),
                                 nn.Dropout(cfg.dropout))

    def forward(self, x, cos, sin, mask, past=None):
        a, present = self.attn(self.ln1(x), cos, sin, mask, past)
        x = x + a
        return x + self.mlp(self.ln2(x)), present


class Transformer(nn.Module):
    def __init__(self, cfg: ModelConfig):
        super().__init__()
        assert cfg.d_model % cfg.n_head == 0 and (cfg.d_model // cfg.n_head) % 2 == 0
        self.cfg = cfg
        self.embed = nn.Embedding(cfg.vocab_size, cfg.d_model)
        self.drop = nn.Dropout(cfg.dropout)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layer))
        self.ln_f = nn.LayerNorm(cfg.d_model)
        self.head = nn.Linear(cfg.d_model, cfg.vocab_size, bias=False)
        if cfg.tie_embeddings:
            self.head.weight = self.embed.weight
        self.stop_head = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(), nn.Linear(cfg.d_model, 2))
        if cfg.length_head:
            self.length_head = nn.Sequential(nn.Linear(cfg.d_model, cfg.d_model), nn.GELU(), nn.Linear(cfg.d_model, 1))
        if cfg.gap_marker:  # zero at first, so a model trained without it starts out unchanged
            self.gap_embed = nn.Parameter(torch.zeros(cfg.d_model))
        self.apply(self._init)
        for name, p in self.named_parameters():  # GPT-2: shrink residual projections with depth
            if name.endswith("attn.proj.weight") or name.endswith("mlp.2.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, 0.0, 0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def n_params(self):
        return sum(p.numel() for p in self.parameters())

    def forward(self, input_ids, positions, attention_mask, rows=None, allowed=None):
        """input_ids, positions, attention_mask: int [B, L] (mask 1 = real token).
        Returns token_logits [B, L, V], stop_logits [B, 2] (from row 0, the CLS state) and lengths [B, L]
        (softplus of the length head: expected tokens missing right after each row; None without the head).
        With rows (int [B, R], indices into L) token_logits and lengths are only those rows' [B, R, ...]: an app
        asks only for the gaps it may insert at, which saves most of the vocabulary head.
        With gap_marker, allowed (bool [B, L]) are the rows that may insert; without it, the asked rows (the ONNX
        graph's case: the engine asks exactly a fill's gap slots, padded with row 0) or else every row. Row 0,
        [CLS], is never a gap."""
        L = input_ids.shape[1]
        mask = attention_mask.bool()[:, None, None, :]  # keys
        if self.cfg.causal:
            mask = mask & torch.ones(L, L, dtype=torch.bool, device=input_ids.device).tril()
        cos, sin = rotary(positions, self.cfg.d_model // self.cfg.n_head, self.cfg.rope_base)
        x = self.drop(self.embed(input_ids))
        if self.cfg.gap_marker:
            x = x + self.gap_rows(attention_mask, rows, allowed)[..., None] * self.gap_embed
        for block in self.blocks:
            x, _ = block(x, cos, sin, mask)
        x = self.ln_f(x)
        picked = x if rows is None else torch.gather(x, 1, rows[:, :, None].expand(-1, -1, x.shape[-1]))
        lengths = F.softplus(self.length_head(picked).squeeze(-1)) if self.cfg.length_head else None
        return self.head(picked), self.stop_head(x[:, 0]), lengths

    @staticmethod
    def gap_rows(attention_mask, rows, allowed):
        """float [B, L]: 1 at the rows that may insert (see forward), 0 elsewhere and at row 0."""
        if allowed is not None:
            marked = allowed.to(torch.float32)
        elif rows is not None:
            marked = torch.zeros(attention_mask.shape, device=rows.device).scatter(1, rows, torch.ones(rows.shape, device=rows.device))
        else:
            marked = attention_mask.to(torch.float32)
        not_cls = (torch.arange(attention_mask.shape[1], device=attention_mask.device) > 0).to(torch.float32)
        return marked * attention_mask.to(torch.float32) * not_cls

    def decode(self, input_ids, positions, attention_mask, past):
        """AR incremental step with a key/value cache (causal models only).
        input_ids, positions: [B, T] new tokens; attention_mask: [B, P+T] over cached + new tokens;
        past: per layer (k, v) [B, H, P, head_dim] (P may be 0). Returns logits [B, T, V] and the new cache."""
        assert self.cfg.causal
        T, P = input_ids.shape[1], past[0][0].shape[2]
        q_idx = torch.arange(T, device=input_ids.device)[:, None] + P
        k_idx = torch.arange(P + T, device=input_ids.device)[None, :]
        mask = attention_mask.bool()[:, None, None, :] & (k_idx <= q_idx)
        cos, sin = rotary(positions, self.cfg.d_model // self.cfg.n_head, self.cfg.rope_base)
        x = self.embed(input_ids)
        present = []
        for block, kv in zip(self.blocks, past):
            x, kv = block(x, cos, sin, mask, kv)
            present.append(kv)
        return self.head(self.ln_f(x)), present
