"""bpstudio.io: graph files (JSON v1) and their datasets. No Qt.

``load(path)`` / ``loads(text)`` return an engine ``Graph`` or raise
``GraphFormatError`` ("FILE:LINE: message"); ``dumps(graph)`` / ``save(graph, path)``
write the deterministic form. The format is described in docs/file-format.md.
"""
from .atomic_save import save
from .dataset import DatasetError, bind_row, load_rows, parse_column
from .fileformat import MAX_BYTES, MAX_NODES, GraphFormatError, dumps, load, loads

__all__ = ["load", "loads", "save", "dumps", "GraphFormatError", "MAX_BYTES", "MAX_NODES",
           "bind_row", "load_rows", "parse_column", "DatasetError"]
