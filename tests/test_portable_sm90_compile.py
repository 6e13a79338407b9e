"""The portable kernels' opt-in backward variants (flash.ATOMIC_DQ, TileConfig.col_split) compile
for sm_90a on any machine. The interpreter runs a kernel's Python as Python, so it never sees
what only the compiler refuses (a name defined in a branch the compile still walks): the first
GPU run of the atomic dQ failed that way after every CPU test had passed."""
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
BENCHMARKS, SRC = os.path.join(HERE, "..", "benchmarks"), os.path.join(HERE, "..", "src")


def compile_report(*args: str) -> list[list[str]]:
    """compile_report.py's table rows (cells), run in a process without TRITON_INTERPRET."""
    env = {name: value for name, value in os.environ.items() if name != "TRITON_INTERPRET"}
    env["PYTHONPATH"] = os.pathsep.join([SRC] + [env["PYTHONPATH"]] * ("PYTHONPATH" in env))
    done = subprocess.run([sys.executable, os.path.join(BENCHMARKS, "compile_report.py"), *args], env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in done.stdout.splitlines()
            if line.startswith("| dK/dV") or line.startswith("| dQ")]


def test_atomic_dq_variant_compiles():
    rows = compile_report("--d", "64", "--causal", "--dropout", "--atomic-dq", "--bwd", "32,64,4,2/32,64,4,2")
    (dkdv,), (dq,) = [r for r in rows if r[0].startswith("dK/dV")], [r for r in rows if r[0].startswith("dQ")]
    assert dkdv[-1] != "0 / 0"   # the dK/dV launch has its matmuls
    assert dq[-1] == "0 / 0"     # the stats-only dQ launch has none: it stores delta and zeroes dQ


def test_column_split_variant_compiles():
    rows = compile_report("--d", "64", "--bwd", "16,64,4,2,2/32,64,4,2")
    assert [r[0] for r in rows] == ["dK/dV D=64 full", "dQ D=64 full"]
