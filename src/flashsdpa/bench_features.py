"""Benchmark of the kernel's features (masks, bias with gradient, dropout, sliding window)
against torch's SDPA backends, side by side in one run.

    python -m flashsdpa.bench_features [--json FILE] [--markdown FILE] [--cases bias,dropout]

bf16, D = 128, H = 16, 16k tokens per batch (B = 16384 / S), random normal inputs,
triton.testing.do_bench medians. TFLOP/s use the nominal FLOPs of the shape (4·B·H·S²·D,
half when causal; backward 2.5×), whatever a mask removes, so providers compare by time; a
window's FLOPs are those of the scores it keeps, to compare with full attention at equal work:
ours_unmasked (full causal attention at the window case's S, per score) and ours_dense_chunks
(full attention, no mask, over the same tokens cut into sequences of the window's width: S / w
sequences of w <= left + right + 1 tokens, w dividing S; about the same number of scores as the
window keeps, through the same kernels).
"""
from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F

import flashsdpa
from flashsdpa.bench import _error_text, environment

D, HEADS, TOKENS = 128, 16, 16384


@dataclass
class Case:
    name: str
    seq: int
    causal: bool = False
    mask: str = "none"          # "none", "key_padding" (B, 1, 1, S) bool, "bias" (B, H, S, S) with grad
    dropout_p: float = 0.0
    window: tuple[int, int] = (-1, -1)
    providers: tuple[str, ...] = ("ours", "cudnn", "efficient")
    notes: dict = field(default_factory=dict)

    @property
    def batch(self) -> int:
        return max(1, TOKENS // self.seq)

    def flops(self, direction: str, provider: str) -> float:
        """Nominal FLOPs; for a window, those of the scores it keeps (exactly counted), so that
        its TFLOP/s compares with full attention's at equal work."""
        f = 4 * self.batch * HEADS * self.seq * self.seq * D * (0.5 if self.causal else 1.0)
        if provider == "ours_dense_chunks":
            f = 4 * self.batch * HEADS * self.seq * self.chunk * D
        elif self.window != (-1, -1) and provider != "ours_unmasked":
            left, right = self.window
            right = 0 if self.causal else right
            i = torch.arange(self.seq, dtype=torch.float64)
            hi = torch.clamp(i + right if right >= 0 else i * 0 + self.seq - 1, max=self.seq - 1)
            lo = torch.clamp(i - left, min=0) if left >= 0 else i * 0
            f = 4 * self.batch * HEADS * D * float((hi - lo + 1).sum())
        return 2.5 * f if direction == "bwd" else f

    @property
    def chunk(self) -> int:
        """ours_dense_chunks' sequence length: the window's width (keys a row sees away from the
        sequence's start), or the largest divisor of S below it."""
        left, right = self.window
        width = left + (0 if self.causal else right) + 1
        return max(w for w in range(1, width + 1) if self.seq % w == 0)


CASES = [
    Case("key padding mask", 2048, mask="key_padding"),
    Case("key padding mask", 8192, mask="key_padding"),
    Case("float bias, grad", 2048, mask="bias", providers=("ours", "ours_unmasked", "efficient", "cudnn")),
    Case("dropout 0.1, causal", 2048, causal=True, dropout_p=0.1, providers=("ours", "cudnn", "flash")),
    Case("dropout 0.1, causal", 8192, causal=True, dropout_p=0.1, providers=("ours", "cudnn", "flash")),
    Case("window (1024, 0), causal", 16384, causal=True, window=(1024, 0),
         providers=("ours", "ours_unmasked", "ours_dense_chunks")),
]


def _inputs(case: Case, requires_grad: bool):
    gen = torch.Generator(device="cuda")
    gen.seed()
    shape = (case.batch, HEADS, case.seq, D)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, generator=gen).requires_grad_(requires_grad)
               for _ in range(3))
    mask = None
    if case.mask == "key_padding":  # each sequence keeps a length in [S/2, S], the same for every provider
        fixed = torch.Generator().manual_seed(case.seq)
        lengths = torch.randint(case.seq // 2, case.seq + 1, (case.batch,), generator=fixed).to("cuda")
        mask = (torch.arange(case.seq, device="cuda")[None, :] < lengths[:, None])[:, None, None, :]
    elif case.mask == "bias":
        mask = torch.randn((case.batch, HEADS, case.seq, case.seq), device="cuda", dtype=torch.bfloat16,
                           generator=gen).requires_grad_(requires_grad)
    return q, k, v, mask


def _call(case: Case, provider: str, q, k, v, mask):
    if provider == "ours_dense_chunks":   # the same memory as (B * S / w, H, w, D): only time counts
        chunked = (t.view(-1, HEADS, case.chunk, D) for t in (q, k, v))
        with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
            return flashsdpa.scaled_dot_product_attention(*chunked)
    if provider in ("ours", "ours_unmasked"):
        plain = provider == "ours_unmasked"
        with flashsdpa.sdpa_kernel(flashsdpa.Backend.FLASH):
            return flashsdpa.scaled_dot_product_attention(
                q, k, v, attn_mask=None if plain else mask, dropout_p=case.dropout_p, is_causal=case.causal,
                window_size=(-1, -1) if plain else case.window)
    from torch.nn.attention import SDPBackend, sdpa_kernel
    backend = {"cudnn": SDPBackend.CUDNN_ATTENTION, "flash": SDPBackend.FLASH_ATTENTION,
               "efficient": SDPBackend.EFFICIENT_ATTENTION}[provider]
    with sdpa_kernel(backend):
        return F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=case.dropout_p, is_causal=case.causal)


