"""A small Gaussian process in numpy for the bayes method: Matern 5/2 with a length scale per
column (ARD), an amplitude and a learned noise, hyperparameters fitted by maximum a posteriori
with analytic gradients, and a posterior whose mean and variance come with their gradient in x
(so that the acquisition can be climbed, not only sampled).

Why its own and not scikit-optimize's or scikit-learn's: the posterior's gradient in x, priors on
the hyperparameters (sklearn fits by likelihood alone, which overfits 10-20 points: length scales
run to their bounds), several starts of the fit at the cost of one Cholesky factor per step, and
no per-call overhead from the estimator API (suggestions stay well under 100 ms at 1,000 runs).

Priors, in the unit cube with y standardized (chosen on the search suite's dev problems,
BENCHMARKS.md "Search suite"):
- length scale: log-normal(0, 1) (LS_PRIOR), near the cube's width unless the data say
  otherwise; BoTorch's default, median exp(sqrt(2)) * sqrt(d) (LS_PRIOR_PER_DIM), expects
  smoother functions and measured worse on the multimodal dev problems.
- amplitude: log-normal(0, 1) around the standardized y's variance.
- noise variance: log-normal around 1e-3 (log-sd 2.5), bounded to [1e-9, 1]: small unless the
  data insist, so a noiseless objective is interpolated and a noisy one is smoothed. The floor
  was 1e-6, which smoothed a noiseless objective at about a thousandth of y's spread: on the
  13 dev problems at 20 seeds, 1e-9 ends ahead on branin (median regret 1.1e-4 -> 1.2e-5, 77 %
  head-to-head), int6 and elasticnet_diabetes, and the same on the rest, where the fitted
  noise is above either floor (benchmarks/search_noise_floor.md).
"""

from __future__ import annotations

import math

import numpy as np

SQRT5 = math.sqrt(5.0)
NOISE_BOUNDS = (1e-9, 1.0)
LS_BOUNDS = (1e-2, 1e2)
AMP_BOUNDS = (1e-2, 1e2)
NOISE_PRIOR = (math.log(1e-3), 2.5)  # (mean, sd) of log noise variance
LS_PRIOR_PER_DIM = False  # True: the length scales' prior median grows as sqrt(d) (BoTorch's)
LS_PRIOR = (0.0, 1.0)     # (mean, sd) of log length scale (before any sqrt(d))


def _matern(r):
    """Matern 5/2 of the scaled distance r, and -dk/dr / r (used by every gradient)."""
    e = np.exp(-SQRT5 * r)
    return (1.0 + SQRT5 * r + 5.0 / 3.0 * r * r) * e, 5.0 / 3.0 * (1.0 + SQRT5 * r) * e


def _scaled_sq(A, B, ls):
    """Per-column squared differences / l^2: shape (len(A), len(B), d)."""
    return ((A[:, None, :] - B[None, :, :]) / ls) ** 2


