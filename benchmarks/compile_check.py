"""Does the training example's model compile into one graph with flashsdpa's attention on this
GPU (autocast bf16, dropout, packed QKV), and does it stay compiled? Trains a few steps under
torch.compile(fullgraph=True) (a graph break raises, naming its cause), then prints dynamo's
counters (graphs, breaks, recompiles), the time of each step, and the median of the last half.
With several modules and dropout values, one row each: where a compiled step's time goes by
elimination (torch's attention against ours, with and without dropout's seed in the graph).

    PYTHONPATH=src python3 benchmarks/compile_check.py [--steps N] [--modules ours,torch] [--dropouts 0.1,0]
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch
import torch._dynamo

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import flashsdpa  # noqa: E402
from train_gpt import GPT, Config, SwappedCausalSelfAttention, TorchCausalSelfAttention  # noqa: E402
from flashsdpa.nn import CausalSelfAttention  # noqa: E402

MODULES = {"ours": CausalSelfAttention, "swap": SwappedCausalSelfAttention, "torch": TorchCausalSelfAttention}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--modules", default="ours", help="comma-separated, from " + ", ".join(MODULES))
    ap.add_argument("--dropouts", default="0.1", help="comma-separated dropout values")
    ap.add_argument("--fullgraph", type=int, default=1)
    args = ap.parse_args()
    rows = [(module, float(p), check(module, float(p), args)) for module in args.modules.split(",")
            for p in args.dropouts.split(",")]
    print("| module | dropout | compiled ms a step (median of the last half) |\n|---|---|---|")
    for module, p, ms in rows:
        print(f"| {module} | {p} | {ms:.2f} |")


def check(module: str, dropout: float, args) -> float:
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch._dynamo.reset()
    torch.manual_seed(0)
    config = Config(dropout=dropout) if device == "cuda" else Config(block_size=64, n_layer=2, n_head=2, n_embd=64,
                                                                     dropout=dropout)
    model = GPT(config, MODULES[module]).to(device)
    step_model = torch.compile(model, fullgraph=bool(args.fullgraph))
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (64 if device == "cuda" else 4, config.block_size), device=device)
    y = torch.randint(0, 256, x.shape, device=device)
    backends = [flashsdpa.Backend.FLASH] if device == "cuda" else [flashsdpa.Backend.MATH]
    times = []
    torch._dynamo.utils.counters.clear()
    with flashsdpa.sdpa_kernel(backends), torch.autocast(device, dtype=torch.bfloat16, enabled=device == "cuda"):
        for _ in range(args.steps):
            start = time.perf_counter()
            loss = step_model(x, y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            if device == "cuda":
                torch.cuda.synchronize()
            times.append((time.perf_counter() - start) * 1e3)
    counters = torch._dynamo.utils.counters
    print(f"{module}, dropout {dropout}: step ms " + " ".join(f"{t:.1f}" for t in times))
    print(f"  unique graphs {counters['stats'].get('unique_graphs', 0)}, frames {dict(counters['frames'])}, "
          f"graph breaks {sum(counters['graph_break'].values())} {dict(counters['graph_break'])}, "
          f"recompiles {dict(counters.get('recompiles', {}))}", flush=True)
    late = sorted(times[len(times) // 2:])
    return late[len(late) // 2]


if __name__ == "__main__":
    main()
