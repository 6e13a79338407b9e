"""Context parallelism on CPU with gloo: 2 and 4 processes, the MATH path and the flash kernel
under the interpreter, causal (zig-zag shards) and not, GQA; outputs and gradients of every
rank's shard against single-process float64 attention on the whole sequence, held to the
accuracy rule of helpers.py (torch's own SDPA in the same dtype on the whole sequence)."""
from __future__ import annotations

import os
import tempfile

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

import flashsdpa
from flashsdpa import Backend
from flashsdpa.distributed import context_parallel_attention, shard_zigzag, unshard_zigzag

pytestmark = pytest.mark.skipif(not dist.is_available(), reason="torch.distributed is not available")


def _shard(x, world, rank, causal):
    return shard_zigzag(x, world, rank) if causal else x.chunk(world, dim=-2)[rank]


def _check_rank(world, rank, causal, backend, heads_kv, seed, device="cpu", dtype=torch.float32,
                size=(1, 4, 8, 16)):
    """size: (B, H, S per rank, D) of the test."""
    from helpers import accuracy_failure, reference_attention

    gen = torch.Generator(device).manual_seed(seed)  # the same full tensors on every rank
    b, h, s_local, d = size
    s = s_local * world
    q, k, v = (torch.randn(shape, generator=gen, device=device).to(dtype)
               for shape in ((b, h, s, d), (b, heads_kv, s, d), (b, heads_kv, s, d)))
    dout = torch.randn((b, h, s, d), generator=gen, device=device).to(dtype)
    leaves = [_shard(t, world, rank, causal).clone().requires_grad_() for t in (q, k, v)]
    with flashsdpa.sdpa_kernel(backend):
        out = context_parallel_attention(*leaves, is_causal=causal)
    out.backward(_shard(dout, world, rank, causal))

    ref_leaves = [t.double().requires_grad_() for t in (q, k, v)]
    ref, _ = reference_attention(*ref_leaves, causal="top_left" if causal else None, enable_gqa=True)
    ref.backward(dout.double())
    th_leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    theirs = torch.nn.functional.scaled_dot_product_attention(*th_leaves, is_causal=causal, enable_gqa=True)
    theirs.backward(dout)
    problems = []
    for name, ours, r, t in zip(("out", "dq", "dk", "dv"), [out] + [x.grad for x in leaves],
                                [ref] + [x.grad for x in ref_leaves], [theirs] + [x.grad for x in th_leaves]):
        problems.append(accuracy_failure(name, ours.detach(), _shard(r.detach(), world, rank, causal),
                                         _shard(t.detach(), world, rank, causal), dtype))
    problems = [p for p in problems if p]
    assert not problems, (f"world={world} rank={rank} causal={causal} {backend.name} H_kv={heads_kv} {dtype} "
                          f"seed={seed}: {problems}")


def _worker(rank, world, init_file, seed):
    dist.init_process_group("gloo", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        for backend in (Backend.MATH, Backend.FLASH):
            for causal in (False, True):
                for heads_kv in (4, 2):
                    _check_rank(world, rank, causal, backend, heads_kv, seed)
        # refusals, on every rank alike
        x = torch.randn(1, 2, 8 + (rank if world > 1 else 0), 16)
        try:
            context_parallel_attention(x, x, x)
        except ValueError as error:
            assert "same local sequence length" in str(error), error
        else:
            raise AssertionError("uneven shards were not refused")
        odd = torch.randn(1, 2, 7, 16)
        try:
            context_parallel_attention(odd, odd, odd, is_causal=True)
        except ValueError as error:
            assert "even local sequence length" in str(error) and "7" in str(error), error
        else:
            raise AssertionError("an odd causal shard was not refused")
    finally:
        dist.destroy_process_group()


@pytest.mark.parametrize("world", [2, 4])
def test_ring_attention_matches_single_process(world, gen):
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(_worker, args=(world, os.path.join(folder, "init"), gen.initial_seed() % 2**31), nprocs=world)


def _nccl_worker(rank, world, init_file, seed):
    for name, value in (("NCCL_NVLS_ENABLE", "0"), ("TORCH_SYMM_MEM_DISABLE_MULTICAST", "1"),
                        ("NVSHMEM_DISABLE_NVLS", "1")):
        os.environ[name] = value
    torch.cuda.set_device(rank)
    dist.init_process_group("nccl", init_method=f"file://{init_file}", rank=rank, world_size=world)
    try:
        for dtype in (torch.bfloat16, torch.float16):
            for causal in (False, True):
                for heads_kv in (8, 2):
                    _check_rank(world, rank, causal, Backend.FLASH, heads_kv, seed, device=f"cuda:{rank}",
                                dtype=dtype, size=(2, 8, 1024, 128))
    finally:
        dist.destroy_process_group()


@pytest.mark.gpu
def test_ring_attention_nccl_matches_single_gpu(gen):
    """Every GPU of the machine in one ring (NCCL), bf16 and fp16, D = 128, 1024 tokens a rank."""
    world = torch.cuda.device_count()
    if world < 2:
        pytest.skip(f"needs at least 2 GPUs; this machine has {world}")
    with tempfile.TemporaryDirectory() as folder:
        mp.spawn(_nccl_worker, args=(world, os.path.join(folder, "init"), gen.initial_seed() % 2**31), nprocs=world)


def test_zigzag_shards_round_trip(cpu_gen):
    x = torch.randn(2, 3, 24, 5, generator=cpu_gen)
    shards = [shard_zigzag(x, 3, r) for r in range(3)]
    assert all(s.shape == (2, 3, 8, 5) for s in shards)
    assert torch.equal(unshard_zigzag(shards), x)
    assert torch.equal(shards[0][:, :, :4], x[:, :, :4]) and torch.equal(shards[0][:, :, 4:], x[:, :, 20:])
    with pytest.raises(ValueError, match="multiple of 2 \\* world_size = 6.*got 25"):
        shard_zigzag(torch.randn(1, 1, 25, 2), 3, 0)


def test_needs_an_initialized_process_group():
    if dist.is_initialized():
        pytest.skip("a process group is already initialized")
    x = torch.randn(1, 1, 4, 8)
    with pytest.raises(RuntimeError, match="init_process_group"):
        context_parallel_attention(x, x, x)
