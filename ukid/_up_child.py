"""One service of ``ukid up``: ``python -m ukid._up_child PARENT_PID registry serve ...`` runs the
``ukid`` command after it, and on Linux first asks the kernel to send it SIGTERM when the thread
that started it ends (``prctl(PR_SET_PDEATHSIG)``), so a ``ukid up`` killed with SIGKILL leaves no
server holding its port. A parent already gone before that is noticed through ``getppid``.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys

__all__ = ["main"]

_PR_SET_PDEATHSIG = 1


def _stop_with_parent(parent: int) -> None:
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        return  # not allowed here (a sandbox): the parent's stop() still ends this process
    if os.getppid() != parent:
        sys.exit(1)


def main() -> None:
    """Run ``sys.argv[2:]`` as a ``ukid`` command, stopping with the parent ``sys.argv[1]``."""
    _stop_with_parent(int(sys.argv[1]))
    from ukid.cli import main as ukid  # noqa: PLC0415

    sys.argv = ["ukid", *sys.argv[2:]]
    ukid()


if __name__ == "__main__":
    main()
