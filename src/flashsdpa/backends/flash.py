"""FLASH backend: launches the Triton kernels and owns their eager autograd Functions.

Three layers, as in FlashAttention: `flash_forward` / `flash_backward` launch kernels on
(B, H, S, D) tensors of any strides; `_EagerFlashAttention` (and `_PackedFlashAttention` for
packed projections) ties them to autograd; `FlashBackend.run` is what dispatch calls. Under
torch.compile the same kernels run through the ops of flash_ops.py.
"""
from __future__ import annotations

import functools
import importlib.util
import sys
import threading
from dataclasses import dataclass

import torch

from ..inputs import AttentionCall
from . import hopper
from .support import BackendSupport, capability_of, interpreter_active, not_supported_reasons

from ..kernels import configs

# Triton is imported only when a kernel first runs: TRITON_INTERPRET is read at `import triton`,
# so a program (or the CLI, on a machine without a GPU) can still set it after importing us.
TRITON_AVAILABLE = importlib.util.find_spec("triton") is not None


@functools.lru_cache(maxsize=None)
def _launchers():
    """The three kernels, each behind a launcher that caches its compiled binaries per argument
    signature (kernels/launch.py): host time per call matters as much as GPU time at small S."""
    from ..kernels import backward, forward
    from ..kernels.launch import FastLauncher
    return (FastLauncher(forward.attention_forward_kernel),
            FastLauncher(backward.attention_backward_dkdv_kernel),
            FastLauncher(backward.attention_backward_dq_kernel))


