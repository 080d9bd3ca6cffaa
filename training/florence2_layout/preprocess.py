"""Image -> pixel_values as the Florence-2 processor makes them, with the numbers read from
preprocessor_config.json: resize to `size` (aspect ratio not kept, bicubic), RGB, rescale, normalise.

transformers.js resizes with sharp and this with Pillow; both bicubic, so pixels differ slightly at
edges. That is fine for training; the ONNX comparison tests feed identical pixel_values to both sides.
"""
from __future__ import annotations

from typing import Dict, Union

import numpy as np
import torch
from PIL import Image, ImageOps


def preprocess_image(image: Union[str, Image.Image], pre: Dict) -> torch.Tensor:
    """[3, H, W] float32."""
    # EXIF orientation applied, as the engine's image loader does: boxes are in oriented pixels
    img = ImageOps.exif_transpose(Image.open(image)) if isinstance(image, str) else image
    if pre.get("do_convert_rgb", True):
        img = img.convert("RGB")
    if pre.get("do_resize", True):
        size = pre["size"]
        img = img.resize((size["width"], size["height"]), resample=pre.get("resample", 3))
    x = np.asarray(img, dtype=np.float32)
    if pre.get("do_rescale", True):
        x = x * pre.get("rescale_factor", 1 / 255)
    if pre.get("do_normalize", True):
        x = (x - np.asarray(pre["image_mean"], np.float32)) / np.asarray(pre["image_std"], np.float32)
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))
