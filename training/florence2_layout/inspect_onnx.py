"""Prints what a graph file holds, as JSON, for tests and for people: inputs and outputs (name, element
type, shape), the top-level op types, the element types of the weights, and for an `If` its condition
and branch output names.

    /usr/bin/python3 -m training.florence2_layout.inspect_onnx FILE.onnx [FILE.onnx ...]
"""
from __future__ import annotations

import json
import sys
from collections import Counter

import onnx
from onnx import TensorProto


def _vi(v):
    shape = [d.dim_param or d.dim_value for d in v.type.tensor_type.shape.dim]
    return {"name": v.name, "type": TensorProto.DataType.Name(v.type.tensor_type.elem_type).lower(), "shape": shape}


def describe(path: str) -> dict:
    m = onnx.load(path)
    g = m.graph
    info = {
        "inputs": [_vi(v) for v in g.input],
        "outputs": [_vi(v) for v in g.output],
        "top_ops": sorted({n.op_type for n in g.node}),
        "initializer_types": dict(Counter(TensorProto.DataType.Name(t.data_type).lower() for t in g.initializer)),
        "opset": m.opset_import[0].version,
    }
    for n in g.node:
        if n.op_type == "If":
            branches = {a.name: a.g for a in n.attribute}
            info["if"] = {
                "condition": n.input[0],
                "then_outputs": [o.name for o in branches["then_branch"].output],
                "else_outputs": [o.name for o in branches["else_branch"].output],
                "then_ops": sorted({x.op_type for x in branches["then_branch"].node}),
            }
    return info


if __name__ == "__main__":
    print(json.dumps({p: describe(p) for p in sys.argv[1:]}))
