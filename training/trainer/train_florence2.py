"""Trains the demo Florence-2-layout model (training/florence2_layout) multitask on an export's rows
and writes the model folder through training/florence2_layout's exporter, so the layout is exactly the
one that exporter writes, plus `metrics.json` and `fld-model.json`. `fit` is the training alone (on any
device), `train` fits and writes the folder from the CPU."""
from __future__ import annotations

import collections
import json
import os
import random
import re
import time
from dataclasses import asdict
from typing import Callable, Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F

from ..florence2_layout.config import ModelDims, construct_prompt, preprocessor_config
from ..florence2_layout.model import Florence2Tiny, seq2seq_loss, shift_tokens_right
from ..florence2_layout.tokenizer import ByteTokenizer, learn_merges
from .common import LOC_NUM as LOC_TOKEN
from .common import OD_ITEM, ImageCache, progress, run_steps
from .export_data import Row
from .model_folder import staged, write_manifest

# The tasks `--detach-encoder captions` detaches: image-level texts, whose loss the decoder can lower
# from its language prior alone. Every other task's rows (<OD>, grounding, region tasks) still train the
# vision side and the encoder.
CAPTION_TASKS = ("<CAPTION>", "<DETAILED_CAPTION>", "<MORE_DETAILED_CAPTION>")
DETACH_MODES = ("none", "all", "captions")


def detach_mode(detach_encoder: Union[bool, str, None]) -> str:
    """The trainer's `detach_encoder` argument (False / True as before, or a mode name) -> a mode of DETACH_MODES."""
    if detach_encoder is None or detach_encoder is False or detach_encoder == "none":
        return "none"
    if detach_encoder is True or detach_encoder == "all":
        return "all"
    if detach_encoder == "captions":
        return "captions"
    raise ValueError(f"detach_encoder {detach_encoder!r} is not one of {', '.join(DETACH_MODES)}")


def decoder_states(states: torch.Tensor, rows: Sequence[Row], mode: str) -> torch.Tensor:
    """The encoder states the decoder reads in training. `all`: detached for every row, so the seq2seq
    loss trains the decoder only; `captions`: detached for the rows of CAPTION_TASKS only (a row's
    gradient stops there, the other rows' reach the encoder and the vision side); `none`: as they are."""
    if mode == "all":
        return states.detach()
    if mode == "captions":
        cap = [r.task in CAPTION_TASKS for r in rows]
        if not any(cap):
            return states
        sel = torch.tensor(cap, device=states.device)[:, None, None]
        return torch.where(sel, states.detach(), states)
    return states


class Encoded:
    """Rows tokenized once: prompt ids and label ids (BOS ... EOS, cut at max_target)."""

    def __init__(self, rows: Sequence[Row], tok: ByteTokenizer, pre: dict, max_target: int):
        self.rows = list(rows)
        self.prompt = [tok.encode(construct_prompt(r.prefix, pre)) for r in self.rows]
        self.labels = []
        self.truncated = 0
        for r in self.rows:
            ids = tok.encode(r.suffix)
            if len(ids) > max_target:
                ids = ids[:max_target - 1] + [tok.eos_id]
                self.truncated += 1
            self.labels.append(ids)


def collate(enc: Encoded, idx: List[int], cache: ImageCache, mean: torch.Tensor, std: torch.Tensor, pad: int, start: int,
            device: str = "cpu"):
    """A batch: pixels normalised on `device` (uint8 crosses to it, a quarter of the bytes), ids,
    mask, labels and decoder inputs on the CPU (the caller moves them)."""
    px = torch.stack([cache.get(enc.rows[i].image) for i in idx]).to(device).float() / 255.0
    px = (px - mean.to(device)) / std.to(device)
    pw = max(len(enc.prompt[i]) for i in idx)
    lw = max(len(enc.labels[i]) for i in idx)
    ids = torch.full((len(idx), pw), pad, dtype=torch.long)
    mask = torch.zeros((len(idx), pw), dtype=torch.long)
    labels = torch.full((len(idx), lw), -100, dtype=torch.long)
    for k, i in enumerate(idx):
        ids[k, :len(enc.prompt[i])] = torch.tensor(enc.prompt[i])
        mask[k, :len(enc.prompt[i])] = 1
        labels[k, :len(enc.labels[i])] = torch.tensor(enc.labels[i])
    return px, ids, mask, labels, shift_tokens_right(labels, pad, start)


