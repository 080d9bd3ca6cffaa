"""Writes a model folder in the public Florence-2 ONNX layout (docs/florence2-formats.md section 1).

    /usr/bin/python3 -m training.florence2_layout.export_onnx OUT_DIR [--seed N] [--weights model.pt]
        [--dims dims.json] [--no-fp16]

OUT_DIR gets config.json, generation_config.json, preprocessor_config.json, tokenizer.json,
tokenizer_config.json, model.pt (the PyTorch weights, for the trainer and the reference decode) and
onnx/{vision_encoder,embed_tokens,encoder_model,decoder_model_merged}[_fp16].onnx. The folder is built
in OUT_DIR.tmp-<pid> and renamed into place, so a failure leaves no half-written model.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

import onnx
import torch

from .config import ModelDims, dims_dict, generation_config, model_config, preprocessor_config
from .model import Florence2Tiny
from .onnx_fp16 import convert_float_to_float16
from .onnx_merge import merge_decoders
from .tokenizer import ByteTokenizer

OPSET = 17
GRAPHS = ("vision_encoder", "embed_tokens", "encoder_model", "decoder_model_merged")
# Ops run in float32 inside the fp16 graphs (none needed so far on onnxruntime 1.30 CPU).
FP16_BLOCK_OPS: Tuple[str, ...] = ()


def blas_in_use() -> str:
    """The BLAS library torch is linked against at run time (Debian's torch reports BLAS_INFO=generic)."""
    a = torch.ones(64, 64)
    _ = a @ a
    libs = set()
    with open("/proc/self/maps") as f:
        for line in f:
            path = line.split()[-1]
            if "blas" in os.path.basename(path):
                libs.add(path)
    return ", ".join(sorted(libs)) or "none found in /proc/self/maps"


def kv_names(n_layers: int, prefix: str) -> List[str]:
    return [f"{prefix}.{i}.{part}.{kv}" for i in range(n_layers) for part in ("decoder", "encoder") for kv in ("key", "value")]


class _Vision(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, pixel_values):
        return self.m.encode_image(pixel_values)


class _Embed(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids):
        return self.m.embed_tokens(input_ids)


class _Encoder(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, attention_mask):
        return self.m.encode(inputs_embeds, attention_mask)


class _DecoderNoPast(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, encoder_hidden_states, encoder_attention_mask):
        logits, presents = self.m.decode(inputs_embeds, encoder_hidden_states, encoder_attention_mask)
        flat = [t for (s, c) in presents for t in (*s, *c)]
        return (logits, *flat)


class _DecoderWithPast(torch.nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, inputs_embeds, encoder_attention_mask, *past_flat):
        past = [((past_flat[4 * i], past_flat[4 * i + 1]), (past_flat[4 * i + 2], past_flat[4 * i + 3]))
                for i in range(len(past_flat) // 4)]
        logits, presents = self.m.decode(inputs_embeds, None, encoder_attention_mask, past)
        return (logits, *[t for (s, _c) in presents for t in s])


def _export(module, args, path, input_names, output_names, dynamic_axes) -> onnx.ModelProto:
    torch.onnx.export(module, args, path, input_names=input_names, output_names=output_names,
                      dynamic_axes=dynamic_axes, opset_version=OPSET, do_constant_folding=True)
    model = onnx.load(path)
    got = [i.name for i in model.graph.input]
    if got != input_names:
        # torch drops inputs a graph never reads; a silently missing input breaks runners that feed by name
        raise RuntimeError(f"{os.path.basename(path)}: exported inputs {got} differ from the declared {input_names}")
    return model


def export_graphs(model: Florence2Tiny, work: str) -> Dict[str, onnx.ModelProto]:
    d = model.dims
    n, h, hd, D = d.decoder_layers, d.attention_heads, d.head_dim, d.d_model
    b, s, t, L = 2, 5, 3, d.num_image_tokens + 5
    was_training = model.training
    model.eval()
    out: Dict[str, onnx.ModelProto] = {}
    with torch.no_grad():
        px = torch.randn(b, 3, d.image_size, d.image_size)
        out["vision_encoder"] = _export(_Vision(model), (px,), f"{work}/v.onnx", ["pixel_values"], ["image_features"],
                                        {"pixel_values": {0: "batch_size"}, "image_features": {0: "batch_size"}})
        ids = torch.randint(0, model.vocab_size, (b, s))
        out["embed_tokens"] = _export(_Embed(model), (ids,), f"{work}/e.onnx", ["input_ids"], ["inputs_embeds"],
                                      {"input_ids": {0: "batch_size", 1: "sequence_length"},
                                       "inputs_embeds": {0: "batch_size", 1: "sequence_length"}})
        emb, mask = torch.randn(b, L, D), torch.ones(b, L, dtype=torch.int64)
        mask[1, -2:] = 0
        seq = {0: "batch_size", 1: "encoder_sequence_length"}
        out["encoder_model"] = _export(_Encoder(model), (emb, mask), f"{work}/enc.onnx",
                                       ["inputs_embeds", "attention_mask"], ["last_hidden_state"],
                                       {"inputs_embeds": seq, "attention_mask": seq, "last_hidden_state": seq})

        present = kv_names(n, "present")
        past = kv_names(n, "past_key_values")
        dec_seq = {0: "batch_size", 1: "decoder_sequence_length"}
        axes = {"inputs_embeds": dec_seq, "encoder_hidden_states": seq, "encoder_attention_mask": seq, "logits": dec_seq}
        for name in present:
            axes[name] = {0: "batch_size", 2: "encoder_sequence_length_out" if ".encoder." in name else "past_decoder_sequence_length + decoder_sequence_length"}
        no_past = _export(_DecoderNoPast(model), (torch.randn(b, t, D), emb, mask), f"{work}/dnp.onnx",
                          ["inputs_embeds", "encoder_hidden_states", "encoder_attention_mask"], ["logits", *present], axes)

        past_t = [torch.randn(b, h, (t if ".decoder." in name else L), hd) for name in past]
        axes_wp = {"inputs_embeds": dec_seq, "encoder_attention_mask": seq, "logits": dec_seq}
        for name in past:
            axes_wp[name] = {0: "batch_size", 2: "encoder_sequence_length_out" if ".encoder." in name else "past_decoder_sequence_length"}
        dec_present = [p for p in present if ".decoder." in p]
        for name in dec_present:
            axes_wp[name] = {0: "batch_size", 2: "past_decoder_sequence_length + 1"}
        with_past = _export(_DecoderWithPast(model), (torch.randn(b, 1, D), mask, *past_t), f"{work}/dwp.onnx",
                            ["inputs_embeds", "encoder_attention_mask", *past], ["logits", *dec_present], axes_wp)

    model.train(was_training)
    by_name = {i.name: i for i in list(no_past.graph.input) + list(with_past.graph.input)}
    merged_inputs = [by_name["inputs_embeds"], by_name["encoder_hidden_states"], by_name["encoder_attention_mask"]]
    merged_inputs += [by_name[p] for p in past]
    out["decoder_model_merged"] = merge_decoders(no_past, with_past, merged_inputs)
    return out


def write_folder(model: Florence2Tiny, tok: ByteTokenizer, out_dir: str, fp16: bool = True, log=print) -> None:
    out_dir = os.path.abspath(out_dir)
    tmp = f"{out_dir}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(f"{tmp}/onnx")
    try:
        dims = model.dims
        files = {
            "config.json": model_config(dims, tok),
            "generation_config.json": generation_config(tok),
            "preprocessor_config.json": preprocessor_config(dims),
            "tokenizer.json": tok.to_hf_json(),
            "tokenizer_config.json": tok.tokenizer_config(dims.max_position_embeddings),
        }
        for name, obj in files.items():
            with open(f"{tmp}/{name}", "w", encoding="utf-8") as f:
                json.dump(obj, f, indent=1, ensure_ascii=False)
        torch.save({"dims": dims_dict(dims), "vocab_size": model.vocab_size, "state_dict": model.state_dict()}, f"{tmp}/model.pt")
        with tempfile.TemporaryDirectory() as work:
            t0 = time.time()
            graphs = export_graphs(model, work)
            log(f"exported 4 graphs in {time.time() - t0:.1f}s")
            for name, g in graphs.items():
                onnx.save(g, f"{tmp}/onnx/{name}.onnx")
                if fp16:
                    onnx.save(convert_float_to_float16(g, FP16_BLOCK_OPS), f"{tmp}/onnx/{name}_fp16.onnx")
        if os.path.exists(out_dir):
            shutil.rmtree(out_dir)
        os.rename(tmp, out_dir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def load_model(path: str, tok: ByteTokenizer) -> Florence2Tiny:
    ckpt = torch.load(path, map_location="cpu")
    dims = ModelDims(**ckpt["dims"])
    if ckpt["vocab_size"] != len(tok):
        raise ValueError(f"{path}: weights are for a vocabulary of {ckpt['vocab_size']}, the tokenizer has {len(tok)}")
    model = Florence2Tiny(dims, len(tok), tok.pad_id)
    model.load_state_dict(ckpt["state_dict"])
    return model


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out_dir")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--weights", help="model.pt from a model folder or the trainer; default random weights")
    p.add_argument("--dims", help="JSON file of ModelDims fields overriding the defaults (random weights only)")
    p.add_argument("--no-fp16", action="store_true")
    a = p.parse_args(argv)
    torch.set_num_threads(2)
    t0 = time.time()
    print(f"torch {torch.__version__}, onnx {onnx.__version__}, BLAS in use: {blas_in_use()}", flush=True)
    tok = ByteTokenizer.default()
    if a.weights:
        model = load_model(a.weights, tok)
    else:
        torch.manual_seed(a.seed)
        dims = ModelDims(**(json.load(open(a.dims)) if a.dims else {}))
        model = Florence2Tiny(dims, len(tok), tok.pad_id)
    write_folder(model, tok, a.out_dir, fp16=not a.no_fp16, log=lambda m: print(m, flush=True))
    print(f"wrote {a.out_dir} (vocab {len(tok)}, d_model {model.dims.d_model}, "
          f"{sum(p.numel() for p in model.parameters())} parameters) in {time.time() - t0:.1f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
