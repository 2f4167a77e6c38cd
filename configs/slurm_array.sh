#!/usr/bin/env bash
# A Slurm job array: each task runs one run of the sweep, against a PostgreSQL store that every
# node reaches (SQLite in .sweeper/ is for one machine). Register the sweep once, then submit,
# from the directory the sweep's program: path is relative to:
#
#   export SWEEPER_STORE=postgresql://sweeper:secret@db.example.org:5432/sweeper
#   SWEEP_ID=$(sweeper sweep configs/seed000_mnist_random_hyperband.yaml | tail -1)
#   ARRAY=$(sbatch --parsable --array=0-39%8 --gres=gpu:1 --cpus-per-task=4 --mem=16G \
#             --export=ALL,SWEEP_ID=$SWEEP_ID configs/slurm_array.sh)
#   sbatch --dependency=afterok:$ARRAY --export=ALL,SWEEP_ID=$SWEEP_ID \
#          --wrap 'sweeper report $SWEEP_ID -o sweep-report.html'
#
# (40 runs, at most 8 at a time, then the report once every task succeeded.) Each task asks
# the store for the next parameter set: random and bayes give every task a fresh point, grid
# hands out each point once, hyperband stops runs across tasks as with local agents.
#
# What Slurm records for a task is the agent's exit code (`sweeper agent --help`):
#   COMPLETED  its run finished, or the sweep had nothing left (grid covered, run_cap, target):
#              so tasks that start after the grid is used up do not fail the array
#   FAILED     its run failed (exit 8); the sweep is failing (exit 6: --max-failures runs in a
#              row failed, on any task; every later task exits at once, without starting a run,
#              until `sweeper resume $SWEEP_ID`); the store was unreachable (7); a signal (143)
# A task that scancel (--signal=TERM --full) or preemption interrupts leaves its run
# `interrupted`, and a later task runs that grid point again.
#SBATCH --job-name=sweeper
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
# exec: the agent is the task's process, so Slurm's signals reach it and its exit code is the task's.
exec sweeper agent "$SWEEP_ID" --count 1
