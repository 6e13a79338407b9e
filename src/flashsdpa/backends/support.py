"""What a backend supports, declared as data, and the sentences that explain a refusal."""
from __future__ import annotations

import functools
import os
from dataclasses import dataclass

import torch

from ..inputs import AttentionCall


@functools.lru_cache(maxsize=None)
def cuda_capability(index: int | None) -> tuple[int, int]:
    """The compute capability of a CUDA device (asked once per device)."""
    return torch.cuda.get_device_capability(index)


def capability_of(device: torch.device) -> tuple[int, int] | None:
    """A tensor's device's compute capability; None off CUDA."""
    return None if device.type != "cuda" else cuda_capability(device.index)


def interpreter_active() -> bool:
    """Whether Triton runs its kernels in the interpreter (on CPU tensors)."""
    return os.environ.get("TRITON_INTERPRET", "0") == "1"


@dataclass(frozen=True)
class BackendSupport:
    name: str
    devices: frozenset[str]
    dtypes: frozenset[torch.dtype]
    max_head_dim: int
    mask_kinds: frozenset[str]
    supports_mask_grad: bool
    supports_dropout: bool
    supports_window: bool
    supports_alibi: bool
    supports_softcap: bool
    min_capability: tuple[int, int] | None = None  # CUDA devices only


def _names(items) -> str:
    return ", ".join(sorted(str(i).replace("torch.", "") for i in items))


def not_supported_reasons(support: BackendSupport, call: AttentionCall) -> list[str]:
    """Plain sentences, one per unmet requirement; empty when the backend can run the call."""
    reasons = []
    if call.device.type not in support.devices:
        reasons.append(f"device {call.device.type} is not supported (supported: {_names(support.devices)})")
    elif call.device.type == "cuda" and support.min_capability is not None:
        capability = cuda_capability(call.device.index)
        if capability < support.min_capability:
            reasons.append("GPU compute capability {}.{} is below the required {}.{}".format(
                *capability, *support.min_capability))
    if call.dtype not in support.dtypes:
        reasons.append(f"dtype {str(call.dtype).replace('torch.', '')} is not supported "
                       f"(supported: {_names(support.dtypes)})")
    head_dim = max(call.head_dim_qk, call.head_dim_v)
    if head_dim > support.max_head_dim:
        reasons.append(f"head dim {head_dim} is above the maximum {support.max_head_dim}")
    if call.mask_kind not in support.mask_kinds:
        reasons.append(f"attn_mask of kind '{call.mask_kind}' is not supported "
                       f"(supported: {_names(support.mask_kinds)})")
    elif call.mask_requires_grad and not support.supports_mask_grad:
        reasons.append("a gradient for attn_mask is not supported")
    if call.dropout_p > 0 and not support.supports_dropout:
        reasons.append(f"dropout (dropout_p={call.dropout_p}) is not supported")
    if (call.window_left, call.window_right) != (-1, -1) and not support.supports_window:
        reasons.append(f"window_size={(call.window_left, call.window_right)} is not supported")
    if call.alibi_kind != "none" and not support.supports_alibi:
        reasons.append("alibi_slopes are not supported")
    if call.softcap > 0 and not support.supports_softcap:
        reasons.append(f"softcap={call.softcap} is not supported")
    return reasons
