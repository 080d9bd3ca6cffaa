"""fp32 -> fp16 graph conversion with float32 I/O kept (`keep_io_types=True`).

transformers.js makes its `*_fp16.onnx` files with onnxconverter-common's `convert_float_to_float16(
model, keep_io_types=True)` (its `scripts/quantize.py`), so the real fp16 files take and return float32
and cast at the edges; Florence-2's processor hands float32 `pixel_values` to `vision_encoder_fp16`,
which only works that way. onnxconverter-common is not installable here, so this is the same
transformation in plain `onnx`: weights, constants and casts inside become float16, If branches
included; each float graph input gets a Cast to float16, each float output a Cast back. Ops in
`block_ops` stay float32 between casts (the converter's op_block_list), for kernels the CPU lacks in fp16.
"""
from __future__ import annotations

from typing import Iterable, List

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

F32, F16 = TensorProto.FLOAT, TensorProto.FLOAT16


def _to_f16_tensor(t: TensorProto) -> TensorProto:
    arr = numpy_helper.to_array(t)
    out = numpy_helper.from_array(np.clip(arr, -65504, 65504).astype(np.float16), t.name)
    return out


def _convert_graph(g: onnx.GraphProto, block_ops: set, counter: List[int]) -> None:
    for i, t in enumerate(g.initializer):
        if t.data_type == F32:
            g.initializer[i].CopyFrom(_to_f16_tensor(t))
    new_nodes: List[onnx.NodeProto] = []
    for n in g.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR and a.t.data_type == F32:
                a.t.CopyFrom(_to_f16_tensor(a.t))
            elif a.type == onnx.AttributeProto.GRAPH:
                _convert_graph(a.g, block_ops, counter)
            elif a.type == onnx.AttributeProto.GRAPHS:
                for sub in a.graphs:
                    _convert_graph(sub, block_ops, counter)
            if n.op_type == "Cast" and a.name == "to" and a.i == F32:
                a.i = F16
        if n.op_type in block_ops:
            # run this node in float32: cast its inputs up and its outputs back down
            ins = []
            for name in n.input:
                counter[0] += 1
                up = f"{name}_fp32_{counter[0]}"
                new_nodes.append(helper.make_node("Cast", [name], [up], to=F32, name=up + "_cast"))
                ins.append(up)
            del n.input[:]
            n.input.extend(ins)
            outs = list(n.output)
            del n.output[:]
            n.output.extend(o + "_fp32" for o in outs)
            new_nodes.append(n)
            for o in outs:
                new_nodes.append(helper.make_node("Cast", [o + "_fp32"], [o], to=F16, name=o + "_cast"))
            continue
        new_nodes.append(n)
    del g.node[:]
    g.node.extend(new_nodes)
    for vi in list(g.value_info) + list(g.output) + list(g.input):
        if vi.type.tensor_type.elem_type == F32:
            vi.type.tensor_type.elem_type = F16


def convert_float_to_float16(model: onnx.ModelProto, block_ops: Iterable[str] = ()) -> onnx.ModelProto:
    m = onnx.ModelProto()
    m.CopyFrom(model)
    g = m.graph
    float_inputs = [i.name for i in g.input if i.type.tensor_type.elem_type == F32]
    float_outputs = [o.name for o in g.output if o.type.tensor_type.elem_type == F32]
    del g.value_info[:]  # stale after conversion; ORT infers shapes itself
    _convert_graph(g, set(block_ops), [0])

    rename = {name: name + "_fp16" for name in float_inputs}
    rename.update({name: name + "_fp16out" for name in float_outputs})

    def fix(graph: onnx.GraphProto):
        for n in graph.node:
            for k, name in enumerate(n.input):
                if name in float_inputs:
                    n.input[k] = rename[name]
            for k, name in enumerate(n.output):
                if name in float_outputs:
                    n.output[k] = rename[name]
            for a in n.attribute:
                if a.type == onnx.AttributeProto.GRAPH:
                    fix(a.g)
    fix(g)
    head = [helper.make_node("Cast", [name], [rename[name]], to=F16, name=name + "_to_fp16") for name in float_inputs]
    tail = [helper.make_node("Cast", [rename[name]], [name], to=F32, name=name + "_to_fp32") for name in float_outputs]
    nodes = head + list(g.node) + tail
    del g.node[:]
    g.node.extend(nodes)
    for vi in list(g.input) + list(g.output):
        if vi.name in float_inputs or vi.name in float_outputs:
            vi.type.tensor_type.elem_type = F32
    onnx.checker.check_model(m)
    return m
