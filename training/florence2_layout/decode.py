"""Reference decoding with the PyTorch model: greedy and beam search, with the KV cache, the way the
ONNX runner decodes (docs/florence2-formats.md section 1, decode loop). The TypeScript runner is
checked against it.

    /usr/bin/python3 -m training.florence2_layout.decode MODEL_DIR --sample OUT_DIR
writes OUT_DIR/pixel_values.f32 (raw float32, [B,3,H,W]) and OUT_DIR/sample.json: the encoder inputs,
greedy ids and the PyTorch logits at every step, for comparison with the ONNX graphs.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch

from .config import construct_prompt
from .export_onnx import load_model
from .model import Florence2Tiny
from .tokenizer import ByteTokenizer


@dataclass
class GenerationSettings:
    """From generation_config.json; `num_beams` and `max_new_tokens` are the caller's choice."""
    decoder_start_token_id: int
    eos_token_id: int
    pad_token_id: int
    forced_bos_token_id: Optional[int] = None
    forced_eos_token_id: Optional[int] = None
    no_repeat_ngram_size: int = 0
    length_penalty: float = 1.0

    @classmethod
    def from_file(cls, path: str, **overrides) -> "GenerationSettings":
        with open(path) as f:
            g = json.load(f)
        keys = {k: g[k] for k in ("decoder_start_token_id", "eos_token_id", "pad_token_id", "forced_bos_token_id",
                                  "forced_eos_token_id", "no_repeat_ngram_size", "length_penalty") if k in g}
        keys.update(overrides)
        return cls(**keys)


