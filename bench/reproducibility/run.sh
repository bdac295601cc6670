#!/usr/bin/env bash
# Hashes a 256 MiB dataset (64 files × 4 MiB + 1000 small files) with DataManifest and with Python hashlib in the same run,
# checks both give the same DVC hash, then times a 10M-float bitwise comparison and seed derivation.
# Usage: bench/reproducibility/run.sh  (needs the .NET SDK and /usr/bin/python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 - "$work/data" <<'PY'
import os, sys, random
root = sys.argv[1]
rng = random.Random(2026)
for i in range(64):
    os.makedirs(f"{root}/shards", exist_ok=True)
    with open(f"{root}/shards/{i:03d}.bin", "wb") as f:
        f.write(rng.randbytes(4 << 20))
for i in range(1000):
    os.makedirs(f"{root}/labels/{i % 10}", exist_ok=True)
    with open(f"{root}/labels/{i % 10}/{i}.txt", "w") as f:
        f.write(f"{i},{rng.random()}\n")
PY
dotnet build "$here/Reproducibility.Bench.csproj" -c Release -o "$work/bin" -v:q -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1 /proc/loadavg)"
cs="$(dotnet "$work/bin/Reproducibility.Bench.dll" hash "$work/data" 5)"
# Python hashes one file at a time; C# held to one core gives the per-core comparison.
cs1="$(DOTNET_PROCESSOR_COUNT=1 dotnet "$work/bin/Reproducibility.Bench.dll" hash "$work/data" 5)"
py="$(/usr/bin/python3 "$here/hash_python.py" "$work/data" 5)"
echo "$cs"
echo "$cs1"
echo "$py"
/usr/bin/python3 -c "
import json, sys
cs, cs1, py = (json.loads(a) for a in sys.argv[1:4])
assert cs['result'] == py['result'] == cs1['result'], f'hashes differ: {cs[\"result\"]} vs {py[\"result\"]}'
mib = 256 + 1000 * 25 / 2**20
print(f\"same DVC hash {cs['result']}; C# {mib / cs['median_s']:.0f} MiB/s, C# 1 core {mib / cs1['median_s']:.0f} MiB/s, Python hashlib {mib / py['median_s']:.0f} MiB/s (median)\")
" "$cs" "$cs1" "$py"
[ "${HASH_ONLY:-}" ] && exit 0
dotnet "$work/bin/Reproducibility.Bench.dll" compare 10000000 5
dotnet "$work/bin/Reproducibility.Bench.dll" seeds 5
