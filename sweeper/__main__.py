"""`python -m sweeper ...`: the same CLI as the `sweeper` command, for an interpreter whose
scripts folder is not on PATH (a cluster's module system, a bare venv)."""

from .cli import main

if __name__ == "__main__":
    main()
