"""Tile/pipeline sweep for the 2D float bias and dropout paths (bf16, D=128, H=16, 16k tokens)."""
import torch
import triton.testing

from flashsdpa.backends.flash import ScoreOptions, flash_forward
from flashsdpa.kernels.configs import TileConfig

S, B, H, D = 2048, 8, 16, 128
q, k, v = (torch.randn(B, H, S, D, device="cuda", dtype=torch.bfloat16) for _ in range(3))
bias = torch.randn(B, H, S, S, device="cuda", dtype=torch.bfloat16)
flops = 4 * B * H * S * S * D
for name, kwargs, causal in (("none", {}, False), ("bias", {"mask": bias}, False),
                             ("dropout", {"opts": ScoreOptions(D ** -0.5, True, 0, dropout_p=0.1, seed=1)}, True)):
    for cfg in (TileConfig(64, 64, 4, 2), TileConfig(64, 64, 4, 3), TileConfig(128, 64, 8, 2), TileConfig(128, 32, 4, 2),
                TileConfig(64, 32, 4, 2), TileConfig(128, 64, 4, 2)):
        try:
            ms = triton.testing.do_bench(lambda: flash_forward(q, k, v, D ** -0.5, causal, 0, cfg, **kwargs),
                                         return_mode="median")
            print(f"{name:8s} {cfg} {ms:.3f} ms {flops / (2 if causal else 1) / ms * 1e-9:.0f} TFLOP/s", flush=True)
        except Exception as e:
            print(f"{name:8s} {cfg} {type(e).__name__} {str(e)[:80]}", flush=True)
