"""The learning-rate box: a spin box that steps 1-2-5 over decades (0.1 → 0.2 → 0.5 → 1)."""
from __future__ import annotations

import math

from PySide6.QtGui import QValidator
from PySide6.QtWidgets import QDoubleSpinBox


def next_125(value: float, up: bool) -> float:
    """The next number in the 1-2-5 sequence (…, 0.1, 0.2, 0.5, 1, 2, 5, …)."""
    e = math.floor(math.log10(value)) if value > 0 else -6
    seq = [m * 10.0 ** k for k in range(e - 1, e + 2) for m in (1, 2, 5)]
    if up:
        return next(v for v in seq if v > value * (1 + 1e-9))
    return max([v for v in seq if v < value * (1 - 1e-9)] or [seq[0]])


class LogSpinBox(QDoubleSpinBox):
    """A learning-rate box: arrows walk 1-2-5 steps, the text shows `%g`."""

    def __init__(self, parent=None, **kwargs):
        super().__init__(parent, **kwargs)
        self.setRange(1e-6, 100.0)
        self.setDecimals(8)
        self.setKeyboardTracking(False)

    def stepBy(self, steps: int) -> None:
        v = self.value()
        for _ in range(abs(steps)):
            v = next_125(v, steps > 0)
        self.setValue(min(max(v, self.minimum()), self.maximum()))

    def textFromValue(self, value: float) -> str:
        return f"{value:g}"

    def valueFromText(self, text: str) -> float:
        return float(text.replace("−", "-").strip())

    def validate(self, text: str, pos: int):
        try:
            ok = self.minimum() <= float(text.replace("−", "-")) <= self.maximum()
        except ValueError:
            ok = False
        return (QValidator.Acceptable if ok else QValidator.Intermediate), text, pos
