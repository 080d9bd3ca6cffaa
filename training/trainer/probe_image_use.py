"""Does a Florence-2-layout model use its image? The yardstick for the captioner's image-blindness
(docs/decisions.md, "Why the demo captioner ignored its image, and the cure").

    /usr/bin/python3 -m training.trainer.probe_image_use MODEL_DIR --export EXPORT [--heldout WORLD] [--rows 64] [--images 200]

Prints one JSON object:
- `loss`: token cross-entropy on up to --rows `<CAPTION>` rows of the export's valid split with the
  true images, the same images shuffled across rows, and all-zero pixel values. A model that reads
  its image has true < shuffled; equal losses mean the image does not reach the logits.
- `spread`: after each stage of the encoder (projected image tokens, embedding LayerNorm, each
  encoder layer), how much the image tokens differ across images: `max_abs` is the largest
  |x - mean over images| and `rel` the across-image standard deviation over the per-token standard
  deviation (1 ~ images as different as features; 1e-4 ~ every image gives the same states).
- `captions` (with --heldout, a world folder): greedy `<CAPTION>` on its first --images images, how
  many distinct captions, the most common ones, and (with --score) the brief-caption object F1 from
  `fld world score` (the band's caption figure; boxes are not scored here).
"""
from __future__ import annotations

import argparse
import collections
import json
import sys
import tempfile
from typing import Dict, List, Optional

import torch

from ..florence2_layout.config import construct_prompt, preprocessor_config
from ..florence2_layout.decode import load_folder
from ..florence2_layout.model import padding_mask
from ..florence2_layout.preprocess import preprocess_image
from .common import ImageCache
from .export_data import load_export
from .train_florence2 import Encoded, collate


@torch.no_grad()
def losses(model, tok, rows, batch: int = 16) -> Dict[str, float]:
    pre = preprocessor_config(model.dims)
    mean = torch.tensor(pre["image_mean"]).view(1, 3, 1, 1)
    std = torch.tensor(pre["image_std"]).view(1, 3, 1, 1)
    cache = ImageCache(model.dims.image_size)
    enc = Encoded(rows, tok, pre, 128)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(rows), generator=g)
    out: Dict[str, List[float]] = {"true": [], "shuffled": [], "zero": []}
    n = 0
    for i in range(0, len(rows), batch):
        idx = list(range(i, min(i + batch, len(rows))))
        px, ids, mask, labels, dec = collate(enc, idx, cache, mean, std, tok.pad_id, tok.eos_id)
        shuf, *_ = collate(enc, [int(perm[j]) for j in idx], cache, mean, std, tok.pad_id, tok.eos_id)
        valid = int((labels != -100).sum())
        for key, pixels in (("true", px), ("shuffled", shuf), ("zero", torch.zeros_like(px))):
            logits = model(pixels, ids, mask, dec)
            ce = torch.nn.functional.cross_entropy(logits.transpose(1, 2), labels, ignore_index=-100, reduction="sum")
            out[key].append(float(ce))
        n += valid
    return {k: round(sum(v) / n, 5) for k, v in out.items()}


@torch.no_grad()
def spread(model, tok, pixel_values: torch.Tensor) -> List[dict]:
    """The image tokens' across-image difference after each encoder stage, all rows with the `<CAPTION>` prompt."""
    ids = torch.tensor([tok.encode(construct_prompt("<CAPTION>", preprocessor_config(model.dims)))] * pixel_values.shape[0])
    embeds, mask = model.encoder_inputs(pixel_values, ids, torch.ones_like(ids))
    p = model.dims.num_image_tokens
    img = embeds[:, :p]
    pos = torch.arange(embeds.shape[1]) + 2
    stages = [("image_features", img)]
    x = model.enc_layernorm_embedding(embeds + model.enc_positions(pos))
    stages.append(("layernorm_embedding", x[:, :p]))
    m = padding_mask(mask)
    for k, layer in enumerate(model.encoder_layers):
        x = layer(x, m)
        stages.append((f"encoder_layer_{k}", x[:, :p]))
    if getattr(model, "enc_final_norm", None) is not None:
        x = model.enc_final_norm(x)
        stages.append(("encoder_final_norm", x[:, :p]))
    out = []
    for name, t in stages:
        dev = t - t.mean(dim=0, keepdim=True)
        out.append({"stage": name, "max_abs": float(f"{dev.abs().max():.3g}"),
                    "rel": float(f"{(t.std(dim=0).mean() / t.std(dim=-1).mean()):.3g}")})
    return out


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model_dir")
    p.add_argument("--export", required=True, help="export folder (its valid split's <CAPTION> rows)")
    p.add_argument("--heldout", help="a world folder (fld world generate) for greedy captions")
    p.add_argument("--rows", type=int, default=64)
    p.add_argument("--images", type=int, default=200)
    p.add_argument("--score", action="store_true", help="brief-caption object F1 through fld world score (needs --heldout)")
    p.add_argument("--threads", type=int, default=1)
    a = p.parse_args(argv)
    torch.set_num_threads(a.threads)
    model, tok, pre, gen = load_folder(a.model_dir)
    rows = load_export(a.export, ["<CAPTION>"])["valid"][:a.rows]
    report = {"model": a.model_dir, "rows": len(rows), "loss": losses(model, tok, rows)}
    imgs = sorted({r.image for r in rows})[:32]
    report["spread"] = spread(model, tok, torch.stack([preprocess_image(i, pre) for i in imgs]))
    if a.heldout:
        from ..miniloop import caption, score, world_images, write_labels
        held = world_images(a.heldout)[:a.images]
        caps = caption(a.model_dir, held)
        counts = collections.Counter(caps.values())
        report["captions"] = {"images": len(held), "distinct": len(counts), "top": counts.most_common(3)}
        if a.score:
            with tempfile.TemporaryDirectory(prefix="fld-probe-") as labels:
                write_labels(labels, {}, caps, "probe")
                s = score(a.heldout, labels)
            report["captions"].update({k: round(v, 4) for k, v in s.items() if k.startswith("caption")})
    json.dump(report, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