def prepare_encoder(model: Florence2Tiny, tok: ByteTokenizer, pixel_values: torch.Tensor, prompts: Sequence[str],
                    task_maps: Optional[dict] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """Task token -> prompt -> ids (right-padded), then encoder states and their mask."""
    texts = [construct_prompt(p, task_maps) for p in prompts]
    ids = [tok.encode(t) for t in texts]
    width = max(len(i) for i in ids)
    input_ids = torch.full((len(ids), width), tok.pad_id, dtype=torch.int64)
    mask = torch.zeros((len(ids), width), dtype=torch.int64)
    for r, row in enumerate(ids):
        input_ids[r, :len(row)] = torch.tensor(row)
        mask[r, :len(row)] = 1
    embeds, enc_mask = model.encoder_inputs(pixel_values, input_ids, mask)
    return model.encode(embeds, enc_mask), enc_mask


def _process(scores: torch.Tensor, seqs: List[List[int]], step: int, max_len: int, s: GenerationSettings) -> torch.Tensor:
    """transformers' logits processors for Florence-2: no-repeat n-gram, forced BOS, forced EOS.
    `scores` are log-probabilities [N, V]; `seqs` the tokens so far (start token included)."""
    n = s.no_repeat_ngram_size
    if n and step + 1 >= n:
        for r, seq in enumerate(seqs):
            prefix = tuple(seq[len(seq) - n + 1:])
            for i in range(len(seq) - n + 1):
                if tuple(seq[i:i + n - 1]) == prefix:
                    scores[r, seq[i + n - 1]] = -float("inf")
    if s.forced_bos_token_id is not None and step == 0:
        scores[:] = -float("inf")
        scores[:, s.forced_bos_token_id] = 0
    if s.forced_eos_token_id is not None and step == max_len - 1:
        scores[:] = -float("inf")
        scores[:, s.forced_eos_token_id] = 0
    return scores


def _step(model, tokens: torch.Tensor, enc, enc_mask, past):
    logits, presents = model.decode(model.embed_tokens(tokens), enc, enc_mask, past)
    return logits[:, -1, :], presents


@torch.no_grad()
def greedy(model: Florence2Tiny, enc: torch.Tensor, enc_mask: torch.Tensor, s: GenerationSettings,
           max_new_tokens: int) -> List[List[int]]:
    """Batched greedy decode; each row is start token + generated tokens up to and including EOS."""
    b = enc.shape[0]
    seqs = [[s.decoder_start_token_id] for _ in range(b)]
    done = [False] * b
    past = None
    for step in range(max_new_tokens):
        last = torch.tensor([[q[-1] if not d else s.pad_token_id] for q, d in zip(seqs, done)])
        logits, past = _step(model, last, enc, enc_mask, past)
        scores = _process(torch.log_softmax(logits.float(), -1), seqs, step, max_new_tokens, s)
        nxt = scores.argmax(-1).tolist()
        for r in range(b):
            if not done[r]:
                seqs[r].append(nxt[r])
                done[r] = nxt[r] == s.eos_token_id
        if all(done):
            break
    return seqs


def _expand_past(past, index: torch.Tensor):
    return [((k.index_select(0, index), v.index_select(0, index)), (ck.index_select(0, index), cv.index_select(0, index)))
            for (k, v), (ck, cv) in past]


@torch.no_grad()
def beam_search(model: Florence2Tiny, enc: torch.Tensor, enc_mask: torch.Tensor, s: GenerationSettings,
                max_new_tokens: int, num_beams: int) -> List[Tuple[List[int], float, float]]:
    """transformers-style beam search (early stopping, length penalty) per batch row.
    Returns (ids, sum of log-probabilities, length-normalised score) of the best hypothesis per row;
    with num_beams=1 the ids equal `greedy`'s."""
    results = []
    for r in range(enc.shape[0]):
        e, m = enc[r:r + 1].expand(num_beams, -1, -1), enc_mask[r:r + 1].expand(num_beams, -1)
        beams: List[Tuple[List[int], float]] = [([s.decoder_start_token_id], 0.0)]
        finished: List[Tuple[List[int], float, float]] = []
        past = None
        for step in range(max_new_tokens):
            last = torch.tensor([[seq[-1]] for seq, _ in beams])
            if past is not None and len(beams) != past[0][0][0].shape[0]:
                raise AssertionError("beam count and cache batch disagree")
            logits, past = _step(model, last, e[:len(beams)], m[:len(beams)], past)
            scores = _process(torch.log_softmax(logits.float(), -1), [q for q, _ in beams], step, max_new_tokens, s)
            total = scores + torch.tensor([sc for _, sc in beams])[:, None]
            flat = total.view(-1)
            k = min(2 * num_beams, int(torch.isfinite(flat).sum()))
            top = torch.topk(flat, k)
            nxt_beams, origin = [], []
            for rank, (val, idx) in enumerate(zip(top.values.tolist(), top.indices.tolist())):
                src, tokid = divmod(idx, scores.shape[1])
                seq = beams[src][0] + [tokid]
                if tokid == s.eos_token_id:
                    if rank >= num_beams:  # transformers: an EOS outside the top num_beams does not finish
                        continue
                    gen_len = len(seq) - 1
                    finished.append((seq, val, val / (gen_len ** s.length_penalty)))
                else:
                    nxt_beams.append((seq, val))
                    origin.append(src)
                if len(nxt_beams) == num_beams:
                    break
            finished.sort(key=lambda x: -x[2])
            finished = finished[:num_beams]
            if len(finished) >= num_beams or not nxt_beams:
                break
            beams = nxt_beams
            past = _expand_past(past, torch.tensor(origin))
        if not finished:  # ran out of length: keep the live beams, as transformers does
            finished = [(q, sc, sc / ((len(q) - 1) ** s.length_penalty)) for q, sc in beams]
        results.append(max(finished, key=lambda x: x[2]))
    return results


def load_folder(model_dir: str) -> Tuple[Florence2Tiny, ByteTokenizer, dict, GenerationSettings]:
    tok = ByteTokenizer.from_file(os.path.join(model_dir, "tokenizer.json"))
    model = load_model(os.path.join(model_dir, "model.pt"), tok).eval()
    with open(os.path.join(model_dir, "preprocessor_config.json")) as f:
        pre = json.load(f)
    return model, tok, pre, GenerationSettings.from_file(os.path.join(model_dir, "generation_config.json"))


def sample_pixels(batch: int, size: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(batch, 3, size, size, generator=g)


@torch.no_grad()
def write_sample(model_dir: str, out_dir: str, prompts: Sequence[str], steps: int, target: str) -> Dict:
    """The PyTorch side of the ONNX comparison: logits over a teacher-forced decoder sequence (start
    token + tokenized `target`), checked here to agree between the cached and uncached paths, and the
    greedy ids under generation_config.json's logits processors (what transformers.js generates)."""
    model, tok, pre, s = load_folder(model_dir)
    size = pre["size"]["height"]
    px = sample_pixels(len(prompts), size, 0)
    input_ids, mask = _ids_and_mask(tok, prompts, pre)
    embeds, enc_mask = model.encoder_inputs(px, input_ids, mask)
    enc = model.encode(embeds, enc_mask)
    row = [s.decoder_start_token_id] + tok.encode(target)
    dec = torch.tensor([row] * len(prompts))
    full_logits, _ = model.decode(model.embed_tokens(dec), enc, enc_mask)
    past, cached = None, []
    for t in range(dec.shape[1]):
        lg, past = model.decode(model.embed_tokens(dec[:, t:t + 1]), enc, enc_mask, past)
        cached.append(lg[:, 0])
    diff = (torch.stack(cached, 1) - full_logits).abs().max().item()
    if diff > 1e-4:
        raise AssertionError(f"PyTorch cached and uncached logits differ by {diff}")
    os.makedirs(out_dir, exist_ok=True)
    px.numpy().astype(np.float32).tofile(os.path.join(out_dir, "pixel_values.f32"))
    sample = {
        "prompts": list(prompts), "pixel_shape": list(px.shape),
        "input_ids": input_ids.tolist(), "attention_mask": mask.tolist(),
        "image_features": model.encode_image(px)[:, :3, :8].tolist(),
        "last_hidden_state": enc[:, :, :8].tolist(),
        "decoder_ids": dec.tolist(),
        "logits": full_logits.tolist(),
        "greedy_max_new_tokens": steps,
        "greedy_ids": greedy(model, enc, enc_mask, s, steps),
    }
    with open(os.path.join(out_dir, "sample.json"), "w") as f:
        json.dump(sample, f)
    return sample


def _ids_and_mask(tok, prompts, pre):
    ids = [tok.encode(construct_prompt(p, pre)) for p in prompts]
    width = max(len(i) for i in ids)
    input_ids = torch.tensor([i + [tok.pad_id] * (width - len(i)) for i in ids])
    mask = torch.tensor([[1] * len(i) + [0] * (width - len(i)) for i in ids])
    return input_ids, mask


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description="Reference decode with the PyTorch Florence-2-layout model")
    p.add_argument("model_dir")
    p.add_argument("--sample", help="write the ONNX comparison sample to this folder")
    p.add_argument("--prompt", action="append", default=None, help="task token (+ input); repeatable")
    p.add_argument("--steps", type=int, default=8)
    p.add_argument("--num-beams", type=int, default=1)
    p.add_argument("--length-penalty", type=float, help="override generation_config.json's (0 ranks beams by log-probability)")
    p.add_argument("--target", default="a red circle<loc_10><loc_200><loc_310><loc_999>",
                   help="teacher-forced decoder text for --sample")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    prompts = a.prompt or ["<CAPTION>", "<CAPTION_TO_PHRASE_GROUNDING>a red circle left of a blue square"]
    if a.sample:
        s = write_sample(a.model_dir, a.sample, prompts, a.steps, a.target)
        print(json.dumps({"decoder_ids": s["decoder_ids"], "greedy_ids": s["greedy_ids"]}))
        return 0
    model, tok, pre, s = load_folder(a.model_dir)
    if a.length_penalty is not None:
        s.length_penalty = a.length_penalty
    px = sample_pixels(len(prompts), pre["size"]["height"], 0)
    enc, mask = prepare_encoder(model, tok, px, prompts, pre)
    for prompt, (ids, logp, score) in zip(prompts, beam_search(model, enc, mask, s, a.steps, a.num_beams)):
        print(json.dumps({"prompt": prompt, "ids": ids, "text": tok.decode(ids), "logprob": logp, "score": score}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
