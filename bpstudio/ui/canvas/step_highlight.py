"""The current step on the canvas: which card is current, which rows are tinted,
which edges are lit and what their labels say (numbers written by card_text.py)."""
from __future__ import annotations

import numpy as np
from PySide6.QtWidgets import QGraphicsScene

from ...engine import OPS, fmt
from .card_text import number_text
from .edge_geometry import twin_bow
from .edge_item import EdgeItem, contribution_width
from .node_item import NodeItem
from .theme import Style


def op_symbol(op: str, attrs: dict | None) -> str | None:
    """What the op circle shows: ×, +, tanh, ^2 ... (None for a leaf)."""
    if op == "leaf":
        return None
    if op == "pow":
        k = float((attrs or {}).get("exponent", 0))
        return f"^{int(k)}" if k == int(k) else f"^{fmt(k, 3)}"
    return SHORT.get(OPS[op].symbol, OPS[op].symbol)


SHORT = {"softmax": "smax"}     # too long for an op circle at a readable size


class StepHighlight:
    """Owned by the scene; keeps a small pool of lit `EdgeItem`s and reuses them."""

    def __init__(self, scene: QGraphicsScene, items: dict[str, NodeItem], style: Style):
        self._scene = scene
        self._items = items
        self._style = style
        self._lit: list[EdgeItem] = []
        self._marked: set[str] = set()
        self._current: str | None = None
        self._used = 0
        self.folded_port = None     # (node, "in"/"out") -> a folded node's card port, or None

    def _port(self, nid: str, side: str):
        at = self.folded_port(nid, side) if self.folded_port is not None else None
        if at is not None:
            return at
        item = self._items[nid]
        return item.in_port() if side == "in" else item.out_port()

    def apply(self, stepper, hidden=frozenset()) -> str | None:
        """Show the step the stepper's cursor is after; returns its node (or None).
        Backward edges into a node in `hidden` (quiz) are labelled `?`, sign unknown."""
        rec = stepper.current
        for nid in self._marked:
            self._items[nid].set_marks(None, None)
        self._marked = set()
        for edge in self._lit:
            edge.hide_lit()
        node = rec.node if rec is not None else None
        if self._current and self._current != node:
            self._items[self._current].set_current(None)
        self._used = 0
        if rec is not None:
            self._items[node].set_current(rec.kind)
            if rec.kind == "forward":
                self._light_forward(rec)
            elif rec.kind == "seed":
                self._mark(node, None, "current")
            else:
                self._light_backward(rec, stepper, hidden)
        self._current = node
        return node

    def _mark(self, nid: str, data_mark: str | None, grad_mark: str | None) -> None:
        self._items[nid].set_marks(data_mark, grad_mark)
        self._marked.add(nid)

    def _light_forward(self, rec) -> None:
        self._mark(rec.node, "current", None)
        target = self._port(rec.node, "in")
        count = {nid: rec.inputs.count(nid) for nid in rec.inputs}
        seen: dict[str, int] = {}
        for nid in rec.inputs:                      # a + a: both edges, bowed apart
            k = seen[nid] = seen.get(nid, -1) + 1
            self._mark(nid, "current", None)
            self._lit_edge().set_edge(nid, rec.node, self._port(nid, "out"), target,
                                      "forward_edge", 4.5, bow=float(twin_bow(k, count[nid])))

    def _light_backward(self, rec, st, hidden=frozenset()) -> None:
        self._mark(rec.node, None, "current")
        target = self._port(rec.node, "in")
        arrivals: dict[str, int] = {}
        for flow in rec.flows:
            arrivals[flow.target] = arrivals.get(flow.target, 0) + 1
        seen: dict[str, int] = {}
        for flow in rec.flows:
            t = flow.target
            again = seen.get(t, 0)                  # a * a: the second edge to a
            earlier = st.received[st.program.index[t]] - arrivals[t] + again
            seen[t] = again + 1
            if t in hidden:                         # quiz: neither number nor sign yet
                colour, width, dashed, label = "current", 4.5, False, "?"
            else:
                colour, width, dashed = _flow_look(flow.contribution)
                label = _flow_label(flow, earlier)
            self._mark(t, None, colour)
            self._lit_edge().set_edge(t, rec.node, self._port(t, "out"), target, colour,
                                      width, label, arrow_at_start=True, dashed=dashed,
                                      label_slot=flow.slot,
                                      label_lift=(2 * again - 1) if arrivals[t] > 1 else 0,
                                      bow=float(twin_bow(again, arrivals[t])),
                                      short_label="" if t in hidden
                                      else number_text(flow.contribution))

    def _lit_edge(self) -> EdgeItem:
        if self._used == len(self._lit):
            edge = EdgeItem(self._style)
            edge.settle_step = self.settle
            self._scene.addItem(edge)
            self._lit.append(edge)
        edge = self._lit[self._used]
        edge.setVisible(True)
        self._used += 1
        return edge

    def lit_edges(self, settle: bool = False) -> list[EdgeItem]:
        """The lit edges (`settle`: their pills placed)."""
        if settle:
            self.settle()
        return [e for e in self._lit if e.isVisible()]

    def settle(self, area=None) -> None:
        """Place the step's pills (EdgeItem.settle: a step leaves them pending), in
        order, each clear of those before it; with `area`, only if one of them may
        show there (a view is about to paint it, or an export)."""
        lit = self._lit[:self._used]
        if area is None or any(edge.pending_near(area) for edge in lit):
            for edge in lit:
                edge.settle()

    def involves(self, node_ids) -> bool:
        """Does the highlight touch any of these nodes (so it must follow a move)?"""
        return bool(set(node_ids) & ({self._current} | self._marked))

    def set_style(self, style: Style) -> None:
        self._style = style
        for edge in self._lit:
            edge.set_style(style)


def _flow_look(contribution) -> tuple[str, float, bool]:
    """(theme colour name, width, dashed) of a backward edge carrying `contribution`."""
    arr = np.asarray(contribution, dtype=float)
    magnitude = float(np.max(np.abs(arr))) if arr.size else 0.0
    if magnitude == 0.0:
        return "grad_zero", 2.5, True
    colour = "grad_negative" if float(np.sum(arr)) < 0 else "grad_positive"
    return colour, contribution_width(magnitude), False


def _flow_label(flow, earlier: int) -> str:
    """The contribution; once the target already holds grad, the running sum (a
    scalar's: a tensor's pill shows its shape and first value, the card the sum)."""
    c = number_text(flow.contribution)
    if earlier <= 0 or np.size(flow.contribution) > 1:
        return c
    return f"{number_text(flow.grad_before)} + {_signed(c)} = {number_text(flow.grad_after)}"


def _signed(text: str) -> str:
    return f"({text})" if text.startswith("−") else text
