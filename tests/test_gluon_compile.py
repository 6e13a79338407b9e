"""The Gluon kernels for Hopper compile for sm_90a on any machine (Triton ships ptxas and
cuobjdump): CI has no GPU to run them on, but a kernel edit that no longer compiles, or that
loses the instruction a feature exists for, fails here. What they compute is the GPU suite's."""
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS, SRC = os.path.join(HERE, "..", "benchmarks"), os.path.join(HERE, "..", "src")
pytest.importorskip("triton.experimental.gluon")

CASES = {"full", "causal", "bias", "window", "persistent causal", "fused dq", "bias ds out", "skip window",
         "dropout", "fused dq dropout", "fused dq causal", "fused dq causal peel", "fused dq causal peel flat",
         "causal peel", "peel", "dropout causal peel", "dropout causal peel drawer",
         "fused dq dropout causal peel drawer", "fused dq dropout causal peel drawer2"}


@pytest.fixture(scope="module")
def sass():
    """The SASS of every case, compiled in a fresh process without TRITON_INTERPRET: the CPU
    suite sets it before anything imports Triton, which then makes Triton's own jit helpers the
    Gluon kernels call (gl.min, gl.max) interpreted functions that no compile can take in (a
    warm Triton cache used to hide that)."""
    env = {name: value for name, value in os.environ.items() if name != "TRITON_INTERPRET"}
    env["PYTHONPATH"] = os.pathsep.join([BENCHMARKS, SRC] + [env["PYTHONPATH"]] * ("PYTHONPATH" in env))
    code = ("import json, sys; from sass_fingerprint import gluon_sass; "
            "print('SASS ' + json.dumps(gluon_sass(set(sys.argv[1:]))))")
    done = subprocess.run([sys.executable, "-c", code, *sorted(CASES)], env=env, capture_output=True, text=True,
                          timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("SASS ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    return json.loads(lines[-1][5:])


def opcodes(body: str) -> set:
    """The instruction names in SASS lines ('HGMMA' of 'HGMMA.64x128x16.F32.BF16 R24, ...')."""
    return set(re.findall(r"\*/\s+(?:@!?U?P\w+\s+)?([A-Z][A-Z0-9_]*)", body))


def consumer_loop_cost(body: str) -> tuple:
    """(instructions a warp and tile, spill stores + loads) of a Gluon kernel's main consumer loop."""
    sys.path.insert(0, BENCHMARKS)
    from sass_loops import consumer_loop
    size, stores, loads = re.search(r"loop (\d+) instructions.*spill stores/loads (\d+)/(\d+)",
                                    consumer_loop(body)).groups()
    return int(size), int(stores) + int(loads)


def test_every_case_compiles_to_tensor_core_and_tma_code(sass):
    expected = {f"{kernel} {case}" for kernel in ("forward", "dq", "dkdv") for case in ("full", "causal", "bias", "window")}
    expected |= {"forward persistent causal", "dkdv fused dq", "dkdv bias ds out", "dq skip window", "dkdv skip window",
                 "dq dropout", "dkdv dropout", "dkdv fused dq dropout"}
    assert expected <= set(sass)
    for name, body in sass.items():
        ops = opcodes(body)
        assert {"HGMMA", "UTMALDG"} <= ops, name     # wgmma and TMA loads, not a fallback
        assert "WARPSYNC" in ops or "BAR" in ops, name


def test_fused_dq_adds_through_a_tma_reduce_not_register_atomics(sass):
    """The fused dQ's partial sums go out in one bulk TMA reduce-add a tile (hopper_common.
    tma_reduce_add); the two-launch dK/dV kernel has neither."""
    fused, plain = opcodes(sass["dkdv fused dq"]), opcodes(sass["dkdv full"])
    assert "UTMAREDG" in fused and not {"REDG", "ATOMG", "RED"} & fused
    assert "UTMAREDG" not in plain


def test_dkdv_stores_ds_by_tma_when_asked(sass):
    """With MASK_GRAD the dK/dV kernel stores dS (the bias's gradient) through shared memory and a
    TMA store, one more store site than the dK and dV epilogue's; without it, it stores no dS."""
    def tma_stores(body):
        return body.count("UTMASTG")
    assert tma_stores(sass["dkdv bias ds out"]) > tma_stores(sass["dkdv bias"])
    assert not {"STG", "ST"} & opcodes(sass["dkdv bias ds out"])   # no store from registers to global


def test_dropout_draws_its_bits_in_registers(sass):
    """With HAS_DROPOUT the dK/dV kernel runs Philox (its multiplies are IMAD.WIDE.U32, high and
    low words in one: 2 a round, 7 rounds, 4 calls a thread per 64 x 64 tile, in both consumers'
    code) and trades the keep bits between lanes by shuffles (hopper_common.
    dropout_keep_transposed); the fused dQ's reduce stays."""
    with_dropout, plain = sass["dkdv fused dq dropout"], sass["dkdv fused dq"]
    assert with_dropout.count("IMAD.WIDE.U32") - plain.count("IMAD.WIDE.U32") >= 2 * 7 * 4 * 2
    assert with_dropout.count("SHFL") > plain.count("SHFL") and "UTMAREDG" in opcodes(with_dropout)


def test_dq_launch_draws_its_bits_without_shuffles(sass):
    """In the dQ launch the keep bits come in the forward's orientation (hopper_common.
    dropout_keep_rows), where each thread's 8 scores are one whole Philox group: the Philox code
    (IMAD.WIDE.U32), and no shuffle beyond the plain kernel's."""
    with_dropout, plain = sass["dq dropout"], sass["dq full"]
    assert with_dropout.count("IMAD.WIDE.U32") - plain.count("IMAD.WIDE.U32") >= 2 * 7 * 4
    assert with_dropout.count("SHFL") == plain.count("SHFL")


def test_peeled_diagonal_leaves_the_mask_out_of_the_main_loop(sass):
    """PEEL_DIAGONAL (dK/dV) and PEEL_EDGE (dQ) run the tiles a mask reaches apart: the consumer's
    main loop (the loop with the fewest instructions per wgmma) is then as short as possible,
    without the causal mask's code (fused dK/dV, two-launch dK/dV, dQ) or the ragged last key
    tile's (full attention's dQ)."""
    sys.path.insert(0, BENCHMARKS)
    from sass_loops import consumer_loop
    def size(case):
        return int(re.search(r"loop (\d+) instructions", consumer_loop(sass[case])).group(1))
    assert size("dkdv fused dq causal peel") < 0.9 * size("dkdv fused dq causal")
    assert size("dkdv causal peel") < 0.9 * size("dkdv causal")
    assert size("dq causal peel") < 0.9 * size("dq causal")
    assert size("dq peel") < 0.9 * size("dq full")


def test_head_dim_256_forward_fits_shared_memory():
    """The D = 256 forward (64 keys a stage, O out through Q's buffers) within sm_90's 227 KiB of
    shared memory, with wgmma and TMA, and no register spills in its full and causal variants."""
    env = {name: value for name, value in os.environ.items() if name != "TRITON_INTERPRET"}
    env["PYTHONPATH"] = os.pathsep.join([BENCHMARKS, SRC] + [env["PYTHONPATH"]] * ("PYTHONPATH" in env))
    code = ("import json; from sass_fingerprint import gluon_forward_256; "
            "print('D256 ' + json.dumps(gluon_forward_256()))")
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900)
    lines = [line for line in done.stdout.splitlines() if line.startswith("D256 ")]
    assert done.returncode == 0 and lines, done.stderr[-4000:]
    for case, (shared, body) in json.loads(lines[-1][5:]).items():
        assert shared <= 227 * 1024, (case, shared)
        ops = opcodes(body)
        assert {"HGMMA", "UTMALDG"} <= ops, case
        if case in ("full", "causal"):
            assert "STL" not in ops, case


def test_flat_heads_take_the_spills_out_of_the_fused_loop(sass):
    """FLAT_HEADS (one query head a key head): the fused dQ's peeled causal loops, no longer
    nested in the loop over query heads, spill less and run fewer instructions a tile (sm_90a,
    D = 128: 0 / 15 spill stores / loads and 561 instructions against 11 / 35 and 584)."""
    flat = consumer_loop_cost(sass["dkdv fused dq causal peel flat"])
    nested = consumer_loop_cost(sass["dkdv fused dq causal peel"])
    assert flat[0] < nested[0] and flat[1] < 0.6 * nested[1], (flat, nested)


def test_drawer_takes_the_dropout_draw_out_of_the_consumers(sass):
    """DRAWER: a warpgroup of its own draws the dK/dV launch's keep bits (a loop with the Philox
    multiplies and no wgmma), and the consumers' loop shrinks to a bit test and a select a score
    (sm_90a, D = 128 causal: 459 instructions a warp and tile, no spills, against 808 and 3 / 6)."""
    sys.path.insert(0, BENCHMARKS)
    from sass_loops import loops
    drawer = consumer_loop_cost(sass["dkdv dropout causal peel drawer"])
    plain = consumer_loop_cost(sass["dkdv dropout causal peel"])
    assert drawer[0] < 0.7 * plain[0] and drawer[1] <= plain[1], (drawer, plain)
    draws = [body for _, _, body in loops(sass["dkdv dropout causal peel drawer"])
             if body.count("IMAD.WIDE.U32") >= 64 and not any(op.startswith("HGMMA") for op in body)]
    assert draws, "no drawing loop without wgmma"
    consumer_ops = opcodes(sass["dkdv dropout causal peel drawer"])
    assert "UTMALDG" in consumer_ops and "dkdv fused dq dropout causal peel drawer" in sass


def test_two_drawing_warps_leave_the_consumers_their_registers(sass):
    """DRAWER with 2 warps: beside the producer's warp they fill one warpgroup (Triton pads
    partitions to whole warpgroups and gives the default partition what the others leave), so
    both consumers keep 240 registers; the 4-warp drawer took them to 224."""
    def register_targets(case):
        return {int(n, 16) for n in re.findall(r"USETMAXREG\.\w+\.CTAPOOL (?:UP\d, )?(0x[0-9a-f]+)", sass[case])}
    two = register_targets("dkdv fused dq dropout causal peel drawer2")
    four = register_targets("dkdv fused dq dropout causal peel drawer")
    assert 240 in two and not {n for n in two if 24 < n < 240} - {120}, two
    assert {n for n in four if 24 < n < 240} - {40, 80}, four
