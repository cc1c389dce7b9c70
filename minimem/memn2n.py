"""End-to-End Memory Networks (Sukhbaatar, Szlam, Weston & Fergus, NeurIPS 2015). Chapter 01.

A story is stored as a set of sentence memories. The question's embedding u reads the memories
by soft attention, adds what it read, and reads again: K "hops". Everything is trained end to end
from the answer alone (the supporting facts are never shown to the model).

One hop (paper Section 2.1), for memories x_i and question q:
    m_i = sum_j l_j * A x_ij + T_A(i)      memory keys            (eq. 1, Section 4.1)
    c_i = sum_j l_j * C x_ij + T_C(i)      memory values          (eq. 2, Section 4.1)
    p_i = softmax(u . m_i)                 attention              (eq. 1)
    o   = sum_i p_i c_i                    what is read           (eq. 2)
    u'  = u + o  (adjacent)  or  H u + o (layer-wise)             (eq. 4, Section 2.2)
    a   = softmax(W u^{K+1})               the answer             (eq. 3)
l_j is the position encoding (PE) and T the temporal encoding, indexed from the most recent
sentence (0 = the last one). Training tricks from Section 4.2: linear start (LS, no softmax in
the memory layers at first) and random noise (RN, empty memories inserted in the time indices).

Dimension names: B batch, M memory slots, L words per sentence, d embedding width, V vocab,
K hops. `python -m minimem.memn2n --help` runs the paper check (`benchmark`, Table 1).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import time
from concurrent.futures import ProcessPoolExecutor

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from minimem.data import babi
from minimem.training import History, setup

Data = tuple[torch.Tensor, torch.Tensor, torch.Tensor]  # stories (N,M,L), queries (N,L), answers (N,)


def position_encoding(L: int, d: int) -> torch.Tensor:
    """The paper's l_kj = (1 - j/J) - (k/d)(1 - 2j/J) as an (L, d) matrix, J = L (Section 4.1)."""
    if L < 1 or d < 1:
        raise ValueError(f"L and d must be >= 1, got L={L}, d={d}")
    j = torch.arange(1, L + 1, dtype=torch.float32)[:, None]  # (L, 1) word position
    k = torch.arange(1, d + 1, dtype=torch.float32)[None, :]  # (1, d) embedding dimension
    return (1 - j / L) - (k / d) * (1 - 2 * j / L)  # (L, d)


