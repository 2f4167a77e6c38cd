"""Bayesian search: a Gaussian process (scikit-optimize's) and expected improvement.

Search space. Each searchable parameter becomes one or more columns of a unit cube:
- uniform, q_uniform, int_uniform: linear in [min, max] (int_uniform rounded to an int).
- log_uniform_values, q_log_uniform_values, inv_log_uniform_values: linear in log(value), so
  every decade gets the same room (1/x log-uniform has the same log scale, hence inv_ too).
- normal, log_normal, beta and their q_ forms: the column is the prior's quantile p, taken in
  [0.001, 0.999] (the prior's central 99.8 %), and value = inverse CDF(p). A run's value maps
  back through the CDF, clipped to that range. The search is uniform in probability: where the
  prior puts mass, the model has room; its tails beyond 1 in 1000 are not searched.
- categorical, with values of any YAML type (compared as space.value_key does: 3 == 3.0,
  True != 1): one column per value, one-hot; the suggestion is the listed value itself.
- constant: not searched, passed through.
q_ forms are snapped with W&B's round(x / q) * q (an int when q is an int) before a candidate is
scored, so the model scores the point that will actually run.

Objective: the sweep metric, negated when maximizing. A run's value is its best_value.
failed and crashed runs, and finished or stopped runs that logged no finite value, are imputed
by metric.impute: worst (default) and best are the worst and best finite values observed;
latest is the run's last logged value (its summary), else worst. So the model learns to stay
away from regions where runs crash. Running runs are pending (below), unless
metric.impute_while_running says otherwise: then a running run counts with its best value so
far, or the imputed one.

Initial points: until the sweep holds N_INITIAL = 10 runs (any state, superseded ones aside;
the same count as Optuna's GP sampler), or while fewer than two values are known, suggestions
are random draws, exactly as method random (the store seeds rng per run position, so agents
starting together already differ). From Python, `suggest(..., n_initial=N)` overrides it; a
sweep file has no key for it (W&B's schema has none).

Pending runs (running ones, e.g. parallel agents): constant liar. Each gets the mean of the
observed (transformed) values as a fake observation, which the GP is conditioned on but not
fitted on, so the expected improvement near a pending point collapses and the next agent goes
elsewhere. On top, a suggestion is never closer than MIN_SEPARATION (unit-cube distance) to a
pending point, nor identical to a finished one, while any other candidate qualifies.

Model: Matern 5/2 with a length scale per column, a constant amplitude and a noise level
(skopt's GaussianProcessRegressor, the kernel skopt's own "GP" estimator uses), y standardized
after _compress_tail squeezes the values worse than the median. The hyperparameters are a MAP
fit through sklearn's optimizer hook (_fit_map): weak priors keep length scales near the cube's
width, the amplitude near 1 and the noise small (floor 1e-7), so a fit on 10-20 points stays
sane and a noiseless objective is interpolated closely, while a noisy one can still raise the
noise. Acquisition: log expected improvement (no margin), maximized over candidates: N_RANDOM
uniform points, N_LOCAL perturbations of the 5 best observed points at scales from 0.001 to
0.3, then two rounds of perturbation around the 5 best candidates (plus each of them with every
other value of each categorical), every candidate snapped before scoring. Perturbations
reflect at the cube's walls, so candidates don't pile up on bounds and corners.

Speed, and what was traded for it (target: under 150 ms with 200 finished runs; measured in
benchmarks/suggest_latency.md):
- no L-BFGS on the acquisition (about 1,500-2,000 scored candidates instead), no restarts of
  the hyperparameter fit (one L-BFGS run from unit length scales): a little accuracy at the
  acquisition's peak and a small risk of a poor local optimum of the likelihood, against
  skopt's 0.5-3 s per suggestion (trying a final L-BFGS polish of the chosen candidate did not
  improve the benchmarks);
- hyperparameters are fitted on at most FIT_CAP observations (the best half and the most recent
  half), and the posterior conditions on at most OBSERVATION_CAP (same rule) plus the pending
  lies: in a long sweep, old mediocre runs stop informing the model;
- the posterior is computed here from the fitted kernel (one Cholesky factor, triangular solves)
  instead of through skopt's predict, whose variance costs O(candidates x n^2) in einsum;
- BLAS is held to one thread during a suggestion: on matrices this small, threads only add
  contention (several times slower on a busy 2-core machine).
The first suggestion in a process also pays about 1 s of imports (skopt, sklearn, scipy).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from .unit_cube import Columns

N_INITIAL = 10            # random runs before the model takes over
OBSERVATION_CAP = 150     # observations the posterior is conditioned on
FIT_CAP = 50              # observations the kernel's hyperparameters are fitted on
N_RANDOM = 1000           # uniform candidates
N_LOCAL = 300             # candidates around the 5 best observed points
N_CLIMB = 10              # best candidates climbed by gradient
FIT_STARTS = 2            # starting points of the hyperparameter fit
MIN_SEPARATION = 0.01     # unit-cube distance a suggestion keeps from pending runs
PENDING = "believer"      # a pending run's fake value: "believer" (posterior mean) or "mean" (of y)
INCUMBENT = "model"       # EI's target: "model" (lowest posterior mean) or "observed" (lowest y)
STOPPED = "value"         # hyperband-stopped runs: "value" (their best value) or "ignore"


def suggest(space, config: dict, history: list[dict], rng, n_initial: int | None = None) -> dict:
    """The nested parameters of the next run."""
    # in run order: the observation caps keep "the most recent" by position
    runs = sorted((r for r in history if not r.get("superseded")), key=lambda r: r.get("number", 0))
    params = space.searchable
    if not params or len(runs) < (n_initial or N_INITIAL):
        return space.sample(rng)
    columns = Columns(params)
    X, y, pending = _observations(columns, space, config, runs)
    if len(y) < 2:
        return space.sample(rng)
    from threadpoolctl import threadpool_limits  # sklearn's own dependency

    # BLAS threads only cost on matrices this small: several times slower on a busy machine.
    with warnings.catch_warnings(), threadpool_limits(1):
        # scipy's optimizers warn about line searches that stop early and the like: expected.
        warnings.simplefilter("ignore")
        x = _next_point(columns, X, y, pending, rng)
    chosen = columns.decode(x[None, :])[0]
    flat = {p.path: p.spec["value"] for p in space if p.is_constant}
    flat.update({p.path: v for p, v in zip(params, chosen)})
    return space.nest({p.path: flat[p.path] for p in space})


# --- what the runs tell -------------------------------------------------------------------

def _observations(columns, space, config, runs):
    """(X, y, pending X): the model's data, y to minimize, failures imputed."""
    metric = config.get("metric") or {}
    sign = -1.0 if metric.get("goal") == "maximize" else 1.0
    name = metric.get("name")

    def finite(v):
        try:
            v = float(v)
        except (TypeError, ValueError):
            return None
        return sign * v if math.isfinite(v) else None

    def latest(run):
        return finite((run.get("summary") or {}).get(name))

    known = [v for r in runs if r["state"] in ("finished", "stopped", "running")
             and (v := finite(r.get("best_value"))) is not None
             and (r["state"] != "running" or _while_running(metric))]
    if not known:
        return np.zeros((0, columns.width)), np.zeros(0), np.zeros((0, columns.width))
    imputed = {"best": min(known), "worst": max(known)}

    def impute(run, how):
        value = latest(run) if how == "latest" else None
        return value if value is not None else imputed.get(how, imputed["worst"])

    points, values, pending = [], [], []
    for r in runs:
        own = finite(r.get("best_value"))
        if r["state"] == "stopped" and STOPPED == "ignore":
            continue
        if r["state"] in ("finished", "stopped"):
            value = own if own is not None else impute(r, metric.get("impute", "worst"))
        elif r["state"] == "interrupted":
            continue  # a signal to its agent ended it: it says nothing about its parameters
        elif r["state"] in ("failed", "crashed"):
            # as W&B: a run that died counts as its imputed value even if it logged some
            value = impute(r, metric.get("impute", "worst"))
        elif _while_running(metric):
            value = own if own is not None else impute(r, metric["impute_while_running"])
        else:
            value = None
        try:
            row = columns.encode([space.flatten(r["params"])])[0]
        except (KeyError, ValueError, TypeError):
            continue  # parameters this space can't place: nothing to learn from them
        if value is None:
            pending.append(row)
        else:
            points.append(row)
            values.append(value)
    shape = (-1, columns.width)
    return (np.array(points).reshape(shape), np.array(values),
            np.array(pending).reshape(shape))


