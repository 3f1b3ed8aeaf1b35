"""Read and write bpstudio graph files (JSON v1). numpy + stdlib only.

load / loads: size and encoding checks -> json -> hand-written structural checks
(validate.py) -> Graph -> graph.validate() -> training, view, dataset checks.
Every bad input raises one GraphFormatError, ``FILE:LINE: what is wrong``; the
line is found only when something is wrong, by walking the JSON path of the
offending value through the text. dumps / save write sorted keys, floats by
repr and one node per line, so save -> load -> save is byte-identical; save
replaces the file atomically. See docs/file-format.md.
"""
from __future__ import annotations

import json
import math
import os
import re

import numpy as np

from ..engine.graph import Graph, GraphError, Node
from ..engine.nogc import paused_gc as _gc_paused
from .dataset import check_dataset, remember_base_dir
from .validate import FORMAT, SUPPORTED_VERSIONS, NonFinite, Problem, check_document, short
from .validate_settings import check_training, check_view

MAX_BYTES = 50 * 1024 * 1024
MAX_NODES = 200_000
_LINE_BREAKS = re.compile(r"[\r\n\x0b\x0c\x1c-\x1e\x85\u2028\u2029]+")
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}:,]', re.S)
_SPACE = re.compile(r"\s*")
_TEMP_TAIL = re.compile(r"[0-9a-f]{12}\.tmp")


class GraphFormatError(Exception):
    """A graph file that cannot be loaded: ``str(e) == f"{e.path}:{e.line}: {e.message}"``."""

    def __init__(self, path, line: int, message: str):
        self.path = _one_line(os.fsdecode(path))
        self.line = int(line)
        self.message = _one_line(str(message))
        super().__init__(self.path, self.line, self.message)

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}"


def _one_line(s: str) -> str:
    """Escape line breaks (e.g. inside an id) so the message stays on one line."""
    return _LINE_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), s)


# ---- reading -----------------------------------------------------------------

def load(path) -> Graph:
    """Read a graph file; raises GraphFormatError for any bad input."""
    name = os.fsdecode(path)
    data = _read(name)
    return loads(_decode(data, name), name, os.path.dirname(os.path.abspath(name)))


def loads(text, path="<string>", base_dir=None) -> Graph:
    """Parse graph text; ``base_dir`` resolves a dataset's relative CSV path."""
    if isinstance(text, (bytes, bytearray)):
        text = _decode(bytes(text), path)
    if not isinstance(text, str):
        raise GraphFormatError(path, 1, f"expected JSON text, got {type(text).__name__}")
    if len(text) > MAX_BYTES:
        raise _too_big(path, len(text.encode("utf-8", "surrogatepass")))
    text = text[1:] if text.startswith("\ufeff") else text
    head = text.lstrip()
    if not head:
        raise GraphFormatError(path, 1, "the file is empty (expected a bpstudio JSON graph)")
    if head[0] == "<":
        raise GraphFormatError(path, _line(text, len(text) - len(head)),
                               "this looks like HTML or XML, not a bpstudio JSON graph")
    with _gc_paused():
        doc = _parse(text, path)
        try:
            return _build(doc, base_dir)
        except Problem as p:
            raise GraphFormatError(path, _line(text, _locate(text, p.path)), p.message) from None
        except (ArithmeticError, LookupError, TypeError, ValueError, RecursionError) as e:
            raise GraphFormatError(path, 1, f"cannot load the graph ({type(e).__name__}: {e})") \
                from e




def _read(name: str) -> bytes:
    try:
        size = os.stat(name).st_size
        if size > MAX_BYTES:
            raise _too_big(name, size)
        with open(name, "rb") as f:
            data = f.read(MAX_BYTES + 1)
    except OSError as e:
        raise GraphFormatError(name, 1, f"cannot read the file: {e.strerror or e}") from None
    if len(data) > MAX_BYTES:
        raise _too_big(name, len(data))
    return data


def _too_big(name, size: int) -> GraphFormatError:
    return GraphFormatError(name, 1, f"the file is too large: {_size(size)} "
                                     f"(the limit is {_size(MAX_BYTES)})")


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MB" if n >= 2**20 else f"{n:,} bytes"


