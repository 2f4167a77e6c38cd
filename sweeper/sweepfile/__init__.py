"""The sweep file: read YAML keeping positions, check it, normalize it, and its parameter space.

    cfg = load_file("sweep.yaml")      # SweepConfig, or SweepConfigError listing every problem
    cfg.normalized                      # defaults filled in, every distribution named
    cfg.space                           # the parameter space (space.Space)

Modules: yamlfile (YAML with line and column of every key), load (schema, rules, normalize),
checks (the rules JSON Schema cannot say), problems (Problem, SweepConfigError), space
(distributions, draws, grid axes), schema.json.
"""

from .load import DEFAULT_COMMAND, TOP_LEVEL_KEYS, SweepConfig, load_dict, load_file, normalize  # noqa: F401
from .problems import Problem, SweepConfigError  # noqa: F401
