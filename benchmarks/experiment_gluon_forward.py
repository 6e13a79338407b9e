"""Run the Gluon Hopper forward kernel (src/flashsdpa/kernels/hopper_forward.py) against torch:
accuracy of the output and the log-sum-exp against float64, then TFLOP/s beside torch (cuDNN;
with a bias, torch's default choice) and our Triton kernel; with and without a float bias (the
EXPERIMENTAL bias path). Each case runs in its own process with a time limit, since a wrong
mbarrier phase hangs the GPU instead of raising.

    PYTHONPATH=src python3 benchmarks/experiment_gluon_forward.py [--out FILE]   # on an H100/H200
    PYTHONPATH=src python3 benchmarks/experiment_gluon_forward.py --compile-only   # anywhere: sm_90a

bf16, B·S = 16k tokens at S <= 16384, H = 16 for D = 128 and 32 for D = 64 (the grid's
shapes), causal and not; bias (B, H, S, S) or (S, S) in bf16 at S = 2048 and 8192. The cases
with `consumers` (D = 64, S 512 .. 16384, the persistent grid as shipped) time the kernel with
two and with three consumer warpgroups in one process (`--filter set=consumers`).
"""
from __future__ import annotations


import isolated


CASES = ([dict(d=d, causal=causal, seq=seq) for d in (128, 64) for causal in (False, True) for seq in (512, 1024, 8192)]
         + [dict(d=128, causal=causal, seq=seq, bias=bias) for bias in ("full", "2d") for causal in (False, True)
            for seq in (2048, 8192)]
         + [dict(set="consumers", d=64, causal=causal, seq=seq, persistent=True, consumers=[2, 3])
            for causal in (False, True) for seq in (512, 1024, 2048, 4096, 8192, 16384)])


def _shape(case):
    heads = 16 if case["d"] == 128 else 32
    return max(1, 16384 // case["seq"]), heads, case["seq"], case["d"]


def run_case(case) -> dict:
    """bias: None, "full" (B, H, S, S) or "2d" (S, S), a float attn_mask in bf16 (the EXPERIMENTAL
    bias path, FLASHSDPA_HOPPER_BIAS)."""
    import torch
    import triton.testing
    from torch.nn.attention import SDPBackend, sdpa_kernel

    import flashsdpa
    from flashsdpa.backends import hopper
    from flashsdpa.kernels import hopper_forward

    batch, heads, seq, d = _shape(case)
    causal, bias_kind = case["causal"], case.get("bias")
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = d ** -0.5
    out, lse = torch.empty_like(q), torch.empty(batch, heads, seq, device="cuda")
    bias = None
    if bias_kind is not None:
        bias = torch.randn((batch, heads, seq, seq) if bias_kind == "full" else (seq, seq), device="cuda",
                           dtype=torch.bfloat16)
    bias4d = None if bias is None else bias.expand(batch, heads, seq, seq)

    counts = case.get("consumers", [2])   # consumer warpgroups; the first's results go unsuffixed, as before
    launches = {c: hopper_forward.forward_launch(q, k, scale, causal, bias4d, None, case.get("persistent", False), c)
                for c in counts}
    ref, ref_lse = torch.empty_like(q, dtype=torch.float64), torch.empty_like(lse, dtype=torch.float64)
    for h in range(0, heads, 4):  # float64 scores a few heads at a time (S = 16384: 2 GiB a head)
        part = slice(h, h + 4)
        scores = (q[:, part].double() @ k[:, part].double().transpose(-1, -2)) * scale
        if bias is not None:
            scores += bias4d[:, part].double()
        if causal:
            scores.masked_fill_(torch.ones(seq, seq, device="cuda", dtype=torch.bool).triu(1), float("-inf"))
        ref_lse[:, part] = torch.logsumexp(scores, dim=-1)
        ref[:, part] = torch.softmax(scores, dim=-1) @ v[:, part].double()
        del scores
    if bias is None:  # cuDNN, torch's default here; with a bias, torch's default choice
        def theirs():
            with sdpa_kernel(SDPBackend.CUDNN_ATTENTION):
                return torch.nn.functional.scaled_dot_product_attention(q, k, v, is_causal=causal)
    else:
        mask = bias.masked_fill(torch.ones(seq, seq, device="cuda", dtype=torch.bool).triu(1), float("-inf")) \
            if causal else bias

        def theirs():
            return torch.nn.functional.scaled_dot_product_attention(q, k, v, attn_mask=mask)

    def rel(a, b):
        return ((a.double() - b).norm() / b.norm()).item()
    flops = 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)

    def tflops(fn):
        return flops / triton.testing.do_bench(fn, return_mode="median") * 1e-9
    result = dict(case, torch_out_rel=rel(theirs(), ref))
    for c, launch in launches.items():
        suffix = "" if c == counts[0] else f"_{c}"
        out.fill_(float("nan"))
        lse.fill_(float("nan"))
        launch(q, k, v, out, lse, bias4d)
        torch.cuda.synchronize()
        result.update({f"out_rel{suffix}": rel(out, ref), f"lse_rel{suffix}": rel(lse, ref_lse),
                       f"finite{suffix}": bool(torch.isfinite(out).all() and torch.isfinite(lse).all()),
                       f"gluon_tflops{suffix}": tflops(lambda: launch(q, k, v, out, lse, bias4d))})
    result["torch_tflops"] = tflops(theirs)
    hopper.FORWARD = hopper.BIAS = False  # the portable Triton kernel, for comparison
    with torch.no_grad(), flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
        result["triton_tflops"] = tflops(lambda: flashsdpa.scaled_dot_product_attention(
            q, k, v, attn_mask=bias, is_causal=causal))
    return result


