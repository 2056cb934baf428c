"""Reference side of the generation parity test (../generation-parity.test.ts), with the repo's .venv python.

  hf_generate.py make OUT_DIR        save two small checkpoints with transformers (save_pretrained, so each has a
                                     generation_config.json): OUT_DIR/gpt2 (GPT2LMHeadModel, byte-level BPE) and
                                     OUT_DIR/llama (LlamaForCausalLM, 4 query heads sharing 2 key/value heads,
                                     untied head, SentencePiece-style tokenizer with BOS), each with a chat template
  hf_generate.py generate REQ.json   for each model of REQ, greedy `generate(do_sample=False)`: each prompt alone,
                                     all prompts in one left-padded batch, and each conversation through
                                     `apply_chat_template(add_generation_prompt=True)`; prints JSON keyed by dir

REQ.json: {"models": [{"dir": ..., "chat_template": optional}], "prompts": [...], "chats": [[{role, content}]],
           "max_new_tokens": N}
"""
import json
import sys

import torch
from tokenizers import Tokenizer, decoders, models, normalizers, processors, trainers
from tokenizers import ByteLevelBPETokenizer
from transformers import (AutoModelForCausalLM, AutoTokenizer, GPT2Config, GPT2LMHeadModel, LlamaConfig,
                          LlamaForCausalLM, PreTrainedTokenizerFast)

CORPUS = [
    "The cat sat on the mat.", "A dog barks at the moon.", "Who should Derek hug after shocking Richard?",
    "The children were playing in the garden while their parents talked.", "She reads books every night.",
    "Many people think that the weather will change tomorrow.", "User: where is it?\nAssistant: over there.",
]
CHAT_TEMPLATE = (
    "{% for message in messages %}{{ message['role'] + ': ' + message['content'] + '\\n' }}{% endfor %}"
    "{% if add_generation_prompt %}{{ 'assistant:' }}{% endif %}"
)


def roughen(model):
    """Weights less uniform than the init, so the next token is rarely a near tie."""
    with torch.no_grad():
        for p in model.parameters():
            p.add_(torch.randn_like(p) * 0.1)


def make_gpt2(directory):
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(CORPUS * 3, vocab_size=300, min_frequency=1, special_tokens=["<|endoftext|>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=bpe._tokenizer, bos_token="<|endoftext|>", eos_token="<|endoftext|>")
    tok.chat_template = CHAT_TEMPLATE
    torch.manual_seed(0)
    config = GPT2Config(vocab_size=len(tok), n_positions=96, n_embd=32, n_layer=2, n_head=4,
                        bos_token_id=tok.bos_token_id, eos_token_id=tok.eos_token_id)
    model = GPT2LMHeadModel(config).eval()
    roughen(model)
    model.save_pretrained(directory, safe_serialization=True)
    tok.save_pretrained(directory)


def make_llama(directory):
    trainer_model = Tokenizer(models.BPE(unk_token="<unk>"))
    trainer_model.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=200, special_tokens=["<unk>", "<s>", "</s>"], show_progress=False)
    trainer_model.train_from_iterator(CORPUS * 10, trainer)
    trained = json.loads(trainer_model.to_str())["model"]
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = len(vocab)
    for token, _ in sorted(trained["vocab"].items(), key=lambda kv: kv[1]):
        if token not in vocab:
            vocab[token] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in trained["merges"]]
    raw = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    raw.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    raw.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    raw.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", 1)])
    raw.add_special_tokens(["<unk>", "<s>", "</s>"])
    tok = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<s>", eos_token="</s>", unk_token="<unk>")
    tok.chat_template = "{{ bos_token }}" + CHAT_TEMPLATE
    torch.manual_seed(1)
    config = LlamaConfig(vocab_size=len(tok), hidden_size=32, intermediate_size=56, num_hidden_layers=2, num_attention_heads=4,
                         num_key_value_heads=2, max_position_embeddings=96, rms_norm_eps=1e-5, initializer_range=0.15,
                         rope_theta=500000.0, bos_token_id=1, eos_token_id=2, tie_word_embeddings=False)
    model = LlamaForCausalLM(config).eval()
    roughen(model)
    model.save_pretrained(directory, safe_serialization=True)
    tok.save_pretrained(directory)


def new_tokens(row, eos_ids):
    """Generated ids up to and including the first EOS (what follows is padding)."""
    out = []
    for t in row:
        out.append(int(t))
        if int(t) in eos_ids:
            break
    return out


def generate(request):
    answers = {}
    n = request["max_new_tokens"]
    for spec in request["models"]:
        model = AutoModelForCausalLM.from_pretrained(spec["dir"]).eval()
        tok = AutoTokenizer.from_pretrained(spec["dir"])
        if spec.get("chat_template"):
            tok.chat_template = spec["chat_template"]
        eos = model.generation_config.eos_token_id
        eos_ids = set(eos if isinstance(eos, list) else [eos])
        pad = model.generation_config.pad_token_id
        pad = pad if pad is not None else min(eos_ids)
        greedy = dict(do_sample=False, max_new_tokens=n, pad_token_id=pad)

        def run(ids_rows, mask_rows=None):
            ids = torch.tensor(ids_rows)
            mask = torch.tensor(mask_rows) if mask_rows is not None else torch.ones_like(ids)
            with torch.no_grad():
                out = model.generate(input_ids=ids, attention_mask=mask, **greedy)
            return [new_tokens(row[ids.shape[1]:].tolist(), eos_ids) for row in out]

        prompt_ids = [tok(p)["input_ids"] for p in request["prompts"]]
        single = [run([ids])[0] for ids in prompt_ids]
        width = max(len(ids) for ids in prompt_ids)
        padded = [[pad] * (width - len(ids)) + ids for ids in prompt_ids]
        masks = [[0] * (width - len(ids)) + [1] * len(ids) for ids in prompt_ids]
        batch = run(padded, masks)
        chat_prompt_ids = []
        for messages in request["chats"]:
            rendered = tok.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
            chat_prompt_ids.append(tok(rendered, add_special_tokens=False)["input_ids"])
        chat = [run([ids])[0] for ids in chat_prompt_ids]
        answers[spec["dir"]] = {"prompt_ids": prompt_ids, "single": single, "batch": batch,
                                "chat_prompt_ids": chat_prompt_ids, "chat": chat,
                                "single_text": [tok.decode(ids, skip_special_tokens=True) for ids in single]}
    return answers


def main():
    if sys.argv[1] == "make":
        make_gpt2(f"{sys.argv[2]}/gpt2")
        make_llama(f"{sys.argv[2]}/llama")
    elif sys.argv[1] == "generate":
        print(json.dumps(generate(json.load(open(sys.argv[2])))))
    else:
        raise SystemExit(f"unknown command {sys.argv[1]}")


if __name__ == "__main__":
    main()
