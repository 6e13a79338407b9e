"""What each kernel's loop costs in issued instructions, without a GPU: compiles the forward,
dQ and dK/dV kernels for sm_90a (as sass_fingerprint.py does) and prints, for every loop (a
backward branch), its instruction count per warp and iteration and the instructions that
usually explain a slow loop: barriers, shared-memory traffic, conversions, global accesses by
width. This is how v0.6 (benchmarks/NOTES.md) found the dropout mask's trips through shared
memory; a loop's count against the same kernel without the feature is the feature's cost.

    PYTHONPATH=src python3 benchmarks/sass_loops.py                    # dropout and none, D = 128
    PYTHONPATH=src python3 benchmarks/sass_loops.py --cases bias --d 64
"""
import argparse
import collections
import re

import compile_report
from sass_fingerprint import CASES, sass
from flashsdpa.kernels import backward, forward

WATCH = ("BAR.SYNC", "STS", "LDS", "I2F", "SHFL", "MUFU", "HGMMA", "LDG", "STG", "LDGSTS")
ADDRESS = re.compile(r"\s*/\*([0-9a-f]{4,})\*/")  # an instruction's address (encoding lines have spaces)
OPCODE = re.compile(r"/\*[0-9a-f]+\*/\s+(?:@!?U?P\w+\s+)?([A-Z0-9_]+(?:\.[A-Z0-9_]+)*)")
BRANCH = re.compile(r"BRA\b.*?(?:0x)?([0-9a-f]+)\s*;")


def loops(sass_text: str):
    """(first address, last address, opcodes) of every backward branch's body."""
    lines = [line for line in sass_text.splitlines() if ADDRESS.match(line)]
    addresses = [int(ADDRESS.match(line).group(1), 16) for line in lines]
    for line, address in zip(lines, addresses):
        branch = BRANCH.search(line)
        if branch and int(branch.group(1), 16) < address:
            start = int(branch.group(1), 16)
            body = [OPCODE.search(text).group(1) for text, a in zip(lines, addresses) if start <= a <= address]
            yield start, address, body


def consumer_loop(sass_text: str) -> str:
    """Of a Gluon kernel's SASS: the first consumer warpgroup's main loop, as its size, spill
    traffic and wgmma count."""
    def wgmma(body):
        return sum(op.startswith("HGMMA") for op in body)
    # warp specialization and mbarrier spin-waits leave overlapping backward branches around
    # it: the main loop is the one with the fewest instructions per wgmma (the first of equals)
    found = [(len(body) / wgmma(body), start, body) for start, _, body in loops(sass_text)
             if wgmma(body) and not any(op.startswith("UTMALDG") for op in body)]
    if not found:
        return "no consumer loop (no loop with a wgmma)"
    body = min(found, key=lambda item: item[:2])[2]
    ops = collections.Counter(op.split(".")[0] for op in body)
    return (f"consumer loop {len(body)} instructions a warp, spill stores/loads {ops['STL']}/{ops['LDL']}, "
            f"HGMMA {ops['HGMMA']}")


def summary(body) -> str:
    counts = collections.Counter()
    for op in body:
        for name in WATCH:
            if op == name or op.startswith(name + "."):
                counts[op if name in ("LDG", "STG", "LDGSTS") else name] += 1
    return " ".join(f"{name}:{n}" for name, n in sorted(counts.items()))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="none,dropout", help=f"comma-separated, of {', '.join(CASES)}")
    ap.add_argument("--d", type=int, default=128)
    args = ap.parse_args()
    d = args.d
    for name in args.cases.split(","):
        features = compile_report._features(**CASES[name])
        common = dict(D_QK=d, D_V=d, BLOCK_DQK=d, BLOCK_DV=d, EVEN_M=True, EVEN_N=True, PRECISION="ieee",
                      **features)
        mask_grad = CASES[name].get("MASK_KIND") == 2
        kernels = [("forward 64x64/4w/3s", forward.attention_forward_kernel,
                    dict(common, BLOCK_M=64, BLOCK_N=64, REVERSE_GRID=False), 4, 3),
                   ("dQ 128x64/8w/3s", backward.attention_backward_dq_kernel,
                    dict(common, BLOCK_M=128, BLOCK_N=64, REVERSE_GRID=False, MASK_GRAD=mask_grad), 8, 3),
                   ("dK/dV 32x64/4w/3s", backward.attention_backward_dkdv_kernel,
                    dict(common, BLOCK_M=32, BLOCK_N=64), 4, 3)]
        for label, kernel, constexprs, warps, stages in kernels:
            for start, end, body in loops(sass(kernel, constexprs, warps, stages)):
                print(f"{name:8s} D={d} {label:20s} loop {start:#06x}-{end:#06x}: {len(body):4d} instructions  "
                      f"{summary(body)}", flush=True)


if __name__ == "__main__":
    main()
