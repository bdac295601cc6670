#!/usr/bin/env bash
# Paired bootstrap, 10,000 resamples × 10,000 items: C# (Courseware.Evaluation.Stats.PairedBootstrap) vs numpy on the
# same data in the same run. Usage: bench/evaluation/run.sh  (from anywhere; needs the .NET SDK and /usr/bin/python3)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Per-item scores of two systems: 0/1 correctness with accuracies 0.70 and 0.72 (the lab's case), float64 a then b.
/usr/bin/python3 - "$work/data.f64" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(2024)
a = (rng.random(10_000) < 0.72).astype("<f8")
b = (rng.random(10_000) < 0.70).astype("<f8")
np.concatenate([a, b]).tofile(sys.argv[1])
PY
dotnet build "$here/Evaluation.Bench.csproj" -c Release -o "$work/bin" -v:q -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cs="$(dotnet "$work/bin/Evaluation.Bench.dll" "$work/data.f64" 7)"
# numpy runs this on one core, so also time C# held to one core for a per-core comparison.
cs1="$(DOTNET_PROCESSOR_COUNT=1 dotnet "$work/bin/Evaluation.Bench.dll" "$work/data.f64" 7)"
py="$(/usr/bin/python3 "$here/bootstrap_numpy.py" "$work/data.f64" 5)"
echo "$cs"
echo "$cs1"
echo "$py"
/usr/bin/python3 -c "
import json, sys
cs, cs1, py = (json.loads(a) for a in sys.argv[1:4])
print(f\"numpy / C# median time: {py['median_s'] / cs['median_s']:.1f}x on all cores, {py['median_s'] / cs1['median_s']:.1f}x on one core \"
      f\"(C# {cs['median_s']:.3f} s, C# 1 core {cs1['median_s']:.3f} s, numpy {py['median_s']:.3f} s)\")
" "$cs" "$cs1" "$py"
