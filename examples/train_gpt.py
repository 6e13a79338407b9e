"""Train a small character-level GPT three times, same model, same seed, same batches: with
torch's scaled_dot_product_attention (nanoGPT's attention module as it is), with flashsdpa's
module (flashsdpa.nn.CausalSelfAttention, same parameters, packed QKV), and with nanoGPT's
module where one line calls flashsdpa's function instead of torch's; and compare.

    PYTHONPATH=src python3 examples/train_gpt.py [--steps N] [--out DIR] [--compile]

With --compile every run trains `torch.compile(model)` (the same for torch's attention and
ours: flashsdpa's op is a torch.library custom op that the compiled graph calls as it is).

The text is on every machine: the Python standard library's own source files (read from
sysconfig's stdlib path), bytes as tokens, the last 10% held out for validation. On a GPU:
nanoGPT's shakespeare-char size (6 layers, 6 heads, 384 wide, context 256, dropout 0.1), bf16
autocast; on a CPU, a short run of a smaller model through flashsdpa's reference path, so a
newcomer sees it work. Writes loss.png (all curves), summary.json and summary.md to --out.
Tokens/s come from a timing after the runs, a fresh model per attention timed in alternating
blocks of steps in one process (interleaved_step_times), so that the host's drift, which
decides a step this small, falls on all alike; each run's own rate is kept in summary.json.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sysconfig
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn

import flashsdpa
from flashsdpa.nn import CausalSelfAttention


@dataclass
class Config:
    block_size: int = 256
    vocab_size: int = 256  # bytes
    n_layer: int = 6
    n_head: int = 6
    n_embd: int = 384
    dropout: float = 0.1
    bias: bool = False


class TorchCausalSelfAttention(CausalSelfAttention):
    """The same module (same parameters) with nanoGPT's forward and torch's own SDPA: the baseline."""
    sdpa = staticmethod(F.scaled_dot_product_attention)

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)
        q, k, v = (t.view(B, T, self.n_head, C // self.n_head).transpose(1, 2) for t in (q, k, v))
        y = self.sdpa(q, k, v, dropout_p=self.dropout if self.training else 0.0, is_causal=True)
        return self.resid_dropout(self.c_proj(y.transpose(1, 2).contiguous().view(B, T, C)))


class SwappedCausalSelfAttention(TorchCausalSelfAttention):
    """nanoGPT's module with the one-line swap: its own code, flashsdpa's function."""
    sdpa = staticmethod(flashsdpa.scaled_dot_product_attention)


class Block(nn.Module):
    def __init__(self, config, attention):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.attn = attention(config)
        self.ln_2 = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.mlp = nn.Sequential(nn.Linear(config.n_embd, 4 * config.n_embd, bias=config.bias), nn.GELU(),
                                 nn.Linear(4 * config.n_embd, config.n_embd, bias=config.bias), nn.Dropout(config.dropout))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, config, attention):
        super().__init__()
        self.wte = nn.Embedding(config.vocab_size, config.n_embd)
        self.wpe = nn.Embedding(config.block_size, config.n_embd)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList(Block(config, attention) for _ in range(config.n_layer))
        self.ln_f = nn.LayerNorm(config.n_embd, bias=config.bias)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying, as nanoGPT
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, mean=0.0, std=0.02)
            if isinstance(module, nn.Linear) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, idx, targets):
        x = self.drop(self.wte(idx) + self.wpe(torch.arange(idx.shape[1], device=idx.device)))
        for block in self.blocks:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        return F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))


def stdlib_text(limit: int) -> bytes:
    """Up to `limit` bytes of the standard library's .py files, in a fixed order."""
    root = sysconfig.get_paths()["stdlib"]
    chunks, total = [], 0
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in ("site-packages", "test", "tests", "__pycache__"))
        for name in sorted(filenames):
            if name.endswith(".py"):
                with open(os.path.join(dirpath, name), "rb") as f:
                    data = f.read()
                chunks.append(data)
                total += len(data)
                if total >= limit:
                    return b"".join(chunks)[:limit]
    return b"".join(chunks)


def batches(data: torch.Tensor, steps: int, batch: int, block: int, seed: int):
    """The same sequence of (x, y) batches for every run."""
    gen = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        starts = torch.randint(len(data) - block - 1, (batch,), generator=gen)
        x = torch.stack([data[s:s + block] for s in starts])
        yield x, torch.stack([data[s + 1:s + 1 + block] for s in starts])


def training_step(model, step_model, optimizer, x, y, autocast):
    """One step: the loss under autocast (step_model: model or its compiled form), backward,
    gradients clipped at norm 1, AdamW. Returns the loss."""
    with autocast:
        loss = step_model(x, y)
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    optimizer.step()
    return loss


