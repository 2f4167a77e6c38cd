"""Where the store is: a `.sweeper/` folder found the way git finds `.git`, or a URL."""

from __future__ import annotations

import os
from pathlib import Path

from .errors import NoStore, StoreError

DIR_NAME = ".sweeper"
DB_NAME = "sweeper.db"


def find_dir(start: str | os.PathLike | None = None) -> Path | None:
    """The nearest `.sweeper/` folder at or above `start`."""
    here = Path(start or os.getcwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / DIR_NAME
        if candidate.is_dir():
            return candidate
    return None


def local_dir(start=None, create: bool = True) -> Path:
    """The `.sweeper/` folder to use here: the nearest one upward, else a new one in `start`."""
    found = find_dir(start)
    if found is not None:
        return found
    made = Path(start or os.getcwd()).resolve() / DIR_NAME
    if create:
        _make_folder(made)
    return made


def resolve(url: str | None, start=None, create: bool = True) -> tuple[str, Path]:
    """(SQLAlchemy URL, local folder for run directories) for --store / SWEEPER_STORE / default.

    `url` may be a postgresql:// URL, a sqlite:/// URL, or a plain path to an SQLite file.
    With create=False (every command that only reads), nothing is made: no .sweeper/ folder,
    no directories, no database file; NoStore says where it looked.
    """
    url = url or os.environ.get("SWEEPER_STORE") or None
    if url is None:
        if not create and find_dir(start) is None:
            here = Path(start or os.getcwd()).resolve()
            raise NoStore(f"no store here: no {DIR_NAME}/ folder in {here} or above it (`sweeper sweep FILE` "
                          "makes one here; or give --store URL / SWEEPER_STORE)")
        folder = local_dir(start)
        return f"sqlite:///{folder / DB_NAME}", folder
    if url.startswith(("postgresql://", "postgres://", "postgresql+psycopg://")):
        rest = url.split("://", 1)[1]
        return f"postgresql+psycopg://{rest}", local_dir(start, create=create)
    if url.startswith("sqlite:///"):
        path = Path(url[len("sqlite:///"):])
    elif "://" in url:
        raise ValueError(f"unsupported store URL scheme in '{_scheme(url)}://...': "
                         "expected postgresql://..., sqlite:///PATH, or a file path")
    else:
        path = Path(url)
    path = path.expanduser()
    if path.is_dir():
        path = path / DB_NAME
    path = path.resolve()
    if not create:
        if not path.is_file():
            raise NoStore(f"no store at {path}: no such file (`sweeper sweep FILE` makes one)")
    else:
        _make_folder(path.parent)
    return f"sqlite:///{path}", path.parent


def _make_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise StoreError(f"cannot make the store's folder {folder}: a file of that name is in the way") from None
    except NotADirectoryError:
        raise StoreError(f"cannot make the store's folder {folder}: part of that path is a file") from None
    except PermissionError:
        raise StoreError(f"cannot make the store's folder {folder}: permission denied") from None
    except OSError as exc:
        raise StoreError(f"cannot make the store's folder {folder}: {exc.strerror}") from None


def _scheme(url: str) -> str:
    return url.split("://", 1)[0]
