"""A tiny Qt-free signal: the model announces changes; the UI connects."""
from __future__ import annotations

from typing import Callable


class Signal:
    """Call every connected function with the emitted arguments, in connection order."""

    __slots__ = ("_slots",)

    def __init__(self) -> None:
        self._slots: list[Callable] = []

    def connect(self, fn: Callable) -> None:
        if fn not in self._slots:
            self._slots.append(fn)

    def disconnect(self, fn: Callable) -> None:
        if fn in self._slots:
            self._slots.remove(fn)

    def emit(self, *args) -> None:
        for fn in list(self._slots):
            fn(*args)
