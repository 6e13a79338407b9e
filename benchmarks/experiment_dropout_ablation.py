"""Where the Gluon dropout backward's time goes: the launches as shipped (causal D = 128, two
launches, the dQ launch's bits drawn a tile ahead) against copies of src/ with parts of the
dropout work cut out by text patches, each copy timed by experiment_dropout_launches.py in its
own processes. v0.24 (benchmarks/NOTES.md) showed that taking the draw off the consumers
(the drawer) did not speed the two launches up: this asks the plain kernels which part costs.

    PYTHONPATH=src python3 benchmarks/experiment_dropout_ablation.py              # on an H100/H200 (~4 min)
    PYTHONPATH=src python3 benchmarks/experiment_dropout_ablation.py --compile-only   # no GPU: each
        copy's dK/dV and dQ dropout loops for sm_90a (instructions a warp and tile, spills)

The copies compute wrong gradients by design (fewer Philox rounds, no mask): timing only.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
COMMON = "flashsdpa/kernels/hopper_common.py"
BACKWARD = "flashsdpa/kernels/hopper_backward.py"

# (file, text as shipped, replacement)
ONE_ROUND = (COMMON, "key_groups, query_groups, zero + bh.to(gl.uint32), zero, 7)",
             "key_groups, query_groups, zero + bh.to(gl.uint32), zero, 1)")
NO_MASK = [(BACKWARD, "gl.where(keep, p * keep_scale, 0.0).to(dtype)", "(p * keep_scale).to(dtype)"),
           (BACKWARD, "dp = gl.where(keep, dp * keep_scale, 0.0)", "dp = dp * keep_scale"),
           (BACKWARD, "ds = gl.fma(gl.where(keep, p, 0.0), dp, -(p * delta[:, None]))",
            "ds = gl.fma(p, dp, -(p * delta[:, None]))")]
ABLATIONS = {
    "as shipped": [],
    "Philox 1 round": [ONE_ROUND],        # the draw's multiplies and xors down 7x, its logistics kept
    "no mask": NO_MASK,                   # no draw, no select (the compiler drops them); 1 / (1 - p) kept
}


def patched_copy(patches, folder: str) -> str:
    """A copy of src/ in folder with the patches applied (each must match exactly once)."""
    target = os.path.join(folder, "src")
    shutil.copytree(SRC, target, ignore=shutil.ignore_patterns("__pycache__"))
    for name, old, new in patches:
        path = os.path.join(target, name)
        with open(path) as f:
            text = f.read()
        assert text.count(old) == 1, f"{name}: {old!r} found {text.count(old)} times (the kernel changed?)"
        with open(path, "w") as f:
            f.write(text.replace(old, new))
    return target


def run(src: str, args: list, timeout: float) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([src, HERE]))
    env.pop("TRITON_INTERPRET", None)
    return subprocess.run([sys.executable, *args], env=env, cwd=HERE, capture_output=True, text=True,
                          timeout=timeout)


def loops(src: str) -> str:
    """The dropout dK/dV and dQ consumer loops of this copy (sm_90a)."""
    code = ("from sass_fingerprint import gluon_sass; from sass_loops import consumer_loop; "
            "[print(name, '|', consumer_loop(body)) for name, body in "
            "gluon_sass({'dropout causal peel', 'dropout causal peel ahead'}).items()]")
    done = run(src, ["-c", code], 900)
    return done.stdout if done.returncode == 0 else done.stderr[-2000:]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--out", default=None, help="a JSON file of every launch timing")
    args = ap.parse_args()
    results = {}
    for name, patches in ABLATIONS.items():
        with tempfile.TemporaryDirectory() as folder:
            src = patched_copy(patches, folder)
            if args.compile_only:
                print(f"== {name}\n{loops(src)}", flush=True)
                continue
            out = os.path.join(folder, "launches.json")
            done = run(src, ["experiment_dropout_launches.py", "--filter", "fused=False", "--out", out], 600)
            rows = json.load(open(out)) if os.path.exists(out) else [{"error": done.stderr[-800:]}]
            results[name] = rows
            print(f"== {name}", flush=True)
            for row in rows:
                print(json.dumps(row), flush=True)
    if args.compile_only:
        return
    if args.out:
        with open(args.out, "w") as f:
            json.dump(results, f, indent=1)
    print("\n| ablation | S | dropout | dQ launch ms | dK/dV launch ms | both ms |\n|---|---|---|---|---|---|")
    for name, rows in results.items():
        for row in rows:
            if "error" in row:
                print(f"| {name} | {row.get('seq', '?')} | {row.get('dropout_p', '?')} | {row['error'][:60]!r} | | |")
            else:
                print(f"| {name} | {row['seq']} | {row['dropout_p']} | {row['dq_ms']:.3f} | {row['dkdv_ms']:.3f} | "
                      f"{row['total_ms']:.3f} |")


if __name__ == "__main__":
    main()
