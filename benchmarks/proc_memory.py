"""How both workers of the side by side read their own memory (standard library only).

`official_client_worker.py` runs in the official client's venv and imports nothing of the bot;
this module is the one thing both sides share, so that both read memory the same way.
"""

from __future__ import annotations


def memory_mb(field: str) -> float:
    """`VmRSS` (now) or `VmHWM` (the peak) of this process, in MiB.

    Not `ru_maxrss`: Linux carries the parent's peak over `fork`/`exec` into it, so a child would
    report the benchmark driver's RSS whenever that is the larger.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    raise RuntimeError(f"no {field} in /proc/self/status")
