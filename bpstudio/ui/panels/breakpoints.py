"""Breakpoints and watches in the window: red dots on the cards, the watch settings,
and the runs (End, run to selected) that stop at a breakpoint or a suspicious number.

The dots are child items of the node cards, so they move, hide and zoom with them;
the scene is never asked for anything but `node_item`. When the scene builds its
items again (a new file, step into / collapse) `sync` puts the dots back.
"""
from __future__ import annotations

import shiboken6
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QBrush, QColor, QPen
from PySide6.QtWidgets import QGraphicsEllipseItem, QGraphicsItem

from ...engine.breakpoints import Watch
from ..canvas.card_paint import card_rect

DOT_RADIUS = 8.0
DOT_FILL, DOT_RING = QColor("#e5242f"), QColor("#ffffff")
DEFAULT_ABOVE, DEFAULT_BELOW = 100.0, 1e-6


class BreakpointDot(QGraphicsEllipseItem):
    """A red dot sitting on the card's top edge like a tab, left of centre: clear of the
    label, the note corner and the check badge."""

    def __init__(self, card: QGraphicsItem, style):
        r = DOT_RADIUS
        super().__init__(QRectF(-r, -r, 2 * r, 2 * r), card)
        rect = card_rect(style)
        self.setPos(QPointF(rect.left() + 22.0, rect.top() - 6.0))
        self.setBrush(QBrush(DOT_FILL))
        self.setPen(QPen(DOT_RING, 2.0))
        self.setAcceptedMouseButtons(Qt.NoButton)
        self.setToolTip("breakpoint: a run (End, Ctrl+R) stops at this node's steps; B toggles")
        self.setZValue(3)


class BreakpointMarkers:
    """Keeps one dot on the card of each node with a breakpoint."""

    def __init__(self, scene):
        self.scene = scene
        self._dots: dict[str, BreakpointDot] = {}

    def sync(self, node_ids) -> None:
        wanted = set(node_ids)
        for nid, dot in list(self._dots.items()):
            if nid not in wanted or not self._attached(nid, dot):
                if shiboken6.isValid(dot) and dot.scene() is not None:
                    dot.scene().removeItem(dot)
                del self._dots[nid]
        for nid in wanted - set(self._dots):
            try:
                card = self.scene.node_item(nid)
            except KeyError:
                continue
            self._dots[nid] = BreakpointDot(card, self.scene.style())

    def _attached(self, nid: str, dot) -> bool:
        if not shiboken6.isValid(dot):
            return False
        try:
            return dot.parentItem() is self.scene.node_item(nid)
        except KeyError:
            return False

    def marked(self) -> set[str]:
        """Node ids that show a dot (for tests)."""
        return {nid for nid, dot in self._dots.items() if self._attached(nid, dot)}


class Watches:
    """Which watches are on and their thresholds; remembered in QSettings."""

    KINDS = ("nonfinite", "grad_above", "grad_below")

    def __init__(self, settings):
        self.settings = settings
        self.enabled = {k: _flag(settings.value(f"watches/{k}", False)) for k in self.KINDS}
        self.threshold = {"grad_above": _number(settings.value("watches/above"), DEFAULT_ABOVE),
                          "grad_below": _number(settings.value("watches/below"), DEFAULT_BELOW)}

    def set_enabled(self, kind: str, on: bool) -> None:
        self.enabled[kind] = bool(on)
        self.settings.setValue(f"watches/{kind}", bool(on))

    def set_thresholds(self, above: float, below: float) -> None:
        self.threshold = {"grad_above": float(above), "grad_below": float(below)}
        self.settings.setValue("watches/above", float(above))
        self.settings.setValue("watches/below", float(below))

    def active(self) -> list[Watch]:
        return [Watch(k, self.threshold.get(k, 0.0)) for k in self.KINDS if self.enabled[k]]

    def describe(self, kind: str) -> str:
        """The menu text of a watch, with its threshold."""
        if kind == "nonfinite":
            return "Stop on a NaN or ∞ value or grad"
        sign = ">" if kind == "grad_above" else "<"
        what = "exploding" if kind == "grad_above" else "vanishing"
        return f"Stop on {what} grads: |grad| {sign} {self.threshold[kind]:g}"


def stop_text(doc, stop) -> str:
    """'stopped at step 4 / 7 (d): breakpoint on d' for the status bar."""
    s = doc.stepper
    label = s.labels.get(stop.node, stop.node)
    return f"stopped at step {stop.step + 1} / {s.total} ({label}): {stop.reason}"


def _flag(value) -> bool:
    return value in (True, "true", "1", 1)


def _number(value, default: float) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return default
    return x if x > 0 else default
