"""Is the process that wrote a recovery copy or a lock still running? No Qt.

A process is named by its id and, where the system tells (Linux /proc), its start
time, so a dead writer whose id was reused by an unrelated process counts as gone.
A zombie (killed, not yet reaped) counts as gone too.
"""
from __future__ import annotations

import os


def process_start(pid: int) -> int | None:
    """The start time of `pid` in clock ticks since boot (Linux), else None."""
    fields = _stat_fields(pid)
    if fields is None or len(fields) < 20:
        return None
    try:
        return int(fields[19])            # field 22 of /proc/PID/stat, after pid and (comm)
    except ValueError:
        return None


def _stat_fields(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{int(pid)}/stat", "rb") as f:
            text = f.read().decode("ascii", "replace")
    except OSError:
        return None
    return text[text.rfind(")") + 1:].split()     # the name may contain spaces or ')'


def process_alive(pid, started=None) -> bool:
    """True while process `pid` (started at `started`, if known) is running."""
    try:
        pid = int(pid)
    except (TypeError, ValueError):
        return False
    if pid <= 0:
        return False
    if os.name == "nt":
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:               # someone else's process: it exists
        pass
    except OSError:
        return False
    fields = _stat_fields(pid)
    if fields is not None and fields and fields[0] in ("Z", "X"):
        return False                      # killed, waiting to be reaped
    if started is not None and fields is not None:
        return process_start(pid) == started
    return True


def _alive_windows(pid: int) -> bool:     # os.kill(pid, 0) would end the process there
    import ctypes
    kernel = ctypes.windll.kernel32       # type: ignore[attr-defined]
    handle = kernel.OpenProcess(0x1000, False, pid)      # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return False
    try:
        code = ctypes.c_ulong()
        kernel.GetExitCodeProcess(handle, ctypes.byref(code))
        return code.value == 259                        # STILL_ACTIVE
    finally:
        kernel.CloseHandle(handle)


def this_process() -> dict:
    """How the running process is named in maps and locks."""
    return {"pid": os.getpid(), "started": process_start(os.getpid())}
