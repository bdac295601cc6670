#!/usr/bin/env bash
# Items/s of `courseware eval` over the shipped fictional-world tasks, per backend, cold (empty cache) and cached
# (the same command again). Usage: bench/benchmarks/run.sh [checkpoint folder] [tasks]
# Needs `dotnet build Courseware.sln -c Release` first. Prints a markdown table; set KEEP=folder to keep the results JSON.
set -euo pipefail
cd "$(dirname "$0")/../.."
model="${1:-datasets/models/tinygpt-base}"
tasks="${2:-mmlu,hellaswag,arc_easy,arc_challenge,truthfulqa_mc1,truthfulqa_mc2,custom/tinyworld_pets.yaml}"
cache=$(mktemp -d)
trap 'rm -rf "$cache"' EXIT
out="${KEEP:-$cache/results}"
mkdir -p "$out"
printf '| backend | run | items | requests | from cache | wall s | items/s |\n|---|---|---|---|---|---|---|\n'
for backend in torch onnx; do
  for run in cold cached; do
    json="$out/$(basename "$model")-$backend-$run.json"
    build/cli/courseware eval --model "$model" --backend "$backend" --device cpu --tasks "$tasks" \
      --cache "$cache/$backend" --out "$json" >/dev/null 2>&1
    /usr/bin/python3 - "$json" "$backend" "$run" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); t = d["timings"]
print(f"| {sys.argv[2]} | {sys.argv[3]} | {t['items']} | {t['requests']} | {t['requests_from_cache']} | {float(d['total_evaluation_time_seconds']):.2f} | {t['items_per_second']:.1f} |")
PY
  done
done
