"""PyTorch CPU reference for bench/model-gpt: the same GPT-2 (HF GPT2LMHeadModel, gpt-10m config), the same
token ids, AdamW training steps and batched scoring. Prints one JSON line.
Usage: python torch_ref.py <workload.json> <trainSteps> <scoreReps>"""
import json
import statistics
import sys
import time

import torch
import torch.nn.functional as F
from transformers import GPT2Config, GPT2LMHeadModel

work = json.load(open(sys.argv[1]))
steps, reps = int(sys.argv[2]), int(sys.argv[3])
torch.set_num_threads(int(work.get("threads", 2)))
torch.manual_seed(0)
cfg = work["config"]
model = GPT2LMHeadModel(GPT2Config(**{k: cfg[k] for k in (
    "vocab_size", "n_positions", "n_embd", "n_layer", "n_head", "resid_pdrop", "embd_pdrop", "attn_pdrop",
    "layer_norm_epsilon", "initializer_range")}, bos_token_id=0, eos_token_id=0, attn_implementation="eager"))
opt = torch.optim.AdamW(model.parameters(), lr=1e-4, betas=(0.9, 0.95), eps=1e-8, weight_decay=0.1)
ids = torch.tensor(work["trainIds"])
inputs, targets = ids[:, :-1], ids[:, 1:]
tokens = inputs.numel()


def train_step():
    model.train()
    logits = model(inputs).logits
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


sentences = work["scoreIds"]
width = max(len(s) - 1 for s in sentences)
score_in = torch.zeros(len(sentences), width, dtype=torch.long)
mask = torch.zeros(len(sentences), width, dtype=torch.long)
for i, s in enumerate(sentences):
    score_in[i, : len(s) - 1] = torch.tensor(s[:-1])
    mask[i, : len(s) - 1] = 1


def score_all():
    model.eval()
    with torch.no_grad():
        logp = torch.log_softmax(model(score_in, attention_mask=mask).logits, dim=-1)
        total = 0.0
        for i, s in enumerate(sentences):
            tgt = torch.tensor(s[1:])
            total += float(logp[i, torch.arange(len(s) - 1), tgt].sum())
    return total


def timed(f):
    t0 = time.perf_counter()
    r = f()
    return (time.perf_counter() - t0) * 1000, r


train_step()
step_ms = [timed(train_step)[0] for _ in range(steps)]
score_all()
score_ms = [timed(score_all)[0] for _ in range(reps)]
med_step, med_score = statistics.median(step_ms), statistics.median(score_ms)
print(json.dumps({
    "engine": "pytorch-cpu", "version": torch.__version__, "threads": torch.get_num_threads(),
    "parameters": sum(p.numel() for p in model.parameters()),
    "trainStepMs": med_step, "trainTokensPerSec": tokens / (med_step / 1000),
    "scoreMs": med_score, "scoreSentencesPerSec": len(sentences) / (med_score / 1000),
}))
