"""The search suite's problems: what users tune, as W&B-format parameter spaces and objectives.

Every problem is a `Problem`: its `parameters` (a sweep file's `parameters:`), `observe(params,
rng)` (the value a run reports, minimized; noisy problems add noise from rng) and `truth(params)`
(the noiseless value, used for regret), its known optimum (None for model-tuning problems: their
regret is taken against the best value any peer found on any seed, see search_suite.py), and its
split: "dev" problems were used to choose the bayes method's design, "held-out" ones never were.

The objectives run in the benchmark's own process (the package's virtualenv): peers only
suggest, so every peer meets exactly the same function.
"""

from .cnn import CNN
from .models import MODELS
from .synthetic import SYNTHETIC

PROBLEMS = {**SYNTHETIC, **MODELS, **CNN}
DEV = [n for n, p in PROBLEMS.items() if p.split == "dev"]
HELD_OUT = [n for n, p in PROBLEMS.items() if p.split == "held-out"]