def _cdiv(a: int, b: int) -> int:
    return -(-a // b)


LOG2_E = 1.4426950408889634
MAX_HEAD_DIM = 512


def support() -> BackendSupport:
    """What the flash kernels run, for the environment as it is now."""
    return _support(interpreter_active())


@functools.lru_cache(maxsize=None)
def _support(interpreted: bool) -> BackendSupport:
    return BackendSupport(
        name="FLASH",
        devices=frozenset({"cuda", "cpu"} if interpreted else {"cuda"}),
        dtypes=frozenset({torch.float16, torch.bfloat16, torch.float32}),
        max_head_dim=MAX_HEAD_DIM,
        mask_kinds=frozenset({"none", "bool", "float"}),
        supports_mask_grad=True,
        supports_dropout=True,
        supports_window=True,
        supports_alibi=True,
        supports_softcap=True,
        min_capability=(8, 0),
    )


def _precision(dtype: torch.dtype) -> str:
    if dtype == torch.float32 and torch.backends.cuda.matmul.allow_tf32:
        return "tf32"
    return "ieee"


def empty_like_layout(t: torch.Tensor, last_dim: int, traced: bool = False) -> torch.Tensor:
    """An empty (B, H, S, last_dim) tensor in the memory order of `t`: (B, S, H, D) memory
    when t's heads are the inner dim (e.g. q from a (B, S, H, D) projection), else (B, H, S, D).

    traced: made for a graph torch.compile partitions (the triton ops' bodies), by an empty and a
    transpose. AOT autograd merges equal allocations of forward and backward (the forward's out
    and the backward's dq of one call are equal new_empty_strided calls on q) and must then
    save the forward's buffer for the backward, since new_empty_strided is not an op its
    partitioner recomputes (empty is): one more (B, S, H, D) tensor saved a call, and a copy
    of it before the kernel writes out (v0.20: +72 MiB in the example's GPT)."""
    batch, heads, seq, _ = t.shape
    if heads > 1 and seq > 1 and t.stride(1) < t.stride(2):
        if traced:
            return t.new_empty((batch, seq, heads, last_dim)).transpose(1, 2)
        # eagerly one op, not an allocation and a transpose
        return t.new_empty_strided((batch, heads, seq, last_dim),
                                   (seq * heads * last_dim, last_dim, heads * last_dim, 1))
    return t.new_empty((batch, heads, seq, last_dim))


def _strides(t: torch.Tensor):
    return t.stride(0), t.stride(1), t.stride(2), t.stride(3)


@dataclass(frozen=True)
class ScoreOptions:
    """What shapes the scores besides q and k (see kernels/common.py for the order applied).
    diag_off aligns query i with key i + diag_off (0: top-left, S_k - S_q: bottom-right)."""
    scale: float
    is_causal: bool = False
    diag_off: int = 0
    window: tuple[int, int] = (-1, -1)
    softcap: float = 0.0
    dropout_p: float = 0.0
    seed: int = 0

    @property
    def plan_key(self) -> tuple:
        """Everything but the seed, which changes every call and not the launch."""
        return self.scale, self.is_causal, self.diag_off, self.window, self.softcap, self.dropout_p

    @classmethod
    def of_call(cls, call: AttentionCall) -> "ScoreOptions":
        """The call's options; its dropout seed travels separately, as a tensor (see flash_attention)."""
        return cls(call.scale, call.is_causal, call.causal_offset, (call.window_left, call.window_right),
                   call.softcap, call.dropout_p)


def dropout_seed_tensor(device) -> torch.Tensor:
    """The Philox seed of one call with dropout drawn on the call's device: a 0-dim int64 tensor
    from torch's generator there, for calls a CUDA graph captures or torch.compile traces (every
    replay draws anew; the kernels read it from memory: kernels/common.py's dropout_seed)."""
    return torch.randint(0, 2**31 - 1, (), device=device)


def dropout_seed(device) -> int | torch.Tensor:
    """The dropout seed of one eager call on `device`. On a GPU, an int taken on the host from
    the state of torch's CUDA generator there, which it advances, as torch's own dropout does:
    no launch (a seed drawn by the GPU cost a launch and an allocation: 9.5 against 2.6 µs of
    host time a call on an H200 host), and torch.cuda.manual_seed, get_rng_state /
    set_rng_state (activation checkpointing) replay it. While a CUDA graph captures, a tensor drawn on the GPU (see
    dropout_seed_tensor); elsewhere (CPU tensors) too, and under inductor's fallback_random,
    which asks compiled code to draw random numbers as eager code does: a compiled graph draws
    the seed on the GPU, so eager calls then do too and the two drop the same entries."""
    if device.type == "cuda" and not torch.cuda.is_current_stream_capturing() and not _inductor_fallback_random():
        return generator_seed(torch.cuda.default_generators[device.index if device.index is not None
                                                              else torch.cuda.current_device()])
    return dropout_seed_tensor(device)


def _inductor_fallback_random() -> bool:
    config = sys.modules.get("torch._inductor.config")   # not imported: nobody compiled or set it
    return config is not None and bool(config.fallback_random)


_MASK_64 = 2**64 - 1
# Our calls' read-and-advance of a generator's offset, one at a time: two threads calling on one
# device must not read the same offset (the same key, the same dropout masks). (torch's own
# kernels advance the offset under their generator's C++ mutex; between our read and our write
# one of theirs could still slip in, and its advance would be overwritten.)
_SEED_LOCK = threading.Lock()


def generator_seed(generator) -> int:
    """A 63-bit Philox key for one call from a torch generator's (initial seed, offset), whose
    offset it advances by 4 (offsets are counted in fours): a different key each call, the same
    after the generator's state is restored. The pair is hashed (SplitMix64's finalizer) so that
    nearby seeds and offsets give unrelated keys."""
    with _SEED_LOCK:
        offset = generator.get_offset()
        generator.set_offset(offset + 4)
    x = (generator.initial_seed() * 0x9E3779B97F4A7C15 + offset) & _MASK_64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & _MASK_64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & _MASK_64
    return (x ^ (x >> 31)) >> 1


def draw_dropout_seed(device="cpu") -> int:
    """The seed a call with dropout on `device` draws now (replay torch's RNG state to learn a
    past call's)."""
    seed = dropout_seed(torch.device(device))
    return int(seed.item()) if isinstance(seed, torch.Tensor) else seed


_ZERO_SEEDS: dict = {}


def _seed_arg(q, opts: "ScoreOptions", seed) -> tuple:
    """The kernels' (Seed pointer, seed_host) for this seed (kernels/common.py's dropout_seed):
    a seed tensor (on q's device) with 0, or a zero on the device with an int seed (an eager
    call's, tests', direct calls'); without dropout, q as a pointer never read."""
    if opts.dropout_p == 0:
        return q, 0
    if isinstance(seed, torch.Tensor):
        return (seed if seed.device == q.device else seed.to(q.device)), 0
    zero = _ZERO_SEEDS.get(q.device)
    if zero is None:
        zero = torch.zeros((), dtype=torch.int64, device=q.device)
        if q.device.type != "cuda" or not torch.cuda.is_current_stream_capturing():   # (not a graph's memory)
            _ZERO_SEEDS[q.device] = zero
    return zero, seed


def _feature_args(q, mask, slopes, opts: ScoreOptions) -> dict:
    """Keyword arguments shared by the forward, dK/dV and dQ kernels: the attn_mask, ALiBi
    slopes, window bounds, softcap and dropout, as runtime values and compile-time flags."""
    left, right = opts.window
    upper = ([0] if opts.is_causal else []) + ([right] if right >= 0 else [])
    mask_kind = 0 if mask is None else (1 if mask.dtype == torch.bool else 2)
    mask_strides = (0, 0, 0, 0) if mask is None else _strides(mask)
    reach = 0 if mask is None else (mask.shape[2] + 256) * abs(mask_strides[2]) + (mask.shape[3] + 256) * abs(mask_strides[3])
    return dict(
        Mask=_mask_arg(q, mask),
        Slopes=q if slopes is None else slopes,
        stride_mb=mask_strides[0], stride_mh=mask_strides[1], stride_mm=mask_strides[2], stride_mn=mask_strides[3],
        stride_sb=0 if slopes is None else slopes.stride(0), stride_sh=0 if slopes is None else slopes.stride(1),
        diag_off=opts.diag_off, hi_off=opts.diag_off + min(upper) if upper else 0,
        lo_off=opts.diag_off - left if left >= 0 else 0,
        qk_scale=opts.scale * LOG2_E,
        softcap_scale=opts.scale / opts.softcap if opts.softcap > 0 else 0.0,
        softcap_log2=opts.softcap * LOG2_E,
        dropout_p=opts.dropout_p, Seed=q, seed_host=0,   # per call (_seed_arg)
        HAS_LO=left >= 0, HAS_HI=bool(upper), MASK_KIND=mask_kind, MASK_INT64=reach >= 2**31,
        MASK_ROW_BCAST=mask is not None and (mask_strides[2] == 0 or mask.shape[2] == 1),
        HAS_ALIBI=slopes is not None, HAS_SOFTCAP=opts.softcap > 0, HAS_DROPOUT=opts.dropout_p > 0,
    )


def _has_2d_mask(features: dict) -> bool:
    return bool(features["MASK_KIND"]) and not features["MASK_ROW_BCAST"]


def _needs_smaller_pipeline(features: dict) -> bool:
    """2D attn_mask tiles and dropout's random bits take registers beside the score tile:
    smaller forward tiles (configs.for_mask_tiles)."""
    return _has_2d_mask(features) or features["HAS_DROPOUT"]


# Launch plans: everything a launch needs but its tensors and seed, kept per signature (shapes,
# strides, dtypes, pointer alignment, options), so that a repeated call spends a few µs of host
# time instead of re-deriving tile configs, feature flags and Triton's specialization.
_PLANS: dict = {}
_MAX_PLANS = 4096  # a generation loop with a growing KV cache makes one plan per length


def _layout(t):
    return None if t is None else (t.shape, t.stride(), t.dtype, t.data_ptr() % 16 == 0)


def _tf32(q) -> bool:
    """The one global setting a plan reads (through _precision)."""
    return q.dtype == torch.float32 and torch.backends.cuda.matmul.allow_tf32


def _plan(key, build):
    plan = _PLANS.get(key)
    if plan is None:
        if len(_PLANS) >= _MAX_PLANS:
            _PLANS.clear()
            packed_calls.PACKED_PLANS.clear()
        plan = _PLANS[key] = build()
    return plan


def _mask_arg(q, mask):
    """The Mask pointer argument: bool masks are read as bytes; q stands in for no mask."""
    return q if mask is None else (mask.view(torch.uint8) if mask.dtype == torch.bool else mask)


def _on_device(fn):
    """Run on the tensors' GPU: Triton launches on the current device, which a caller's tensors
    need not be on."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not _on_current_device(args[0]):
            with torch.cuda.device(args[0].device):
                return fn(*args, **kwargs)
        return fn(*args, **kwargs)
    return wrapper


def _on_current_device(t) -> bool:
    """Whether a launch now lands on t's device (else _on_device's switch is needed)."""
    return t.device.type != "cuda" or t.device.index == torch._C._cuda_getDevice()


def flash_forward(q, k, v, scale: float, is_causal: bool, causal_offset: int, config=None, *,
                  mask=None, slopes=None, opts: ScoreOptions | None = None, seed: int | None = None):
    """q: (B, H_Q, S_Q, D_QK); k: (B, H_KV, S_K, D_QK); v: (B, H_KV, S_K, D_V); any strides.
    mask: (B, H_Q, S_Q, S_K) bool or float (stride 0 on broadcast dims), slopes: (B, H_Q) fp32;
    opts (ScoreOptions) overrides scale / is_causal / causal_offset and adds the other options.
    seed: the dropout seed, an int or a 0-dim int64 tensor (default: opts.seed).
    Returns out (B, H_Q, S_Q, D_V) in q's memory order and lse (B, H_Q, S_Q) fp32 (natural log)."""
    opts = opts or ScoreOptions(scale, is_causal, causal_offset)
    return _forward(q, k, v, mask, slopes, opts, opts.seed if seed is None else seed, config)[:2]


