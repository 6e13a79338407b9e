"""Modules built on flashsdpa's functional API."""
from .attention import CausalSelfAttention, GPTConfig, MultiheadAttention

__all__ = ["CausalSelfAttention", "GPTConfig", "MultiheadAttention"]
