"""Where the fused dQ backward (hopper_backward's FUSED_DQ) loses its time: the fused dK/dV launch
timed with parts of its dQ work taken out, beside the two launches. Measured in v0.10c and v0.11b
(benchmarks/NOTES.md): the fused backward runs 0.74-0.98x the two launches although it does 5
products instead of 7; the order its products are issued in did not matter.

Each variant swaps one of hopper_backward's Gluon helpers for a stand-in before anything compiles
(its own process, so nothing cached is reused); the shipped kernels are untouched. Results of the
cut variants are wrong on purpose; only their time counts.

    fused            as shipped (FLASHSDPA_HOPPER_FUSED_DQ=1)
    no TMA reduce    the dQ part's TMA reduce-add left out (its store to shared memory kept: with no
                     reader at all, ptxas drops the dQ products too)
    no products      the dQ products left out (the warpgroups still meet at the dS barrier)
    dkdv + dS store  no dQ products, no barrier wait, no reduce: the dK/dV loop plus the dS stores
                     (its shared memory drops to 148 KB: still one program an SM)
    two launches     the shipped default, and the dK/dV launch alone

Each row also times the launch's passes over the fp32 accumulator (zero fill; scale and round
into dq), which the fused launch pays and the two launches do not.

    PYTHONPATH=src python3 benchmarks/experiment_fused_dq_ablation.py   # on an H100/H200 (~2 min)
    PYTHONPATH=src python3 benchmarks/experiment_fused_dq_ablation.py --compile-only   # sm_90a, anywhere
"""
from __future__ import annotations

from triton.experimental import gluon
from triton.experimental.gluon import language as gl
from triton.experimental.gluon.language.nvidia.hopper import fence_async_shared, mbarrier

import isolated
from flashsdpa.kernels import hopper_backward as hb
from flashsdpa.kernels.hopper_common import accumulator_layout

SHAPES = [dict(causal=False, seq=8192), dict(causal=True, seq=2048), dict(causal=False, seq=1024)]
VARIANTS = ("fused", "no TMA reduce", "no products", "dkdv + dS store", "two launches")
CASES = [dict(shape, variant=variant) for shape in SHAPES for variant in VARIANTS]


# the stand-ins (module level: a Gluon function resolves names in its module's globals)
@gluon.jit
def _store_only(cid: gl.constexpr, part, it, dq_bufs, desc_dq_acc, b, h, m0):
    # the part still goes to shared memory: with no reader at all, ptxas drops the dQ products
    BLOCK_M: gl.constexpr = part.type.shape[0]
    HALF_D: gl.constexpr = part.type.shape[1]
    box = dq_bufs.index(2 * cid + it % 2)
    gl.thread_barrier()
    box.reshape([BLOCK_M, HALF_D]).store(part)
    fence_async_shared()
    gl.thread_barrier()


@gluon.jit
def _no_reduce(cid: gl.constexpr, part, it, dq_bufs, desc_dq_acc, b, h, m0):
    pass


