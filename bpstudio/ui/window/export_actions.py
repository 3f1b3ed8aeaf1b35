"""File ▸ Export and Step ▸ Step into / Collapse for the main window.

Built through `WindowActions._add` (every action has a key and appears in the keyboard
map). The slots take the window `w` and use only what every window has: `doc`,
`scene`, `view`, `undo_stack`, `statusBar()` and `show_error()`. The `export_*_to`
functions take a path, so tests and scripts skip the file dialogs.
"""
from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication, QFileDialog, QMenu, QProgressDialog

from ..canvas import export, pass_export
from ..commands.groups import close_group_command, open_group_command
from ..commands.structure import collapse_command, expand_command

PNG_SCALE = 2.0            # exported PNGs: twice as sharp as the screen (slides, 4K projectors)

# kind: (menu text, keys, file filter or None for a folder, default suffix)
KINDS = {
    "png": ("Whole graph as &PNG…", ["Ctrl+E"], "PNG image (*.png)", ".png"),
    "view": ("&Current view as PNG…", ["Ctrl+Alt+E"], "PNG image (*.png)", ".png"),
    "svg": ("Whole graph as &SVG…", ["Ctrl+Alt+S"], "SVG drawing (*.svg)", ".svg"),
    "dot": ("Graphviz &DOT…", ["Ctrl+Alt+D"], "Graphviz DOT (*.dot *.gv)", ".dot"),
    "gif": ("Whole pass as animated &GIF…", ["Ctrl+Shift+G"], "Animated GIF (*.gif)", ".gif"),
    "frames": ("Whole pass as PNG &frames…", ["Ctrl+Alt+G"], None, ""),
}


def add_export_actions(wa, m: QMenu, t: str, w) -> None:
    """File ▸ Export ▸ … (call from WindowActions._file_menu)."""
    sub = m.addMenu("&Export")
    for kind, (text, keys, _filter, _suffix) in KINDS.items():
        action = wa._add(sub, t, text, lambda _=False, k=kind: ask_and_export(w, k), keys)
        setattr(wa, f"export_{kind}", action)


def add_structure_actions(wa, m: QMenu, t: str, w) -> None:
    """Step ▸ Step into / Collapse (call from WindowActions._step_menu)."""
    m.addSeparator()
    wa.step_into = wa._add(m, t, "Step &into tanh / sigmoid / loss", lambda: step_into(w), ["I"],
                           tip="spell the selected (or current) composite op out in "
                               "primitive nodes, same numbers")
    wa.collapse = wa._add(m, t, "C&ollapse (step over)", lambda: collapse(w), ["O"],
                          tip="fold the selected (or current) expanded op back into one node")


# ---- step into / collapse ---------------------------------------------------------------------
def _target(w) -> str | None:
    return w.scene.selected_node() or w.scene.current_node()


def step_into(w) -> bool:
    folded = open_group_command(w.doc, w.scene, _target(w))     # a neuron of the diagram
    if folded is not None:
        w.undo_stack.push(folded)
        return True
    cmd = expand_command(w.doc, _target(w))
    if cmd is None:
        w.statusBar().showMessage("select a tanh, sigmoid, sse or mse node to step into", 5000)
        return False
    w.undo_stack.push(cmd)
    w.statusBar().showMessage(f"stepped into {cmd.node_id}: {len(w.doc.graph.nodes)} nodes, "
                              f"{w.doc.stepper.total} steps", 5000)
    return True


def collapse(w) -> bool:
    fold = close_group_command(w.doc, w.scene, _target(w))     # back into the diagram
    if fold is not None:
        w.undo_stack.push(fold)
        return True
    cmd = collapse_command(w.doc, _target(w))
    if cmd is None:
        w.statusBar().showMessage("select a node of an expanded op to collapse it", 5000)
        return False
    w.undo_stack.push(cmd)
    return True


