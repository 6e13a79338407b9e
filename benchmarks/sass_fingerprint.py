"""Fingerprints of the compiled SASS (sm_90a) of the forward and dQ kernels over a set of
feature cases, without a GPU: run before and after a refactor of kernel code; identical
fingerprints mean the GPU runs identical machine code (line info is not part of SASS).

    PYTHONPATH=src python3 benchmarks/sass_fingerprint.py > before.txt   # ... edit ...
    PYTHONPATH=src python3 benchmarks/sass_fingerprint.py | diff before.txt -

`--gluon`: the same for the Gluon kernels for Hopper (forward, dQ, dK/dV; D = 128; full,
causal, with a bias, a window, the persistent forward, the fused dQ), as the JIT would
specialise a call.
"""
import hashlib
import os
import subprocess
import sys
import tempfile

import triton
from triton.backends.compiler import GPUTarget
from triton.compiler import ASTSource

import compile_report
from flashsdpa.kernels import backward, forward

EXTRA_FLAGS = {}  # (experiments: constexprs set for every Gluon case)
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


def descriptor_type(rows: int, cols: int, dtype: str = "bf16") -> str:
    """The JIT's spelling of the type of a Gluon TMA descriptor with (1, 1, rows, cols) boxes over
    a 4D (B, H, S, D) tensor, as a call passes it."""
    from triton.experimental.gluon import language as gl
    block = [1, 1, rows, cols]
    layout = gl.NVMMASharedLayout.get_default_for(block, {"bf16": gl.bfloat16, "fp32": gl.float32}[dtype])
    return f"tensordesc<{dtype}{block},{layout!r}>"


def gluon_fingerprints(cases=None):
    """{case: fingerprint} of the Gluon kernels, compiled as a call with fresh buffers would be
    (every pointer, S_PAD and the descriptors 16-aligned; N_CTX any length); `cases` picks some."""
    return {name: f"{hashlib.sha1(body.encode()).hexdigest()[:12]} ({len(body.splitlines())} lines)"
            for name, body in gluon_sass(cases).items()}


