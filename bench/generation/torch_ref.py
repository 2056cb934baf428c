"""PyTorch CPU reference for bench/generation: the same GPT-2 config (HF GPT2LMHeadModel, freshly initialised),
the same prompt ids, `generate(do_sample=False)` with the KV cache for exactly `newTokens` new tokens, batch 1
and 8 (left-padded batch of equal-length prompts needs no padding). Per-step times come from a logits processor
(called once per step). Prints one JSON line.
Usage: python torch_ref.py <workload.json> <reps> [--long]"""
import json
import statistics
import sys
import time

import torch
from transformers import GPT2Config, GPT2LMHeadModel, LogitsProcessor, LogitsProcessorList

work = json.load(open(sys.argv[1]))
reps = int(sys.argv[2])
long_run = "--long" in sys.argv
torch.set_num_threads(int(work.get("threads", 2)))
torch.manual_seed(0)
cfg = work["config"]
model = GPT2LMHeadModel(GPT2Config(**{k: cfg[k] for k in (
    "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "layer_norm_epsilon", "initializer_range")},
    bos_token_id=0, eos_token_id=0)).eval()


class Stamps(LogitsProcessor):
    def __init__(self):
        self.times = []

    def __call__(self, input_ids, scores):
        self.times.append(time.perf_counter())
        return scores


def run(batch, new_tokens):
    ids = torch.tensor(work["prompts"][:batch])
    stamps = Stamps()
    t0 = time.perf_counter()
    with torch.no_grad():
        out = model.generate(input_ids=ids, attention_mask=torch.ones_like(ids), do_sample=False, max_new_tokens=new_tokens,
                             min_new_tokens=new_tokens, pad_token_id=0, logits_processor=LogitsProcessorList([stamps]))
    total = (time.perf_counter() - t0) * 1000
    assert out.shape[1] - ids.shape[1] == new_tokens
    return total, stamps.times, t0, out[0, ids.shape[1]:ids.shape[1] + 8].tolist()


n = work["newTokens"]
run(1, 8)
batches = {}
for batch in work["batches"]:
    run(batch, 4)
    runs = [run(batch, n) for _ in range(reps)]
    total = statistics.median(r[0] for r in runs)
    steps = [statistics.median(b - a for a, b in zip(r[1][1:], r[1][2:])) * 1000 for r in runs]
    batches[str(batch)] = {"totalMs": total, "newTokensPerSec": batch * n / (total / 1000), "msPerStep": statistics.median(steps),
                           "firstTokenMs": statistics.median((r[1][0] - r[2]) * 1000 for r in runs), "firstIds": runs[0][3]}
result = {"engine": "pytorch-cpu", "version": torch.__version__, "threads": torch.get_num_threads(),
          "parameters": sum(p.numel() for p in model.parameters()), "newTokens": n, "batches": batches}
if long_run:
    prompt_len = len(work["prompts"][0])
    _, times, _, _ = run(1, cfg["n_positions"] - prompt_len)
    steps = [(b - a) * 1000 for a, b in zip(times, times[1:])]
    result["perTokenByPosition"] = [
        {"fromPosition": prompt_len + 1 + s, "msPerToken": round(statistics.median(steps[s:s + 32]), 3)}
        for s in range(0, len(steps) - 31, 32)]
print(json.dumps(result))
