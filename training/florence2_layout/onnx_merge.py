"""Merge a no-past decoder and a with-past decoder into one graph with an `If` on `use_cache_branch`.

The route optimum's `merge_decoders` takes, redone with plain `onnx` (optimum is not installable here):
- outputs unified: the with-past decoder has no `present.*.encoder.*`, so its branch returns empty
  constant placeholders for them, as optimum does (batch axis 0, other dynamic axes 1); runners keep
  the step-0 encoder entries (docs/florence2-formats.md section 1, decode loop);
- initializers deduplicated by content and lifted to the outer graph, where both branches see them;
- every value inside a branch prefixed, so names stay unique across the model (SSA);
- branch outputs renamed and produced by their own node, never an outer-scope value returned directly
  (the "Subgraph output is an outer scope value" load failure of docs/florence2-formats.md section 6).
"""
from __future__ import annotations

import hashlib
from typing import Dict, List, Sequence

import onnx
from onnx import TensorProto, helper


def _tensor_key(t: TensorProto) -> str:
    h = hashlib.sha256()
    h.update(str((t.data_type, tuple(t.dims))).encode())
    h.update(onnx.numpy_helper.to_array(t).tobytes())
    return h.hexdigest()


def _dims(vi: onnx.ValueInfoProto) -> List:
    return [d.dim_param if d.dim_param else d.dim_value for d in vi.type.tensor_type.shape.dim]


def _placeholder(name: str, like: onnx.ValueInfoProto) -> onnx.NodeProto:
    dims, seen_dynamic = [], False
    for d in _dims(like):
        if isinstance(d, str):
            dims.append(1 if seen_dynamic else 0)
            seen_dynamic = True
        else:
            dims.append(d)
    value = helper.make_tensor(f"{name}_value", like.type.tensor_type.elem_type, dims, vals=[])
    return helper.make_node("Constant", [], [name], name=f"{name}_placeholder", value=value)


def _branch(model: onnx.ModelProto, prefix: str, outer_inputs: set, init_rename: Dict[str, str],
            outputs: Sequence[onnx.ValueInfoProto]) -> onnx.GraphProto:
    g = model.graph
    produced = {o for n in g.node for o in n.output}
    graph_outputs = {o.name for o in g.output}
    nodes: List[onnx.NodeProto] = []

    def rename(name: str) -> str:
        if name == "" or name in outer_inputs and name not in produced:
            return name
        if name in init_rename:
            return init_rename[name]
        return prefix + name

    for n in g.node:
        m = onnx.NodeProto()
        m.CopyFrom(n)
        m.name = prefix + (n.name or n.op_type)
        del m.input[:]
        m.input.extend(rename(i) for i in n.input)
        del m.output[:]
        m.output.extend(rename(o) for o in n.output)
        nodes.append(m)

    out_infos = []
    for vi in outputs:
        branch_name = prefix + "out/" + vi.name
        if vi.name in graph_outputs:
            nodes.append(helper.make_node("Identity", [rename(vi.name)], [branch_name], name=branch_name + "_identity"))
        else:
            nodes.append(_placeholder(branch_name, vi))
        out = onnx.ValueInfoProto()
        out.CopyFrom(vi)
        out.name = branch_name
        out_infos.append(out)
    return helper.make_graph(nodes, prefix.rstrip("/"), [], out_infos)


def merge_decoders(no_past: onnx.ModelProto, with_past: onnx.ModelProto, inputs: Sequence[onnx.ValueInfoProto],
                   cond_name: str = "use_cache_branch") -> onnx.ModelProto:
    """`inputs`: the merged graph's inputs (all of both decoders', in the published order), without
    the condition, which is appended as bool [1]. Outputs follow the no-past decoder's order."""
    outputs = list(no_past.graph.output)
    missing = {o.name for o in with_past.graph.output} - {o.name for o in outputs}
    if missing:
        raise ValueError(f"with-past decoder has outputs the no-past one lacks: {sorted(missing)}")

    # Deduplicate initializers by content across both graphs.
    outer_inits: Dict[str, TensorProto] = {}
    by_key: Dict[str, str] = {}
    renames = []
    for idx, m in enumerate((no_past, with_past)):
        rn: Dict[str, str] = {}
        for t in m.graph.initializer:
            key = _tensor_key(t)
            if key not in by_key:
                name = f"shared_{len(by_key)}_{t.name}" if t.name in outer_inits else t.name
                by_key[key] = name
                c = TensorProto()
                c.CopyFrom(t)
                c.name = name
                outer_inits[name] = c
            rn[t.name] = by_key[key]
        renames.append(rn)

    outer_names = {i.name for i in inputs} | {cond_name}
    else_g = _branch(no_past, "no_past/", outer_names, renames[0], outputs)
    then_g = _branch(with_past, "with_past/", outer_names, renames[1], outputs)
    cond = helper.make_tensor_value_info(cond_name, TensorProto.BOOL, [1])
    if_node = helper.make_node("If", [cond_name], [o.name for o in outputs], name="optimum::if",
                               then_branch=then_g, else_branch=else_g)
    graph = helper.make_graph([if_node], "merged_decoder", list(inputs) + [cond], outputs,
                              initializer=list(outer_inits.values()))
    opset = max(no_past.opset_import[0].version, with_past.opset_import[0].version)
    merged = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                               producer_name="fld-engine florence2_layout")
    merged.ir_version = no_past.ir_version
    onnx.checker.check_model(merged)
    return merged
