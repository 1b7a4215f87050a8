"""The C heap that starting freed, handed back to the system.

Compiling our modules from source (where no bytecode was written beside them) and building
pydantic's classes leave 1-2 MB of the C heap free in holes under memory still in use; glibc keeps
them resident until it is asked to trim (benchmarks/vs_official_client.py: RSS before the first
job). With bytecode, as the Docker image's install writes it, the holes are ~0.2 MB: less than
importing ctypes to ask for the trim costs (~0.3 MB), so then nothing is done.
"""

from __future__ import annotations

from pathlib import Path


def release_freed_heap() -> None:
    """Return the C heap's free pages to the system: glibc's `malloc_trim`; elsewhere nothing.

    Called when a process has built its job core (`open_services`, bot/app.py) and when its web
    server has started (`serve`, bot/web.py), which a process imports after the job core.
    """
    if not compiled_from_source():
        return
    import ctypes  # here: nothing else uses it (~0.3 MB to import, less than the trim returns)

    trim = getattr(ctypes.CDLL(None), "malloc_trim", None)  # (not on musl nor macOS)
    if trim is not None:
        trim(0)


def compiled_from_source() -> bool:
    """Whether this process compiled our modules from source: no bytecode of this one was found
    (a checkout run with `PYTHONDONTWRITEBYTECODE=1`; stale bytecode counts as found)."""
    cached = __spec__.cached if __spec__ is not None else None
    return cached is None or not Path(cached).exists()