@_on_device
def _forward(q, k, v, mask, slopes, opts: ScoreOptions, seed, config=None):
    """(out, lse, plan key) of flash_forward; the key (None for an empty call) also keys the
    backward's plan, since the forward's tensors fix the layouts of all but dout there."""
    out, lse = _forward_outputs(q, v)
    if q.shape[0] * q.shape[1] * q.shape[2] == 0 or k.shape[2] == 0:  # D_V = 0 still runs: lse is defined
        out.zero_()
        lse.fill_(float("-inf"))
        return out, lse, None
    key = _forward_key(q, k, v, mask, slopes, opts, config)
    launch = _plan(key, lambda: (config is None and hopper.forward_plan(q, k, v, out, mask, slopes, opts))
                   or _forward_plan(q, k, v, out, lse, mask, slopes, opts, config))
    _launch_forward(launch, q, k, v, out, lse, mask, slopes, opts, seed)
    return out, lse, key


def _forward_key(q, k, v, mask, slopes, opts, config) -> tuple:
    """The forward plan's key: all that the launch depends on (lean_calls derives it too)."""
    return ("forward", q.device, _tf32(q), _layout(q), _layout(k), _layout(v), _layout(mask), _layout(slopes),
            opts.plan_key, config, *hopper.forward_switches())


