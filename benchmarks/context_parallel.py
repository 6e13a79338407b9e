"""Context-parallel attention on several GPUs (NCCL): correctness against one GPU, time per
step on W GPUs against one, and how much of the ring's communication the local work hides.

    PYTHONPATH=src python3 benchmarks/context_parallel.py [--seq 131072] [--gpus 2] [--out FILE]

bf16, D = 128, H = 16 (B = 1), causal, zig-zag shards. One process per GPU. Per-GPU TFLOP/s
counts the causal FLOPs of the whole sequence divided by W (forward 2·B·H·S²·D, backward
2.5× that). "no sends" reruns the same steps with the ring exchange replaced by a local copy,
so the difference is the communication the overlap did not hide.
NVLink multicast stays off in every process (NCCL_NVLS_ENABLE=0 and friends).
"""
from __future__ import annotations

import argparse
import json
import os
import tempfile

for name, value in (("NCCL_NVLS_ENABLE", "0"), ("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1"), ("NVSHMEM_DISABLE_NVLS", "1")):
    os.environ[name] = value

import torch  # noqa: E402
import torch.distributed as dist  # noqa: E402
import torch.multiprocessing as mp  # noqa: E402


def _time(fn, steps=5):
    import triton.testing
    return triton.testing.do_bench(fn, warmup=2, rep=steps * 200, return_mode="median")


def _worker(rank, world, init_file, seq, out_file):
    from flashsdpa import distributed as cp
    from flashsdpa.backends import flash

    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", init_method=f"file://{init_file}", rank=rank, world_size=world)
    gen = torch.Generator(device="cuda").manual_seed(0)  # the same full tensors on every rank
    shape = (1, 16, seq, 128)
    q, k, v, dout = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, generator=gen) for _ in range(4))
    shards = [cp.shard_zigzag(t, world, rank).contiguous().requires_grad_(i < 3) for i, t in enumerate((q, k, v, dout))]

    def forward():
        return cp.context_parallel_attention(*shards[:3], is_causal=True)

    def forward_backward():
        out = forward()
        return torch.autograd.grad(out, shards[:3], shards[3])

    results = {"world": world, "seq": seq}
    # correctness: this rank's shard of one-GPU attention (the flash kernel on the whole sequence)
    out = forward()
    grads = torch.autograd.grad(out, shards[:3], shards[3])
    full = [t.detach().clone().requires_grad_() for t in (q, k, v)]
    ref_out, _ = flash.flash_attention(*full, 128 ** -0.5, True)
    ref_grads = torch.autograd.grad(ref_out, full, dout)

    def rel(a, b):
        return ((a.float() - b.float()).norm() / b.float().norm()).item()
    results["rel_err_vs_one_gpu"] = {name: rel(x, cp.shard_zigzag(r, world, rank)) for name, x, r in
                                     zip(("out", "dq", "dk", "dv"), (out, *grads), (ref_out, *ref_grads))}
    if world == 1:  # the bar: the plain kernel on the whole sequence, no ring around it
        def kernel_forward_backward():
            o, _ = flash.flash_attention(*full, 128 ** -0.5, True)
            return torch.autograd.grad(o, full, dout)
        results["kernel_fwd_ms"] = _time(lambda: flash.flash_attention(*full, 128 ** -0.5, True))
        results["kernel_fwd_bwd_ms"] = _time(kernel_forward_backward)
    del full, ref_out, ref_grads
    results["fwd_ms"] = _time(forward)
    results["fwd_bwd_ms"] = _time(forward_backward)
    # the same steps with the sends replaced by local copies
    real_start = cp._Ring.start
    cp._Ring.start = lambda self, tensors: ([], [t.clone() for t in tensors])
    results["fwd_ms_no_sends"] = _time(forward)
    results["fwd_bwd_ms_no_sends"] = _time(forward_backward)
    cp._Ring.start = real_start
    flops = 2 * 16 * seq * seq * 128  # causal forward
    results["fwd_tflops_per_gpu"] = flops / world / results["fwd_ms"] * 1e-9
    results["bwd_tflops_per_gpu"] = 2.5 * flops / world / (results["fwd_bwd_ms"] - results["fwd_ms"]) * 1e-9
    if world == 1:
        results["kernel_fwd_tflops"] = flops / results["kernel_fwd_ms"] * 1e-9
        results["kernel_bwd_tflops"] = 2.5 * flops / (results["kernel_fwd_bwd_ms"] - results["kernel_fwd_ms"]) * 1e-9
    gathered = [None] * world
    dist.all_gather_object(gathered, results)
    if rank == 0:
        with open(out_file, "w") as f:
            json.dump(gathered, f, indent=1)
    dist.destroy_process_group()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seq", type=int, default=131072)
    ap.add_argument("--gpus", type=int, default=torch.cuda.device_count())
    ap.add_argument("--out", default="context_parallel.json")
    args = ap.parse_args()
    table = []
    for world in sorted({1, args.gpus}):
        with tempfile.TemporaryDirectory() as folder:
            out_file = os.path.join(folder, "result.json")
            mp.spawn(_worker, args=(world, os.path.join(folder, "init"), args.seq, out_file), nprocs=world)
            with open(out_file) as f:
                table.append(json.load(f))
    with open(args.out, "w") as f:
        json.dump(table, f, indent=1)
    kernel = table[0][0]
    print(f"one GPU, the kernel alone: fwd {kernel['kernel_fwd_ms']:.1f} ms, fwd+bwd {kernel['kernel_fwd_bwd_ms']:.1f} ms")
    print("| GPUs | fwd ms | fwd+bwd ms | fwd+bwd ms, no sends | fwd / bwd TFLOP/s per GPU | max rel err vs 1 GPU |")
    print("|---|---|---|---|---|---|")
    for ranks in table:
        r = ranks[0]
        err = max(max(x["rel_err_vs_one_gpu"].values()) for x in ranks)
        print(f"| {r['world']} | {r['fwd_ms']:.1f} | {r['fwd_bwd_ms']:.1f} | {r['fwd_bwd_ms_no_sends']:.1f} | "
              f"{r['fwd_tflops_per_gpu']:.0f} / {r['bwd_tflops_per_gpu']:.0f} | {err:.1e} |")


if __name__ == "__main__":
    main()
