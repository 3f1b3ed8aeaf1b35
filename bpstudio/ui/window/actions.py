"""Building QActions from one table, and the dialogs that describe them.

Every action the window has is created through `make_action`, so the keyboard map
(Help ▸ Keyboard map) is generated from the actions themselves and cannot go stale.
"""
from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QMenu, QStyle, QToolBar, QToolButton

from ..lecture.actions import add_edit_actions, add_step_actions, add_view_actions
from .export_actions import add_export_actions, add_structure_actions
from .group_actions import add_group_actions


def make_action(parent, text: str, slot=None, keys=(), tip: str = "",
                checkable: bool = False, menu: str = "") -> QAction:
    """A QAction with zero or more shortcuts (QKeySequence.StandardKey or 'Ctrl+R').

    Only a standard key's primary binding is used: the others are mostly keys no
    lecture laptop has ('Open', 'Zoom In') and would clutter the keyboard map."""
    action = QAction(text, parent)
    seqs: list[QKeySequence] = []
    for key in keys:
        seq = QKeySequence(key)     # a StandardKey gives its platform's primary binding
        if not seq.isEmpty() and seq not in seqs:
            seqs.append(seq)
    if seqs:
        action.setShortcuts(seqs)
    action.setCheckable(checkable)
    tip = tip or text.replace("&", "").rstrip("…")
    if seqs:
        tip += f"  ({shortcut_text(action)})"
    action.setToolTip(tip)
    action.setStatusTip(tip)
    action.setProperty("menu", menu)
    if slot is not None:
        (action.toggled if checkable else action.triggered).connect(slot)
    return action


def shortcut_text(action: QAction) -> str:
    return ", ".join(s.toString(QKeySequence.NativeText) for s in action.shortcuts())


def keyboard_rows(actions) -> list[tuple[str, str, str]]:
    """(menu, action, keys) for every action that has a shortcut."""
    rows = []
    for a in actions:
        if a.shortcuts():
            rows.append((a.property("menu") or "", a.text().replace("&", ""), shortcut_text(a)))
    return rows


SK = QKeySequence.StandardKey


