"""Run a benchmark script's cases each in its own Python process with a time limit: a Gluon
kernel with a wrong mbarrier phase hangs the GPU instead of raising, and a hang must cost one
case, not the run. The script handles `--one JSON` by printing `RESULT <json>` (see
experiment_gluon_forward.py)."""
import argparse
import json
import subprocess
import sys


def run_cases(script: str, cases: list, timeout: float) -> list:
    """One result dict per case: the script's RESULT, or the case with an `error`."""
    rows = []
    for case in cases:
        try:
            done = subprocess.run([sys.executable, script, "--one", json.dumps(case)], capture_output=True,
                                  text=True, timeout=timeout)
            lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
            rows.append(json.loads(lines[-1][7:]) if lines else dict(case, error=done.stderr[-800:]))
        except subprocess.TimeoutExpired:
            rows.append(dict(case, error=f"timed out after {timeout} s (a hang: mbarrier phases?)"))
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(doc: str, script: str, cases: list, run_case, compile_only, timeout: float):
    """The experiment scripts' command line: --compile-only runs `compile_only()`; --one JSON
    (internal) runs one case here; otherwise every case (or those --filter keeps) in its own
    process, the rows written to --out as JSON and returned for the script's table (None when
    there is no table)."""
    ap = argparse.ArgumentParser(description=doc.split("\n")[0])
    ap.add_argument("--compile-only", action="store_true")
    ap.add_argument("--one", help=argparse.SUPPRESS)
    ap.add_argument("--timeout", type=float, default=timeout)
    ap.add_argument("--out", default=None)
    ap.add_argument("--filter", action="append", default=[], metavar="KEY=VALUE",
                    help="run only the cases whose KEY is VALUE (as text; repeatable: all must hold)")
    args = ap.parse_args()
    wanted = [item.split("=", 1) for item in args.filter]
    cases = [case for case in cases if all(str(case.get(key)) == value for key, value in wanted)]
    if args.compile_only:
        compile_only()
        return None
    if args.one:
        print("RESULT " + json.dumps(run_case(json.loads(args.one))), flush=True)
        return None
    rows = run_cases(script, cases, args.timeout)
    if args.out:
        with open(args.out, "w") as f:
            json.dump(rows, f, indent=1)
    return rows