# ---- export -----------------------------------------------------------------------------------
def ask_and_export(w, kind: str) -> Path | None:
    text, _keys, filters, suffix = KINDS[kind]
    caption = "Export " + text.replace("&", "").rstrip("…")
    src = w.doc.path or w.doc.source
    stem = src.with_suffix("") if src else Path(w.doc.title or "graph")
    if filters is None:
        path = QFileDialog.getExistingDirectory(w, caption, str(stem.parent))
    else:
        path, _ = QFileDialog.getSaveFileName(w, caption, str(stem) + suffix, filters)
    if not path:
        return None
    if suffix and not Path(path).suffix:
        path += suffix
    return export_to(w, kind, path)


def export_to(w, kind: str, path) -> Path | None:
    """Write one export; report in the status bar, or show why it failed. The whole
    pass (GIF, frames) runs frame by frame under a progress dialog with Cancel."""
    if kind in _PASS_JOBS:
        return _export_pass(w, kind, Path(path))
    QGuiApplication.setOverrideCursor(Qt.WaitCursor)
    try:
        out = _EXPORTERS[kind](w, Path(path))
    except (OSError, RuntimeError) as exc:
        w.show_error(f"{path}: {exc}", "Cannot export")
        return None
    finally:
        QGuiApplication.restoreOverrideCursor()
    w.statusBar().showMessage(f"exported {out}", 8000)
    return out


def _pass_size(w) -> tuple[int, int]:
    """GIF / frames: the whole graph as this window's canvas shows it after Fit."""
    port = w.view.maximumViewportSize()
    return max(64, port.width()), max(64, port.height())


_EXPORTERS = {
    "png": lambda w, p: export.export_png(w.scene, p, scale=PNG_SCALE),
    "view": lambda w, p: export.export_png(w.scene, p, frame=export.view_frame(w.view, PNG_SCALE)),
    "svg": lambda w, p: export.export_svg(w.scene, p, title=w.doc.graph.title or w.doc.title),
    "dot": lambda w, p: export.export_dot(w.doc, p),
}


# ---- the whole pass, with progress and Cancel ----------------------------------------------
SLICE_S = 0.05             # frames drawn between two rounds of event processing

_PASS_JOBS = {
    "gif": lambda w, p: pass_export.gif_job(w.doc, p, w.scene.theme(), size=_pass_size(w)),
    "frames": lambda w, p: pass_export.frames_job(w.doc, p, w.scene.theme(), size=_pass_size(w)),
}


def _export_pass(w, kind: str, path: Path) -> Path | None:
    try:
        finished = run_with_progress(w, _PASS_JOBS[kind](w, path), f"Exporting {path.name}…")
    except (OSError, RuntimeError) as exc:
        w.show_error(f"{path}: {exc}", "Cannot export")
        return None
    if not finished:
        w.statusBar().showMessage(f"export cancelled: nothing written to {path}", 8000)
        return None
    w.statusBar().showMessage(f"exported {path}", 8000)
    return path


def run_with_progress(w, job, label: str) -> bool:
    """Drive `job` (a generator yielding (done, total) after each frame) under a
    window-modal progress dialog, handling events between slices of frames so the
    window repaints and Cancel works (scene rendering must stay on this thread).
    False when cancelled: the job is closed, which removes what it wrote."""
    dialog = QProgressDialog(label, "Cancel", 0, 0, w)
    dialog.setObjectName("exportProgress")
    dialog.setWindowModality(Qt.WindowModal)
    dialog.setMinimumDuration(300)
    dialog.setAutoReset(False)
    dialog.setAutoClose(False)
    try:
        dialog.setValue(0)
        slice_end = time.monotonic() + SLICE_S
        for done, total in job:
            if time.monotonic() >= slice_end or done == total:
                dialog.setMaximum(total)
                dialog.setLabelText(f"{label}\nframe {done} of {total}")
                dialog.setValue(done)
                QApplication.processEvents()
                slice_end = time.monotonic() + SLICE_S
            if dialog.wasCanceled():
                job.close()
                return False
        return True
    finally:
        job.close()
        dialog.close()
        dialog.deleteLater()
