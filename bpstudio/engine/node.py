"""A graph's node and the error that names one: the pieces every engine module shares."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .ops import LEAF, as_value

ROLES = ("input", "parameter", "constant", "target")


class GraphError(ValueError):
    """A graph that cannot be computed; names the node at fault when there is one."""

    def __init__(self, message: str, node: str | None = None):
        super().__init__(message)
        self.node = node


@dataclass
class Node:
    id: str
    op: str = LEAF
    inputs: tuple[str, ...] = ()
    label: str = ""
    role: str | None = None          # leaves only: one of ROLES
    value: Any = None                # leaves only: float or float64 array
    attrs: dict = field(default_factory=dict)
    origin: str = ""                 # where it came from, e.g. PyTorch's "AddmmBackward0"

    def __post_init__(self):
        self.inputs = tuple(self.inputs)
        if not self.label:
            self.label = self.id
        if self.op == LEAF:
            if self.role is None:
                self.role = "parameter"
            if self.value is not None:
                self.value = as_value(self.value)

    @property
    def is_leaf(self) -> bool:
        return self.op == LEAF
