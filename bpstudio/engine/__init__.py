"""The engine: numpy only. Ops, graphs, step programs and the stepper."""
from . import ops_tensor  # noqa: F401  (registers the tensor ops into OPS)
from .graph import Graph, GraphError, Node
from .ops import OPS, Op
from .program import Program, compile_graph
from .records import Flow, StepRecord, fmt
from .stepper import Stepper

__all__ = ["Graph", "GraphError", "Node", "OPS", "Op", "Program", "compile_graph",
           "Flow", "StepRecord", "fmt", "Stepper"]
