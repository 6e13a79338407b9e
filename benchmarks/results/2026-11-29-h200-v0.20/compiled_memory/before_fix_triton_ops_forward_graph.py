# AOT ID: ['1_forward']
from ctypes import c_void_p, c_long, c_int
import torch
import math
import random
import os
import tempfile
from math import inf, nan
from cmath import nanj
from torch._inductor.hooks import run_intermediate_hooks
from torch._inductor.utils import maybe_profile
from torch._inductor.codegen.memory_planning import _align as align
from torch import device, empty_strided
from torch._inductor.async_compile import AsyncCompile
from torch._inductor.select_algorithm import extern_kernels
import triton
import triton.language as tl
from torch._inductor.runtime.triton_heuristics import start_graph, end_graph
from torch._C import _cuda_getCurrentRawStream as get_raw_stream

aten = torch.ops.aten
inductor_ops = torch.ops.inductor
_quantized = torch.ops._quantized
assert_size_stride = torch._C._dynamo.guards.assert_size_stride
assert_alignment = torch._C._dynamo.guards.assert_alignment
empty_strided_cpu = torch._C._dynamo.guards._empty_strided_cpu
empty_strided_cpu_pinned = torch._C._dynamo.guards._empty_strided_cpu_pinned
empty_strided_cuda = torch._C._dynamo.guards._empty_strided_cuda
empty_strided_xpu = torch._C._dynamo.guards._empty_strided_xpu
empty_strided_mtia = torch._C._dynamo.guards._empty_strided_mtia
reinterpret_tensor = torch._C._dynamo.guards._reinterpret_tensor
alloc_from_pool = torch.ops.inductor._alloc_from_pool
async_compile = AsyncCompile()
empty_strided_p2p = torch._C._distributed_c10d._SymmetricMemory.empty_strided_p2p


# kernel path: /tmp/torchinductor_root/vx/cvxup5flzuiasolxmxgozc3lwt7ftighi2whj4cysbr2t5mtyzzw.py
# Topologically Sorted Source Nodes: [embedding_1], Original ATen: [aten.embedding]
# Source node to ATen node mapping:
#   embedding_1 => embedding_1
# Graph fragment:
#   %primals_3 : Tensor "f32[256, 384][384, 1]cuda:0" = PlaceHolder[target=primals_3]
#   %embedding_1 : Tensor "f32[256, 384][384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.embedding.default](args = (%primals_3, %iota), kwargs = {})
#   return %embedding_1
triton_poi_fused_embedding_0 = async_compile.triton('triton_poi_fused_embedding_0', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 131072}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'out_ptr0': '*fp32', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_embedding_0', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 1179648}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_embedding_0(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 98304
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x2 = xindex
    tmp0 = tl.load(in_ptr0 + (x2), None)
    tl.store(out_ptr0 + (x2), tmp0, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/bc/cbczyt7abwk34rmsenlxjr6abvi2fdb35gumc3scoxavlxfmzsst.py
# Topologically Sorted Source Nodes: [embedding, add, x, layer_norm, linear], Original ATen: [aten.embedding, aten.add, aten.native_dropout, aten.native_layer_norm, aten._to_copy]
# Source node to ATen node mapping:
#   add => add
#   embedding => embedding
#   layer_norm => add_1, mul_2, mul_3, rsqrt, sub, var_mean
#   linear => convert_element_type_1
#   x => gt, inductor_lookup_seed_default, inductor_random_default_12, mul, mul_1
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_random_default_12 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=inductor_random_default_12]
#   %primals_2 : Tensor "i64[64, 256][256, 1]cuda:0" = PlaceHolder[target=primals_2]
#   %primals_1 : Tensor "f32[256, 384][384, 1]cuda:0" = PlaceHolder[target=primals_1]
#   %gt : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt]
#   %embedding : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=embedding]
#   %embedding_1 : Tensor "f32[256, 384][384, 1]cuda:0" = PlaceHolder[target=embedding_1]
#   %buf7 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=buf7]
#   %getitem_1 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0" = PlaceHolder[target=getitem_1]
#   %rsqrt : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0" = PlaceHolder[target=rsqrt]
#   %primals_4 : Tensor "f32[384][1]cuda:0" = PlaceHolder[target=primals_4]
#   %embedding : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.embedding.default](args = (%primals_1, %primals_2), kwargs = {})
#   %add : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%embedding, %embedding_1), kwargs = {})
#   %inductor_lookup_seed_default : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 0), kwargs = {})
#   %inductor_random_default_12 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_random.default](args = ([64, 256, 384], %inductor_lookup_seed_default, rand), kwargs = {})
#   %gt : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.gt.Scalar](args = (%inductor_random_default_12, 0.1), kwargs = {})
#   %mul : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt, %add), kwargs = {})
#   %mul_1 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul, 1.1111111111111112), kwargs = {})
#   %var_mean : [num_users=2] = call_function[target=torch.ops.aten.var_mean.correction](args = (%mul_1, [2]), kwargs = {correction: 0, keepdim: True})
#   %add_1 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%getitem, 1e-05), kwargs = {})
#   %rsqrt : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.rsqrt.default](args = (%add_1,), kwargs = {})
#   %sub : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%mul_1, %getitem_1), kwargs = {})
#   %mul_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%sub, %rsqrt), kwargs = {})
#   %mul_3 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_2, %primals_4), kwargs = {})
#   %convert_element_type_1 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_3, torch.bfloat16), kwargs = {})
#   return %inductor_random_default_12,%gt,%embedding,%getitem_1,%buf7,%rsqrt,%convert_element_type_1
triton_per_fused__to_copy_add_embedding_native_dropout_native_layer_norm_1 = async_compile.triton('triton_per_fused__to_copy_add_embedding_native_dropout_native_layer_norm_1', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 512},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_out_ptr0': '*fp32', 'in_ptr0': '*i64', 'in_ptr1': '*i64', 'in_ptr2': '*fp32', 'in_ptr3': '*fp32', 'in_ptr4': '*fp32', 'out_ptr1': '*i1', 'out_ptr2': '*fp32', 'out_ptr3': '*fp32', 'out_ptr4': '*bf16', 'load_seed_offset': 'i32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]], (8,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]], (11,): [['tt.divisibility', 16]], (12,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__to_copy_add_embedding_native_dropout_native_layer_norm_1', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 3, 'num_store': 5, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 262144, 'r0_': 88475136}}
)
@triton.jit
def triton_per_fused__to_copy_add_embedding_native_dropout_native_layer_norm_1(in_out_ptr0, in_ptr0, in_ptr1, in_ptr2, in_ptr3, in_ptr4, out_ptr1, out_ptr2, out_ptr3, out_ptr4, load_seed_offset, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 384
    R0_BLOCK: tl.constexpr = 512
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    x2 = (xindex % 256)
    tmp5 = tl.load(in_ptr1 + (x0), None, eviction_policy='evict_last')
    tmp13 = tl.load(in_ptr3 + (r0_1 + 384*x2), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp41 = tl.load(in_ptr4 + (r0_1), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = r0_1 + 384*x0
    tmp2 = tl.rand(tmp0, (tmp1).to(tl.uint32))
    tmp3 = tl.full([1, 1], 0.1, tl.float32)
    tmp4 = tmp2 > tmp3
    tmp6 = tl.full([1, 1], 256, tl.int32)
    tmp7 = tmp5 + tmp6
    tmp8 = tmp5 < 0
    tmp9 = tl.where(tmp8, tmp7, tmp5)
    tl.device_assert((0 <= tmp9) & (tmp9 < 256), "index out of bounds: 0 <= tmp9 < 256")
    tmp11 = tl.load(in_ptr2 + (r0_1 + 384*tmp9), r0_mask, other=0.0)
    tmp12 = tmp4.to(tl.float32)
    tmp14 = tmp11 + tmp13
    tmp15 = tmp12 * tmp14
    tmp16 = tl.full([1, 1], 1.1111111111111112, tl.float32)
    tmp17 = tmp15 * tmp16
    tmp18 = tl.broadcast_to(tmp17, [XBLOCK, R0_BLOCK])
    tmp20 = tl.where(r0_mask, tmp18, 0)
    tmp21 = tl.broadcast_to(tmp18, [XBLOCK, R0_BLOCK])
    tmp23 = tl.where(r0_mask, tmp21, 0)
    tmp24 = tl.sum(tmp23, 1)[:, None].to(tl.float32)
    tmp25 = tl.full([1, 1], 384, tl.int32)
    tmp26 = tmp25.to(tl.float32)
    tmp27 = (tmp24 / tmp26)
    tmp28 = tmp18 - tmp27
    tmp29 = tmp28 * tmp28
    tmp30 = tl.broadcast_to(tmp29, [XBLOCK, R0_BLOCK])
    tmp32 = tl.where(r0_mask, tmp30, 0)
    tmp33 = tl.sum(tmp32, 1)[:, None].to(tl.float32)
    tmp34 = tl.full([1, 1], 384.0, tl.float32)
    tmp35 = (tmp33 / tmp34)
    tmp36 = tl.full([1, 1], 1e-05, tl.float32)
    tmp37 = tmp35 + tmp36
    tmp38 = libdevice.rsqrt(tmp37)
    tmp39 = tmp17 - tmp27
    tmp40 = tmp39 * tmp38
    tmp42 = tmp40 * tmp41
    tmp43 = tmp42.to(tl.float32)
    tl.store(out_ptr1 + (r0_1 + 384*x0), tmp4, r0_mask)
    tl.store(out_ptr2 + (r0_1 + 384*x0), tmp11, r0_mask)
    tl.debug_barrier()
    tl.store(in_out_ptr0 + (x0), tmp38, None)
    tl.store(out_ptr4 + (r0_1 + 384*x0), tmp43, r0_mask)
    tl.store(out_ptr3 + (x0), tmp27, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/tg/ctg366w7inualc7opvgz2bzihflb5troidghavxyo3rckcsl375m.py
# Topologically Sorted Source Nodes: [arange], Original ATen: [aten.arange]
# Source node to ATen node mapping:
#   arange => iota
# Graph fragment:
#   %iota : Tensor "i64[256][1]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.iota.default](args = (256,), kwargs = {start: 0, step: 1, dtype: torch.int64, device: cuda:0, requires_grad: False})
#   return %iota
triton_poi_fused_arange_2 = async_compile.triton('triton_poi_fused_arange_2', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 256}, 
    filename=__file__,
    triton_meta={'signature': {'out_ptr0': '*i64', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_arange_2', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 0, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 4096}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_arange_2(out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 256
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = xindex < xnumel
    x0 = xindex
    tmp0 = x0
    tl.store(out_ptr0 + (x0), tmp0, xmask)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/mr/cmrkhscnfutlujh2k3k5xtveqonkjfmfgj3rl7ufzae6zsfp6atf.py
# Topologically Sorted Source Nodes: [linear], Original ATen: [aten._to_copy, aten.t]
# Source node to ATen node mapping:
#   linear => convert_element_type, permute
# Graph fragment:
#   %primals_5 : Tensor "f32[1152, 384][384, 1]cuda:0" = PlaceHolder[target=primals_5]
#   %convert_element_type : Tensor "bf16[1152, 384][384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%primals_5, torch.bfloat16), kwargs = {})
#   %permute : Tensor "bf16[384, 1152][1, 384]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.permute.default](args = (%convert_element_type, [1, 0]), kwargs = {})
#   return %permute
triton_poi_fused__to_copy_t_3 = async_compile.triton('triton_poi_fused__to_copy_t_3', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 524288}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__to_copy_t_3', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 3538944}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__to_copy_t_3(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 442368
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None)
    tmp1 = tmp0.to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp1, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/at/cat6bcssflew72scp47lyc65jtyala4qsddqrkyx7trppkboqhpj.py
# Topologically Sorted Source Nodes: [seed], Original ATen: [aten.randint]
# Source node to ATen node mapping:
#   seed => inductor_lookup_seed_default_1, inductor_randint_default_5
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_lookup_seed_default_1 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 1), kwargs = {})
#   %inductor_randint_default_5 : Tensor "i64[][]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.inductor_randint.default](args = (0, 2147483647, [], %inductor_lookup_seed_default_1), kwargs = {})
#   return %inductor_randint_default_5
triton_poi_fused_randint_4 = async_compile.triton('triton_poi_fused_randint_4', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 1}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'out_ptr0': '*i64', 'load_seed_offset': 'constexpr', 'xnumel': 'constexpr', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {'load_seed_offset': 1, 'xnumel': 1}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_randint_4', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 0, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_randint_4(in_ptr0, out_ptr0, load_seed_offset, xnumel, XBLOCK : tl.constexpr):
    xnumel = 1
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = tl.full([1], 0, tl.int32)
    tmp2 = tl.full([1], 0, tl.int64)
    tmp3 = tl.full([1], 2147483647, tl.int64)
    tmp4 = triton_helpers.randint64(tmp0, (tmp1).to(tl.uint32), tmp2, tmp3)
    tl.store(out_ptr0 + (tl.full([XBLOCK], 0, tl.int32)), tmp4, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/n4/cn4qd6v3n6mkhnre7ax442or4veoec3rusbtza4obufoc54enf4w.py
# Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
# Source node to ATen node mapping:
#   triton_forward_default => as_strided_default_10, clone_default_5
# Graph fragment:
#   %new_empty_strided : Tensor "bf16[64, 6, 256, 64][98304, 64, 384, 1]cuda:0" = PlaceHolder[target=new_empty_strided]
#   %as_strided_default_10 : Tensor "bf16[6291456][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.as_strided.default](args = (%new_empty_strided, [6291456], [1], 0), kwargs = {})
#   %clone_default_5 : Tensor "bf16[6291456][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.clone.default](args = (%as_strided_default_10,), kwargs = {})
#   return %clone_default_5
triton_poi_fused_5 = async_compile.triton('triton_poi_fused_5', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 8388608}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*bf16', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_5', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 37748736}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_5(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 6291456
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None).to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp0, None)
''', device_str='cuda')


# Original path: /work/main/src/flashsdpa/kernels/forward.py:70
attention_forward_kernel_0 = async_compile.triton('attention_forward_kernel', '''

import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties

@triton_heuristics.user_autotune(
    configs=[{'num_warps': 4, 'num_stages': 3}],
    inductor_meta={'grid_type': 'FixedGrid', 'fixed_grid': ['_grid_0', '_grid_1', '_grid_2'], 'extra_launcher_args': ['_grid_0', '_grid_1', '_grid_2'], 'kernel_name': 'attention_forward_kernel_0', 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False},
    triton_meta={'signature': {'Q': '*bf16', 'K': '*bf16', 'V': '*bf16', 'Out': '*bf16', 'LSE': '*fp32', 'stride_qb': 'i32', 'stride_qh': 'i32', 'stride_qm': 'i32', 'stride_qd': 'constexpr', 'stride_kb': 'i32', 'stride_kh': 'i32', 'stride_kn': 'i32', 'stride_kd': 'constexpr', 'stride_vb': 'i32', 'stride_vh': 'i32', 'stride_vn': 'i32', 'stride_vd': 'constexpr', 'stride_ob': 'i32', 'stride_oh': 'i32', 'stride_om': 'i32', 'stride_od': 'constexpr', 'Mask': '*bf16', 'Slopes': '*bf16', 'stride_mb': 'i32', 'stride_mh': 'i32', 'stride_mm': 'i32', 'stride_mn': 'i32', 'stride_sb': 'i32', 'stride_sh': 'i32', 'H_Q': 'i32', 'GROUP': 'constexpr', 'S_Q': 'i32', 'S_K': 'i32', 'diag_off': 'i32', 'lo_off': 'i32', 'hi_off': 'i32', 'qk_scale': 'fp64', 'softcap_scale': 'fp64', 'softcap_log2': 'fp64', 'dropout_p': 'fp64', 'Seed': '*i64', 'seed_host': 'i32', 'D_QK': 'constexpr', 'D_V': 'constexpr', 'BLOCK_M': 'constexpr', 'BLOCK_N': 'constexpr', 'BLOCK_DQK': 'constexpr', 'BLOCK_DV': 'constexpr', 'HAS_LO': 'constexpr', 'HAS_HI': 'constexpr', 'MASK_KIND': 'constexpr', 'MASK_INT64': 'constexpr', 'MASK_ROW_BCAST': 'constexpr', 'HAS_ALIBI': 'constexpr', 'HAS_SOFTCAP': 'constexpr', 'HAS_DROPOUT': 'constexpr', 'EVEN_M': 'constexpr', 'EVEN_N': 'constexpr', 'PRECISION': 'constexpr', 'REVERSE_GRID': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {'stride_qd': 1, 'stride_kd': 1, 'stride_vd': 1, 'stride_od': 1, 'GROUP': 1, 'D_QK': 64, 'D_V': 64, 'BLOCK_M': 64, 'BLOCK_N': 64, 'BLOCK_DQK': 64, 'BLOCK_DV': 64, 'HAS_LO': False, 'HAS_HI': True, 'MASK_KIND': 0, 'MASK_INT64': False, 'MASK_ROW_BCAST': False, 'HAS_ALIBI': False, 'HAS_SOFTCAP': False, 'HAS_DROPOUT': True, 'EVEN_M': True, 'EVEN_N': True, 'PRECISION': 'ieee', 'REVERSE_GRID': True}, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]], (10,): [['tt.divisibility', 16]], (11,): [['tt.divisibility', 16]], (13,): [['tt.divisibility', 16]], (14,): [['tt.divisibility', 16]], (15,): [['tt.divisibility', 16]], (17,): [['tt.divisibility', 16]], (18,): [['tt.divisibility', 16]], (19,): [['tt.divisibility', 16]], (21,): [['tt.divisibility', 16]], (22,): [['tt.divisibility', 16]], (23,): [['tt.divisibility', 16]], (24,): [['tt.divisibility', 16]], (25,): [['tt.divisibility', 16]], (26,): [['tt.divisibility', 16]], (27,): [['tt.divisibility', 16]], (28,): [['tt.divisibility', 16]], (31,): [['tt.divisibility', 16]], (32,): [['tt.divisibility', 16]], (33,): [['tt.divisibility', 16]], (34,): [['tt.divisibility', 16]], (35,): [['tt.divisibility', 16]], (40,): [['tt.divisibility', 16]], (41,): [['tt.divisibility', 16]]}]},
    filename=__file__,
    custom_kernel=True,
)
@triton.jit
def attention_forward_kernel(
    Q, K, V, Out, LSE,
    stride_qb, stride_qh, stride_qm, stride_qd,
    stride_kb, stride_kh, stride_kn, stride_kd,
    stride_vb, stride_vh, stride_vn, stride_vd,
    stride_ob, stride_oh, stride_om, stride_od,
    Mask, Slopes, stride_mb, stride_mh, stride_mm, stride_mn,
    stride_sb, stride_sh,
    H_Q, GROUP, S_Q, S_K, diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    dropout_p, Seed, seed_host: tl.int64,
    D_QK: tl.constexpr, D_V: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
    BLOCK_DQK: tl.constexpr, BLOCK_DV: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    EVEN_M: tl.constexpr, EVEN_N: tl.constexpr, PRECISION: tl.constexpr, REVERSE_GRID: tl.constexpr,
):
    MASK_DQK: tl.constexpr = BLOCK_DQK != D_QK
    MASK_DV: tl.constexpr = BLOCK_DV != D_V
    seed = dropout_seed(Seed, seed_host, HAS_DROPOUT)
    qk_scale, softcap_scale, softcap_log2, dropout_p = fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p)
    block_m, bh = row_block_and_head(S_Q, BLOCK_M, REVERSE_GRID, REVERSE_GRID)
    b = bh // H_Q
    h = bh % H_Q
    h_kv = h // GROUP
    # 64-bit base offsets: B*H*S*D may exceed 2**31 elements.
    q_base = Q + b.to(tl.int64) * stride_qb + h.to(tl.int64) * stride_qh
    k_base = K + b.to(tl.int64) * stride_kb + h_kv.to(tl.int64) * stride_kh
    v_base = V + b.to(tl.int64) * stride_vb + h_kv.to(tl.int64) * stride_vh
    o_base = Out + b.to(tl.int64) * stride_ob + h.to(tl.int64) * stride_oh
    mask_base, slope = feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI)

    start_m = block_m * BLOCK_M
    rows = start_m + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_dqk = tl.arange(0, BLOCK_DQK)
    offs_dv = tl.arange(0, BLOCK_DV)

    q_ptrs = q_base + rows[:, None].to(tl.int64) * stride_qm + offs_dqk[None, :] * stride_qd
    q = load_tile(q_ptrs, rows, S_Q, offs_dqk, D_QK, not EVEN_M, MASK_DQK)
    k_offs = offs_dqk[:, None] * stride_kd + offs_n[None, :] * stride_kn
    v_offs = offs_n[:, None] * stride_vn + offs_dv[None, :] * stride_vd

    m_i = tl.full([BLOCK_M], float("-inf"), dtype=tl.float32)
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32)
    acc = tl.zeros([BLOCK_M, BLOCK_DV], dtype=tl.float32)

    start, full_lo, full_hi, end = key_range(start_m, S_K, lo_off, hi_off, mask_base, stride_mn, BLOCK_M, BLOCK_N,
                                             HAS_LO, HAS_HI, EVEN_N, MASK_KIND == 1 and MASK_ROW_BCAST)
    bounds = (start, full_lo, full_hi, end)
    for stage in tl.static_range(3):  # edge tiles, whole tiles, edge tiles; compiled only where they can occur
        if stage == 1 or (stage == 0 and HAS_LO) or (stage == 2 and (HAS_HI or not EVEN_N)):
            acc, m_i, l_i = _attend_tiles(
                acc, m_i, l_i, q, k_base, v_base, k_offs, v_offs, stride_kn, stride_vn,
                mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
                start_m, rows, offs_n, offs_dqk, offs_dv, bounds[stage], bounds[stage + 1], S_Q, S_K, D_QK, D_V,
                diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
                BLOCK_M, BLOCK_N, stage != 1, EVEN_M, HAS_LO, HAS_HI, MASK_KIND, MASK_INT64, MASK_ROW_BCAST,
                HAS_ALIBI, HAS_SOFTCAP, HAS_DROPOUT, MASK_DQK, MASK_DV, PRECISION)

    # [Note] a row that sees no key has l = 0: its output is 0 and its log-sum-exp -inf,
    # deliberately (torch's math path would give NaN there).
    l_safe = tl.where(l_i == 0.0, 1.0, l_i)
    if HAS_DROPOUT:
        l_safe = l_safe * (1.0 - dropout_p)
    out = acc / l_safe[:, None]
    lse = (m_i + tl.math.log2(l_i)) * 0.6931471805599453  # back to natural log
    o_ptrs = o_base + rows[:, None].to(tl.int64) * stride_om + offs_dv[None, :] * stride_od
    store_tile(o_ptrs, out.to(Out.dtype.element_ty), rows, S_Q, offs_dv, D_V, not EVEN_M, MASK_DV)
    lse_ptrs = LSE + bh.to(tl.int64) * S_Q + rows
    if EVEN_M:
        tl.store(lse_ptrs, lse)
    else:
        tl.store(lse_ptrs, lse, mask=rows < S_Q)

