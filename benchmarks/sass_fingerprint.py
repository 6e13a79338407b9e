"""Fingerprints of the compiled SASS (sm_90a) of the forward and dQ kernels over a set of
feature cases, without a GPU: run before and after a refactor of kernel code; identical
fingerprints mean the GPU runs identical machine code (line info is not part of SASS).

    PYTHONPATH=src python3 benchmarks/sass_fingerprint.py > before.txt   # ... edit ...
    PYTHONPATH=src python3 benchmarks/sass_fingerprint.py | diff before.txt -
"""
import hashlib
import os
import subprocess
import tempfile

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

import compile_report
from flashsdpa.kernels import backward, forward

CASES = {"none": {}, "bias": dict(MASK_KIND=2), "bool2d": dict(MASK_KIND=1),
         "keypad": dict(MASK_KIND=1, MASK_ROW_BCAST=True), "dropout": dict(HAS_DROPOUT=True),
         "bias_causal": dict(MASK_KIND=2, HAS_HI=True)}


def sass(kernel, constexprs: dict, num_warps: int, num_stages: int, dtype: str = "bf16") -> str:
    """The SASS (sm_90a) of `kernel` specialised as compile_report does, instruction lines only."""
    constexprs = dict(constexprs)
    signature, attrs = compile_report._signature(kernel, constexprs, dtype)
    index = {name: i for i, name in enumerate(kernel.arg_names)}
    source = ASTSource(fn=kernel, signature=signature, constexprs={(index[k],): v for k, v in constexprs.items()},
                       attrs=attrs)
    compiled = triton.compile(source, target=GPUTarget("cuda", 90, 32),
                              options=dict(num_warps=num_warps, num_stages=num_stages))
    return cubin_sass(compiled.asm["cubin"])


def cubin_sass(cubin: bytes) -> str:
    """The instruction lines of a cubin's SASS (cuobjdump from Triton's bundled CUDA tools)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "k.cubin")
        with open(path, "wb") as f:
            f.write(cubin)
        text = subprocess.run([os.path.join(compile_report.BIN, "cuobjdump"), "-sass", path],
                              capture_output=True, text=True).stdout
    return "\n".join(line for line in text.splitlines() if line.strip().startswith("/*"))  # instructions only


def fingerprint(kernel, constexprs: dict, num_warps: int, num_stages: int) -> str:
    body = sass(kernel, constexprs, num_warps, num_stages)
    return f"{hashlib.sha1(body.encode()).hexdigest()[:12]} ({len(body.splitlines())} lines)"


def main():
    for name, overrides in CASES.items():
        features = compile_report._features(**overrides)
        for d in (64, 128):
            common = dict(D_QK=d, D_V=d, BLOCK_M=64, BLOCK_N=64, BLOCK_DQK=d, BLOCK_DV=d, EVEN_M=False,
                          EVEN_N=True, PRECISION="ieee", REVERSE_GRID=False, **features)
            fwd = fingerprint(forward.attention_forward_kernel, common, 4, 2)
            dq = fingerprint(backward.attention_backward_dq_kernel,
                             dict(common, MASK_GRAD=overrides.get("MASK_KIND") == 2), 4, 2)
            print(f"{name:12s} D={d:<4d} forward {fwd}  dQ {dq}", flush=True)


if __name__ == "__main__":
    main()
