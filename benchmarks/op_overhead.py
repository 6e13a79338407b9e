"""Host time a call of our attention op costs by the way it is registered with torch, on a
tiny shape (the GPU idle, the CPU setting the pace). Where a compiled model's step spends its
extra host time (issue 5: profile_training.py --compile).

    PYTHONPATH=src python3 benchmarks/op_overhead.py

Rows: flash_forward / flash_backward called directly (our Python alone); the same through our
ops (`torch.ops.flashsdpa.*`, defined with torch.library.Library, dynamo kept out of the
kernel); the forward through a probe op made with the custom_op decorator (its wrapper checks
outputs against inputs for aliasing: what our ops used until v0.13b) and through a probe
Library op without the dynamo guard; a compiled function around our op (what a compiled model
pays a call) against one around torch's SDPA; and whether any call synchronizes with the GPU
(torch.cuda.set_sync_debug_mode).
"""
import torch
import torch.nn.functional as F

from flashsdpa.backends.flash import flash_backward, flash_forward  # registers the ops
from launch_overhead import per_call_us


def main():
    shape = (2, 2, 64, 64)
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16) for _ in range(3))
    scale = 64 ** -0.5
    seed = torch.zeros((), dtype=torch.int64)
    out, lse = flash_forward(q, k, v, scale, True, 0)
    dout = torch.randn_like(out)
    op_args = (None, None, scale, True, 0, -1, -1, 0.0, 0.0, seed)
    fwd_op, bwd_op = torch.ops.flashsdpa.flash_forward.default, torch.ops.flashsdpa.flash_backward.default

    lib = torch.library.Library("flashsdpa_probe", "DEF")  # the forward, without the dynamo guard
    lib.define("fwd(Tensor q, Tensor k, Tensor v, float scale) -> (Tensor, Tensor)")
    lib.impl("fwd", lambda q, k, v, scale: flash_forward(q, k, v, scale, True, 0), "CUDA")
    plain_op = torch.ops.flashsdpa_probe.fwd.default

    @torch.library.custom_op("flashsdpa_probe::decorated", mutates_args=())
    def decorated_op(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
                     scale: float) -> tuple[torch.Tensor, torch.Tensor]:
        return flash_forward(q, k, v, scale, True, 0)

    rows = {
        "flash_forward, direct": lambda: flash_forward(q, k, v, scale, True, 0),
        "our op forward": lambda: fwd_op(q, k, v, *op_args),
        "probe: custom_op-decorated forward": lambda: decorated_op(q, k, v, scale),
        "probe: Library op forward, no dynamo guard": lambda: plain_op(q, k, v, scale),
        "torch SDPA forward": lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True),
        "flash_backward, direct": lambda: flash_backward(dout, q, k, v, out, lse, scale, True, 0),
        "our op backward": lambda: bwd_op(dout, q, k, v, out, lse, *op_args, False),
    }

    @torch.compile(fullgraph=True)
    def compiled_ours(q, k, v):
        return fwd_op(q, k, v, *op_args)[0] + 1

    @torch.compile(fullgraph=True)
    def compiled_torch(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, is_causal=True) + 1

    rows["compiled: our op forward + add"] = lambda: compiled_ours(q, k, v)
    rows["compiled: torch SDPA forward + add"] = lambda: compiled_torch(q, k, v)
    results = {name: per_call_us(fn, n=2000) for name, fn in rows.items()}

    synced = []
    for name, fn in rows.items():
        torch.cuda.set_sync_debug_mode("error")
        try:
            fn()
        except RuntimeError as error:
            synced.append(f"{name}: {str(error).splitlines()[0]}")
        finally:
            torch.cuda.set_sync_debug_mode(0)
    print(torch.cuda.get_device_name(), torch.__version__)
    print("calls that synchronize:", synced or "none")
    print("| call | host µs a call |\n|---|---|")
    for name, us in results.items():
        print(f"| {name} | {us:.1f} |")


if __name__ == "__main__":
    main()
