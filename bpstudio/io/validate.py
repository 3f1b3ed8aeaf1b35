"""Hand-written structural checks for bpstudio graph files (JSON v1).

Every check raises ``Problem(path, message)``; ``path`` is the JSON path of the
offending value, e.g. ``("nodes", 3, "value")``, and the loader turns it into a
line number. The checks are plain type tests so a 200,000-node file stays fast;
the JSON Schema in resources/ describes the same structure for other tools.
"""
from __future__ import annotations

import difflib
import json
import math
import sys

import numpy as np

from ..engine.graph import ROLES
from ..engine.ops import LEAF, OPS
from ..engine.ops_tensor import SHAPE_ATTRS, attr_ok

FORMAT = "bpstudio.graph"
SUPPORTED_VERSIONS = (1,)
TOP_KEYS = ("dataset", "format", "nodes", "output", "title", "training", "version", "view")
LEAF_KEYS = frozenset({"id", "label", "op", "role", "value", "shape"})
OP_KEYS = frozenset({"id", "label", "op", "inputs", "attrs"})
REDUCTIONS = ("sum", "mean")
OPTIMIZERS = ("sgd",)
MAX_NDIM = 32
_NUM = frozenset({int, float})
_FMAX = sys.float_info.max
_MISSING = object()


class Problem(Exception):
    """One thing wrong with a document, at a JSON path."""

    def __init__(self, path, message: str):
        super().__init__(message)
        self.path = tuple(path)
        self.message = message


class NonFinite:
    """Stands in for a NaN / Infinity / -Infinity literal until a check reports it."""

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


def short(s, limit: int = 60) -> str:
    """repr() of a string, cut to a readable length."""
    r = repr(s)
    return r if len(r) <= limit else r[:limit - 4] + "…" + r[-1]


def describe(x) -> str:
    """A JSON value's kind, as a user would name it."""
    if isinstance(x, NonFinite):
        return f"{x.text} (JSON numbers must be finite)"
    if x is None:
        return "null"
    if type(x) is bool:
        return "true" if x else "false"
    if type(x) in _NUM:
        return f"the number {x!r}"
    if isinstance(x, str):
        return f"the string {short(x, 40)}"
    try:
        text = json.dumps(x, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):       # holds a NaN/Infinity stand-in
        text = ""
    if text and len(text) <= 40:
        return text
    return "an array" if isinstance(x, list) else "an object"


