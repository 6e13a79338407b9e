"""Benchmark flashsdpa against torch's SDPA backends, side by side in one run.

    python -m flashsdpa.bench                       # the anchor grid (D 64/128, causal or not, S 512..16384)
    python -m flashsdpa.bench --grid extra          # D 96/256, S 32768/131072 with B=1 H=16, GQA 32/8
    python -m flashsdpa.bench --shape 4,32,4096,128,causal --providers ours,cudnn,flash
    python -m flashsdpa.bench --json out.json --plot out.png --markdown out.md
    python -m flashsdpa.bench --grid none --shape 4,16,4096,128,causal --first-call   # compile time

FLOPs: forward 4*B*H*S_q*S_k*D (halved when causal); backward 2.5x the forward's, over the
time of the backward pass alone (autograd.grad of the output with a random upstream grad).
Times are triton.testing.do_bench medians on random normal inputs. Memory is the peak extra
memory of a forward without autograd, above the inputs.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F

import flashsdpa

ANCHOR_SEQS = (512, 1024, 2048, 4096, 8192, 16384)
TOKENS, HIDDEN = 16384, 2048


@dataclass(frozen=True)
class Shape:
    batch: int
    heads: int
    seq: int
    head_dim: int
    causal: bool
    kv_heads: int = 0  # 0: same as heads

    @property
    def label(self) -> str:
        gqa = f"/{self.kv_heads}" if self.kv_heads and self.kv_heads != self.heads else ""
        return f"D={self.head_dim} {'causal' if self.causal else 'full'} S={self.seq} B={self.batch} H={self.heads}{gqa}"

    def flops(self, direction: str) -> float:
        f = 4 * self.batch * self.heads * self.seq * self.seq * self.head_dim * (0.5 if self.causal else 1.0)
        return f * 2.5 if direction == "bwd" else f


def anchor_grid(dims=(64, 128)) -> list[Shape]:
    return [Shape(TOKENS // s, HIDDEN // d, s, d, c) for d in dims for c in (False, True) for s in ANCHOR_SEQS]


def extra_shapes() -> list[Shape]:
    """Measured beside the anchor grid, against the same bar: head dims 96 and 256 (16k tokens,
    hidden about 2048), long context with few heads (B = 1, H = 16, D = 128), and GQA 32/8."""
    shapes = [Shape(TOKENS // s, HIDDEN // d, s, d, c) for d in (96, 256) for c in (False, True) for s in (2048, 8192)]
    shapes += [Shape(1, 16, 32768, 128, False)] + [Shape(1, 16, s, 128, True) for s in (32768, 131072)]
    return shapes + [Shape(4, 32, 4096, 128, True, kv_heads=8)]


def _torch_backend(name):
    from torch.nn.attention import SDPBackend, sdpa_kernel

    backend = getattr(SDPBackend, name)

    def run(q, k, v, causal):
        with sdpa_kernel(backend):
            return F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=k.shape[1] != q.shape[1])
    return run


def _ours(q, k, v, causal):
    with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
        return flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=k.shape[1] != q.shape[1])


def _naive(q, k, v, causal):
    if k.shape[1] != q.shape[1]:
        k = k.repeat_interleave(q.shape[1] // k.shape[1], dim=1)
        v = v.repeat_interleave(q.shape[1] // v.shape[1], dim=1)
    s = q @ k.transpose(-1, -2) * q.shape[-1] ** -0.5
    if causal:
        s = s.masked_fill(torch.ones(s.shape[-2:], dtype=torch.bool, device=s.device).triu(1), float("-inf"))
    return torch.softmax(s.float(), dim=-1).to(q.dtype) @ v


_flex_compiled = None


def _flex(q, k, v, causal):
    global _flex_compiled
    from torch.nn.attention.flex_attention import create_block_mask, flex_attention
    if _flex_compiled is None:
        _flex_compiled = torch.compile(flex_attention, dynamic=False)
    mask = None
    if causal:
        mask = create_block_mask(lambda b, h, qi, ki: qi >= ki, None, None, q.shape[2], k.shape[2], device=q.device)
    return _flex_compiled(q, k, v, block_mask=mask, enable_gqa=k.shape[1] != q.shape[1])


PROVIDERS = {
    "ours": _ours,
    "cudnn": _torch_backend("CUDNN_ATTENTION"),
    "flash": _torch_backend("FLASH_ATTENTION"),
    "efficient": _torch_backend("EFFICIENT_ATTENTION"),
    "math": _torch_backend("MATH"),
    "flex": _flex,
    "naive": _naive,
}
DEFAULT_PROVIDERS = ("ours", "cudnn", "flash", "efficient", "naive")


def make_inputs(shape: Shape, dtype, device, requires_grad=False):
    kv = shape.kv_heads or shape.heads
    gen = torch.Generator(device=device)
    gen.manual_seed(int(time.time_ns()) % (2**31))
    q = torch.randn(shape.batch, shape.heads, shape.seq, shape.head_dim, device=device, dtype=dtype, generator=gen)
    k = torch.randn(shape.batch, kv, shape.seq, shape.head_dim, device=device, dtype=dtype, generator=gen)
    v = torch.randn(shape.batch, kv, shape.seq, shape.head_dim, device=device, dtype=dtype, generator=gen)
    return [t.requires_grad_(requires_grad) for t in (q, k, v)]


def _error_text(error: Exception) -> str:
    if isinstance(error, torch.OutOfMemoryError):
        return "OOM"
    text = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    return "unsupported" if "No available kernel" in text or "not supported" in text.lower() else text[:60]


def measure(provider: str, shape: Shape, direction: str, dtype=torch.bfloat16, device="cuda") -> dict:
    """ms, TFLOP/s and peak extra MiB (forward only) of one provider on one shape, or an error."""
    import triton.testing

    fn = PROVIDERS[provider]
    result = {"provider": provider, "direction": direction, **asdict(shape)}
    try:
        torch.cuda.empty_cache()
        if direction == "fwd":
            q, k, v = make_inputs(shape, dtype, device)
            with torch.no_grad():
                fn(q, k, v, shape.causal)  # compile / warm up before measuring memory
                torch.cuda.synchronize()
                base = torch.cuda.memory_allocated()
                torch.cuda.reset_peak_memory_stats()
                out = fn(q, k, v, shape.causal)
                torch.cuda.synchronize()
                result["peak_extra_mib"] = (torch.cuda.max_memory_allocated() - base) / 2**20
                result["output_mib"] = out.numel() * out.element_size() / 2**20
                del out
                ms = triton.testing.do_bench(lambda: fn(q, k, v, shape.causal), return_mode="median")
        else:
            q, k, v = make_inputs(shape, dtype, device, requires_grad=True)
            out = fn(q, k, v, shape.causal)
            grad = torch.randn_like(out)
            ms = triton.testing.do_bench(lambda: torch.autograd.grad(out, (q, k, v), grad, retain_graph=True),
                                         return_mode="median")
        result.update(ms=ms, tflops=shape.flops(direction) / ms * 1e-9)
    except Exception as error:  # a provider refusing a shape is a result, not a crash
        result["error"] = _error_text(error)
    finally:
        torch.cuda.empty_cache()
    return result


def run_benchmark(shapes, providers, directions, dtype=torch.bfloat16, log=print) -> list[dict]:
    results = []
    for shape in shapes:
        for direction in directions:
            for provider in providers:
                if provider == "naive" and direction == "bwd":
                    continue
                r = measure(provider, shape, direction, dtype)
                results.append(r)
                log(f"  {shape.label:38s} {direction} {provider:9s} " +
                    (f"{r['ms']:8.3f} ms {r['tflops']:6.0f} TFLOP/s" if "ms" in r else r["error"]))
    return results


_FIRST_CALL = """
import json, sys, time, torch, flashsdpa
b, h, s, d, causal = json.loads(sys.argv[1])
q, k, v = (torch.randn(b, h, s, d, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
# torch's own one-time cost, not ours: the first backward(grad) of a process imports sympy (seconds)
(q[0, 0, 0] * 2).backward(torch.ones_like(q[0, 0, 0]))
q.grad = None
torch.cuda.synchronize()
start = time.perf_counter()
out = flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=causal)
torch.cuda.synchronize()
fwd = time.perf_counter() - start
start = time.perf_counter()
out.backward(torch.randn_like(out))
torch.cuda.synchronize()
bwd = time.perf_counter() - start
start = time.perf_counter()
flashsdpa.scaled_dot_product_attention(q, k, v, is_causal=causal).backward(torch.randn_like(out))
torch.cuda.synchronize()
print(json.dumps({"fwd_s": fwd, "bwd_s": bwd, "second_s": time.perf_counter() - start}))
"""


def first_calls(shapes) -> list[dict]:
    """What a user's first call of a shape costs: forward, backward and a second forward +
    backward in a fresh process, first with an empty Triton kernel cache (every kernel
    compiles: no autotuning ever runs, the tile configs are tables), then with the cache
    that run left on disk (what every later process sees)."""
    import os
    import subprocess
    import tempfile

    rows = []
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TRITON_CACHE_DIR=cache)
        for shape in shapes:
            for cache_state in ("empty", "warm"):
                args = json.dumps([shape.batch, shape.heads, shape.seq, shape.head_dim, shape.causal])
                done = subprocess.run([sys.executable, "-c", _FIRST_CALL, args], env=env, capture_output=True,
                                      text=True)
                row = {"shape": shape.label, "triton_cache": cache_state}
                if done.returncode == 0:
                    row.update(json.loads(done.stdout.strip().splitlines()[-1]))
                else:
                    row["error"] = (done.stderr.strip().splitlines() or ["failed"])[-1][:80]
                rows.append(row)
    return rows


def first_call_table(rows) -> str:
    lines = ["| shape | Triton cache | first forward s | first backward s | second forward + backward s |",
             "|---|---|---|---|---|"]
    for r in rows:
        cells = ([f"{r['fwd_s']:.2f}", f"{r['bwd_s']:.2f}", f"{r['second_s']:.4f}"] if "fwd_s" in r
                 else [r["error"], "", ""])
        lines.append(f"| {r['shape']} | {r['triton_cache']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _lookup(results, shape, provider, direction):
    for r in results:
        if r["provider"] == provider and r["direction"] == direction and Shape(
                r["batch"], r["heads"], r["seq"], r["head_dim"], r["causal"], r["kv_heads"]) == shape:
            return r
    return None


def table(results, shapes, providers, directions) -> str:
    """Markdown table: TFLOP/s per provider (fwd / bwd) and our ratio to cuDNN and FLASH."""
    cols = [p for p in providers]
    head = "| shape | " + " | ".join(f"{p} fwd / bwd" for p in cols) + " | ours ÷ cudnn | ours ÷ flash | ours fwd extra MiB (output MiB) |"
    lines = [head, "|" + "---|" * (len(cols) + 4)]
    for shape in shapes:
        cells, ratios = [], {}
        for p in cols:
            vals = []
            for d in directions:
                r = _lookup(results, shape, p, d)
                vals.append("–" if r is None else (f"{r['tflops']:.0f}" if "tflops" in r else r["error"]))
            cells.append(" / ".join(vals))
        for ref in ("cudnn", "flash"):
            parts = []
            for d in directions:
                a, b = _lookup(results, shape, "ours", d), _lookup(results, shape, ref, d)
                ok = a and b and "tflops" in a and "tflops" in b
                parts.append(f"{a['tflops'] / b['tflops']:.2f}" if ok else "–")
            ratios[ref] = " / ".join(parts)
        mem = _lookup(results, shape, "ours", "fwd")
        mem_text = f"{mem['peak_extra_mib']:.1f} ({mem['output_mib']:.1f})" if mem and "peak_extra_mib" in mem else "–"
        lines.append(f"| {shape.label} | " + " | ".join(cells) + f" | {ratios['cudnn']} | {ratios['flash']} | {mem_text} |")
    return "\n".join(lines)


def summary(results, shapes, directions) -> dict:
    """Geometric mean and worst of ours / cudnn and ours / flash, per direction."""
    out = {}
    for ref in ("cudnn", "flash"):
        for d in directions:
            ratios = []
            for shape in shapes:
                a, b = _lookup(results, shape, "ours", d), _lookup(results, shape, ref, d)
                if a and b and "tflops" in a and "tflops" in b:
                    ratios.append((a["tflops"] / b["tflops"], shape.label))
            if ratios:
                geo = math.exp(sum(math.log(r) for r, _ in ratios) / len(ratios))
                worst = min(ratios)
                out[f"ours/{ref} {d}"] = {"geomean": geo, "worst": worst[0], "worst_shape": worst[1], "n": len(ratios)}
    return out


def plot(results, shapes, providers, directions, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = sorted({(s.head_dim, s.causal) for s in shapes})
    fig, axes = plt.subplots(len(directions), len(panels), figsize=(4.2 * len(panels), 3.4 * len(directions)),
                             squeeze=False)
    for i, d in enumerate(directions):
        for j, (dim, causal) in enumerate(panels):
            ax = axes[i][j]
            panel_shapes = sorted((s for s in shapes if (s.head_dim, s.causal) == (dim, causal)), key=lambda s: s.seq)
            for p in providers:
                pts = [(s.seq, r["tflops"]) for s in panel_shapes
                       if (r := _lookup(results, s, p, d)) and "tflops" in r]
                if pts:
                    ax.plot(*zip(*pts), marker="o", label=p)
            ax.set_xscale("log", base=2)
            ax.set_title(f"{d} D={dim} {'causal' if causal else 'full'}", fontsize=9)
            ax.set_xlabel("S")
            ax.set_ylabel("TFLOP/s")
            ax.grid(alpha=0.3)
    axes[0][0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def environment() -> dict:
    import triton
    env = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "python": platform.python_version(),
           "torch": torch.__version__, "triton": triton.__version__, "flashsdpa": flashsdpa.__version__,
           "cuda": torch.version.cuda, "cudnn": torch.backends.cudnn.version() if torch.cuda.is_available() else None}
    if torch.cuda.is_available():
        p = torch.cuda.get_device_properties(0)
        env.update(device=p.name, sms=p.multi_processor_count, memory_gib=round(p.total_memory / 2**30, 1))
    return env


def parse_shape(text: str) -> Shape:
    parts = text.split(",")
    try:
        b, h, s, d = (int(x) for x in parts[:4])
        causal = len(parts) > 4 and parts[4] in ("causal", "1", "true", "True")
        kv = int(parts[5]) if len(parts) > 5 else 0
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shape must be B,H,S,D[,causal[,KV_HEADS]]; got {text!r}") from None
    return Shape(b, h, s, d, causal, kv)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flashsdpa.bench", description=__doc__.split("\n")[0])
    ap.add_argument("--grid", choices=("anchors", "extra", "all", "none"), default="anchors",
                    help="anchors: D 64/128 x causal x S 512..16384 at 16k tokens; extra: D 96/256, "
                         "S 32768/131072 (B=1, H=16), GQA 32/8; all: both")
    ap.add_argument("--dims", default="64,128", help="head dims of the anchor grid")
    ap.add_argument("--shape", type=parse_shape, action="append", default=[],
                    help="B,H,S,D[,causal[,KV_HEADS]] (repeatable)")
    ap.add_argument("--providers", default=",".join(DEFAULT_PROVIDERS), help=f"from {','.join(PROVIDERS)}")
    ap.add_argument("--directions", default="fwd,bwd")
    ap.add_argument("--dtype", choices=("bf16", "fp16"), default="bf16")
    ap.add_argument("--json", help="write all results and the environment here")
    ap.add_argument("--markdown", help="write the table here")
    ap.add_argument("--plot", help="write a PNG of TFLOP/s vs S here")
    ap.add_argument("--first-call", action="store_true",
                    help="only time the first calls of the shapes in fresh processes (compile time), bf16")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("No CUDA GPU: the benchmark needs one (python -m flashsdpa runs the CPU self-check).")
        return 2
    providers = [p for p in args.providers.split(",") if p]
    for p in providers:
        if p not in PROVIDERS:
            ap.error(f"--providers: unknown provider {p!r}; choose from {', '.join(PROVIDERS)}")
    directions = [d for d in args.directions.split(",") if d]
    shapes = ((anchor_grid(tuple(int(d) for d in args.dims.split(","))) if args.grid in ("anchors", "all") else [])
              + (extra_shapes() if args.grid in ("extra", "all") else []) + args.shape)
    dtype = torch.bfloat16 if args.dtype == "bf16" else torch.float16
    env = environment()
    print(json.dumps(env))
    if args.first_call:
        rows = first_calls(shapes)
        if args.json:
            with open(args.json, "w") as f:
                json.dump({"environment": env, "command": " ".join(sys.argv), "first_calls": rows}, f, indent=1)
        print(first_call_table(rows))
        return 0
    results = run_benchmark(shapes, providers, directions, dtype)
    text = table(results, shapes, providers, directions)
    stats = summary(results, shapes, directions)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "command": " ".join(sys.argv), "dtype": args.dtype,
                       "summary": stats, "results": results}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    if args.plot:
        plot(results, shapes, providers, directions, args.plot)
    print()
    print(text)
    for key, s in stats.items():
        print(f"{key}: geomean {s['geomean']:.2f}, worst {s['worst']:.2f} at {s['worst_shape']} (n={s['n']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
