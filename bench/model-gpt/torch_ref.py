"""PyTorch reference for bench/model-gpt (CPU, or CUDA for bench/gpu/check.sh: workload "device"): the same model
(HF GPT2LMHeadModel or LlamaForCausalLM with the preset's config), the same token ids, one phase per process (so
the peak RSS is that phase's):
  train: AdamW training steps (forward + backward + clip + step), median of `count` after one warm-up;
  score: batched scoring (one right-padded batch, log_softmax, the scored tokens summed), median of `count`.
Prints one JSON line. Usage: python torch_ref.py <workload.json> <train|score> <count>"""
import json
import resource
import statistics
import sys
import time

import torch
import torch.nn.functional as F
import transformers

work = json.load(open(sys.argv[1]))
phase, count = sys.argv[2], int(sys.argv[3])
device = torch.device(work.get("device", "cpu"))
if device.type == "cpu":
    torch.set_num_threads(int(work.get("threads", 2)))
torch.manual_seed(0)
cfg = work["config"]
attention = work.get("attention", "eager")
if work["architecture"] == "gpt2":
    keys = ("vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "resid_pdrop", "embd_pdrop", "attn_pdrop",
            "layer_norm_epsilon", "initializer_range", "tie_word_embeddings")
    config = transformers.GPT2Config(**{k: cfg[k] for k in keys}, bos_token_id=0, eos_token_id=0, attn_implementation=attention)
    model = transformers.GPT2LMHeadModel(config)
else:
    keys = ("vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
            "num_key_value_heads", "head_dim", "max_position_embeddings", "rms_norm_eps", "rope_theta",
            "initializer_range", "attention_dropout", "tie_word_embeddings")
    config = transformers.LlamaConfig(**{k: cfg[k] for k in keys}, attn_implementation=attention)
    model = transformers.LlamaForCausalLM(config)
model.to(device)


def sync():
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(f):
    sync()
    t0 = time.perf_counter()
    r = f()
    sync()
    return (time.perf_counter() - t0) * 1000, r


def train_phase():
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
    ids = torch.tensor(work["trainIds"], device=device)
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def step():
        model.train()
        logits = model(inputs).logits
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    step()
    times = [timed(step)[0] for _ in range(count)]
    ms = statistics.median(times)
    return {"trainStepMs": round(ms, 1), "trainStepMsAll": [round(t, 1) for t in times],
            "trainTokensPerSec": round(inputs.numel() / (ms / 1000), 1)}


def score_phase():
    sentences = work["scoreIds"]
    width = max(len(s) - 1 for s in sentences)
    score_in = torch.zeros(len(sentences), width, dtype=torch.long)
    mask = torch.zeros(len(sentences), width, dtype=torch.long)
    for i, s in enumerate(sentences):
        score_in[i, : len(s) - 1] = torch.tensor(s[:-1])
        mask[i, : len(s) - 1] = 1
    score_in, mask = score_in.to(device), mask.to(device)
    targets = [torch.tensor(s[1:], device=device) for s in sentences]
    positions = [torch.arange(len(s) - 1, device=device) for s in sentences]

    def score_all():
        model.eval()
        with torch.no_grad():
            logp = torch.log_softmax(model(score_in, attention_mask=mask).logits, dim=-1)
            total = 0.0
            for i, s in enumerate(sentences):
                total += float(logp[i, positions[i], targets[i]].sum())
        return total

    score_all()
    times = [timed(score_all)[0] for _ in range(count)]
    ms = statistics.median(times)
    return {"scoreMs": round(ms, 1), "scoreMsAll": [round(t, 1) for t in times],
            "scoreSentencesPerSec": round(len(sentences) / (ms / 1000), 1)}


result = train_phase() if phase == "train" else score_phase()
memory = {"peakRssMb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}
if device.type == "cuda":
    memory["peakGpuMb"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
print(json.dumps({
    "engine": f"pytorch-{device.type}", "version": torch.__version__, "transformers": transformers.__version__,
    "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
    "threads": torch.get_num_threads(), "attention": attention, "phase": phase,
    "parameters": sum(p.numel() for p in model.parameters()),
    **result,
    "memory": memory,
}))
