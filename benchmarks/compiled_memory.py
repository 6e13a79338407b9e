"""Peak memory of the example's GPT under torch.compile, torch's attention against ours (through
the triton ops, and through the opaque ops), with the code inductor generated for each: v0.19's
compiled runs peaked 73 MiB above torch's (one (B, S, C) bf16 tensor a layer) where the opaque
ops matched it. Look in the code files for what ours allocates that torch's does not.

    PYTHONPATH=src python3 benchmarks/compiled_memory.py --out DIR
"""
import argparse
import os
import sys

import torch
from torch._inductor.utils import run_and_get_code

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import train_gpt  # noqa: E402  (the example's model and step)
from flashsdpa.backends import flash_ops  # noqa: E402


def peak_and_code(attention, inline: bool, steps: int = 3):
    """(peak MiB over `steps` training steps after the first, the first step's generated code)."""
    flash_ops.INLINE = inline
    torch._dynamo.reset()
    torch.manual_seed(0)
    config = train_gpt.Config()
    model = train_gpt.GPT(config, attention).cuda()
    compiled = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    autocast = torch.autocast("cuda", dtype=torch.bfloat16)
    x, y = (torch.randint(0, config.vocab_size, (64, config.block_size), device="cuda") for _ in range(2))

    def step():
        train_gpt.training_step(model, compiled, optimizer, x, y, autocast)
    _, codes = run_and_get_code(step)
    torch.cuda.synchronize()
    torch.cuda.reset_peak_memory_stats()
    for _ in range(steps):
        step()
    torch.cuda.synchronize()
    peak = torch.cuda.max_memory_allocated() / 2**20
    storages = {}   # what the step saves for its backward: unique storages, by size

    def pack(t):
        storages[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
        return t
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        step()
    sizes = sorted(storages.values(), reverse=True)
    return peak, codes, sum(sizes) / 2**20, sizes[:12]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="compiled_memory")
    ap.add_argument("--models", default="torch,triton,opaque", help="which of torch, triton, opaque")
    args = ap.parse_args()
    wanted = args.models.split(",")
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for key, name, attention, inline in (("torch", "torch", train_gpt.TorchCausalSelfAttention, True),
                                         ("triton", "ours, triton ops", train_gpt.CausalSelfAttention, True),
                                         ("opaque", "ours, opaque ops", train_gpt.CausalSelfAttention, False)):
        if key not in wanted:
            continue
        peak, codes, saved, largest = peak_and_code(attention, inline)
        print(f"{name}: saved for backward {saved:.1f} MiB in {len(largest)}+ storages, largest {largest}")
        stem = name.replace(", ", "_").replace(" ", "_")
        for i, code in enumerate(codes):
            with open(os.path.join(args.out, f"{stem}_{i}.py"), "w") as f:
                f.write(code)
        text = "\n".join(codes)
        rows.append((name, peak, saved, text.count("empty_strided_cuda("), text.count("clone"), len(codes)))
    print("| model | peak MiB | saved MiB | empty_strided_cuda calls | 'clone' in code | graphs |")
    print("|---|---|---|---|---|---|")
    for name, peak, saved, allocations, clones, graphs in rows:
        print(f"| {name} | {peak:.1f} | {saved:.1f} | {allocations} | {clones} | {graphs} |")


if __name__ == "__main__":
    main()