def temporal_indices(filled: torch.Tensor, noise: float = 0.0,
                     generator: torch.Generator | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Time index of each memory slot, 0 for the most recent sentence; and the slots kept.

    filled: (B, M) bool, True where a slot holds a sentence (oldest first, empty slots last).
    With noise > 0 (training only), each sentence is followed by an empty memory with that
    probability, pushing older sentences back in time; those pushed past M - 1 are dropped.
    """
    M = filled.shape[1]
    count = filled.sum(dim=1, keepdim=True)  # (B, 1) sentences per story
    slot = torch.arange(M, device=filled.device)[None, :]  # (1, M)
    t = count - 1 - slot  # (B, M)
    if noise > 0:
        gaps = (torch.rand(filled.shape, generator=generator) < noise).to(filled.device) & filled
        t = t + gaps.flip(1).cumsum(1).flip(1)  # (B, M) gaps at or after each slot
    kept = filled & (t < M)
    return t.clamp(0, M - 1) * kept, kept


def memory_read(u: torch.Tensor, m: torch.Tensor, c: torch.Tensor,
                kept: torch.Tensor | None = None, softmax: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """One read of the memory: u (B, d), keys m and values c (B, M, d), kept (B, M) bool.

    Returns o (B, d) and the attention p (B, M); empty slots get no weight. With softmax=False
    (linear start) p is the raw scores. One hop of the adjacent model is then u + o.
    """
    scores = torch.einsum("bd,bmd->bm", u, m)  # (B, M)  u . m_i
    if kept is None:
        kept = torch.ones_like(scores, dtype=torch.bool)
    if softmax:
        p = torch.softmax(scores.masked_fill(~kept, float("-inf")), dim=-1)  # (B, M)  eq. 1
        p = torch.nan_to_num(p)  # a story with no memory reads nothing
    else:
        p = scores * kept  # linear start: the softmax removed
    return torch.einsum("bm,bmd->bd", p, c), p  # (B, d)  eq. 2


class MemN2N(nn.Module):
    """The end-to-end memory network. forward(stories (B, M, L), queries (B, L)) -> logits (B, V).

    tying="adjacent": A^{k+1} = C^k, B = A^1, W^T = C^K (K + 1 embedding tables);
    tying="layerwise": one A and one C for all hops, separate B and W, and u' = H u + o.
    After a forward pass, `self.attention` holds the K per-hop attention maps, each (B, M).
    """

    def __init__(self, vocab_size: int, embed_dim: int = 20, memory_size: int = 50, hops: int = 3,
                 position_encoding: bool = True, temporal_encoding: bool = True,
                 tying: str = "adjacent"):
        super().__init__()
        for name, value in (("vocab_size", vocab_size), ("embed_dim", embed_dim),
                            ("memory_size", memory_size), ("hops", hops)):
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if tying not in ("adjacent", "layerwise"):
            raise ValueError(f"tying must be 'adjacent' or 'layerwise', got {tying!r}")
        self.vocab_size, self.embed_dim = vocab_size, embed_dim
        self.memory_size, self.hops = memory_size, hops
        self.use_position, self.use_time, self.tying = position_encoding, temporal_encoding, tying
        n_words, n_times = (hops + 1, hops + 1) if tying == "adjacent" else (4, 2)

        def table(rows: int) -> nn.Parameter:  # Gaussian init, std 0.1 (Section 4.2)
            return nn.Parameter(torch.randn(rows, embed_dim) * 0.1)

        self.words = nn.ParameterList([table(vocab_size) for _ in range(n_words)])  # each (V, d)
        self.times = nn.ParameterList([table(memory_size) for _ in range(n_times)])  # each (M, d)
        self.H = nn.Linear(embed_dim, embed_dim, bias=False) if tying == "layerwise" else None
        self.zero_nil()
        self.attention: list[torch.Tensor] = []

    def tables(self, k: int) -> tuple[nn.Parameter, nn.Parameter, nn.Parameter, nn.Parameter]:
        """(A, C, T_A, T_C) used by hop k (0-based)."""
        if self.tying == "adjacent":  # A^{k+1} = C^k
            return self.words[k], self.words[k + 1], self.times[k], self.times[k + 1]
        return self.words[1], self.words[2], self.times[0], self.times[1]

    @torch.no_grad()
    def zero_nil(self) -> None:
        """Keep the padding word (id 0) embedded as zero; the trainer calls this after each step."""
        for w in self.words:
            w[0].zero_()

    def embed(self, table: torch.Tensor, ids: torch.Tensor) -> torch.Tensor:
        """Sum of word embeddings, weighted by l_j with PE: (..., L) -> (..., d); padding ignored."""
        L = ids.shape[-1]
        weight = position_encoding(L, self.embed_dim).to(table.device) if self.use_position \
            else torch.ones(L, self.embed_dim, device=table.device)  # (L, d)
        e = table[ids] * (ids > 0).unsqueeze(-1)  # (..., L, d)
        return (e * weight).sum(dim=-2)  # (..., d)

    def forward(self, stories: torch.Tensor, queries: torch.Tensor, *, softmax: bool = True,
                noise: float = 0.0, return_attention: bool = False):
        """logits (B, V); softmax=False is linear start; noise > 0 inserts random empty memories."""
        self._check(stories, queries)
        B, M, L = stories.shape
        filled = (stories > 0).any(dim=-1)  # (B, M)
        t, kept = temporal_indices(filled, noise)  # (B, M) each
        u = self.embed(self.words[0], queries)  # (B, d)  u = B q
        self.attention = []
        for k in range(self.hops):
            A, C, TA, TC = self.tables(k)
            m = self.embed(A, stories)  # (B, M, d)
            c = self.embed(C, stories)  # (B, M, d)
            if self.use_time:
                m, c = m + TA[t], c + TC[t]  # (B, M, d) temporal encoding
            o, p = memory_read(u, m, c, kept, softmax)  # (B, d), (B, M)
            u = (self.H(u) if self.H is not None else u) + o  # (B, d)  u^{k+1}
            self.attention.append(p.detach())
        logits = u @ self.words[-1].T  # (B, V)  eq. 3, W^T = C^K (adjacent) or W
        return (logits, self.attention) if return_attention else logits

    def _check(self, stories: torch.Tensor, queries: torch.Tensor) -> None:
        for name, x, dims in (("stories", stories, 3), ("queries", queries, 2)):
            if not isinstance(x, torch.Tensor) or x.dtype != torch.long or x.dim() != dims:
                shape = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise TypeError(f"{name} must be a LongTensor with {dims} dims, got {shape}")
            if x.numel() and (x.min() < 0 or x.max() >= self.vocab_size):
                raise ValueError(f"{name} holds word ids outside 0..{self.vocab_size - 1}")
        if stories.shape[1] > self.memory_size:
            raise ValueError(f"stories have {stories.shape[1]} slots; memory_size is {self.memory_size}")
        if queries.shape[0] != stories.shape[0]:
            raise ValueError(f"batch sizes differ: stories {stories.shape[0]}, queries {queries.shape[0]}")


@torch.no_grad()
def evaluate(model: MemN2N, data: Data, batch_size: int = 256) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `model` on `data`."""
    model.eval()
    hits, loss = 0, 0.0
    for i in range(0, len(data[2]), batch_size):
        s, q, a = (x[i: i + batch_size] for x in data)
        logits = model(s, q)
        hits += (logits.argmax(-1) == a).sum().item()
        loss += F.cross_entropy(logits, a, reduction="sum").item()
    return hits / len(data[2]), loss / len(data[2])


def train(model: MemN2N, train_set: Data, valid_set: Data | None = None, *, epochs: int = 100,
          ls_epochs: int = 20, lr: float = 0.01, ls_lr: float = 0.005, anneal_every: int = 25,
          batch_size: int = 32, clip: float = 40.0, noise: float = 0.1, seed: int = 0,
          progress: bool = True) -> History:
    """The paper's recipe (Section 4.2): SGD on the loss summed over each batch of 32, gradient
    norm clipped at 40, the nil word kept at zero; `ls_epochs` of linear start at `ls_lr`, then
    `epochs` with the softmax at `lr`, halved every `anneal_every` epochs. Returns a History with
    the per-step mean loss and, per epoch, "train_loss" and (with valid_set) "valid_acc"/"valid_loss".
    """
    if len(train_set) != 3 or len({len(x) for x in train_set}) != 1:
        raise ValueError("train_set must be (stories, queries, answers) with equal first dims")
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.SGD(model.parameters(), lr=lr)
    history, N, step = History(), len(train_set[2]), 0
    for epoch in tqdm(range(ls_epochs + epochs), desc="MemN2N", disable=not progress):
        linear = epoch < ls_epochs
        for group in opt.param_groups:
            group["lr"] = ls_lr if linear else lr * 0.5 ** ((epoch - ls_epochs) // anneal_every)
        model.train()
        total = 0.0
        for idx in torch.randperm(N, generator=gen).split(batch_size):
            s, q, a = (x[idx] for x in train_set)
            logits = model(s, q, softmax=not linear, noise=noise)
            loss = F.cross_entropy(logits, a, reduction="sum")  # summed, not averaged
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), clip)
            opt.step()
            model.zero_nil()
            step += 1
            history.loss.append(loss.item() / len(a))
            total += loss.item()
        metrics = {"train_loss": total / N}
        if valid_set is not None:
            metrics["valid_acc"], metrics["valid_loss"] = evaluate(model, valid_set)
        history.log_eval(step, metrics)
    model.eval()
    return history


