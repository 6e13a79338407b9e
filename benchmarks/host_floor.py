"""How low can host time per attention call go from Python? Forward + backward of one tiny
call (the GPU idles, so the host sets the pace), with the layers of our path peeled off:

1. torch's SDPA (C++ all the way), for scale;
2. our public SDPA, through its lean path (backends/lean_calls.py) and the generic one;
3. our autograd Function around flash_forward / flash_backward (no argument checks or dispatch);
4. a bare autograd Function: the allocations and the bound launches our plans hold, nothing else;
5. the same bare Function without launches (allocations and autograd only);
   and a packed qkv call as flashsdpa.nn makes it, through its lean path and the generic one;
6. a dropout seed alone, drawn on the GPU (torch.randint) and taken on the host (our eager calls').

    PYTHONPATH=src python3 benchmarks/host_floor.py
"""

import torch
import torch.nn.functional as F

import flashsdpa
from flashsdpa import functional
from flashsdpa.backends import flash, lean_calls
from launch_overhead import per_call_us  # the same timing loop (this folder is on sys.path)


def main():
    shape, p = (1, 1, 128, 64), 0.1
    q, k, v = (torch.randn(shape, device="cuda", dtype=torch.bfloat16, requires_grad=True) for _ in range(3))
    dout = torch.randn(shape, device="cuda", dtype=torch.bfloat16)
    scale = shape[-1] ** -0.5
    opts = flash.ScoreOptions(scale, True, 0, dropout_p=p)

    class Direct(torch.autograd.Function):
        @staticmethod
        def forward(ctx, q, k, v):
            out, lse = flash.flash_forward(q, k, v, scale, True, 0, opts=opts, seed=1)
            ctx.save_for_backward(q, k, v, out, lse)
            return out

        @staticmethod
        def backward(ctx, g):
            q, k, v, out, lse = ctx.saved_tensors
            return flash.flash_backward(g, q, k, v, out, lse, scale, True, 0, opts=opts, seed=1)[:3]

    Direct.apply(q, k, v).backward(dout)
    plans = {key[0]: plan for key, plan in flash._PLANS.items() if key[0] in ("forward", "backward")}
    forward = plans["forward"]
    _, dq_launch, dkdv = plans["backward"]   # (row-stats buffer, dQ launch, dK/dV launch)

    seed = flash._seed_arg(q, opts, 1)   # (Seed pointer, seed_host)

    def bare(launch):
        class Bare(torch.autograd.Function):
            @staticmethod
            def forward(ctx, q, k, v):
                out = torch.empty_like(q)
                lse = q.new_empty(q.shape[:3], dtype=torch.float32)
                if launch:
                    forward(q, k, v, out, lse, q, q, *seed)
                ctx.save_for_backward(q, k, v, out, lse)
                return out

            @staticmethod
            def backward(ctx, g):
                q, k, v, out, lse = ctx.saved_tensors
                dq, dk, dv, delta = torch.empty_like(q), torch.empty_like(k), torch.empty_like(v), torch.empty_like(lse)
                if launch:
                    dq_launch(q, k, v, out, g, lse, delta, dq, q, q, q, *seed)
                    dkdv(q, k, v, g, lse, delta, dk, dv, q, q, *seed)
                return dq, dk, dv
        return Bare

    with_launch, without_launch = bare(True), bare(False)
    # a packed qkv (1, 128, 3, 1, 64), as flashsdpa.nn.CausalSelfAttention calls it: the lean path
    # (packed_calls.LeanPackedAttention) and the generic one (lean runners not kept)
    qkv = torch.randn(1, 128, 3, 1, 64, device="cuda", dtype=torch.bfloat16, requires_grad=True)
    packed_dout = dout.transpose(1, 2).contiguous()

    def packed(lean: bool):
        saved = functional._LEAN
        if not lean:
            functional._LEAN = _Forgetful()
        try:
            flashsdpa.flash_attn_qkvpacked_func(qkv, dropout_p=p, causal=True).backward(packed_dout)
        finally:
            functional._LEAN = saved
    def public(lean: bool):
        lean_calls.LEAN = lean
        try:
            flashsdpa.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True).backward(dout)
        finally:
            lean_calls.LEAN = True
    rows = [
        ("torch SDPA", lambda: F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True).backward(dout)),
        ("ours, public SDPA (lean calls)", lambda: public(True)),
        ("ours, public SDPA, generic path", lambda: public(False)),
        ("ours, packed qkv, lean path", lambda: packed(True)),
        ("ours, packed qkv, generic path", lambda: packed(False)),
        ("ours, Function around flash_forward/backward", lambda: Direct.apply(q, k, v).backward(dout)),
        ("bare Function: allocations + 3 bound launches", lambda: with_launch.apply(q, k, v).backward(dout)),
        ("bare Function: allocations only", lambda: without_launch.apply(q, k, v).backward(dout)),
        ("torch: q * 2 (one C++ op, forward + backward)", lambda: (q * 2).backward(dout)),
        ("a dropout seed drawn on the GPU (torch.randint)", lambda: flash.dropout_seed_tensor(q.device)),
        ("a dropout seed taken on the host (flash.dropout_seed)", lambda: flash.dropout_seed(q.device)),
    ]
    best = {name: float("inf") for name, _ in rows}
    for _ in range(5):  # rounds over all rows, best of each: the host's drift falls on all alike
        for name, fn in rows:
            best[name] = min(best[name], per_call_us(fn, 1000))
    print(f"host µs per forward + backward(dout) (or per call: the seeds), {shape} bf16 causal dropout {p}, "
          "best of 5 rounds")
    print("| path | µs |")
    print("|---|---|")
    for name, _ in rows:
        print(f"| {name} | {best[name]:.1f} |")


class _Forgetful(dict):
    """A lean-runner cache that keeps nothing: every packed call takes the generic path."""

    def __setitem__(self, key, value):
        pass


if __name__ == "__main__":
    main()
