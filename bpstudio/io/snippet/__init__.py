"""Read micrograd-style Python snippets into a Graph, with ``ast`` only.

Nothing in a snippet is ever executed, evaluated or imported: the text is parsed
with ``ast.parse`` and its statements are walked (loops unrolled, within limits).
Expressions are evaluated symbolically with an explicit stack, so neither a
5,000-statement snippet nor a deep expression tree recurses here.

Supported (everything else is a SnippetError ``FILE:LINE:COL: what`` that, for code
the reader does not understand, ends by pointing to ``bpstudio run FILE``):
  a = Value(2.0, label='a')          leaves: Value(number) / Value(data=..., label=...)
  e = a * b; e.label = 'e'           + - * / ** on Values and numbers; unary minus
  o = n.tanh()                       .tanh() .relu() .exp() .log() .sigmoid()
  x1, x2 = 3., 1.; h = 0.001         plain numbers and number arithmetic, math.pi,
                                     math.e, math.exp(number), ...; a.data reads
  a.data += 0.01 * a.grad            .data set on a leaf not yet used; .grad reads
                                     are 0 before any backward() (refused after)
  ws = [Value(1.0), Value(2.0)]      lists, tuples, indexing, slices, unpacking,
  for w, x in zip(ws, xs): ...       for loops over range/lists/zip/enumerate,
  s = sum((w*x for w, x in ...), b)  list/generator comprehensions (no if), sum()
  L.backward()                       marks L as the output; o._backward() is a no-op
  gt = Tape(); Add(x, y, gt) ...     seed 003's tape (see dialects.py)
  torch.tensor(3., requires_grad=True), torch.sigmoid(...), F.mse_loss, @, .T
Skipped: imports, def blocks, docstrings, pass, notebook lines (%magic, !cmd),
print/display/draw_dot/get_ipython(...) and what they return, bare ``L``/``L.grad``,
assignments to ``X.grad``. A ``class Value`` is skipped and ours used, where its
methods compute what ours do (classes.py). Limits: 50 MB, 200,000 nodes, 1,000,000
loop iterations, 5,000,000 statements run.
The output is the last ``X.backward()`` target, else the last created unconsumed
named node (computed nodes before leaves). Value leaves are "input" when their
label or name starts with "x", else "parameter"; number operands are "constant";
tensors are "parameter" with requires_grad, else "input" (or "target" for t, t1...).

Node ids: the variable name a node was first bound to; for a node bound to an
already used name (``a = a * b``), that name with ``_2``, ``_3`` ...; for an
unbound node, its label made into an identifier if it has one; otherwise the
op name and a counter (``mul1``, ``add2``, ``const1``). Labels: the given
label, else the variable name (first binding only), else the id.
Line numbers and columns in errors are 1-based, like an editor's.
"""
from .errors import SnippetError
from .reader import load_snippet, parse_snippet

__all__ = ["SnippetError", "load_snippet", "parse_snippet"]
