"""Optuna TPE (multivariate) with its HyperbandPruner on the learning-curve problem: epochs
spent until a run's loss reaches the target. Run with benchmarks/.venvs/optuna's Python:

    python optuna_hyperband.py SEEDS BUDGET   -> one JSON line per seed
"""

import json
import sys

import optuna
from learning_curves import EPOCHS, PARAMETERS, TARGET, curve
from optuna_worker import distribution

optuna.logging.set_verbosity(optuna.logging.WARNING)


def main(seeds: int, budget: int):
    space = {k: distribution(s) for k, s in PARAMETERS.items()}
    for seed in range(seeds):
        # a fixed name: the pruner assigns trials to brackets by a hash of the study's name
        study = optuna.create_study(
            study_name=f"hyperband-{seed}",
            sampler=optuna.samplers.TPESampler(seed=seed, multivariate=True),
            pruner=optuna.pruners.HyperbandPruner(min_resource=1, max_resource=EPOCHS, reduction_factor=3))
        spent, reached, runs = 0, None, 0
        while spent < budget and reached is None:
            trial = study.ask(space)
            values = curve(dict(trial.params), seed * 1000 + runs)
            runs += 1
            for e, v in enumerate(values):
                spent += 1
                trial.report(v, e + 1)
                if v <= TARGET and reached is None:
                    reached = spent
                if reached is not None or trial.should_prune():
                    break
            if reached is None and e + 1 < EPOCHS:
                study.tell(trial, state=optuna.trial.TrialState.PRUNED)
            else:
                study.tell(trial, min(values[: e + 1]))
        print(json.dumps({"seed": seed, "epochs": reached, "spent": spent, "runs": runs}), flush=True)


if __name__ == "__main__":
    sys.argv.pop(0)
    main(int(sys.argv[0]), int(sys.argv[1]))
