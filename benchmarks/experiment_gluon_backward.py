"""Run the EXPERIMENTAL Gluon Hopper dK/dV kernel (src/flashsdpa/kernels/hopper_backward.py)
against float64 and torch: dK and dV relative errors beside our Triton backward's and cuDNN's,
then backward TFLOP/s (our dQ launch + the Gluon dK/dV, against the all-Triton backward and
cuDNN), and the dK/dV launch alone per (query rows per stage, pipeline stages). Each case runs
in its own process with a time limit, since a wrong mbarrier phase hangs the GPU instead of
raising.

    PYTHONPATH=src python3 benchmarks/experiment_gluon_backward.py [--out FILE]   # on an H100/H200
    PYTHONPATH=src python3 benchmarks/experiment_gluon_backward.py --compile-only   # anywhere: sm_90a

bf16, D = 128, B*S = 16k tokens and H = 16 (the grid's shapes), plus GQA 32/8 and a ragged
(B, S, H, D) case.
"""
from __future__ import annotations

import argparse
import collections
import json
import os
import subprocess
import sys
import tempfile

CASES = ([dict(causal=c, seq=s, heads=16, heads_kv=16, layout="bhsd") for c in (False, True) for s in (1024, 2048, 8192)]
         + [dict(causal=True, seq=4096, heads=32, heads_kv=8, layout="bhsd", batch=4),
            dict(causal=False, seq=2047, heads=8, heads_kv=8, layout="bshd", batch=2)])
VARIANTS = [(32, 2), (32, 3), (64, 2)]  # (query rows per stage, stages)


def run_case(case) -> dict:
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    from flashsdpa.backends import flash
    from flashsdpa.kernels import hopper_backward

    seq, heads, heads_kv, causal, d = case["seq"], case["heads"], case["heads_kv"], case["causal"], 128
    batch = case.get("batch", max(1, 16384 // seq))
    shapes = [(batch, heads, seq, d), (batch, heads_kv, seq, d), (batch, heads_kv, seq, d)]
    if case["layout"] == "bshd":
        q, k, v = (torch.randn(b, s, h, dd, device="cuda", dtype=torch.bfloat16).transpose(1, 2) for b, h, s, dd in shapes)
    else:
        q, k, v = (torch.randn(s, device="cuda", dtype=torch.bfloat16) for s in shapes)
    scale = d ** -0.5
    opts = flash.ScoreOptions(scale, causal)
    out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=opts)
    dout = torch.randn_like(out)
    result = dict(case, batch=batch)

    def backward(hopper: bool):
        flash.HOPPER_BACKWARD = hopper
        return flash.flash_backward(dout, q, k, v, out, lse, scale, causal, 0, opts=opts)

    flash.HOPPER_BACKWARD = True
    result["reason"] = flash.hopper_backward_reason(q, k, v, dout, torch.empty_like(k), torch.empty_like(v), opts=opts)
    gluon = backward(True)
    torch.cuda.synchronize()
    triton_ = backward(False)

    def rel(a, b):
        return ((a.double() - b.double()).norm() / b.double().norm()).item()
    result["dk_vs_triton"], result["dv_vs_triton"] = rel(gluon[1], triton_[1]), rel(gluon[2], triton_[2])
    result["finite"] = bool(all(torch.isfinite(t).all() for t in gluon[:3]))
    if batch * heads * seq * seq <= 2 ** 31:  # float64 reference (its scores fit in memory)
        leaves = [t.detach().double().requires_grad_() for t in (q, k, v)]
        ref = torch.nn.functional.scaled_dot_product_attention(*leaves, is_causal=causal, enable_gqa=True)
        ref_grads = torch.autograd.grad(ref, leaves, dout.double())
        theirs = [t.detach().requires_grad_() for t in (q, k, v)]
        with sdpa_kernel(SDPBackend.CUDNN_ATTENTION, SDPBackend.EFFICIENT_ATTENTION, SDPBackend.FLASH_ATTENTION):
            their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal, enable_gqa=True)
        their_grads = torch.autograd.grad(their_out, theirs, dout)
        for name, i in (("dk", 1), ("dv", 2)):
            result[f"{name}_rel"] = rel(gluon[i], ref_grads[i])
            result[f"{name}_rel_triton"] = rel(triton_[i], ref_grads[i])
            result[f"{name}_rel_torch"] = rel(their_grads[i], ref_grads[i])
        del ref, ref_grads
    flops = 2.5 * 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9
    result["gluon_tflops"] = tflops(lambda: backward(True))
    result["triton_tflops"] = tflops(lambda: backward(False))
    theirs = [t.detach().requires_grad_() for t in (q, k, v)]
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        their_out = torch.nn.functional.scaled_dot_product_attention(*theirs, is_causal=causal, enable_gqa=True)
        result["cudnn_tflops"] = tflops(lambda: torch.autograd.grad(their_out, theirs, dout, retain_graph=True))
    # the dK/dV launch alone (FLOPs: its 4 of the backward's 7 products), per variant
    delta = (out.float() * dout.float()).sum(-1)
    dk, dv = torch.empty_like(k), torch.empty_like(v)
    for block_m, stages in VARIANTS:
        result[f"dkdv_{block_m}x{stages}_tflops"] = tflops(lambda: hopper_backward.attention_backward_dkdv(
            q, k, v, dout, lse, delta, dk, dv, scale, causal, NBUF=stages, block_m=block_m)) * 4 / 7
    return result