# ------------------------------------------------------------------------------ paper check
# Table 1 of the paper, bAbI 1k, "PE LS RN" column, test error % per task (mean 13.9).
PAPER_TABLE1 = {1: 0.0, 2: 8.3, 3: 40.3, 4: 2.8, 5: 13.1, 6: 7.6, 7: 17.3, 8: 10.0, 9: 13.2,
                10: 15.1, 11: 0.9, 12: 0.2, 13: 0.4, 14: 1.7, 15: 0.0, 16: 1.3, 17: 51.0,
                18: 11.1, 19: 82.8, 20: 0.0}


def run_once(train_examples: list, test_examples: list, seed: int, epochs: int = 100,
             ls_epochs: int = 20, hops: int = 3, position: bool = True) -> dict:
    """Train one model the paper's way (10 % of train held out) and report its test error %.

    The result's "checkpoint" holds what `load_checkpoint` needs to rebuild the trained model.
    """
    setup(seed, threads=1)
    start = time.perf_counter()
    everything = train_examples + test_examples
    vocab = babi.Vocab(everything)
    M = min(50, max(len(ex.story) for ex in everything))
    L = max(max([len(s) for s in ex.story] + [len(ex.question)]) for ex in everything)
    cut = len(train_examples) - len(train_examples) // 10
    train_set, valid_set, test_set = (vocab.encode(part, M, L) for part in (
        train_examples[:cut], train_examples[cut:], test_examples))
    config = {"vocab_size": len(vocab), "embed_dim": 20, "memory_size": M, "hops": hops,
              "position_encoding": position}
    model = MemN2N(**config)
    history = train(model, train_set, valid_set, epochs=epochs, ls_epochs=ls_epochs, seed=seed,
                    progress=False)
    test_acc, _ = evaluate(model, test_set)
    checkpoint = {"config": config, "words": vocab.words, "sentence_len": L,
                  "state": model.state_dict()}
    return {"seed": seed, "test_error": round(100 * (1 - test_acc), 2),
            "valid_acc": history.last("valid_acc"), "valid_loss": history.last("valid_loss"),
            "seconds": round(time.perf_counter() - start, 1), "checkpoint": checkpoint}


