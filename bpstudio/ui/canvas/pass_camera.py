"""Where the camera looks in each frame of a whole-pass export (GIF, PNG frames).

A graph that fits one readable frame is shown whole, the camera still (as before:
small graphs look as they always did). A bigger one is not shrunk into grey boxes
and not drawn as one giant picture per step: frames of a fixed size follow the
step, at a zoom where card text is readable, and the camera pans only when the
current step's cards (its node and its inputs) would leave the frame.
"""
from __future__ import annotations

import math
from dataclasses import replace

from PySide6.QtCore import QPointF, QRectF, QSize

from .export import Frame, fitted, frame_for

READABLE_PX = 11.0               # card text at least this tall in a frame (logical px)
WHOLE_MAX = (2560, 1440)         # the whole graph, readable, fits this: one still camera
FOLLOW_SIZE = (1280, 720)        # otherwise frames of this size follow the step
EDGE_ROOM = 0.08                 # re-aim when the step's cards come this close to an edge
LOOKAHEAD = 24                   # a pan frames the next steps' cards too, up to this many
FOLLOW_ZOOM = 1.0                # and show the cards as the canvas does at 100 %
PASS_PIXELS = 1.2e9              # device pixels for all frames together, at most ...
FRAME_PIXELS = 1.0e6             # ... unless that leaves a frame fewer than these


def readable_zoom(scene) -> float:
    """The smallest zoom at which the cards' smallest text is READABLE_PX tall."""
    t = scene.style().theme
    px = min(t.number_px, t.label_px) * t.font_scale
    return min(1.0, READABLE_PX / max(px, 1e-9))


class PassCamera:
    """`frame(stepper)`: the Frame for the stepper's cursor. `still` tells whether
    every frame is the same (the whole graph)."""

    def __init__(self, scene, size: tuple[int, int] | None = None, dpr: float = 1.0,
                 frames: int = 1):
        self._scene = scene
        self._zoom = readable_zoom(scene)
        self._budget = max(FRAME_PIXELS, PASS_PIXELS / max(1, frames))
        self._frame = self._whole(size, dpr)
        self.still = self._frame is not None
        if not self.still:
            w, h = size or FOLLOW_SIZE
            self._size = QSize(w, h)
            self._dpr = self._sharpness(self._size, dpr)
            self._zoom = max(self._zoom, FOLLOW_ZOOM)
            self._frame = Frame(scene.sceneRect().topLeft(), self._zoom, self._size, self._dpr)
            self._aimed = False

    def _sharpness(self, size: QSize, dpr: float) -> float:
        """`dpr`, lowered (not below 1) until a frame is within the pixel budget."""
        room = math.sqrt(self._budget / max(1, size.width() * size.height()))
        return max(1.0, min(dpr, math.floor(room * 4) / 4))     # 1, 1.25, 1.5 ...

    def _whole(self, size, dpr: float) -> Frame | None:
        """The whole graph in one still frame, when readable and within the budget."""
        scene, rect = self._scene, self._scene.sceneRect()
        if size is not None:
            frame = fitted(scene, *size)
        else:
            w, h = WHOLE_MAX
            zoom = min(1.0, w / max(rect.width(), 1e-9), h / max(rect.height(), 1e-9))
            frame = frame_for(scene, zoom, rect)
        if frame.zoom < self._zoom - 1e-9 or \
                frame.size.width() * frame.size.height() > self._budget:
            return None
        return replace(frame, dpr=self._sharpness(frame.size, dpr))

    @property
    def size(self) -> QSize:
        """Logical size of every frame."""
        return self._frame.size

    def frame(self, stepper) -> Frame:
        if self.still:
            return self._frame
        cards = self._step_cards(stepper)
        if cards is not None and (not self._aimed or not self._shows(cards)):
            self._frame = self._aim(self._target(cards, stepper))
            self._aimed = True
        return self._frame

    # ---- following the step -----------------------------------------------------------
    def _step_cards(self, stepper) -> tuple[QRectF, QRectF] | None:
        """(the current node's card, it and its inputs' cards together), in the scene.
        Before the first step: those of the first step."""
        if stepper.total == 0:
            return None
        rec = stepper.current
        if rec is None:
            nid, others = stepper.node_at(0), ()
        else:
            nid = rec.node
            others = rec.inputs if rec.kind == "forward" else [f.target for f in rec.flows]
        node = self._card(nid)
        around = QRectF(node)
        for nid in others:
            around = around.united(self._card(nid))
        return node, around

    def _card(self, nid: str) -> QRectF:
        """Where node `nid` is drawn: its card, or its group's card when folded."""
        groups = self._scene.groups()
        gid = groups.folded.get(nid) if groups is not None else None
        if gid is not None and gid in groups.cards:
            return groups.cards[gid].sceneBoundingRect()
        return self._scene.node_item(nid).sceneBoundingRect()

    def _shows(self, cards: tuple[QRectF, QRectF]) -> bool:
        node, around = cards
        inner = self._inner(self._frame.source)
        return inner.contains(around if _fits(around, inner) else node)

    def _target(self, cards: tuple[QRectF, QRectF], stepper) -> QRectF:
        """What to frame: the step's cards (its own card alone if they do not fit), and
        the cards of the next steps as long as they fit too: a pan then serves several
        steps instead of one."""
        node, around = cards
        room = self._inner(self._frame.source)
        target = around if _fits(around, room) else node
        for k in range(stepper.cursor, min(stepper.total, stepper.cursor + LOOKAHEAD)):
            more = target.united(self._card(stepper.node_at(k)))
            if not _fits(more, room):
                break
            target = more
        return target

    @staticmethod
    def _inner(view: QRectF) -> QRectF:
        return view.adjusted(view.width() * EDGE_ROOM, view.height() * EDGE_ROOM,
                             -view.width() * EDGE_ROOM, -view.height() * EDGE_ROOM)

    def _aim(self, target: QRectF) -> Frame:
        """A frame centred on `target`, kept inside the scene where the scene is bigger
        than the frame, at whole device pixels (as a view scrolls)."""
        view_w, view_h = self._size.width() / self._zoom, self._size.height() / self._zoom
        rect = self._scene.sceneRect()
        x = _inside(target.center().x() - view_w / 2, view_w, rect.left(), rect.right())
        y = _inside(target.center().y() - view_h / 2, view_h, rect.top(), rect.bottom())
        x, y = (math.floor(x * self._zoom) / self._zoom, math.floor(y * self._zoom) / self._zoom)
        return Frame(QPointF(x, y), self._zoom, self._size, self._dpr)


def _fits(rect: QRectF, inner: QRectF) -> bool:
    return rect.width() <= inner.width() and rect.height() <= inner.height()


def _inside(start: float, length: float, lo: float, hi: float) -> float:
    """The start of a window of `length` over [lo, hi]: kept inside when it fits, the
    span centred in it when it does not."""
    if hi - lo <= length:
        return (lo + hi) / 2 - length / 2
    return max(lo, min(hi - length, start))
