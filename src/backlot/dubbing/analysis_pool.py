"""The process pool the analysis runs in, whose processes die with the process that
started them. A SIGKILL of `backlot serve` or `backlot worker` runs no shutdown: without
this, its analysis processes would live on, orphaned, holding memory and CPU."""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import signal
import sys
import threading
import time
from concurrent.futures import ProcessPoolExecutor

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_POLL_SECONDS = 0.5


def build_analysis_pool(processes: int) -> ProcessPoolExecutor:
    # spawn: a fork of a process with an event loop and driver threads is unsafe.
    return ProcessPoolExecutor(
        processes,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=die_with_parent,
        initargs=(os.getpid(),),
    )


def die_with_parent(parent: int) -> None:
    """Pool initializer: exit as soon as `parent` is gone. On Linux the kernel sends
    SIGKILL when the parent dies (PR_SET_PDEATHSIG; the pool's processes are started
    from the event loop's thread, which lives as long as the process); everywhere a
    daemon thread also polls the parent pid, which changes when the child is orphaned."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # it died before the line above took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watch", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(PARENT_POLL_SECONDS)
    os._exit(1)  # no cleanup to run: the analysis holds no state of its own
