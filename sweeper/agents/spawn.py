"""Starting a program so that it dies with the thread that started it, cheaply.

PR_SET_PDEATHSIG(SIGKILL) makes the kernel kill the program if the agent dies, even by
SIGKILL. It is set by util-linux's `setpriv --pdeathsig KILL`, which the program is exec'd
through (the setting survives exec). Python's own way, a preexec_fn, makes subprocess fork
the whole agent instead of vfork: 9 ms and 4 ms of the agent's CPU per run, against 2 ms and
0.2 ms through setpriv (measured here, BENCHMARKS.md). Without setpriv, the preexec_fn does it.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import signal
import subprocess
import sys

libc = ctypes.CDLL(None, use_errno=True) if sys.platform.startswith("linux") else None
_PR_SET_PDEATHSIG = 1


def die_with_parent():  # runs in the child between fork and exec
    if libc is not None:
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)


_SETPRIV = shutil.which("setpriv", path="/usr/bin:/bin:/usr/sbin:/sbin") if libc is not None else None


def spawn(argv: list[str], env: dict, cwd: str) -> subprocess.Popen:
    """Popen of argv, output in a pipe, in its own session, killed if this thread dies.

    Through setpriv, the program is exec'd by setpriv, so what Popen would have refused to
    start (no such file, not executable, not a program) is refused here first, with the OS
    error Popen gives: a run that could not start is told apart from one that failed."""
    options = dict(env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                   stderr=subprocess.STDOUT, start_new_session=True, bufsize=0)
    if _SETPRIV is None:
        return subprocess.Popen(argv, preexec_fn=die_with_parent if libc is not None else None, **options)
    _check_executable(str(argv[0]), env, cwd)
    return subprocess.Popen([_SETPRIV, "--pdeathsig", "KILL", "--", *map(str, argv)], **options)


def _check_executable(program: str, env: dict, cwd: str) -> None:
    """Raise the OSError that exec'ing `program` (found as Popen finds it: a path from cwd,
    else on env's PATH) would raise."""
    import errno

    if os.sep in program:
        path = os.path.join(cwd, program)
        if not os.path.exists(path):
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    else:
        path = shutil.which(program, mode=os.F_OK, path=os.pathsep.join(os.get_exec_path(env)))
        if path is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), program)
    if os.path.isdir(path) or not os.access(path, os.X_OK):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), program)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
    except OSError:
        return  # executable but unreadable: exec may still work
    # exec refuses anything else (ENOEXEC); setpriv's execvp would hand it to /bin/sh instead.
    if not (magic.startswith(b"#!") or magic == b"\x7fELF"):
        raise OSError(errno.ENOEXEC, os.strerror(errno.ENOEXEC), program)