def _decode(data: bytes, name) -> str:
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise GraphFormatError(name, 1, "the file is UTF-16 text; bpstudio graphs are UTF-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise GraphFormatError(name, data.count(b"\n", 0, e.start) + 1,
                               f"the file is not UTF-8 text (byte 0x{data[e.start]:02x} "
                               f"at offset {e.start}) — is it a bpstudio graph?") from None


class _DuplicateKey(Exception):
    pass


def _no_duplicate_keys(pairs):
    d = dict(pairs)
    if len(d) != len(pairs):
        seen: set = set()
        key = next(k for k, _ in pairs if k in seen or seen.add(k))
        nid = d.get("id")
        where = f"node {short(nid)}: " if isinstance(nid, str) else ""
        raise _DuplicateKey(f"{where}duplicate key {short(key)} in one object")
    return d


def _parse(text: str, path):
    try:
        return json.loads(text, parse_constant=NonFinite, object_pairs_hook=_no_duplicate_keys)
    except _DuplicateKey as e:
        raise GraphFormatError(path, _line(text, _find_duplicate_key(text)), str(e)) from None
    except json.JSONDecodeError as e:
        ending = " — the file ends too early (truncated?)" if e.pos >= len(text.rstrip()) else ""
        raise GraphFormatError(path, e.lineno, f"invalid JSON: {e.msg} (column {e.colno}){ending}") \
            from None
    except RecursionError:
        raise GraphFormatError(path, 1, "invalid JSON: nested too deeply") from None
    except ValueError as e:   # an integer literal longer than sys.get_int_max_str_digits()
        m = re.search(r"\d{1000,}", text)
        what = "a number has too many digits" if m else str(e)
        raise GraphFormatError(path, _line(text, m.start()) if m else 1, f"invalid JSON: {what}") \
            from None


def _build(doc, base_dir) -> Graph:
    specs, index = check_document(doc, MAX_NODES)
    graph = Graph(doc.get("title", ""), doc["output"])
    for nid, op, inputs, label, role, value, attrs in specs:
        graph.add(Node(nid, op, inputs, label, role, value, attrs))
    try:
        order = graph.validate()
        graph.training = check_training(doc.get("training"), index)
        loss = (graph.training or {}).get("loss")
        shape = graph.shapes(order)[loss] if loss is not None else ()
        if shape != ():
            raise Problem(("training", "loss"), f"training loss {short(loss)} must be a scalar "
                                                f"node, its shape is {list(shape)}")
    except GraphError as e:
        raise Problem(("nodes", index[e.node]) if e.node in index else ("nodes",), str(e)) from None
    graph.view = check_view(doc.get("view"))
    graph.dataset = check_dataset(doc.get("dataset"), graph, base_dir)
    remember_base_dir(graph, base_dir)
    return graph


# ---- finding the line of a JSON path (only when reporting a problem) ------------

def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


class _Tokens:
    """Strings and punctuation of a JSON text; numbers and literals leave no token."""

    def __init__(self, text: str):
        self._it = _TOKEN.finditer(text)
        self._back = None

    def next(self):
        m, self._back = self._back, None
        return m if m is not None else next(self._it, None)

    def skip_value(self) -> None:
        m = self.next()
        if m is None:
            return
        c = m.group()
        if c == "[" or c == "{":
            depth = 1
            while depth and (m := self.next()) is not None:
                c = m.group()
                depth += (c == "[" or c == "{") - (c == "]" or c == "}")
        elif c[0] != '"':
            self._back = m      # a scalar value: this token already follows it


def _locate(text: str, path) -> int:
    """Offset in text of the value (or object key) at a JSON path; best effort."""
    toks = _Tokens(text)
    pos = len(text) - len(text.lstrip())
    m = toks.next()
    for step in path:
        if m is None:
            break
        if m.group() == "{" and isinstance(step, str):
            key = _find_key(toks, step)
            if key is None:
                break
            pos = key.start()
        elif m.group() == "[" and isinstance(step, int):
            start = _find_item(toks, m.end(), step)
            if start is None:
                break
            pos = _SPACE.match(text, start).end()
        else:
            break
        m = toks.next()
    return pos