def _while_running(metric) -> bool:
    return metric.get("impute_while_running", "false") not in ("false", None, False)


def _keep(y: np.ndarray, cap: int) -> np.ndarray:
    """Indices of at most cap observations: the best half and the most recent half."""
    if len(y) <= cap:
        return np.arange(len(y))
    best = np.argsort(y, kind="stable")[: cap // 2]
    rest = np.setdiff1d(np.arange(len(y)), best)
    return np.sort(np.concatenate([best, rest[len(rest) - (cap - len(best)):]]))


# --- the model and the acquisition --------------------------------------------------------

def _next_point(columns, X, y, pending, rng) -> np.ndarray:
    from . import acquisition, gp

    keep = _keep(y, OBSERVATION_CAP)
    X, y = X[keep], y[keep]
    y = _compress_tail(y)
    mean, std = y.mean(), y.std() or 1.0
    z = (y - mean) / std
    fit = _keep(y, FIT_CAP)
    try:
        model = gp.fit(X[fit], z[fit], starts=FIT_STARTS).condition(X, z)
    except np.linalg.LinAlgError:
        return columns.snap(columns.random(1, rng))[0]
    # The incumbent as the model sees it: the lowest posterior mean at an observed point, not
    # the lowest observation, which on a noisy objective is the luckiest draw.
    fitted = model.fitted_mean()
    target = fitted.min() if INCUMBENT == "model" else z.min()
    if len(pending):
        # Kriging believer: each pending run is taken to return the posterior mean at its
        # point. Conditioning on that collapses the variance there, so the expected improvement
        # near a pending point drops and the next agent goes elsewhere.
        lies = model.predict(pending)[0] if PENDING == "believer" else np.full(len(pending), z.mean())
        try:
            model.condition(np.vstack([X, pending]), np.concatenate([z, lies]))
        except np.linalg.LinAlgError:
            pass

    order = np.argsort(fitted)
    C = np.vstack([columns.snap(columns.random(N_RANDOM, rng)),
                   columns.perturb(X[order[:5]], N_LOCAL // 5, rng, 0.001, 0.3)])
    acq = acquisition.score(model, C, target)
    # Climb the best candidates by gradient (continuous, int and q_ columns), snap, rescore.
    starts = C[acquisition.distinct_top(C, acq, N_CLIMB)]
    free = np.ones(columns.width, dtype=bool)
    for s in columns.categorical:
        free[s] = False
    climbed = columns.snap(acquisition.climb(model, starts, free, target))
    top = C[np.argsort(-acq)[:5]]
    new = np.vstack([climbed, columns.other_categories(np.vstack([top, climbed[:3], X[order[:3]]]))])
    C, acq = np.vstack([C, new]), np.concatenate([acq, acquisition.score(model, new, target)])
    return _pick(C, acq, X, pending)


def _compress_tail(y: np.ndarray) -> np.ndarray:
    """Values worse than the median, squeezed logarithmically (scale: the interquartile range).

    A few terrible runs (a diverging learning rate, crashes imputed as the worst) would
    otherwise set the scale of the standardized y and flatten the differences between good
    runs, which are the ones that matter. Measured: the mixed benchmark's regret went from
    ~1e-3 to ~3e-5; Branin and Hartmann6 about the same.
    """
    median = np.median(y)
    scale = np.subtract(*np.percentile(y, [75, 25])) or 1.0
    return np.where(y > median, median + scale * np.log1p(np.maximum(y - median, 0) / scale), y)


def _pick(C, acq, X, pending) -> np.ndarray:
    """The best candidate that repeats no finished point and crowds no pending one."""
    order = np.argsort(-acq)
    for i in order[:200]:
        c = C[i]
        if len(X) and np.min(np.abs(X - c).sum(1)) < 1e-9:
            continue
        if len(pending) and np.min(np.linalg.norm(pending - c, axis=1)) < MIN_SEPARATION:
            continue
        return c
    return C[order[0]]
