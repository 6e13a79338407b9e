"""The Gluon forward's edge tiles, A/B in one process a case: `base` is an earlier commit's kernel
(src/flashsdpa/kernels/_ab_base_forward.py, a copy of its hopper_forward.py, untracked; its
forward_launch's defaults), `masks` this tree's kernel without half tiles (the causal / window
masks against per-row bounds, no warpgroup reduction a tile), `halves` with them ([Note: half
tiles] in hopper_forward.py). Outputs checked against float64 (a few heads) and against each
other; bf16, 16k tokens; the window's bar (issue 3) needs full attention over 1024-token
sequences (`dense1024`) in the same run.

    git show 795784b:src/flashsdpa/kernels/hopper_forward.py > src/flashsdpa/kernels/_ab_base_forward.py
    PYTHONPATH=src python3 benchmarks/experiment_forward_edges.py --out edges.json   # H100/H200

(795784b: before the masks and the half tiles; c44188a: the first half tile with its PV waited
on before the pipeline.) D = 64 tiles take no half tiles (hopper_forward.half_tiles_reason):
their `halves` column equals `masks`.
"""
from __future__ import annotations

import isolated

CASES = ([dict(d=128, causal=True, seq=seq) for seq in (512, 1024, 2048, 4096, 8192, 16384)]
         + [dict(d=64, causal=True, seq=seq) for seq in (4096, 16384)]
         + [dict(d=128, window=[1024, 0], seq=16384), dict(d=64, window=[1024, 0], seq=16384),
            dict(d=128, window=[256, 0], seq=8192), dict(d=128, window=[500, 300], seq=4000),
            dict(d=128, causal=False, seq=1024, name="dense1024")])
VARIANTS = ("base", "masks", "halves")


def run_case(case) -> dict:
    import torch
    import triton.testing

    from flashsdpa.kernels import _ab_base_forward as base, hopper_forward as hf

    d, seq = case["d"], case["seq"]
    heads = 16 if d == 128 else 32
    batch = max(1, 16384 // seq)
    causal = case.get("causal", False)
    window = tuple(case["window"]) if "window" in case else None
    q, k, v = (torch.randn(batch, heads, seq, d, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = d ** -0.5
    launches = {"base": base.forward_launch(q, k, scale, causal, None, window, True),
                "masks": hf.forward_launch(q, k, scale, causal, None, window, True, half_tiles=False),
                "halves": hf.forward_launch(q, k, scale, causal, None, window, True, half_tiles=True)}
    outs = {}
    for name, launch in launches.items():
        out, lse = torch.full_like(q, float("nan")), torch.full((batch, heads, seq), float("nan"), device="cuda")
        launch(q, k, v, out, lse)
        torch.cuda.synchronize()
        outs[name] = (out, lse)
    # float64 reference on the first batch's first 2 heads
    i = torch.arange(seq, device="cuda")
    keep = torch.ones(seq, seq, dtype=torch.bool, device="cuda")
    if causal:
        keep = i[None, :] <= i[:, None]
    if window is not None:
        keep = (i[None, :] >= i[:, None] - window[0]) & (i[None, :] <= i[:, None] + window[1])
    scores = (q[:1, :2].double() @ k[:1, :2].double().transpose(-1, -2)) * scale
    ref = torch.softmax(scores.masked_fill(~keep, float("-inf")), -1) @ v[:1, :2].double()
    del scores
    result = dict(case, batch=batch, heads=heads)
    for name, (out, lse) in outs.items():
        result[f"{name}_finite"] = bool(torch.isfinite(out).all() and torch.isfinite(lse).all())
        result[f"{name}_rel"] = ((out[:1, :2].double() - ref).norm() / ref.norm()).item()
        result[f"{name}_vs_base"] = (out.float() - outs["base"][0].float()).abs().max().item()
    kept = keep.sum().item()
    flops = 4 * batch * heads * kept * d
    out, lse = torch.empty_like(q), torch.empty(batch, heads, seq, device="cuda")
    for _ in range(2):  # interleaved rounds; the last one reported
        for name, launch in launches.items():
            ms = triton.testing.do_bench(lambda: launch(q, k, v, out, lse), return_mode="median")
            result[f"{name}_ms"] = ms
            result[f"{name}_tflops"] = flops / ms * 1e-9
    result["kept_scores"] = kept * batch * heads
    return result


def main():
    rows = isolated.main(__doc__, __file__, CASES, run_case, lambda: None, timeout=180)
    if rows is None:
        return
    print("| case | base | masks | halves | halves / base | rel err base / halves | max diff vs base |")
    print("|---|---|---|---|---|---|---|")
    for row in rows:
        name = row.get("name") or (f"D={row['d']} " + (f"window {row['window']}" if "window" in row else
                                                        "causal" if row["causal"] else "full") + f" S={row['seq']}")
        if "error" in row:
            print(f"| {name} | {row['error'][-200:]!r} | | | | | |")
            continue
        print(f"| {name} | {row['base_tflops']:.0f} | {row['masks_tflops']:.0f} | {row['halves_tflops']:.0f} | "
              f"{row['base_ms'] / row['halves_ms']:.3f} | {row['base_rel']:.2e} / {row['halves_rel']:.2e} | "
              f"{row['masks_vs_base']:.1e} / {row['halves_vs_base']:.1e} |")
    by = {row.get("name"): row for row in rows if "error" not in row}
    win = next((row for row in rows if row.get("window") == [1024, 0] and row["d"] == 128 and "error" not in row), None)
    if win and "dense1024" in by:
        dense = by["dense1024"]
        for name in ("base", "masks", "halves"):
            per_score = (win[f"{name}_ms"] / win["kept_scores"]) / (dense[f"{name}_ms"] / dense["kept_scores"])
            print(f"window (1024, 0) S = 16384, {name}: {per_score:.3f}x the time a score of full attention over "
                  f"1024-token sequences [bar: 1.15]")


if __name__ == "__main__":
    main()
