"""Reference outputs from HF `tokenizers` / `transformers` for the TypeScript tokenizer parity tests.

Usage:
  tokenizer_parity.py make <out_dir> <texts.json>
      Builds five BPE tokenizers (GPT-2 style byte-level variants and LLaMA / SentencePiece style ones), trained
      with `tokenizers` on the texts, saves each as <out_dir>/<name>/tokenizer.json and writes
      <out_dir>/expected.json with ids, offsets (UTF-16 code units) and decodings of every text.
  tokenizer_parity.py auto <texts.json> <out.json> <dir>...
      Loads each <dir> with transformers' AutoTokenizer and writes ids, offsets and special tokens by dir.
"""
import json
import os
import sys


def utf16_offsets(text, offsets):
    """Python offsets count code points; JS strings count UTF-16 units."""
    units = [0]
    for ch in text:
        units.append(units[-1] + (2 if ord(ch) > 0xFFFF else 1))
    return [[units[s], units[e]] for s, e in offsets]


def encode_all(tok, texts, add_special):
    out = []
    for text in texts:
        enc = tok.encode(text, add_special_tokens=add_special)
        out.append({
            "ids": enc.ids,
            "offsets": utf16_offsets(text, enc.offsets),
            "specialTokensMask": enc.special_tokens_mask,
        })
    return out


def byte_level_tokenizer(texts, add_prefix_space, post, normalizer, vocab_size):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers, AddedToken

    tok = Tokenizer(models.BPE())
    if normalizer is not None:
        tok.normalizer = normalizer
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=add_prefix_space)
    tok.decoder = decoders.ByteLevel()
    specials = ["<|endoftext|>", "<s>", "<pad>", "<|user|>", "<|assistant|>"]
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        min_frequency=2,
        show_progress=False,
    )
    tok.train_from_iterator(texts, trainer)
    # A non-special added token (normalized, matched inside text) and one with lstrip.
    tok.add_tokens([AddedToken("Karen", normalized=True, special=False)])
    tok.add_special_tokens([AddedToken("<mask>", lstrip=True, special=True, normalized=False)])
    if post == "bytelevel":
        tok.post_processor = processors.ByteLevel(trim_offsets=True)
    elif post == "bytelevel-notrim":
        tok.post_processor = processors.ByteLevel(trim_offsets=False)
    elif post == "bos":
        bos_id = tok.token_to_id("<s>")
        tok.post_processor = processors.TemplateProcessing(
            single="<s> $A", pair="<s> $A <s> $B", special_tokens=[("<s>", bos_id)]
        )
    return tok


def sentencepiece_tokenizer(texts, style, vocab_size):
    """LLaMA-style BPE with byte fallback: `style` is 'normalizer' (Prepend + Replace, the current HF conversion),
    'metaspace-first' or 'metaspace-always-nosplit' (the legacy Metaspace pre-tokenizer)."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

    # Learn merges on the ▁-normalised text with a small alphabet, so rare characters need byte fallback.
    learner = Tokenizer(models.BPE(unk_token="<unk>"))
    learner.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=["<unk>", "<s>", "</s>"],
                                  limit_alphabet=40, min_frequency=2, show_progress=False)
    learner.train_from_iterator(texts, trainer)
    learned = json.loads(learner.to_str())["model"]
    base = ["<unk>", "<s>", "</s>"] + ["<0x%02X>" % b for b in range(256)]
    learned_tokens = sorted(learned["vocab"].items(), key=lambda kv: kv[1])
    vocab = {t: i for i, t in enumerate(base)}
    for t, _ in learned_tokens:
        if t not in vocab:
            vocab[t] = len(vocab)
    merges = [tuple(m.split(" ")) if isinstance(m, str) else tuple(m) for m in learned["merges"]]
    tok = Tokenizer(models.BPE(vocab=vocab, merges=merges, unk_token="<unk>", byte_fallback=True, fuse_unk=True))
    from tokenizers import AddedToken
    tok.add_special_tokens([AddedToken(t, normalized=False, special=True) for t in ["<unk>", "<s>", "</s>"]])
    if style == "normalizer":
        tok.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
        tok.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                         decoders.Strip(" ", 1, 0)])
    elif style == "metaspace-first":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="first", split=True)
        tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="first")])
    elif style == "metaspace-always-nosplit":
        tok.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=False)
        tok.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(replacement="▁", prepend_scheme="always")])
    tok.post_processor = processors.TemplateProcessing(single="<s> $A", pair="<s> $A <s> $B",
                                                       special_tokens=[("<s>", vocab["<s>"])])
    return tok


def make(out_dir, texts_file):
    from tokenizers import normalizers

    with open(texts_file, encoding="utf-8") as f:
        data = json.load(f)
    train, texts = data["train"], data["texts"]
    builders = {
        "gpt2-trim": lambda: byte_level_tokenizer(train, False, "bytelevel", None, 1200),
        "gpt2-prefix-notrim": lambda: byte_level_tokenizer(train, True, "bytelevel-notrim", None, 1200),
        "bytelevel-bos-nfc-lower": lambda: byte_level_tokenizer(
            train, False, "bos", normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()]), 1200),
        "llama-normalizer": lambda: sentencepiece_tokenizer(train, "normalizer", 1000),
        "llama-metaspace-first": lambda: sentencepiece_tokenizer(train, "metaspace-first", 1000),
        "llama-metaspace-always-nosplit": lambda: sentencepiece_tokenizer(train, "metaspace-always-nosplit", 1000),
    }
    expected = {}
    for name, build in builders.items():
        tok = build()
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        tok.save(os.path.join(d, "tokenizer.json"))
        with_special = encode_all(tok, texts, True)
        without_special = encode_all(tok, texts, False)
        decoded = [tok.decode(e["ids"], skip_special_tokens=False) for e in with_special]
        decoded_skip = [tok.decode(e["ids"], skip_special_tokens=True) for e in with_special]
        expected[name] = {
            "withSpecial": with_special,
            "withoutSpecial": [e["ids"] for e in without_special],
            "withoutSpecialOffsets": [e["offsets"] for e in without_special],
            "decoded": decoded,
            "decodedSkip": decoded_skip,
        }
    with open(os.path.join(out_dir, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False)


def auto(texts_file, out_file, *model_dirs):
    from transformers import AutoTokenizer

    with open(texts_file, encoding="utf-8") as f:
        texts = json.load(f)["texts"]
    results = {}
    for model_dir in model_dirs:
        tok = AutoTokenizer.from_pretrained(model_dir)
        rows = []
        for text in texts:
            enc = tok(text, return_offsets_mapping=True)
            rows.append({"ids": enc["input_ids"], "offsets": utf16_offsets(text, enc["offset_mapping"])})
        results[model_dir] = {
            "class": type(tok).__name__,
            "bos_token": tok.bos_token, "eos_token": tok.eos_token, "pad_token": tok.pad_token,
            "unk_token": tok.unk_token,
            "vocab_size": len(tok),
            "rows": rows,
            "decoded": [tok.decode(r["ids"], skip_special_tokens=True) for r in rows],
        }
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(results, f, ensure_ascii=False)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"make": make, "auto": auto}[cmd](*args)