def batches_by_length(enc: Encoded, batch: int, rng: random.Random) -> List[List[int]]:
    """Shuffled batches of rows of similar label length, so short captions do not pay for long ones."""
    idx = list(range(len(enc.rows)))
    rng.shuffle(idx)
    chunks = [sorted(idx[i:i + batch * 16], key=lambda j: len(enc.labels[j])) for i in range(0, len(idx), batch * 16)]
    out = [c[i:i + batch] for c in chunks for i in range(0, len(c), batch)]
    rng.shuffle(out)
    return out


@torch.no_grad()
def evaluate(model, enc: Encoded, cache, mean, std, pad, start, batch: int = 16, device: str = "cpu") -> dict:
    model.eval()
    tot, n, correct = 0.0, 0, 0
    per_task: Dict[str, List[float]] = {}
    order = sorted(range(len(enc.rows)), key=lambda j: len(enc.labels[j]))
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        px, ids, mask, labels, dec = (t.to(device) for t in collate(enc, idx, cache, mean, std, pad, start, device))
        logits = model(px, ids, mask, dec)
        valid = labels != -100
        ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="none")
        tot += float(ce[valid].sum())
        n += int(valid.sum())
        correct += int(((logits.argmax(-1) == labels) & valid).sum())
        for k, j in enumerate(idx):
            per_task.setdefault(enc.rows[j].task, []).append(float(ce[k][valid[k]].mean()))
    return {"loss": tot / max(n, 1), "token_accuracy": correct / max(n, 1), "rows": len(enc.rows),
            "loss_per_task": {t: sum(v) / len(v) for t, v in sorted(per_task.items())}}


WORD = re.compile(r"[a-z]+")


class ImageWords(torch.nn.Module):
    """Training-only auxiliary head (not exported; the ONNX layout is unchanged): predicts which words of
    the row's target text occur (bag of words, `<loc_N>` stripped) from the encoder states mean-pooled
    over the image tokens. Its loss pushes the image into the encoder output, which the caption loss
    alone did not: see docs/decisions.md, "Why the demo captioner ignored its image"."""

    def __init__(self, d_model: int, rows: Sequence[Row], min_count: int = 5):
        super().__init__()
        counts = collections.Counter(w for r in rows for w in set(WORD.findall(LOC_TOKEN.sub(" ", r.suffix).lower())))
        self.words = sorted(w for w, c in counts.items() if c >= min_count)
        self.index = {w: i for i, w in enumerate(self.words)}
        self.head = torch.nn.Linear(d_model, len(self.words))

    def targets(self, rows: Sequence[Row]) -> torch.Tensor:
        t = torch.zeros(len(rows), len(self.words))
        for k, r in enumerate(rows):
            for w in WORD.findall(LOC_TOKEN.sub(" ", r.suffix).lower()):
                if w in self.index:
                    t[k, self.index[w]] = 1.0
        return t

    def loss(self, image_states: torch.Tensor, rows: Sequence[Row]) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(self.head(image_states.mean(dim=1)), self.targets(rows).to(image_states.device))