class GP:
    def __init__(self, X: np.ndarray, z: np.ndarray, amp: float, ls: np.ndarray, noise: float):
        self.amp, self.ls, self.noise = amp, ls, noise
        self.condition(X, z)

    def condition(self, X, z):
        """Factor the kernel on X (targets z, standardized): the posterior's data."""
        self.X, self.z = X, z
        K = self.kernel(X, X) + (self.noise + 1e-8) * np.eye(len(X))
        for jitter in (0.0, 1e-6, 1e-4, 1e-2):  # near-duplicate points can make K singular
            try:
                self.L = np.linalg.cholesky(K + jitter * np.eye(len(X)))
                break
            except np.linalg.LinAlgError:
                continue
        else:
            raise np.linalg.LinAlgError("kernel matrix not positive definite")
        from scipy.linalg import cho_solve
        self.alpha = cho_solve((self.L, True), z)
        return self

    def kernel(self, A, B):
        r = np.sqrt(np.maximum(_scaled_sq(A, B, self.ls).sum(-1), 0.0))
        return self.amp * _matern(r)[0]

    def fitted_mean(self) -> np.ndarray:
        """The posterior mean at the observed points: y smoothed by the fitted noise."""
        return self.z - (self.noise + 1e-8) * self.alpha

    def predict(self, C, grad=False):
        """Mean and standard deviation of f at candidates C (and their gradients in C)."""
        from scipy.linalg import solve_triangular

        if grad:
            diff = C[:, None, :] - self.X[None, :, :]                  # (m, n, d)
            r = np.sqrt(np.maximum(((diff / self.ls) ** 2).sum(-1), 0.0))
        else:  # |a - b|^2 = |a|^2 + |b|^2 - 2ab: no (m, n, d) array for thousands of candidates
            A, B = C / self.ls, self.X / self.ls
            r = np.sqrt(np.maximum((A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2 * A @ B.T, 0.0))
        k, dk_over_r = _matern(r)
        Ks = self.amp * k                                              # (m, n)
        mu = Ks @ self.alpha
        v = solve_triangular(self.L, Ks.T, lower=True)                 # (n, m)
        var = np.maximum(self.amp - (v * v).sum(0), 1e-12)
        sd = np.sqrt(var)
        if not grad:
            return mu, sd
        # dk/dx = -amp * (5/3)(1 + sqrt5 r) e^{-sqrt5 r} * (x - x_i) / l^2
        dK = -self.amp * dk_over_r[:, :, None] * diff / self.ls ** 2   # (m, n, d)
        dmu = np.einsum("n,mnd->md", self.alpha, dK)
        w = solve_triangular(self.L.T, v, lower=False)                 # K^-1 k, (n, m)
        dvar = -2.0 * np.einsum("nm,mnd->md", w, dK)
        dsd = dvar / (2.0 * sd[:, None])
        return mu, sd, dmu, dsd


def loo_log_density(model: GP) -> float:
    """The leave-one-out log predictive density of the model's data, in closed form (Rasmussen
    and Williams, 5.4.2): how well each observation is predicted by all the others."""
    from scipy.linalg import cho_solve

    Kinv_diag = np.diag(cho_solve((model.L, True), np.eye(len(model.X))))
    var = 1.0 / np.maximum(Kinv_diag, 1e-12)
    resid = model.alpha * var  # z_i - mu_i(without i)
    return float(np.sum(-0.5 * np.log(2 * np.pi * var) - 0.5 * resid ** 2 / var))


def fit(X: np.ndarray, z: np.ndarray, starts: int = 2, ls_prior=None, groups=None) -> GP:
    """The MAP hyperparameters for standardized targets z at X, from a few starting points.
    ls_prior: (mean, sd) of the log length scales, else LS_PRIOR (and LS_PRIOR_PER_DIM).
    groups: for each column, the index of the length scale it shares (0..G-1; a categorical's
    one-hot columns share one, which makes the kernel a function of whether two runs' values
    differ, as a Hamming distance); by default one per column."""
    from scipy.optimize import minimize

    n, d = X.shape
    groups = np.arange(d) if groups is None else np.asarray(groups, dtype=int)
    n_ls = int(groups.max()) + 1 if d else 0
    if ls_prior is None:
        ls_prior = (LS_PRIOR[0] + (0.5 * math.log(d) if LS_PRIOR_PER_DIM else 0.0), LS_PRIOR[1])
    ls_mu, ls_sd = ls_prior
    D = (X[:, None, :] - X[None, :, :]) ** 2                              # (n, n, d)
    eye = np.eye(n)

    def objective(theta):
        amp, ls, noise = math.exp(theta[0]), np.exp(theta[1:-1])[groups], math.exp(theta[-1])
        S = D / ls ** 2
        r = np.sqrt(np.maximum(S.sum(-1), 0.0))
        k, dk_over_r = _matern(r)
        K = amp * k + (noise + 1e-8) * eye
        try:
            L = np.linalg.cholesky(K)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(theta)
        from scipy.linalg import cho_solve
        alpha = cho_solve((L, True), z)
        Kinv = cho_solve((L, True), eye)
        nll = 0.5 * z @ alpha + np.log(np.diag(L)).sum()
        W = Kinv - np.outer(alpha, alpha)
        g = np.empty_like(theta)
        g[0] = 0.5 * (W * (amp * k)).sum()
        # dK/dlog l_j = amp * (5/3)(1 + sqrt5 r) e^{-sqrt5 r} * (x_j - x'_j)^2 / l_j^2
        g[1:-1] = np.bincount(groups, 0.5 * np.einsum("ij,ijk->k", W * (amp * dk_over_r), S), n_ls)
        g[-1] = 0.5 * np.trace(W) * noise
        # negative log priors
        la, ll, ln = theta[0], theta[1:-1], theta[-1]
        nll += 0.5 * la ** 2 + (0.5 * ((ll - ls_mu) / ls_sd) ** 2).sum() \
            + 0.5 * ((ln - NOISE_PRIOR[0]) / NOISE_PRIOR[1]) ** 2
        g[0] += la
        g[1:-1] += (ll - ls_mu) / ls_sd ** 2
        g[-1] += (ln - NOISE_PRIOR[0]) / NOISE_PRIOR[1] ** 2
        return nll, g

    bounds = ([tuple(map(math.log, AMP_BOUNDS))] + [tuple(map(math.log, LS_BOUNDS))] * n_ls
              + [tuple(map(math.log, NOISE_BOUNDS))])
    inits = [np.concatenate([[0.0], np.full(n_ls, ls_mu), [math.log(1e-3)]]),
             np.concatenate([[0.0], np.full(n_ls, math.log(0.3)), [math.log(1e-4)]]),
             np.concatenate([[0.0], np.full(n_ls, ls_mu - 1.0), [math.log(1e-2)]])][:max(1, starts)]
    best = None
    for theta0 in inits:
        res = minimize(objective, theta0, jac=True, method="L-BFGS-B", bounds=bounds,
                       options={"maxiter": 100})
        if best is None or res.fun < best.fun:
            best = res
    t = best.x
    return GP(X, z, math.exp(t[0]), np.exp(t[1:-1])[groups], math.exp(t[-1]))
