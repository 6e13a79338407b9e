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
    return torch.cuda.max_memory_allocated() / 2**20, codes


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="compiled_memory")
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    rows = []
    for name, attention, inline in (("torch", train_gpt.TorchCausalSelfAttention, True),
                                    ("ours, triton ops", train_gpt.CausalSelfAttention, True),
                                    ("ours, opaque ops", train_gpt.CausalSelfAttention, False)):
        peak, codes = peak_and_code(attention, inline)
        stem = name.replace(", ", "_").replace(" ", "_")
        for i, code in enumerate(codes):
            with open(os.path.join(args.out, f"{stem}_{i}.py"), "w") as f:
                f.write(code)
        text = "\n".join(codes)
        rows.append((name, peak, text.count("empty_strided_cuda("), text.count("clone"), len(codes)))
    print("| model | peak MiB | empty_strided_cuda calls | 'clone' in code | graphs |")
    print("|---|---|---|---|---|")
    for name, peak, allocations, clones, graphs in rows:
        print(f"| {name} | {peak:.1f} | {allocations} | {clones} | {graphs} |")


if __name__ == "__main__":
    main()