class ImageGrid(torch.nn.Module):
    """Training-only auxiliary head (not exported): for every image token of the encoder output, which
    object categories' boxes cover its grid cell, from the export's `<OD>` rows of the same image (its
    noisy labels, never the truth). Dense supervision like a detector's, so the vision stem learns
    shapes in hundreds of steps and the encoder must pass them on (docs/decisions.md, "Why the demo
    captioner ignored its image")."""

    def __init__(self, d_model: int, grid: int, od_suffix: Dict[str, str]):
        super().__init__()
        self.grid, self.od = grid, od_suffix
        self.classes = sorted({n.strip() for t in od_suffix.values() for n, _ in OD_ITEM.findall(t)})
        self.index = {c: i for i, c in enumerate(self.classes)}
        self.head = torch.nn.Linear(d_model, len(self.classes))
        self.cache: Dict[str, torch.Tensor] = {}

    def target(self, image: str) -> Optional[torch.Tensor]:
        if image not in self.od:
            return None
        t = self.cache.get(image)
        if t is None:
            g = self.grid
            t = torch.zeros(g, g, len(self.classes))
            for name, locs in OD_ITEM.findall(self.od[image]):
                b = [int(v) for v in LOC_TOKEN.findall(locs)]
                for i in range(0, len(b) - 3, 4):
                    x0, y0, x1, y1 = (min(g - 1, v * g // 1000) for v in b[i:i + 4])
                    t[y0:y1 + 1, x0:x1 + 1, self.index[name.strip()]] = 1.0
            t = self.cache[image] = t.view(g * g, -1)
        return t

    def loss(self, patch_states: torch.Tensor, rows: Sequence[Row]) -> torch.Tensor:
        """patch_states [B, grid*grid, D] (the image tokens after the mean token)."""
        keep = [(k, self.target(r.image)) for k, r in enumerate(rows)]
        keep = [(k, t) for k, t in keep if t is not None]
        if not keep:
            return patch_states.sum() * 0.0
        logits = self.head(patch_states[[k for k, _ in keep]])
        return F.binary_cross_entropy_with_logits(logits, torch.stack([t for _, t in keep]).to(logits.device))


@torch.no_grad()
def grow_vocabulary(model: Florence2Tiny, old: ByteTokenizer, new: ByteTokenizer) -> None:
    """Gives `model` (trained with `old`) the rows of `new`'s appended tokens: each merged token's
    embedding (tied to the output layer) and logit bias start as the mean of its bytes' rows, so the
    model's first guess at a word token is what it knew of the word's letters."""
    if any(new.vocab.get(t) != i for t, i in old.vocab.items()):
        raise ValueError("the new tokenizer must keep every token of the old one at its id")
    w, bias = model.shared.weight, model.final_logits_bias
    emb = torch.nn.Embedding(len(new), w.shape[1], padding_idx=model.shared.padding_idx)
    grown = torch.zeros(1, len(new))
    emb.weight[:len(old)] = w
    grown[:, :len(old)] = bias
    for t, i in new.vocab.items():
        if i >= len(old):
            rows = [old.vocab[c] for c in t]  # a merged token is a string of byte tokens
            emb.weight[i] = w[rows].mean(0)
            grown[0, i] = bias[0, rows].mean()
    model.shared = emb
    model.final_logits_bias = grown
    model.vocab_size = len(new)


def param_groups(model: torch.nn.Module, weight_decay: float, decay_norm_bias: bool) -> list:
    """AdamW groups: with `decay_norm_bias` off, biases and LayerNorm weights (1-d tensors) get no weight decay."""
    if decay_norm_bias:
        return [{"params": list(model.parameters()), "weight_decay": weight_decay}]
    ps = list(model.parameters())
    return [{"params": [p for p in ps if p.dim() > 1], "weight_decay": weight_decay},
            {"params": [p for p in ps if p.dim() <= 1], "weight_decay": 0.0}]


def fit(split_rows: Dict[str, List[Row]], steps: int, seed: int, init: Optional[str], batch: int, lr: float,
        dims_json: Optional[str] = None, max_target: Optional[int] = None, aux_image_words: float = 0.0,
        warmup: Optional[int] = None, decay_norm_bias: bool = True, aux_grid: float = 0.0,
        od_suffix: Optional[Dict[str, str]] = None, grid_only_steps: int = 0,
        detach_encoder: Union[bool, str] = False, decoder_token_dropout: float = 0.0, bpe_merges: int = 0,
        device: str = "cpu", after_step: Optional[Callable[[int, Florence2Tiny, ByteTokenizer], None]] = None,
        ) -> Tuple[Florence2Tiny, ByteTokenizer, dict]:
    """Trains and evaluates on the valid split; returns the model (on `device`, in eval mode), its
    tokenizer and the metrics. Progress lines: tokenizer (with merges), start, aux, step, eval.
    `after_step(n, model, tok)` runs after the n-th step (the model is put back in training mode after it)."""
    from ..florence2_layout.export_onnx import load_model  # imports onnx: only an --init needs it
    t0 = time.time()
    mode = detach_mode(detach_encoder)
    base = ByteTokenizer.from_file(os.path.join(init, "tokenizer.json")) if init else ByteTokenizer.default()
    # --bpe-merges: a byte-level vocabulary learns word tokens from the train split's targets. An init
    # that has merges keeps its own: its embeddings were trained on them.
    tok = base.with_merges(learn_merges(base, (r.suffix for r in split_rows["train"]), bpe_merges)) if bpe_merges > 0 and not base.merges else base
    if tok is not base:
        progress("tokenizer", merges=len(tok.merges), vocab=len(tok), learned_from="train targets")
    if init:
        model = load_model(os.path.join(init, "model.pt"), base)
        if tok is not base:
            grow_vocabulary(model, base, tok)
    else:
        dims = ModelDims(**(json.loads(dims_json) if dims_json else {}))
        model = Florence2Tiny(dims, len(tok), tok.pad_id)
    dims = model.dims
    # By default a label may use every decoder position: a shorter cut left the demo world's detailed
    # texts (246 bytes on average, 432 more detailed) without their ends or their EOS.
    if max_target is None:
        max_target = dims.max_position_embeddings
    if not 2 <= max_target <= dims.max_position_embeddings:
        raise ValueError(f"max_target_tokens {max_target} must be within 2..{dims.max_position_embeddings} (the decoder's positions)")
    pre = preprocessor_config(dims)
    mean = torch.tensor(pre["image_mean"]).view(1, 3, 1, 1)
    std = torch.tensor(pre["image_std"]).view(1, 3, 1, 1)
    cache = ImageCache(dims.image_size)
    cache.load_all(r.image for rs in split_rows.values() for r in rs)
    enc = {s: Encoded(rs, tok, pre, max_target) for s, rs in split_rows.items()}
    tasks = sorted({r.task for rs in split_rows.values() for r in rs})
    pad, start = tok.pad_id, tok.eos_id  # decoder_start_token_id is </s> (generation_config.json)
    progress("start", family="florence2", steps=steps, tasks=tasks, train_rows=len(enc["train"].rows),
             valid_rows=len(enc["valid"].rows), truncated_labels=enc["train"].truncated,
             parameters=sum(p.numel() for p in model.parameters()), device=device)
    aux = ImageWords(dims.d_model, enc["train"].rows) if aux_image_words > 0 else None
    grid = ImageGrid(dims.d_model, dims.grid, od_suffix or {}) if aux_grid > 0 else None
    # Moved before the optimiser is built, so its state lives on the device too (a no-op on the CPU).
    model.to(device)
    for head in (aux, grid):
        if head is not None:
            head.to(device)
    groups = param_groups(model, 0.01, decay_norm_bias)
    if aux is not None:
        groups.append({"params": list(aux.parameters()), "weight_decay": 0.01})
        progress("aux", loss="image-words", weight=aux_image_words, words=len(aux.words))
    if grid is not None:
        if not grid.classes:
            raise ValueError("aux_grid needs <OD> rows for the training images; the export has none")
        groups.append({"params": list(grid.parameters()), "weight_decay": 0.01})
        progress("aux", loss="image-grid", weight=aux_grid, classes=grid.classes, images=len(grid.od))
    opt = torch.optim.AdamW(groups, lr=lr, weight_decay=0.01)
    rng = random.Random(seed)
    queue: List[List[int]] = []
    n_img = dims.num_image_tokens
    drop_rng = torch.Generator().manual_seed(seed)

    def step_loss(_step: int):
        nonlocal queue
        if not queue:
            queue = batches_by_length(enc["train"], batch, rng)
        idx = queue.pop()
        px, ids, mask, labels, dec = collate(enc["train"], idx, cache, mean, std, pad, start, device)
        if decoder_token_dropout > 0:
            # Word dropout (as against posterior collapse in text VAEs): a weaker language model in the
            # decoder makes the image worth reading. The start token is kept.
            drop = torch.rand(dec.shape, generator=drop_rng) < decoder_token_dropout
            drop[:, 0] = False
            dec = dec.masked_fill(drop, pad)
        px, ids, mask, labels, dec = (t.to(device) for t in (px, ids, mask, labels, dec))
        if aux is None and grid is None and mode == "none":
            return seq2seq_loss(model(px, ids, mask, dec), labels)
        embeds, emask = model.encoder_inputs(px, ids, mask)
        states = model.encode(embeds, emask)
        rows = [enc["train"].rows[i] for i in idx]
        # detach "all": the seq2seq loss trains the decoder only, the auxiliary loss alone shapes the image
        # side; "captions": only the caption rows' loss stops at the encoder states (decoder_states).
        logits, _ = model.decode(model.embed_tokens(dec), decoder_states(states, rows, mode), emask)
        # The first `grid_only_steps` train the image side alone, so the decoder starts on informative states.
        loss = seq2seq_loss(logits, labels) * (0.0 if _step < grid_only_steps else 1.0)
        if aux is not None:
            loss = loss + aux_image_words * aux.loss(states[:, :n_img], rows)
        if grid is not None:
            loss = loss + aux_grid * grid.loss(states[:, 1:n_img], rows)
        return loss

    def hook(n: int) -> None:
        after_step(n, model, tok)
        model.train()

    curve = run_steps(model, opt, steps, lr, 1.0, step_loss, t0, warmup, hook if after_step is not None else None)
    valid = evaluate(model, enc["valid"], cache, mean, std, pad, start, device=device)
    progress("eval", split="valid", **valid)
    model.eval()
    metrics = {"family": "florence2", "seed": seed, "steps": steps, "batch": batch, "lr": lr, "init": init,
               "dims": asdict(dims), "max_target_tokens": max_target, "tasks": tasks,
               "train_rows": len(enc["train"].rows), "valid_rows": len(enc["valid"].rows),
               "aux_image_words": aux_image_words, "aux_grid": aux_grid, "grid_only_steps": grid_only_steps,
               # True for "all" as before the modes, so older metrics read the same
               "detach_encoder": {"none": False, "all": True}.get(mode, mode), "decoder_token_dropout": decoder_token_dropout, "bpe_merges": len(tok.merges), "warmup": warmup, "decay_norm_bias": decay_norm_bias,
               "loss_curve": curve, "valid": valid, "train_seconds": round(time.time() - t0, 1), "device": device}
    return model, tok, metrics


def train(split_rows: Dict[str, List[Row]], out_dir: str, steps: int, seed: int, init: Optional[str], batch: int,
          lr: float, dims_json: Optional[str], max_target: Optional[int], name: str, version: str, fp16: bool,
          aux_image_words: float = 0.0, warmup: Optional[int] = None, decay_norm_bias: bool = True,
          aux_grid: float = 0.0, od_suffix: Optional[Dict[str, str]] = None, grid_only_steps: int = 0,
          detach_encoder: Union[bool, str] = False, decoder_token_dropout: float = 0.0, bpe_merges: int = 0,
          device: str = "cpu") -> dict:
    """`fit`, then the model folder, written from the CPU whatever the device: the same ONNX graphs and
    model.pt (CPU tensors) as a CPU run writes."""
    from ..florence2_layout.export_onnx import write_folder
    t0 = time.time()
    model, tok, metrics = fit(split_rows, steps, seed, init, batch, lr, dims_json, max_target, aux_image_words, warmup,
                              decay_norm_bias, aux_grid, od_suffix, grid_only_steps, detach_encoder,
                              decoder_token_dropout, bpe_merges, device)
    model.to("cpu")
    with staged(out_dir) as tmp:
        write_folder(model, tok, tmp, fp16=fp16, log=lambda m: progress("export", message=m))
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=1)
        write_manifest(tmp, {"name": name, "family": "florence2", "version": version, "tasks": metrics["tasks"],
                             "source": "training/trainer (reference trainer)"})
    progress("done", out=os.path.abspath(out_dir), seconds=round(time.time() - t0, 1))
    return metrics