def load_checkpoint(path) -> tuple[MemN2N, babi.Vocab, int]:
    """(model, vocab, sentence_len) from a file written by the benchmark's --save option."""
    saved = torch.load(path, map_location="cpu", weights_only=True)
    model = MemN2N(**saved["config"])
    model.load_state_dict(saved["state"])
    return model.eval(), babi.Vocab.from_words(saved["words"]), saved["sentence_len"]


def _run_job(job: tuple) -> dict:
    return run_once(*job)


def benchmark(tasks: list[int], runs: int = 3, babi_dir: str | None = None, size: str = "1k",
              epochs: int = 100, ls_epochs: int = 20, jobs: int = 1, hops: int = 3,
              position: bool = True, save: str | None = None) -> dict:
    """Best-of-`runs` test error % per task (best by validation accuracy, then loss), beside the
    paper's. Without `babi_dir` the tasks are generated (1000 train, 1000 test examples).
    `save` (one task only) writes the best run's model for `load_checkpoint`."""
    start = time.perf_counter()
    data = {}
    for task in tasks:
        if babi_dir:
            data[task] = (babi.load_task(babi_dir, task, "train", size),
                          babi.load_task(babi_dir, task, "test", size))
        else:
            data[task] = (babi.generate(task, 1000, seed=0), babi.generate(task, 1000, seed=1))
    job_list = [(*data[t], seed, epochs, ls_epochs, hops, position)
                for t in tasks for seed in range(runs)]
    if jobs > 1:  # each run in its own process, one thread each
        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("spawn")) as pool:
            results = list(pool.map(_run_job, job_list))
    else:
        results = [_run_job(job) for job in job_list]
    report = {"source": f"bAbI {size} from {babi_dir}" if babi_dir else "generated (minimem)",
              "settings": {"runs": runs, "epochs": epochs, "ls_epochs": ls_epochs, "hops": hops,
                           "position_encoding": position,
                           "embed_dim": 20, "batch_size": 32, "lr": 0.01, "clip": 40,
                           "noise": 0.1, "threads_per_run": 1, "jobs": jobs},
              "tasks": {}}
    for i, task in enumerate(tasks):
        task_runs = results[i * runs:(i + 1) * runs]
        best = max(task_runs, key=lambda r: (r["valid_acc"], -r["valid_loss"]))
        if save:
            torch.save({**best["checkpoint"], "task": task, "test_error": best["test_error"]}, save)
        for r in task_runs:
            del r["checkpoint"]
        report["tasks"][str(task)] = {
            "paper_error": PAPER_TABLE1[task], "best_error": best["test_error"],
            "best_seed": best["seed"], "run_errors": [r["test_error"] for r in task_runs],
            "seconds": round(sum(r["seconds"] for r in task_runs), 1), "runs": task_runs}
    report["wall_seconds"] = round(time.perf_counter() - start, 1)
    return report