@triton.jit
def dropout_seed(Seed, seed_host, HAS_DROPOUT: tl.constexpr):
    """The call's dropout seed: the int64 at Seed plus seed_host, one of them 0.

    [Note] An eager call draws its seed on the host, from the state of torch's generator of the
    tensors' device (backends/flash.py's dropout_seed: no launch, as torch's own dropout), and
    passes it as seed_host with Seed at a zero. A call that a CUDA graph captures (or that
    torch.compile traces) draws it on the GPU into Seed instead, with seed_host 0: every replay
    then draws a new seed, where a host int would be frozen into the graph (every replay
    dropping the same entries). seed_host must be an int64 that Triton does not specialize on
    (see the kernels' do_not_specialize): a per-call value."""
    seed = 0
    if HAS_DROPOUT:
        seed = tl.load(Seed) + seed_host
    return seed

@triton.jit
def fp32_scalars(qk_scale, softcap_scale, softcap_log2, dropout_p):
    """The float arguments as fp32: Triton's JIT passes Python floats so, but inductor passes
    them as fp64 to the kernels it launches (compiled graphs: backends/flash_ops.py's triton ops),
    which would turn the score tiles and accumulators fp64. A no-op in the JIT's binaries."""
    return (tl.cast(qk_scale, tl.float32), tl.cast(softcap_scale, tl.float32), tl.cast(softcap_log2, tl.float32),
            tl.cast(dropout_p, tl.float32))

@triton.jit
def row_block_and_head(seq_len, BLOCK: tl.constexpr, REVERSE: tl.constexpr, LONGEST_FIRST: tl.constexpr):
    """Map the 1D program id to (block index along the sequence, flattened batch*head).

    Blocks of one head are adjacent, so programs running together share K/V in L2 (a 1D grid
    also lifts the 65535 limit of the second grid axis on B*H). REVERSE: the last blocks first.
    LONGEST_FIRST (causal, where a block's work grows or falls with its index: REVERSE when the
    last is the longest): within groups of HEAD_GROUP heads, every head's block of rank 0, then
    rank 1, and so on, so that the last programs to start are short ones; in head order each
    head's longest program starts with its head, for the last heads near the end of the launch
    (benchmarks/schedule_count.py: 5-8% over ideal at 16k tokens, H = 16, against 1-2%).
    """
    num_blocks = tl.cdiv(seq_len, BLOCK)
    pid = tl.program_id(0)
    if LONGEST_FIRST:
        heads_total = tl.num_programs(0) // num_blocks
        group = pid // (HEAD_GROUP * num_blocks)
        heads = tl.minimum(heads_total - group * HEAD_GROUP, HEAD_GROUP)   # the last group may be short
        within = pid - group * HEAD_GROUP * num_blocks
        block = within // heads
        head = group * HEAD_GROUP + within % heads
    else:
        block = pid % num_blocks
        head = pid // num_blocks
    if REVERSE:
        block = num_blocks - 1 - block
    return block, head

HEAD_GROUP = tl.constexpr(16)

@triton.jit
def feature_bases(Mask, Slopes, b, h, stride_mb, stride_mh, stride_sb, stride_sh, HAS_ALIBI: tl.constexpr):
    """The attn_mask base pointer and the base-2 ALiBi slope of one (batch, query head)."""
    mask_base = Mask + b.to(tl.int64) * stride_mb + h.to(tl.int64) * stride_mh
    slope = 0.0
    if HAS_ALIBI:
        slope = tl.load(Slopes + b * stride_sb + h * stride_sh).to(tl.float32) * 1.4426950408889634
    return mask_base, slope

@triton.jit
def load_tile(ptrs, rows, n_rows, cols, n_cols, MASK_ROWS: tl.constexpr, MASK_COLS: tl.constexpr):
    """Load a 2D tile, reading zeros outside [0, n_rows) x [0, n_cols).

    The masks are compile-time optional so that interior tiles of even shapes pay nothing.
    """
    if MASK_ROWS and MASK_COLS:
        return tl.load(ptrs, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols), other=0.0)
    elif MASK_ROWS:
        return tl.load(ptrs, mask=rows[:, None] < n_rows, other=0.0)
    elif MASK_COLS:
        return tl.load(ptrs, mask=cols[None, :] < n_cols, other=0.0)
    else:
        return tl.load(ptrs)

