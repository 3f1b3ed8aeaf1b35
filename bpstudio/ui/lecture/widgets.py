"""The widgets of presentation mode: the chain-rule bar at the bottom, the slim step
counter over the canvas, and the keyboard map overlay (`?`).

Sizes are pixel sizes at text scale 1 on a 1920×1080 projector: the chain-rule line
is 36 px, nothing a student must read is under 24 px. Colours come from the canvas
theme, so the bar matches the projector-light or the dark canvas.
"""
from __future__ import annotations

import html
import re

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from ..panels.chain_text import HIDDEN, gate_hint, step_heading, step_lines, step_notes

LINE_PX, TAIL_PX, HEAD_PX, HINT_PX, NOTE_PX = 36, 30, 24, 24, 28
BADGE_PX, KEYS_PX = 22, 19
FONT = "DejaVu Sans"
_HIDDEN_RE = re.compile(r"(?<=[\s(])" + re.escape(HIDDEN) + r"(?=$|[\s;)])")


def px_font(px: float, bold: bool = False, italic: bool = False) -> QFont:
    font = QFont(FONT)
    font.setPixelSize(max(8, round(px)))
    font.setBold(bold)
    font.setItalic(italic)
    return font


def _mix(a: str, b: str, t: float) -> str:
    """Colour a moved a fraction t towards colour b."""
    ca, cb = QColor(a), QColor(b)
    return QColor(round(ca.red() + (cb.red() - ca.red()) * t),
                  round(ca.green() + (cb.green() - ca.green()) * t),
                  round(ca.blue() + (cb.blue() - ca.blue()) * t)).name()


class PresentBar(QFrame):
    """The current step in large type across the bottom; its notes on the right."""

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("presentBar")
        self.scale = 1.0
        self.theme = None
        self.heading = QLabel(objectName="presentHeading")
        self.lines = QLabel(objectName="presentLines", wordWrap=True, textFormat=Qt.RichText)
        self.hint = QLabel(objectName="presentHint", wordWrap=True)
        self.notes = QLabel(objectName="presentNotes", wordWrap=True, textFormat=Qt.RichText)
        self.notes.setAlignment(Qt.AlignTop | Qt.AlignLeft)
        self.notes.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)
        words = QVBoxLayout()
        words.setSpacing(6)
        for w in (self.heading, self.lines, self.hint):
            words.addWidget(w)
        words.addStretch(1)                           # a short step stays at the top
        row = QHBoxLayout(self)
        row.setContentsMargins(32, 14, 32, 18)
        row.setSpacing(28)
        row.addLayout(words, 3)
        row.addWidget(self.notes, 2, Qt.AlignTop)    # hidden: the words get the width
        self.set_scale(1.0)

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.heading.setFont(px_font(HEAD_PX * scale, bold=True))
        self.lines.setFont(px_font(LINE_PX * scale))
        self.hint.setFont(px_font(HINT_PX * scale, italic=True))
        self.notes.setFont(px_font(NOTE_PX * scale))
        self.setMinimumHeight(self.room(scale))

    @staticmethod
    def room(scale: float) -> int:
        """Height for a backward step into two inputs (two lines, two sums), so the bar
        (and with it the canvas above) keeps one size from step to step."""
        def h(px):
            return QFontMetrics(px_font(px * scale)).lineSpacing()
        return 14 + 18 + h(HEAD_PX) + 2 * (h(LINE_PX) + h(TAIL_PX)) + h(HINT_PX) + 5 * 6 + 8

    def set_theme(self, theme) -> None:
        self.theme = theme
        muted = _mix(theme.text, theme.background, 0.35)
        self.setStyleSheet(
            f"QFrame#presentBar {{ background: {theme.background}; "
            f"border-top: 3px solid {theme.card_border}; }}"
            f"QLabel {{ color: {theme.text}; background: transparent; }}"
            f"QLabel#presentHeading, QLabel#presentHint {{ color: {muted}; }}"
            f"QLabel#presentNotes {{ background: {theme.header}; color: {theme.text}; "
            f"border-left: 6px solid {theme.note}; border-radius: 6px; padding: 10px 16px; }}")

    def show_step(self, doc, labels, hidden=frozenset(), summary=None) -> None:
        """The step's chain-rule lines; on the neuron diagram (`summary`: the lines of
        model.diagram.neuron_summary) the neuron's step instead, in the same room."""
        s = doc.stepper
        self.heading.setText(step_heading(s, with_step=False))
        if s.cursor == 0:
            body = [f"Press <b>→</b> to compute the first node ({s.total} steps)."]
        elif summary:
            body = [self._summary_html(summary)]
        else:
            body = [self._line_html(line) for line in step_lines(s, labels, hidden)]
        self.lines.setText("".join(body))
        self.hint.setText(gate_hint(s))
        self.hint.setVisible(bool(gate_hint(s)))
        notes = step_notes(doc)
        self.notes.setText("<br>".join(f"<b>{html.escape(who)}:</b> {html.escape(text)}"
                                       for who, text in notes))
        self.notes.setVisible(bool(notes))

    def _line_html(self, line: str) -> str:
        head, _, tail = line.partition(";  ")
        colour = self.theme.current if self.theme else "#ff5a00"
        mark = f"<b style='color:{colour}'>{HIDDEN}</b>"
        head = _HIDDEN_RE.sub(mark, html.escape(head))
        out = f"<div style='margin-top:2px'>{head}</div>"
        if tail:
            tail = _HIDDEN_RE.sub(mark, html.escape(tail))
            out += (f"<div style='margin-left:1.2em; font-size:{round(TAIL_PX * self.scale)}px'>"
                    f"→ {tail}</div>")
        return out

    def _summary_html(self, lines: list[str]) -> str:
        head, *rest = lines
        small = round(TAIL_PX * self.scale)
        return (f"<div style='margin-top:2px'><b>{html.escape(head)}</b></div>"
                + "".join(f"<div style='margin-left:1.2em; font-size:{small}px'>"
                          f"{html.escape(line)}</div>" for line in rest))

    def text(self) -> str:
        """Plain text of the bar (tests)."""
        from PySide6.QtGui import QTextDocument
        parts = []
        for label in (self.heading, self.lines, self.hint, self.notes):
            if label.isVisibleTo(self):
                d = QTextDocument()
                d.setHtml(label.text())
                parts.append(d.toPlainText())
        return "\n".join(parts)


