#!/usr/bin/env bash
# `courseware autograde --parallel 2` against a sequential loop of `courseware grade` (one process per submission, as a
# shell script over a class would do it), on the same synthetic submissions in the same run, plus the peak memory of a
# kernel worker process. The lab is the small test fixture tests/Courseware.Tests/Fixtures/notebooks/grading/solutions/stats.ipynb.
# Submissions (cycled): solution-derived full marks, untouched lab, partial work, broken JSON; one of them hangs (cell
# timeout --timeout, default 10 s).
# Usage: bench/grading/run.sh [submissions] [cell timeout s]   (default 10 and 10; needs `dotnet build Courseware.sln -c Release`)
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
n="${1:-10}"
timeout="${2:-10}"
courseware="$root/build/cli/courseware"
work="$root/out/bench-grading"
rm -rf "$work" && mkdir -p "$work/solutions" "$work/subs"
cp "$root/tests/Courseware.Tests/Fixtures/notebooks/grading/solutions/stats.ipynb" "$work/solutions/"
"$courseware" make-labs --solutions "$work/solutions" --labs "$work/labs" >/dev/null
python3 - "$work" "$n" <<'PY'
import json, os, sys
work, n = sys.argv[1], int(sys.argv[2])
lab = json.load(open(f"{work}/labs/stats.ipynb"))
def with_sources(**sources):
    nb = json.loads(json.dumps(lab))
    for cell in nb["cells"]:
        if cell["id"] in sources: cell["source"] = sources[cell["id"]]
    return json.dumps(nb, indent=1)
mean = "double Mean(double[] values) => values.Sum() / values.Length;"
variance = "double Variance(double[] values) { var m = values.Average(); return values.Sum(v => (v - m) * (v - m)) / (values.Length - 1); }"
kinds = {
    "full": with_sources(ex1=mean, ex2=variance),
    "untouched": json.dumps(lab, indent=1),
    "partial": with_sources(ex2=variance),
    "broken": with_sources(ex1=mean)[:500],
}
names = list(kinds)
for i in range(n):
    kind = "hang" if i == n - 1 else names[i % len(names)]
    text = with_sources(ex1="double Mean(double[] values) { while (true) { } }\nMean(xs);") if kind == "hang" else kinds[kind]
    os.makedirs(f"{work}/subs/learner{i:03}-{kind}", exist_ok=True)
    open(f"{work}/subs/learner{i:03}-{kind}/stats.ipynb", "w").write(text)
PY
now() { date +%s.%N; }
# Peak RSS of this run's kernel workers (`courseware run-worker` processes carrying this script's tag in their
# environment; other users' workers on a shared machine are not counted), sampled every 0.2 s while a command runs.
export BENCH_GRADING_TAG="bench-grading-$$"
peak_worker() {
  local file=$1 peak=0 rss pid
  while [ -f "$work/sampling" ]; do
    for pid in $(pgrep -f run-worker || true); do
      grep -qz "BENCH_GRADING_TAG=$BENCH_GRADING_TAG" "/proc/$pid/environ" 2>/dev/null || continue
      rss=$(awk '/VmRSS/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
      [ "${rss:-0}" -gt "$peak" ] && peak=$rss
    done
    sleep 0.2
  done
  echo "$peak" > "$file"
}
cpu() { awk '{ printf "%.2f", $2 + $3 }' "$1"; }
echo "submissions: $n (one hangs; cell timeout ${timeout} s)   cores: $(nproc)   load: $(cut -d' ' -f1-3 /proc/loadavg)"
# Warm the disk caches once, as a second run would find them.
"$courseware" grade "$work/subs/learner000-full/stats.ipynb" --solutions "$work/solutions" --out "$work/warm" >/dev/null 2>&1 || true

touch "$work/sampling"; peak_worker "$work/seq.rss" & sampler=$!
export courseware work timeout
/usr/bin/time -f "%e %U %S" -o "$work/seq.time" bash -c '
  for f in "$work"/subs/*/stats.ipynb; do
    learner=$(basename "$(dirname "$f")")
    "$courseware" grade "$f" --solutions "$work/solutions" --out "$work/seq/$learner" --timeout "$timeout" >/dev/null 2>&1 || true
  done'
read -r seq _ < "$work/seq.time"
rm "$work/sampling"; wait $sampler

touch "$work/sampling"; peak_worker "$work/par.rss" & sampler=$!
/usr/bin/time -f "%e %U %S" -o "$work/par.time" \
  "$courseware" autograde "$work/subs" --solutions "$work/solutions" --out "$work/auto" --parallel 2 --timeout "$timeout" >"$work/autograde.log" 2>&1 || true
read -r par _ < "$work/par.time"
rm "$work/sampling"; wait $sampler
start=$(now)
"$courseware" autograde "$work/subs" --solutions "$work/solutions" --out "$work/auto" --parallel 2 --timeout "$timeout" >/dev/null 2>&1 || true
resume=$(echo "$(now) - $start" | bc -l)

"$courseware" gradebook "$work/auto/gradebook.db" --export csv --to "$work/grades.csv"
graded=$(($(wc -l < "$work/grades.csv") - 1))
printf 'sequential `courseware grade` loop:   wall %7.2f s   cpu %7.2f s   %6.1f submissions/min   peak worker RSS %4d MiB\n' "$seq" "$(cpu "$work/seq.time")" "$(echo "$n * 60 / $seq" | bc -l)" $(( $(cat "$work/seq.rss") / 1024 ))
printf '`courseware autograde --parallel 2`:  wall %7.2f s   cpu %7.2f s   %6.1f submissions/min   peak worker RSS %4d MiB   (%d in the gradebook)\n' "$par" "$(cpu "$work/par.time")" "$(echo "$n * 60 / $par" | bc -l)" $(( $(cat "$work/par.rss") / 1024 )) "$graded"
printf 'ratio autograde/loop:                  wall %7.2f     cpu %7.2f     (throughput ×%.2f)\n' "$(echo "$par / $seq" | bc -l)" "$(echo "$(cpu "$work/par.time") / $(cpu "$work/seq.time")" | bc -l)" "$(echo "$seq / $par" | bc -l)"
printf 'resume (nothing changed):              %7.2f s\n' "$resume"
cut -d, -f1,9,10,11 "$work/grades.csv" | column -t -s,