@triton.jit
def key_range(start_m, S_K, lo_off, hi_off, mask_base, stride_mn, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
              HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, EVEN_N: tl.constexpr, KEY_PADDING: tl.constexpr):
    """For query rows [start_m, start_m + BLOCK_M): the key tiles [start, end) that any row
    sees, and within them [full_lo, full_hi), the tiles every row sees whole (no geometric
    masking). KEY_PADDING (a one-row boolean mask): the tiles outside the span of keys it keeps
    are left out too."""
    key_lo = 0
    key_hi = S_K
    if KEY_PADDING:
        key_lo, key_hi = visible_key_span(mask_base, stride_mn, S_K, BLOCK_N)
    start = 0
    end = S_K
    full_lo = 0
    full_hi = S_K
    if HAS_LO:
        start = tl.maximum(start_m + lo_off, 0) // BLOCK_N * BLOCK_N
        full_lo = tl.cdiv(tl.maximum(start_m + BLOCK_M - 1 + lo_off, 0), BLOCK_N) * BLOCK_N
    if HAS_HI:
        end = tl.minimum(S_K, tl.maximum(start_m + BLOCK_M + hi_off, 0))
        full_hi = tl.maximum(start_m + hi_off + 1, 0)
    start = tl.maximum(start, key_lo // BLOCK_N * BLOCK_N)
    end = tl.minimum(end, key_hi)
    start = tl.minimum(start, end)
    full_lo = tl.minimum(tl.maximum(full_lo, start), end)
    if EVEN_N and not HAS_HI:
        full_hi = end
    else:
        full_hi = tl.minimum(full_hi, end) // BLOCK_N * BLOCK_N
    full_hi = tl.maximum(full_hi, full_lo)
    return start, full_lo, full_hi, end

@triton.jit
def visible_key_span(mask_base, stride_mn, S_K, BLOCK_N: tl.constexpr):
    """[first, last) of the key columns that a one-row boolean mask (key padding) keeps;
    (S_K, 0) when it keeps none. Lets a program skip the padded tiles instead of masking them."""
    offs = tl.arange(0, BLOCK_N)
    first = S_K
    last = 0
    for n0 in range(0, S_K, BLOCK_N):
        cols = n0 + offs
        keep = tl.load(mask_base + cols.to(tl.int64) * stride_mn, mask=cols < S_K, other=0) != 0
        first = tl.minimum(first, tl.min(tl.where(keep, cols, S_K)))
        last = tl.maximum(last, tl.max(tl.where(keep, cols + 1, 0)))
    return first, last

@triton.jit
def _attend_tiles(
    acc, m_i, l_i, q, k_base, v_base, k_offs, v_offs, stride_kn, stride_vn,
    mask_base, stride_mm, stride_mn, slope, bh, seed, dropout_p,
    start_m, rows, offs_n, offs_dqk, offs_dv, start_n, end_n, S_Q, S_K, D_QK, D_V,
    diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr, EDGE: tl.constexpr, EVEN_M: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr,
    MASK_ROW_BCAST: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr, HAS_DROPOUT: tl.constexpr,
    MASK_DQK: tl.constexpr, MASK_DV: tl.constexpr, PRECISION: tl.constexpr,
):
    # Scalar base pointers advance per tile; the in-tile offsets stay loop-invariant int32
    # (a tensor of 64-bit pointers would cost two registers per element).
    k_ptr = k_base + tl.cast(start_n, tl.int64) * stride_kn
    v_ptr = v_base + tl.cast(start_n, tl.int64) * stride_vn
    # [Note] a row can lose every key of a tile (edges, masks): its max stays -inf, and a
    # finite stand-in keeps exp2(-inf - -inf) = NaN out of the sums; such rows end with
    # l = 0 and acc = 0.
    GUARD: tl.constexpr = EDGE or MASK_KIND != 0
    m_next = first_key_mask_tile(mask_base, rows, offs_n, start_n, end_n, stride_mm, stride_mn, S_Q,
                                 MASK_KIND, MASK_INT64, MASK_ROW_BCAST)
    for n0 in range(start_n, end_n, BLOCK_N):
        n0 = tl.multiple_of(n0, BLOCK_N)  # every stage starts on a tile boundary: aligned mask loads
        cols = n0 + offs_n
        m, m_next = key_mask_tiles(m_next, mask_base, rows, offs_n, n0, start_n, end_n, stride_mm, stride_mn, S_Q,
                                   S_K, MASK_KIND, MASK_INT64, MASK_ROW_BCAST, BLOCK_N, EDGE or not EVEN_M)
        kT = load_tile(k_ptr + k_offs, offs_dqk, D_QK, cols, S_K, MASK_DQK, EDGE)  # (BLOCK_DQK, BLOCK_N)
        s, _ = tile_scores(matmul(q, kT, PRECISION), rows[:, None], cols[None, :], m, S_K, slope, diag_off,
                           lo_off, hi_off, qk_scale, softcap_scale, softcap_log2, MASK_KIND, HAS_ALIBI,
                           HAS_SOFTCAP, HAS_LO, HAS_HI, EDGE)                 # (BLOCK_M, BLOCK_N), log2 domain
        m_new = tl.maximum(m_i, tl.max(s, 1))
        if GUARD:
            m_sub = tl.where(m_new == float("-inf"), 0.0, m_new)
        else:
            m_sub = m_new
        p = tl.math.exp2(s - m_sub[:, None])
        alpha = tl.math.exp2(m_i - m_sub)
        l_i = l_i * alpha + tl.sum(p, 1)
        if HAS_DROPOUT:  # the normaliser counts every key; only the output sees the dropout
            p = tl.where(dropout_keep(seed, bh, start_m, n0, dropout_p, BLOCK_M, BLOCK_N), p, 0.0)
        v = load_tile(v_ptr + v_offs, cols, S_K, offs_dv, D_V, EDGE, MASK_DV)      # (BLOCK_N, BLOCK_DV)
        acc = acc * alpha[:, None] + matmul(p.to(v.dtype), v, PRECISION)
        m_i = m_new
        k_ptr += BLOCK_N * stride_kn
        v_ptr += BLOCK_N * stride_vn
    return acc, m_i, l_i

@triton.jit
def first_key_mask_tile(mask_base, rows, offs_n, start_n, end_n, stride_mm, stride_mn, S_Q,
                        MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr):
    """Before a loop over key tiles [start_n, end_n): the first 2D mask tile, which
    key_mask_tiles hands out and replaces by the next one (a placeholder when nothing is
    prefetched). Read within [start_n, end_n): the loop may be empty."""
    if MASK_KIND != 0 and not MASK_ROW_BCAST:
        first = load_mask_tile(mask_base, rows[:, None], (start_n + offs_n)[None, :], stride_mm, stride_mn,
                               S_Q, end_n, MASK_KIND, MASK_INT64, False, True)
    else:
        first = 0
    return first

@triton.jit
def load_mask_tile(mask_ptr, r2, c2, stride_mm, stride_mn, S_Q, S_K,
                   MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr,
                   BOUNDS: tl.constexpr):
    """The attn_mask tile of rows r2 and columns c2 (0 when there is no mask).

    [Note] Triton's software pipeliner only stages loads that feed a tl.dot, so a 2D mask
    (a bias of B·H·S_q·S_k elements, as many bytes as the matmuls' time can hide at best)
    would stall every step for its full memory latency. The loops prefetch it by hand: the
    tile of the next step is loaded during this one (registers, one tile ahead)."""
    if MASK_KIND != 0 and MASK_ROW_BCAST:  # one row for all queries (key padding): a 1D load
        if BOUNDS:
            m = tl.load(mask_ptr + c2 * stride_mn, mask=c2 < S_K, other=0)
        else:
            m = tl.load(mask_ptr + c2 * stride_mn)
    elif MASK_KIND != 0:
        if MASK_INT64:
            ptrs = mask_ptr + r2.to(tl.int64) * stride_mm + c2.to(tl.int64) * stride_mn
        else:
            ptrs = mask_ptr + r2 * stride_mm + c2 * stride_mn
        if BOUNDS:
            m = tl.load(ptrs, mask=(r2 < S_Q) & (c2 < S_K), other=0)
        else:
            m = tl.load(ptrs)
    else:
        m = 0
    return m

@triton.jit
def key_mask_tiles(prefetched, mask_base, rows, offs_n, n0, start_n, end_n, stride_mm, stride_mn, S_Q, S_K,
                   MASK_KIND: tl.constexpr, MASK_INT64: tl.constexpr, MASK_ROW_BCAST: tl.constexpr,
                   BLOCK_N: tl.constexpr, BOUNDS: tl.constexpr):
    """In a loop over key tiles: (the mask tile of columns n0 + offs_n, what to pass as
    `prefetched` next step). A 2D tile was loaded one step ahead (see load_mask_tile) and the
    next one is loaded now; a key-padding row is read where it is used."""
    if MASK_KIND != 0 and not MASK_ROW_BCAST:
        m = prefetched
        prefetched = load_mask_tile(mask_base, rows[:, None],
                                    (next_tile_start(n0, start_n, end_n, BLOCK_N) + offs_n)[None, :],
                                    stride_mm, stride_mn, S_Q, S_K, MASK_KIND, MASK_INT64, False, BOUNDS)
    else:
        m = load_mask_tile(mask_base, rows[:, None], (n0 + offs_n)[None, :], stride_mm, stride_mn, S_Q, S_K,
                           MASK_KIND, MASK_INT64, MASK_ROW_BCAST, BOUNDS)
    return m, prefetched

@triton.jit
def next_tile_start(n0, start, end, BLOCK: tl.constexpr):
    """The start of the tile after n0 in a loop over [start, end), or n0 itself for the last
    tile: a prefetch then re-reads that tile (from L2) rather than reading past the range."""
    last = start + tl.maximum(end - start - 1, 0) // BLOCK * BLOCK
    return tl.multiple_of(tl.minimum(n0 + BLOCK, last), BLOCK)

@triton.jit
def tile_scores(
    qk, r2, c2, m, S_K, slope, diag_off, lo_off, hi_off, qk_scale, softcap_scale, softcap_log2,
    MASK_KIND: tl.constexpr, HAS_ALIBI: tl.constexpr, HAS_SOFTCAP: tl.constexpr,
    HAS_LO: tl.constexpr, HAS_HI: tl.constexpr, GEOMETRY: tl.constexpr,
):
    """Base-2 scores of a tile from the raw products qk = q . k and its mask tile m
    (load_mask_tile), and tanh(s / softcap) (the softcap's derivative needs it; qk itself
    without softcap). GEOMETRY: the tile may hold entries outside [lo, hi] or past S_K, which
    get -inf. slope is in base 2 (slope * log2(e))."""
    if HAS_SOFTCAP:
        t = tanh(qk * softcap_scale)
        s = t * softcap_log2
    else:
        t = qk
        s = qk * qk_scale
    if HAS_ALIBI:
        s -= slope * tl.abs(r2 + diag_off - c2).to(tl.float32)
    if MASK_KIND == 1:
        s = tl.where(m != 0, s, float("-inf"))
    elif MASK_KIND == 2:
        s += m.to(tl.float32) * LOG2_E
    if GEOMETRY:
        keep = c2 < S_K
        if HAS_HI:
            keep = keep & (c2 <= r2 + hi_off)
        if HAS_LO:
            keep = keep & (c2 >= r2 + lo_off)
        s = tl.where(keep, s, float("-inf"))
    return s, t

@triton.jit
def tanh(x):
    """tanh from exp2 (the interpreter has no tanh), accurate near 0 through its series."""
    a = tl.abs(x)
    e = tl.math.exp2(a * -2.8853900817779268)  # exp(-2|x|)
    far = (1.0 - e) / (1.0 + e)
    x2 = a * a
    near = a * (1.0 + x2 * (-0.3333333333333333 + x2 * (0.13333333333333333 + x2 * (
        -0.05396825396825397 + x2 * 0.021869488536155203))))
    t = tl.where(a < 0.25, near, far)
    return tl.where(x < 0, -t, t)

LOG2_E = tl.constexpr(1.4426950408889634)

@triton.jit
def matmul(a, b, PRECISION: tl.constexpr):
    """a @ b with fp32 accumulation; PRECISION picks ieee or tf32 for fp32 operands."""
    return tl.dot(a, b, input_precision=PRECISION, out_dtype=tl.float32)

@triton.jit
def dropout_keep(seed, bh, row0, col0, dropout_p, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    """The (BLOCK_M, BLOCK_N) dropout keep-mask of query rows [row0, row0 + BLOCK_M) and key
    columns [col0, col0 + BLOCK_N); row0, col0 and both sizes multiples of 16.

    [Note] Dropout's random bits: Philox (7 rounds, as FlashAttention-2) keyed by the call's
    seed, one counter (key group, query group, batch*head) per 8 scores, 16 bits a score (p
    is resolved to 1/65536), so forward, backward and dropout_keep_mask regenerate the same
    mask in any order. A group is the 8 scores that one thread holds in the accumulator of
    an Ampere/Hopper matmul tile (mma.sync and wgmma: rows r and r + 8, columns c, c + 1,
    c + 8, c + 9): query q belongs to group (q >> 4) * 8 + (q & 7) and key k to group
    (k >> 4) * 4 + ((k >> 1) & 3); bit 0 of k picks the half of a 32-bit word, bit 3 of k
    and bit 3 of q pick the word. Joined back into a tile, the mask lands in the registers
    that hold the scores: no round trip through shared memory (groups of 8 adjacent keys
    took four, with barriers, per tile)."""
    tl.static_assert(BLOCK_M % 16 == 0 and BLOCK_N % 16 == 0, "dropout tiles are whole groups of 16 x 16")
    q_groups = (row0 // 2 + tl.arange(0, BLOCK_M // 2)).to(tl.uint32)
    k_groups = (col0 // 4 + tl.arange(0, BLOCK_N // 4)).to(tl.uint32)
    c0 = k_groups[None, :] + q_groups[:, None] * 0                  # (BLOCK_M // 2, BLOCK_N // 4)
    c1 = q_groups[:, None] + k_groups[None, :] * 0
    zero = c0 * 0
    r0, r1, r2, r3 = tl.philox(seed, c0, c1, zero + bh.to(tl.uint32), zero, n_rounds=7)
    threshold = tl.math.ceil(dropout_p * 65536.0).to(tl.uint32)   # keep a 16-bit draw >= p * 2^16
    # word (k bit 3) + 2 (q bit 3); joins append dims: (.., k bit 0, k bit 3, q bit 3)
    keep = tl.join(tl.join(tl.join((r0 & 0xFFFF) >= threshold, (r0 >> 16) >= threshold),
                           tl.join((r1 & 0xFFFF) >= threshold, (r1 >> 16) >= threshold)),
                   tl.join(tl.join((r2 & 0xFFFF) >= threshold, (r2 >> 16) >= threshold),
                           tl.join((r3 & 0xFFFF) >= threshold, (r3 >> 16) >= threshold)))
    # (q >> 4, q & 7, k >> 4, (k >> 1) & 3, k bit 0, k bit 3, q bit 3) -> (q, k)
    keep = tl.reshape(keep, [BLOCK_M // 16, 8, BLOCK_N // 16, 4, 2, 2, 2])
    keep = tl.permute(keep, [0, 6, 1, 2, 5, 3, 4])
    return tl.reshape(keep, [BLOCK_M, BLOCK_N])

@triton.jit
def store_tile(ptrs, value, rows, n_rows, cols, n_cols, MASK_ROWS: tl.constexpr, MASK_COLS: tl.constexpr):
    if MASK_ROWS and MASK_COLS:
        tl.store(ptrs, value, mask=(rows[:, None] < n_rows) & (cols[None, :] < n_cols))
    elif MASK_ROWS:
        tl.store(ptrs, value, mask=rows[:, None] < n_rows)
    elif MASK_COLS:
        tl.store(ptrs, value, mask=cols[None, :] < n_cols)
    else:
        tl.store(ptrs, value)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/64/c646xjk3jnuol6zm7ip444ahgpm2q37xfy5uvwfxcecg3vl2vsdn.py
# Topologically Sorted Source Nodes: [linear_1], Original ATen: [aten._to_copy, aten.t]
# Source node to ATen node mapping:
#   linear_1 => convert_element_type_4, permute_4
# Graph fragment:
#   %primals_6 : Tensor "f32[384, 384][384, 1]cuda:0" = PlaceHolder[target=primals_6]
#   %convert_element_type_4 : Tensor "bf16[384, 384][384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%primals_6, torch.bfloat16), kwargs = {})
#   %permute_4 : Tensor "bf16[384, 384][1, 384]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.permute.default](args = (%convert_element_type_4, [1, 0]), kwargs = {})
#   return %permute_4
triton_poi_fused__to_copy_t_6 = async_compile.triton('triton_poi_fused__to_copy_t_6', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 262144}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__to_copy_t_6', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 1179648}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__to_copy_t_6(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 147456
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None)
    tmp1 = tmp0.to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp1, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/dk/cdkaqx7rittqdeanslukl3qi4bj4ng3bp7jtd6q62mgo3k2keo77.py
# Topologically Sorted Source Nodes: [add, x, linear_1, dropout_1, x_1, layer_norm_1, input_1, div_13], Original ATen: [aten.add, aten.native_dropout, aten._unsafe_view, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
# Source node to ATen node mapping:
#   add => add
#   div_13 => div_13
#   dropout_1 => convert_element_type_default_12, gt_1, inductor_lookup_seed_default_2, inductor_random_default_11, mul_4, mul_5
#   input_1 => convert_element_type_8
#   layer_norm_1 => add_3, mul_6, mul_7, rsqrt_1, sub_1, var_mean_1
#   linear_1 => view_8
#   x => mul, mul_1
#   x_1 => add_2
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_random_default_11 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=inductor_random_default_11]
#   %gt : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt]
#   %embedding : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=embedding]
#   %embedding_1 : Tensor "f32[256, 384][384, 1]cuda:0" = PlaceHolder[target=embedding_1]
#   %gt_1 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt_1]
#   %mm_1 : Tensor "bf16[16384, 384][384, 1]cuda:0" = PlaceHolder[target=mm_1]
#   %add_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=add_2]
#   %getitem_8 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=getitem_8]
#   %buf25 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=buf25]
#   %mul_6 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=mul_6]
#   %primals_7 : Tensor "f32[384][1]cuda:0" = PlaceHolder[target=primals_7]
#   %add : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%embedding, %embedding_1), kwargs = {})
#   %mul : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt, %add), kwargs = {})
#   %mul_1 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul, 1.1111111111111112), kwargs = {})
#   %view_8 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_1, [64, 256, 384]), kwargs = {})
#   %inductor_lookup_seed_default_2 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 2), kwargs = {})
#   %inductor_random_default_11 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_random.default](args = ([64, 256, 384], %inductor_lookup_seed_default_2, rand), kwargs = {})
#   %convert_element_type_default_12 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%inductor_random_default_11, torch.bfloat16), kwargs = {})
#   %gt_1 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.gt.Scalar](args = (%convert_element_type_default_12, 0.1), kwargs = {})
#   %mul_4 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt_1, %view_8), kwargs = {})
#   %mul_5 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_4, 1.1111111111111112), kwargs = {})
#   %add_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.add.Tensor](args = (%mul_1, %mul_5), kwargs = {})
#   %var_mean_1 : [num_users=2] = call_function[target=torch.ops.aten.var_mean.correction](args = (%add_2, [2]), kwargs = {correction: 0, keepdim: True})
#   %add_3 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%getitem_7, 1e-05), kwargs = {})
#   %rsqrt_1 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.rsqrt.default](args = (%add_3,), kwargs = {})
#   %sub_1 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%add_2, %getitem_8), kwargs = {})
#   %mul_6 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.mul.Tensor](args = (%sub_1, %rsqrt_1), kwargs = {})
#   %mul_7 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_6, %primals_7), kwargs = {})
#   %convert_element_type_8 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_7, torch.bfloat16), kwargs = {})
#   %div_13 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.div.Tensor](args = (%rsqrt_1, 384), kwargs = {})
#   return %inductor_random_default_11,%gt_1,%add_2,%getitem_8,%buf25,%mul_6,%convert_element_type_8,%div_13
triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_7 = async_compile.triton('triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_7', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 512},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'in_ptr1': '*i1', 'in_ptr2': '*fp32', 'in_ptr3': '*fp32', 'in_ptr4': '*bf16', 'in_ptr5': '*fp32', 'out_ptr1': '*i1', 'out_ptr2': '*fp32', 'out_ptr5': '*fp32', 'out_ptr6': '*bf16', 'out_ptr7': '*fp32', 'load_seed_offset': 'i32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]], (8,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]], (10,): [['tt.divisibility', 16]], (12,): [['tt.divisibility', 16]], (13,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_7', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 5, 'num_store': 5, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 131072, 'r0_': 182846976}}
)
@triton.jit
def triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_7(in_ptr0, in_ptr1, in_ptr2, in_ptr3, in_ptr4, in_ptr5, out_ptr1, out_ptr2, out_ptr5, out_ptr6, out_ptr7, load_seed_offset, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 384
    R0_BLOCK: tl.constexpr = 512
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    x2 = (xindex % 256)
    tmp6 = tl.load(in_ptr1 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.int1)
    tmp8 = tl.load(in_ptr2 + (r0_1 + 384*x0), r0_mask, other=0.0)
    tmp9 = tl.load(in_ptr3 + (r0_1 + 384*x2), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp15 = tl.load(in_ptr4 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.float32)
    tmp43 = tl.load(in_ptr5 + (r0_1), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = r0_1 + 384*x0
    tmp2 = tl.rand(tmp0, (tmp1).to(tl.uint32))
    tmp3 = tmp2.to(tl.float32)
    tmp4 = tl.full([1, 1], 0.1, tl.float32)
    tmp5 = tmp3 > tmp4
    tmp7 = tmp6.to(tl.float32)
    tmp10 = tmp8 + tmp9
    tmp11 = tmp7 * tmp10
    tmp12 = tl.full([1, 1], 1.1111111111111112, tl.float32)
    tmp13 = tmp11 * tmp12
    tmp14 = tmp5.to(tl.float32)
    tmp16 = tmp14 * tmp15
    tmp17 = tmp16 * tmp12
    tmp18 = tmp17.to(tl.float32)
    tmp19 = tmp13 + tmp18
    tmp20 = tl.broadcast_to(tmp19, [XBLOCK, R0_BLOCK])
    tmp22 = tl.where(r0_mask, tmp20, 0)
    tmp23 = tl.broadcast_to(tmp20, [XBLOCK, R0_BLOCK])
    tmp25 = tl.where(r0_mask, tmp23, 0)
    tmp26 = tl.sum(tmp25, 1)[:, None].to(tl.float32)
    tmp27 = tl.full([1, 1], 384, tl.int32)
    tmp28 = tmp27.to(tl.float32)
    tmp29 = (tmp26 / tmp28)
    tmp30 = tmp20 - tmp29
    tmp31 = tmp30 * tmp30
    tmp32 = tl.broadcast_to(tmp31, [XBLOCK, R0_BLOCK])
    tmp34 = tl.where(r0_mask, tmp32, 0)
    tmp35 = tl.sum(tmp34, 1)[:, None].to(tl.float32)
    tmp36 = tmp19 - tmp29
    tmp37 = tl.full([1, 1], 384.0, tl.float32)
    tmp38 = (tmp35 / tmp37)
    tmp39 = tl.full([1, 1], 1e-05, tl.float32)
    tmp40 = tmp38 + tmp39
    tmp41 = libdevice.rsqrt(tmp40)
    tmp42 = tmp36 * tmp41
    tmp44 = tmp42 * tmp43
    tmp45 = tmp44.to(tl.float32)
    tmp46 = tl.full([1, 1], 0.0026041666666666665, tl.float32)
    tmp47 = tmp41 * tmp46
    tl.store(out_ptr1 + (r0_1 + 384*x0), tmp5, r0_mask)
    tl.store(out_ptr2 + (r0_1 + 384*x0), tmp19, r0_mask)
    tl.store(out_ptr5 + (r0_1 + 384*x0), tmp42, r0_mask)
    tl.store(out_ptr6 + (r0_1 + 384*x0), tmp45, r0_mask)
    tl.store(out_ptr7 + (x0), tmp47, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/m3/cm3snf2pzcqsoz3ckfhgvpuxkxtne646e2zsxrdgbtckqas5m52i.py
# Topologically Sorted Source Nodes: [input_1], Original ATen: [aten._to_copy, aten.t]
# Source node to ATen node mapping:
#   input_1 => convert_element_type_7, permute_7
# Graph fragment:
#   %primals_8 : Tensor "f32[1536, 384][384, 1]cuda:0" = PlaceHolder[target=primals_8]
#   %convert_element_type_7 : Tensor "bf16[1536, 384][384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%primals_8, torch.bfloat16), kwargs = {})
#   %permute_7 : Tensor "bf16[384, 1536][1, 384]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.permute.default](args = (%convert_element_type_7, [1, 0]), kwargs = {})
#   return %permute_7
triton_poi_fused__to_copy_t_8 = async_compile.triton('triton_poi_fused__to_copy_t_8', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 1048576}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__to_copy_t_8', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 4718592}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__to_copy_t_8(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 589824
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None)
    tmp1 = tmp0.to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp1, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/4s/c4szqjl2gzq63lwumq4xd4tcc343rsl32rftezifo2v4ntrmwx3v.py
# Topologically Sorted Source Nodes: [input_1, input_2], Original ATen: [aten._unsafe_view, aten.gelu]
# Source node to ATen node mapping:
#   input_1 => view_10
#   input_2 => add_4, convert_element_type_11, convert_element_type_12, erf, mul_10, mul_8, mul_9
# Graph fragment:
#   %mm_2 : Tensor "bf16[16384, 1536][1536, 1]cuda:0" = PlaceHolder[target=mm_2]
#   %view_10 : Tensor "bf16[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_2, [64, 256, 1536]), kwargs = {})
#   %convert_element_type_11 : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%view_10, torch.float32), kwargs = {})
#   %mul_8 : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%convert_element_type_11, 0.5), kwargs = {})
#   %mul_9 : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%convert_element_type_11, 0.7071067811865476), kwargs = {})
#   %erf : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.erf.default](args = (%mul_9,), kwargs = {})
#   %add_4 : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%erf, 1), kwargs = {})
#   %mul_10 : Tensor "f32[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_8, %add_4), kwargs = {})
#   %convert_element_type_12 : Tensor "bf16[64, 256, 1536][393216, 1536, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_10, torch.bfloat16), kwargs = {})
#   return %convert_element_type_12
triton_poi_fused__unsafe_view_gelu_9 = async_compile.triton('triton_poi_fused__unsafe_view_gelu_9', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 33554432}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*bf16', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__unsafe_view_gelu_9', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 150994944}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__unsafe_view_gelu_9(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 25165824
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None).to(tl.float32)
    tmp1 = tmp0.to(tl.float32)
    tmp2 = tl.full([1], 0.5, tl.float32)
    tmp3 = tmp1 * tmp2
    tmp4 = tl.full([1], 0.7071067811865476, tl.float32)
    tmp5 = tmp1 * tmp4
    tmp6 = libdevice.erf(tmp5)
    tmp7 = tl.full([1], 1.0, tl.float32)
    tmp8 = tmp6 + tmp7
    tmp9 = tmp3 * tmp8
    tmp10 = tmp9.to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp10, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/rs/crshhwynpbay5ayf6pvs257bxgmkw6paol3rdc7lwrugnntvzkue.py
# Topologically Sorted Source Nodes: [input_3, input_4, x_2, layer_norm_2, linear_4, div_12], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
# Source node to ATen node mapping:
#   div_12 => div_12
#   input_3 => view_12
#   input_4 => convert_element_type_default_11, gt_2, inductor_lookup_seed_default_3, inductor_random_default_10, mul_11, mul_12
#   layer_norm_2 => add_6, mul_13, mul_14, rsqrt_2, sub_2, var_mean_2
#   linear_4 => convert_element_type_17
#   x_2 => add_5
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_random_default_10 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=inductor_random_default_10]
#   %add_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=add_2]
#   %gt_2 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt_2]
#   %mm_3 : Tensor "bf16[16384, 384][384, 1]cuda:0" = PlaceHolder[target=mm_3]
#   %getitem_10 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=getitem_10]
#   %buf37 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=buf37]
#   %mul_13 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=mul_13]
#   %primals_10 : Tensor "f32[384][1]cuda:0" = PlaceHolder[target=primals_10]
#   %view_12 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_3, [64, 256, 384]), kwargs = {})
#   %inductor_lookup_seed_default_3 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 3), kwargs = {})
#   %inductor_random_default_10 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_random.default](args = ([64, 256, 384], %inductor_lookup_seed_default_3, rand), kwargs = {})
#   %convert_element_type_default_11 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%inductor_random_default_10, torch.bfloat16), kwargs = {})
#   %gt_2 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.gt.Scalar](args = (%convert_element_type_default_11, 0.1), kwargs = {})
#   %mul_11 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt_2, %view_12), kwargs = {})
#   %mul_12 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_11, 1.1111111111111112), kwargs = {})
#   %add_5 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.add.Tensor](args = (%add_2, %mul_12), kwargs = {})
#   %var_mean_2 : [num_users=2] = call_function[target=torch.ops.aten.var_mean.correction](args = (%add_5, [2]), kwargs = {correction: 0, keepdim: True})
#   %add_6 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%getitem_9, 1e-05), kwargs = {})
#   %rsqrt_2 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.rsqrt.default](args = (%add_6,), kwargs = {})
#   %sub_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%add_5, %getitem_10), kwargs = {})
#   %mul_13 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.mul.Tensor](args = (%sub_2, %rsqrt_2), kwargs = {})
#   %mul_14 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_13, %primals_10), kwargs = {})
#   %convert_element_type_17 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_14, torch.bfloat16), kwargs = {})
#   %div_12 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.div.Tensor](args = (%rsqrt_2, 384), kwargs = {})
#   return %inductor_random_default_10,%gt_2,%getitem_10,%buf37,%mul_13,%convert_element_type_17,%div_12
triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10 = async_compile.triton('triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 512},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'in_ptr1': '*fp32', 'in_ptr2': '*bf16', 'in_ptr3': '*fp32', 'out_ptr1': '*i1', 'out_ptr4': '*fp32', 'out_ptr5': '*bf16', 'out_ptr6': '*fp32', 'load_seed_offset': 'i32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]], (10,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 3, 'num_store': 4, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 131072, 'r0_': 125830656}}
)
@triton.jit
def triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10(in_ptr0, in_ptr1, in_ptr2, in_ptr3, out_ptr1, out_ptr4, out_ptr5, out_ptr6, load_seed_offset, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 384
    R0_BLOCK: tl.constexpr = 512
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    tmp6 = tl.load(in_ptr1 + (r0_1 + 384*x0), r0_mask, other=0.0)
    tmp8 = tl.load(in_ptr2 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.float32)
    tmp37 = tl.load(in_ptr3 + (r0_1), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = r0_1 + 384*x0
    tmp2 = tl.rand(tmp0, (tmp1).to(tl.uint32))
    tmp3 = tmp2.to(tl.float32)
    tmp4 = tl.full([1, 1], 0.1, tl.float32)
    tmp5 = tmp3 > tmp4
    tmp7 = tmp5.to(tl.float32)
    tmp9 = tmp7 * tmp8
    tmp10 = tl.full([1, 1], 1.1111111111111112, tl.float32)
    tmp11 = tmp9 * tmp10
    tmp12 = tmp11.to(tl.float32)
    tmp13 = tmp6 + tmp12
    tmp14 = tl.broadcast_to(tmp13, [XBLOCK, R0_BLOCK])
    tmp16 = tl.where(r0_mask, tmp14, 0)
    tmp17 = tl.broadcast_to(tmp14, [XBLOCK, R0_BLOCK])
    tmp19 = tl.where(r0_mask, tmp17, 0)
    tmp20 = tl.sum(tmp19, 1)[:, None].to(tl.float32)
    tmp21 = tl.full([1, 1], 384, tl.int32)
    tmp22 = tmp21.to(tl.float32)
    tmp23 = (tmp20 / tmp22)
    tmp24 = tmp14 - tmp23
    tmp25 = tmp24 * tmp24
    tmp26 = tl.broadcast_to(tmp25, [XBLOCK, R0_BLOCK])
    tmp28 = tl.where(r0_mask, tmp26, 0)
    tmp29 = tl.sum(tmp28, 1)[:, None].to(tl.float32)
    tmp30 = tmp13 - tmp23
    tmp31 = tl.full([1, 1], 384.0, tl.float32)
    tmp32 = (tmp29 / tmp31)
    tmp33 = tl.full([1, 1], 1e-05, tl.float32)
    tmp34 = tmp32 + tmp33
    tmp35 = libdevice.rsqrt(tmp34)
    tmp36 = tmp30 * tmp35
    tmp38 = tmp36 * tmp37
    tmp39 = tmp38.to(tl.float32)
    tmp40 = tl.full([1, 1], 0.0026041666666666665, tl.float32)
    tmp41 = tmp35 * tmp40
    tl.store(out_ptr1 + (r0_1 + 384*x0), tmp5, r0_mask)
    tl.store(out_ptr4 + (r0_1 + 384*x0), tmp36, r0_mask)
    tl.store(out_ptr5 + (r0_1 + 384*x0), tmp39, r0_mask)
    tl.store(out_ptr6 + (x0), tmp41, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/yu/cyunh7yxs2tp5a3td7i6uajbzk2ggrepfedtinftn7jn434aq3w6.py
# Topologically Sorted Source Nodes: [seed_1], Original ATen: [aten.randint]
# Source node to ATen node mapping:
#   seed_1 => inductor_lookup_seed_default_4, inductor_randint_default_4
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_lookup_seed_default_4 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 4), kwargs = {})
#   %inductor_randint_default_4 : Tensor "i64[][]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.inductor_randint.default](args = (0, 2147483647, [], %inductor_lookup_seed_default_4), kwargs = {})
#   return %inductor_randint_default_4
triton_poi_fused_randint_11 = async_compile.triton('triton_poi_fused_randint_11', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 1}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'out_ptr0': '*i64', 'load_seed_offset': 'i32', 'xnumel': 'constexpr', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {'xnumel': 1}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused_randint_11', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 0, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused_randint_11(in_ptr0, out_ptr0, load_seed_offset, xnumel, XBLOCK : tl.constexpr):
    xnumel = 1
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = tl.full([1], 0, tl.int32)
    tmp2 = tl.full([1], 0, tl.int64)
    tmp3 = tl.full([1], 2147483647, tl.int64)
    tmp4 = triton_helpers.randint64(tmp0, (tmp1).to(tl.uint32), tmp2, tmp3)
    tl.store(out_ptr0 + (tl.full([XBLOCK], 0, tl.int32)), tmp4, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/px/cpxspr2vkscc5lstfyuwuhhrwvp4mjo5g2vwfkled44tjgrs2ngw.py
# Topologically Sorted Source Nodes: [input_3, input_4, x_2, linear_5, dropout_3, x_3, layer_norm_3, input_5, div_11], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
# Source node to ATen node mapping:
#   div_11 => div_11
#   dropout_3 => convert_element_type_default_10, gt_3, inductor_lookup_seed_default_5, inductor_random_default_9, mul_15, mul_16
#   input_3 => view_12
#   input_4 => mul_11, mul_12
#   input_5 => convert_element_type_24
#   layer_norm_3 => add_8, mul_17, mul_18, rsqrt_3, sub_3, var_mean_3
#   linear_5 => view_21
#   x_2 => add_5
#   x_3 => add_7
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_random_default_9 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=inductor_random_default_9]
#   %add_2 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=add_2]
#   %gt_2 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt_2]
#   %mm_3 : Tensor "bf16[16384, 384][384, 1]cuda:0" = PlaceHolder[target=mm_3]
#   %gt_3 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt_3]
#   %mm_5 : Tensor "bf16[16384, 384][384, 1]cuda:0" = PlaceHolder[target=mm_5]
#   %add_7 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=add_7]
#   %getitem_17 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=getitem_17]
#   %buf55 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=buf55]
#   %mul_17 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=mul_17]
#   %primals_13 : Tensor "f32[384][1]cuda:0" = PlaceHolder[target=primals_13]
#   %view_12 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_3, [64, 256, 384]), kwargs = {})
#   %mul_11 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt_2, %view_12), kwargs = {})
#   %mul_12 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_11, 1.1111111111111112), kwargs = {})
#   %add_5 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.add.Tensor](args = (%add_2, %mul_12), kwargs = {})
#   %view_21 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_5, [64, 256, 384]), kwargs = {})
#   %inductor_lookup_seed_default_5 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 5), kwargs = {})
#   %inductor_random_default_9 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_random.default](args = ([64, 256, 384], %inductor_lookup_seed_default_5, rand), kwargs = {})
#   %convert_element_type_default_10 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%inductor_random_default_9, torch.bfloat16), kwargs = {})
#   %gt_3 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.gt.Scalar](args = (%convert_element_type_default_10, 0.1), kwargs = {})
#   %mul_15 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt_3, %view_21), kwargs = {})
#   %mul_16 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_15, 1.1111111111111112), kwargs = {})
#   %add_7 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.add.Tensor](args = (%add_5, %mul_16), kwargs = {})
#   %var_mean_3 : [num_users=2] = call_function[target=torch.ops.aten.var_mean.correction](args = (%add_7, [2]), kwargs = {correction: 0, keepdim: True})
#   %add_8 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%getitem_16, 1e-05), kwargs = {})
#   %rsqrt_3 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.rsqrt.default](args = (%add_8,), kwargs = {})
#   %sub_3 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%add_7, %getitem_17), kwargs = {})
#   %mul_17 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.mul.Tensor](args = (%sub_3, %rsqrt_3), kwargs = {})
#   %mul_18 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_17, %primals_13), kwargs = {})
#   %convert_element_type_24 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_18, torch.bfloat16), kwargs = {})
#   %div_11 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.div.Tensor](args = (%rsqrt_3, 384), kwargs = {})
#   return %inductor_random_default_9,%gt_3,%add_7,%getitem_17,%buf55,%mul_17,%convert_element_type_24,%div_11
triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12 = async_compile.triton('triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 512},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_out_ptr0': '*fp32', 'in_ptr0': '*i64', 'in_ptr1': '*i1', 'in_ptr2': '*bf16', 'in_ptr3': '*bf16', 'in_ptr4': '*fp32', 'out_ptr1': '*i1', 'out_ptr4': '*fp32', 'out_ptr5': '*bf16', 'out_ptr6': '*fp32', 'load_seed_offset': 'i32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]], (8,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]], (11,): [['tt.divisibility', 16]], (12,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 5, 'num_store': 5, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 131072, 'r0_': 195036672}}
)
@triton.jit
def triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12(in_out_ptr0, in_ptr0, in_ptr1, in_ptr2, in_ptr3, in_ptr4, out_ptr1, out_ptr4, out_ptr5, out_ptr6, load_seed_offset, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 384
    R0_BLOCK: tl.constexpr = 512
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    tmp6 = tl.load(in_out_ptr0 + (r0_1 + 384*x0), r0_mask, other=0.0)
    tmp7 = tl.load(in_ptr1 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.int1)
    tmp9 = tl.load(in_ptr2 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.float32)
    tmp16 = tl.load(in_ptr3 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.float32)
    tmp44 = tl.load(in_ptr4 + (r0_1), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = r0_1 + 384*x0
    tmp2 = tl.rand(tmp0, (tmp1).to(tl.uint32))
    tmp3 = tmp2.to(tl.float32)
    tmp4 = tl.full([1, 1], 0.1, tl.float32)
    tmp5 = tmp3 > tmp4
    tmp8 = tmp7.to(tl.float32)
    tmp10 = tmp8 * tmp9
    tmp11 = tl.full([1, 1], 1.1111111111111112, tl.float32)
    tmp12 = tmp10 * tmp11
    tmp13 = tmp12.to(tl.float32)
    tmp14 = tmp6 + tmp13
    tmp15 = tmp5.to(tl.float32)
    tmp17 = tmp15 * tmp16
    tmp18 = tmp17 * tmp11
    tmp19 = tmp18.to(tl.float32)
    tmp20 = tmp14 + tmp19
    tmp21 = tl.broadcast_to(tmp20, [XBLOCK, R0_BLOCK])
    tmp23 = tl.where(r0_mask, tmp21, 0)
    tmp24 = tl.broadcast_to(tmp21, [XBLOCK, R0_BLOCK])
    tmp26 = tl.where(r0_mask, tmp24, 0)
    tmp27 = tl.sum(tmp26, 1)[:, None].to(tl.float32)
    tmp28 = tl.full([1, 1], 384, tl.int32)
    tmp29 = tmp28.to(tl.float32)
    tmp30 = (tmp27 / tmp29)
    tmp31 = tmp21 - tmp30
    tmp32 = tmp31 * tmp31
    tmp33 = tl.broadcast_to(tmp32, [XBLOCK, R0_BLOCK])
    tmp35 = tl.where(r0_mask, tmp33, 0)
    tmp36 = tl.sum(tmp35, 1)[:, None].to(tl.float32)
    tmp37 = tmp20 - tmp30
    tmp38 = tl.full([1, 1], 384.0, tl.float32)
    tmp39 = (tmp36 / tmp38)
    tmp40 = tl.full([1, 1], 1e-05, tl.float32)
    tmp41 = tmp39 + tmp40
    tmp42 = libdevice.rsqrt(tmp41)
    tmp43 = tmp37 * tmp42
    tmp45 = tmp43 * tmp44
    tmp46 = tmp45.to(tl.float32)
    tmp47 = tl.full([1, 1], 0.0026041666666666665, tl.float32)
    tmp48 = tmp42 * tmp47
    tl.store(out_ptr1 + (r0_1 + 384*x0), tmp5, r0_mask)
    tl.store(in_out_ptr0 + (r0_1 + 384*x0), tmp20, r0_mask)
    tl.store(out_ptr4 + (r0_1 + 384*x0), tmp43, r0_mask)
    tl.store(out_ptr5 + (r0_1 + 384*x0), tmp46, r0_mask)
    tl.store(out_ptr6 + (x0), tmp48, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/ds/cdsicv34ihabjy5eteedtd5hsmzzevxmmhw7zobea625nh2wmuqk.py
# Topologically Sorted Source Nodes: [input_23, input_24, x_12, layer_norm_12, logits, div_2], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
# Source node to ATen node mapping:
#   div_2 => div_2
#   input_23 => view_77
#   input_24 => convert_element_type_default_1, gt_12, inductor_lookup_seed_default_18, inductor_random_default, mul_66, mul_67
#   layer_norm_12 => add_31, mul_68, mul_69, rsqrt_12, sub_12, var_mean_12
#   logits => convert_element_type_97
#   x_12 => add_30
# Graph fragment:
#   %inductor_seeds_default : Tensor "i64[19][1]cuda:0" = PlaceHolder[target=inductor_seeds_default]
#   %inductor_random_default : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=inductor_random_default]
#   %add_27 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=add_27]
#   %gt_12 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=gt_12]
#   %mm_23 : Tensor "bf16[16384, 384][384, 1]cuda:0" = PlaceHolder[target=mm_23]
#   %getitem_55 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=getitem_55]
#   %buf187 : Tensor "f32[64, 256, 1][256, 1, 16384]cuda:0" = PlaceHolder[target=buf187]
#   %mul_68 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0" = PlaceHolder[target=mul_68]
#   %primals_40 : Tensor "f32[384][1]cuda:0" = PlaceHolder[target=primals_40]
#   %view_77 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.reshape.default](args = (%mm_23, [64, 256, 384]), kwargs = {})
#   %inductor_lookup_seed_default_18 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_lookup_seed.default](args = (%inductor_seeds_default, 18), kwargs = {})
#   %inductor_random_default : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.inductor_random.default](args = ([64, 256, 384], %inductor_lookup_seed_default_18, rand), kwargs = {})
#   %convert_element_type_default_1 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%inductor_random_default, torch.bfloat16), kwargs = {})
#   %gt_12 : Tensor "b8[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.gt.Scalar](args = (%convert_element_type_default_1, 0.1), kwargs = {})
#   %mul_66 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%gt_12, %view_77), kwargs = {})
#   %mul_67 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_66, 1.1111111111111112), kwargs = {})
#   %add_30 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.add.Tensor](args = (%add_27, %mul_67), kwargs = {})
#   %var_mean_12 : [num_users=2] = call_function[target=torch.ops.aten.var_mean.correction](args = (%add_30, [2]), kwargs = {correction: 0, keepdim: True})
#   %add_31 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.add.Tensor](args = (%getitem_54, 1e-05), kwargs = {})
#   %rsqrt_12 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.rsqrt.default](args = (%add_31,), kwargs = {})
#   %sub_12 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%add_30, %getitem_55), kwargs = {})
#   %mul_68 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.mul.Tensor](args = (%sub_12, %rsqrt_12), kwargs = {})
#   %mul_69 : Tensor "f32[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.mul.Tensor](args = (%mul_68, %primals_40), kwargs = {})
#   %convert_element_type_97 : Tensor "bf16[64, 256, 384][98304, 384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mul_69, torch.bfloat16), kwargs = {})
#   %div_2 : Tensor "f32[64, 256, 1][256, 1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.div.Tensor](args = (%rsqrt_12, 384), kwargs = {})
#   return %inductor_random_default,%gt_12,%getitem_55,%buf187,%mul_68,%convert_element_type_97,%div_2
triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_13 = async_compile.triton('triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_13', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 512},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_out_ptr0': '*fp32', 'in_ptr0': '*i64', 'in_ptr1': '*bf16', 'in_ptr2': '*fp32', 'out_ptr1': '*i1', 'out_ptr4': '*bf16', 'out_ptr5': '*fp32', 'load_seed_offset': 'i32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (6,): [['tt.divisibility', 16]], (8,): [['tt.divisibility', 16]], (9,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_13', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 3, 'num_store': 4, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 131072, 'r0_': 125830656}}
)
@triton.jit
def triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_13(in_out_ptr0, in_ptr0, in_ptr1, in_ptr2, out_ptr1, out_ptr4, out_ptr5, load_seed_offset, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 384
    R0_BLOCK: tl.constexpr = 512
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = r0_index < r0_numel
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    tmp6 = tl.load(in_out_ptr0 + (r0_1 + 384*x0), r0_mask, other=0.0)
    tmp8 = tl.load(in_ptr1 + (r0_1 + 384*x0), r0_mask, other=0.0).to(tl.float32)
    tmp37 = tl.load(in_ptr2 + (r0_1), r0_mask, eviction_policy='evict_last', other=0.0)
    tmp0 = tl.load(in_ptr0 + load_seed_offset)
    tmp1 = r0_1 + 384*x0
    tmp2 = tl.rand(tmp0, (tmp1).to(tl.uint32))
    tmp3 = tmp2.to(tl.float32)
    tmp4 = tl.full([1, 1], 0.1, tl.float32)
    tmp5 = tmp3 > tmp4
    tmp7 = tmp5.to(tl.float32)
    tmp9 = tmp7 * tmp8
    tmp10 = tl.full([1, 1], 1.1111111111111112, tl.float32)
    tmp11 = tmp9 * tmp10
    tmp12 = tmp11.to(tl.float32)
    tmp13 = tmp6 + tmp12
    tmp14 = tl.broadcast_to(tmp13, [XBLOCK, R0_BLOCK])
    tmp16 = tl.where(r0_mask, tmp14, 0)
    tmp17 = tl.broadcast_to(tmp14, [XBLOCK, R0_BLOCK])
    tmp19 = tl.where(r0_mask, tmp17, 0)
    tmp20 = tl.sum(tmp19, 1)[:, None].to(tl.float32)
    tmp21 = tl.full([1, 1], 384, tl.int32)
    tmp22 = tmp21.to(tl.float32)
    tmp23 = (tmp20 / tmp22)
    tmp24 = tmp14 - tmp23
    tmp25 = tmp24 * tmp24
    tmp26 = tl.broadcast_to(tmp25, [XBLOCK, R0_BLOCK])
    tmp28 = tl.where(r0_mask, tmp26, 0)
    tmp29 = tl.sum(tmp28, 1)[:, None].to(tl.float32)
    tmp30 = tmp13 - tmp23
    tmp31 = tl.full([1, 1], 384.0, tl.float32)
    tmp32 = (tmp29 / tmp31)
    tmp33 = tl.full([1, 1], 1e-05, tl.float32)
    tmp34 = tmp32 + tmp33
    tmp35 = libdevice.rsqrt(tmp34)
    tmp36 = tmp30 * tmp35
    tmp38 = tmp36 * tmp37
    tmp39 = tmp38.to(tl.float32)
    tmp40 = tl.full([1, 1], 0.0026041666666666665, tl.float32)
    tmp41 = tmp35 * tmp40
    tl.store(out_ptr1 + (r0_1 + 384*x0), tmp5, r0_mask)
    tl.store(in_out_ptr0 + (r0_1 + 384*x0), tmp36, r0_mask)
    tl.store(out_ptr4 + (r0_1 + 384*x0), tmp39, r0_mask)
    tl.store(out_ptr5 + (x0), tmp41, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/bs/cbsncsq7o4qzm4lxjbbdmz2ntmark6hj7c35fvwui7vajfd23lzt.py
# Topologically Sorted Source Nodes: [logits], Original ATen: [aten._to_copy, aten.t]
# Source node to ATen node mapping:
#   logits => convert_element_type_96, permute_54
# Graph fragment:
#   %primals_1 : Tensor "f32[256, 384][384, 1]cuda:0" = PlaceHolder[target=primals_1]
#   %convert_element_type_96 : Tensor "bf16[256, 384][384, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%primals_1, torch.bfloat16), kwargs = {})
#   %permute_54 : Tensor "bf16[384, 256][1, 384]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.permute.default](args = (%convert_element_type_96, [1, 0]), kwargs = {})
#   return %permute_54
triton_poi_fused__to_copy_t_14 = async_compile.triton('triton_poi_fused__to_copy_t_14', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.pointwise(
    size_hints={'x': 131072}, 
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*fp32', 'out_ptr0': '*bf16', 'xnumel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_poi_fused__to_copy_t_14', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 1, 'num_store': 1, 'num_reduction': 0, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 786432}},
    min_elem_per_thread=0
)
@triton.jit
def triton_poi_fused__to_copy_t_14(in_ptr0, out_ptr0, xnumel, XBLOCK : tl.constexpr):
    xnumel = 98304
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:]
    xmask = tl.full([XBLOCK], True, tl.int1)[:]
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (x0), None)
    tmp1 = tmp0.to(tl.float32)
    tl.store(out_ptr0 + (x0), tmp1, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/d7/cd7hi7kew3ssgx54sfvnpyjosuz5tqdzanzfco7k25m2kg2cncqe.py
# Topologically Sorted Source Nodes: [cross_entropy], Original ATen: [aten._log_softmax, prims.prepare_softmax_online]
# Source node to ATen node mapping:
#   cross_entropy => convert_element_type_100, log
# Graph fragment:
#   %mm_24 : Tensor "bf16[16384, 256][256, 1]cuda:0" = PlaceHolder[target=mm_24]
#   %getitem_57 : Tensor "f32[16384, 1][1, 16384]cuda:0" = PlaceHolder[target=getitem_57]
#   %convert_element_type_100 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mm_24, torch.float32), kwargs = {})
#   %prepare_softmax_online_default : [num_users=2] = call_function[target=torch.ops.prims.prepare_softmax_online.default](args = (%convert_element_type_100, 1), kwargs = {})
#   %log : Tensor "f32[16384, 1][1, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.log.default](args = (%getitem_57,), kwargs = {})
#   return %getitem_56,%getitem_57,%log
triton_per_fused__log_softmax_prepare_softmax_online_15 = async_compile.triton('triton_per_fused__log_softmax_prepare_softmax_online_15', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 16384, 'r0_': 256},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_out_ptr0': '*fp32', 'in_ptr0': '*bf16', 'out_ptr0': '*fp32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__log_softmax_prepare_softmax_online_15', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 1, 'num_store': 2, 'num_reduction': 4, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 262144, 'r0_': 8388608}}
)
@triton.jit
def triton_per_fused__log_softmax_prepare_softmax_online_15(in_out_ptr0, in_ptr0, out_ptr0, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 16384
    r0_numel = 256
    R0_BLOCK: tl.constexpr = 256
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = tl.full([R0_BLOCK], True, tl.int1)[None, :]
    roffset = r0_offset
    rindex = r0_index
    r0_1 = r0_index
    x0 = xindex
    tmp0 = tl.load(in_ptr0 + (r0_1 + 256*x0), None).to(tl.float32)
    tmp1 = tmp0.to(tl.float32)
    tmp2 = tl.broadcast_to(tmp1, [XBLOCK, R0_BLOCK])
    tmp4 = tl.broadcast_to(tmp2, [XBLOCK, R0_BLOCK])
    tmp6 = triton_helpers.max2(tmp4, 1)[:, None].to(tl.float32)
    tmp7 = tmp2 - tmp6
    tmp8 = libdevice.exp(tmp7)
    tmp9 = tl.broadcast_to(tmp8, [XBLOCK, R0_BLOCK])
    tmp11 = tl.sum(tmp9, 1)[:, None].to(tl.float32)
    tmp12 = tl_math.log(tmp11)
    tl.debug_barrier()
    tl.store(in_out_ptr0 + (x0), tmp12, None)
    tl.store(out_ptr0 + (x0), tmp6, None)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/4t/c4tr3s4frmpqtfno7666odv66ouhzpzoof2m3666hjcp5w5scb5m.py
# Topologically Sorted Source Nodes: [view_7, cross_entropy], Original ATen: [aten.view, aten._log_softmax, aten.sub, aten._to_copy, aten.nll_loss_forward]
# Source node to ATen node mapping:
#   cross_entropy => convert_element_type_100, convert_element_type_101, convert_element_type_102, full_default, full_default_1, gather, ne, neg, squeeze, sub_14, sum_2, sum_3, unsqueeze, where, where_1
#   view_7 => view_81
# Graph fragment:
#   %primals_41 : Tensor "i64[64, 256][256, 1]cuda:0" = PlaceHolder[target=primals_41]
#   %mm_24 : Tensor "bf16[16384, 256][256, 1]cuda:0" = PlaceHolder[target=mm_24]
#   %getitem_56 : Tensor "f32[16384, 1][1, 1]cuda:0" = PlaceHolder[target=getitem_56]
#   %log : Tensor "f32[16384, 1][1, 1]cuda:0" = PlaceHolder[target=log]
#   %view_81 : Tensor "i64[16384][1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.reshape.default](args = (%primals_41, [-1]), kwargs = {})
#   %convert_element_type_100 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mm_24, torch.float32), kwargs = {})
#   %sub_tensor : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.sub.Tensor](args = (%convert_element_type_100, %getitem_56), kwargs = {})
#   %sub_14 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%sub_tensor, %log), kwargs = {})
#   %convert_element_type_101 : Tensor "bf16[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%sub_14, torch.bfloat16), kwargs = {})
#   %convert_element_type_102 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%convert_element_type_101, torch.float32), kwargs = {})
#   %ne : Tensor "b8[16384][1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.ne.Scalar](args = (%view_81, -100), kwargs = {})
#   %full_default : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.full.default](args = ([], 0), kwargs = {dtype: torch.int64, layout: torch.strided, device: cuda:0, pin_memory: False})
#   %where : Tensor "i64[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.where.self](args = (%ne, %view_81, %full_default), kwargs = {})
#   %unsqueeze : Tensor "i64[16384, 1][1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.unsqueeze.default](args = (%where, 1), kwargs = {})
#   %gather : Tensor "f32[16384, 1][1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.gather.default](args = (%convert_element_type_102, 1, %unsqueeze), kwargs = {})
#   %squeeze : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.squeeze.dim](args = (%gather, 1), kwargs = {})
#   %neg : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.neg.default](args = (%squeeze,), kwargs = {})
#   %full_default_1 : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.full.default](args = ([], 0.0), kwargs = {dtype: torch.float32, layout: torch.strided, device: cuda:0, pin_memory: False})
#   %where_1 : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.where.self](args = (%ne, %neg, %full_default_1), kwargs = {})
#   %sum_2 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sum.default](args = (%ne,), kwargs = {})
#   %sum_3 : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sum.default](args = (%where_1,), kwargs = {})
#   return %buf197,%buf201
triton_red_fused__log_softmax__to_copy_nll_loss_forward_sub_view_16 = async_compile.triton('triton_red_fused__log_softmax__to_copy_nll_loss_forward_sub_view_16', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.reduction(
    size_hints={'x': 2, 'r0_': 8192},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_ptr0': '*i64', 'in_ptr1': '*bf16', 'in_ptr2': '*fp32', 'in_ptr3': '*fp32', 'out_ptr0': '*i64', 'out_ptr1': '*fp32', 'xnumel': 'i32', 'r0_numel': 'i32', 'XBLOCK': 'constexpr', 'R0_BLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]], (4,): [['tt.divisibility', 16]], (5,): [['tt.divisibility', 16]], (7,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_red_fused__log_softmax__to_copy_nll_loss_forward_sub_view_16', 'mutated_arg_names': [], 'optimize_mem': False, 'no_x_dim': False, 'atomic_add_found': False, 'num_load': 3, 'num_store': 2, 'num_reduction': 2, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'x': 12, 'r0_': 262144}}
)
@triton.jit
def triton_red_fused__log_softmax__to_copy_nll_loss_forward_sub_view_16(in_ptr0, in_ptr1, in_ptr2, in_ptr3, out_ptr0, out_ptr1, xnumel, r0_numel, XBLOCK : tl.constexpr, R0_BLOCK : tl.constexpr):
    xnumel = 2
    r0_numel = 8192
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = xindex < xnumel
    r0_base = tl.arange(0, R0_BLOCK)[None, :]
    rbase = r0_base
    x0 = xindex
    _tmp5 = tl.full([XBLOCK, R0_BLOCK], 0, tl.int64)
    _tmp26 = tl.full([XBLOCK, R0_BLOCK], 0, tl.float32)
    for r0_offset in tl.range(0, r0_numel, R0_BLOCK):
        r0_index = r0_offset + r0_base
        r0_mask = r0_index < r0_numel
        roffset = r0_offset
        rindex = r0_index
        r0_1 = r0_index
        tmp0 = tl.load(in_ptr0 + (r0_1 + 8192*x0), r0_mask & xmask, eviction_policy='evict_first', other=0.0)
        tmp16 = tl.load(in_ptr2 + (r0_1 + 8192*x0), r0_mask & xmask, eviction_policy='evict_first', other=0.0)
        tmp18 = tl.load(in_ptr3 + (r0_1 + 8192*x0), r0_mask & xmask, eviction_policy='evict_first', other=0.0)
        tmp1 = tl.full([1, 1], -100, tl.int64)
        tmp2 = tmp0 != tmp1
        tmp3 = tmp2.to(tl.int64)
        tmp4 = tl.broadcast_to(tmp3, [XBLOCK, R0_BLOCK])
        tmp6 = _tmp5 + tmp4
        _tmp5 = tl.where(r0_mask & xmask, tmp6, _tmp5)
        tmp7 = tl.full([1, 1], 0, tl.int64)
        tmp8 = tl.where(tmp2, tmp0, tmp7)
        tmp9 = tl.full([1, 1], 256, tl.int32)
        tmp10 = tmp8 + tmp9
        tmp11 = tmp8 < 0
        tmp12 = tl.where(tmp11, tmp10, tmp8)
        tl.device_assert(((0 <= tmp12) & (tmp12 < 256)) | ~(r0_mask & xmask), "index out of bounds: 0 <= tmp12 < 256")
        tmp14 = tl.load(in_ptr1 + (tmp12 + 256*r0_1 + 2097152*x0), r0_mask & xmask, eviction_policy='evict_last', other=0.0).to(tl.float32)
        tmp15 = tmp14.to(tl.float32)
        tmp17 = tmp15 - tmp16
        tmp19 = tmp17 - tmp18
        tmp20 = tmp19.to(tl.float32)
        tmp21 = tmp20.to(tl.float32)
        tmp22 = -tmp21
        tmp23 = tl.full([1, 1], 0.0, tl.float32)
        tmp24 = tl.where(tmp2, tmp22, tmp23)
        tmp25 = tl.broadcast_to(tmp24, [XBLOCK, R0_BLOCK])
        tmp27 = _tmp26 + tmp25
        _tmp26 = tl.where(r0_mask & xmask, tmp27, _tmp26)
    tmp5 = tl.sum(_tmp5, 1)[:, None]
    tmp26 = tl.sum(_tmp26, 1)[:, None]
    tl.store(out_ptr0 + (x0), tmp5, xmask)
    tl.store(out_ptr1 + (x0), tmp26, xmask)
''', device_str='cuda')


# kernel path: /tmp/torchinductor_root/so/csocisvm5hednmclqtbccu36ftdkdonpadbe45ihnfebcmx6sxpb.py
# Topologically Sorted Source Nodes: [view_7, cross_entropy], Original ATen: [aten.view, aten._log_softmax, aten.sub, aten._to_copy, aten.nll_loss_forward]
# Source node to ATen node mapping:
#   cross_entropy => convert_element_type_100, convert_element_type_101, convert_element_type_102, convert_element_type_103, div, full_default, full_default_1, gather, ne, neg, squeeze, sub_14, sum_2, sum_3, unsqueeze, where, where_1
#   view_7 => view_81
# Graph fragment:
#   %buf201 : Tensor "f32[2][1]cuda:0" = PlaceHolder[target=buf201]
#   %buf197 : Tensor "i64[2][1]cuda:0" = PlaceHolder[target=buf197]
#   %sum_2 : Tensor "i64[][]cuda:0" = PlaceHolder[target=sum_2]
#   %sum_3 : Tensor "f32[][]cuda:0" = PlaceHolder[target=sum_3]
#   %convert_element_type_103 : Tensor "f32[][]cuda:0" = PlaceHolder[target=convert_element_type_103]
#   %view_81 : Tensor "i64[16384][1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.reshape.default](args = (%primals_41, [-1]), kwargs = {})
#   %convert_element_type_100 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%mm_24, torch.float32), kwargs = {})
#   %sub_tensor : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=2] = call_function[target=torch.ops.aten.sub.Tensor](args = (%convert_element_type_100, %getitem_56), kwargs = {})
#   %sub_14 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sub.Tensor](args = (%sub_tensor, %log), kwargs = {})
#   %convert_element_type_101 : Tensor "bf16[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%sub_14, torch.bfloat16), kwargs = {})
#   %convert_element_type_102 : Tensor "f32[16384, 256][256, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%convert_element_type_101, torch.float32), kwargs = {})
#   %ne : Tensor "b8[16384][1]cuda:0"[num_users=3] = call_function[target=torch.ops.aten.ne.Scalar](args = (%view_81, -100), kwargs = {})
#   %full_default : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.full.default](args = ([], 0), kwargs = {dtype: torch.int64, layout: torch.strided, device: cuda:0, pin_memory: False})
#   %where : Tensor "i64[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.where.self](args = (%ne, %view_81, %full_default), kwargs = {})
#   %unsqueeze : Tensor "i64[16384, 1][1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.unsqueeze.default](args = (%where, 1), kwargs = {})
#   %gather : Tensor "f32[16384, 1][1, 1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.gather.default](args = (%convert_element_type_102, 1, %unsqueeze), kwargs = {})
#   %squeeze : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.squeeze.dim](args = (%gather, 1), kwargs = {})
#   %neg : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.neg.default](args = (%squeeze,), kwargs = {})
#   %full_default_1 : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.full.default](args = ([], 0.0), kwargs = {dtype: torch.float32, layout: torch.strided, device: cuda:0, pin_memory: False})
#   %where_1 : Tensor "f32[16384][1]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.where.self](args = (%ne, %neg, %full_default_1), kwargs = {})
#   %sum_2 : Tensor "i64[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sum.default](args = (%ne,), kwargs = {})
#   %convert_element_type_103 : Tensor "f32[][]cuda:0"[num_users=2] = call_function[target=torch.ops.prims.convert_element_type.default](args = (%sum_2, torch.float32), kwargs = {})
#   %sum_3 : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.sum.default](args = (%where_1,), kwargs = {})
#   %div : Tensor "f32[][]cuda:0"[num_users=1] = call_function[target=torch.ops.aten.div.Tensor](args = (%sum_3, %convert_element_type_103), kwargs = {})
#   return %sum_3,%sum_2,%convert_element_type_103,%div
triton_per_fused__log_softmax__to_copy_nll_loss_forward_sub_view_17 = async_compile.triton('triton_per_fused__log_softmax__to_copy_nll_loss_forward_sub_view_17', '''
import triton
import triton.language as tl

from torch._inductor.runtime import triton_helpers, triton_heuristics
from torch._inductor.runtime.triton_helpers import libdevice, math as tl_math
from torch._inductor.runtime.hints import AutotuneHint, ReductionHint, TileHint, DeviceProperties
triton_helpers.set_driver_to_gpu()

@triton_heuristics.persistent_reduction(
    size_hints={'x': 1, 'r0_': 2},
    reduction_hint=ReductionHint.INNER,
    filename=__file__,
    triton_meta={'signature': {'in_out_ptr0': '*fp32', 'in_ptr0': '*fp32', 'in_ptr1': '*i64', 'out_ptr1': '*fp32', 'xnumel': 'constexpr', 'r0_numel': 'i32', 'XBLOCK': 'constexpr'}, 'device': DeviceProperties(type='cuda', index=0, multi_processor_count=132, cc=90, major=9, regs_per_multiprocessor=65536, max_threads_per_multi_processor=2048, max_threads_per_block=1024, warp_size=32), 'constants': {'xnumel': 1}, 'native_matmul': False, 'enable_fp_fusion': True, 'launch_pdl': False, 'disable_ftz': False, 'configs': [{(0,): [['tt.divisibility', 16]], (1,): [['tt.divisibility', 16]], (2,): [['tt.divisibility', 16]], (3,): [['tt.divisibility', 16]]}]},
    inductor_meta={'grid_type': 'Grid1D', 'autotune_hints': set(), 'kernel_name': 'triton_per_fused__log_softmax__to_copy_nll_loss_forward_sub_view_17', 'mutated_arg_names': ['in_out_ptr0'], 'optimize_mem': False, 'no_x_dim': None, 'atomic_add_found': False, 'num_load': 2, 'num_store': 2, 'num_reduction': 2, 'backend_hash': '91D1D1166449D9E2EB66EB9770C9E2C3B0FEB787341F27FEB4D3F0338DA50336', 'assert_indirect_indexing': True, 'autotune_local_cache': True, 'autotune_pointwise': True, 'autotune_remote_cache': None, 'force_disable_caches': False, 'dynamic_scale_rblock': True, 'max_autotune': False, 'max_autotune_pointwise': False, 'min_split_scan_rblock': 256, 'spill_threshold': 16, 'store_cubin': False, 'deterministic': False, 'force_filter_reduction_configs': False, 'mix_order_reduction_allow_multi_stages': False, 'are_deterministic_algorithms_enabled': False, 'tiling_scores': {'r0_': 6}}
)
@triton.jit
def triton_per_fused__log_softmax__to_copy_nll_loss_forward_sub_view_17(in_out_ptr0, in_ptr0, in_ptr1, out_ptr1, xnumel, r0_numel, XBLOCK : tl.constexpr):
    xnumel = 1
    r0_numel = 2
    R0_BLOCK: tl.constexpr = 2
    rnumel = r0_numel
    RBLOCK: tl.constexpr = R0_BLOCK
    xoffset = tl.program_id(0) * XBLOCK
    xindex = xoffset + tl.arange(0, XBLOCK)[:, None]
    xmask = tl.full([XBLOCK], True, tl.int1)[:, None]
    r0_index = tl.arange(0, R0_BLOCK)[None, :]
    r0_offset = 0
    r0_mask = tl.full([R0_BLOCK], True, tl.int1)[None, :]
    roffset = r0_offset
    rindex = r0_index
    r0_0 = r0_index
    tmp0 = tl.load(in_ptr0 + (r0_0), None)
    tmp4 = tl.load(in_ptr1 + (r0_0), None)
    tmp1 = tl.broadcast_to(tmp0, [XBLOCK, R0_BLOCK])
    tmp3 = tl.sum(tmp1, 1)[:, None].to(tl.float32)
    tmp5 = tl.broadcast_to(tmp4, [XBLOCK, R0_BLOCK])
    tmp7 = tl.sum(tmp5, 1)[:, None].to(tl.int64)
    tmp8 = tmp7.to(tl.float32)
    tmp9 = (tmp3 / tmp8)
    tl.store(out_ptr1 + (tl.full([1, 1], 0, tl.int32).broadcast_to(XBLOCK, 1)), tmp8, None)
    tl.debug_barrier()
    tl.store(in_out_ptr0 + (tl.full([1, 1], 0, tl.int32).broadcast_to(XBLOCK, 1)), tmp9, None)
''', device_str='cuda')


async_compile.wait(globals())
del async_compile

class Runner:
    def __init__(self, partitions):
        self.partitions = partitions

    def recursively_apply_fns(self, fns):
        new_callables = []
        for fn, c in zip(fns, self.partitions):
            new_callables.append(fn(c))
        self.partitions = new_callables

    def call(self, args):
        primals_1, primals_2, primals_3, primals_4, primals_5, primals_6, primals_7, primals_8, primals_9, primals_10, primals_11, primals_12, primals_13, primals_14, primals_15, primals_16, primals_17, primals_18, primals_19, primals_20, primals_21, primals_22, primals_23, primals_24, primals_25, primals_26, primals_27, primals_28, primals_29, primals_30, primals_31, primals_32, primals_33, primals_34, primals_35, primals_36, primals_37, primals_38, primals_39, primals_40, primals_41 = args
        args.clear()
        assert_size_stride(primals_1, (256, 384), (384, 1))
        assert_size_stride(primals_2, (64, 256), (256, 1))
        assert_size_stride(primals_3, (256, 384), (384, 1))
        assert_size_stride(primals_4, (384, ), (1, ))
        assert_size_stride(primals_5, (1152, 384), (384, 1))
        assert_size_stride(primals_6, (384, 384), (384, 1))
        assert_size_stride(primals_7, (384, ), (1, ))
        assert_size_stride(primals_8, (1536, 384), (384, 1))
        assert_size_stride(primals_9, (384, 1536), (1536, 1))
        assert_size_stride(primals_10, (384, ), (1, ))
        assert_size_stride(primals_11, (1152, 384), (384, 1))
        assert_size_stride(primals_12, (384, 384), (384, 1))
        assert_size_stride(primals_13, (384, ), (1, ))
        assert_size_stride(primals_14, (1536, 384), (384, 1))
        assert_size_stride(primals_15, (384, 1536), (1536, 1))
        assert_size_stride(primals_16, (384, ), (1, ))
        assert_size_stride(primals_17, (1152, 384), (384, 1))
        assert_size_stride(primals_18, (384, 384), (384, 1))
        assert_size_stride(primals_19, (384, ), (1, ))
        assert_size_stride(primals_20, (1536, 384), (384, 1))
        assert_size_stride(primals_21, (384, 1536), (1536, 1))
        assert_size_stride(primals_22, (384, ), (1, ))
        assert_size_stride(primals_23, (1152, 384), (384, 1))
        assert_size_stride(primals_24, (384, 384), (384, 1))
        assert_size_stride(primals_25, (384, ), (1, ))
        assert_size_stride(primals_26, (1536, 384), (384, 1))
        assert_size_stride(primals_27, (384, 1536), (1536, 1))
        assert_size_stride(primals_28, (384, ), (1, ))
        assert_size_stride(primals_29, (1152, 384), (384, 1))
        assert_size_stride(primals_30, (384, 384), (384, 1))
        assert_size_stride(primals_31, (384, ), (1, ))
        assert_size_stride(primals_32, (1536, 384), (384, 1))
        assert_size_stride(primals_33, (384, 1536), (1536, 1))
        assert_size_stride(primals_34, (384, ), (1, ))
        assert_size_stride(primals_35, (1152, 384), (384, 1))
        assert_size_stride(primals_36, (384, 384), (384, 1))
        assert_size_stride(primals_37, (384, ), (1, ))
        assert_size_stride(primals_38, (1536, 384), (384, 1))
        assert_size_stride(primals_39, (384, 1536), (1536, 1))
        assert_size_stride(primals_40, (384, ), (1, ))
        assert_size_stride(primals_41, (64, 256), (256, 1))
        with torch.cuda._DeviceGuard(0):
            torch.cuda.set_device(0)
            buf2 = empty_strided_cuda((256, 384), (384, 1), torch.float32)
            # Topologically Sorted Source Nodes: [embedding_1], Original ATen: [aten.embedding]
            stream0 = get_raw_stream(0)
            triton_poi_fused_embedding_0.run(primals_3, buf2, 98304, stream=stream0)
            del primals_3
            buf3 = empty_strided_cuda((19, ), (1, ), torch.int64)
            # Topologically Sorted Source Nodes: [], Original ATen: []
            aten.randint.low_out(-9223372036854775808, 9223372036854775807, [19], out=buf3)
            buf5 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf0 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf6 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            buf7 = empty_strided_cuda((64, 256, 1), (256, 1, 16384), torch.float32)
            buf9 = reinterpret_tensor(buf7, (64, 256, 1), (256, 1, 1), 0); del buf7  # reuse
            buf11 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [embedding, add, x, layer_norm, linear], Original ATen: [aten.embedding, aten.add, aten.native_dropout, aten.native_layer_norm, aten._to_copy]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy_add_embedding_native_dropout_native_layer_norm_1.run(buf9, buf3, primals_2, primals_1, buf2, primals_4, buf5, buf0, buf6, buf11, 0, 16384, 384, stream=stream0)
            buf1 = empty_strided_cuda((256, ), (1, ), torch.int64)
            # Topologically Sorted Source Nodes: [arange], Original ATen: [aten.arange]
            stream0 = get_raw_stream(0)
            triton_poi_fused_arange_2.run(buf1, 256, stream=stream0)
            buf10 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_5, buf10, 442368, stream=stream0)
            del primals_5
            buf12 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [add, x, layer_norm, linear], Original ATen: [aten.add, aten.native_dropout, aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf11, (16384, 384), (384, 1), 0), buf10, out=buf12)
            buf13 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_4.run(buf3, buf13, 1, 1, stream=stream0)
            buf14 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf15 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf16 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf14, buf16, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear, qkv, permute, unbind, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf16, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf15, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf13, 0, 1536, 1, 1, stream=stream0)
            buf19 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_1], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_6, buf19, 147456, stream=stream0)
            del primals_6
            buf20 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_1], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf16, (16384, 384), (384, 1), 0), buf19, out=buf20)
            buf22 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf23 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf27 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf29 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf214 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [add, x, linear_1, dropout_1, x_1, layer_norm_1, input_1, div_13], Original ATen: [aten.add, aten.native_dropout, aten._unsafe_view, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_7.run(buf3, buf5, buf0, buf2, buf20, primals_7, buf22, buf23, buf27, buf29, buf214, 2, 16384, 384, stream=stream0)
            buf28 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_1], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_8, buf28, 589824, stream=stream0)
            del primals_8
            buf30 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_1, input_1], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf29, (16384, 384), (384, 1), 0), buf28, out=buf30)
            buf31 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_3], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_9, buf31, 589824, stream=stream0)
            del primals_9
            buf32 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_1, input_2], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf30, buf32, 25165824, stream=stream0)
            buf33 = buf20; del buf20  # reuse
            # Topologically Sorted Source Nodes: [input_1, input_2, input_3], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf32, (16384, 1536), (1536, 1), 0), buf31, out=buf33)
            buf35 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf39 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf41 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf213 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_3, input_4, x_2, layer_norm_2, linear_4, div_12], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10.run(buf3, buf23, buf33, primals_10, buf35, buf39, buf41, buf213, 3, 16384, 384, stream=stream0)
            buf40 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_4], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_11, buf40, 442368, stream=stream0)
            del primals_11
            buf42 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_2, linear_4], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf41, (16384, 384), (384, 1), 0), buf40, out=buf42)
            buf43 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed_1], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_11.run(buf3, buf43, 4, 1, stream=stream0)
            buf44 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf45 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf46 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf44, buf46, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear_4, qkv_1, permute_1, unbind_1, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf46, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf45, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf43, 0, 1536, 1, 1, stream=stream0)
            buf49 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_5], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_12, buf49, 147456, stream=stream0)
            del primals_12
            buf50 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_5], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf46, (16384, 384), (384, 1), 0), buf49, out=buf50)
            buf52 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf53 = buf23; del buf23  # reuse
            buf57 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf59 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf212 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_3, input_4, x_2, linear_5, dropout_3, x_3, layer_norm_3, input_5, div_11], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12.run(buf53, buf3, buf35, buf33, buf50, primals_13, buf52, buf57, buf59, buf212, 5, 16384, 384, stream=stream0)
            buf58 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_5], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_14, buf58, 589824, stream=stream0)
            del primals_14
            buf60 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_3, input_5], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf59, (16384, 384), (384, 1), 0), buf58, out=buf60)
            buf61 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_7], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_15, buf61, 589824, stream=stream0)
            del primals_15
            buf62 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_5, input_6], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf60, buf62, 25165824, stream=stream0)
            buf63 = buf50; del buf50  # reuse
            # Topologically Sorted Source Nodes: [input_5, input_6, input_7], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf62, (16384, 1536), (1536, 1), 0), buf61, out=buf63)
            buf65 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf69 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf71 = reinterpret_tensor(buf33, (64, 256, 384), (98304, 384, 1), 0); del buf33  # reuse
            buf211 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_7, input_8, x_4, layer_norm_4, linear_8, div_10], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10.run(buf3, buf53, buf63, primals_16, buf65, buf69, buf71, buf211, 6, 16384, 384, stream=stream0)
            buf70 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_8], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_17, buf70, 442368, stream=stream0)
            del primals_17
            buf72 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_4, linear_8], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf71, (16384, 384), (384, 1), 0), buf70, out=buf72)
            buf73 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed_2], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_11.run(buf3, buf73, 7, 1, stream=stream0)
            buf74 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf75 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf76 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf74, buf76, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear_8, qkv_2, permute_2, unbind_2, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf76, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf75, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf73, 0, 1536, 1, 1, stream=stream0)
            buf79 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_9], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_18, buf79, 147456, stream=stream0)
            del primals_18
            buf80 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_9], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf76, (16384, 384), (384, 1), 0), buf79, out=buf80)
            buf82 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf83 = buf53; del buf53  # reuse
            buf87 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf89 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf210 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_7, input_8, x_4, linear_9, dropout_5, x_5, layer_norm_5, input_9, div_9], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12.run(buf83, buf3, buf65, buf63, buf80, primals_19, buf82, buf87, buf89, buf210, 8, 16384, 384, stream=stream0)
            buf88 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_9], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_20, buf88, 589824, stream=stream0)
            del primals_20
            buf90 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_5, input_9], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf89, (16384, 384), (384, 1), 0), buf88, out=buf90)
            buf91 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_11], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_21, buf91, 589824, stream=stream0)
            del primals_21
            buf92 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_9, input_10], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf90, buf92, 25165824, stream=stream0)
            buf93 = buf80; del buf80  # reuse
            # Topologically Sorted Source Nodes: [input_9, input_10, input_11], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf92, (16384, 1536), (1536, 1), 0), buf91, out=buf93)
            buf95 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf99 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf101 = reinterpret_tensor(buf63, (64, 256, 384), (98304, 384, 1), 0); del buf63  # reuse
            buf209 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_11, input_12, x_6, layer_norm_6, linear_12, div_8], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10.run(buf3, buf83, buf93, primals_22, buf95, buf99, buf101, buf209, 9, 16384, 384, stream=stream0)
            buf100 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_12], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_23, buf100, 442368, stream=stream0)
            del primals_23
            buf102 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_6, linear_12], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf101, (16384, 384), (384, 1), 0), buf100, out=buf102)
            buf103 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed_3], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_11.run(buf3, buf103, 10, 1, stream=stream0)
            buf104 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf105 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf106 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf104, buf106, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear_12, qkv_3, permute_3, unbind_3, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf106, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf105, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf103, 0, 1536, 1, 1, stream=stream0)
            buf109 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_13], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_24, buf109, 147456, stream=stream0)
            del primals_24
            buf110 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_13], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf106, (16384, 384), (384, 1), 0), buf109, out=buf110)
            buf112 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf113 = buf83; del buf83  # reuse
            buf117 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf119 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf208 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_11, input_12, x_6, linear_13, dropout_7, x_7, layer_norm_7, input_13, div_7], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12.run(buf113, buf3, buf95, buf93, buf110, primals_25, buf112, buf117, buf119, buf208, 11, 16384, 384, stream=stream0)
            buf118 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_13], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_26, buf118, 589824, stream=stream0)
            del primals_26
            buf120 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_7, input_13], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf119, (16384, 384), (384, 1), 0), buf118, out=buf120)
            buf121 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_15], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_27, buf121, 589824, stream=stream0)
            del primals_27
            buf122 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_13, input_14], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf120, buf122, 25165824, stream=stream0)
            buf123 = buf93; del buf93  # reuse
            # Topologically Sorted Source Nodes: [input_13, input_14, input_15], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf122, (16384, 1536), (1536, 1), 0), buf121, out=buf123)
            buf125 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf129 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf131 = reinterpret_tensor(buf110, (64, 256, 384), (98304, 384, 1), 0); del buf110  # reuse
            buf207 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_15, input_16, x_8, layer_norm_8, linear_16, div_6], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10.run(buf3, buf113, buf123, primals_28, buf125, buf129, buf131, buf207, 12, 16384, 384, stream=stream0)
            buf130 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_16], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_29, buf130, 442368, stream=stream0)
            del primals_29
            buf132 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_8, linear_16], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf131, (16384, 384), (384, 1), 0), buf130, out=buf132)
            buf133 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed_4], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_11.run(buf3, buf133, 13, 1, stream=stream0)
            buf134 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf135 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf136 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf134, buf136, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear_16, qkv_4, permute_4, unbind_4, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf136, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf135, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf133, 0, 1536, 1, 1, stream=stream0)
            buf139 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_17], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_30, buf139, 147456, stream=stream0)
            del primals_30
            buf140 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_17], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf136, (16384, 384), (384, 1), 0), buf139, out=buf140)
            buf142 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf143 = buf113; del buf113  # reuse
            buf147 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf149 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf206 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_15, input_16, x_8, linear_17, dropout_9, x_9, layer_norm_9, input_17, div_5], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12.run(buf143, buf3, buf125, buf123, buf140, primals_31, buf142, buf147, buf149, buf206, 14, 16384, 384, stream=stream0)
            buf148 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_17], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_32, buf148, 589824, stream=stream0)
            del primals_32
            buf150 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_9, input_17], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf149, (16384, 384), (384, 1), 0), buf148, out=buf150)
            buf151 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_19], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_33, buf151, 589824, stream=stream0)
            del primals_33
            buf152 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_17, input_18], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf150, buf152, 25165824, stream=stream0)
            buf153 = buf140; del buf140  # reuse
            # Topologically Sorted Source Nodes: [input_17, input_18, input_19], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf152, (16384, 1536), (1536, 1), 0), buf151, out=buf153)
            buf155 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf159 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf161 = reinterpret_tensor(buf123, (64, 256, 384), (98304, 384, 1), 0); del buf123  # reuse
            buf205 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_19, input_20, x_10, layer_norm_10, linear_20, div_4], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_10.run(buf3, buf143, buf153, primals_34, buf155, buf159, buf161, buf205, 15, 16384, 384, stream=stream0)
            buf160 = empty_strided_cuda((384, 1152), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_20], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_3.run(primals_35, buf160, 442368, stream=stream0)
            del primals_35
            buf162 = empty_strided_cuda((16384, 1152), (1152, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_10, linear_20], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf161, (16384, 384), (384, 1), 0), buf160, out=buf162)
            buf163 = empty_strided_cuda((), (), torch.int64)
            # Topologically Sorted Source Nodes: [seed_5], Original ATen: [aten.randint]
            stream0 = get_raw_stream(0)
            triton_poi_fused_randint_11.run(buf3, buf163, 16, 1, stream=stream0)
            buf164 = empty_strided_cuda((64, 6, 256, 64), (98304, 64, 384, 1), torch.bfloat16)
            buf165 = empty_strided_cuda((64, 6, 256), (1536, 256, 1), torch.float32)
            buf166 = empty_strided_cuda((6291456, ), (1, ), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default], Original ATen: []
            stream0 = get_raw_stream(0)
            triton_poi_fused_5.run(buf164, buf166, 6291456, stream=stream0)
            # Topologically Sorted Source Nodes: [linear_20, qkv_5, permute_5, unbind_5, triton_forward_default], Original ATen: [aten._unsafe_view, aten.view, aten.permute, aten.unbind]
            stream0 = get_raw_stream(0)
            attention_forward_kernel_0.run(reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), reinterpret_tensor(buf166, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf165, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 294912, 64, 1152, 1, 98304, 64, 384, 1, reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), 0, 0, 0, 0, 0, 0, 6, 1, 256, 256, 0, 0, 0, 0.18033688011112042, 0.0, 0.0, 0.1, buf163, 0, 1536, 1, 1, stream=stream0)
            buf169 = empty_strided_cuda((384, 384), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [linear_21], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_6.run(primals_36, buf169, 147456, stream=stream0)
            del primals_36
            buf170 = empty_strided_cuda((16384, 384), (384, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [triton_forward_default, linear_21], Original ATen: [aten.transpose, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf166, (16384, 384), (384, 1), 0), buf169, out=buf170)
            buf172 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf173 = buf143; del buf143  # reuse
            buf177 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.float32)
            buf179 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bfloat16)
            buf204 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_19, input_20, x_10, linear_21, dropout_11, x_11, layer_norm_11, input_21, div_3], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_12.run(buf173, buf3, buf155, buf153, buf170, primals_37, buf172, buf177, buf179, buf204, 17, 16384, 384, stream=stream0)
            buf178 = empty_strided_cuda((384, 1536), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_21], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_38, buf178, 589824, stream=stream0)
            del primals_38
            buf180 = empty_strided_cuda((16384, 1536), (1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_11, input_21], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf179, (16384, 384), (384, 1), 0), buf178, out=buf180)
            buf181 = empty_strided_cuda((1536, 384), (1, 1536), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_23], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_8.run(primals_39, buf181, 589824, stream=stream0)
            del primals_39
            buf182 = empty_strided_cuda((64, 256, 1536), (393216, 1536, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [input_21, input_22], Original ATen: [aten._unsafe_view, aten.gelu]
            stream0 = get_raw_stream(0)
            triton_poi_fused__unsafe_view_gelu_9.run(buf180, buf182, 25165824, stream=stream0)
            buf183 = buf170; del buf170  # reuse
            # Topologically Sorted Source Nodes: [input_21, input_22, input_23], Original ATen: [aten._unsafe_view, aten.gelu, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf182, (16384, 1536), (1536, 1), 0), buf181, out=buf183)
            buf185 = empty_strided_cuda((64, 256, 384), (98304, 384, 1), torch.bool)
            buf189 = buf173; del buf173  # reuse
            buf191 = reinterpret_tensor(buf153, (64, 256, 384), (98304, 384, 1), 0); del buf153  # reuse
            buf203 = empty_strided_cuda((64, 256, 1), (256, 1, 1), torch.float32)
            # Topologically Sorted Source Nodes: [input_23, input_24, x_12, layer_norm_12, logits, div_2], Original ATen: [aten._unsafe_view, aten.native_dropout, aten.add, aten.native_layer_norm, aten._to_copy, aten.native_layer_norm_backward]
            stream0 = get_raw_stream(0)
            triton_per_fused__to_copy__unsafe_view_add_native_dropout_native_layer_norm_native_layer_norm_backward_13.run(buf189, buf3, buf183, primals_40, buf185, buf191, buf203, 18, 16384, 384, stream=stream0)
            del buf183
            del buf3
            buf190 = empty_strided_cuda((384, 256), (1, 384), torch.bfloat16)
            # Topologically Sorted Source Nodes: [logits], Original ATen: [aten._to_copy, aten.t]
            stream0 = get_raw_stream(0)
            triton_poi_fused__to_copy_t_14.run(primals_1, buf190, 98304, stream=stream0)
            del primals_1
            buf192 = empty_strided_cuda((16384, 256), (256, 1), torch.bfloat16)
            # Topologically Sorted Source Nodes: [layer_norm_12, logits], Original ATen: [aten.native_layer_norm, aten._to_copy, aten.view, aten.mm]
            extern_kernels.mm(reinterpret_tensor(buf191, (16384, 384), (384, 1), 0), buf190, out=buf192)
            buf193 = empty_strided_cuda((16384, 1), (1, 1), torch.float32)
            buf194 = empty_strided_cuda((16384, 1), (1, 16384), torch.float32)
            buf195 = reinterpret_tensor(buf194, (16384, 1), (1, 1), 0); del buf194  # reuse
            # Topologically Sorted Source Nodes: [cross_entropy], Original ATen: [aten._log_softmax, prims.prepare_softmax_online]
            stream0 = get_raw_stream(0)
            triton_per_fused__log_softmax_prepare_softmax_online_15.run(buf195, buf192, buf193, 16384, 256, stream=stream0)
            buf197 = empty_strided_cuda((2, ), (1, ), torch.int64)
            buf201 = empty_strided_cuda((2, ), (1, ), torch.float32)
            # Topologically Sorted Source Nodes: [view_7, cross_entropy], Original ATen: [aten.view, aten._log_softmax, aten.sub, aten._to_copy, aten.nll_loss_forward]
            stream0 = get_raw_stream(0)
            triton_red_fused__log_softmax__to_copy_nll_loss_forward_sub_view_16.run(primals_41, buf192, buf193, buf195, buf197, buf201, 2, 8192, stream=stream0)
            buf202 = empty_strided_cuda((), (), torch.float32)
            buf199 = empty_strided_cuda((), (), torch.float32)
            buf215 = buf202; del buf202  # reuse
            # Topologically Sorted Source Nodes: [view_7, cross_entropy], Original ATen: [aten.view, aten._log_softmax, aten.sub, aten._to_copy, aten.nll_loss_forward]
            stream0 = get_raw_stream(0)
            triton_per_fused__log_softmax__to_copy_nll_loss_forward_sub_view_17.run(buf215, buf201, buf197, buf199, 1, 2, stream=stream0)
            del buf197
            del buf201
        return (buf215, primals_2, primals_4, primals_7, primals_10, primals_13, primals_16, primals_19, primals_22, primals_25, primals_28, primals_31, primals_34, primals_37, primals_40, primals_41, buf0, buf1, buf2, buf5, buf6, buf9, reinterpret_tensor(buf11, (16384, 384), (384, 1), 0), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf12, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf13, buf14, reinterpret_tensor(buf16, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf15, buf22, buf27, reinterpret_tensor(buf29, (16384, 384), (384, 1), 0), buf30, reinterpret_tensor(buf32, (16384, 1536), (1536, 1), 0), buf35, buf39, reinterpret_tensor(buf41, (16384, 384), (384, 1), 0), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf42, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf43, buf44, reinterpret_tensor(buf46, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf45, buf52, buf57, reinterpret_tensor(buf59, (16384, 384), (384, 1), 0), buf60, reinterpret_tensor(buf62, (16384, 1536), (1536, 1), 0), buf65, buf69, reinterpret_tensor(buf71, (16384, 384), (384, 1), 0), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf72, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf73, buf74, reinterpret_tensor(buf76, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf75, buf82, buf87, reinterpret_tensor(buf89, (16384, 384), (384, 1), 0), buf90, reinterpret_tensor(buf92, (16384, 1536), (1536, 1), 0), buf95, buf99, reinterpret_tensor(buf101, (16384, 384), (384, 1), 0), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf102, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf103, buf104, reinterpret_tensor(buf106, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf105, buf112, buf117, reinterpret_tensor(buf119, (16384, 384), (384, 1), 0), buf120, reinterpret_tensor(buf122, (16384, 1536), (1536, 1), 0), buf125, buf129, reinterpret_tensor(buf131, (16384, 384), (384, 1), 0), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf132, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf133, buf134, reinterpret_tensor(buf136, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf135, buf142, buf147, reinterpret_tensor(buf149, (16384, 384), (384, 1), 0), buf150, reinterpret_tensor(buf152, (16384, 1536), (1536, 1), 0), buf155, buf159, reinterpret_tensor(buf161, (16384, 384), (384, 1), 0), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 0), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 384), reinterpret_tensor(buf162, (64, 6, 256, 64), (294912, 64, 1152, 1), 768), buf163, buf164, reinterpret_tensor(buf166, (64, 6, 256, 64), (98304, 64, 384, 1), 0), buf165, buf172, buf177, reinterpret_tensor(buf179, (16384, 384), (384, 1), 0), buf180, reinterpret_tensor(buf182, (16384, 1536), (1536, 1), 0), buf185, buf189, reinterpret_tensor(buf191, (16384, 384), (384, 1), 0), buf192, buf193, buf195, buf199, reinterpret_tensor(buf190, (256, 384), (384, 1), 0), buf203, reinterpret_tensor(buf181, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf178, (1536, 384), (384, 1), 0), buf204, reinterpret_tensor(buf169, (384, 384), (384, 1), 0), reinterpret_tensor(buf160, (1152, 384), (384, 1), 0), buf205, reinterpret_tensor(buf151, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf148, (1536, 384), (384, 1), 0), buf206, reinterpret_tensor(buf139, (384, 384), (384, 1), 0), reinterpret_tensor(buf130, (1152, 384), (384, 1), 0), buf207, reinterpret_tensor(buf121, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf118, (1536, 384), (384, 1), 0), buf208, reinterpret_tensor(buf109, (384, 384), (384, 1), 0), reinterpret_tensor(buf100, (1152, 384), (384, 1), 0), buf209, reinterpret_tensor(buf91, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf88, (1536, 384), (384, 1), 0), buf210, reinterpret_tensor(buf79, (384, 384), (384, 1), 0), reinterpret_tensor(buf70, (1152, 384), (384, 1), 0), buf211, reinterpret_tensor(buf61, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf58, (1536, 384), (384, 1), 0), buf212, reinterpret_tensor(buf49, (384, 384), (384, 1), 0), reinterpret_tensor(buf40, (1152, 384), (384, 1), 0), buf213, reinterpret_tensor(buf31, (384, 1536), (1536, 1), 0), reinterpret_tensor(buf28, (1536, 384), (384, 1), 0), buf214, reinterpret_tensor(buf19, (384, 384), (384, 1), 0), reinterpret_tensor(buf10, (1152, 384), (384, 1), 0), )

runner = Runner(partitions=[])
call = runner.call
recursively_apply_fns = runner.recursively_apply_fns


def get_args():
    from torch._dynamo.testing import rand_strided
    primals_1 = rand_strided((256, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_2 = rand_strided((64, 256), (256, 1), device='cuda:0', dtype=torch.int64)
    primals_3 = rand_strided((256, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_4 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_5 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_6 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_7 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_8 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_9 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_10 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_11 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_12 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_13 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_14 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_15 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_16 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_17 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_18 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_19 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_20 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_21 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_22 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_23 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_24 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_25 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_26 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_27 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_28 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_29 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_30 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_31 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_32 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_33 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_34 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_35 = rand_strided((1152, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_36 = rand_strided((384, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_37 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_38 = rand_strided((1536, 384), (384, 1), device='cuda:0', dtype=torch.float32)
    primals_39 = rand_strided((384, 1536), (1536, 1), device='cuda:0', dtype=torch.float32)
    primals_40 = rand_strided((384, ), (1, ), device='cuda:0', dtype=torch.float32)
    primals_41 = rand_strided((64, 256), (256, 1), device='cuda:0', dtype=torch.int64)
    return [primals_1, primals_2, primals_3, primals_4, primals_5, primals_6, primals_7, primals_8, primals_9, primals_10, primals_11, primals_12, primals_13, primals_14, primals_15, primals_16, primals_17, primals_18, primals_19, primals_20, primals_21, primals_22, primals_23, primals_24, primals_25, primals_26, primals_27, primals_28, primals_29, primals_30, primals_31, primals_32, primals_33, primals_34, primals_35, primals_36, primals_37, primals_38, primals_39, primals_40, primals_41]


def benchmark_compiled_module(args, times=10, repeat=10):
    from torch._inductor.utils import print_performance
    fn = lambda: call(list(args))
    return print_performance(fn, times=times, repeat=repeat)


if __name__ == "__main__":
    from torch._inductor.wrapper_benchmark import compiled_module_main
    args = get_args()
    compiled_module_main('None', lambda times, repeat: benchmark_compiled_module(args, times=times, repeat=repeat))
