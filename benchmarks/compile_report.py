"""Compile the kernels for a GPU that is not here (default sm_90a) and report what ptxas made
of them: registers, spills, stack, shared memory, SASS size, and whether the matmuls became
Hopper's wgmma (HGMMA) or Ampere's mma.sync (HMMA). No GPU needed: Triton's wheel
ships ptxas and cuobjdump, so tile configs can be screened on any machine before device time
is spent on them (a config that spills or runs out of shared memory is ruled out here).

    PYTHONPATH=src python3 benchmarks/compile_report.py                 # the Hopper tables
    PYTHONPATH=src python3 benchmarks/compile_report.py --d 128 --causal --fwd 128,128,8,3 --fwd 128,64,8,3
    PYTHONPATH=src python3 benchmarks/compile_report.py --d 128 --bias --fwd 128,128,8,2 --bwd 32,64,4,2/64,64,4,2

Arguments are specialised as the JIT specialises a typical call: every pointer and every
stride but the last 16-aligned, the last stride 1, bf16 inputs.
"""
from __future__ import annotations

import argparse
import os
import re
import subprocess
import tempfile

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

from flashsdpa.kernels import backward, configs, forward
from flashsdpa.kernels.configs import BackwardConfig, TileConfig

BIN = os.path.join(os.path.dirname(triton.__file__), "backends", "nvidia", "bin")
FLOAT_ARGS = {"qk_scale", "sm_scale", "softcap_scale", "softcap_log2", "dropout_p"}
POINTERS = {"Q", "K", "V", "Out", "LSE", "Mask", "Slopes", "dOut", "Delta", "dK", "dV", "dQ", "dMask"}
FP32_POINTERS = {"LSE", "Delta", "Slopes"}


def _signature(kernel, constexprs: dict, dtype: str):
    """Triton types and divisibility attributes for every runtime argument of `kernel`; the
    head-dim strides and the mask's key stride become the constant 1 in `constexprs`."""
    signature, attrs = {}, {}
    for i, param in enumerate(kernel.params):
        name = param.name
        if param.is_constexpr:
            signature[name] = "constexpr"
        elif name.startswith("stride_") and name.endswith("d") or name == "stride_mn":
            signature[name] = "constexpr"
            constexprs[name] = 1
        elif name.startswith("stride_"):
            signature[name] = "i32"
            attrs[(i,)] = [["tt.divisibility", 16]]
        elif name in FLOAT_ARGS:
            signature[name] = "fp32"
        elif name == "Seed":   # the dropout seed's pointer
            signature[name] = "*i64"
        elif param.annotation_type:   # a typed runtime argument (seed_host: int64)
            signature[name] = param.annotation_type
        elif name in POINTERS:
            boolean_mask = name == "Mask" and constexprs.get("MASK_KIND") != 2
            signature[name] = "*fp32" if name in FP32_POINTERS else ("*u8" if boolean_mask else f"*{dtype}")
            attrs[(i,)] = [["tt.divisibility", 16]]
        else:
            signature[name] = "i32"
    return signature, attrs


def compile_report(kernel, constexprs: dict, num_warps: int, num_stages: int, arch: int = 90, dtype: str = "bf16"):
    constexprs = dict(constexprs)
    signature, attrs = _signature(kernel, constexprs, dtype)
    index = {name: i for i, name in enumerate(kernel.arg_names)}
    source = ASTSource(fn=kernel, signature=signature, constexprs={(index[k],): v for k, v in constexprs.items()},
                       attrs=attrs)
    compiled = triton.compile(source, target=GPUTarget("cuda", arch, 32),
                              options=dict(num_warps=num_warps, num_stages=num_stages))
    with tempfile.TemporaryDirectory() as folder:
        ptx = os.path.join(folder, "k.ptx")
        with open(ptx, "w") as f:
            f.write(compiled.asm["ptx"])
        info = subprocess.run([os.path.join(BIN, "ptxas"), "-v", f"--gpu-name=sm_{arch}a", ptx, "-o",
                               os.path.join(folder, "k.o")], capture_output=True, text=True)
        cubin = os.path.join(folder, "k.cubin")
        with open(cubin, "wb") as f:
            f.write(compiled.asm["cubin"])
        sass = subprocess.run([os.path.join(BIN, "cuobjdump"), "-sass", cubin], capture_output=True, text=True).stdout
    text = info.stdout + info.stderr

    def number(pattern):
        match = re.search(pattern, text)
        return int(match.group(1)) if match else 0
    return dict(registers=number(r"Used (\d+) registers"), spill_stores=number(r"(\d+) bytes spill stores"),
                spill_loads=number(r"(\d+) bytes spill loads"), stack=number(r"(\d+) bytes stack frame"),
                shared=compiled.metadata.shared, sass_lines=len(sass.splitlines()),
                wgmma=sass.count("HGMMA"), mma=sass.count("HMMA"))


