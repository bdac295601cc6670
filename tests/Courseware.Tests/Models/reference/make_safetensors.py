#!/usr/bin/python3
"""Writes reference.safetensors by hand, following the layout of huggingface/safetensors' serialize():
8-byte little-endian header length N; N bytes of compact JSON ({"__metadata__": {...}} first, then tensors
sorted by dtype descending in the reference Dtype order, then by name; each {"dtype","shape","data_offsets"});
the header padded with spaces to a multiple of 8; then the raw little-endian tensor bytes in header order.
Only the standard library is used (struct, json), so the bytes do not depend on any safetensors package.
Run: /usr/bin/python3 make_safetensors.py  (writes reference.safetensors next to this script)."""
import json, os, struct

DTYPE_ORDER = ["BOOL", "U8", "I8", "I16", "U16", "F16", "BF16", "I32", "U32", "F32", "F64", "I64", "U64"]
FORMATS = {"F32": "<f", "F64": "<d", "I64": "<q", "I32": "<i", "U8": "<B", "F16": "<e", "I16": "<h"}

tensors = {
    "weight": ("F32", [2, 3], [0.5, -1.25, 3.0, 1e-3, -0.0, 65504.0]),
    "bias": ("F32", [3], [0.1, 0.2, 0.3]),
    "ids": ("I64", [4], [0, 1, -2, 2**40]),
    "mask": ("U8", [2, 2], [1, 0, 0, 1]),
    "half": ("F16", [2], [1.5, -2.0]),
    "scalar": ("F64", [], [3.141592653589793]),
}
metadata = {"format": "pt", "source": "make_safetensors.py"}

order = sorted(tensors, key=lambda n: (-DTYPE_ORDER.index(tensors[n][0]), n))
header = {"__metadata__": dict(sorted(metadata.items()))}
blobs, offset = [], 0
for name in order:
    dtype, shape, values = tensors[name]
    blob = b"".join(struct.pack(FORMATS[dtype], v) for v in values)
    header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [offset, offset + len(blob)]}
    blobs.append(blob)
    offset += len(blob)
text = json.dumps(header, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
text += b" " * ((8 - len(text) % 8) % 8)
path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.safetensors")
with open(path, "wb") as f:
    f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))
print(path, os.path.getsize(path), "bytes; order:", order)