def train(name, attention, config, train_data, val_data, args, device):
    torch.manual_seed(args.seed)
    model = GPT(config, attention).to(device)
    step_model = torch.compile(model) if args.compile else model
    optimizer = torch.optim.AdamW(model.parameters(), lr=args.lr, betas=(0.9, 0.99), weight_decay=0.1)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    val_batches = list(batches(val_data, args.eval_batches, args.batch, config.block_size, args.seed + 1))
    curve, tokens, timed = [], 0, 0.0
    if device == "cuda":
        torch.cuda.reset_peak_memory_stats()
    for step, (x, y) in enumerate(batches(train_data, args.steps, args.batch, config.block_size, args.seed)):
        lr = args.lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * step / args.steps)))
        for group in optimizer.param_groups:
            group["lr"] = lr
        start = time.perf_counter()
        loss = training_step(model, step_model, optimizer, x.to(device), y.to(device), autocast)
        if device == "cuda":
            torch.cuda.synchronize()
        if step >= 20:  # after warm-up and kernel compilation
            timed += time.perf_counter() - start
            tokens += x.numel()
        if step % args.eval_every == 0 or step == args.steps - 1:
            model.eval()
            with torch.no_grad(), autocast:
                val = sum(step_model(vx.to(device), vy.to(device)).item() for vx, vy in val_batches) / len(val_batches)
            model.train()
            curve.append({"step": step, "train": loss.item(), "val": val})
            print(f"{name:10s} step {step:5d}  train {loss.item():.4f}  val {val:.4f}", flush=True)
    return {"curve": curve, "tokens_per_s_in_run": tokens / timed if timed else None,
            "final_train": curve[-1]["train"], "final_val": curve[-1]["val"],
            "peak_memory_mib": torch.cuda.max_memory_allocated() / 2**20 if device == "cuda" else None}


def interleaved_step_times(modules: dict, config, batch: int, device: str, compile_models: bool = False,
                           rounds: int = 6, steps: int = 40, warmup: int = 15) -> dict:
    """{name: ms a training step, one per block}: a fresh model per attention module (same seed,
    same random batch), timed in `rounds` alternating blocks of `steps` steps in this one process,
    so that drift of the host (clocks, neighbours) falls on every module alike. Runs one after
    the other cannot promise that: at this model's size a step is bound by host time, and torch's
    own run moved by 25% between two sessions on the same GPU."""
    autocast = torch.autocast("cuda", dtype=torch.bfloat16) if device == "cuda" else torch.autocast("cpu", enabled=False)
    x, y = (torch.randint(0, config.vocab_size, (batch, config.block_size), device=device) for _ in range(2))

    def step_of(module):
        torch.manual_seed(0)
        model = GPT(config, module).to(device)
        step_model = torch.compile(model) if compile_models else model
        optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
        return lambda: training_step(model, step_model, optimizer, x, y, autocast)

    def synchronize():
        if device == "cuda":
            torch.cuda.synchronize()
    step_fns = {name: step_of(module) for name, module in modules.items()}
    for step in step_fns.values():
        for _ in range(warmup):
            step()
    synchronize()
    times = {name: [] for name in step_fns}
    for _ in range(rounds):
        for name, step in step_fns.items():
            start = time.perf_counter()
            for _ in range(steps):
                step()
            synchronize()
            times[name].append((time.perf_counter() - start) / steps * 1e3)
    return times


