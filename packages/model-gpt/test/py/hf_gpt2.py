"""Reference side of the HF parity tests (run by ../hf-parity.test.ts with the repo's .venv python).

  make <dir> <requests.json> <out.json>   build a tiny GPT2LMHeadModel + byte-level BPE tokenizer, save_pretrained
                                          into <dir>, write logits and BabyLM scores of the requests to <out.json>
  check <dir> <requests.json> <out.json>  load <dir> with AutoModelForCausalLM / AutoTokenizer and write the same
  both <hf-dir> <our-dir> <requests.json> <make-out.json> <check-out.json>   both of the above in one process

requests.json: {"texts": [...], "pairs": [[context, continuation], ...]}
out.json: {"ids": [[...]], "logits": [[[...]]], "scores": [...], "scored_tokens": [[...]]}
"""
import json
import sys

import torch
from transformers import AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, PreTrainedTokenizerFast
from tokenizers import ByteLevelBPETokenizer

CORPUS = [
    "The cat sat on the mat.", "A dog barks at the moon.", "Who should Derek hug after shocking Richard?",
    "The children were playing in the garden while their parents talked.", "She reads books every night.",
    "Many people think that the weather will change tomorrow.", "A: where is it?\nB: over there.",
]


def babylm_causal_score(model, tok, context, continuation):
    """Spec section 2.2, written independently of the TypeScript port."""
    s = context + continuation
    enc = tok(s, return_offsets_mapping=True)
    ids, offsets = enc["input_ids"], enc["offset_mapping"]
    k = len(s) - len(continuation) + offsets[0][0]
    with torch.no_grad():
        logits = model(torch.tensor([ids[:-1]])).logits[0]
    logp = torch.log_softmax(logits.float(), dim=-1)
    mask = torch.tensor([1.0 if offsets[j][1] > k else 0.0 for j in range(1, len(ids))])
    picked = logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])]
    scored = [tok.convert_ids_to_tokens(ids[j]) for j in range(1, len(ids)) if offsets[j][1] > k]
    return float((picked * mask).sum()), scored


def describe(model, tok, requests):
    model.eval()
    out = {"ids": [], "logits": [], "scores": [], "scored_tokens": []}
    for text in requests["texts"]:
        ids = tok(text)["input_ids"]
        with torch.no_grad():
            logits = model(torch.tensor([ids])).logits[0]
        out["ids"].append(ids)
        out["logits"].append(logits.tolist())
    for context, continuation in requests["pairs"]:
        score, tokens = babylm_causal_score(model, tok, context, continuation)
        out["scores"].append(score)
        out["scored_tokens"].append(tokens)
    return out


def make(directory):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 3, vocab_size=300, min_frequency=1, special_tokens=["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tok), n_positions=64, n_embd=32, n_layer=2, n_head=4,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    model = GPT2LMHeadModel(config)
    # Make the weights less uniform than the 0.02 init so the logits differ visibly between tokens.
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)
    model.save_pretrained(directory, safe_serialization=True)
    tok.save_pretrained(directory)
    return model, tok


def check(directory):
    return AutoModelForCausalLM.from_pretrained(directory), AutoTokenizer.from_pretrained(directory)


def main():
    mode = sys.argv[1]
    if mode == "both":
        hf_dir, our_dir, requests_file, make_out, check_out = sys.argv[2:7]
        requests = json.load(open(requests_file))
        json.dump(describe(*make(hf_dir), requests), open(make_out, "w"))
        json.dump(describe(*check(our_dir), requests), open(check_out, "w"))
        return
    directory, requests_file, out_file = sys.argv[2:5]
    requests = json.load(open(requests_file))
    if mode == "make":
        model, tok = make(directory)
    elif mode == "check":
        model, tok = check(directory)
    else:
        raise SystemExit(f"unknown mode {mode}")
    json.dump(describe(model, tok, requests), open(out_file, "w"))


if __name__ == "__main__":
    main()
