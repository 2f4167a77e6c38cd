"""Where the bayes method looks next: log expected improvement, sampled over many candidates
and then climbed by gradient from the best of them.

Sampling alone (a few thousand candidates in up to 12+ dimensions) leaves the acquisition's peak
unresolved: the chosen point is a sample near a peak, not the peak, and on multimodal problems
the method then keeps sampling around the incumbent. Climbing from the best STARTS candidates
with L-BFGS-B and the posterior's exact gradient (gp.GP.predict) resolves each peak, as Optuna's
GPSampler and BoTorch do. Categorical columns are held at their one-hot value while climbing
(their other values are scored as separate candidates); integer and q_ columns are climbed as
continuous and snapped afterwards, and a snapped point is scored again before it can be chosen.
"""

from __future__ import annotations

import math

import numpy as np

LOG_SQRT_2PI = 0.5 * math.log(2 * math.pi)


def _log_h(z):
    """log(z * Phi(z) + phi(z)), stable far into the lower tail (Mills ratio)."""
    from scipy.special import log_ndtr

    out = np.empty_like(z)
    mid = z > -6
    zm = z[mid]
    phi = np.exp(-0.5 * zm * zm - LOG_SQRT_2PI)
    out[mid] = np.log(np.maximum(zm * np.exp(log_ndtr(zm)) + phi, 1e-300))
    zt = z[~mid]  # z*Phi(z) + phi(z) ~ phi(z) / z^2 * (1 - 3 / z^2)
    out[~mid] = -0.5 * zt * zt - LOG_SQRT_2PI - 2 * np.log(-zt) + np.log1p(-3 / zt ** 2)
    return out


def log_ei(mu, sd, target):
    """log E[max(target - f, 0)] for f ~ N(mu, sd^2): its log, so that the ranking of candidates
    survives where EI itself underflows to 0 (far from the best, late in a sweep)."""
    return _log_h((target - mu) / sd) + np.log(sd)


def log_ei_and_grad(mu, sd, target):
    """log EI and its derivatives in mu and sd."""
    from scipy.special import log_ndtr

    z = (target - mu) / sd
    lh = _log_h(z)
    ratio = np.exp(log_ndtr(z) - lh)  # d log h / dz = Phi(z) / h(z)
    return lh + np.log(sd), -ratio / sd, 1.0 / sd - ratio * z / sd


def score(model, C, target):
    mu, sd = model.predict(C)
    return log_ei(mu, sd, target)


def climb(model, starts: np.ndarray, free: np.ndarray, target: float, maxiter: int = 40) -> np.ndarray:
    """starts climbed on log EI with L-BFGS-B, the columns where free is True moving within
    [0, 1]. The sum of the starts' values is climbed at once: the starts do not interact (each
    one's gradient involves only its own columns), and one call costs one batched prediction."""
    from scipy.optimize import minimize

    if not free.any() or not len(starts):
        return starts
    fixed = starts.copy()
    m, k = len(starts), int(free.sum())

    def f(flat):
        C = fixed.copy()
        C[:, free] = flat.reshape(m, k)
        mu, sd, dmu, dsd = model.predict(C, grad=True)
        v, dv_dmu, dv_dsd = log_ei_and_grad(mu, sd, target)
        g = dv_dmu[:, None] * dmu + dv_dsd[:, None] * dsd
        return -v.sum(), -g[:, free].ravel()

    x0 = starts[:, free].ravel()
    res = minimize(f, x0, jac=True, method="L-BFGS-B", bounds=[(0.0, 1.0)] * len(x0),
                   options={"maxiter": maxiter})
    out = fixed.copy()
    out[:, free] = np.clip(res.x, 0.0, 1.0).reshape(m, k)
    return out


def distinct_top(C: np.ndarray, acq: np.ndarray, k: int, min_dist: float = 1e-3) -> np.ndarray:
    """Indices of the k best candidates, no two closer than min_dist (L1)."""
    chosen = []
    if k <= 0:
        return np.zeros(0, dtype=int)
    for i in np.argsort(-acq):
        if all(np.abs(C[i] - C[j]).sum() >= min_dist for j in chosen):
            chosen.append(i)
            if len(chosen) == k:
                break
    return np.array(chosen, dtype=int)


def pick(C, acq, X, pending, min_separation: float) -> np.ndarray:
    """The best candidate that repeats no finished point and crowds no pending one; else (a small
    discrete space nearly all run) the best that repeats no finished point; else the best."""
    ranked = C[np.argsort(-acq)]
    for cands in (ranked[:200], ranked):  # every candidate only when none of the 200 best will do
        fresh = np.ones(len(cands), bool)
        if len(X):
            fresh = np.abs(cands[:, None, :] - X[None, :, :]).sum(2).min(1) >= 1e-9
        free = fresh.copy()
        if len(pending):
            free &= np.linalg.norm(cands[:, None, :] - pending[None, :, :], axis=2).min(1) >= min_separation
        if free.any():
            return cands[np.argmax(free)]
    return cands[np.argmax(fresh)] if fresh.any() else ranked[0]
