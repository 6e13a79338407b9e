"""Count how evenly a causal backward's programs fill the GPU, by the order they start in: a
list-scheduling model (each SM runs one program at a time; a free SM takes the next program of
the grid's order), makespan over the ideal (all work spread evenly). The work of a program is
its tiles plus a fixed prologue and epilogue (--fixed, in tiles).

    python3 benchmarks/schedule_count.py [--sms 132] [--fixed 3]

Orders: "block order" (program_id(0) = block fastest, each head's blocks in turn, as a plain
grid starts them), "longest first" (every head's longest block, then the next) and the same
within groups of --group heads (what hopper_backward._block_and_head hands causal programs, so
that the programs running together share a few heads' tensors in L2). Shapes: the anchor grid's D = 128 causal
calls (H = 16, 16k tokens); dK/dV key blocks of 128 keys over query tiles of 64 rows, dQ query
blocks of 128 rows over key tiles of 128.
"""
import argparse
import heapq


def makespan(durations, sms: int) -> float:
    free = [0.0] * sms
    end = 0.0
    for d in durations:
        start = heapq.heappop(free)
        heapq.heappush(free, start + d)
        end = max(end, start + d)
    return end


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sms", type=int, default=132)
    ap.add_argument("--fixed", type=float, default=3.0)
    ap.add_argument("--group", type=int, default=16)
    args = ap.parse_args()
    print(f"| S | launch | block order | longest first | longest first, groups of {args.group} |\n|---|---|---|---|---|")
    for seq in (1024, 2048, 4096, 8192, 16384):
        heads = 16 * (16384 // seq)
        blocks = seq // 128
        dkdv = [(seq - 128 * j) / 64 + args.fixed for j in range(blocks)]
        dq = [j + 1 + args.fixed for j in range(blocks)]
        for name, work in (("dK/dV", dkdv), ("dQ", dq)):
            ideal = sum(work) * heads / args.sms
            plain = makespan([w for _ in range(heads) for w in work], args.sms) / ideal
            ordered = sorted(work, reverse=True)
            longest = makespan([w for w in ordered for _ in range(heads)], args.sms) / ideal
            grouped = [w for g in range(0, heads, args.group) for w in ordered for _ in range(min(args.group, heads - g))]
            print(f"| {seq} | {name} | {plain:.3f} | {longest:.3f} | {makespan(grouped, args.sms) / ideal:.3f} |")


if __name__ == "__main__":
    main()