def suggest(word, choices) -> str:
    close = difflib.get_close_matches(str(word), list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def finite_number(x, path, what: str):
    """Return x if it is a finite JSON number (not a boolean), else raise."""
    t = type(x)
    if t is float:
        if math.isfinite(x):
            return x
    elif t is int:
        if -_FMAX <= x <= _FMAX:
            return x
    else:
        raise Problem(path, f"{what} must be a number, got {describe(x)}")
    raise Problem(path, f"{what} is out of range (too large for a float64)")


def integer(x, path, what: str, minimum: int = 0, maximum: int | None = None) -> int:
    if type(x) is not int:
        raise Problem(path, f"{what} must be an integer ≥ {minimum}, got {describe(x)}")
    if x < minimum:
        raise Problem(path, f"{what} must be ≥ {minimum}, got {short_int(x)}")
    if maximum is not None and x > maximum:
        raise Problem(path, f"{what} must be at most {maximum:,}, got {short_int(x)}")
    return x


def short_int(x: int) -> str:
    """An integer for an error line: a 40-digit one as its first digits and length."""
    text = str(x)
    return text if len(text) <= 15 else f"{text[:6]}… ({len(text.lstrip('-'))} digits)"


def dotted(path) -> str:
    """("training", "note", 1) -> 'training.note[1]'."""
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def check_plain(x, path) -> None:
    """Reject NaN/Infinity (and overflowing numbers) anywhere inside carried-through data."""
    stack = [(x, tuple(path))]
    while stack:
        v, p = stack.pop()
        if isinstance(v, NonFinite) or type(v) in _NUM:
            finite_number(v, p, dotted(p))
        elif isinstance(v, dict):
            stack.extend((w, p + (k,)) for k, w in v.items())
        elif isinstance(v, list):
            stack.extend((w, p + (i,)) for i, w in enumerate(v))


# ---- the document ------------------------------------------------------------

def check_header(doc) -> None:
    if type(doc) is not dict:
        raise Problem((), f"the top level must be a JSON object {{…}}, got {describe(doc)}")
    supported = ", ".join(map(str, SUPPORTED_VERSIONS))
    if "format" not in doc:
        raise Problem((), f'missing "format": "{FORMAT}" — is this a bpstudio graph file?')
    if doc["format"] != FORMAT:
        raise Problem(("format",), f'"format" is {describe(doc["format"])}, expected "{FORMAT}"')
    if "version" not in doc:
        raise Problem((), f'missing "version" (supported versions: {supported})')
    v = doc["version"]
    if type(v) is not int:
        raise Problem(("version",), f"version must be an integer, got {describe(v)} "
                                    f"(supported versions: {supported})")
    if v not in SUPPORTED_VERSIONS:
        newer = " — the file was written by a newer bpstudio" if v > max(SUPPORTED_VERSIONS) else ""
        raise Problem(("version",), f"version {v} is not supported{newer} "
                                    f"(supported versions: {supported})")
    for k in doc:
        if k not in TOP_KEYS:
            hint = suggest(k, TOP_KEYS) or f" (expected: {', '.join(TOP_KEYS)})"
            raise Problem((k,), f"unknown top-level key {short(k)}{hint}")
    title = doc.get("title", "")
    if not isinstance(title, str):
        raise Problem(("title",), f"title must be a string, got {describe(title)}")


def check_document(doc, max_nodes: int):
    """Check header and nodes; return (node specs, id -> index). Raises Problem."""
    check_header(doc)
    nodes = doc.get("nodes", _MISSING)
    if nodes is _MISSING:
        raise Problem((), 'missing "nodes" (a list of node objects)')
    if type(nodes) is not list:
        raise Problem(("nodes",), f'"nodes" must be a list of node objects, got {describe(nodes)}')
    if len(nodes) > max_nodes:
        raise Problem(("nodes",), f"too many nodes: {len(nodes):,} (the limit is {max_nodes:,})")
    if not nodes:
        raise Problem(("nodes",), '"nodes" is empty: a graph needs at least one node')
    specs, index = check_nodes(nodes)
    check_output(doc, index)
    return specs, index


def check_output(doc, index) -> None:
    if "output" not in doc:
        raise Problem((), 'missing "output" (the id of the node whose grad is seeded with 1)')
    out = doc["output"]
    if not isinstance(out, str):
        raise Problem(("output",), f"output must be a node id (string), got {describe(out)}")
    if out not in index:
        raise Problem(("output",), f"output {short(out)} is not a node{suggest(out, index)}")


def check_nodes(nodes):
    specs: list[tuple] = []
    index: dict[str, int] = {}
    for i, raw in enumerate(nodes):
        spec = None
        if type(raw) is dict:
            nid = raw.get("id")
            if type(nid) is str and nid and nid not in index:
                spec = _fast_node(raw, nid)
        if spec is None:
            spec = check_node(raw, i, index)
        index[spec[0]] = i
        specs.append(spec)
    for i, spec in enumerate(specs):
        for j, src in enumerate(spec[2]):
            if src not in index:
                raise Problem(("nodes", i, "inputs", j),
                              f"node {short(spec[0])}: input {short(src)} is not a node"
                              f"{suggest(src, index)}")
    return specs, index


_ROLE_SET = frozenset(ROLES)
_FAST_LEAF_KEYS = frozenset({"id", "label", "op", "role", "value"})
_FAST_OP_KEYS = frozenset({"id", "label", "op", "inputs"})


def _fast_node(raw: dict, nid: str) -> tuple | None:
    """The common well-formed node (scalar leaf, op without attrs) in a few type tests.

    None means "not obviously fine": check_node then checks it fully.
    """
    label = raw.get("label", nid)
    if type(label) is not str:
        return None
    op = raw.get("op")
    if op == LEAF:
        v = raw.get("value")
        role = raw.get("role", "parameter")
        if (type(v) is float and v - v == 0.0 and type(role) is str and role in _ROLE_SET
                and raw.keys() <= _FAST_LEAF_KEYS):
            return (nid, LEAF, (), label, role, v, {})
        return None
    spec = OPS.get(op) if type(op) is str else None
    inputs = raw.get("inputs")
    if (spec is None or spec.attrs or type(inputs) is not list or len(inputs) != spec.arity
            or not raw.keys() <= _FAST_OP_KEYS):
        return None
    for src in inputs:
        if type(src) is not str:
            return None
    return (nid, op, tuple(inputs), label, None, None, {})


def check_node(raw, i: int, index) -> tuple:
    """One node object -> (id, op, inputs, label, role, value, attrs)."""
    if type(raw) is not dict:
        raise Problem(("nodes", i), f"nodes[{i}] must be an object {{…}}, got {describe(raw)}")
    if "id" not in raw:
        raise Problem(("nodes", i), f'nodes[{i}] has no "id"')
    nid = raw["id"]
    if not isinstance(nid, str):
        raise Problem(("nodes", i, "id"), f"nodes[{i}]: id must be a string, got {describe(nid)}")
    if not nid:
        raise Problem(("nodes", i, "id"), f"nodes[{i}]: id must not be empty")
    if nid in index:
        raise Problem(("nodes", i, "id"),
                      f"duplicate node id {short(nid)} (also nodes[{index[nid]}])")
    where = f"node {short(nid)}"
    label = raw.get("label", nid)
    if not isinstance(label, str):
        raise Problem(("nodes", i, "label"), f"{where}: label must be a string, got {describe(label)}")
    if "op" not in raw:
        raise Problem(("nodes", i), f'{where}: missing "op" (use "leaf" for a leaf)')
    op = raw["op"]
    if op == LEAF:
        return _check_leaf(raw, i, nid, label, where)
    if not isinstance(op, str) or op not in OPS:
        known = ", ".join(["leaf", *OPS])
        hint = suggest(op, OPS) if isinstance(op, str) else ""
        raise Problem(("nodes", i, "op"),
                      f"{where}: unknown op {describe(op) if not isinstance(op, str) else short(op)}"
                      f"{hint or f' (known ops: {known})'}")
    return _check_op(raw, i, nid, op, label, where)


def _check_keys(raw, allowed, i, where, kind, hint) -> None:
    if raw.keys() <= allowed:
        return
    for k in raw:
        if k not in allowed:
            raise Problem(("nodes", i, k), f"{where}: unexpected key {short(k)} on {kind} "
                                           f"(allowed: {', '.join(sorted(allowed))}){hint.get(k, '')}")


_LEAF_HINTS = {"inputs": " — a leaf has no inputs", "attrs": " — only op nodes have attrs"}
_OP_HINTS = {k: " — only leaves have a value, role and shape" for k in ("value", "role", "shape")}


def _check_leaf(raw, i, nid, label, where) -> tuple:
    _check_keys(raw, LEAF_KEYS, i, where, "a leaf", _LEAF_HINTS)
    role = raw.get("role", "parameter")
    if role not in ROLES or not isinstance(role, str):
        raise Problem(("nodes", i, "role"), f"{where}: role must be one of {', '.join(ROLES)}, "
                                            f"got {describe(role)}")
    if "value" not in raw:
        raise Problem(("nodes", i), f'{where}: a leaf needs a "value"')
    value = leaf_value(raw["value"], raw.get("shape", _MISSING), i, where)
    return (nid, LEAF, (), label, role, value, {})


def _check_op(raw, i, nid, op, label, where) -> tuple:
    _check_keys(raw, OP_KEYS, i, where, "an op node", _OP_HINTS)
    spec = OPS[op]
    if "inputs" not in raw:
        raise Problem(("nodes", i), f'{where}: {op} needs "inputs" (a list of {spec.arity} node id(s))')
    inputs = raw["inputs"]
    if type(inputs) is not list or not all(isinstance(s, str) for s in inputs):
        raise Problem(("nodes", i, "inputs"), f"{where}: inputs must be a list of node ids (strings)")
    if len(inputs) != spec.arity:
        raise Problem(("nodes", i, "inputs"),
                      f"{where}: {op} takes {spec.arity} input(s), got {len(inputs)}")
    attrs = raw.get("attrs", {})
    if type(attrs) is not dict:
        raise Problem(("nodes", i, "attrs"), f"{where}: attrs must be an object, got {describe(attrs)}")
    for k, v in attrs.items():
        if k not in spec.attrs:
            have = f"its attributes are {', '.join(spec.attrs)}" if spec.attrs else "it takes none"
            raise Problem(("nodes", i, "attrs", k), f"{where}: {op} has no attribute {short(k)} ({have})")
        if k in SHAPE_ATTRS:
            if not attr_ok(k, v):
                raise Problem(("nodes", i, "attrs", k),
                              f"{where}: attribute {k!r} must be a list of whole numbers ≥ 0")
        else:
            finite_number(v, ("nodes", i, "attrs", k), f"{where}: attribute {k!r}")
    for a in spec.attrs:
        if a not in attrs:
            raise Problem(("nodes", i), f'{where}: {op} needs attribute {a!r}, e.g. "attrs": {{"{a}": 2}}')
    return (nid, op, tuple(inputs), label, None, None, dict(attrs))


# ---- leaf values -------------------------------------------------------------

def check_shape(shape, path, where) -> tuple:
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise Problem(path, f"{where}: shape must be a list of integers ≥ 0, got {describe(shape)}")
    if len(shape) > MAX_NDIM:
        raise Problem(path, f"{where}: shape has {len(shape)} dimensions (at most {MAX_NDIM})")
    return tuple(shape)


def tensor_shape(value, path, where) -> tuple:
    """Shape of a nested list of numbers; raises Problem if ragged or not numeric."""
    shape: list[int] = []
    level = [value]
    while type(level[0]) is list:
        n = len(level[0])
        if not all(type(x) is list and len(x) == n for x in level):
            raise Problem(path, f"{where}: tensor value is ragged (rows of different lengths "
                                f"at depth {len(shape)})")
        shape.append(n)
        if len(shape) > MAX_NDIM:
            raise Problem(path, f"{where}: tensor value is nested more than {MAX_NDIM} deep")
        level = [x for item in level for x in item]
        if not level:
            return tuple(shape)
    if not set(map(type, level)) <= _NUM:
        bad = next(x for x in level if type(x) not in _NUM)
        if type(bad) is list:
            raise Problem(path, f"{where}: tensor value is ragged (mixed numbers and lists)")
        raise Problem(path, f"{where}: tensor value must hold numbers only, found {describe(bad)}")
    return tuple(shape)


def leaf_value(value, shape, i, where):
    """A leaf's value as a float or a float64 array, checked against its shape."""
    path = ("nodes", i, "value")
    if type(value) is not list:
        x = finite_number(value, path, f"{where}: value")
        if shape is not _MISSING and check_shape(shape, ("nodes", i, "shape"), where) != ():
            raise Problem(("nodes", i, "shape"), f"{where}: value is a number but shape is {shape}")
        return float(x)
    if shape is _MISSING:
        raise Problem(path, f'{where}: a tensor value needs an explicit "shape"')
    declared = check_shape(shape, ("nodes", i, "shape"), where)
    actual = tensor_shape(value, path, where)
    if actual != declared:
        raise Problem(("nodes", i, "shape"), f"{where}: shape {list(declared)} does not match "
                                             f"the value's shape {list(actual)}")
    try:
        arr = np.array(value, dtype=np.float64)
    except OverflowError:
        arr = None
    if arr is None or not np.isfinite(arr).all():
        raise Problem(path, f"{where}: value holds a number too large for a float64")
    return arr


# ---- training and view: plain dicts, known keys type-checked -------------------
