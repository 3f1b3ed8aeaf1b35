"""Presentation mode: the canvas full screen for a projector, minimal chrome.

Entering hides the menus, toolbars, docks and status bar (every action keeps its
key: the actions live on the window), shows the chain-rule bar in large type at the
bottom and a slim step counter over the canvas, switches the canvas to the
projector theme (or its dark twin) and makes the camera follow the step. Leaving
puts back exactly what was visible before.
"""
from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QDockWidget, QFrame, QToolBar, QVBoxLayout, QWidget

from ..canvas.theme import Theme
from .widgets import KeyOverlay, PresentBar, StepBadge

PRESENT_PX = 18.0              # entering never zooms out further: card text >= 18 px
PRESENT_MAX_PX = 30.0          # a small graph fills the screen, up to text of this size
MESSAGE_MS = 6000
SCALE_MIN, SCALE_MAX, SCALE_STEP = 0.6, 2.5, 1.12


def projector_dark() -> Theme:
    """The dark canvas with the projector theme's heavier lines and larger text."""
    return replace(Theme.dark(), name="projector-dark", background="#111215", card="#24262c",
                   card_border="#a3aab2", header="#31343b", leaf_header="#293a52",
                   text="#ffffff", caption="#b9bfc7", edge="#7f868e",
                   border_width=2.0, edge_width=2.2, current_width=8.0)


def clamp_scale(scale: float) -> float:
    return round(min(SCALE_MAX, max(SCALE_MIN, float(scale))), 3)


