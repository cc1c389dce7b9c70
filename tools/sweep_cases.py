"""The cases of the bad-input sweep (tools/sweep.py): each is a call that must fail clearly.

`names` is what a clear message must mention (usually the argument's name). `cli` cases are
command lines run as `python ARGS` in an empty temporary folder.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Case:
    id: str
    names: str
    code: str
    cli: bool = False


T = "import torch\n"
A = T + "from minimem import attention as A\n"
TR = T + "from minimem.transformer import Transformer, TransformerConfig as C\n"
FIT = T + "from minimem import training\nm = torch.nn.Linear(2, 1)\n"
GEO = "import numpy as np\nfrom minimem.data import geometry as G\n"
BABI = "from minimem.data import babi\n"
MEM = T + "from minimem import memn2n\nm = memn2n.MemN2N(20, 8, 5, 2)\n"
PTR = T + "from minimem import pointer\nm = pointer.PointerNet(2, 16)\n"
RASP = "from minimem.rasp import *\nfrom minimem.rasp import lib\n"
NAN = "float('nan')"

CASES = [
    # ---- attention (chapter 00)
    Case("attention.sdpa q float64, k float32", "dtype", A + "A.scaled_dot_product_attention(torch.randn(2, 3).double(), torch.randn(4, 3), torch.randn(4, 2))"),
    Case("attention.sdpa q list", "q", A + "A.scaled_dot_product_attention([[1.0]], torch.randn(4, 3), torch.randn(4, 2))"),
    Case("attention.sdpa k width", "q and k", A + "A.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 5), torch.randn(4, 2))"),
    Case("attention.sdpa int mask", "mask", A + "A.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), torch.ones(2, 4))"),
    Case("attention.sdpa temperature nan", "temperature", A + f"A.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), temperature={NAN})"),
    Case("attention.sdpa temperature str", "temperature", A + "A.scaled_dot_product_attention(torch.randn(2, 3), torch.randn(4, 3), torch.randn(4, 2), temperature='1')"),
    Case("attention.hard_lookup nan query", "query", A + f"A.hard_lookup(torch.tensor([{NAN}, 0.0]), torch.randn(4, 2), torch.randn(4, 1))"),
    Case("attention.hard_lookup no keys", "keys", A + "A.hard_lookup(torch.randn(2), torch.randn(0, 2), torch.randn(0, 1))"),
    Case("attention.causal_mask huge", "size", A + "A.causal_mask(10**7)"),
    Case("attention.causal_mask float", "size", A + "A.causal_mask(3.0)"),
    Case("attention.split_heads zero heads", "num_heads", A + "A.split_heads(torch.randn(1, 2, 6), 0)"),
    Case("attention.split_heads 2-d", "x", A + "A.split_heads(torch.randn(2, 6), 2)"),
    Case("attention.merge_heads 3-d", "x", A + "A.merge_heads(torch.randn(2, 3, 4))"),
    Case("attention.mha float64 input", "x", A + "A.MultiHeadAttention(8, 2)(torch.randn(1, 3, 8).double())"),
    Case("attention.mha width", "d_model", A + "A.MultiHeadAttention(8, 2)(torch.randn(1, 3, 6))"),
    Case("attention.mha 2-d input", "x", A + "A.MultiHeadAttention(8, 2)(torch.randn(3, 8))"),
    Case("attention.mha bad mask", "mask", A + "A.MultiHeadAttention(8, 2)(torch.randn(1, 3, 8), mask=torch.ones(2, 2, dtype=torch.bool))"),
    Case("attention.mha heads", "num_heads", A + "A.MultiHeadAttention(8, 3)"),
    # ---- transformer
    Case("transformer.config heads", "num_heads", TR + "C(10, d_model=10, num_heads=3)"),
    Case("transformer.config activation", "activation", TR + "C(10, activation='tanh')"),
    Case("transformer.config dropout", "dropout", TR + "C(10, dropout=1.5)"),
    Case("transformer.config vocab 0", "vocab_size", TR + "C(0)"),
    Case("transformer.idx float", "idx", TR + "Transformer(C(10))(torch.zeros(1, 3))"),
    Case("transformer.idx out of range", "token ids", TR + "Transformer(C(10))(torch.full((1, 3), 10))"),
    Case("transformer.too long", "max_len", TR + "Transformer(C(10, max_len=4))(torch.zeros(1, 5, dtype=torch.long))"),
    Case("transformer.embeds width", "inputs_embeds", TR + "Transformer(C(10))(inputs_embeds=torch.randn(1, 3, 5))"),
    Case("transformer.embeds float64", "inputs_embeds", TR + "Transformer(C(10))(inputs_embeds=torch.randn(1, 3, 64).double())"),
    Case("transformer.mask shape", "mask", TR + "Transformer(C(10))(torch.zeros(1, 3, dtype=torch.long), mask=torch.ones(4, 4, dtype=torch.bool))"),
    Case("transformer.both inputs", "idx", TR + "Transformer(C(10))(torch.zeros(1, 3, dtype=torch.long), inputs_embeds=torch.randn(1, 3, 64))"),
    # ---- training
    Case("training.fit negative clip", "clip_grad_norm", FIT + "training.fit(m, lambda s: torch.ones(4, 2), lambda m, b: m(b).sum(), steps=3, clip_grad_norm=-1.0, progress=False)"),
    Case("training.fit steps 0", "steps", FIT + "training.fit(m, lambda s: torch.ones(4, 2), lambda m, b: m(b).sum(), steps=0)"),
    Case("training.fit lr nan", "lr", FIT + f"training.fit(m, lambda s: torch.ones(4, 2), lambda m, b: m(b).sum(), steps=2, lr={NAN}, progress=False)"),
    Case("training.fit vector loss", "loss_fn", FIT + "training.fit(m, lambda s: torch.ones(4, 2), lambda m, b: m(b), steps=2, progress=False)"),
    Case("training.fit eval_every -1", "eval_every", FIT + "training.fit(m, lambda s: torch.ones(4, 2), lambda m, b: m(b).sum(), steps=2, eval_every=-1, progress=False)"),
    Case("training.set_threads huge", "threads", T + "from minimem import training\ntraining.set_threads(10**5)"),
    Case("training.set_threads 0", "threads", T + "from minimem import training\ntraining.set_threads(0)"),
    Case("training.seed float", "seed", T + "from minimem import training\ntraining.seed_everything(1.5)"),
    Case("training.history last", "metric", T + "from minimem import training\ntraining.History().last('acc')"),
    # ---- viz and checks
    Case("viz.plot_attention 3-d", "weights", "import numpy as np\nfrom minimem import viz\nviz.plot_attention(np.zeros((2, 2, 2)))"),
    Case("viz.plot_attention labels", "labels", "import numpy as np\nfrom minimem import viz\nviz.plot_attention(np.zeros((2, 3)), row_labels=['a'])"),
    Case("checks.run_check result not function", "function", "from minimem.checks import run_check\nrun_check('f', 3, abs, {'g': [((1,), {})]})"),
    # ---- RASP (chapter 03)
    Case("rasp.Select bad predicate", "predicate", RASP + "Select(tokens, tokens, 'EQ')"),
    Case("rasp.Map not callable", "f", RASP + "Map(3, tokens)"),
    Case("rasp.Aggregate sop", "sop", RASP + "Aggregate(Select(tokens, tokens, Comparison.EQ), 'x')"),
    Case("rasp.evaluate not a program", "program", RASP + "evaluate('hello', ['a'])"),
    Case("rasp.sort_unique collision", "different values", RASP + "evaluate(lib.make_sort_unique(indices, tokens), [2, 2, 1])"),
    Case("rasp.make_dyck odd pairs", "pairs", RASP + "lib.make_dyck('(')"),
    # ---- sequences and geometry (chapter 02)
    Case("sequences.sort_task batch 0", "batch_size", "from minimem.data import sequences\nsequences.sort_task(0, 5)"),
    Case("sequences.sort_task n huge", "n", "from minimem.data import sequences\nsequences.sort_task(10**6, 10**6)"),
    Case("geometry.convex_hull 1-d", "points", GEO + "G.convex_hull(np.zeros(4))"),
    Case("geometry.convex_hull nan", "points", GEO + f"G.convex_hull(np.array([[0, 0], [1, 0], [{NAN}, 1]]))"),
    Case("geometry.is_valid nan", "points", GEO + f"G.is_valid_polygon(np.array([[0, 0], [1, 0], [{NAN}, 1.0]]), [1, 2, 3, 1])"),
    Case("geometry.polygon_area index", "ring", GEO + "G.polygon_area(np.zeros((3, 2)), [0, 1, 7])"),
    Case("geometry.parse_line garbage", "line", GEO + "G.parse_line('0.1 0.2 output 1 2')"),
    Case("geometry.make_hull_examples huge", "count", GEO + "G.make_hull_examples(10**9, 5)"),
    Case("geometry.make_hull_examples n 2", "n", GEO + "G.make_hull_examples(3, 2)"),
    Case("geometry.exact_accuracy lengths", "predictions", GEO + "G.exact_accuracy([[1, 2]], [])"),
    Case("geometry.write_examples bad example", "example", GEO + "G.write_examples('out.txt', [('not points', [1])])"),
    # ---- bAbI (chapter 01)
    Case("babi.generate task 4", "task", BABI + "babi.generate(4, 10)"),
    Case("babi.generate huge", "n", BABI + "babi.generate(1, 10**9)"),
    Case("babi.generate negative", "n", BABI + "babi.generate(1, -5)"),
    Case("babi.read missing file", "missing.txt", BABI + "babi.read('missing.txt')"),
    Case("babi.read latin-1 file", "story.txt", BABI + "open('story.txt', 'wb').write(b'1 Mary went to the caf\\xe9.\\n')\nbabi.read('story.txt')"),
    Case("babi.write tab in word", "word", BABI + "ex = babi.generate(1, 1)[0]\nex.story[0][0] = 'a\\tb'\nbabi.write([ex], 'out.txt')"),
    Case("babi.write empty", "examples", BABI + "babi.write([], 'out.txt')"),
    Case("babi.load_task bad split", "split", BABI + "babi.load_task('.', 1, split='dev')"),
    Case("babi.vocab decode -1", "id", BABI + "v = babi.Vocab(babi.generate(1, 5))\nv.decode([-1])"),
    Case("babi.vocab decode huge", "id", BABI + "v = babi.Vocab(babi.generate(1, 5))\nv.decode([10**6])"),
    # ---- MemN2N (chapter 01)
    Case("memn2n.MemN2N hops 0", "hops", T + "from minimem import memn2n\nmemn2n.MemN2N(20, 8, 5, 0)"),
    Case("memn2n.MemN2N tying", "tying", T + "from minimem import memn2n\nmemn2n.MemN2N(20, 8, 5, 2, tying='none')"),
    Case("memn2n.forward float stories", "stories", MEM + "m(torch.zeros(1, 5, 3), torch.zeros(1, 3, dtype=torch.long))"),
    Case("memn2n.forward ids out of range", "stories", MEM + "m(torch.full((1, 5, 3), 25), torch.zeros(1, 3, dtype=torch.long))"),
    Case("memn2n.forward too many slots", "memory_size", MEM + "m(torch.ones(1, 9, 3, dtype=torch.long), torch.ones(1, 3, dtype=torch.long))"),
    Case("memn2n.forward batch mismatch", "batch", MEM + "m(torch.ones(2, 5, 3, dtype=torch.long), torch.ones(1, 3, dtype=torch.long))"),
    Case("memn2n.position_encoding 0", "L", T + "from minimem import memn2n\nmemn2n.position_encoding(0, 4)"),
    Case("memn2n.temporal_indices gap", "filled", T + "from minimem import memn2n\nmemn2n.temporal_indices(torch.tensor([[True, False, True]]))"),
    Case("memn2n.evaluate batch 0", "batch_size", MEM + "d = (torch.ones(4, 5, 3, dtype=torch.long), torch.ones(4, 3, dtype=torch.long), torch.ones(4, dtype=torch.long))\nmemn2n.evaluate(m, d, batch_size=0)"),
    Case("memn2n.train negative clip", "clip", MEM + "d = (torch.ones(4, 5, 3, dtype=torch.long), torch.ones(4, 3, dtype=torch.long), torch.ones(4, dtype=torch.long))\nmemn2n.train(m, d, recipe=memn2n.Recipe(epochs=1, ls_epochs=0, clip=-1.0), progress=False)"),
    Case("memn2n.train epochs -1", "epochs", MEM + "d = (torch.ones(4, 5, 3, dtype=torch.long), torch.ones(4, 3, dtype=torch.long), torch.ones(4, dtype=torch.long))\nmemn2n.train(m, d, recipe=memn2n.Recipe(epochs=-1), progress=False)"),
    Case("memn2n.load_checkpoint garbage", "bad.pt", T + "from minimem import memn2n\nopen('bad.pt', 'wb').write(b'junk')\nmemn2n.load_checkpoint('bad.pt')"),
    # ---- Pointer Networks (chapter 02)
    Case("pointer.PointerNet hidden 0", "hidden", T + "from minimem import pointer\npointer.PointerNet(2, 0)"),
    Case("pointer.forward x 2-d", "x", PTR + "m(torch.rand(4, 2), torch.zeros(4, 3, dtype=torch.long))"),
    Case("pointer.forward x float64", "x", PTR + "m(torch.rand(1, 4, 2).double(), torch.zeros(1, 3, dtype=torch.long))"),
    Case("pointer.forward target >= N", "targets", PTR + "m(torch.rand(1, 4, 2), torch.tensor([[0, 9, 1]]))"),
    Case("pointer.forward x nan", "x", PTR + f"m(torch.full((1, 4, 2), {NAN}), torch.zeros(1, 3, dtype=torch.long))"),
    Case("pointer.forward batch mismatch", "targets", PTR + "m(torch.rand(2, 4, 2), torch.zeros(3, 3, dtype=torch.long))"),
    Case("pointer.decode empty", "x", PTR + "pointer.greedy(m, torch.rand(1, 0, 2))"),
    Case("pointer.beam 0", "beam", PTR + "pointer.beam_search(m, torch.rand(1, 4, 2), beam=0)"),
    Case("pointer.evaluate_hull nan points", "points", PTR + f"import numpy as np\npointer.evaluate_hull(m, [(np.full((5, 2), {NAN}), [1, 2, 3, 1])])"),
    # ---- command lines
    Case("cli pointer eval-hull missing file", "nope.txt", "-m minimem.pointer eval-hull --file nope.txt", cli=True),
    Case("cli pointer eval-hull beam 0", "beam", "-m minimem.pointer eval-hull --file nope.txt --beam 0", cli=True),
    Case("cli pointer make-hull-data n 1", "n", "-m minimem.pointer make-hull-data --n 1 --count 3 --out d.txt", cli=True),
    Case("cli pointer make-hull-data count -1", "count", "-m minimem.pointer make-hull-data --n 5 --count -1 --out d.txt", cli=True),
    Case("cli pointer train-hull steps 0", "steps", "-m minimem.pointer train-hull --steps 0", cli=True),
    Case("cli pointer train-hull out folder missing", "out", "-m minimem.pointer train-hull --steps 1 --out no/such/x.pt", cli=True),
    Case("cli pointer bench count 0", "count", "-m minimem.pointer bench --count 0", cli=True),
    Case("cli memn2n runs 0", "runs", "-m minimem.memn2n bench --tasks 1 --runs 0", cli=True),
    Case("cli memn2n epochs -1", "epochs", "-m minimem.memn2n bench --tasks 1 --epochs -1", cli=True),
    Case("cli memn2n task 99", "tasks", "-m minimem.memn2n bench --tasks 99", cli=True),
    Case("cli memn2n json folder missing", "json", "-m minimem.memn2n bench --tasks 1 --runs 1 --epochs 1 --json no/such/r.json", cli=True),
    Case("cli memn2n babi-dir missing", "babi", "-m minimem.memn2n bench --tasks 1 --babi-dir no_such_dir", cli=True),
    Case("cli rasp seconds -1", "seconds", "-m minimem.rasp bench --seconds -1", cli=True),
    Case("cli rasp out folder missing", "out", "-m minimem.rasp bench --seconds 0 --out no/such/r.md", cli=True),
]

CASES += [
    Case("rasp.value_sets huge length", "max_seq_len", RASP + "value_sets(SequenceMap(lambda a, b: a + b, indices, indices), 'ab', 10**5)"),
]
