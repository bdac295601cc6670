#!/usr/bin/env bash
# Wall time of `courseware run --parallel 2` against dotnet-repl 0.3.259 (one process per notebook, as it works)
# on the same notebooks in the same run, plus kernel start + first cell.
# Usage: bench/runner/bench.sh [--r2r] [notebook folder]   (default: bench/runner/notebooks; e.g. solutions/)
#   --r2r  also time a ReadyToRun publish of the CLI (made once into out/cli-r2r; Roslyn and the kernel then need no JIT).
# Needs: `dotnet build Courseware.sln -c Release` and `dotnet tool restore` first.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
r2r=0
if [ "${1:-}" = "--r2r" ]; then r2r=1; shift; fi
folder="$(cd "${1:-$root/bench/runner/notebooks}" && pwd)"
courseware="$root/build/cli/courseware"
out="$root/out/bench-runner"
rm -rf "$out" && mkdir -p "$out/repl" "$out/courseware"
mapfile -t notebooks < <(find "$folder" -maxdepth 1 -name '*.ipynb' ! -name 'first-cell.ipynb' | sort)
[ ${#notebooks[@]} -gt 0 ] || { echo "no notebooks in $folder" >&2; exit 2; }
now() { date +%s.%N; }

echo "notebooks: ${#notebooks[@]} from $folder   (cores: $(nproc), load: $(cut -d' ' -f1-3 /proc/loadavg))"
# Warm both tools' caches once (first-run JIT/disk), as a user's second run would be.
(cd "$root" && dotnet tool run dotnet-repl -- --run "$root/bench/runner/notebooks/first-cell.ipynb" --exit-after-run --output-path "$out/warm.ipynb" --output-format ipynb >/dev/null 2>&1) || true
"$courseware" run "$root/bench/runner/notebooks/first-cell.ipynb" --out "$out/warm" >/dev/null 2>&1 || true

# CPU time (user+sys of every process) is reported too: on a shared, loaded machine it is the steadier number.
export out
/usr/bin/time -f "%e %U %S" -o "$out/repl.time" bash -c '
  for nb in "$@"; do
    (cd "$(dirname "$nb")" && dotnet tool run dotnet-repl -- --run "$nb" --exit-after-run \
       --output-path "$out/repl/$(basename "$nb")" --output-format ipynb >/dev/null 2>&1) || echo "dotnet-repl: $(basename "$nb") had failures"
  done' _ "${notebooks[@]}"
/usr/bin/time -f "%e %U %S" -o "$out/courseware.time" \
  "$courseware" run "${notebooks[@]}" --parallel 2 --out "$out/courseware" >/dev/null 2>&1 || echo "courseware run: some notebooks failed (see $out/courseware/summary.md)"
read -r repl repl_user repl_sys < "$out/repl.time"
read -r ours ours_user ours_sys < "$out/courseware.time"
if [ $r2r = 1 ]; then
  [ -x "$root/out/cli-r2r/Courseware.Cli" ] || dotnet publish "$root/lib/Courseware.Cli" -c Release -p:PublishReadyToRun=true -o "$root/out/cli-r2r" >/dev/null
  "$root/out/cli-r2r/Courseware.Cli" run "$root/bench/runner/notebooks/first-cell.ipynb" --out "$out/warm-r2r" >/dev/null 2>&1 || true
  /usr/bin/time -f "%e %U %S" -o "$out/r2r.time" \
    "$root/out/cli-r2r/Courseware.Cli" run "${notebooks[@]}" --parallel 2 --out "$out/r2r" >/dev/null 2>&1 || echo "courseware run (R2R): some notebooks failed"
  read -r r2rw r2r_user r2r_sys < "$out/r2r.time"
fi

start=$(now)
"$courseware" run "$root/bench/runner/notebooks/first-cell.ipynb" --out "$out/first" >/dev/null
first=$(echo "$(now) - $start" | bc -l)
firstcell=$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['notebooks'][0]['cells'][0]['seconds'])" "$out/first/summary.json")

printf 'dotnet-repl (one process per notebook, in turn): wall %6.2f s   cpu %6.2f s\n' "$repl" "$(echo "$repl_user + $repl_sys" | bc -l)"
printf 'courseware run --parallel 2:                       wall %6.2f s   cpu %6.2f s\n' "$ours" "$(echo "$ours_user + $ours_sys" | bc -l)"
printf 'ratio courseware/dotnet-repl:                      wall %6.2f     cpu %6.2f\n' "$(echo "$ours / $repl" | bc -l)" \
  "$(echo "($ours_user + $ours_sys) / ($repl_user + $repl_sys)" | bc -l)"
if [ $r2r = 1 ]; then
  printf 'courseware run --parallel 2 (ReadyToRun):          wall %6.2f s   cpu %6.2f s   ratio wall %.2f cpu %.2f\n' "$r2rw" "$(echo "$r2r_user + $r2r_sys" | bc -l)" \
    "$(echo "$r2rw / $repl" | bc -l)" "$(echo "($r2r_user + $r2r_sys) / ($repl_user + $repl_sys)" | bc -l)"
fi
printf 'kernel start + first cell (a whole `courseware run` of a one-cell notebook): %.2f s; the first cell on the warm kernel: %s s\n' "$first" "$firstcell"