def median(values):
    return sorted(values)[len(values) // 2]


def main(argv=None):
    gpu = torch.cuda.is_available()
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=2000 if gpu else 200)
    ap.add_argument("--batch", type=int, default=64 if gpu else 8)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=1337)
    ap.add_argument("--eval-every", type=int, default=100 if gpu else 25)
    ap.add_argument("--eval-batches", type=int, default=20 if gpu else 4)
    ap.add_argument("--compile", action="store_true", help="train torch.compile(model) in every run")
    ap.add_argument("--runs", default="torch,ours,swap",
                    help="which runs, comma-separated: torch, ours, swap (torch always runs: the baseline)")
    ap.add_argument("--timing-rounds", type=int, default=8 if gpu else 2,
                    help="tokens/s from this many alternating blocks of steps of every run's model (0: from the runs)")
    ap.add_argument("--timing-steps", type=int, default=40 if gpu else 3, help="steps a timing block")
    ap.add_argument("--out", default="examples/out")
    args = ap.parse_args(argv)
    device = "cuda" if gpu else "cpu"
    config = Config() if gpu else Config(block_size=64, n_layer=2, n_head=4, n_embd=64)
    data = torch.frombuffer(bytearray(stdlib_text(5_000_000 if gpu else 400_000)), dtype=torch.uint8).long()
    split = int(0.9 * len(data))
    print(f"{len(data)} bytes of stdlib source; {device}; config {asdict(config)}; {args.steps} steps", flush=True)
    # On a CPU flashsdpa runs its reference path (the kernels need a GPU or the slow interpreter).
    backends = [flashsdpa.Backend.FLASH] if gpu else [flashsdpa.Backend.MATH]
    # flashsdpa.nn.CausalSelfAttention (packed QKV, see its forward), and nanoGPT's own module
    # with the one-line swap of the attention function
    modules = {label: module for name, label, module in (("torch", "torch", TorchCausalSelfAttention),
                                                        ("ours", "ours", CausalSelfAttention),
                                                        ("swap", "ours, swap", SwappedCausalSelfAttention))
               if name == "torch" or name in args.runs.split(",")}
    with flashsdpa.sdpa_kernel(backends):   # (torch's module calls torch's own function)
        runs = {label: train(label, module, config, data[:split], data[split:], args, device)
                for label, module in modules.items()}
        if args.timing_rounds:
            times = interleaved_step_times(modules, config, args.batch, device, args.compile, args.timing_rounds,
                                           args.timing_steps)
            for label, ms in times.items():
                runs[label]["ms_per_step_blocks"] = ms
    for r in runs.values():   # tokens/s of the interleaved timing where there is one
        r["tokens_per_s"] = (args.batch * config.block_size / median(r["ms_per_step_blocks"]) * 1e3
                             if "ms_per_step_blocks" in r else r["tokens_per_s_in_run"])
    os.makedirs(args.out, exist_ok=True)
    env = {"device": torch.cuda.get_device_name() if gpu else "cpu", "torch": torch.__version__,
           "flashsdpa": flashsdpa.__version__, "date": time.strftime("%Y-%m-%d"), "args": vars(args),
           "config": asdict(config), "backend": backends[0].name, "compiled": args.compile}
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"environment": env, **runs}, f, indent=1)
    gap = max((abs(runs[name]["final_val"] - runs["torch"]["final_val"]) / runs["torch"]["final_val"]
               for name in runs if name != "torch"), default=0.0)
    lines = ["| attention | final train loss | final val loss | tokens/s | ÷ torch's | peak memory MiB |",
             "|---|---|---|---|---|---|"]
    for name, r in runs.items():
        tps = f"{r['tokens_per_s']:.0f}" if r["tokens_per_s"] else "–"
        ratio = f"{r['tokens_per_s'] / runs['torch']['tokens_per_s']:.3f}" if r["tokens_per_s"] else "–"
        mem = f"{r['peak_memory_mib']:.0f}" if r["peak_memory_mib"] else "–"
        lines.append(f"| {name} | {r['final_train']:.4f} | {r['final_val']:.4f} | {tps} | {ratio} | {mem} |")
    lines.append(f"\nValidation losses differ from torch's by at most {100 * gap:.2f}% after {args.steps} steps "
                 f"({env['device']}, flashsdpa backend {env['backend']}"
                 f"{', every model under torch.compile' if args.compile else ''}). ours: flashsdpa.nn.CausalSelfAttention "
                 f"(packed QKV); ours, swap: nanoGPT's module calling flashsdpa.scaled_dot_product_attention. "
                 + (f"Tokens/s: the median of {args.timing_rounds} alternating blocks of {args.timing_steps} training "
                    "steps of each model in one process (interleaved_step_times)." if args.timing_rounds else
                    "Tokens/s: each run's own steps after the 20th."))
    with open(os.path.join(args.out, "summary.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
        fig, ax = plt.subplots(figsize=(6, 4))
        for name, r in runs.items():
            steps = [p["step"] for p in r["curve"]]
            ax.plot(steps, [p["train"] for p in r["curve"]], label=f"{name} train", alpha=0.6)
            ax.plot(steps, [p["val"] for p in r["curve"]], label=f"{name} val", linestyle="--")
        ax.set_xlabel("step")
        ax.set_ylabel("loss")
        ax.set_title(f"char GPT on stdlib source ({env['device']})", fontsize=9)
        ax.legend()
        ax.grid(alpha=0.3)
        fig.tight_layout()
        fig.savefig(os.path.join(args.out, "loss.png"), dpi=110)
    except ImportError:
        print("(matplotlib not installed: no plot)")
    return 0 if gap <= 0.01 else 1


if __name__ == "__main__":
    raise SystemExit(main())
