"""Hugging Face transformers with attn_implementation="fsdpa": a Llama-family model from a
small config (random weights, nothing downloaded) gives what "sdpa" gives, with left-padded
batches, in training and in generation with the KV cache."""
from __future__ import annotations

import copy

import pytest
import torch

import flashsdpa
from flashsdpa import Backend

transformers = pytest.importorskip("transformers")
from flashsdpa.integrations.transformers import register  # noqa: E402

BACKENDS = pytest.mark.parametrize("backend", [Backend.FLASH, Backend.MATH], ids=lambda b: b.name)


def _models(device, seed):
    torch.manual_seed(seed)
    config = transformers.LlamaConfig(vocab_size=101, hidden_size=64, intermediate_size=96, num_hidden_layers=2,
                                      num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=64)
    ours = transformers.LlamaForCausalLM._from_config(copy.deepcopy(config), attn_implementation=register())
    ref = transformers.LlamaForCausalLM._from_config(copy.deepcopy(config), attn_implementation="sdpa")
    ref.load_state_dict(ours.state_dict())
    assert ours.config._attn_implementation == "fsdpa" and ref.config._attn_implementation == "sdpa"
    return ours.to(device), ref.to(device)


def _batch(device, gen):
    ids = torch.randint(0, 101, (3, 19), generator=gen, device=device)
    attention_mask = torch.ones(3, 19, dtype=torch.long, device=device)
    attention_mask[0, :6] = 0  # left padding, as for batched generation
    attention_mask[1, :1] = 0
    return ids, attention_mask


@BACKENDS
def test_logits_and_training_match_sdpa(backend, device, gen):
    ours, ref = _models(device, gen.initial_seed() % 2**31)
    ids, attention_mask = _batch(device, gen)
    with flashsdpa.sdpa_kernel(backend):
        out = ours(input_ids=ids, attention_mask=attention_mask, labels=ids)
    expected = ref(input_ids=ids, attention_mask=attention_mask, labels=ids)
    keep = attention_mask.bool()
    torch.testing.assert_close(out.logits[keep], expected.logits[keep], rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(out.loss, expected.loss, rtol=1e-5, atol=1e-5)
    out.loss.backward()
    expected.loss.backward()
    for (name, p), q in zip(ours.named_parameters(), ref.parameters()):
        torch.testing.assert_close(p.grad, q.grad, rtol=1e-4, atol=1e-5, msg=name)


@BACKENDS
def test_generation_with_kv_cache_matches_sdpa(backend, device, gen):
    ours, ref = _models(device, gen.initial_seed() % 2**31)
    ids, attention_mask = _batch(device, gen)
    with flashsdpa.sdpa_kernel(backend), torch.no_grad():
        tokens = ours.generate(ids, attention_mask=attention_mask, max_new_tokens=6, do_sample=False,
                               output_logits=True, return_dict_in_generate=True)
    with torch.no_grad():
        expected = ref.generate(ids, attention_mask=attention_mask, max_new_tokens=6, do_sample=False,
                                output_logits=True, return_dict_in_generate=True)
    assert torch.equal(tokens.sequences, expected.sequences)
    for a, b in zip(tokens.logits, expected.logits):
        torch.testing.assert_close(a, b, rtol=1e-4, atol=1e-4)
