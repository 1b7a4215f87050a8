"""The C heap that starting freed, handed back to the system.

Importing our modules (compiled from source where no bytecode is written) and building pydantic's
classes leave 1-2 MB of the C heap free in holes under memory still in use; glibc keeps them
resident until it is asked to trim (benchmarks/vs_official_client.py: RSS before the first job).
"""

from __future__ import annotations


def release_freed_heap() -> None:
    """Return the C heap's free pages to the system: glibc's `malloc_trim`; elsewhere nothing.

    Called when a process has built its job core (`open_services`, bot/app.py) and when its web
    server has started (`serve`, bot/web.py), which a process imports after the job core.
    """
    import ctypes  # here: nothing else uses it (~0.2 MB to import, less than the trim returns)

    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # (not on musl nor macOS)
    if trim is not None:
        trim(0)
