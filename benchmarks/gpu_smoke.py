"""Quick GPU correctness check of the flash kernels against a float64 reference."""
import torch
import torch.nn.functional as F

from flashsdpa.backends.flash import flash_attention


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm()).item()


torch.manual_seed(0)
for (b, hq, hk, sq, sk, d, dv, causal, dt) in [
    (2, 4, 2, 137, 253, 40, 24, False, torch.bfloat16), (2, 8, 8, 1000, 1000, 128, 128, True, torch.bfloat16),
    (1, 4, 4, 333, 555, 96, 96, True, torch.float16), (1, 2, 1, 200, 200, 200, 200, False, torch.bfloat16),
    (1, 2, 2, 129, 129, 64, 64, True, torch.float32), (1, 2, 2, 77, 77, 512, 512, False, torch.bfloat16),
    (3, 4, 4, 1, 300, 64, 64, False, torch.bfloat16), (1, 4, 4, 2048, 2048, 256, 256, True, torch.bfloat16),
]:
  try:
    q = torch.randn(b, hq, sq, d, device="cuda", dtype=dt, requires_grad=True)
    k = torch.randn(b, hk, sk, d, device="cuda", dtype=dt, requires_grad=True)
    v = torch.randn(b, hk, sk, dv, device="cuda", dtype=dt, requires_grad=True)
    out, lse = flash_attention(q, k, v, d ** -0.5, causal)
    do = torch.randn_like(out)
    g = torch.autograd.grad(out, (q, k, v), do)
    ref = F.scaled_dot_product_attention(*(t.double() for t in (q, k, v)), is_causal=causal, enable_gqa=True)
    gr = torch.autograd.grad(ref, (q, k, v), do.double())
    tq = F.scaled_dot_product_attention(q, k, v, is_causal=causal, enable_gqa=True)
    gt = torch.autograd.grad(tq, (q, k, v), do)
    print(f"{dt} b{b} h{hq}/{hk} s{sq}x{sk} d{d}/{dv} causal={causal}: ours out {rel(out, ref):.2e} "
          + " ".join(f"{rel(x, y):.2e}" for x, y in zip(g, gr))
          + f" | torch {rel(tq, ref):.2e} " + " ".join(f"{rel(x, y):.2e}" for x, y in zip(gt, gr)), flush=True)
  except Exception as error:
    print(f"FAILED {dt} d{d}/{dv}: {type(error).__name__}: {str(error)[:300]}", flush=True)