class StepBadge(QLabel):
    """A slim translucent counter in the canvas's top-right corner, and a short message
    line under it (why a run stopped, a toggle) since the status bar is hidden."""

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("stepBadge")
        self.setAttribute(Qt.WA_TransparentForMouseEvents)
        self.setTextFormat(Qt.RichText)
        self.counter = ""
        self.flags: list[str] = []
        self.message = ""
        self.scale = 1.0
        self.set_theme(None)
        self.hide()

    def set_scale(self, scale: float) -> None:
        self.scale = scale
        self.setFont(px_font(BADGE_PX * scale, bold=True))
        self._render()

    def set_theme(self, theme) -> None:
        dark = theme is not None and QColor(theme.background).lightness() < 128
        bg, fg = ("rgba(255,255,255,40)", "#f2f2f2") if dark else ("rgba(20,24,28,28)", "#1f2328")
        self.accent = theme.current if theme is not None else "#ff5a00"
        self.setStyleSheet(f"QLabel#stepBadge {{ background: {bg}; color: {fg}; "
                           f"border-radius: 10px; padding: 6px 14px; }}")
        self.set_scale(self.scale)

    def set_counter(self, text: str, flags=()) -> None:
        self.counter, self.flags = text, list(flags)
        self._render()

    def set_message(self, text: str) -> None:
        self.message = text
        self._render()

    def _render(self) -> None:
        flags = "".join(f"&nbsp;&nbsp;<span style='color:{self.accent}'>{html.escape(f)}</span>"
                        for f in self.flags)
        text = html.escape(self.counter) + flags
        if self.message:
            small = round(BADGE_PX * 0.85 * self.scale)
            text += f"<div style='font-size:{small}px; font-weight:normal'>" \
                    f"{html.escape(self.message)}</div>"
        self.setText(text)
        self.adjustSize()
        self.place()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.move(parent.width() - self.width() - 18, 16)


