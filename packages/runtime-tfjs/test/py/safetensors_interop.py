"""Reference safetensors files from Python (`safetensors.torch`) for the TypeScript interoperability tests.

Usage:
  safetensors_interop.py st-write <file>
      Writes a safetensors file with torch (F32, F16, BF16, I64 tensors).
  safetensors_interop.py st-read <file> <out.json>
      Reads a safetensors file with torch and writes {name: {dtype, shape, values}}.
"""
import json
import sys


def st_write(file):
    import torch
    from safetensors.torch import save_file

    g = torch.Generator().manual_seed(0)
    tensors = {
        "transformer.wte.weight": torch.randn(7, 5, generator=g),
        "a.half": torch.randn(3, 4, generator=g).to(torch.float16),
        "b.bf16": torch.randn(2, 3, generator=g).to(torch.bfloat16),
        "c.ids": torch.arange(-3, 9, dtype=torch.int64).reshape(3, 4),
        "d.scalar": torch.tensor(2.5),
        "e.empty": torch.zeros(0, 4),
    }
    save_file(tensors, file, metadata={"format": "pt"})
    expected = {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.float().flatten().tolist()} for k, v in tensors.items()}
    with open(file + ".json", "w") as f:
        json.dump(expected, f)


def st_read(file, out_file):
    from safetensors import safe_open

    out = {}
    with safe_open(file, framework="pt") as f:
        meta = f.metadata()
        for k in f.keys():
            t = f.get_tensor(k)
            out[k] = {"dtype": str(t.dtype), "shape": list(t.shape), "values": t.double().flatten().tolist()}
    with open(out_file, "w") as fh:
        json.dump({"metadata": meta, "tensors": out}, fh)


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"st-write": st_write, "st-read": st_read}[cmd](*args)
