"""Short IDs for sweeps, runs and agents, and the `entity/project/ID` forms users paste."""

from __future__ import annotations

import re
import secrets
import string

ALPHABET = string.ascii_lowercase + string.digits
ID_RE = re.compile(r"^[a-z0-9]{8}$")


def new_id() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(8))


class BadId(ValueError):
    pass


def parse_sweep_ref(ref: str) -> tuple[str | None, str | None, str]:
    """'ID', 'project/ID' or 'entity/project/ID' -> (entity, project, id)."""
    parts = ref.strip().strip("/").split("/")
    if len(parts) > 3 or not parts[-1]:
        raise BadId(f"'{ref}' is not a sweep ID: expected ID, project/ID or entity/project/ID")
    sweep_id = parts[-1]
    if not ID_RE.match(sweep_id):
        raise BadId(f"'{sweep_id}' is not a sweep ID: IDs are 8 lowercase letters and digits "
                    "(`sweeper sweeps` lists them)")
    project = parts[-2] if len(parts) >= 2 else None
    entity = parts[-3] if len(parts) == 3 else None
    return entity, project, sweep_id