@gluon.jit
def _zeros_after_barrier(cid: gl.constexpr, ds_bufs, ds_ready, k_bufs, it):
    HEAD_DIM: gl.constexpr = k_bufs.type.shape[4]
    BLOCK_M: gl.constexpr = ds_bufs.type.shape[2]
    mbarrier.wait(ds_ready.index(it % 2), (it // 2) & 1)
    return gl.zeros([BLOCK_M, HEAD_DIM // 2], gl.float32, accumulator_layout(HEAD_DIM // 2, ds_bufs.dtype))


@gluon.jit
def _zeros(cid: gl.constexpr, ds_bufs, ds_ready, k_bufs, it):
    HEAD_DIM: gl.constexpr = k_bufs.type.shape[4]
    BLOCK_M: gl.constexpr = ds_bufs.type.shape[2]
    return gl.zeros([BLOCK_M, HEAD_DIM // 2], gl.float32, accumulator_layout(HEAD_DIM // 2, ds_bufs.dtype))


def _ablate(variant: str):
    """Swap hopper_backward's dQ helpers for the variant's stand-ins (before any compile)."""
    if variant == "no TMA reduce":
        hb._reduce_dq = _store_only
    elif variant == "no products":
        hb._dq_part = _zeros_after_barrier
    elif variant == "dkdv + dS store":
        hb._dq_part, hb._reduce_dq = _zeros, _no_reduce


def run_case(case) -> dict:
    import torch
    import triton.testing

    from flashsdpa.backends import flash

    _ablate(case["variant"])
    seq, causal, heads, d = case["seq"], case["causal"], 16, 128
    batch = 16384 // seq
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = d ** -0.5
    out, lse = flash.flash_forward(q, k, v, scale, causal, 0, opts=flash.ScoreOptions(scale, causal))
    dout = torch.randn_like(out)
    stats = hb.row_stats(lse)
    dq, dk, dv = (torch.empty_like(t) for t in (q, k, v))
    fused = case["variant"] != "two launches"
    dq_launch, dkdv_launch = hb.backward_launches(q, k, scale, causal, fused_dq=fused)
    flops = 2.5 * 4 * batch * heads * seq * seq * d * (0.5 if causal else 1.0)

    def ms(fn):
        return triton.testing.do_bench(fn, return_mode="median")

    def both():
        dq_launch(q, k, v, out, dout, lse, stats, dq)
        dkdv_launch(q, k, v, dout, stats, dk, dv, None, dq)
    both()
    torch.cuda.synchronize()
    result = dict(case, batch=batch, total_ms=ms(both), dkdv_ms=ms(lambda: dkdv_launch(q, k, v, dout, stats, dk, dv,
                                                                                       None, dq)))
    result["tflops"] = flops / result["total_ms"] * 1e-9
    if fused:   # the host-side passes of dkdv_launch over the fp32 accumulator, alone
        acc_shape = (batch, heads, hb._padded_rows(seq), d)

        def passes():
            acc = torch.zeros(acc_shape, device="cuda", dtype=torch.float32)
            torch.mul(acc[:, :, :seq], scale, out=dq)
        result["passes_ms"] = ms(passes)
    return result


def compile_only():
    """Each variant's fused dK/dV kernel compiled for sm_90a (in its own process, as the swap
    needs): shared memory, spills and instructions a warp in the consumer loop."""
    import subprocess
    import sys
    for variant in VARIANTS[:-1]:
        subprocess.run([sys.executable, __file__, "--compile-variant", variant], check=True)


def _compile_variant(variant: str):
    import inspect

    import triton
    from triton.backends.compiler import GPUTarget
    from triton.experimental.gluon._runtime import GluonASTSource

    import sass_loops
    from sass_fingerprint import cubin_sass, descriptor_type as desc

    _ablate(variant)
    kernel = hb.attn_bwd_dkdv_hopper
    rows = desc(64, 128)
    types = dict(sm_scale="fp32", LSE2="*fp32", Delta="*fp32", N_CTX="i32", S_PAD="i32", H_Q="i32", H_KV="i32",
                 GROUP="i32", desc_dq_acc=desc(64, 64, "fp32"),
                 **{f"desc_{t}": rows for t in ("q", "k", "v", "do", "dk", "dv")})
    names = kernel.arg_names
    defaults = {name: param.default for name, param in inspect.signature(kernel.fn).parameters.items()}
    constants = dict(NBUF=2, CONSUMER_REGS=240, PRODUCER_REGS=24, CAUSAL=False, FUSED_DQ=True)
    constants = {name: constants.get(name, defaults[name]) for name in names if name not in types}
    signature = {name: types.get(name, "constexpr") for name in names}
    attrs = {(names.index(arg), ): [["tt.divisibility", 16]] for arg in ("LSE2", "Delta", "S_PAD")}
    compiled = triton.compile(GluonASTSource(kernel, signature, constants, attrs), target=GPUTarget("cuda", 90, 32),
                              options={"num_warps": 4})
    sass = cubin_sass(compiled.asm["cubin"])
    print(f"{variant:16s}: shared memory {compiled.metadata.shared} B; {sass_loops.consumer_loop(sass)}; "
          f"UTMAREDG {sum('UTMAREDG' in line for line in sass.splitlines())}", flush=True)


def main():
    import sys
    if "--compile-variant" in sys.argv:
        _compile_variant(sys.argv[sys.argv.index("--compile-variant") + 1])
        return
    rows = isolated.main(__doc__, __file__, CASES, run_case, compile_only, timeout=120)
    if rows is None:
        return
    print("| shape | variant | backward ms | TFLOP/s | dK/dV launch ms | host passes ms |")
    print("|---|---|---|---|---|---|")
    for row in rows:
        shape = f"D=128 S={row['seq']} {'causal' if row['causal'] else 'full'}"
        if "error" in row:
            print(f"| {shape} | {row['variant']} | {row['error'][-120:]!r} | | | |")
            continue
        passes = f"{row['passes_ms']:.3f}" if "passes_ms" in row else "–"
        print(f"| {shape} | {row['variant']} | {row['total_ms']:.3f} | {row['tflops']:.0f} | {row['dkdv_ms']:.3f} "
              f"| {passes} |")


if __name__ == "__main__":
    main()
