"""Backend selection that explains itself.

Each backend declares what it supports; `select` walks the priority list and takes the
first enabled backend with no reasons against it. `sdpa_kernel` enables a subset for the
current thread (restored on exit, nestable). Forcing backends that cannot run a call raises
one error listing every backend's reasons; an implicit FLASH -> MATH fallback on a CUDA
device warns once per distinct reason.
"""
from __future__ import annotations

import contextlib
import enum
import threading
import warnings

from .backends.flash import FlashBackend
from .backends.reference import ReferenceBackend
from .backends.support import interpreter_active
from .inputs import AttentionCall, describe_call


class Backend(enum.Enum):
    FLASH = "flash"
    MATH = "math"


PRIORITY = (Backend.FLASH, Backend.MATH)
IMPLEMENTATIONS = {Backend.FLASH: FlashBackend(), Backend.MATH: ReferenceBackend()}


class NoBackendAvailableError(RuntimeError):
    """No enabled backend can run the call; the message lists every backend's reasons."""


class _State(threading.local):
    def __init__(self):
        self.enabled = frozenset(Backend)


_state = _State()
_warned: set[str] = set()
_warned_lock = threading.Lock()


def enabled_backends() -> frozenset[Backend]:
    return _state.enabled


def _as_backend(item) -> Backend:
    if isinstance(item, Backend):
        return item
    name = getattr(item, "name", None)  # torch.nn.attention.SDPBackend members
    if name == "FLASH_ATTENTION":
        return Backend.FLASH
    if name == "MATH":
        return Backend.MATH
    raise ValueError(f"backends must be flashsdpa.Backend members (FLASH, MATH) or torch's "
                     f"SDPBackend.FLASH_ATTENTION / SDPBackend.MATH; got {item!r}")


@contextlib.contextmanager
def sdpa_kernel(backends):
    """Enable only `backends` (a Backend or a list of them) inside the block, in this thread.

        with flashsdpa.sdpa_kernel([Backend.FLASH]):
            out = flashsdpa.scaled_dot_product_attention(q, k, v)   # FLASH or an error
    """
    if not isinstance(backends, (list, tuple, set, frozenset)):
        backends = [backends]
    chosen = frozenset(_as_backend(b) for b in backends)
    if not chosen:
        raise ValueError("backends must name at least one backend; got an empty list")
    previous = _state.enabled
    _state.enabled = chosen
    try:
        yield
    finally:
        _state.enabled = previous


def sdp_kernel(enable_flash: bool = True, enable_math: bool = True, enable_mem_efficient: bool = True,
               enable_cudnn: bool = True):
    """The boolean form of older torch code. flashsdpa has no mem-efficient or cuDNN
    backend of its own, so those two flags are accepted and have no effect."""
    chosen = [b for b, on in ((Backend.FLASH, enable_flash), (Backend.MATH, enable_math)) if on]
    if not chosen:
        raise ValueError("sdp_kernel needs enable_flash=True or enable_math=True; got both False")
    return sdpa_kernel(chosen)


def environment() -> tuple:
    """What decides support besides the call and the enabled backends: whether the kernels run
    under Triton's interpreter (read from the environment at each call)."""
    return (interpreter_active(),)


def reasons_for(call: AttentionCall) -> dict[Backend, list[str]]:
    """Every backend's reasons not to run the call (empty list: it can)."""
    reasons = {}
    for backend in PRIORITY:
        why = IMPLEMENTATIONS[backend].not_supported_reasons(call)
        if backend not in _state.enabled:
            why = ["disabled by the current sdpa_kernel context", *why]
        reasons[backend] = why
    return reasons


def select(call: AttentionCall):
    """The implementation that runs `call`, or NoBackendAvailableError listing every reason."""
    first = PRIORITY[0]
    if first in _state.enabled and not IMPLEMENTATIONS[first].not_supported_reasons(call):
        return IMPLEMENTATIONS[first]  # the common case, without asking every backend
    reasons = reasons_for(call)
    for backend in PRIORITY:
        if not reasons[backend]:
            # Only an implicit fallback warns: inside sdpa_kernel([MATH]) nobody asked for FLASH.
            if backend is not PRIORITY[0] and PRIORITY[0] in _state.enabled and call.device.type == "cuda":
                _warn_fallback(reasons[PRIORITY[0]])
            return IMPLEMENTATIONS[backend]
    lines = [f"  {b.name}: " + "; ".join(reasons[b]) for b in PRIORITY]
    raise NoBackendAvailableError("no enabled attention backend can run this call:\n" + "\n".join(lines))


def _warn_fallback(flash_reasons: list[str]) -> None:
    key = "; ".join(flash_reasons)
    with _warned_lock:
        if key in _warned:
            return
        _warned.add(key)
    warnings.warn(f"flashsdpa: FLASH cannot run this call ({key}); using the MATH backend, which "
                  "is exact but slower.", stacklevel=4)


def why_not_flash(query, key, value, attn_mask=None, dropout_p=0.0, is_causal=False, scale=None,
                  enable_gqa=False, *, window_size=(-1, -1), alibi_slopes=None, softcap=0.0) -> list[str]:
    """Why the flash kernel will not run this call, as plain sentences; [] when it will."""
    call = describe_call(query, key, value, attn_mask, dropout_p, is_causal, scale, enable_gqa, "top_left",
                         window_size, alibi_slopes, softcap)
    return reasons_for(call)[Backend.FLASH]
