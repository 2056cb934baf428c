"""Reference side of the zero-shot integration parity tests: a Python re-implementation of the BabyLM-2025
pipeline (evaluation-pipeline-2025 @ bf55c113: sentence_zero_shot/{dataset,compute_results,run}.py causal
backend, reading/run.py + get_p2), following babylm-eval-spec.md §2, §3, §6, §8 — run on a tiny random GPT-2.

usage: babylm_reference.py MODEL_DIR OUT_JSON [--blimp FILE ...] [--wug FILE] [--reading CSV] [--threads N]
If MODEL_DIR has no config.json, a tiny GPT2LMHeadModel + byte-level BPE tokenizer (trained on the given
data's text) is created there first (seeded, deterministic).
"""
import argparse
import json
import math
import os
from collections import Counter, defaultdict

import torch
import torch.nn.functional as F
from scipy.stats import spearmanr
from tokenizers import ByteLevelBPETokenizer
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def corpus_of(args):
    texts = []
    for path in args.blimp or []:
        for row in read_jsonl(path):
            texts += [row["sentence_good"], row["sentence_bad"]]
    if args.wug:
        for row in read_jsonl(args.wug):
            texts += row["sentences"].split("\t")
    if args.reading:
        import pandas as pd
        texts += pd.read_csv(args.reading)["sentence"].tolist()
    return texts