def format_report(report: dict) -> str:
    """A Markdown table of the benchmark report."""
    settings = report["settings"]
    hops = settings["hops"]
    model = f"{'PE' if settings['position_encoding'] else 'BoW'} LS RN, {hops} hop{'s' * (hops > 1)}"
    lines = [f"MemN2N ({model}, adjacent tying) on {report['source']}; best of "
             f"{report['settings']['runs']} runs by validation accuracy.", "",
             "| task | paper error % | ours: best error % | all runs | train time (s, all runs) |",
             "| ---: | ---: | ---: | --- | ---: |"]
    for task, row in report["tasks"].items():
        lines.append(f"| {task} | {row['paper_error']:.1f} | {row['best_error']:.1f} | "
                     f"{', '.join(f'{e:.1f}' for e in row['run_errors'])} | {row['seconds']:.0f} |")
    lines += ["", f"Wall time: {report['wall_seconds']:.0f} s."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description="MemN2N paper check on bAbI (Table 1, 1k, PE LS RN)")
    parser.add_argument("--babi-dir", help="folder of the bAbI v1.2 release; generated data if absent")
    parser.add_argument("--tasks", type=int, nargs="+", default=[1, 2, 3, 6, 11])
    parser.add_argument("--size", choices=["1k", "10k"], default="1k")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=100, help="epochs after linear start")
    parser.add_argument("--ls-epochs", type=int, default=20, help="linear-start epochs")
    parser.add_argument("--jobs", type=int, default=1, help="runs in parallel processes")
    parser.add_argument("--hops", type=int, default=3)
    parser.add_argument("--bag-of-words", action="store_true", help="no position encoding")
    parser.add_argument("--json", help="also write the report to this JSON file")
    parser.add_argument("--save", help="save the best run's model here (one task only)")
    args = parser.parse_args(argv)
    if args.save and len(args.tasks) != 1:
        parser.error("--save needs exactly one task")
    allowed = PAPER_TABLE1 if args.babi_dir else babi.GENERATED_TASKS
    bad = [t for t in args.tasks if t not in allowed]
    if bad:
        parser.error(f"--tasks {bad} not available; choose from {sorted(allowed)}")
    report = benchmark(args.tasks, args.runs, args.babi_dir, args.size, args.epochs,
                       args.ls_epochs, args.jobs, args.hops, not args.bag_of_words, args.save)
    print(format_report(report))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    return report


if __name__ == "__main__":
    main()
