"""Training set-up shared by the window's worker and `bpstudio train`: graph + dataset -> Trainer."""
from __future__ import annotations

from ..engine.train import Trainer, TrainSettings
from ..io.dataset import load_rows, resolve_columns


def make_trainer(graph, base_dir, **overrides):
    """A Trainer for a loaded graph with a dataset; raises ValueError with a clear message."""
    ds = graph.dataset or {}
    if not (ds.get("rows") or ds.get("csv")):
        raise ValueError("the file has no dataset to train on")
    rows = load_rows(graph, base_dir)
    bindings = resolve_columns(graph, ds["columns"])
    settings = TrainSettings.from_graph(graph, **overrides)
    if settings.lr <= 0 or settings.epochs < 0 or (settings.batch is not None and settings.batch < 1):
        raise ValueError("lr must be > 0, epochs ≥ 0 and batch ≥ 1")
    return Trainer(graph, rows, bindings, settings)
