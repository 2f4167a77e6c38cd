#!/usr/bin/env bash
# One agent per GPU on one machine, all on the same sweep (seed 002's tip, with sweeper):
#
#   bash configs/multi_gpu.sh configs/seed000_mnist_random_hyperband.yaml 20
#
# registers the sweep and starts one agent per visible GPU, each with --count runs and
# CUDA_VISIBLE_DEVICES set to its GPU, so each run sees one GPU as cuda:0. Run it from the
# repository root (program: paths are relative to it). `sweeper agent ID --gpus all` does
# the same from one agent process. The lines by hand:
#
#   ID=$(sweeper sweep configs/seed000_mnist_random_hyperband.yaml | tail -1)
#   CUDA_VISIBLE_DEVICES=0 sweeper agent $ID --count 20 &
#   CUDA_VISIBLE_DEVICES=1 sweeper agent $ID --count 20 &
#   wait
#   sweeper status $ID
#
# It exits 0 when every agent did (each ran its runs, or the sweep had no more work), else
# with the first failing agent's code (`sweeper agent --help` lists them).
set -euo pipefail

SWEEP_FILE=${1:-configs/seed000_mnist_random_hyperband.yaml}
COUNT=${2:-10}

if command -v nvidia-smi >/dev/null 2>&1; then
  mapfile -t GPUS < <(nvidia-smi --query-gpu=index --format=csv,noheader)
else
  GPUS=()
fi
if [ "${#GPUS[@]}" -eq 0 ]; then
  echo "no GPU found (nvidia-smi): starting one agent on the CPU" >&2
  GPUS=("")
fi

ID=$(sweeper sweep "$SWEEP_FILE" | tail -1)
echo "sweep $ID: ${#GPUS[@]} agent(s), $COUNT runs each"

pids=()
for gpu in "${GPUS[@]}"; do
  CUDA_VISIBLE_DEVICES=$gpu sweeper agent "$ID" --count "$COUNT" --output prefix &
  pids+=($!)
done

status=0
for pid in "${pids[@]}"; do
  wait "$pid" || { code=$?; [ "$status" -ne 0 ] || status=$code; }
done
sweeper status "$ID"
exit "$status"