def _find_key(toks: _Tokens, key: str):
    while (k := toks.next()) is not None and k.group()[0] == '"':
        toks.next()                                  # the ':'
        if json.loads(k.group()) == key:
            return k
        toks.skip_value()
        sep = toks.next()
        if sep is None or sep.group() != ",":
            return None
    return None


def _find_item(toks: _Tokens, start: int, k: int):
    for _ in range(k):
        toks.skip_value()
        sep = toks.next()
        if sep is None or sep.group() != ",":
            return None
        start = sep.end()
    return start


def _find_duplicate_key(text: str) -> int:
    """Offset of the first key repeated within one object (0 if none is found)."""
    stack: list = []
    prev = None
    for m in _TOKEN.finditer(text):
        c = m.group()
        if c == "{" or c == "[":
            stack.append(set() if c == "{" else None)
        elif (c == "}" or c == "]") and stack:
            stack.pop()
        elif c == ":" and prev is not None and stack and stack[-1] is not None:
            key = json.loads(prev.group())
            if key in stack[-1]:
                return prev.start()
            stack[-1].add(key)
        prev = m if c[0] == '"' else None
    return 0


# ---- writing -----------------------------------------------------------------

_EXPANDED = frozenset({(), ("nodes",), ("dataset",), ("dataset", "rows"), ("training",),
                       ("view",), ("view", "positions"), ("view", "notes"), ("view", "step_notes")})


def dumps(graph: Graph) -> str:
    """Deterministic text: sorted keys, floats by repr, one node / row per line.

    Raises ValueError for what could not be loaded back: no output, non-finite values.
    """
    if graph.output not in graph.nodes:
        raise ValueError(f"output {graph.output!r} is not a node; the graph cannot be saved")
    with _gc_paused():
        nodes = [_node_dict(n) for n in graph.nodes.values()]
    doc = {"format": FORMAT, "version": max(SUPPORTED_VERSIONS), "title": graph.title or "",
           "output": graph.output, "nodes": nodes}
    for key in ("dataset", "training", "view"):
        if getattr(graph, key, None):
            doc[key] = getattr(graph, key)
    text = _emit(doc, (), _encoder(False), "")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:       # a lone surrogate: fall back to \u escapes
        text = _emit(doc, (), _encoder(True), "")
    return text + "\n"


def _encoder(ascii_only: bool):
    return json.JSONEncoder(sort_keys=True, ensure_ascii=ascii_only, allow_nan=False,
                            separators=(", ", ": "), default=_plain).encode


def _plain(x):
    """JSON for numpy values that may sit in app-edited dicts."""
    if isinstance(x, np.ndarray):
        return x.tolist()
    if isinstance(x, np.generic):
        return x.item()
    if isinstance(x, tuple):
        return list(x)
    raise TypeError(f"{type(x).__name__} cannot be saved in a graph file")


def _node_dict(n: Node) -> dict:
    d = {"id": n.id, "op": n.op}
    if n.label and n.label != n.id:
        d["label"] = n.label
    if not n.is_leaf:
        d["inputs"] = list(n.inputs)
        if n.attrs:
            d["attrs"] = n.attrs
        return d
    d["role"] = n.role
    v = n.value
    if isinstance(v, np.ndarray):
        if not np.isfinite(v).all():
            raise ValueError(f"node {n.id!r}: value is not finite; it cannot be saved")
        d["value"], d["shape"] = v.tolist(), list(v.shape)
    elif v is None or not math.isfinite(v):
        raise ValueError(f"node {n.id!r}: value {v!r} cannot be saved (need a finite number)")
    else:
        d["value"] = float(v)
    return d


def _emit(v, path: tuple, enc, indent: str) -> str:
    if path not in _EXPANDED or not v or not isinstance(v, (dict, list)):
        return enc(v)
    inner = indent + "  "
    if isinstance(v, dict):
        items = [f"{inner}{enc(k)}: {_emit(v[k], path + (k,), enc, inner)}" for k in sorted(v)]
        return "{\n" + ",\n".join(items) + "\n" + indent + "}"
    return "[\n" + ",\n".join(inner + enc(x) for x in v) + "\n" + indent + "]"
