"""Run the Gluon Hopper forward kernel (src/flashsdpa/kernels/hopper_forward.py) against torch:
accuracy of the output and the log-sum-exp against float64, then TFLOP/s beside cuDNN and our
Triton kernel. Each case runs in its own process with a time limit, since a wrong mbarrier phase
hangs the GPU instead of raising.

    PYTHONPATH=src python3 benchmarks/experiment_gluon_forward.py [--out FILE]   # on an H100/H200
    PYTHONPATH=src python3 benchmarks/experiment_gluon_forward.py --compile-only   # anywhere: sm_90a

bf16, B·S = 16k tokens at S <= 16384, H = 16 for D = 128 and 32 for D = 64 (the grid's
shapes), causal and not. The kernel needs S to be a multiple of 128.
"""
from __future__ import annotations


import isolated


CASES = [dict(d=d, causal=causal, seq=seq) for d in (128, 64) for causal in (False, True) for seq in (512, 1024, 8192)]


def _shape(case):
    heads = 16 if case["d"] == 128 else 32
    return max(1, 16384 // case["seq"]), heads, case["seq"], case["d"]


def run_case(case) -> dict:
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    import flashsdpa
    from flashsdpa.backends import flash
    from flashsdpa.kernels import hopper_forward

    batch, heads, seq, d = _shape(case)
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = d ** -0.5
    out, lse = torch.empty_like(q), torch.empty(batch, heads, seq, device="cuda")

    def attention_forward(q, k, v, scale, causal):
        return hopper_forward.attention_forward(q, k, v, out, lse, scale, causal)
    attention_forward(q, k, v, scale, case["causal"])
    torch.cuda.synchronize()
    ref = torch.nn.functional.scaled_dot_product_attention(q.double(), k.double(), v.double(), is_causal=case["causal"])
    scores = (q.double() @ k.double().transpose(-1, -2)) * scale
    if case["causal"]:
        scores.masked_fill_(torch.ones(seq, seq, device="cuda", dtype=torch.bool).triu(1), float("-inf"))
    ref_lse = torch.logsumexp(scores, dim=-1)
    del scores
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        theirs = torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=case["causal"])

    def rel(a, b):
        return ((a.double() - b).norm() / b.norm()).item()
    lse_rel = rel(lse, ref_lse)
    result = dict(case, out_rel=rel(out, ref), cudnn_out_rel=rel(theirs, ref), lse_rel=lse_rel,
                  finite=bool(torch.isfinite(out).all()))
    flops = 4 * batch * heads * seq * seq * d * (0.5 if case["causal"] else 1.0)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9
    result["gluon_tflops"] = tflops(lambda: attention_forward(q, k, v, scale, case["causal"]))
    with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
        result["cudnn_tflops"] = tflops(lambda: torch.nn.functional.scaled_dot_product_attention(
            q, k, v, is_causal=case["causal"]))
    flash.HOPPER_FORWARD = False  # the portable Triton kernel, for comparison
    with torch.no_grad(), flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
        result["triton_tflops"] = tflops(lambda: flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=case["causal"]))
    return result


def compile_only():
    """Compile the skeleton for sm_90a with Triton's own ptxas (no GPU) for every case's D."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon import language as gl
    from triton.experimental.gluon._runtime import GluonASTSource

    from flashsdpa.kernels.hopper_forward import attn_fwd_hopper

    for d in (128, 64):
        for causal in (False, True):
            q_block, k_block = [1, 1, 64, d], [1, 1, 128, d]   # 4D boxes over (B, H, S, D)
            q_layout = gl.NVMMASharedLayout.get_default_for(q_block, gl.bfloat16)
            k_layout = gl.NVMMASharedLayout.get_default_for(k_block, gl.bfloat16)

            def desc(block, layout):  # the JIT's spelling of a Gluon tensor descriptor's type
                return f"tensordesc<bf16{block},{layout!r}>"
            signature = {"sm_scale": "fp32", "M_ptr": "*fp32", "N_CTX": "i32", "H_Q": "i32", "GROUP": "i32",
                         "desc_q": desc(q_block, q_layout), "desc_k": desc(k_block, k_layout),
                         "desc_v": desc(k_block, k_layout), "desc_o": desc(q_block, q_layout),
                         "NBUF": "constexpr", "CAUSAL": "constexpr", "CONSUMER_REGS": "constexpr",
                         "PRODUCER_REGS": "constexpr"}
            constants = {"NBUF": 2, "CAUSAL": causal, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24}
            kernel = triton.compile(GluonASTSource(attn_fwd_hopper, signature, constants),
                                    target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            print(f"D={d} causal={causal}: compiled, shared memory {kernel.metadata.shared} bytes "
                  f"(H100/H200 allow 232448)")


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=120)
    if rows is None:
        return
    print("| D | causal | S | out rel err (cuDNN's) | lse rel err | Gluon / cuDNN / Triton TFLOP/s |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        if "error" in r:
            print(f"| {r['d']} | {r['causal']} | {r['seq']} | error: {r['error'].splitlines()[-1][:80]} | | |")
        else:
            print(f"| {r['d']} | {r['causal']} | {r['seq']} | {r['out_rel']:.1e} ({r['cudnn_out_rel']:.1e}) | "
                  f"{r['lse_rel']:.1e} | {r['gluon_tflops']:.0f} / {r['cudnn_tflops']:.0f} / {r['triton_tflops']:.0f} |")


if __name__ == "__main__":
    main()
