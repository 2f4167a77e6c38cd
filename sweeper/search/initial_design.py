"""The first runs of a bayes sweep, before its model has data: independent random draws, or
(DESIGN = "sobol", measured and left off) a space-filling design.

The design: run k of a sweep (its position, number - 1) takes point k of a scrambled Sobol
sequence seeded by the sweep, one coordinate per searchable parameter, read as a quantile of
that parameter's own distribution (Param.at_quantile). Each parameter alone is drawn by the
same law as method random (W&B's meaning: a categorical's probabilities, a normal's bell);
together, the first runs cover the space evenly instead of clumping. Agents need nothing from
each other for it: the point follows from the sweep's seed and the run's position alone.

Measured on the suite's 13 dev problems at 20 seeds (benchmarks/search_initial.md): no better
than random draws (ahead on int6 64 %, behind on hartmann6 32 % and mlp_iris 35 %, even on the
rest, mlp_digits's 20-run budget included), so the initial runs stay random draws, as W&B's
and Optuna's GP samplers' are. The switch stays so that the table can be made again.
"""

from __future__ import annotations

import warnings

DESIGN = "random"  # "random": independent draws (space.sample); "sobol": the design above


def point(space, seed: int, position: int, rng) -> dict:
    """The nested parameters of the run at `position` (0 for the first) of a sweep seeded `seed`;
    independent draws from rng when DESIGN is "random" or the space has nothing to search."""
    params = space.searchable
    if DESIGN == "random" or not params:
        return space.sample(rng)
    from scipy.stats import qmc

    sobol = qmc.Sobol(d=len(params), scramble=True, seed=seed)
    if position > 0:  # scipy's fast_forward(0) overflows
        sobol.fast_forward(position)
    with warnings.catch_warnings():
        # scipy warns when a prefix of the sequence is not a power of 2 long: expected here
        warnings.simplefilter("ignore")
        u = sobol.random(1)[0]
    flat = {p.path: p.spec["value"] for p in space if p.is_constant}
    flat.update({p.path: p.at_quantile(x) for p, x in zip(params, u)})
    return space.nest({p.path: flat[p.path] for p in space})
