"""Python side of tools/test/bos-parity.test.ts: for each model folder pretrained by class-it, what HF says.

usage: bos_parity.py SPEC_JSON OUT_JSON
SPEC_JSON: {"reference": path of babylm_reference.py, "texts": [...], "items": [{"sentences", "completions"}, ...],
"models": [dir, ...]}
For every dir: the ids of `texts` from AutoTokenizer and from the raw `tokenizers` file, the special-token ids the
tokenizer and config.json give, and each item's candidate scores computed the reference way (babylm_reference.py's
causal_scores: tokenise with special tokens, score every token after the first whose end offset passes the start).
"""
import importlib.util
import json
import os
import sys

import torch
from tokenizers import Tokenizer
from transformers import AutoConfig, AutoModelForCausalLM, AutoTokenizer


def main(spec_file, out_file):
    with open(spec_file) as f:
        spec = json.load(f)
    module_spec = importlib.util.spec_from_file_location("babylm_reference", spec["reference"])
    reference = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(reference)
    torch.set_num_threads(1)
    items = spec["items"]
    out = {}
    for directory in spec["models"]:
        tok = AutoTokenizer.from_pretrained(directory)
        raw = Tokenizer.from_file(os.path.join(directory, "tokenizer.json"))
        config = AutoConfig.from_pretrained(directory)
        model = AutoModelForCausalLM.from_pretrained(directory).eval()
        out[directory] = {
            "class": type(tok).__name__,
            "ids": [tok(t)["input_ids"] for t in spec["texts"]],
            "raw_ids": [raw.encode(t).ids for t in spec["texts"]],
            "tokenizer": {"bos": tok.bos_token_id, "eos": tok.eos_token_id, "pad": tok.pad_token_id,
                          "bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token},
            "config": {"bos": config.bos_token_id, "eos": config.eos_token_id, "pad": config.pad_token_id},
            "scores": reference.causal_scores(model, tok, items).tolist(),
        }
    with open(out_file, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
