"""Count how evenly a causal backward's programs fill the GPU, by the order they start in: a
list-scheduling model (each SM runs one program at a time; a free SM takes the next program of
the grid's order), makespan over the ideal (all work spread evenly). The work of a program is
its tiles plus a fixed prologue and epilogue (--fixed, in tiles).

    python3 benchmarks/schedule_count.py [--sms 132] [--fixed 3]

Orders: "block order" (program_id(0) = block fastest, each head's blocks in turn, as a plain
grid starts them) and "longest first" (every head's longest block, then the next: what
hopper_backward._block_and_head hands causal programs). Shapes: the anchor grid's D = 128 causal
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
    args = ap.parse_args()
    print("| S | launch | block order | longest first |\n|---|---|---|---|")
    for seq in (1024, 2048, 4096, 8192, 16384):
        heads = 16 * (16384 // seq)
        blocks = seq // 128
        dkdv = [(seq - 128 * j) / 64 + args.fixed for j in range(blocks)]
        dq = [j + 1 + args.fixed for j in range(blocks)]
        for name, work in (("dK/dV", dkdv), ("dQ", dq)):
            ideal = sum(work) * heads / args.sms
            plain = makespan([w for _ in range(heads) for w in work], args.sms) / ideal
            longest = makespan([w for w in sorted(work, reverse=True) for _ in range(heads)], args.sms) / ideal
            print(f"| {seq} | {name} | {plain:.3f} | {longest:.3f} |")


if __name__ == "__main__":
    main()
