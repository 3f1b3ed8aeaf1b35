"""`bpstudio train FILE [--epochs N] [--lr X] [--save OUT] [--json]` — headless training."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np


def add_parser(sub) -> None:
    t = sub.add_parser("train", help="train the graph on its dataset; print the loss per epoch")
    t.add_argument("file", help="a .json graph or a micrograd-style .py snippet")
    t.add_argument("--epochs", type=int, default=None,
                   help="passes over the dataset (default: the file's training.epochs)")
    t.add_argument("--lr", type=float, default=None,
                   help="learning rate (default: the file's training.lr)")
    t.add_argument("--momentum", type=float, default=None,
                   help="SGD momentum (default: the file's, else 0)")
    t.add_argument("--batch", type=int, default=None, help="rows per update (default: all)")
    t.add_argument("--stop-grad-above", type=float, default=None, metavar="X",
                   help="stop when a parameter's |grad| exceeds X (exploding)")
    t.add_argument("--stop-grad-below", type=float, default=None, metavar="X",
                   help="stop when a parameter's |grad| falls below X (vanishing)")
    t.add_argument("--save", metavar="OUT", default=None, help="save the trained graph here")
    t.add_argument("--json", action="store_true", help='print {"loss": [...], "epochs": N}')
    t.set_defaults(func=cmd_train)


def cmd_train(args) -> int:
    from ..model.training import make_trainer
    from .common import CliError, _load
    graph = _load(args.file)
    try:
        trainer = make_trainer(graph, Path(args.file).parent, lr=args.lr, epochs=args.epochs,
                               momentum=args.momentum, batch=args.batch,
                               stop_grad_above=args.stop_grad_above,
                               stop_grad_below=args.stop_grad_below)
    except ValueError as exc:
        raise CliError(f"{args.file}:1: {' '.join(str(exc).split())}") from None
    with np.errstate(all="ignore"):             # IEEE results; no numpy warning lines
        losses, stopped = _run(trainer, args)
    trainer.write_back()
    if args.json:
        with np.errstate(all="ignore"):
            vals, _ = trainer.evaluate()
        print(json.dumps({"loss": losses, "epochs": len(losses),
                          "row_losses": np.asarray(trainer.row_losses(vals)).tolist()}))
    if args.save:
        _save(graph, args.save)
    if stopped is not None:
        node = graph.nodes.get(stopped.nonfinite)
        op = f" ({node.op})" if node is not None else ""
        print(f"bpstudio: {args.file}: training stopped at epoch {stopped.epoch + 1}: "
              f"node {stopped.nonfinite!r}{op} is not finite (NaN or ±inf)", file=sys.stderr)
        return 1
    return 0


def _run(trainer, args):
    """Print the loss per epoch; returns (losses, the tick that went non-finite or None)."""
    from ..engine.train import train
    losses = []
    for tick in train(trainer):
        if tick.nonfinite:
            return losses, tick
        losses.append(tick.loss)
        if not args.json:
            print(f"epoch {tick.epoch:5d}  loss {tick.loss:.10g}")
        if tick.watch:
            print(f"bpstudio: {args.file}: training stopped after epoch {tick.epoch}: "
                  f"{tick.watch}", file=sys.stderr)
    return losses, None


def _save(graph, out: str) -> None:
    from .. import save
    from .common import CliError
    try:
        save(graph, out)
    except OSError as exc:
        raise CliError(f"{out}:0: cannot save: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise CliError(f"{out}:0: cannot save: {' '.join(str(exc).split())}") from None