def measure(case: Case, provider: str, direction: str) -> dict:
    import triton.testing

    result = {"case": case.name, "seq": case.seq, "batch": case.batch, "provider": provider, "direction": direction}
    try:
        torch.cuda.empty_cache()
        q, k, v, mask = _inputs(case, direction == "bwd")
        if direction == "fwd":
            with torch.no_grad():
                ms = triton.testing.do_bench(lambda: _call(case, provider, q, k, v, mask), return_mode="median")
        else:
            out = _call(case, provider, q, k, v, mask)
            used = (q, k, v) if provider in ("ours_unmasked", "ours_dense_chunks") else (q, k, v, mask)
            leaves = [t for t in used if t is not None and t.requires_grad]
            grad = torch.randn_like(out)
            ms = triton.testing.do_bench(lambda: torch.autograd.grad(out, leaves, grad, retain_graph=True),
                                         return_mode="median")
        result.update(ms=ms, tflops=case.flops(direction, provider) / ms * 1e-9)
    except Exception as error:  # a provider refusing a case is a result, not a crash
        result["error"] = _error_text(error)
    finally:
        torch.cuda.empty_cache()
    return result


def table(results) -> str:
    lines = ["| case | S | B | provider | fwd ms | fwd TFLOP/s | bwd ms | bwd TFLOP/s |", "|---|---|---|---|---|---|---|---|"]
    keys = sorted({(r["case"], r["seq"], r["batch"], r["provider"]) for r in results},
                  key=lambda t: [r["case"] for r in results].index(t[0]) * 100000 + t[1])
    for case, seq, batch, provider in keys:
        cells = []
        for d in ("fwd", "bwd"):
            r = next((r for r in results if (r["case"], r["seq"], r["provider"], r["direction"]) == (case, seq, provider, d)), None)
            cells += [f"{r['ms']:.3f}", f"{r['tflops']:.0f}"] if r and "ms" in r else [r["error"] if r else "–", "–"]
        lines.append(f"| {case} | {seq} | {batch} | {provider} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m flashsdpa.bench_features", description=__doc__.split("\n")[0])
    ap.add_argument("--json")
    ap.add_argument("--markdown")
    ap.add_argument("--cases", help="only the cases whose name contains one of these comma-separated words")
    args = ap.parse_args(argv)
    if not torch.cuda.is_available():
        print("No CUDA GPU: this benchmark needs one.")
        return 2
    env = environment()
    print(json.dumps(env))
    results = []
    words = args.cases.split(",") if args.cases else None
    for case in [c for c in CASES if words is None or any(w in c.name for w in words)]:
        for direction in ("fwd", "bwd"):
            for provider in case.providers:
                r = measure(case, provider, direction)
                results.append(r)
                print(f"  {case.name:26s} S={case.seq:<6d} {direction} {provider:14s} "
                      + (f"{r['ms']:8.3f} ms {r['tflops']:6.0f} TFLOP/s" if "ms" in r else r["error"]), flush=True)
    text = table(results)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"environment": env, "command": " ".join(sys.argv), "results": results}, f, indent=1)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write(text + "\n")
    print()
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
