"""Pieces both trainers share: progress lines, seeding, the device, the learning-rate schedule, image
cache, `<loc_N>` parsing."""
from __future__ import annotations

import json
import math
import random
import re
import sys
import time
from typing import Callable, Dict, Iterable, List, Optional, Tuple

import numpy as np
import torch
from PIL import Image, ImageOps

LOC_BINS = 1000
# Florence-2 <OD> writes a class name once, then every box of that class (docs/florence2-formats.md
# section 4): name(<4 locs>)+
OD_ITEM = re.compile(r"([^<]+)((?:<loc_\d+>)+)")
LOC_NUM = re.compile(r"<loc_(\d+)>")


def progress(event: str, **fields) -> None:
    """One JSON object per line on stdout: what the training stage's worker streams."""
    sys.stdout.write(json.dumps({"event": event, "t": round(time.time(), 3), **fields}) + "\n")
    sys.stdout.flush()


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def resolve_device(name: str) -> str:
    """`auto` -> "cuda" when torch sees a CUDA device, else "cpu"; `cpu` as is; `cuda` only where torch
    sees one (ValueError otherwise, which the trainer turns into exit 2)."""
    if name == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if name == "cuda" and not torch.cuda.is_available():
        why = "this torch has no CUDA support" if torch.version.cuda is None else "torch finds no CUDA device"
        raise ValueError(f"--device cuda: CUDA is not available ({why}, torch {torch.__version__}); "
                         "use --device cpu or --device auto")
    if name not in ("cpu", "cuda"):
        raise ValueError(f"--device must be auto, cpu or cuda, got {name!r}")
    return name


def lr_at(step: int, steps: int, peak: float, warmup: int) -> float:
    if step < warmup:
        return peak * (step + 1) / warmup
    t = (step - warmup) / max(1, steps - warmup)
    return peak * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * t)))



def run_steps(model, opt, steps: int, peak_lr: float, clip: float, step_loss, t0: float, warmup: Optional[int] = None,
              after_step: Optional[Callable[[int], None]] = None) -> List[Dict]:
    """The optimisation loop both trainers share: warm-up then schedule, gradient clipping, a loss
    curve of about 50 points and one progress line per point. `step_loss(step)` returns the batch loss;
    `warmup` defaults to steps // 20; `after_step(n)` runs after the n-th step (n from 1; a caller that
    evaluates there puts the model back in training mode)."""
    curve: List[Dict] = []
    running: List[float] = []
    model.train()
    for step in range(steps):
        for g in opt.param_groups:
            g["lr"] = lr_at(step, steps, peak_lr, max(1, warmup if warmup is not None else steps // 20))
        loss = step_loss(step)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for g in opt.param_groups for p in g["params"]], clip)
        opt.step()
        running.append(float(loss))
        if (step + 1) % max(1, steps // 50) == 0 or step + 1 == steps:
            curve.append({"step": step + 1, "loss": sum(running) / len(running)})
            progress("step", step=step + 1, steps=steps, loss=round(curve[-1]["loss"], 5), elapsed_s=round(time.time() - t0, 1))
            running = []
        if after_step is not None:
            after_step(step + 1)
    return curve

def dequantise(bin_: int, size: float) -> float:
    """The centre of a floor-rule bin (docs/florence2-formats.md section 4)."""
    return (bin_ + 0.5) * size / LOC_BINS


def parse_od(suffix: str, width: int, height: int) -> List[Tuple[str, List[float]]]:
    """`name<loc_x0><loc_y0><loc_x1><loc_y1>[<4 more locs>...]...` -> [(name, [x0, y0, x1, y1] pixels)], one per box."""
    out = []
    for name, locs in OD_ITEM.findall(suffix):
        b = [int(v) for v in LOC_NUM.findall(locs)]
        if len(b) % 4:
            raise ValueError(f"<OD> item {name.strip()!r} has {len(b)} location tokens, not a multiple of 4")
        for i in range(0, len(b), 4):
            out.append((name.strip(), [dequantise(b[i], width), dequantise(b[i + 1], height),
                                       dequantise(b[i + 2], width), dequantise(b[i + 3], height)]))
    return out


class ImageCache:
    """Decoded images as uint8 [3, H, W] tensors after a resize to the model's input size, each file
    read once (every task row of an image shares it)."""

    def __init__(self, size: int, resample: int = Image.BICUBIC):
        self.size, self.resample = size, resample
        self.images: Dict[str, torch.Tensor] = {}
        self.sizes: Dict[str, Tuple[int, int]] = {}

    def get(self, path: str) -> torch.Tensor:
        t = self.images.get(path)
        if t is None:
            with Image.open(path) as raw:
                im = ImageOps.exif_transpose(raw).convert("RGB")  # boxes are in oriented pixels
                self.sizes[path] = im.size
                if im.size != (self.size, self.size):
                    im = im.resize((self.size, self.size), resample=self.resample)
                t = torch.from_numpy(np.asarray(im).copy()).permute(2, 0, 1).contiguous()
            self.images[path] = t
        return t

    def load_all(self, paths: Iterable[str]) -> None:
        for p in paths:
            self.get(p)