def gluon_sass(cases=None, head_dim: int = 128):
    """{"kernel case": its SASS} of the Gluon kernels, compiled as gluon_fingerprints says, for
    tiles of `head_dim` (64 or 128)."""
    import inspect

    from triton.experimental.gluon._runtime import GluonASTSource

    from flashsdpa.kernels import hopper_backward as hb, hopper_forward as hf

    desc = descriptor_type

    def compiled_sass(kernel, types, constants):
        names = kernel.arg_names
        types = {name: kind for name, kind in types.items() if name in names}
        defaults = {name: param.default for name, param in inspect.signature(kernel.fn).parameters.items()}
        signature = {name: types.get(name, "constexpr") for name in names}
        constants = {name: constants.get(name, defaults[name]) for name in names if name not in types}
        attrs = {(names.index(arg), ): [["tt.divisibility", 16]]
                 for arg in ("M_ptr", "LSE", "LSE2", "Delta", "S_PAD", "DBias", "DQ_ACC") if arg in types}
        compiled = triton.compile(GluonASTSource(kernel, signature, constants, attrs),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
        return cubin_sass(compiled.asm["cubin"])

    rows = desc(64, head_dim)
    scalars = dict(sm_scale="fp32", M_ptr="*fp32", LSE="*fp32", LSE2="*fp32", Delta="*fp32", N_CTX="i32",
                   S_PAD="i32", H_Q="i32", H_KV="i32", GROUP="i32", LEFT="i32", RIGHT="i32", N_WORK="i32",
                   Seed="*i64", seed_host="i64", dropout_p="fp32", HEADS_PER_GROUP="i32",
                   **{f"desc_{t}": rows for t in ("q", "o", "do", "dq", "dk", "dv")})
    flags = {"NBUF": 2, "CONSUMER_REGS": 240, "PRODUCER_REGS": 24, **EXTRA_FLAGS}
    kernels = {"forward": (hf.attn_fwd_hopper, dict(desc_k=desc(128, head_dim), desc_v=desc(128, head_dim)),
                           desc(64, 128), {}),
               "dq": (hb.attn_bwd_dq_hopper, dict(desc_k=rows, desc_v=rows, DBias="*bf16"), desc(64, 64),
                      {"MASK_GRAD": True}),
               "dkdv": (hb.attn_bwd_dkdv_hopper, dict(desc_k=rows, desc_v=rows,
                                                      desc_stats=f"tensordesc<fp32[2, 1, 64],{hb._STATS_LAYOUT!r}>"),
                        desc(64, 64), {})}
    bodies = {}
    for name, (kernel, types, bias_desc, bias_flags) in kernels.items():
        for case, constants in (("full", dict(CAUSAL=False)), ("causal", dict(CAUSAL=True)),
                                ("bias", dict(CAUSAL=False, HAS_BIAS=True, **bias_flags)),
                                ("window", dict(CAUSAL=False, WINDOW=True)),
                                ("persistent", dict(CAUSAL=False, PERSISTENT=True)),
                                ("persistent causal", dict(CAUSAL=True, PERSISTENT=True)),
                                ("persistent bias", dict(CAUSAL=False, HAS_BIAS=True, PERSISTENT=True)),
                                ("persistent window", dict(CAUSAL=False, WINDOW=True, PERSISTENT=True)),
                                ("causal halves", dict(CAUSAL=True, HALF_TILES=True)),
                                ("persistent causal halves", dict(CAUSAL=True, PERSISTENT=True, HALF_TILES=True)),
                                ("persistent window halves", dict(CAUSAL=False, WINDOW=True, PERSISTENT=True,
                                                                  HALF_TILES=True)),
                                ("fused dq", dict(CAUSAL=False, FUSED_DQ=True)),
                                ("fused dq causal", dict(CAUSAL=True, FUSED_DQ=True)),
                                ("fused dq causal peel", dict(CAUSAL=True, FUSED_DQ=True, PEEL_DIAGONAL=True)),
                                ("fused dq causal peel flat", dict(CAUSAL=True, FUSED_DQ=True, PEEL_DIAGONAL=True,
                                                                   FLAT_HEADS=True)),
                                ("causal peel", dict(CAUSAL=True, PEEL_DIAGONAL=True, PEEL_EDGE=True)),
                                ("peel", dict(CAUSAL=False, PEEL_EDGE=True)),
                                ("dropout causal peel", dict(CAUSAL=True, HAS_DROPOUT=True, PEEL_DIAGONAL=True,
                                                             PEEL_EDGE=True)),
                                ("dropout causal peel drawer", dict(CAUSAL=True, HAS_DROPOUT=True, PEEL_DIAGONAL=True,
                                                                    DRAWER=True)),
                                ("fused dq dropout causal peel drawer2", dict(CAUSAL=True, FUSED_DQ=True,
                                                                              HAS_DROPOUT=True, PEEL_DIAGONAL=True,
                                                                              DRAWER=True, DRAWER_WARPS=2,
                                                                              DRAWER_REGS=24)),
                                ("dropout", dict(CAUSAL=False, HAS_DROPOUT=True)),
                                ("dropout causal", dict(CAUSAL=True, HAS_DROPOUT=True)),
                                ("dropout causal peel ahead", dict(CAUSAL=True, HAS_DROPOUT=True, PEEL_EDGE=True,
                                                                   DRAW_AHEAD=True)),
                                ("dropout ahead", dict(CAUSAL=False, HAS_DROPOUT=True, DRAW_AHEAD=True)),
                                ("fused dq dropout", dict(CAUSAL=False, FUSED_DQ=True, HAS_DROPOUT=True)),
                                ("fused dq dropout causal", dict(CAUSAL=True, FUSED_DQ=True, HAS_DROPOUT=True)),
                                ("fused dq dropout causal peel drawer", dict(CAUSAL=True, FUSED_DQ=True,
                                                                             HAS_DROPOUT=True, PEEL_DIAGONAL=True,
                                                                             DRAWER=True)),
                                ("fused dq dropout causal peel", dict(CAUSAL=True, FUSED_DQ=True, HAS_DROPOUT=True,
                                                                      PEEL_DIAGONAL=True)),
                                ("bias ds out", dict(CAUSAL=False, HAS_BIAS=True, MASK_GRAD=True)),
                                ("bias ds out causal", dict(CAUSAL=True, HAS_BIAS=True, MASK_GRAD=True)),
                                ("skip causal", dict(CAUSAL=True, SKIP_EMPTY=True)),
                                ("skip window", dict(CAUSAL=False, WINDOW=True, SKIP_EMPTY=True))):
            if cases is not None and case not in cases:
                continue
            # each kernel's own peel flag (PEEL_DIAGONAL: dK/dV, PEEL_EDGE: dQ); any other flag it lacks skips the case
            constants = {flag: on for flag, on in constants.items() if flag in kernel.arg_names or "PEEL" not in flag}
            if any(flag not in kernel.arg_names for flag in constants) or "peel" in case and not any(
                    "PEEL" in flag for flag in constants):
                continue
            if ("fused" in case and "desc_dq_acc" not in kernel.arg_names
                    or "ds out" in case and "desc_dbias" not in kernel.arg_names):
                continue
            extra = dict(desc_bias=bias_desc, BIAS_B="i32", BIAS_H="i32") if "bias" in case else {}
            if "fused" in case:  # the fp32 dQ accumulator, (rows x D / 2) boxes
                extra = dict(desc_dq_acc=desc(64, head_dim // 2, "fp32"))
            if "ds out" in case:  # the dense dS (the bias's gradient), (rows x keys) boxes
                extra["desc_dbias"] = desc(64, 64)
            bodies[f"{name} {case}"] = compiled_sass(kernel, dict(scalars, **types, **extra), dict(flags, **constants))
    return bodies


def gluon_forward_256(cases=("full", "causal", "persistent causal", "window")) -> dict:
    """{case: (shared memory bytes, SASS)} of the Gluon forward on D = 256 tiles (64 keys a stage,
    O out through Q's buffers), compiled as a call would be."""
    import inspect

    from triton.experimental.gluon._runtime import GluonASTSource

    from flashsdpa.kernels import hopper_forward as hf

    kernel = hf.attn_fwd_hopper
    names = kernel.arg_names
    defaults = {name: param.default for name, param in inspect.signature(kernel.fn).parameters.items()}
    types = dict(sm_scale="fp32", M_ptr="*fp32", N_CTX="i32", H_Q="i32", GROUP="i32", LEFT="i32", RIGHT="i32",
                 N_WORK="i32", BIAS_B="i32", BIAS_H="i32", desc_q=descriptor_type(64, 256),
                 desc_o=descriptor_type(64, 256), desc_k=descriptor_type(hf.BLOCK_N_256, 256),
                 desc_v=descriptor_type(hf.BLOCK_N_256, 256))
    signature = {name: types.get(name, "constexpr") for name in names}
    flags = {"full": dict(CAUSAL=False), "causal": dict(CAUSAL=True), "window": dict(CAUSAL=False, WINDOW=True),
             "persistent causal": dict(CAUSAL=True, PERSISTENT=True)}
    result = {}
    for case in cases:
        given = dict(NBUF=2, CONSUMER_REGS=240, PRODUCER_REGS=24, **flags[case])
        constants = {name: given.get(name, defaults[name]) for name in names if name not in types}
        attrs = {(names.index("M_ptr"), ): [["tt.divisibility", 16]]}
        compiled = triton.compile(GluonASTSource(kernel, signature, constants, attrs),
                                  target=GPUTarget("cuda", 90, 32), options={"num_warps": 4})
        result[case] = (compiled.metadata.shared, cubin_sass(compiled.asm["cubin"]))
    return result


def main():
    if "--gluon" in sys.argv:
        for case, print_ in gluon_fingerprints().items():
            print(f"{case:24s} {print_}", flush=True)
        return
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
