#!/usr/bin/env bash
# KS, Wasserstein-1 and streaming PSI on the 3-million-value column of flights-3m.parquet (vega-datasets 3.2.1, fetched
# with `npm pack` into a temp folder, never committed): Courseware.Drift vs scipy on the same values in the same run.
# Usage: bench/drift/run.sh [repeats]   (needs the .NET SDK, npm and /usr/bin/python3 with scipy)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repeats="${1:-5}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack vega-datasets@3.2.1 --silent >/dev/null && tar xzf vega-datasets-3.2.1.tgz package/data/flights-3m.parquet)
dotnet build "$here/Drift.Bench.csproj" -c Release -o "$work/bin" -v:q -nologo >/dev/null
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
cs="$(dotnet "$work/bin/Drift.Bench.dll" "$work/package/data/flights-3m.parquet" "$work/column.f64" "$repeats")"
# scipy runs on one core, so also time C# held to one core (the parallel sort of the two halves then runs serially).
cs1="$(DOTNET_PROCESSOR_COUNT=1 dotnet "$work/bin/Drift.Bench.dll" "$work/package/data/flights-3m.parquet" "$work/column1.f64" "$repeats")"
py="$(/usr/bin/python3 "$here/scipy_bench.py" "$work/column.f64" "$repeats")"
echo "$cs"
echo "$cs1"
echo "$py"
/usr/bin/python3 - "$cs" "$cs1" "$py" <<'PY'
import json, sys
cs, cs1, py = (json.loads(a) for a in sys.argv[1:4])
for key, name in [("ks_d", "KS D"), ("ks_p", "KS p"), ("wasserstein", "W1"), ("psi", "PSI")]:
    rel = abs(cs[key] - py[key]) / max(abs(py[key]), 1e-300)
    print(f"{name}: C# {cs[key]:.12g}  scipy {py[key]:.12g}  (relative difference {rel:.1e})")
for key, name in [("ks_s", "ks_2samp"), ("wasserstein_s", "wasserstein_distance"), ("psi_stream_s", "streaming PSI")]:
    print(f"{name}: C# {cs[key]:.3f} s ({cs['threads']} cores), {cs1[key]:.3f} s (1 core); scipy {py[key]:.3f} s "
          f"→ C# time / scipy time = {cs[key] / py[key]:.2f}x, {cs1[key] / py[key]:.2f}x on one core")
PY