class WindowActions:
    """The window's menus and step toolbar. Slots are the window's public methods."""

    def __init__(self, w):
        self.w = w
        self._all: list[QAction] = []
        self._file_menu(w)
        self._edit_menu(w)
        self._view_menu(w)
        self._step_menu(w)
        self._help_menu(w)
        self._toolbar(w)

    def _add(self, menu: QMenu, title: str, text: str, slot, keys=(), **kw) -> QAction:
        action = make_action(self.w, text, slot, keys, menu=title, **kw)
        menu.addAction(action)
        self.w.addAction(action)       # shortcuts work even with the menu bar hidden
        self._all.append(action)
        return action

    def _add_existing(self, menu: QMenu, title: str, action: QAction, text: str,
                      keys=()) -> QAction:
        """An action made elsewhere (a dock's toggle) given keys and a place in the map."""
        template = make_action(self.w, text, None, keys)
        action.setText(text)
        action.setShortcuts(template.shortcuts())
        action.setToolTip(template.toolTip())
        action.setProperty("menu", title)
        template.deleteLater()
        menu.addAction(action)
        self.w.addAction(action)
        self._all.append(action)
        return action

    def all(self) -> list[QAction]:
        return list(self._all)

    # ---- menus ----------------------------------------------------------------------------
    def _file_menu(self, w) -> None:
        m, t = w.menuBar().addMenu("&File"), "File"
        self.new_snippet = self._add(m, t, "&New from snippet…", w.new_from_snippet, [SK.New])
        self.open = self._add(m, t, "&Open…", w.open_dialog, [SK.Open])
        self.recent_menu = m.addMenu("Open &Recent")
        m.addSeparator()
        self.save = self._add(m, t, "&Save", w.save, [SK.Save])
        self.save_as = self._add(m, t, "Save &As…", w.save_as, [SK.SaveAs])
        add_export_actions(self, m, t, w)
        m.addSeparator()
        self.quit = self._add(m, t, "&Quit", w.close, [SK.Quit, "Ctrl+Q"])

    def _edit_menu(self, w) -> None:
        m, t = w.menuBar().addMenu("&Edit"), "Edit"
        self.undo = w.undo_stack.createUndoAction(w, "&Undo")
        self.redo = w.undo_stack.createRedoAction(w, "&Redo")
        for action, keys in ((self.undo, [SK.Undo]), (self.redo, ["Ctrl+Shift+Z", SK.Redo])):
            template = make_action(w, action.text(), None, keys)
            action.setShortcuts(template.shortcuts())
            action.setProperty("menu", t)
            template.deleteLater()
            m.addAction(action)
            w.addAction(action)
            self._all.append(action)
        add_edit_actions(self, m, t, w)

    def _view_menu(self, w) -> None:
        m, t = w.menuBar().addMenu("&View"), "View"
        v = w.view
        # Ctrl with +, − and 0 sizes the text (as in a browser); the canvas zooms without.
        self.zoom_in = self._add(m, t, "Zoom &in", v.zoom_in, ["+", "="])
        self.zoom_out = self._add(m, t, "Zoom &out", v.zoom_out, ["-"])
        self.fit = self._add(m, t, "&Fit to window", v.fit, ["F"])
        m.addSeparator()
        self.follow = self._add(m, t, "Follow the &step", v.set_follow, ["Shift+F"],
                                checkable=True, tip="keep the current step's node in view")
        self.follow.setChecked(True)
        v.set_follow(True)
        self.live = self._add(m, t, "&Live: recompute after each edit", self._set_live,
                              ["Ctrl+L"], checkable=True)
        self.dark = self._add(m, t, "&Dark theme", self._set_dark, ["T", "Ctrl+Shift+D"],
                              checkable=True, tip="dark canvas (for dim lecture rooms); "
                                                  "presentation: projector light or dark")
        add_view_actions(self, m, t, w)

    def _step_menu(self, w) -> None:
        m, t = w.menuBar().addMenu("&Step"), "Step"
        self.step = self._add(m, t, "Step &forward", w.step_forward, ["Right", "PgDown"],
                              tip="apply the next step (quiz: reveal first)")
        self.back = self._add(m, t, "Step &back", w.step_back, ["Left", "PgUp"],
                              tip="undo the last step exactly")
        self.end = self._add(m, t, "Run to &end", w.run_to_end, ["End"])
        self.to_selected = self._add(m, t, "Run to &selected node", w.run_to_selected,
                                     ["Ctrl+R"], tip="run until the selected node is done")
        self.reset = self._add(m, t, "&Reset", w.reset, ["Home"], tip="back to step 0")
        m.addSeparator()
        self.check = self._add(m, t, "&Numeric check", w.numeric_check, ["Ctrl+G"],
                               tip="compare every leaf's grad with central differences")
        add_structure_actions(self, m, t, w)
        add_group_actions(self, m, t, w)
        add_step_actions(self, m, t, w)

    def _help_menu(self, w) -> None:
        m, t = w.menuBar().addMenu("&Help"), "Help"
        self.keys = self._add(m, t, "&Keyboard map", w.keyboard_map,
                              [SK.HelpContents, "?", "Shift+?"])   # ? is shifted on most layouts
        self.about = self._add(m, t, "&About bpstudio", w.about, ["Shift+F1"])

    # ---- toolbar ----------------------------------------------------------------------------
    def _toolbar(self, w) -> None:
        bar = QToolBar("Stepping", w)
        bar.setObjectName("steppingToolbar")
        bar.setMovable(False)
        bar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        bar.setIconSize(QSize(26, 26))
        font = bar.font()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.3)
        bar.setFont(font)
        style = w.style()
        for action, text, icon in (
                (self.reset, "Reset", QStyle.SP_MediaSkipBackward),
                (self.back, "Back", QStyle.SP_MediaSeekBackward),
                (self.step, "Step", QStyle.SP_MediaPlay),
                (self.end, "End", QStyle.SP_MediaSkipForward),
                (self.to_selected, "Run to selected", None)):
            action.setIconText(text)        # the toolbar shows iconText, menus text
            if icon is not None:
                action.setIcon(style.standardIcon(icon))
            bar.addAction(action)
            button = bar.widgetForAction(action)
            if isinstance(button, QToolButton):
                button.setFont(font)
                button.setMinimumWidth(110)
        bar.addSeparator()
        self.counter = QLabel()
        self.counter.setObjectName("stepCounter")
        big = bar.font()
        big.setBold(True)
        self.counter.setFont(big)
        self.counter.setContentsMargins(12, 0, 12, 0)
        bar.addWidget(self.counter)
        bar.addSeparator()
        for action, text in ((self.check, None), (self.quiz, "Quiz"), (self.present, "Present")):
            if text:
                action.setIconText(text)
            bar.addAction(action)
        w.addToolBar(Qt.TopToolBarArea, bar)
        self.toolbar = bar

    def update_enabled(self, cursor: int, total: int) -> None:
        for action in (self.back, self.reset):
            action.setEnabled(cursor > 0)
        for action in (self.step, self.end):
            action.setEnabled(cursor < total)

    def rebuild_recent(self, files: list[str]) -> None:
        self.recent_menu.clear()
        for path in files:
            action = self.recent_menu.addAction(path)
            action.triggered.connect(lambda _checked=False, p=path: self.w.open_path(p))
        self.recent_menu.setEnabled(bool(files))

    # ---- toggles ---------------------------------------------------------------------------
    def _set_live(self, flag: bool) -> None:
        if self.w.doc is not None:
            self.w.doc.set_live(flag)

    def _set_dark(self, flag: bool) -> None:
        self.w.settings.setValue("darkCanvas", flag)
        self.w.apply_theme()