def _forward_outputs(q, v, traced: bool = False):
    """Uninitialized out (B, H_Q, S_Q, D_V), in q's memory order, and lse (B, H_Q, S_Q) fp32
    (traced: as empty_like_layout's)."""
    return empty_like_layout(q, v.shape[3], traced), q.new_empty(q.shape[:3], dtype=torch.float32)


def _gradient_outputs(q, k, v, traced: bool = False):
    """Uninitialized dq, dk, dv, each in the memory order of its input (traced: as
    empty_like_layout's)."""
    return (empty_like_layout(q, q.shape[3], traced), empty_like_layout(k, k.shape[3], traced),
            empty_like_layout(v, v.shape[3], traced))


def _launch_forward(launch, q, k, v, out, lse, mask, slopes, opts, seed):
    launch(q, k, v, out, lse, _mask_arg(q, mask), q if slopes is None else slopes, *_seed_arg(q, opts, seed))


def _tiles_and_features(table, q, k, v, mask, slopes, opts, config):
    """A launch's tile config (from `table`, configs.forward_config or backward_config, unless
    a tuning run passes `config`) and its feature arguments (_feature_args)."""
    features = _feature_args(q, mask, slopes, opts)
    if config is not None:
        return config, features
    cfg = table(capability_of(q.device), q.element_size(), q.shape[3], v.shape[3], opts.is_causal, k.shape[2])
    if _needs_smaller_pipeline(features):
        cfg = configs.for_mask_tiles(cfg, _has_2d_mask(features), features["HAS_DROPOUT"],
                                     configs.padded_head_dim(max(q.shape[3], v.shape[3])))
    return cfg, features


