"""Fuzz the safe .py reader with random programs over its whole subset (not part of the suite).

`python tests/benchmarks/fuzz_snippet_subset.py [SEED] [N]`: every program must load or be
refused with one SnippetError line; any other exception is printed with the program.
"""
import random, sys, traceback
from bpstudio.io.snippet import parse_snippet, SnippetError
random.seed(int(sys.argv[1]) if len(sys.argv) > 1 else 0)
names = ['a', 'b', 'c', 'xs', 'ws', 'gt', 'T', 'i', 'h']
atoms = ['a', 'b', 'c', 'xs', 'ws', 'gt', 'h', '1', '2.5', '-1', '0', 'True', "'s'", 'None', 'xs[0]', 'ws[-1]', 'a.data', 'a.grad', 'math.pi', '[a, b]', '(a, 1)', 'range(3)', 'T']
calls = ['Value({})', 'Value(data={}, label="q")', 'sum({})', 'sum({}, {})', 'len({})', 'zip({}, {})', 'enumerate({})', 'list({})', 'math.exp({})', 'torch.tensor({}, requires_grad=True)', 'torch.sigmoid({})', 'F.mse_loss({}, {})', '{}.tanh()', '{}.sum()', '{}.sum(dim={})', '{}.T', '{}.softmax(dim={})', 'ConstantNode({}, gt)', 'Add({}, {}, gt)', 'Square({}, gt)', '{}.item()', 'float({})', 'range({})', '[{} for i in range(2)]', '{}.transpose(0, 1)', 'torch.tensor([[1., 2.], [3., 4.]])', 'F.leaky_relu({})', 'F.binary_cross_entropy({}, {})', '{}.append({})', 'enumerate()', 'len()', 'zip()', 'Tape()', 'draw_dot({})', 'f"{{{}}}"']
ops = ['+', '-', '*', '/', '**', '@', '%', '//']
def expr(d=0):
    r = random.random()
    if d > 3 or r < 0.3: return random.choice(atoms)
    if r < 0.6:
        c = random.choice(calls); return c.format(*[expr(d+1) for _ in range(c.count('{}'))])
    return f'({expr(d+1)} {random.choice(ops)} {expr(d+1)})'
def stmt(d=0):
    r = random.random()
    if r < 0.5: return f'{random.choice(names)} = {expr()}'
    if r < 0.6: return f'{random.choice(names)}, {random.choice(names)} = {expr()}'
    if r < 0.7 and d < 2: return f'for i in {expr()}:\n' + '\n'.join('    '*(d+1) + stmt(d+1) for _ in range(2))
    if r < 0.8: return f'{random.choice(names)}.data += {expr()}'
    if r < 0.85: return f'{expr()}.backward()'
    if r < 0.9: return f'{random.choice(names)}.label = {expr()}'
    return expr()
pre = 'import math\nimport torch\nimport torch.nn.functional as F\ngt = Tape()\na = Value(1.5)\nb = Value(-2.0)\nc = ConstantNode(0.5, gt)\nxs = [a, b]\nws = [1.0, 2.0]\nh = 0.1\nT = torch.tensor([[1., 0.], [0., 1.]], requires_grad=True)\n'
bad = ok = 0
seen = {}
N = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
for k in range(N):
    src = pre + '\n'.join(stmt() for _ in range(random.randint(1, 8))) + '\n'
    try:
        parse_snippet(src, 'f.py'); ok += 1
    except SnippetError as e:
        assert '\n' not in str(e)
    except Exception:
        bad += 1
        tb = traceback.format_exc().splitlines()
        where = [line for line in tb if 'snippet/' in line] or ['?']
        key = tb[-1][:80] + ' @ ' + where[-1].strip()
        seen.setdefault(key, src)
for k, v in seen.items(): print('====', k); print(v[len(pre):])
print("bad", bad, "ok", ok, "of", N)
sys.exit(1 if bad else 0)
