"""Start the media tools (ffmpeg, ffprobe, the content credentials reader) so that they die
with the process that started them.

A Celery pool process killed outright (SIGKILL: the OOM killer, a hard time limit, a person)
runs no cleanup, so without this its ffmpeg would go on rendering, minutes of both cores, for a
job that is already being given to another process. Linux can send a signal to a child when
its parent dies (prctl PR_SET_PDEATHSIG); the child asks for SIGKILL between fork and exec, and
the setting survives exec.

Why this way, and not the alternatives:

- A process group of its own (or setsid) plus a watcher needs a process or thread that outlives
  the one killed, to notice the death and kill the group: one more moving part, and it has to
  be running when the kill comes. PDEATHSIG is kept by the kernel and needs nothing running.
- `setpriv --pdeathsig KILL ffmpeg …` (util-linux) would avoid a `preexec_fn`, but adds a
  dependency on an extra program in every image and cannot close the race below.
- The `preexec_fn` here does one foreign call, resolved before any fork, and two system calls;
  it imports nothing and takes no lock, which is what makes `preexec_fn` unsafe in a threaded
  process (Python's documentation warns of locks another thread held at the fork). Its cost:
  with a `preexec_fn` Python forks instead of using vfork. Measured from a process holding
  150 MiB, on this project's shared 2-core machine at a load average of 9: 21 to 28 ms a start
  instead of 1.6 ms (`setpriv` would cost 2.5 ms). A clip's processing starts about five
  tools, an upload's probe three, each of which takes ~70 ms or far more anyway.

Two things the kernel's rule implies:

- The parent that must die is the *thread* that started the child. Every caller here waits for
  its child on the thread that started it (subprocess.run, or Popen then wait), so that thread
  outlives the child unless the whole process dies. Do not start a child from a thread that
  may end before it.
- If the parent dies between the fork and the prctl, no signal comes; the child then sees that
  its parent changed and kills itself before exec.

No Django here: reviews.media's tools are plain subprocess wrappers.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from typing import Any

_PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    function = ctypes.CDLL(None, use_errno=True).prctl
    function.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return function


# Resolved once at import: the child between fork and exec must not load anything.
_PRCTL = _prctl()


def _die_with_parent(parent: int) -> Callable[[], None]:
    def preexec() -> None:
        if _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
        if os.getppid() != parent:  # the parent died before the prctl: no signal will come
            os.kill(os.getpid(), signal.SIGKILL)

    return preexec


def _options(kwargs: dict[str, Any]) -> dict[str, Any]:
    if "preexec_fn" in kwargs:
        raise TypeError("reviews.media.children sets preexec_fn itself")
    if _PRCTL is None:  # not Linux: children are started as usual
        return kwargs
    return {**kwargs, "preexec_fn": _die_with_parent(os.getpid())}


def popen(command: list[str], **kwargs: Any) -> subprocess.Popen:
    """subprocess.Popen(command, **kwargs), the child killed (SIGKILL) when the calling thread
    or its process dies. Wait for it on the thread that called this."""
    return subprocess.Popen(command, **_options(kwargs))


def run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess:
    """subprocess.run(command, **kwargs), the child killed (SIGKILL) if this process dies first.
    Raises what subprocess.run raises (TimeoutExpired past `timeout`, OSError)."""
    return subprocess.run(command, **_options(kwargs))
