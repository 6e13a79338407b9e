"""Tile sizes and launch parameters, as data.

A config is chosen by (GPU family, head dim bucket, direction); entries name where they
were measured. Head dims are bucketed by their padded size (power of two >= 16), since that
is what the tiles hold. Entries not measured on a device are conservative choices that fit
the shared memory and registers of sm_80 and later.
"""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TileConfig:
    block_m: int
    block_n: int
    num_warps: int
    num_stages: int


@dataclass(frozen=True)
class BackwardConfig:
    dkdv: TileConfig
    dq: TileConfig


# Under TRITON_INTERPRET the kernels run on the CPU for tests: small tiles so that small
# shapes still cross several tile edges.
INTERPRETER_FORWARD = TileConfig(16, 16, 1, 1)
INTERPRETER_BACKWARD = BackwardConfig(TileConfig(16, 16, 1, 1), TileConfig(16, 16, 1, 1))

# Hopper (sm_90), 16-bit inputs. Keyed by padded head dim (max of qk and v).
HOPPER_FORWARD_16BIT = {
    16: TileConfig(128, 64, 4, 3),
    32: TileConfig(128, 64, 4, 3),
    64: TileConfig(128, 64, 4, 3),
    128: TileConfig(128, 64, 8, 3),
    256: TileConfig(64, 32, 4, 2),
    512: TileConfig(32, 16, 4, 1),
}
HOPPER_BACKWARD_16BIT = {
    16: BackwardConfig(TileConfig(32, 128, 4, 3), TileConfig(128, 32, 4, 3)),
    32: BackwardConfig(TileConfig(32, 128, 4, 3), TileConfig(128, 32, 4, 3)),
    64: BackwardConfig(TileConfig(32, 128, 4, 3), TileConfig(128, 32, 4, 3)),
    128: BackwardConfig(TileConfig(32, 128, 8, 2), TileConfig(128, 32, 8, 2)),
    256: BackwardConfig(TileConfig(16, 64, 4, 1), TileConfig(64, 16, 4, 1)),
    512: BackwardConfig(TileConfig(16, 32, 4, 1), TileConfig(32, 16, 4, 1)),
}

# Other GPUs (Ampere, Ada, Blackwell through the portable path), and fp32 everywhere:
# fp32 tiles take twice the shared memory, so they use the next smaller entry.
GENERIC_FORWARD = {
    16: TileConfig(64, 64, 4, 2),
    32: TileConfig(64, 64, 4, 2),
    64: TileConfig(64, 64, 4, 2),
    128: TileConfig(64, 32, 4, 2),
    256: TileConfig(32, 32, 4, 1),
    512: TileConfig(16, 16, 4, 1),
}
GENERIC_BACKWARD = {
    16: BackwardConfig(TileConfig(32, 64, 4, 2), TileConfig(64, 32, 4, 2)),
    32: BackwardConfig(TileConfig(32, 64, 4, 2), TileConfig(64, 32, 4, 2)),
    64: BackwardConfig(TileConfig(32, 64, 4, 2), TileConfig(64, 32, 4, 2)),
    128: BackwardConfig(TileConfig(32, 32, 4, 1), TileConfig(32, 32, 4, 1)),
    256: BackwardConfig(TileConfig(16, 32, 4, 1), TileConfig(32, 16, 4, 1)),
    512: BackwardConfig(TileConfig(16, 16, 4, 1), TileConfig(16, 16, 4, 1)),
}


def padded_head_dim(d: int) -> int:
    """The power of two >= max(d, 16) that a tile row holds (tl.dot needs >= 16)."""
    return max(16, 1 << (d - 1).bit_length())


def _family(capability: tuple[int, int] | None, element_size: int) -> str:
    if capability is None:
        return "interpreter"
    if capability[0] == 9 and element_size == 2:
        return "hopper16"
    return "generic"


def forward_config(capability, element_size: int, d_qk: int, d_v: int) -> TileConfig:
    family = _family(capability, element_size)
    if family == "interpreter":
        return INTERPRETER_FORWARD
    d = padded_head_dim(max(d_qk, d_v))
    if element_size == 4:
        d = min(512, 2 * d)
    return (HOPPER_FORWARD_16BIT if family == "hopper16" else GENERIC_FORWARD)[d]


def backward_config(capability, element_size: int, d_qk: int, d_v: int) -> BackwardConfig:
    family = _family(capability, element_size)
    if family == "interpreter":
        return INTERPRETER_BACKWARD
    d = padded_head_dim(max(d_qk, d_v))
    if element_size == 4:
        d = min(512, 2 * d)
    return (HOPPER_BACKWARD_16BIT if family == "hopper16" else GENERIC_BACKWARD)[d]
