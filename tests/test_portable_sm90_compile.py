"""The portable kernels compile for sm_90a on any machine, with the features whose code only
a compile walks in full. The interpreter runs a kernel's Python as Python, so it never sees
what only the compiler refuses (a name defined in a branch the compile still walks): an opt-in
backward variant once failed that way on its first GPU run after every CPU test had passed."""
import os
import subprocess
import sys

import pytest

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
            if line.startswith("| ") and not line.startswith("| kernel")]


@pytest.mark.parametrize("feature", ["--dropout", "--bias"])
def test_kernels_compile_with(feature):
    rows = compile_report("--d", "64", "--causal", feature, "--fwd", "64,64,4,2", "--bwd", "32,64,4,2/32,64,4,2")
    assert [r[0] for r in rows] == ["forward D=64 causal", "dK/dV D=64 causal", "dQ D=64 causal"]
    for row in rows:
        assert row[-1] != "0 / 0", row   # every kernel has its matmuls (wgmma or mma.sync)