def make_model(directory, texts):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(texts, vocab_size=400, min_frequency=2, special_tokens=["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    torch.manual_seed(1234)
    config = GPT2Config(vocab_size=len(tok), n_positions=128, n_embd=32, n_layer=2, n_head=4,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    model = GPT2LMHeadModel(config)
    with torch.no_grad():  # livelier logits than the 0.02 init
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.15)
    model.save_pretrained(directory, safe_serialization=True)
    tok.save_pretrained(directory)


# ---- sentence_zero_shot, causal backend --------------------------------------------------------------------

def causal_encode(tok, sentence, completion):
    """dataset.py process_causal_sentences (no image): phrase mask from char offsets."""
    out = tok(sentence, return_offsets_mapping=True)
    tokens, offsets = out["input_ids"], out["offset_mapping"]
    start_char_idx = len(sentence) - len(completion) + offsets[0][0]
    phrase_mask = [1 if end > start_char_idx else 0 for (_, end) in offsets]
    return tokens, out["attention_mask"], phrase_mask


def pad(seqs, value):
    width = max(len(s) for s in seqs)
    return torch.tensor([s + [value] * (width - len(s)) for s in seqs])


def causal_scores(model, tok, items, batch_size=64):
    """get_causal_collate_fn + compute_causal_results at T=1: per item, the list of candidate scores (float32)."""
    pad_id = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    scores = []
    for b in range(0, len(items), batch_size):
        batch = items[b:b + batch_size]
        per_candidate = []
        for i in range(len(batch[0]["sentences"])):
            enc = [causal_encode(tok, it["sentences"][i], it["completions"][i]) for it in batch]
            tokens = pad([e[0] for e in enc], pad_id)
            attn = pad([e[1] for e in enc], 0)[:, :-1]
            mask = pad([e[2] for e in enc], 0)[:, 1:]
            inputs, targets = tokens[:, :-1], tokens[:, 1:]
            with torch.no_grad():
                logits = model(input_ids=inputs, attention_mask=attn).logits
            log_probs = F.log_softmax(logits / 1.0, dim=-1)
            target_log_probs = torch.gather(log_probs, -1, targets.unsqueeze(-1)).squeeze(-1)
            per_candidate.append(torch.sum(target_log_probs * mask, dim=1))
        scores.append(torch.stack(per_candidate, dim=1))
    return torch.cat(scores, dim=0)


def blimp(model, tok, files):
    items = []
    for path in sorted(files):
        stem = os.path.splitext(os.path.basename(path))[0]
        for row in read_jsonl(path):
            good, bad = row["sentence_good"], row["sentence_bad"]
            uid = row["UID"] if "field" in row else stem
            items.append({"sentences": [good, bad], "completions": [good, bad], "UID": uid})
    stacked = causal_scores(model, tok, items)
    chosen = torch.max(stacked, dim=1)[1].tolist()
    total, correct, predictions = Counter(), Counter(), defaultdict(list)
    for it, c in zip(items, chosen):
        total[it["UID"]] += 1
        correct[it["UID"]] += 1 if c == 0 else 0
        predictions[it["UID"]].append({"id": f"{it['UID']}_{len(predictions[it['UID']])}", "pred": it["completions"][c]})
    acc = {k: 100.0 * correct[k] / total[k] for k in total}
    return {"scores": stacked.tolist(), "uid_acc": acc, "average": sum(acc.values()) / len(acc),
            "predictions": {k: {"predictions": v} for k, v in predictions.items()}}


def wug(model, tok, path, uid):
    items = []
    for row in read_jsonl(path):
        cands = row["sentences"].split("\t")
        items.append({"sentences": cands, "completions": cands, "ratio": float(row["ratio"])})
    stacked = causal_scores(model, tok, items)
    chosen = torch.max(stacked, dim=1)[1].tolist()
    probs = torch.softmax(stacked, dim=1)[:, 0]
    rho = spearmanr([p for p in probs], [it["ratio"] for it in items])[0]
    preds = [{"id": f"{uid}_{i}", "pred": it["completions"][c], "prob": probs[i].item()} for i, (it, c) in enumerate(zip(items, chosen))]
    return {"scores": stacked.tolist(), "rho": float(rho), "predictions": {uid: {"predictions": preds}}}


# ---- reading -----------------------------------------------------------------------------------------------

_last_logits_cache = {}


def get_p2(item, word, model, tok):
    """Spec §8.2 causal get_p2: word without a leading space, multi-token words chained by re-tokenising.
    (Logits of a context are cached: the same pure function, computed once.)"""
    def last_logits(text):
        if text not in _last_logits_cache:
            with torch.no_grad():
                _last_logits_cache[text] = model(**tok(text, return_tensors="pt")).logits[0, -1, :]
        return _last_logits_cache[text]
    tgt = tok(word, add_special_tokens=False).input_ids
    p = torch.softmax(last_logits(item), dim=-1)[tgt[0]]
    if len(tgt) > 1:
        ctx = item + tok.decode(tgt[0])
        for t in tgt[1:]:
            piece = tok.decode(t)
            p = p * torch.softmax(last_logits(ctx), dim=-1)[tok(piece, add_special_tokens=False).input_ids[0]]
            ctx += piece
    return p


def reading(model, tok, csv_path):
    import pandas as pd
    import statsmodels.formula.api as smf
    df = pd.read_csv(csv_path, dtype={"item": str})
    df["item"] = df["item"].fillna("None")
    out, prev = [], []
    for _, row in df.iterrows():
        out.append(-math.log(get_p2(row["item"], row["word"], model, tok)))
        prev.append(-math.log(get_p2(row["prev_item"], row["prev_word"], model, tok)) if isinstance(row["prev_item"], str) else float("nan"))
    df["pred"], df["prev_pred"] = out, prev
    base = "Subtlex_log10 + length + context_length + Subtlex_log10:length + Subtlex_log10:context_length + length:context_length"
    et = []
    for dv in ["RTfirstfix", "RTfirstpass", "RTgopast", "RTrightbound"]:
        b = smf.ols(dv + " ~ " + base, data=df[[dv, "Subtlex_log10", "length", "context_length"]].dropna()).fit()
        m = smf.ols(dv + " ~ " + base + " + pred", data=df[["pred", dv, "Subtlex_log10", "length", "context_length"]].dropna()).fit()
        et.append((m.rsquared - b.rsquared) / (1 - b.rsquared) * 100)
    spill = ("Subtlex_log10 + length + context_length + prev_length + prev_pred + Subtlex_log10:length + Subtlex_log10:context_length"
             " + Subtlex_log10:prev_length + Subtlex_log10:prev_pred + length:context_length + length:prev_length + length:prev_pred"
             " + context_length:prev_length + context_length:prev_pred + prev_length:prev_pred")
    cols = ["Subtlex_log10", "length", "context_length", "prev_length", "prev_pred"]
    dv = "self_paced_reading_time"
    b = smf.ols(dv + " ~ " + spill, data=df[[dv] + cols].dropna()).fit()
    m = smf.ols(dv + " ~ " + spill + " + pred", data=df[["pred", dv] + cols].dropna()).fit()
    return {"pred": out, "prev_pred": [None if math.isnan(x) else x for x in prev], "et_measures": et,
            "et": sum(et) / len(et), "spr": (m.rsquared - b.rsquared) / (1 - b.rsquared) * 100}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("out")
    ap.add_argument("--blimp", nargs="*")
    ap.add_argument("--wug")
    ap.add_argument("--wug-uid", default="wug_adj")
    ap.add_argument("--reading")
    ap.add_argument("--threads", type=int, default=1, help="torch threads (1 in the parity tests; the bench's timing uses more)")
    args = ap.parse_args()
    if not os.path.exists(os.path.join(args.model_dir, "config.json")):
        make_model(args.model_dir, corpus_of(args))
    torch.set_num_threads(args.threads)
    model = AutoModelForCausalLM.from_pretrained(args.model_dir).eval()
    tok = AutoTokenizer.from_pretrained(args.model_dir)
    result = {}
    if args.blimp:
        result["blimp"] = blimp(model, tok, args.blimp)
    if args.wug:
        result["wug"] = wug(model, tok, args.wug, args.wug_uid)
    if args.reading:
        result["reading"] = reading(model, tok, args.reading)
    with open(args.out, "w") as f:
        json.dump(result, f)


if __name__ == "__main__":
    main()