def compile_only():
    """Compile the kernel for sm_90a with Triton's own ptxas (no GPU) for every case's D, without
    and with a bias (D = 128), and report shared memory and the consumer loop."""
    import triton
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon import language as gl
    from triton.experimental.gluon._runtime import GluonASTSource

    import sass_loops
    from flashsdpa.kernels.hopper_forward import BLOCK_N, SPLIT_M, attn_fwd_hopper
    from sass_fingerprint import cubin_sass

    def desc(block):  # the JIT's spelling of a Gluon tensor descriptor's type (4D boxes over (B, H, S, D))
        return f"tensordesc<bf16{block},{gl.NVMMASharedLayout.get_default_for(block, gl.bfloat16)!r}>"
    for d, bias in ((128, False), (128, True), (64, False)):
        for causal in (False, True):
            signature = {"sm_scale": "fp32", "M_ptr": "*fp32", "N_CTX": "i32", "H_Q": "i32", "GROUP": "i32",
                         "desc_q": desc([1, 1, SPLIT_M, d]), "desc_k": desc([1, 1, BLOCK_N, d]),
                         "desc_v": desc([1, 1, BLOCK_N, d]), "desc_o": desc([1, 1, SPLIT_M, d]),
                         "NBUF": "constexpr", "CAUSAL": "constexpr", "CONSUMER_REGS": "constexpr",
                         "PRODUCER_REGS": "constexpr", "desc_bias": desc([1, 1, SPLIT_M, BLOCK_N]) if bias else "constexpr",
                         "BIAS_B": "i32", "BIAS_H": "i32", "HAS_BIAS": "constexpr"}
            constants = {"NBUF": 2, "CAUSAL": causal, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24, "HAS_BIAS": bias}
            if not bias:
                constants["desc_bias"] = None
            kernel = triton.compile(GluonASTSource(attn_fwd_hopper, signature, constants),
                                    target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
            loop = sass_loops.consumer_loop(cubin_sass(kernel.asm["cubin"]))
            print(f"D={d} causal={causal!s:5} bias={bias!s:5}: shared memory {kernel.metadata.shared} B "
                  f"(232448 allowed); {loop}", flush=True)


def _error_line(row) -> str:
    """A failed case's last error line, shortened for the table."""
    text = row["error"].strip()
    return text.splitlines()[-1][:80] if text else "?"


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=120)
    if rows is None:
        return
    if rows and all("consumers" in r for r in rows):
        print("| D | causal | S | out rel err 2 / 3 consumers (torch's) | Gluon 2 / 3 consumers / torch / Triton "
              "TFLOP/s | 3 ÷ 2 | 3 ÷ torch |")
        print("|---|---|---|---|---|---|---|")
        for r in rows:
            head = f"| {r['d']} | {r['causal']} | {r['seq']} |"
            if "error" in r:
                print(f"{head} error: {_error_line(r)} |")
                continue
            print(f"{head} {r['out_rel']:.1e} / {r['out_rel_3']:.1e} ({r['torch_out_rel']:.1e}) | "
                  f"{r['gluon_tflops']:.0f} / {r['gluon_tflops_3']:.0f} / {r['torch_tflops']:.0f} / "
                  f"{r['triton_tflops']:.0f} | {r['gluon_tflops_3'] / r['gluon_tflops']:.3f} | "
                  f"{r['gluon_tflops_3'] / r['torch_tflops']:.3f} |")
        return
    print("| D | causal | S | bias | out rel err (torch's) | lse rel err | Gluon / torch / Triton TFLOP/s |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        head = f"| {r['d']} | {r['causal']} | {r['seq']} | {r.get('bias') or '-'} |"
        if "error" in r:
            print(f"{head} error: {_error_line(r)} | | |")
        else:
            print(f"{head} {r['out_rel']:.1e} ({r['torch_out_rel']:.1e}) | {r['lse_rel']:.1e} | "
                  f"{r['gluon_tflops']:.0f} / {r['torch_tflops']:.0f} / {r['triton_tflops']:.0f} |")


if __name__ == "__main__":
    main()
