"""Trains the demo Florence-2-layout model (training/florence2_layout) multitask on an export's rows
and writes the model folder through the spike's exporter, so the layout is exactly the spike's, plus
`metrics.json` and `fld-model.json`."""
from __future__ import annotations

import json
import os
import random
import time
from dataclasses import asdict
from typing import Dict, List, Optional, Sequence

import torch

from ..florence2_layout.config import ModelDims, construct_prompt, preprocessor_config
from ..florence2_layout.export_onnx import load_model, write_folder
from ..florence2_layout.model import Florence2Tiny, seq2seq_loss, shift_tokens_right
from ..florence2_layout.tokenizer import ByteTokenizer
from .common import ImageCache, progress, run_steps
from .export_data import Row
from .model_folder import staged, write_manifest


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


def collate(enc: Encoded, idx: List[int], cache: ImageCache, mean: torch.Tensor, std: torch.Tensor, pad: int, start: int):
    px = torch.stack([cache.get(enc.rows[i].image) for i in idx]).float() / 255.0
    px = (px - mean) / std
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
def evaluate(model, enc: Encoded, cache, mean, std, pad, start, batch: int = 16) -> dict:
    model.eval()
    tot, n, correct = 0.0, 0, 0
    per_task: Dict[str, List[float]] = {}
    order = sorted(range(len(enc.rows)), key=lambda j: len(enc.labels[j]))
    for i in range(0, len(order), batch):
        idx = order[i:i + batch]
        px, ids, mask, labels, dec = collate(enc, idx, cache, mean, std, pad, start)
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


def train(split_rows: Dict[str, List[Row]], out_dir: str, steps: int, seed: int, init: Optional[str], batch: int,
          lr: float, dims_json: Optional[str], max_target: int, name: str, version: str, fp16: bool) -> dict:
    t0 = time.time()
    tok = ByteTokenizer.default()
    if init:
        model = load_model(os.path.join(init, "model.pt"), tok)
    else:
        dims = ModelDims(**(json.loads(dims_json) if dims_json else {}))
        model = Florence2Tiny(dims, len(tok), tok.pad_id)
    dims = model.dims
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
             parameters=sum(p.numel() for p in model.parameters()))
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    rng = random.Random(seed)
    queue: List[List[int]] = []

    def step_loss(_step: int):
        nonlocal queue
        if not queue:
            queue = batches_by_length(enc["train"], batch, rng)
        px, ids, mask, labels, dec = collate(enc["train"], queue.pop(), cache, mean, std, pad, start)
        return seq2seq_loss(model(px, ids, mask, dec), labels)

    curve = run_steps(model, opt, steps, lr, 1.0, step_loss, t0)
    valid = evaluate(model, enc["valid"], cache, mean, std, pad, start)
    progress("eval", split="valid", **valid)
    model.eval()
    metrics = {"family": "florence2", "seed": seed, "steps": steps, "batch": batch, "lr": lr, "init": init,
               "dims": asdict(dims), "max_target_tokens": max_target, "tasks": tasks,
               "train_rows": len(enc["train"].rows), "valid_rows": len(enc["valid"].rows),
               "loss_curve": curve, "valid": valid, "train_seconds": round(time.time() - t0, 1)}
    with staged(out_dir) as tmp:
        write_folder(model, tok, tmp, fp16=fp16, log=lambda m: progress("export", message=m))
        with open(os.path.join(tmp, "metrics.json"), "w") as f:
            json.dump(metrics, f, indent=1)
        write_manifest(tmp, {"name": name, "family": "florence2", "version": version, "tasks": tasks,
                             "source": "training/trainer (reference trainer)"})
    progress("done", out=os.path.abspath(out_dir), seconds=round(time.time() - t0, 1))
    return metrics
