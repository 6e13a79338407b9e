"""flashsdpa: exact, fused, memory-linear attention (FlashAttention) in Triton."""
from .dispatch import Backend, NoBackendAvailableError, sdp_kernel, sdpa_kernel, why_not_flash
from .functional import (
    flash_attn_func,
    flash_attn_kvpacked_func,
    flash_attn_qkvpacked_func,
    scaled_dot_product_attention,
)

__version__ = "0.1.0"

__all__ = [
    "Backend",
    "NoBackendAvailableError",
    "flash_attn_func",
    "flash_attn_kvpacked_func",
    "flash_attn_qkvpacked_func",
    "scaled_dot_product_attention",
    "sdp_kernel",
    "sdpa_kernel",
    "why_not_flash",
]
