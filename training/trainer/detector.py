"""A small anchor-free YOLO-like detector whose ONNX output is the YOLO (ultralytics v8) layout the
engine's detector adapter reads: `output0` [B, 4 + C, A], per anchor centre x, y, width, height in
input (letterbox) pixels, then C class scores after sigmoid. Input `images` [B, 3, S, S], RGB in
[0, 1] after a letterbox padded with 114 (ultralytics' preprocessing).

Two feature levels (stride 8 and 16), one shared head shape per level; a box is predicted as
centre offsets and log sizes relative to its cell, decoded inside the graph so the output is in
pixels. Training targets: every cell whose centre lies in the central part of a labelled box is a
positive for that box (the smallest box wins), class BCE over all cells, GIoU + L1 on positives.
"""
from __future__ import annotations

from typing import List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from torch import nn
from torchvision.ops import batched_nms, box_iou, generalized_box_iou_loss

LETTERBOX_PAD = 114
STRIDES = (8, 16)


def conv(cin: int, cout: int, stride: int = 1) -> nn.Module:
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride, 1, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class TinyYolo(nn.Module):
    def __init__(self, num_classes: int, image_size: int = 256, width: int = 32):
        super().__init__()
        w = width
        self.num_classes, self.image_size = num_classes, image_size
        self.s8 = nn.Sequential(conv(3, w // 2, 2), conv(w // 2, w, 2), conv(w, w), conv(w, 2 * w, 2), conv(2 * w, 2 * w))
        self.s16 = nn.Sequential(conv(2 * w, 3 * w, 2), conv(3 * w, 3 * w), conv(3 * w, 3 * w))
        # stride 8 sees the stride-16 context (upsampled); 1x1 because a 3x3 here was a third of the compute
        self.lat = nn.Sequential(nn.Conv2d(5 * w, 2 * w, 1, bias=False), nn.BatchNorm2d(2 * w), nn.SiLU())
        self.heads = nn.ModuleList(nn.Sequential(conv(c, c), nn.Conv2d(c, 4 + num_classes, 1)) for c in (2 * w, 3 * w))
        for h in self.heads:  # a low class prior, as detection heads start (focal-loss paper)
            nn.init.constant_(h[-1].bias[4:], -4.0)
        for s in STRIDES:
            g = image_size // s
            ys, xs = torch.meshgrid(torch.arange(g), torch.arange(g), indexing="ij")
            self.register_buffer(f"grid{s}", torch.stack([xs, ys], 0).reshape(2, -1).float() + 0.5, persistent=False)

    def raw(self, images: torch.Tensor) -> torch.Tensor:
        """[B, 4 + C, A]: box logits then class logits."""
        f8 = self.s8(images)
        f16 = self.s16(f8)
        f8 = self.lat(torch.cat([f8, F.interpolate(f16, scale_factor=2.0, mode="nearest")], 1))
        outs = [h(f).flatten(2) for h, f in zip(self.heads, (f8, f16))]
        return torch.cat(outs, 2)

    def decode_boxes(self, raw: torch.Tensor) -> torch.Tensor:
        """Box logits -> [B, 4, A] centre x, y, w, h in input pixels."""
        parts = []
        start = 0
        for s in STRIDES:
            g = getattr(self, f"grid{s}")
            n = g.shape[1]
            r = raw[:, :4, start:start + n]
            xy = (g[None] + torch.tanh(r[:, :2]) * 1.5) * s
            wh = torch.exp(r[:, 2:4].clamp(-6, 6)) * (4 * s)
            parts.append(torch.cat([xy, wh], 1))
            start += n
        return torch.cat(parts, 2)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        raw = self.raw(images)
        return torch.cat([self.decode_boxes(raw), torch.sigmoid(raw[:, 4:])], 1)

    def anchor_info(self) -> Tuple[torch.Tensor, torch.Tensor]:
        """Cell centres [A, 2] in pixels and each anchor's stride [A]."""
        cs, ss = [], []
        for s in STRIDES:
            g = getattr(self, f"grid{s}")
            cs.append(g.t() * s)
            ss.append(torch.full((g.shape[1],), float(s)))
        return torch.cat(cs), torch.cat(ss)


def cxcywh_to_xyxy(b: torch.Tensor) -> torch.Tensor:
    cx, cy, w, h = b.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], -1)