class Presentation(QObject):
    toggled = Signal(bool)

    def __init__(self, window):
        super().__init__(window)
        self.w = window
        self.active = False
        self.use_fullscreen = True          # tests size the window themselves
        self._framed_at: tuple | None = None  # (zoom, cursor) frame() chose, while untouched
        self._saved: dict | None = None
        self.bar = PresentBar()
        self.bar.hide()
        self.container = QWidget()
        col = QVBoxLayout(self.container)
        col.setContentsMargins(0, 0, 0, 0)
        col.setSpacing(0)
        col.addWidget(window.view, 1)
        col.addWidget(self.bar)
        self.badge = StepBadge(window.view)
        self.keys = KeyOverlay(self.container)    # the whole stage: room for every row
        window.view.installEventFilter(self)
        self.container.installEventFilter(self)
        self._message_timer = QTimer(self, singleShot=True, interval=MESSAGE_MS)
        self._message_timer.timeout.connect(lambda: self.badge.set_message(""))

    # ---- entering and leaving ----------------------------------------------------------
    def set_active(self, on: bool) -> None:
        if bool(on) != self.active:
            self.enter() if on else self.leave()

    def enter(self, frame: bool = True) -> None:
        if self.active:
            return
        w = self.w
        self._saved = self._chrome_state()
        for widget in self._chrome():
            widget.hide()
        w.view.setFrameShape(QFrame.NoFrame)
        w.view.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        w.view.setVerticalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        self.active = True
        self.bar.show()
        self.badge.show()
        w.view.set_follow(True)
        if self.use_fullscreen and not w.isFullScreen():
            w.showFullScreen()
        w.apply_theme()
        self.refresh()
        if frame:
            QTimer.singleShot(0, self.frame)
        self.toggled.emit(True)

    def leave(self) -> None:
        if not self.active:
            return
        w, saved = self.w, self._saved or {}
        self.active = False
        self._framed_at = None
        self.keys.hide()
        self.bar.hide()
        self.badge.hide()
        for widget, visible in saved.get("visible", {}).items():
            widget.setVisible(visible)
        w.view.setFrameShape(saved.get("frame", QFrame.StyledPanel))
        w.view.setHorizontalScrollBarPolicy(saved.get("hbar", Qt.ScrollBarAsNeeded))
        w.view.setVerticalScrollBarPolicy(saved.get("vbar", Qt.ScrollBarAsNeeded))
        w.view.set_follow(saved.get("follow", True))
        if self.use_fullscreen and not saved.get("fullscreen"):
            w.showMaximized() if saved.get("maximized") else w.showNormal()
        w.apply_theme()
        self._restore_view(saved)
        QTimer.singleShot(0, self, lambda: self._restore_view(saved))   # after the resize
        self.toggled.emit(False)

    def _restore_view(self, saved: dict) -> None:
        """The normal window's zoom and centre, as they were before presenting."""
        if self.active or "zoom" not in saved:
            return
        self.w.view.set_zoom(saved["zoom"])
        self.w.view.centerOn(saved["center"])

    def _chrome(self) -> list[QWidget]:
        w = self.w
        docks = [d for d in w.findChildren(QDockWidget) if d.parent() is w]
        bars = [b for b in w.findChildren(QToolBar) if b.parent() is w]
        return [w.menuBar(), w.statusBar(), *bars, *docks]

    def _chrome_state(self) -> dict:
        w = self.w
        # isHidden, not isVisible: `--present` enters before the window is first shown,
        # when nothing is visible yet, and leaving must bring the chrome back
        return {"visible": {x: not x.isHidden() for x in self._chrome()},
                "maximized": w.isMaximized(), "fullscreen": w.isFullScreen(),
                "follow": w.view.follows(), "frame": w.view.frameShape(),
                "zoom": w.view.scale_factor(), "center": w.view.visible_scene_rect().center(),
                "hbar": w.view.horizontalScrollBarPolicy(),
                "vbar": w.view.verticalScrollBarPolicy()}

    def frame(self) -> None:
        """The whole graph if its text is >= PRESENT_PX that way, else the current
        node (or the output) close up, with the overview map (GraphView.fit)."""
        view = self.w.view
        if view.graph_scene().sceneRect().isEmpty() or view.viewport().rect().isEmpty():
            return
        view.fit(PRESENT_PX, max_px=PRESENT_MAX_PX)
        self._framed_at = (view.scale_factor(), self.w.doc.stepper.cursor)

    def _untouched(self) -> bool:
        """Neither zoomed nor stepped since frame(): a resize may frame again (the
        screen settling after entering), never after a step (Home keeps the zoom)."""
        return self._framed_at == (self.w.view.scale_factor(), self.w.doc.stepper.cursor)

    def forget_frame(self) -> None:
        """The view was set otherwise (a file's saved view): resizes keep it."""
        self._framed_at = None

    # ---- what it shows --------------------------------------------------------------------
    def refresh(self) -> None:
        if not self.active or self.w.doc is None:
            return
        from ..panels.step_panel import DisplayLabels
        doc = self.w.doc
        summary = self.w.neuron_summary_lines() if doc.stepper.cursor else None
        self.bar.show_step(doc, DisplayLabels(doc.stepper.labels), self.w.quiz.hidden, summary)
        self.badge.set_counter(self.w.actions_.counter.text(), self._flags())
        if self.keys.isVisible():
            self._fill_keys()

    def _flags(self) -> list[str]:
        flags = []
        if self.w.quiz.on:
            flags.append("quiz" + (" · Space reveals" if self.w.quiz.hidden else ""))
        return flags

    def show_message(self, text: str) -> None:
        self.badge.set_message(text)
        self._message_timer.start()

    def set_theme(self, theme: Theme) -> None:
        self.bar.set_theme(theme)
        self.badge.set_theme(theme)
        self.refresh()

    def set_text_scale(self, scale: float) -> None:
        self.bar.set_scale(scale)
        self.badge.set_scale(scale)
        self.refresh()

    # ---- the keyboard map overlay ---------------------------------------------------------
    def toggle_keys(self) -> None:
        if self.keys.isVisible():
            self.keys.hide()
            return
        self._fill_keys()
        self.keys.show()
        self.keys.place()
        self.keys.raise_()

    def _fill_keys(self) -> None:
        from ..window.actions import keyboard_rows
        self.keys.set_rows(keyboard_rows(self.w.actions_.all()), self.bar.theme,
                           self.bar.scale)

    def escape(self) -> None:
        """Esc: close the keyboard map if it is open, else leave presentation mode."""
        if self.keys.isVisible():
            self.keys.hide()
        else:
            self.leave()

    def eventFilter(self, obj, event) -> bool:
        if obj is self.container and event.type() == QEvent.Resize and self.keys.isVisible():
            self.keys.place()
        if obj is self.w.view and event.type() == QEvent.Resize:
            self.badge.place()
            if self.active and self._untouched():
                QTimer.singleShot(0, self.frame)     # the screen settled: frame it again
        return False