def compile_only():
    """Compile the dK/dV kernel for sm_90a with Triton's own ptxas (no GPU) per variant and report
    shared memory, spills, and instructions a warp per stage of the consumer loop."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon import language as gl
    from triton.experimental.gluon._runtime import GluonASTSource

    import compile_report
    import sass_loops
    from flashsdpa.kernels import hopper_backward as hb

    d = 128
    for block_m, stages in VARIANTS:
        for causal in (False, True):
            def desc(rows):  # the JIT's spelling of a Gluon tensor descriptor's type
                block = [1, 1, rows, d]
                return f"tensordesc<bf16{block},{gl.NVMMASharedLayout.get_default_for(block, gl.bfloat16)!r}>"
            signature = {"sm_scale": "fp32", "LSE": "*fp32", "Delta": "*fp32", "N_CTX": "i32", "H_Q": "i32",
                         "H_KV": "i32", "GROUP": "i32", "desc_q": desc(block_m), "desc_k": desc(hb.SPLIT_N),
                         "desc_v": desc(hb.SPLIT_N), "desc_do": desc(block_m), "desc_dk": desc(hb.SPLIT_N),
                         "desc_dv": desc(hb.SPLIT_N), "NBUF": "constexpr", "CAUSAL": "constexpr",
                         "CONSUMER_REGS": "constexpr", "PRODUCER_REGS": "constexpr"}
            constants = {"NBUF": stages, "CAUSAL": causal, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24}
            kernel = triton.compile(GluonASTSource(hb.attn_bwd_dkdv_hopper, signature, constants),
                                    target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            with tempfile.TemporaryDirectory() as folder:
                with open(os.path.join(folder, "k.cubin"), "wb") as f:
                    f.write(kernel.asm["cubin"])
                text = subprocess.run([os.path.join(compile_report.BIN, "cuobjdump"), "-sass", f.name],
                                      capture_output=True, text=True).stdout
            text = "\n".join(line for line in text.splitlines() if line.strip().startswith("/*"))
            # the consumer loops: the innermost loops holding the four products' wgmma instructions
            loops = [body for _, _, body in sass_loops.loops(text)
                     if sum(op.startswith("HGMMA") for op in body) >= 16 and "UTMALDG" not in " ".join(body)]
            body = min(loops, key=len)
            ops = collections.Counter(op.split(".")[0] for op in body)
            print(f"rows/stage {block_m} stages {stages} causal={causal!s:5}: shared memory {kernel.metadata.shared} B "
                  f"(232448 allowed); consumer loop {len(body)} instructions a warp, spill stores/loads "
                  f"{ops['STL']}/{ops['LDL']}, HGMMA {ops['HGMMA']}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=150)
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    if args.compile_only:
        return compile_only()
    if args.one:
        print("RESULT " + json.dumps(run_case(json.loads(args.one))), flush=True)
        return
    rows = []
    for case in CASES:
        try:
            done = subprocess.run([sys.executable, __file__, "--one", json.dumps(case)], capture_output=True,
                                  text=True, timeout=args.timeout)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            rows.append(json.loads(lines[-1][7:]) if lines else dict(case, error=done.stderr[-800:]))
        except subprocess.TimeoutExpired:
            rows.append(dict(case, error=f"timed out after {args.timeout} s (a hang: mbarrier phases?)"))
        print(json.dumps(rows[-1]), flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    print("| case | dK / dV rel err: Gluon, Triton, torch | bwd TFLOP/s Gluon / Triton / cuDNN | dK/dV alone "
          + " / ".join(f"{m}x{s}" for m, s in VARIANTS) + " |")
    print("|---|---|---|---|")
    for r in rows:
        name = f"h{r['heads']}/{r['heads_kv']} S={r['seq']} causal={r['causal']} {r['layout']}"
        if "error" in r:
            print(f"| {name} | error: {r['error'].strip().splitlines()[-1][:100] if r['error'].strip() else '?'} | | |")
            continue
        errs = (f"{r['dk_rel']:.1e}/{r['dv_rel']:.1e}, {r['dk_rel_triton']:.1e}/{r['dv_rel_triton']:.1e}, "
                f"{r['dk_rel_torch']:.1e}/{r['dv_rel_torch']:.1e}" if "dk_rel" in r else
                f"vs Triton {r['dk_vs_triton']:.1e}/{r['dv_vs_triton']:.1e}")
        alone = " / ".join(f"{r[f'dkdv_{m}x{s}_tflops']:.0f}" for m, s in VARIANTS)
        print(f"| {name} | {errs} | {r['gluon_tflops']:.0f} / {r['triton_tflops']:.0f} / {r['cudnn_tflops']:.0f} "
              f"| {alone} |")


if __name__ == "__main__":
    main()
