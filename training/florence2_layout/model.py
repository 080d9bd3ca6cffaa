"""A tiny encoder-decoder in the Florence-2 layout (PyTorch), split the way the ONNX export is split.

    pixel_values -> vision_encoder -> image_features [B, 1+P, D]   (1 mean token + P patch tokens, projected)
    input_ids -> embed_tokens -> inputs_embeds [B, S, D]            (shared embedding, BART's embed_scale)
    concat(image_features, prompt embeds) -> encoder -> last_hidden_state [B, L, D]
    decoder(inputs_embeds, encoder states, past) -> logits [B, T, V], present key/values

The trainer (training/trainer/train_florence2.py) calls `forward` with labels; the exporter calls the four parts separately; the
reference decode (decode.py) calls the parts with the cache. All sizes come from `ModelDims`.
"""
from __future__ import annotations

import math
from typing import List, Optional, Tuple

import torch
import torch.nn.functional as F
from torch import nn

from .config import ModelDims

# An additive mask value that survives fp16 (65504 max) and still zeroes a softmax weight.
MASK_NEG = -1.0e4
KV = Tuple[torch.Tensor, torch.Tensor]


def bn_block(cin: int, cout: int, stride: int) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


def bn_stem(c: List[int], patch_stride: int) -> nn.Module:
    """Stride 2 * 2 * 2 * 2 * (patch_stride / 16), a stride-1 block after each downsampling but the last."""
    half = max(8, c[0] // 2)
    return nn.Sequential(bn_block(3, half, 2), bn_block(half, c[0], 2), bn_block(c[0], c[0], 1),
                         bn_block(c[0], c[1], 2), bn_block(c[1], c[1], 1), bn_block(c[1], c[2], 2), bn_block(c[2], c[2], 1),
                         nn.Conv2d(c[2], c[3], 3, patch_stride // 16, 1))


class VisionEncoder(nn.Module):
    """A conv stem of total stride s (16 or 32) standing in for DaViT: [B,3,H,W] -> [B, 1 + (H/s)*(W/s), D]."""

    def __init__(self, dims: ModelDims):
        super().__init__()
        c = dims.vision_channels
        self.stem = bn_stem(c, dims.patch_stride) if dims.vision_stem == "bn" else nn.Sequential(
            nn.Conv2d(3, c[0], 7, stride=4, padding=3), nn.GELU(),
            nn.Conv2d(c[0], c[1], 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(c[1], c[2], 3, stride=2, padding=1), nn.GELU(),
            nn.Conv2d(c[2], c[3], 3, stride=dims.patch_stride // 16, padding=1),
        )
        self.pos_embed = nn.Parameter(torch.randn(1, dims.grid * dims.grid, c[3]) * 0.02)
        # Florence-2's image_projection + image_proj_norm, inside the exported vision encoder.
        self.projection = nn.Linear(c[3], dims.d_model, bias=False)
        self.proj_norm = nn.LayerNorm(dims.d_model)
        self.global_max = dims.global_token == "max"

    def forward(self, pixel_values: torch.Tensor) -> torch.Tensor:
        x = self.stem(pixel_values)                        # [B, C, g, g]
        x = x.flatten(2).transpose(1, 2) + self.pos_embed  # [B, P, C]
        x = torch.cat([x.amax(dim=1, keepdim=True) if self.global_max else x.mean(dim=1, keepdim=True), x], dim=1)
        return self.proj_norm(self.projection(x))


class Attention(nn.Module):
    def __init__(self, dims: ModelDims):
        super().__init__()
        d = dims.d_model
        self.heads, self.head_dim = dims.attention_heads, dims.head_dim
        self.q_proj, self.k_proj, self.v_proj, self.out_proj = (nn.Linear(d, d) for _ in range(4))
        self.dropout = dims.dropout

    def shape(self, x: torch.Tensor) -> torch.Tensor:
        b, t, _ = x.shape
        return x.view(b, t, self.heads, self.head_dim).transpose(1, 2)  # [B, H, T, hd]

    def project_kv(self, x: torch.Tensor) -> KV:
        return self.shape(self.k_proj(x)), self.shape(self.v_proj(x))

    def forward(self, x: torch.Tensor, kv: KV, mask: torch.Tensor) -> torch.Tensor:
        """x [B,T,D]; kv the keys/values [B,H,S,hd]; mask additive, broadcastable to [B,H,T,S]."""
        q = self.shape(self.q_proj(x)) * (self.head_dim ** -0.5)
        scores = torch.matmul(q, kv[0].transpose(-1, -2)) + mask
        probs = F.dropout(torch.softmax(scores, dim=-1), self.dropout, self.training)
        out = torch.matmul(probs, kv[1]).transpose(1, 2)
        return self.out_proj(out.reshape(out.shape[0], out.shape[1], -1))


class FeedForward(nn.Module):
    def __init__(self, dims: ModelDims):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(dims.d_model, dims.ffn_dim), nn.Linear(dims.ffn_dim, dims.d_model)
        self.dropout = dims.dropout

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(F.dropout(F.gelu(self.fc1(x)), self.dropout, self.training))


class EncoderLayer(nn.Module):
    """BART's post-LN encoder layer, or a pre-LN one (`dims.encoder_pre_ln`, same parameter names):
    post-LN renormalises after each residual sum, so residual branches that outgrow their input divide
    the across-image difference at every layer; pre-LN keeps the image in the residual stream."""

    def __init__(self, dims: ModelDims):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = Attention(dims), nn.LayerNorm(dims.d_model)
        self.ffn, self.final_layer_norm = FeedForward(dims), nn.LayerNorm(dims.d_model)
        self.dropout = dims.dropout
        self.pre_ln = dims.encoder_pre_ln

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        if self.pre_ln:
            h = self.self_attn_layer_norm(x)
            x = x + F.dropout(self.self_attn(h, self.self_attn.project_kv(h), mask), self.dropout, self.training)
            return x + F.dropout(self.ffn(self.final_layer_norm(x)), self.dropout, self.training)
        h = self.self_attn(x, self.self_attn.project_kv(x), mask)
        x = self.self_attn_layer_norm(x + F.dropout(h, self.dropout, self.training))
        x = self.final_layer_norm(x + F.dropout(self.ffn(x), self.dropout, self.training))
        return x


class DecoderLayer(nn.Module):
    """BART's post-LN decoder layer, or a pre-LN one (`dims.decoder_pre_ln`, same parameter names);
    returns its self-attention and cross-attention key/values."""

    def __init__(self, dims: ModelDims):
        super().__init__()
        self.self_attn, self.self_attn_layer_norm = Attention(dims), nn.LayerNorm(dims.d_model)
        self.cross_attn, self.cross_attn_layer_norm = Attention(dims), nn.LayerNorm(dims.d_model)
        self.ffn, self.final_layer_norm = FeedForward(dims), nn.LayerNorm(dims.d_model)
        self.dropout = dims.dropout
        self.pre_ln = dims.decoder_pre_ln

    def forward(self, x, self_mask, cross_mask, enc_states: Optional[torch.Tensor],
                past_self: Optional[KV], past_cross: Optional[KV]) -> Tuple[torch.Tensor, KV, KV]:
        h = self.self_attn_layer_norm(x) if self.pre_ln else x
        k, v = self.self_attn.project_kv(h)
        if past_self is not None:
            k, v = torch.cat([past_self[0], k], dim=2), torch.cat([past_self[1], v], dim=2)
        cross = past_cross if past_cross is not None else self.cross_attn.project_kv(enc_states)
        if self.pre_ln:
            x = x + F.dropout(self.self_attn(h, (k, v), self_mask), self.dropout, self.training)
            x = x + F.dropout(self.cross_attn(self.cross_attn_layer_norm(x), cross, cross_mask), self.dropout, self.training)
            return x + F.dropout(self.ffn(self.final_layer_norm(x)), self.dropout, self.training), (k, v), cross
        x = self.self_attn_layer_norm(x + F.dropout(self.self_attn(x, (k, v), self_mask), self.dropout, self.training))
        x = self.cross_attn_layer_norm(x + F.dropout(self.cross_attn(x, cross, cross_mask), self.dropout, self.training))
        x = self.final_layer_norm(x + F.dropout(self.ffn(x), self.dropout, self.training))
        return x, (k, v), cross


def padding_mask(attention_mask: torch.Tensor) -> torch.Tensor:
    """int64 [B,S] (1 = keep) -> additive [B,1,1,S]."""
    return (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * MASK_NEG


class Florence2Tiny(nn.Module):
    def __init__(self, dims: ModelDims, vocab_size: int, pad_id: int):
        super().__init__()
        self.dims, self.vocab_size = dims, vocab_size
        d = dims.d_model
        self.vision = VisionEncoder(dims)
        self.shared = nn.Embedding(vocab_size, d, padding_idx=pad_id)
        self.embed_scale = math.sqrt(d) if dims.scale_embedding else 1.0
        # BART's learned positions are offset by 2.
        self.enc_positions = nn.Embedding(dims.max_position_embeddings + 2, d)
        self.dec_positions = nn.Embedding(dims.max_position_embeddings + 2, d)
        self.enc_layernorm_embedding, self.dec_layernorm_embedding = nn.LayerNorm(d), nn.LayerNorm(d)
        self.encoder_layers = nn.ModuleList(EncoderLayer(dims) for _ in range(dims.encoder_layers))
        self.decoder_layers = nn.ModuleList(DecoderLayer(dims) for _ in range(dims.decoder_layers))
        # Pre-LN layers leave the residual stream unnormalised: one LayerNorm closes the encoder.
        self.enc_final_norm = nn.LayerNorm(d) if dims.encoder_pre_ln else None
        self.dec_final_norm = nn.LayerNorm(d) if dims.decoder_pre_ln else None
        self.register_buffer("final_logits_bias", torch.zeros(1, vocab_size))
        self.apply(self._init)

    @staticmethod
    def _init(m: nn.Module):
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, std=0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, std=0.02)

    # --- the four exported parts -------------------------------------------------------------
    def embed_tokens(self, input_ids: torch.Tensor) -> torch.Tensor:
        return self.shared(input_ids) * self.embed_scale

    def encode_image(self, pixel_values: torch.Tensor) -> torch.Tensor:
        return self.vision(pixel_values)

    def encode(self, inputs_embeds: torch.Tensor, attention_mask: torch.Tensor) -> torch.Tensor:
        pos = torch.arange(inputs_embeds.shape[1], device=inputs_embeds.device) + 2
        x = self.enc_layernorm_embedding(inputs_embeds + self.enc_positions(pos))
        x = F.dropout(x, self.dims.dropout, self.training)
        mask = padding_mask(attention_mask)
        for layer in self.encoder_layers:
            x = layer(x, mask)
        return self.enc_final_norm(x) if self.enc_final_norm is not None else x

    def decode(self, inputs_embeds: torch.Tensor, encoder_hidden_states: Optional[torch.Tensor],
               encoder_attention_mask: torch.Tensor, past: Optional[List[Tuple[KV, KV]]] = None,
               ) -> Tuple[torch.Tensor, List[Tuple[KV, KV]]]:
        """Returns logits [B,T,V] and per layer ((self k, v), (cross k, v)). With `past`, cross
        key/values come from it and `encoder_hidden_states` is not read."""
        t = inputs_embeds.shape[1]
        past_len = past[0][0][0].shape[2] if past is not None else 0
        q_pos = torch.arange(t, device=inputs_embeds.device) + past_len
        k_pos = torch.arange(t + past_len, device=inputs_embeds.device)
        self_mask = (k_pos[None, :] > q_pos[:, None]).to(torch.float32)[None, None] * MASK_NEG
        cross_mask = padding_mask(encoder_attention_mask)
        x = self.dec_layernorm_embedding(inputs_embeds + self.dec_positions(q_pos + 2))
        x = F.dropout(x, self.dims.dropout, self.training)
        presents = []
        for i, layer in enumerate(self.decoder_layers):
            ps, pc = (past[i] if past is not None else (None, None))
            x, kv_self, kv_cross = layer(x, self_mask, cross_mask, encoder_hidden_states, ps, pc)
            presents.append((kv_self, kv_cross))
        if self.dec_final_norm is not None:
            x = self.dec_final_norm(x)
        logits = F.linear(x, self.shared.weight) + self.final_logits_bias
        return logits, presents

    # --- training ----------------------------------------------------------------------------
    def encoder_inputs(self, pixel_values, input_ids, attention_mask) -> Tuple[torch.Tensor, torch.Tensor]:
        """concat(image_features, prompt embeds) and its mask, as the runner builds them."""
        img = self.encode_image(pixel_values)
        embeds = torch.cat([img, self.embed_tokens(input_ids)], dim=1)
        mask = torch.cat([torch.ones(img.shape[:2], dtype=attention_mask.dtype, device=img.device), attention_mask], dim=1)
        return embeds, mask

    def forward(self, pixel_values, input_ids, attention_mask, decoder_input_ids) -> torch.Tensor:
        embeds, mask = self.encoder_inputs(pixel_values, input_ids, attention_mask)
        enc = self.encode(embeds, mask)
        logits, _ = self.decode(self.embed_tokens(decoder_input_ids), enc, mask)
        return logits


def shift_tokens_right(labels: torch.Tensor, pad_id: int, decoder_start_id: int) -> torch.Tensor:
    """Decoder inputs from labels (BART / Florence-2): start token, then labels[:-1]; -100 -> pad."""
    out = labels.new_full(labels.shape, pad_id)
    out[:, 1:] = labels[:, :-1]
    out[:, 0] = decoder_start_id
    return out.masked_fill(out == -100, pad_id)


def seq2seq_loss(logits: torch.Tensor, labels: torch.Tensor, label_smoothing: float = 0.0) -> torch.Tensor:
    """Mean token cross-entropy over labels that are not -100 (pad labels set to -100 by the caller)."""
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), labels.reshape(-1), ignore_index=-100,
                           label_smoothing=label_smoothing)
