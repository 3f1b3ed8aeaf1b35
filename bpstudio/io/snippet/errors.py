"""The snippet reader's error, its limits, and the kinds of value an expression can have."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..fileformat import MAX_BYTES, MAX_NODES

MAX_ITERATIONS = 1_000_000       # loop iterations, all loops together
MAX_STATEMENTS = 5_000_000       # statements run, loop bodies counted each time
MAX_ITEMS = 1_000_000            # elements of one list, tuple or tensor
RUN_HINT = "`bpstudio run {path}` runs it as Python if you trust it"

__all__ = ["SnippetError", "MAX_BYTES", "MAX_NODES", "MAX_ITERATIONS", "MAX_STATEMENTS",
           "MAX_ITEMS", "Num", "Str", "Seq", "Opaque", "Module", "TAPE", "Rec"]


class SnippetError(Exception):
    """A snippet outside the supported subset; ``str(e)`` is ``path:line:col: message``.

    ``hint`` is True for code the safe reader does not understand (rather than a
    broken or too large file): the message then ends by naming ``bpstudio run``."""

    def __init__(self, path, line: int, col: int, message: str, hint: bool = False):
        self.path = " ".join(str(path).splitlines())
        self.line = int(line)
        self.col = int(col)
        self.hint = bool(hint)
        self.message = " ".join(str(message).splitlines())
        if self.hint:
            shown = self.path if not self.path.startswith("<") else "FILE"
            self.message += "; the safe reader never runs code, " + RUN_HINT.format(path=shown)
        super().__init__(f"{self.path}:{self.line}:{self.col}: {self.message}")

    def __reduce__(self):                            # keeps it picklable
        return (_rebuild, (self.path, self.line, self.col, self.message))


def _rebuild(path, line, col, message):
    return SnippetError(path, line, col, message)


@dataclass(frozen=True)
class Num:
    """A plain Python number (int or float), not a node."""
    value: float | int


@dataclass(frozen=True)
class Str:
    value: str


@dataclass(eq=False)
class Seq:
    """A list (mutable, like Python's) or tuple of evaluated values."""
    items: list
    kind: str = "list"               # "list" | "tuple" | "range" | "zip"


@dataclass(frozen=True)
class Opaque:
    """Something the reader skips: a draw_dot(...) picture, a display handle, a class."""
    what: str


@dataclass(frozen=True)
class Module:
    """A module (or a dotted path inside one) such as ``torch.nn.functional``."""
    path: str


TAPE = Opaque("Tape()")


@dataclass
class Rec:
    """One node being built."""
    op: str
    where: object                 # the ast node that made it, for error positions
    inputs: tuple[int, ...] = ()
    value: object = None          # leaves: the value; ops: the forward value
    role: str | None = None
    label: str | None = None      # explicit label (Value(label=...) or x.label = ...)
    var: str | None = None        # the first variable name bound to this node
    owns_var: bool = False        # this node was the first one bound to ``var``
    attrs: dict = field(default_factory=dict)
    kind: str = "value"           # leaves: "value" | "tensor" | "tape"
    requires_grad: bool | None = None
