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
FIT_CAP = 60              # observations the kernel's hyperparameters are fitted on
N_RANDOM = 1000           # uniform candidates
N_LOCAL = 300             # candidates around the 5 best observed points
N_REFINE = 150            # candidates per refinement round, around the 5 best candidates
REFINE_SCALES = ((0.003, 0.1), (0.0005, 0.02))
MIN_SEPARATION = 0.01     # unit-cube distance a suggestion keeps from pending runs
NOISE_BOUNDS = (1e-7, 1e5)  # noise variance, standardized y: 1e-5 stalled Branin at ~1e-4
XI = 0.0                  # EI's margin: 0.01 and 0.1 (standardized y) measured worse


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
        # skopt and sklearn warn about length scales at their bounds and the like: expected.
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
    from scipy.linalg import cho_factor, cho_solve, solve_triangular
    from skopt.learning import GaussianProcessRegressor
    from skopt.learning.gaussian_process.kernels import (
        ConstantKernel,
        Matern,
        WhiteKernel,
    )

    keep = _keep(y, OBSERVATION_CAP)
    X, y = X[keep], y[keep]
    y = _compress_tail(y)
    fit = _keep(y, FIT_CAP)
    d = columns.width
    kernel = ConstantKernel(1.0, (0.01, 1000.0)) * Matern(
        length_scale=np.ones(d), length_scale_bounds=[(0.01, 100.0)] * d, nu=2.5
    ) + WhiteKernel(1e-4, NOISE_BOUNDS)
    # One hyperparameter fit, no restarts (n_restarts_optimizer=0): restarts cost a fit each.
    gp = GaussianProcessRegressor(kernel=kernel, normalize_y=True, noise="gaussian",
                                  optimizer=_fit_map, n_restarts_optimizer=0)
    gp.fit(X[fit], y[fit])

    # Condition on every kept observation plus the pending runs' lies, with the fitted kernel.
    lie = np.full(len(pending), y.mean())
    X_all = np.vstack([X, pending])
    mean, std = y.mean(), y.std() or 1.0
    z = (np.concatenate([y, lie]) - mean) / std
    K = gp.kernel_(X_all)
    K[np.diag_indices_from(K)] += gp.noise_ or 0.0
    for jitter in (1e-8, 1e-6, 1e-4, 1e-2):  # near-duplicate points can make K singular
        try:
            factor = cho_factor(K + jitter * np.eye(len(K)), lower=True)
            break
        except np.linalg.LinAlgError:
            continue
    else:
        return columns.snap(columns.random(1, rng))[0]
    alpha = cho_solve(factor, z)
    best = (y.min() - mean) / std

    def score(C):
        Ks = gp.kernel_(C, X_all)
        v = solve_triangular(factor[0], Ks.T, lower=True)
        var = np.maximum(gp.kernel_.diag(C) - (v * v).sum(0), 1e-18)
        return _log_ei(Ks @ alpha, np.sqrt(var), best - XI)

    order = np.argsort(y)
    C = np.vstack([columns.snap(columns.random(N_RANDOM, rng)),
                   columns.perturb(X[order[:5]], N_LOCAL // 5, rng, 0.001, 0.3)])
    acq = score(C)
    for low, high in REFINE_SCALES:
        top = C[np.argsort(-acq)[:5]]
        new = np.vstack([columns.perturb(top, N_REFINE // 5, rng, low, high),
                         columns.other_categories(top)])
        C, acq = np.vstack([C, new]), np.concatenate([acq, score(new)])
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


def _fit_map(objective, theta, bounds):
    """sklearn's hook for fitting the kernel: maximum a posteriori instead of likelihood.

    theta = log of (amplitude, length scales..., noise). Weak priors keep a fit on few points
    sensible: length scales pulled towards 1 (the cube's width) from both sides, amplitude
    towards 1 (y is standardized), noise towards small.
    """
    from scipy.optimize import minimize

    def penalized(t):
        nll, grad = objective(t, eval_gradient=True)
        amp, ls, noise = t[0], t[1:-1], t[-1]
        # -log prior, up to a constant: amplitude ~ Gamma(2, 1), 0.1 (l^2 + 1/l^2) on each
        # length scale l, noise ~ Gamma(1.1, 30); and its gradient in theta.
        penalty = (np.exp(amp) - amp + 0.1 * (np.exp(2 * ls) + np.exp(-2 * ls)).sum()
                   + 30 * np.exp(noise) - 0.1 * noise)
        dpenalty = np.concatenate([[np.exp(amp) - 1], 0.2 * (np.exp(2 * ls) - np.exp(-2 * ls)),
                                   [30 * np.exp(noise) - 0.1]])
        return nll + penalty, grad + dpenalty

    res = minimize(penalized, theta, jac=True, method="L-BFGS-B", bounds=bounds)
    return res.x, res.fun


def _log_ei(mu, sigma, target):
    """log E[max(target - f, 0)] for f ~ N(mu, sigma^2): its log, so that the ranking of
    candidates survives where EI itself underflows to 0 (far from the best, late in a sweep)."""
    from scipy.special import log_ndtr

    z = (target - mu) / sigma
    out = np.empty_like(z)
    mid = z > -6
    zm = z[mid]
    phi = np.exp(-0.5 * zm * zm) / math.sqrt(2 * math.pi)
    out[mid] = np.log(np.maximum(zm * np.exp(log_ndtr(zm)) + phi, 1e-300))
    zt = z[~mid]  # Mills ratio: z*Phi(z) + phi(z) ~ phi(z) / z^2 * (1 - 3 / z^2)
    out[~mid] = -0.5 * zt * zt - 0.5 * math.log(2 * math.pi) - 2 * np.log(-zt) + np.log1p(-3 / zt**2)
    return out + np.log(sigma)


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
