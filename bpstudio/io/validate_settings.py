"""Checks of the optional `training` and `view` sections of a graph file."""
from __future__ import annotations

from .validate import (
    OPTIMIZERS,
    REDUCTIONS,
    Problem,
    check_plain,
    describe,
    finite_number,
    integer,
    short,
    suggest,
)

MAX_EPOCHS = 10_000_000     # what the training dock's spin box takes, and the CLI too
MAX_BATCH = 2**31 - 1       # rows per update (more than the rows: the whole dataset)
TRAINING_KEYS = ("batch", "epochs", "loss", "lr", "momentum", "optimizer", "reduction")
VIEW_KEYS = ("breakpoints", "center", "cursor", "groups", "notes", "positions", "step_notes",
             "zoom")


def check_training(tr, index) -> dict | None:
    if tr is None:
        return None
    p = ("training",)
    if type(tr) is not dict:
        raise Problem(p, f"training must be an object, got {describe(tr)}")
    if "loss" in tr:
        loss = tr["loss"]
        if not isinstance(loss, str) or loss not in index:
            what = f"{short(loss)} is not a node{suggest(loss, index)}" if isinstance(loss, str) \
                else f"must be a node id, got {describe(loss)}"
            raise Problem(p + ("loss",), f"training loss {what}")
    _one_of(tr, "optimizer", OPTIMIZERS, p)
    _one_of(tr, "reduction", REDUCTIONS, p)
    if "lr" in tr and finite_number(tr["lr"], p + ("lr",), "training lr") <= 0:
        raise Problem(p + ("lr",), f"training lr must be > 0, got {tr['lr']!r}")
    if "momentum" in tr and not 0 <= finite_number(tr["momentum"], p + ("momentum",),
                                                   "training momentum") <= 1:
        raise Problem(p + ("momentum",), f"training momentum must be in 0..1, got {tr['momentum']!r}")
    if "epochs" in tr:
        integer(tr["epochs"], p + ("epochs",), "training epochs", 0, MAX_EPOCHS)
    if tr.get("batch") is not None:
        integer(tr["batch"], p + ("batch",), "training batch (or null)", 1, MAX_BATCH)
    check_plain({k: v for k, v in tr.items() if k not in TRAINING_KEYS}, p)
    return tr


def _one_of(d, key, choices, p) -> None:
    if key in d and (not isinstance(d[key], str) or d[key] not in choices):
        raise Problem(p + (key,), f"{p[0]} {key} must be one of "
                                  f"{', '.join(map(repr, choices))}, got {describe(d[key])}")


def check_view(view) -> dict:
    """Type-check the view; ids that name no node are kept (and ignored by the app)."""
    if view is None:
        return {}
    p = ("view",)
    if type(view) is not dict:
        raise Problem(p, f"view must be an object, got {describe(view)}")
    for k, xy in _mapping(view, "positions").items():
        _pair(xy, p + ("positions", k), f"view position of {short(k)}")
    for key in ("notes", "step_notes"):
        for k, text in _mapping(view, key).items():
            if not isinstance(text, str):
                raise Problem(p + (key, k), f"view {key} for {short(k)} must be a string, "
                                            f"got {describe(text)}")
            if key == "step_notes" and not (k.isascii() and k.isdigit()):
                raise Problem(p + (key, k), f"view step_notes keys must be step numbers "
                                            f"like \"3\", got {short(k)}")
    if "cursor" in view:
        integer(view["cursor"], p + ("cursor",), "view cursor", 0)
    bps = view.get("breakpoints", [])
    if type(bps) is not list or not all(isinstance(b, str) for b in bps):
        raise Problem(p + ("breakpoints",), "view breakpoints must be a list of node ids")
    if "zoom" in view and finite_number(view["zoom"], p + ("zoom",), "view zoom") <= 0:
        raise Problem(p + ("zoom",), f"view zoom must be > 0, got {view['zoom']!r}")
    if "center" in view:
        _pair(view["center"], p + ("center",), "view center")
    _check_groups(view.get("groups", []), p + ("groups",))
    check_plain({k: v for k, v in view.items() if k not in VIEW_KEYS}, p)
    return view


def _check_groups(groups, p) -> None:
    """view.groups: [{"id", "title", "members": [ids], "collapsed", "kind"?}, ...]."""
    if type(groups) is not list:
        raise Problem(p, f"view groups must be a list, got {describe(groups)}")
    seen = set()
    for k, g in enumerate(groups):
        if type(g) is not dict or not isinstance(g.get("id"), str) or g["id"] in seen:
            raise Problem(p + (k,), "each view group must be an object with a unique "
                                    "string \"id\"")
        seen.add(g["id"])
        members = g.get("members")
        if type(members) is not list or not all(isinstance(m, str) for m in members):
            raise Problem(p + (k, "members"), f"view group {short(g['id'])} members must "
                                              f"be a list of node ids")
        for key, kind in (("title", str), ("kind", str), ("collapsed", bool)):
            if key in g and type(g[key]) is not kind:
                raise Problem(p + (k, key), f"view group {short(g['id'])} {key} must be a "
                                            f"{kind.__name__}, got {describe(g[key])}")


def _mapping(view, key) -> dict:
    m = view.get(key, {})
    if type(m) is not dict:
        raise Problem(("view", key), f"view {key} must be an object mapping node ids, "
                                     f"got {describe(m)}")
    return m


def _pair(xy, path, what) -> None:
    if type(xy) is not list or len(xy) != 2:
        raise Problem(path, f"{what} must be [x, y], got {describe(xy)}")
    finite_number(xy[0], path, what)
    finite_number(xy[1], path, what)
