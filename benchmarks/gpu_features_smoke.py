"""Quick GPU check of the flash kernel's features against the MATH backend run in float64
(exact semantics), next to torch's own SDPA error in the same dtype where torch can express
the call. Prints relative errors of out, dq, dk, dv and d(mask).

    PYTHONPATH=src python3 benchmarks/gpu_features_smoke.py
"""
import torch

import flashsdpa
from flashsdpa import Backend
from flashsdpa.backends.flash import draw_dropout_seed, dropout_keep_mask


def rel(a, b):
    return ((a.double() - b.double()).norm() / b.double().norm().clamp_min(1e-30)).item()


def run(backend, tensors, kwargs, dtype=None):
    leaves = [None if t is None else t.detach().to(dtype if dtype and t.is_floating_point() else t.dtype)
              .requires_grad_(t.is_floating_point() and t.requires_grad) for t in tensors]
    q, k, v, mask = leaves
    with flashsdpa.sdpa_kernel(backend):
        out = flashsdpa.scaled_dot_product_attention(q, k, v, attn_mask=mask, **kwargs)
    out.backward(GRAD.to(out.dtype))
    return [out] + [t.grad for t in leaves if t is not None and t.requires_grad]


B, H, S_Q, S_K, D = 2, 8, 1000, 1537, 96
for dtype in (torch.bfloat16, torch.float16):
    q, k, v = (torch.randn(B, H, s, D, device="cuda", dtype=dtype) for s in (S_Q, S_K, S_K))
    GRAD = torch.randn(B, H, S_Q, D, device="cuda", dtype=torch.float64)
    cases = {
        "key padding (B,1,1,S)": (torch.rand(B, 1, 1, S_K, device="cuda") > 0.3, {}),
        "bool (S_q,S_k) + causal": (torch.rand(S_Q, S_K, device="cuda") > 0.5, {"is_causal": True}),
        "float bias (1,H,S,S) grad": (torch.randn(1, H, S_Q, S_K, device="cuda", dtype=dtype).requires_grad_(), {}),
        "float bias full grad": (torch.randn(B, H, S_Q, S_K, device="cuda", dtype=dtype).requires_grad_(), {}),
        "window (100, 20)": (None, {"window_size": (100, 20)}),
        "window (256, 0) causal": (None, {"window_size": (256, -1), "is_causal": True}),
        "alibi (H,) causal": (None, {"alibi_slopes": torch.rand(H, device="cuda"), "is_causal": True}),
        "alibi (B,H)": (None, {"alibi_slopes": torch.rand(B, H, device="cuda")}),
        "softcap 2.0 (x4 inputs)": (None, {"softcap": 2.0}),
        "everything": (torch.randn(B, 1, 1, S_K, device="cuda", dtype=dtype).requires_grad_(),
                       {"window_size": (300, 50), "alibi_slopes": torch.rand(H, device="cuda"), "softcap": 5.0}),
    }
    for name, (mask, kwargs) in cases.items():
        qq = q * 4 if "softcap" in name else q
        tensors = [qq.requires_grad_(), k.requires_grad_(), v.requires_grad_(), mask]
        ours = run(Backend.FLASH, tensors, kwargs)
        ref = run(Backend.MATH, tensors, kwargs, torch.float64)
        low = run(Backend.MATH, tensors, kwargs)  # fp32 compute, rounded to dtype
        print(f"{str(dtype)[6:]:8s} {name:28s} ours " + " ".join(f"{rel(a, b):.1e}" for a, b in zip(ours, ref))
              + " | math-in-dtype " + " ".join(f"{rel(a, b):.1e}" for a, b in zip(low, ref)), flush=True)
    # dropout: the exact keep-mask of the call, folded into the float64 reference
    torch.manual_seed(7)
    ours = run(Backend.FLASH, [q, k, v, None], {"dropout_p": 0.1, "is_causal": True})
    torch.manual_seed(7)
    keep = dropout_keep_mask(draw_dropout_seed("cuda"), B, H, S_Q, S_K, 0.1, "cuda")
    causal = torch.ones(S_Q, S_K, dtype=torch.bool, device="cuda").tril()
    leaves = [t.detach().double().requires_grad_() for t in (q, k, v)]
    p = torch.softmax((leaves[0] @ leaves[1].transpose(-1, -2) * D ** -0.5).masked_fill(~causal, float("-inf")), -1)
    ref_out = (p * keep / 0.9) @ leaves[2]
    ref_out.backward(GRAD)
    print(f"{str(dtype)[6:]:8s} {'dropout 0.1 causal':28s} ours " + " ".join(
        f"{rel(a, b):.1e}" for a, b in zip(ours, [ref_out] + [t.grad for t in leaves]))
        + f" | keep rate {keep.float().mean().item():.4f}", flush=True)