_FORWARD_PER_CALL = ("Q", "K", "V", "Out", "LSE", "Mask", "Slopes", "Seed", "seed_host")


def _forward_plan(q, k, v, out, lse, mask, slopes, opts, config):
    grid, args, kwargs = _forward_arguments(q, k, v, out, lse, mask, slopes, opts, config)
    return _launchers()[0].bind(grid, _FORWARD_PER_CALL, *args, **kwargs)


def _forward_arguments(q, k, v, out, lse, mask, slopes, opts, config):
    """(grid, args, kwargs) of the Triton forward kernel's launch; the per-call arguments
    (_FORWARD_PER_CALL) as q stands in for them (bound launches take them anew each call)."""
    batch, heads_q, seq_q, d_qk = q.shape
    heads_kv, seq_k, d_v = k.shape[1], k.shape[2], v.shape[3]
    cfg, features = _tiles_and_features(configs.forward_config, q, k, v, mask, slopes, opts, config)
    grid = (_cdiv(seq_q, cfg.block_m) * batch * heads_q,)
    block_dqk, block_dv = configs.head_dim_blocks(d_qk, d_v)
    args = (q, k, v, out, lse, *_strides(q), *_strides(k), *_strides(v), *_strides(out))
    return grid, args, dict(
        H_Q=heads_q, GROUP=heads_q // heads_kv, S_Q=seq_q, S_K=seq_k,
        D_QK=d_qk, D_V=d_v, BLOCK_M=cfg.block_m, BLOCK_N=cfg.block_n,
        BLOCK_DQK=block_dqk, BLOCK_DV=block_dv,
        EVEN_M=seq_q % cfg.block_m == 0, EVEN_N=seq_k % cfg.block_n == 0,
        PRECISION=_precision(q.dtype), REVERSE_GRID=opts.is_causal,
        num_warps=cfg.num_warps, num_stages=cfg.num_stages, **features,
    )