def assign(centres: torch.Tensor, strides: torch.Tensor, boxes: torch.Tensor) -> torch.Tensor:
    """Index of the target box per anchor (-1 = background). A cell is positive for a box when its
    centre lies inside the box's central half and the box's size suits the level (stride 8 for
    boxes under 64 px on their long side, stride 16 from 48 px: overlapping bands)."""
    if boxes.numel() == 0:
        return torch.full((centres.shape[0],), -1, dtype=torch.long)
    x0, y0, x1, y1 = boxes.unbind(-1)
    cx, cy, bw, bh = (x0 + x1) / 2, (y0 + y1) / 2, (x1 - x0), (y1 - y0)
    rx = torch.maximum(bw / 4, strides[:, None] * 0.75)
    ry = torch.maximum(bh / 4, strides[:, None] * 0.75)
    inside = ((centres[:, 0:1] - cx[None]).abs() <= rx) & ((centres[:, 1:2] - cy[None]).abs() <= ry)
    long_side = torch.maximum(bw, bh)[None]
    level_ok = torch.where(strides[:, None] == 8, long_side < 64, long_side >= 48)
    ok = inside & level_ok
    area = (bw * bh)[None].expand_as(ok).clone()
    area[~ok] = float("inf")
    best = area.argmin(1)
    best[~ok.any(1)] = -1
    return best


def loss_fn(model: TinyYolo, images: torch.Tensor, targets: Sequence[Tuple[torch.Tensor, torch.Tensor]]) -> torch.Tensor:
    raw = model.raw(images)
    boxes = cxcywh_to_xyxy(model.decode_boxes(raw).transpose(1, 2))  # [B, A, 4]
    logits = raw[:, 4:].transpose(1, 2)  # [B, A, C]
    centres, strides = model.anchor_info()
    cls_t = torch.zeros_like(logits)
    box_losses, n_pos = [], 0
    for b, (tb, tc) in enumerate(targets):
        idx = assign(centres, strides, tb)
        pos = idx >= 0
        if pos.any():
            cls_t[b, pos, tc[idx[pos]]] = 1.0
            pb, gt = boxes[b, pos], tb[idx[pos]]
            box_losses.append(generalized_box_iou_loss(pb, gt, reduction="sum")
                              + (F.l1_loss(pb, gt, reduction="none") / strides[pos, None]).sum() * 0.05)
            n_pos += int(pos.sum())
    norm = max(n_pos, 1)
    cls = F.binary_cross_entropy_with_logits(logits, cls_t, reduction="sum") / norm
    box = torch.stack(box_losses).sum() / norm if box_losses else logits.sum() * 0
    return cls + 2.0 * box


def letterbox(img: Image.Image, size: int) -> Tuple[torch.Tensor, float, int, int]:
    """What the engine's TypeScript letterbox does: keep aspect, bilinear, centre, pad 114, /255."""
    img = img.convert("RGB")
    scale = min(size / img.width, size / img.height)
    nw, nh = max(1, round(img.width * scale)), max(1, round(img.height * scale))
    px, py = max(0, round((size - nw) / 2 - 0.1)), max(0, round((size - nh) / 2 - 0.1))
    canvas = np.full((size, size, 3), LETTERBOX_PAD, np.uint8)
    resized = img if (nw, nh) == img.size else img.resize((nw, nh), Image.BILINEAR)
    canvas[py:py + nh, px:px + nw] = np.asarray(resized)
    return torch.from_numpy(canvas).permute(2, 0, 1).contiguous(), scale, px, py


@torch.no_grad()
def predict(model: TinyYolo, images: torch.Tensor, score: float = 0.25, iou: float = 0.5, max_det: int = 100) -> List[Tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """Per image: boxes xyxy (input pixels), scores, class ids; class-aware NMS."""
    out = model(images)
    res = []
    for o in out:
        boxes = cxcywh_to_xyxy(o[:4].t())
        sc, cl = o[4:].max(0)
        keep = sc >= score
        boxes, sc, cl = boxes[keep], sc[keep], cl[keep]
        k = batched_nms(boxes, sc, cl, iou)[:max_det]
        res.append((boxes[k], sc[k], cl[k]))
    return res


def f1_at_05(preds, truths) -> dict:
    """Greedy one-to-one matching per image and class at IoU 0.5 (what demo/quality does)."""
    tp = fp = fn = 0
    for (pb, ps, pc), (tb, tc) in zip(preds, truths):
        used = torch.zeros(len(tb), dtype=torch.bool)
        for i in ps.argsort(descending=True).tolist():
            cand = (tc == pc[i]) & ~used
            if cand.any() and len(tb):
                ious = box_iou(pb[i:i + 1], tb)[0]
                ious[~cand] = -1
                j = int(ious.argmax())
                if ious[j] >= 0.5:
                    used[j] = True
                    tp += 1
                    continue
            fp += 1
        fn += int((~used).sum())
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}
