#!/usr/bin/env bash
# A Slurm job array: each task runs one run of the sweep, against a PostgreSQL store that every
# node reaches (SQLite in .sweeper/ is for one machine). Register the sweep once, then submit:
#
#   export SWEEPER_STORE=postgresql://sweeper:secret@db.example.org:5432/sweeper
#   SWEEP_ID=$(sweeper sweep configs/seed000_mnist_random_hyperband.yaml | tail -1)
#   sbatch --array=1-40%8 --export=ALL,SWEEP_ID=$SWEEP_ID configs/slurm_array.sh
#
# (40 runs, at most 8 at a time.) Each task asks the store for the next parameter set, so
# random and bayes give every task a fresh point and grid hands out each point once;
# hyperband stops runs across tasks, as with local agents. Submit from the repository root:
# program: paths are relative to the directory the agent runs in.
#SBATCH --job-name=sweeper
#SBATCH --gres=gpu:1
#SBATCH --cpus-per-task=4
#SBATCH --mem=16G
#SBATCH --time=02:00:00
#SBATCH --output=slurm-%A_%a.out
set -euo pipefail

: "${SWEEP_ID:?set SWEEP_ID (sbatch --export=ALL,SWEEP_ID=...)}"
: "${SWEEPER_STORE:?set SWEEPER_STORE=postgresql://user:password@host:5432/db (shared by every node)}"
export SWEEPER_STORE

cd "${SLURM_SUBMIT_DIR:-.}"
# The venv whose python has sweeper and torch (the agent runs `python programs/...`).
if [ -f .venv/bin/activate ]; then
  source .venv/bin/activate
fi

echo "task ${SLURM_ARRAY_TASK_ID:-?} on $(hostname): sweep $SWEEP_ID, GPU ${CUDA_VISIBLE_DEVICES:-none}"
code=0
sweeper agent "$SWEEP_ID" --count 1 || code=$?
# 3: the sweep has no more work (grid done, run_cap, stopped): not a failure of this task
if [ "$code" -eq 3 ]; then
  code=0
fi
exit "$code"
