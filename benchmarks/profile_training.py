"""Where a training step of examples/train_gpt.py spends its time, ours against torch's SDPA:
wall time per step, the GPU's busy time per step (kernel time in the profiler), and the
attention calls alone at the example's shape (GPU time with do_bench, host time per call).

    PYTHONPATH=src python3 benchmarks/profile_training.py [--compile] [--steps N]
    PYTHONPATH=src python3 benchmarks/profile_training.py --interleaved [--compile] [--rounds R] [--steps N]

A step whose wall time is near its GPU busy time is GPU-bound (kernel speed decides); one
whose wall time is well above it is host-bound (Python and launches decide).
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "examples"))
import flashsdpa  # noqa: E402
from train_gpt import (GPT, Config, SwappedCausalSelfAttention, TorchCausalSelfAttention,  # noqa: E402
                       interleaved_step_times, median, training_step)
from flashsdpa.nn import CausalSelfAttention  # noqa: E402


def step_fn(model, optimizer, x, y):
    autocast = torch.autocast("cuda", dtype=torch.bfloat16)
    return lambda: training_step(model, model, optimizer, x, y, autocast)


def measure(name, attention, args):
    torch.manual_seed(0)
    config = Config()
    model = GPT(config, attention).cuda()
    if args.compile:
        model = torch.compile(model)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    x = torch.randint(0, 256, (args.batch, config.block_size), device="cuda")
    y = torch.randint(0, 256, (args.batch, config.block_size), device="cuda")
    step = step_fn(model, optimizer, x, y)
    start = time.perf_counter()
    for _ in range(args.warmup):
        step()
    torch.cuda.synchronize()
    warm = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(args.steps):
        step()
    torch.cuda.synchronize()
    wall = (time.perf_counter() - start) / args.steps
    # host time alone: the same steps with the GPU never waited on (launch queue permitting)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(10):
            step()
        torch.cuda.synchronize()
    events = prof.key_averages()
    gpu = sum(e.self_device_time_total for e in events) / 10 / 1e3  # ms per step
    attention_gpu = sum(e.self_device_time_total for e in events
                        if any(s in e.key.lower() for s in ("attention", "fmha", "flash", "sdpa", "attn"))) / 10 / 1e3
    top = sorted(events, key=lambda e: -e.self_device_time_total)[:12]
    print(f"\n== {name} ({'compiled' if args.compile else 'eager'}): wall {wall * 1e3:.2f} ms/step, "
          f"GPU busy {gpu:.2f} ms/step, attention kernels {attention_gpu:.2f} ms/step, warm-up {warm:.1f} s")
    for e in top:
        print(f"   {e.self_device_time_total / 10 / 1e3:7.3f} ms  x{e.count // 10:<4d} {e.key[:100]}")
    if args.cprofile:
        profile = print_profile(step, 20, 25)
        if args.pstats:  # the whole profile, for pstats' callers/callees views offline
            os.makedirs(args.pstats, exist_ok=True)
            profile.dump_stats(os.path.join(args.pstats, f"{name.replace(', ', '_')}.prof"))
    return wall * 1e3, gpu, attention_gpu, args.batch * config.block_size / wall


def interleaved(args):
    """Wall time per step of torch's, ours (flashsdpa.nn's module) and nanoGPT's module with
    the one-line swap, in alternating blocks of steps in one process (the example's own
    interleaved_step_times), so that drift of the host falls on all alike."""
    modules = {"torch": TorchCausalSelfAttention, "ours": CausalSelfAttention, "ours, swap": SwappedCausalSelfAttention}
    with flashsdpa.sdpa_kernel([flashsdpa.Backend.FLASH]):
        times = interleaved_step_times(modules, Config(), args.batch, "cuda", args.compile, args.rounds, args.steps,
                                       args.warmup)
    ms = {name: median(t) for name, t in times.items()}
    print(f"{'compiled' if args.compile else 'eager'}: ms/step, {args.rounds} alternating blocks of {args.steps} steps: "
          + "; ".join(f"{name} " + " ".join(f"{t:.2f}" for t in ts) for name, ts in times.items()))
    print("| module | ms/step (median) | tokens/s ÷ torch's |\n|---|---|---|")
    for name, value in ms.items():
        print(f"| {name} | {value:.2f} | {ms['torch'] / value:.3f} |")


def attention_alone(args):
    """One layer's attention at the example's shape: GPU time (do_bench) and host time per
    forward + backward call."""
    from triton.testing import do_bench
    config = Config()
    shape = (args.batch, config.n_head, config.block_size, config.n_embd // config.n_head)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    dout = torch.randn(shape, device="cuda", dtype=torch.bfloat16)
    # the packed call the example's module makes: qkv (B, S, 3, H, D) from one projection
    qkv = torch.randn(shape[0], shape[2], 3, shape[1], shape[3], device="cuda", dtype=torch.bfloat16,
                      requires_grad=True)

    def packed(q, k, v, dropout_p, is_causal):
        return flashsdpa.flash_attn_qkvpacked_func(qkv, dropout_p=dropout_p, causal=is_causal).transpose(1, 2)
    rows = []
    providers = {"ours": flashsdpa.scaled_dot_product_attention, "ours, packed": packed,
                 "torch default": F.scaled_dot_product_attention}
    for p in (0.0, config.dropout):
        for name, sdpa in providers.items():
            fwd = do_bench(lambda: sdpa(q, k, v, dropout_p=p, is_causal=True))
            both = do_bench(lambda: sdpa(q, k, v, dropout_p=p, is_causal=True).backward(dout))
            for _ in range(20):
                sdpa(q, k, v, dropout_p=p, is_causal=True).backward(dout)
            torch.cuda.synchronize()
            start = time.perf_counter()
            for _ in range(200):  # enqueue only: the host's pace while the GPU keeps up
                sdpa(q, k, v, dropout_p=p, is_causal=True).backward(dout)
            host = (time.perf_counter() - start) / 200 * 1e6
            torch.cuda.synchronize()
            kernels = kernel_times(lambda: sdpa(q, k, v, dropout_p=p, is_causal=True).backward(dout))
            rows.append((name, p, fwd * 1e3, both * 1e3, host, sum(t for _, t, _ in kernels)))
            print(f"\n{name}, dropout {p}: kernels a forward + backward (µs each, count)")
            for key, t, count in kernels:
                print(f"   {t:7.1f}  x{count}  {key[:100]}")
            if args.cprofile and name == "ours":
                print_profile(lambda: sdpa(q, k, v, dropout_p=p, is_causal=True).backward(dout), 200, 18)
    print(f"\nattention at {shape} bf16 causal: GPU µs (do_bench) and host µs per fwd+bwd")
    print("| provider | dropout | fwd µs | fwd+bwd µs | wall µs per fwd+bwd, 200 in a row | kernel µs per fwd+bwd |")
    print("|---|---|---|---|---|---|")
    for name, p, fwd, both, host, busy in rows:
        print(f"| {name} | {p} | {fwd:.1f} | {both:.1f} | {host:.1f} | {busy:.1f} |")


def print_profile(fn, n: int, lines: int):
    """cProfile of n calls of fn (the GPU drained at the end), its top `lines` by own time
    printed; returns the profile."""
    import cProfile
    import pstats
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(n):
        fn()
    torch.cuda.synchronize()
    profile.disable()
    pstats.Stats(profile).sort_stats("tottime").print_stats(lines)
    return profile


def kernel_times(fn, n=20):
    """[(kernel name, GPU µs per call of fn, launches per call)] from the profiler, longest first."""
    for _ in range(5):
        fn()
    torch.cuda.synchronize()
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CUDA]) as prof:
        for _ in range(n):
            fn()
        torch.cuda.synchronize()
    events = [e for e in prof.key_averages() if e.self_device_time_total > 0]
    return sorted(((e.key, e.self_device_time_total / n, e.count // n) for e in events), key=lambda r: -r[1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--compile", action="store_true")
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=15)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--skip-alone", action="store_true")
    ap.add_argument("--cprofile", action="store_true", help="print a cProfile of 20 steps of each")
    ap.add_argument("--pstats", default=None, help="with --cprofile: a folder for each profile's pstats file")
    ap.add_argument("--interleaved", action="store_true", help="only the alternating-blocks comparison")
    ap.add_argument("--rounds", type=int, default=6)
    ap.add_argument("--alone-only", action="store_true",
                    help="only the attention calls at the example's shape (with --cprofile: a profile of ours)")
    args = ap.parse_args()
    print(torch.cuda.get_device_name(), torch.__version__, flush=True)
    if args.interleaved:
        return interleaved(args)
    if args.alone_only:
        return attention_alone(args)
    if not args.skip_alone:
        attention_alone(args)
    results = {"torch": measure("torch", TorchCausalSelfAttention, args)}
    with flashsdpa.sdpa_kernel([flashsdpa.Backend.FLASH]):
        results["ours"] = measure("ours", CausalSelfAttention, args)
    print(f"\n| attention | {'compiled' if args.compile else 'eager'} wall ms/step | GPU busy ms/step | "
          "attention GPU ms/step | tokens/s |")
    print("|---|---|---|---|---|")
    for name, (wall, gpu, attn, tps) in results.items():
        print(f"| {name} | {wall:.2f} | {gpu:.2f} | {attn:.2f} | {tps:.0f} |")


if __name__ == "__main__":
    main()