class KeyOverlay(QFrame):
    """Every key of every action, grouped by menu, over the canvas (`?` or Esc closes).

    Every row is shown in full at every text size: the overlay takes the largest text
    (up to the lecture's text size) and the fewest columns (3 to 5) with which all the
    rows fit in its parent; nothing is clipped or elided."""

    MIN_PX = 9

    def __init__(self, parent: QWidget):
        super().__init__(parent)
        self.setObjectName("keyOverlay")
        self.columns = QHBoxLayout(self)
        self.columns.setContentsMargins(36, 28, 36, 28)
        self.columns.setSpacing(40)
        self.scale = 1.0
        self.px = KEYS_PX
        self.rows: list[tuple[str, str, str]] = []
        self.hide()

    def set_rows(self, rows, theme=None, scale: float = 1.0) -> None:
        """(menu, action, keys) rows, laid out in balanced columns."""
        self.rows, self.scale = list(rows), scale
        dark = theme is not None and QColor(theme.background).lightness() < 128
        bg, fg = ("#16171b", "#f2f2f2") if dark else ("#ffffff", "#111")
        border = theme.current if theme is not None else "#ff5a00"
        self.setStyleSheet(f"QFrame#keyOverlay {{ background: {bg}; border: 3px solid {border}; "
                           f"border-radius: 14px; }} QLabel {{ color: {fg}; background: transparent; }}")
        self.place()

    def _fill(self, px: float, n: int) -> None:
        while self.columns.count():
            item = self.columns.takeAt(0)
            if item.widget():
                item.widget().deleteLater()
        groups: dict[str, list] = {}
        for menu, action, keys in self.rows:
            groups.setdefault(menu or "Other", []).append((action, keys))
        gap = round(max(12.0, 40 * px / KEYS_PX))
        self.columns.setSpacing(gap)
        for html_text in _balanced_columns(groups, n):
            label = QLabel(html_text, textFormat=Qt.RichText, alignment=Qt.AlignTop)
            label.setFont(px_font(px))
            self.columns.addWidget(label, 1)
        self.px = px

    def _room(self) -> QSize:
        parent = self.parentWidget()
        if parent is None:
            return QSize(1600, 900)
        return QSize(round(parent.width() * 0.94), parent.height() - 24)

    def place(self) -> None:
        """The largest text and fewest columns that fit, centred in the parent."""
        room = self._room()
        px = KEYS_PX * self.scale
        while True:
            for n in (3, 4, 5):
                self._fill(px, n)
                need = self._need()
                if need.width() <= room.width() and need.height() <= room.height():
                    break
            else:
                if px > self.MIN_PX:
                    px = max(self.MIN_PX, px * 0.9)
                    continue
            break
        need = self._need().expandedTo(QSize(round(room.width() * 0.6), 0))
        size = need.boundedTo(room)
        parent = self.parentWidget()
        w, h = (parent.width(), parent.height()) if parent is not None else (size.width(), size.height())
        self.setGeometry((w - size.width()) // 2, max(0, (h - size.height()) // 2),
                         size.width(), size.height())
        if self.isVisible():                  # new labels show at once, laid out now
            for i in range(self.columns.count()):
                self.columns.itemAt(i).widget().show()
        self.columns.activate()

    def _need(self) -> QSize:
        """The size the columns ask for (the layout's own hint is cached until shown)."""
        hints = [self.columns.itemAt(i).widget().sizeHint() for i in range(self.columns.count())]
        m = self.columns.contentsMargins()
        width = sum(h.width() for h in hints) + self.columns.spacing() * (len(hints) - 1)
        height = max((h.height() for h in hints), default=0)
        return QSize(width + m.left() + m.right() + 8, height + m.top() + m.bottom() + 8)

    def fits(self) -> bool:
        """Every row in full: each column's text has the room it asks for."""
        labels = [self.columns.itemAt(i).widget() for i in range(self.columns.count())]
        return all(lb.width() >= lb.sizeHint().width() and lb.height() >= lb.sizeHint().height()
                   for lb in labels if lb is not None)

    def listed(self) -> list[tuple[str, str, str]]:
        return list(self.rows)


def _balanced_columns(groups: dict[str, list], n: int) -> list[str]:
    """Whole menus per column, filled in order so each column has about the same rows."""
    target = sum(len(rows) + 2 for rows in groups.values()) / n
    columns, current, size = [], [], 0
    for menu, rows in groups.items():
        weight = len(rows) + 2
        if current and size + weight / 2 > target and len(columns) < n - 1:
            columns.append(current)
            current, size = [], 0
        current.append((menu, rows))
        size += weight
    columns.append(current)
    out = []
    for col in columns:
        parts = []
        for menu, rows in col:
            cells = "".join(f"<tr><td style='padding:2px 14px 2px 0' align='right'><b>"
                            f"{html.escape(keys)}</b></td><td style='padding:2px 0'>"
                            f"{html.escape(action)}</td></tr>" for action, keys in rows)
            parts.append(f"<p style='font-size:large; margin-top:10px'><b>{html.escape(menu)}"
                         f"</b></p><table cellspacing='0'>{cells}</table>")
        out.append("".join(parts))
    return out
