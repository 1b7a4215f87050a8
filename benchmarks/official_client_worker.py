"""The official BFL client doing N jobs, one thread per job, as its users would. Runs in ITS OWN venv.

Started by `vs_official_client.py` with the venv's python; imports nothing of the bot (only
`proc_memory.py`, beside it, which reads memory the same way for both sides).
Each thread: `BFLClient(api_key, base_url=...)` → `generate(model, {"prompt": ...},
ClientConfig(sync=True))` (submit, then poll `polling_url` every `polling_interval` = 1 s, the
client's default) → download `result["sample"]` with the client's own `requests` session → save it.

The base URL is the client's own constructor option (`BFLClient(base_url=...)`): nothing is patched.
The client prints a line per poll; that goes to /dev/null (it is still work the client does).

Prints one JSON line: wall and CPU of the run, RSS before the first job and at the peak, jobs done.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import shutil
import sys
import tempfile
import threading
import time

T_START = time.perf_counter()
CPU_START = time.process_time()

from blackforest import BFLClient  # noqa: E402 - imports are part of what is measured
from blackforest.types.general.client_config import ClientConfig  # noqa: E402
from proc_memory import memory_mb  # noqa: E402 - beside this script; standard library only


def main() -> None:
    spec = json.loads(sys.argv[1])
    url, key, model, prompts = spec["url"], spec["api_key"], spec["model"], spec["prompts"]
    out_dir = tempfile.mkdtemp(prefix="bfl-official-")
    results: list[str | None] = [None] * len(prompts)
    errors: list[str] = []

    def one(index: int, prompt: str) -> None:
        try:
            client = BFLClient(api_key=key, base_url=url)
            config = ClientConfig(sync=True, timeout=300, max_retries=300)
            response = client.generate(model, {"prompt": prompt}, config)
            sample = response.result["sample"]
            image = client.session.get(sample, timeout=60)
            image.raise_for_status()
            path = os.path.join(out_dir, f"{index}.img")
            with open(path, "wb") as out:
                out.write(image.content)
            results[index] = path
        except Exception as exc:  # what a user's thread would log
            errors.append(f"{type(exc).__name__}: {exc}"[:200])

    cpu_ready = time.process_time()
    ready_rss = memory_mb("VmRSS")
    wall0 = time.perf_counter()
    threads = [threading.Thread(target=one, args=(i, p)) for i, p in enumerate(prompts)]
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    wall = time.perf_counter() - wall0
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(
        json.dumps(
            {
                "delivered": sum(1 for r in results if r),
                "errors": errors[:5],
                "error_count": len(errors),
                "run_wall": wall,
                "run_cpu": time.process_time() - cpu_ready,
                "startup_cpu": cpu_ready - CPU_START,
                "process_cpu": usage.ru_utime + usage.ru_stime,
                "process_wall": time.perf_counter() - T_START,
                "ready_rss_mb": ready_rss,
                "peak_rss_mb": memory_mb("VmHWM"),
                "threads": len(threads),
            }
        )
    )
    shutil.rmtree(out_dir, ignore_errors=True)  # the images, once everything is measured


if __name__ == "__main__":
    main()
