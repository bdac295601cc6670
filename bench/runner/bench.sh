#!/usr/bin/env bash
# Wall time of `courseware run --parallel 2` against dotnet-repl 0.3.259 (one process per notebook, as it works)
# on the same notebooks in the same run, plus kernel start + first cell.
# Usage: bench/runner/bench.sh [notebook folder]   (default: bench/runner/notebooks; e.g. solutions/)
# Needs: `dotnet build Courseware.sln -c Release` and `dotnet tool restore` first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
folder="$(cd "${1:-$root/bench/runner/notebooks}" && pwd)"
courseware="$root/lib/Courseware.Cli/bin/Release/net10.0/$(dotnet --info | awk '/ RID:/ {print $2}')/courseware"
out="$root/out/bench-runner"
rm -rf "$out" && mkdir -p "$out/repl" "$out/courseware"
mapfile -t notebooks < <(find "$folder" -maxdepth 1 -name '*.ipynb' ! -name 'first-cell.ipynb' | sort)
[ ${#notebooks[@]} -gt 0 ] || { echo "no notebooks in $folder" >&2; exit 2; }
now() { date +%s.%N; }

echo "notebooks: ${#notebooks[@]} from $folder   (cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg))"
# Warm both tools' caches once (first-run JIT/disk), as a user's second run would be.
(cd "$root" && dotnet tool run dotnet-repl -- --run "$root/bench/runner/notebooks/first-cell.ipynb" --exit-after-run --output-path "$out/warm.ipynb" --output-format ipynb >/dev/null 2>&1) || true
"$courseware" run "$root/bench/runner/notebooks/first-cell.ipynb" --out "$out/warm" >/dev/null 2>&1 || true

start=$(now)
for nb in "${notebooks[@]}"; do
  (cd "$(dirname "$nb")" && dotnet tool run dotnet-repl -- --run "$nb" --exit-after-run \
     --output-path "$out/repl/$(basename "$nb")" --output-format ipynb >/dev/null 2>&1) || echo "dotnet-repl: $(basename "$nb") had failures"
done
repl=$(echo "$(now) - $start" | bc -l)

start=$(now)
"$courseware" run "${notebooks[@]}" --parallel 2 --out "$out/courseware" >/dev/null 2>&1 || echo "courseware run: some notebooks failed (see $out/courseware/summary.md)"
ours=$(echo "$(now) - $start" | bc -l)

start=$(now)
"$courseware" run "$root/bench/runner/notebooks/first-cell.ipynb" --out "$out/first" >/dev/null
first=$(echo "$(now) - $start" | bc -l)
firstcell=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['notebooks'][0]['cells'][0]['seconds'])" "$out/first/summary.json")

printf 'dotnet-repl (sequential, one process per notebook): %6.2f s\n' "$repl"
printf 'courseware run --parallel 2:                       %6.2f s\n' "$ours"
printf 'ratio courseware/dotnet-repl:                      %6.2f\n' "$(echo "$ours / $repl" | bc -l)"
printf 'kernel start + first cell (whole courseware run of a one-cell notebook): %.2f s (first cell itself after warm-up: %s s)\n' "$first" "$firstcell"
