#!/usr/bin/env bash
# The GPU figures of issue 22 in one short run on a machine with an NVIDIA GPU (a few minutes):
#   bash bench/gpu.sh [OUT_DIR]
# It needs the project installed (npm ci) and, for CUDA, `sae-workbench setup cuda` done once (the
# provider comes from NuGet; a machine without the network needs the two provider files copied
# beside libonnxruntime.so.1, as the README's CUDA provider paragraph says). Every section runs on CPU first in the same run, so
# the ratios compare like with like. Nothing stops at a failing provider: its line says why.
set -uo pipefail
cd "$(dirname "$0")/.."
out="${1:-${OUT:-bench-gpu-output}}"
mkdir -p "$out"
log() { echo "== $*" | tee -a "$out/summary.txt"; }

log "machine: $(nproc) cores; $(date -u +%FT%TZ)"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>&1 | tee -a "$out/summary.txt" || true
log "CUDA provider"
node bin/sae-workbench.mjs setup cuda --check 2>&1 | tee -a "$out/summary.txt"

# Correctness first: the float64 reference checks on each device.
for device in cpu webgpu cuda; do
  log "check on $device"
  timeout 300 npx tsx bench/run.ts --device "$device" --only check 2>&1 | tee "$out/check-$device.txt" | tail -n 25
done

# Figures: encode, model forward, train step, whole training job, index build; CPU first.
for section in sae model train trainjob index; do
  for device in cpu webgpu cuda; do
    log "$section on $device"
    timeout 600 npx tsx bench/run.ts --device "$device" --only "$section" 2>&1 | tee "$out/$section-$device.txt" | tail -n 20
  done
done
log "done: figures in $out/"
