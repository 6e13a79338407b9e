"""Launching a Triton kernel with little host time: bind once, launch many times.

`kernel[grid](...)` re-derives the specialization of every argument on every launch: 40 to
110 µs of Python per launch of our ~45-argument kernels on H200 hosts
(benchmarks/launch_overhead.py), more than a small attention call takes on the GPU.
`FastLauncher.bind` does that work once for an argument signature and returns a
`BoundLaunch`, which takes only the arguments that change from call to call (the tensors and
the dropout seed) and calls the compiled kernel's launcher directly, with the tensors as their
data pointers (given a tensor, Triton's launcher asks the driver to validate its pointer on
every launch; our dispatch has checked devices). Callers keep the bound launches keyed by
everything that fixes the other arguments (shapes, strides, dtypes, pointer alignment,
options): see backends/flash.py.

Under the interpreter or while a launch hook is installed (a profiler that reads launch
metadata), a bound launch goes through the plain `kernel[grid](...)`; a compiled kernel that
needs scratch memory goes through its launcher's Python wrapper. The calls into the compiled
kernel are those Triton 3.6's own JIT makes (scripts/setup.sh pins that version).
"""
from __future__ import annotations

import functools

import torch


FAST = True  # False: every launch through kernel[grid](...), to compare (tests, benchmarks)


class FastLauncher:
    def __init__(self, kernel):
        self.kernel = kernel
        self.usable = hasattr(kernel, "params") and hasattr(kernel, "device_caches")  # False under the interpreter
        self.names = list(kernel.arg_names)

    def bind(self, grid, per_call: tuple[str, ...], *args, **kwargs) -> "BoundLaunch":
        """A launch with every argument fixed to `args` and `kwargs` except those named in
        `per_call`, whose values each call passes, in that order. Compiles on first use."""
        kwargs.update(zip(self.names, args))
        # checked here, not first at a GPU launch: the compiled launch takes every argument in
        # kernel order (defaults included), the interpreter's would fill in the defaults
        missing = [name for name in self.names if name not in kwargs]
        if missing:
            name = getattr(self.kernel, "__name__", type(self.kernel).__name__)
            raise TypeError(f"{name}: arguments not bound: {', '.join(missing)}")
        return BoundLaunch(self, tuple(grid) + (1,) * (3 - len(grid)), per_call, kwargs)


class BoundLaunch:
    __slots__ = ("launcher", "grid", "per_call", "kwargs", "values", "slots", "compiled", "direct")

    def __init__(self, launcher: FastLauncher, grid, per_call, kwargs):
        self.launcher, self.grid, self.per_call = launcher, grid, per_call
        self.compiled = self.direct = None
        # per-call values are not kept: a cached launch must not hold the first call's tensors
        kwargs = {name: (None if name in per_call else value) for name, value in kwargs.items()}
        self.kwargs = kwargs
        if launcher.usable:  # arguments in kernel order, and the launch options apart (num_warps, ...)
            self.values = [kwargs[name] for name in launcher.names]
            self.slots = [(launcher.names.index(name), i) for i, name in enumerate(per_call)]
            self.kwargs = {name: value for name, value in kwargs.items() if name not in launcher.names}

    def __call__(self, *values):   # values past those per_call names are ignored
        launcher = self.launcher
        if self.compiled is None or not FAST or hooks_installed():
            kwargs = dict(zip(launcher.names, self.values), **self.kwargs) if launcher.usable else dict(self.kwargs)
            kwargs.update(zip(self.per_call, values))
            compiled = launcher.kernel[self.grid](**kwargs)
            if launcher.usable and self.compiled is None:
                self._remember(compiled.result() if hasattr(compiled, "result") else compiled)
            return
        args = self.values.copy()
        for slot, i in self.slots:  # tensors as raw pointers: the launcher then skips a driver query each
            value = values[i]       # (anything else, an int or a TMA descriptor, as it is)
            args[slot] = value.data_ptr() if isinstance(value, torch.Tensor) else value
        compiled = self.compiled
        stream = _current_stream()
        if self.direct is not None:  # the C launcher itself, without its Python wrapper
            launch, cooperative, pdl = self.direct
            launch(*self.grid, stream, compiled.function, cooperative, pdl, None, None, compiled.packed_metadata,
                   None, None, None, *args)
        else:
            compiled.run(*self.grid, stream, compiled.function, compiled.packed_metadata, None, None, None, *args)

    def _remember(self, compiled):
        self.compiled = compiled
        runner = compiled.run
        plain = (getattr(runner, "global_scratch_size", 1) == 0 and getattr(runner, "profile_scratch_size", 1) == 0
                 and hasattr(runner, "launch"))
        self.direct = (runner.launch, runner.launch_cooperative_grid, runner.launch_pdl) if plain else None


def _current_stream():
    """The stream Triton's own launch would use: the current device's current stream (through
    the calls Triton's driver makes; torch.cuda.current_stream() costs ~10 µs more)."""
    return torch._C._cuda_getCurrentRawStream(torch._C._cuda_getDevice())


def hooks_installed() -> bool:
    """Whether a launch hook is installed (then launches go through kernel[grid], with tensors)."""
    runtime = _knobs_runtime()
    return bool(runtime.launch_enter_hook.calls or runtime.launch_exit_hook.calls)


@functools.lru_cache(maxsize=None)
def _knobs_runtime():
    from triton import knobs
    return knobs.runtime
