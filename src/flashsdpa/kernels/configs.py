"""Tile sizes and launch parameters, as data.

A config is chosen by (GPU family, head dim bucket, direction); entries name where they
were measured. Head dims are bucketed by their padded size (power of two >= 16), since that
is what the tiles hold. Entries not measured on a device are conservative choices that fit
the shared memory and registers of sm_80 and later.
"""
from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True)
class TileConfig:
    block_m: int
    block_n: int
    num_warps: int
    num_stages: int
    query_rows: bool = False   # dK/dV only: scores tiles with query rows (QUERY_ROWS in kernels/backward.py)


@dataclass(frozen=True)
class BackwardConfig:
    dkdv: TileConfig
    dq: TileConfig


# Under TRITON_INTERPRET the kernels run on the CPU for tests: small tiles so that small
# shapes still cross several tile edges.
INTERPRETER_FORWARD = TileConfig(16, 16, 1, 1)
INTERPRETER_BACKWARD = BackwardConfig(TileConfig(16, 16, 1, 1), TileConfig(16, 16, 1, 1))

# Hopper (sm_90), 16-bit inputs, keyed by (padded head dim, causal, long keys: S_k > 4096).
# Measured on an H100 80GB HBM3 (torch 2.11, Triton 3.6), bf16, 16k tokens per batch:
# benchmarks/tune.py, results in benchmarks/NOTES.md. Dims 16/32 reuse the 64 entries. 256:
# candidates without (or with few) register spills by benchmarks/compile_report.py, timed by
# benchmarks/experiment_d256_tiles.py (H200, S = 8192): forward 128x64/8w/2s 509 / 478 TFLOP/s
# full / causal against 408 / 368 for 64x32/4w/2s; backward 16x64/8w/2s + 128x32/8w/2s 135 /
# 105 against 60 / 47 for 16x64/4w/1s + 64x16/4w/1s (which spilled 2 KB a thread); then dK/dV
# on scores tiles of 128 query rows (query_rows, 124 bytes of spills), H200, bf16: S = 8192 305 /
# 284 against 135 / 103 (dK/dV 5.15 against 16.65 ms full), S = 2048 291 / 252 against 136 / 99,
# with dropout 0.1 (full, S = 2048) 251 against 94 (benchmarks/experiment_query_rows.py; at D =
# 128, where 4 warps hold 64 keys' tiles with nothing computed twice, query rows lose: 268
# against 302 causal S = 2048). 512 is chosen to fit registers and shared memory, not yet swept.
_H64_FWD_SHORT, _H64_FWD_LONG = TileConfig(64, 64, 4, 3), TileConfig(128, 64, 8, 3)
_H128_FWD_SHORT, _H128_FWD_LONG = TileConfig(64, 64, 4, 3), TileConfig(128, 128, 8, 3)
_H_BWD_64 = BackwardConfig(TileConfig(32, 64, 4, 3), TileConfig(128, 64, 8, 3))
_H_BWD_64_CAUSAL = BackwardConfig(TileConfig(32, 64, 4, 3), TileConfig(64, 64, 4, 3))
_H_BWD_128 = BackwardConfig(TileConfig(32, 64, 4, 3), TileConfig(128, 64, 8, 3))
HOPPER_FORWARD_16BIT = {
    (64, False, False): _H64_FWD_SHORT, (64, False, True): _H64_FWD_LONG,
    (64, True, False): _H64_FWD_SHORT, (64, True, True): TileConfig(128, 64, 4, 4),
    (128, False, False): _H128_FWD_SHORT, (128, False, True): _H128_FWD_LONG,
    (128, True, False): _H128_FWD_SHORT, (128, True, True): _H128_FWD_LONG,
    (256, None, None): TileConfig(128, 64, 8, 2),
    (512, None, None): TileConfig(32, 16, 4, 1),
}
HOPPER_BACKWARD_16BIT = {
    (64, False, None): _H_BWD_64, (64, True, None): _H_BWD_64_CAUSAL,
    (128, None, None): _H_BWD_128,
    (256, None, None): BackwardConfig(TileConfig(128, 64, 8, 1, query_rows=True), TileConfig(128, 32, 8, 2)),
    (512, None, None): BackwardConfig(TileConfig(16, 32, 4, 1), TileConfig(32, 16, 4, 1)),
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


def head_dim_blocks(d_qk: int, d_v: int) -> tuple[int, int]:
    """(BLOCK_DQK, BLOCK_DV). Where both head dims need masking (neither is its padded size)
    and they pad to different sizes, both get the larger: Triton 3.6 on sm_90 compiled
    D_QK = 40, D_V = 24 (64 and 32) at 64x64 tiles into a forward that read out of bounds or
    returned wrong values (40/40, 64/24, 40/32 and 32x32 tiles were right)."""
    block_qk, block_v = padded_head_dim(d_qk), padded_head_dim(d_v)
    if block_qk != d_qk and block_v != d_v:
        block_qk = block_v = max(block_qk, block_v)
    return block_qk, block_v


def _family(capability: tuple[int, int] | None, element_size: int) -> str:
    if capability is None:
        return "interpreter"
    if capability[0] == 9 and element_size == 2:
        return "hopper16"
    return "generic"


def _bucket(d_qk: int, d_v: int, element_size: int) -> int:
    d = padded_head_dim(max(d_qk, d_v))
    # fp32 tiles take twice the bytes: use the entry of the next larger head dim.
    return min(512, 2 * d) if element_size == 4 else d


def _lookup(table: dict, d: int, causal: bool, long_keys: bool):
    d = max(d, 64)  # 16- and 32-wide heads use the 64 entries
    for key in ((d, causal, long_keys), (d, causal, None), (d, None, None)):
        if key in table:
            return table[key]
    raise KeyError(f"no tile config for head dim bucket {d}")


def forward_config(capability, element_size: int, d_qk: int, d_v: int, causal: bool = False,
                   seq_k: int = 0) -> TileConfig:
    family = _family(capability, element_size)
    if family == "interpreter":
        return INTERPRETER_FORWARD
    d = _bucket(d_qk, d_v, element_size)
    if family == "hopper16":
        return _lookup(HOPPER_FORWARD_16BIT, d, causal, seq_k > 4096)
    return GENERIC_FORWARD[d]


def backward_config(capability, element_size: int, d_qk: int, d_v: int, causal: bool = False,
                    seq_k: int = 0) -> BackwardConfig:
    family = _family(capability, element_size)
    if family == "interpreter":
        return INTERPRETER_BACKWARD
    d = _bucket(d_qk, d_v, element_size)
    if family == "hopper16":
        return _lookup(HOPPER_BACKWARD_16BIT, d, causal, seq_k > 4096)
    return GENERIC_BACKWARD[d]


def for_mask_tiles(config, mask_2d: bool, dropout: bool, head_dim: int = 128):
    """The config for a call that also streams a 2D attn_mask tile per step (prefetched into
    registers, see kernels/common.py) or draws dropout's random bits (registers too).
    Forward: tiles of at most 64x64 for either, with 4 warps for dropout and at most 2
    pipeline stages for a 2D mask. Measured on an H200, bf16, D = 128: bias at S = 2048
    64x64/4w/2s 293 TFLOP/s, 64x32 271, 128x128/8w/2s 283 (benchmarks/experiment_masks.py);
    dropout 0.1 causal 64x64/4w/3s the best of benchmarks/tune.py's candidates at S = 2048 and
    8192 (308, 356). Head dims above 128: 64x32/4w (64x64 spills at D = 256, and 64x64/8w ran
    at 265 TFLOP/s against 64x32/4w's 408 unmasked). The backward keeps its table's tiles (bias:
    249 against 202 with 2 stages)."""
    if isinstance(config, BackwardConfig):
        return config
    if mask_2d:
        config = replace(config, num_stages=min(config.num_stages, 2))
    if dropout:
        config = replace(config, num_warps=min(config.num_warps, 4))
    if head_dim > 128:
        return replace(config, block_m=min(config.block_m, 64), block_n=min(config.block_n, 32),
                       num_warps=min(config.num_warps, 4))
    return replace(config, block_m=min(config.block_m, 64), block_n=min(config.block_n, 64))