@_on_device
def flash_backward(dout, q, k, v, out, lse, scale: float, is_causal: bool, causal_offset: int, config=None, *,
                   mask=None, slopes=None, opts: ScoreOptions | None = None, mask_grad: bool = False,
                   seed: int | torch.Tensor | None = None, forward_key=None, grads=None):
    """Gradients (dq, dk, dv, dmask) of flash_forward, dq/dk/dv each in the memory order of its
    input; dmask (B, H_Q, S_Q, S_K) dense in the mask's dtype when mask_grad, else None.
    `config` (a configs.BackwardConfig) overrides the tuning table, for tuning runs.
    forward_key: the plan key of the forward that made out and lse from these q, k, v, mask and
    slopes (_forward's third result), which spares deriving their layouts again.
    grads: (dq, dk, dv) tensors to write into (views of one packed gradient, say) instead of
    new ones."""
    opts = opts or ScoreOptions(scale, is_causal, causal_offset)
    batch, heads_q, seq_q, _ = q.shape
    seq_k = k.shape[2]
    if grads is None:
        dq, dk, dv = _gradient_outputs(q, k, v)
    else:
        dq, dk, dv = grads
    dmask = None
    if mask_grad:  # the dQ kernel writes every tile it visits; only skipped tiles need zeros
        visits_all = not opts.is_causal and opts.window == (-1, -1)
        dmask = (torch.empty if visits_all else torch.zeros)((batch, heads_q, seq_q, seq_k), device=q.device,
                                                            dtype=mask.dtype)
    if batch * heads_q * seq_q == 0 or seq_k == 0:  # a zero head dim still runs: dv is defined
        return dq.zero_(), dk.zero_(), dv.zero_(), dmask
    key = _backward_key(dout, q, k, v, out, lse, mask, slopes, opts, config, mask_grad, forward_key,
                        None if grads is None else (dq, dk, dv))
    plan = _plan(key, lambda: _backward_plan(dout, q, k, v, out, lse, dq, dk, dv, dmask, mask, slopes, opts, config,
                                             mask_grad))
    _launch_backward(plan, dout, q, k, v, out, lse, mask, slopes, opts, opts.seed if seed is None else seed,
                     dq, dk, dv, dmask)
    return dq, dk, dv, dmask


def _backward_key(dout, q, k, v, out, lse, mask, slopes, opts, config, mask_grad, forward_key, grads) -> tuple:
    if forward_key is not None:
        key = ("backward", forward_key, _layout(dout), config, mask_grad, *hopper.backward_switches())
    else:
        key = ("backward", q.device, _tf32(q), _layout(dout), _layout(q), _layout(k), _layout(v), _layout(out),
               _layout(lse), _layout(mask), _layout(slopes), opts.plan_key, config, mask_grad,
               *hopper.backward_switches())
    if grads is not None:  # given gradients have layouts of their own
        key += tuple(_layout(t) for t in grads)
    return key


def _launch_backward(plan, dout, q, k, v, out, lse, mask, slopes, opts, seed, dq, dk, dv, dmask):
    row_stats, dq_launch, dkdv = plan
    delta = row_stats(lse)
    mask_arg, slopes_arg = _mask_arg(q, mask), q if slopes is None else slopes
    seed = _seed_arg(q, opts, seed)
    dq_launch(q, k, v, out, dout, lse, delta, dq, mask_arg, slopes_arg, q if dmask is None else dmask, *seed)
    # reads the delta dQ stored; dq and dmask last, for the Gluon dK/dV launch that writes dq from dS
    # (a bound launch ignores values past its own)
    dkdv(q, k, v, dout, lse, delta, dk, dv, mask_arg, slopes_arg, *seed, dq, dmask)


def _backward_plan(dout, q, k, v, out, lse, dq, dk, dv, dmask, mask, slopes, opts, config, mask_grad):
    """The backward's row-statistics buffer (a function of lse) and its two launches: dQ (which
    also stores delta = rowsum(dO * O) there), then dK/dV."""
    gluon = config is None and hopper.backward_plan(q, k, v, out, dout, (dq, dk, dv), mask, slopes, opts, mask_grad)
    if gluon:
        return gluon
    dq_launch, dkdv = _backward_arguments(dout, q, k, v, out, lse, lse, dq, dk, dv, dmask, mask, slopes, opts, config,
                                          mask_grad)   # Delta: per call, like lse
    launch_dkdv, launch_dq = _launchers()[1:]
    return (torch.empty_like, launch_dq.bind(dq_launch[0], _DQ_PER_CALL, *dq_launch[1], **dq_launch[2]),
            launch_dkdv.bind(dkdv[0], _DKDV_PER_CALL, *dkdv[1], **dkdv[2]))


_DQ_PER_CALL = ("Q", "K", "V", "Out", "dOut", "LSE", "Delta", "dQ", "Mask", "Slopes", "dMask", "Seed", "seed_host")
_DKDV_PER_CALL = ("Q", "K", "V", "dOut", "LSE", "Delta", "dK", "dV", "Mask", "Slopes", "Seed", "seed_host")