def _features(**overrides):
    values = dict(HAS_LO=False, HAS_HI=False, MASK_KIND=0, MASK_INT64=False, MASK_ROW_BCAST=False,
                  HAS_ALIBI=False, HAS_SOFTCAP=False, HAS_DROPOUT=False)
    values.update(overrides)
    return values


def forward_report(d: int, causal: bool, cfg: TileConfig, **features):
    constexprs = dict(D_QK=d, D_V=d, BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n, BLOCK_DQK=d, BLOCK_DV=d,
                      EVEN_M=True, EVEN_N=True, PRECISION="ieee", REVERSE_GRID=causal,
                      **_features(HAS_HI=causal, **features))
    return compile_report(forward.attention_forward_kernel, constexprs, cfg.num_warps, cfg.num_stages)


def backward_reports(d: int, causal: bool, cfg, **features):
    common = dict(D_QK=d, D_V=d, BLOCK_DQK=d, BLOCK_DV=d, EVEN_M=True, EVEN_N=True, PRECISION="ieee",
                  **_features(HAS_HI=causal, **features))
    dkdv = compile_report(backward.attention_backward_dkdv_kernel,
                          dict(common, BLOCK_M=cfg.dkdv.block_m, BLOCK_N=cfg.dkdv.block_n,
                               QUERY_ROWS=cfg.dkdv.query_rows),
                          cfg.dkdv.num_warps, cfg.dkdv.num_stages)
    dq = compile_report(backward.attention_backward_dq_kernel,
                        dict(common, BLOCK_M=cfg.dq.block_m, BLOCK_N=cfg.dq.block_n,
                             MASK_GRAD=features.get("MASK_KIND") == 2,
                             REVERSE_GRID=causal), cfg.dq.num_warps, cfg.dq.num_stages)
    return dkdv, dq


def _row(what, cfg, report):
    rows = "/query rows" if cfg.query_rows else ""
    return (f"| {what} | {cfg.block_m}x{cfg.block_n}/{cfg.num_warps}w/{cfg.num_stages}s{rows} | {report['registers']} | "
            f"{report['spill_stores']} / {report['spill_loads']} | {report['shared'] // 1024} | {report['sass_lines']} | "
            f"{report['wgmma']} / {report['mma']} |")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--d", type=int, action="append", help="head dims (default 64 and 128)")
    ap.add_argument("--causal", action="store_true")
    ap.add_argument("--fwd", action="append", default=[], help="forward config block_m,block_n,warps,stages")
    ap.add_argument("--dropout", action="store_true", help="compile with dropout on")
    ap.add_argument("--bias", action="store_true", help="compile with a 2D bf16 bias (and its gradient)")
    ap.add_argument("--bwd", action="append", default=[],  # a fifth number 1 in the dK/dV part: query_rows
                    help="backward configs dkdv_m,dkdv_n,warps,stages/dq_m,dq_n,warps,stages")
    args = ap.parse_args()
    features = dict(HAS_DROPOUT=True) if args.dropout else {}
    if args.bias:
        features["MASK_KIND"] = 2
    print("| kernel | tiles | registers | spill stores / loads (bytes) | shared KiB | SASS lines | wgmma / mma.sync |")
    print("|---|---|---|---|---|---|---|")
    for d in args.d or [64, 128]:
        for causal in ([args.causal] if args.fwd or args.bwd else [False, True]):
            tag = f"D={d} {'causal' if causal else 'full'}"
            fwd_configs = [TileConfig(*map(int, c.split(","))) for c in args.fwd] or sorted(
                {configs.forward_config((9, 0), 2, d, d, causal, s) for s in (1024, 16384)}, key=str)
            for cfg in fwd_configs:
                print(_row(f"forward {tag}", cfg, forward_report(d, causal, cfg, **features)), flush=True)
            bwd_configs = [BackwardConfig(*(TileConfig(*map(int, part.split(","))) for part in c.split("/")))
                           for c in args.bwd]
            if not args.fwd and not bwd_configs:
                bwd_configs = [configs.backward_config((9, 0), 2, d, d, causal, 16384)]
            for cfg in bwd_configs:
                dkdv, dq = backward_reports(d, causal, cfg, **features)
                print(_row(f"dK/dV {tag}", cfg.dkdv, dkdv), flush=True)
                print(_row(f"dQ {tag}", cfg.dq, dq), flush=True)


if __name__ == "__main__":
    main()
