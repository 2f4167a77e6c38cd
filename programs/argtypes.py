"""argparse helpers for the values a sweep agent passes, W&B style.

An agent formats every parameter with str(): `--lr=0.001 --epochs=10 --optim_type=Adam
--save_ckpt=True --limit_train=None`. Plain `type=float` chokes on `None` and `type=bool`
reads "False" as True, so the programs use these instead. Standard library only.
"""

from __future__ import annotations

import argparse
import sys

NONE_WORDS = {"none", "null", ""}
TRUE_WORDS = {"true", "1", "yes", "y", "on", "t"}
FALSE_WORDS = {"false", "0", "no", "n", "off", "f"}


def boolean(text: str) -> bool:
    """`True`/`False` as str(bool) writes them (and yes/no, 1/0, on/off)."""
    word = str(text).strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise argparse.ArgumentTypeError(f"expected True or False, got {text!r}")


def optional(kind):
    """A converter that reads `None` (str(None), what an agent passes for a null value) as None."""

    def convert(text: str):
        if str(text).strip().lower() in NONE_WORDS:
            return None
        return kind(text)

    convert.__name__ = f"optional {getattr(kind, '__name__', 'value')}"
    return convert


def integer(text: str) -> int:
    """An int that also takes `64.0` (a q_uniform value with a float q arrives as a float)."""
    value = float(text)
    if not value.is_integer():
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}")
    return int(value)


def parse(parser: argparse.ArgumentParser, argv=None) -> argparse.Namespace:
    """parse_known_args, with a warning (not an error) for parameters the program does not use.

    A sweep file may carry constants meant for the logger (project_name, entity...); a program
    that refused them would fail every run of the sweep. The warning names them, so a typo in a
    parameter name still shows in the run's output.
    """
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        print(f"{parser.prog}: ignoring arguments it does not use: {' '.join(unknown)}", file=sys.stderr)
    return args
