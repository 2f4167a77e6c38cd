"""Which GPUs an agent runs on: `--gpus 0,1`, `--gpus all`, `agent(gpus=[0, 1])`.

Each entry becomes one run slot, and that slot's runs get CUDA_VISIBLE_DEVICES set to it.
An entry is an index (0, 1, ...) or a GPU or MIG UUID as `nvidia-smi -L` prints it. `all`
means the GPUs this process may use: those CUDA_VISIBLE_DEVICES lists when it is set (a
Slurm job with --gres=gpu:N gets exactly its N), otherwise every GPU `nvidia-smi -L` lists.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess

ENTRY = re.compile(r"^(\d+|(GPU|MIG)-[0-9A-Za-z/_-]+)$")


class BadGpus(ValueError):
    """A GPU list that cannot be used, with what was expected."""


def parse(value) -> list[str] | None:
    """None (no GPU slots: one run at a time, CUDA_VISIBLE_DEVICES untouched), or the GPU ids."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise BadGpus(f"gpus: expected GPU ids such as '0,1' or 'all'; found {value!r}")
    if isinstance(value, int):
        items = [str(value)]
    elif isinstance(value, str):
        if value.strip().lower() == "all":
            return all_gpus()
        items = [v.strip() for v in value.split(",")]
    elif isinstance(value, (list, tuple, range)):
        items = [str(v).strip() if not isinstance(v, bool) else repr(v) for v in value]
    else:
        raise BadGpus(f"gpus: expected GPU ids such as '0,1', a list of them, or 'all'; "
                      f"found {type(value).__name__}")
    if not items or any(not i for i in items):
        raise BadGpus(f"gpus: empty GPU id in {value!r}: give ids separated by commas, e.g. 0,1")
    bad = [i for i in items if not ENTRY.match(i)]
    if bad:
        raise BadGpus(f"gpus: {', '.join(repr(b) for b in bad)} is not a GPU id: expected an index "
                      "(0, 1, ...), a GPU-/MIG- UUID, or all")
    dupes = sorted({i for i in items if items.count(i) > 1})
    if dupes:
        raise BadGpus(f"gpus: GPU {', '.join(dupes)} is listed twice: each GPU runs one run at a time")
    return items


def all_gpus() -> list[str]:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None and visible.strip():
        return parse(visible)
    smi = shutil.which("nvidia-smi")
    if smi is None:
        raise BadGpus("--gpus all: no GPU to list: CUDA_VISIBLE_DEVICES is not set and nvidia-smi is "
                      "not on PATH; give the GPU ids instead, e.g. --gpus 0,1")
    try:
        out = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as exc:
        raise BadGpus(f"--gpus all: nvidia-smi -L failed: {exc}") from None
    found = [m.group(1) for m in re.finditer(r"^GPU (\d+):", out.stdout, re.MULTILINE)]
    if out.returncode != 0 or not found:
        detail = (out.stderr or out.stdout).strip().splitlines()
        raise BadGpus("--gpus all: nvidia-smi -L lists no GPU"
                      + (f" ({detail[0]})" if detail else "") + "; give the GPU ids instead")
    return found