def _backward_arguments(dout, q, k, v, out, lse, delta, dq, dk, dv, dmask, mask, slopes, opts, config, mask_grad):
    """(grid, args, kwargs) of the Triton dQ launch and of the dK/dV launch, as _forward_arguments."""
    batch, heads_q, seq_q, d_qk = q.shape
    heads_kv, seq_k, d_v = k.shape[1], k.shape[2], v.shape[3]
    cfg, features = _tiles_and_features(configs.backward_config, q, k, v, mask, slopes, opts, config)
    block_dqk, block_dv = configs.head_dim_blocks(d_qk, d_v)
    common = dict(D_QK=d_qk, D_V=d_v, BLOCK_DQK=block_dqk, BLOCK_DV=block_dv, PRECISION=_precision(q.dtype),
                  H_Q=heads_q, GROUP=heads_q // heads_kv, S_Q=seq_q, S_K=seq_k, sm_scale=opts.scale, **features)
    c = cfg.dkdv
    dkdv = (
        (_cdiv(seq_k, c.block_n) * batch * heads_kv,),
        (q, k, v, dout, lse, delta, dk, dv,
         *_strides(q), *_strides(k), *_strides(v), *_strides(dout), *_strides(dk), *_strides(dv)),
        dict(H_KV=heads_kv, BLOCK_M=c.block_m, BLOCK_N=c.block_n, EVEN_M=seq_q % c.block_m == 0,
             EVEN_N=seq_k % c.block_n == 0, QUERY_ROWS=c.query_rows, num_warps=c.num_warps, num_stages=c.num_stages,
             **common),
    )
    c = cfg.dq
    dq_launch = (
        (_cdiv(seq_q, c.block_m) * batch * heads_q,),
        (q, k, v, out, dout, lse, delta, dq, *_strides(q), *_strides(k), *_strides(v), *_strides(out),
         *_strides(dout), *_strides(dq)),
        dict(dMask=q if dmask is None else dmask, stride_dmm=seq_k,
             BLOCK_M=c.block_m, BLOCK_N=c.block_n, EVEN_M=seq_q % c.block_m == 0, EVEN_N=seq_k % c.block_n == 0,
             MASK_GRAD=mask_grad, REVERSE_GRID=opts.is_causal, num_warps=c.num_warps, num_stages=c.num_stages,
             **common),
    )
    return dq_launch, dkdv


def dropout_keep_mask(seed: int, batch: int, heads_q: int, seq_q: int, seq_k: int, p: float, device) -> torch.Tensor:
    """The exact dropout keep-mask (B, H_Q, S_Q, S_K) bool that a flash call with this seed
    used (see draw_dropout_seed): for tests and for anyone who needs to audit a run."""
    from ..kernels import dropout
    keep = torch.empty((batch, heads_q, seq_q, seq_k), device=device, dtype=torch.uint8)
    if keep.numel():
        block = 32
        dropout.dropout_mask_kernel[(_cdiv(seq_q, block), _cdiv(seq_k, block), batch * heads_q)](
            keep, seq_q, seq_k, p, seed, BLOCK=block)
    return keep.bool()


class _EagerFlashAttention(torch.autograd.Function):
    """The op's forward and backward for eager calls. torch.library's dispatch costs
    ~40 µs a call with autograd (benchmarks/launch_overhead.py), more than the GPU needs for a
    small attention call; compiled graphs, where that cost is gone, use the op."""

    @staticmethod
    def forward(ctx, q, k, v, mask, slopes, opts: ScoreOptions, seed):
        out, lse, key = _forward(q, k, v, mask, slopes, opts, seed)
        ctx.save_for_backward(q, k, v, out, lse, mask, slopes)
        ctx.opts, ctx.seed, ctx.forward_key = opts, seed, key
        ctx.mark_non_differentiable(lse)
        ctx.set_materialize_grads(False)  # else every backward fills a zero gradient for lse (a launch)
        return out, lse

    @staticmethod
    def backward(ctx, dout, _dlse):
        if dout is None:  # only lse was used, and it has no gradient
            return None, None, None, None, None, None, None
        q, k, v, out, lse, mask, slopes = ctx.saved_tensors
        mask_grad = mask is not None and ctx.needs_input_grad[3]
        opts = ctx.opts
        dq, dk, dv, dmask = flash_backward(dout, q, k, v, out, lse, opts.scale, opts.is_causal, opts.diag_off,
                                           mask=mask, slopes=slopes, opts=opts, mask_grad=mask_grad, seed=ctx.seed,
                                           forward_key=ctx.forward_key)
        return dq, dk, dv, dmask, None, None, None


def flash_attention(q, k, v, scale: float, is_causal: bool = False, causal_offset: int = 0, *,
                    mask=None, slopes=None, opts: ScoreOptions | None = None, seed: torch.Tensor | None = None):
    """(out, lse) with autograd through out (and a float mask); (B, H, S, D) tensors of any strides.
    seed: a 0-dim int64 tensor holding the dropout seed (default: opts.seed)."""
    opts = opts or ScoreOptions(scale, is_causal, causal_offset)
    if not torch.compiler.is_compiling():
        return _EagerFlashAttention.apply(q, k, v, mask, slopes, opts, opts.seed if seed is None else seed)
    return flash_ops.traced_attention(q, k, v, mask, slopes, opts, seed)


class FlashBackend:
    name = "FLASH"

    def not_supported_reasons(self, call: AttentionCall) -> list[str]:
        if not TRITON_AVAILABLE:
            return ["Triton is not installed (pip install triton)"]
        return not_supported_reasons(support(), call)

    def prepare(self, call: AttentionCall):
        """run(q, k, v, mask, slopes) -> (out, lse) for calls described by `call` (see
        flash_forward), with all that the description fixes decided once: functional.py keeps
        it per call signature, so a repeated call spends its host time on the launch alone."""
        opts = ScoreOptions.of_call(call)
        dropout = call.dropout_p > 0
        differentiable = call.requires_grad or call.mask_requires_grad

        def run(q, k, v, mask, slopes, packed=None):
            """packed: the tensors whose views q, k and v are, if they are (see inputs.unpack);
            out then comes back in their (B, S, H, D) order, flash-attn's (transposed in the
            packed autograd Function itself: by the caller, it would add an autograd node)."""
            if torch.compiler.is_compiling():
                seed = dropout_seed_tensor(q.device) if dropout else None
                out, lse = flash_attention(q, k, v, opts.scale, mask=mask, slopes=slopes, opts=opts, seed=seed)
            else:
                seed = dropout_seed(q.device) if dropout else 0
                if not differentiable:  # nothing to differentiate: no autograd node (inference)
                    out, lse = _forward(q, k, v, mask, slopes, opts, seed)[:2]
                elif packed is not None and mask is None and slopes is None:
                    return packed_calls.PackedFlashAttention.apply(opts, seed, (q, k, v), *packed)
                else:
                    out, lse = _EagerFlashAttention.apply(q, k, v, mask, slopes, opts, seed)
            return (out if packed is None else out.transpose(1, 2)), lse
        # repeated calls' shortcuts past the layers above (functional.py tries them first)
        run.lean = packed_calls.lean_runner(opts, dropout) if differentiable and packed_calls.LEAN else None
        run.lean_plain = lean_calls.lean_runner(opts, dropout, differentiable)
        return run

    def run(self, q, k, v, mask, slopes, call: AttentionCall):
        """Returns (out, lse); see flash_forward."""
        return self.prepare(call)(q, k, v, mask, slopes)


# packed calls', lean calls' and torch.compile's paths build on everything above
from . import flash_ops, lean_calls, packed_calls  # noqa: E402
