"""Run with the program's interpreter, where hydra-core is installed: does Hydra accept the
command lines a sweep would give this app?

Reads {"config_dir", "config_name", "argvs": [[arg, ...], ...]} as JSON on stdin, where each
argv is what follows the program in a run's command. Each is parsed by Hydra's own
command-line parser and composed with Hydra's compose API, as the app would at start-up (no
interpolation is resolved and no `???` value read, so nothing the app fills in later fails
here). Writes {"hydra": version, "errors": [message or null per argv]} to stdout.
"""

from __future__ import annotations

import contextlib
import io
import json
import sys


def main() -> int:
    request = json.load(sys.stdin)
    try:
        import hydra
        from hydra import compose, initialize, initialize_config_dir
        from hydra._internal.utils import get_args_parser
    except ImportError as exc:
        json.dump({"hydra": None, "import_error": str(exc)}, sys.stdout)
        return 0
    parser = get_args_parser()
    errors = []
    config_dir = request.get("config_dir")
    start = (initialize_config_dir(config_dir=config_dir, version_base=None, job_name="sweeper_check")
             if config_dir else initialize(config_path=None, version_base=None, job_name="sweeper_check"))
    with start:
        for argv in request["argvs"]:
            errors.append(_check(parser, compose, argv, request.get("config_name")))
    json.dump({"hydra": hydra.__version__, "errors": errors}, sys.stdout)
    return 0


def _check(parser, compose, argv, config_name):
    said = io.StringIO()
    try:
        with contextlib.redirect_stderr(said):
            args = parser.parse_args(argv)
    except SystemExit:
        # argparse's own message, e.g. "unrecognized arguments: --lr=0.01"
        return said.getvalue().strip().splitlines()[-1] if said.getvalue().strip() else "rejected"
    try:
        compose(config_name=args.config_name or config_name, overrides=list(args.overrides))
    except Exception as exc:  # noqa: BLE001 - any of Hydra's errors is the answer
        return f"{type(exc).__name__}: {exc}"
    return None


if __name__ == "__main__":
    sys.exit(main())
