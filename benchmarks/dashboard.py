"""The web dashboard with a big gallery (issue 20, item 7).

Fills a fresh SQLite store with `--images` delivered images of one member in one server (each a
real PNG file in `DATA_DIR/images/`), plus `--others` jobs of other members and servers, starts the
real web server with the dashboard on loopback, signs in by link, and measures:

- "My images", first page: server time (a middleware around the handler; what the browser waits
  for minus the network) and the time seen by the client over loopback, p50/p95 over `--runs`;
  and a page deep in the gallery (keyset paging: `before=`), which must cost the same;
- thumbnails: the first page's made once, then answered 304 to `If-None-Match` and never made
  again (the dashboard counts what it makes);
- bytes of HTML + CSS of "My images" and of the operators' page.

The member directory is a fixed in-memory one: the figures are this code's, not Discord's REST.

    .venv/bin/python benchmarks/dashboard.py            # ~30 s
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import re
import sqlite3
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from PIL import Image
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.harness import Verdict, percentile, print_machine, print_verdicts
from bot.app import open_services
from bot.dashboard.auth import sign_in_link
from bot.dashboard.members import WebMember
from bot.settings import Settings
from bot.store.db import open_database
from bot.store.web import WebStore
from bot.web import DASHBOARD, build_app

GUILD, MEMBER, OPERATOR = 111, 201, 202
MODELS = ["flux-pro-1.1", "flux-dev", "flux-pro-1.1-ultra", "flux-kontext-pro"]


class FixedDirectory:
    """Everyone is a member; the operator has Manage Server."""

    async def member(self, guild_id: int, user_id: int) -> WebMember | None:
        return WebMember(guild_id, "Bench", user_id, f"member {user_id}", (), user_id == OPERATOR)

    async def names(self, guild_id: int, user_ids: Sequence[int]) -> dict[int, str]:
        return {u: f"member {u}" for u in user_ids}

    def shared(self, guild_ids: Sequence[int]) -> list[int]:
        return list(guild_ids)

    async def roles(self, guild_id: int) -> list[tuple[int, str]]:
        return [(9, "artists")]

    async def text_channels(self, guild_id: int) -> list[tuple[int, str]]:
        return [(5, "art")]

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        return None


def png(seq: int) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1024, 1024), ((seq * 37) % 256, (seq * 11) % 256, 160)).save(out, "PNG")
    return out.getvalue()


def fill(path: Path, images: Path, count: int, others: int) -> None:
    images.mkdir(parents=True, exist_ok=True)
    picture = png(1)  # the same 1024 x 1024 picture in every file: a thumbnail reads a real PNG
    now = time.time()
    rows = []
    for seq in range(1, count + others + 1):
        mine = seq <= count
        job_id = f"job{seq:07d}"
        result = images / f"{job_id}.png"
        if mine:
            result.write_bytes(picture)
        rows.append(
            (
                job_id,
                seq,
                "delivered",
                "discord",
                "ttapi",
                MODELS[seq % len(MODELS)],
                f"prompt number {seq} about {'lighthouses' if seq % 3 else 'foxes'}",
                json.dumps({}),
                MEMBER if mine else 1000 + seq % 500,
                GUILD if mine or seq % 2 else 999,
                5,
                "5",
                "5",
                str(result) if mine else None,
                1000 + seq,
                1024,
                1024,
                now - (count + others - seq),
                now,
            )
        )
    # Each of the member's images was charged, spread over the last 30 days: the operators' charts.
    charges = [
        (
            "charge",
            GUILD,
            MEMBER,
            f"job{seq:07d}",
            "5",
            time.strftime("%Y-%m-%d", time.gmtime(now - seq * 259)),
            "ttapi",
            MODELS[seq % len(MODELS)],
            5_000_000,
            now - seq * 259,
        )
        for seq in range(1, count + 1)
    ]
    with sqlite3.connect(path) as conn:
        conn.executemany(
            "INSERT INTO ledger (kind, guild_id, user_id, job_id, amount, period, provider, model, units,"
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            charges,
        )
        conn.executemany(
            "INSERT INTO jobs (id, seq, state, origin, provider, model, prompt, params, user_id, guild_id,"
            " channel_id, estimate, cost, result_path, seed, width, height, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )


async def measure(args: argparse.Namespace, folder: Path) -> list[Verdict]:
    path = folder / "fluxbot.sqlite3"
    async with open_database(path, data_dir=folder):
        pass  # the schema
    started = time.perf_counter()
    fill(path, folder / "images", args.images, args.others)
    print(
        f"filled: {args.images:,} images of one member, {args.others:,} other jobs"
        f" in {time.perf_counter() - started:.1f} s"
    )
    settings = Settings(  # type: ignore[call-arg]
        _env_file=None, database_path=path, data_dir=folder, http_port=0, web_public_url="http://127.0.0.1"
    )
    server_ms: dict[str, list[float]] = {}

    @web.middleware
    async def timing(request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]) -> Any:
        began = time.perf_counter()
        try:
            return await handler(request)
        finally:
            server_ms.setdefault(request.path, []).append((time.perf_counter() - began) * 1000)

    async with open_services(settings) as services:
        app = build_app(services, directory=FixedDirectory())
        app.middlewares.insert(0, timing)
        dashboard = app[DASHBOARD]
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        verdicts = []
        try:
            jar = aiohttp.CookieJar(unsafe=True)
            async with aiohttp.ClientSession(base, cookie_jar=jar) as http:
                for user in (MEMBER, OPERATOR):
                    link = await sign_in_link(WebStore(services.db), base, user, GUILD)
                    async with http.post(link.removeprefix(base), allow_redirects=False) as answer:
                        assert answer.status == 303
                    if user == MEMBER:
                        member_cookies = jar.filter_cookies(URL(base))
                operator_cookies = jar.filter_cookies(URL(base))
                jar.clear()
                jar.update_cookies(member_cookies)

                async def timed(url: str, runs: int) -> tuple[list[float], bytes]:
                    client = []
                    body = b""
                    for _ in range(runs):
                        began = time.perf_counter()
                        async with http.get(url) as page:
                            body = await page.read()
                            assert page.status == 200, (url, page.status)
                        client.append((time.perf_counter() - began) * 1000)
                    return client, body

                server_ms.clear()
                first_client, first_page = await timed(f"/me?guild={GUILD}", args.runs)
                first_server = server_ms.pop("/me")
                deep_before = args.images // 2
                deep_client, _ = await timed(f"/me?guild={GUILD}&before={deep_before}", args.runs)
                deep_server = server_ms.pop("/me")
                search_client, _ = await timed(f"/me?guild={GUILD}&q=foxes&model=flux-dev", args.runs)
                search_server = server_ms.pop("/me")
                async with http.get("/static/dashboard.css") as answer:
                    css_bytes = len(await answer.read())

                thumbs = re.findall(r'src="(/me/thumbs/[^"]+)"', first_page.decode())
                began = time.perf_counter()
                etags = {}
                for url in thumbs:
                    async with http.get(url) as answer:
                        assert answer.status == 200
                        etags[url] = answer.headers["ETag"]
                cold = time.perf_counter() - began
                made_first = dashboard.thumbnails.made
                not_modified = 0
                for _ in range(3):
                    for url in thumbs:
                        async with http.get(url, headers={"If-None-Match": etags[url]}) as answer:
                            not_modified += answer.status == 304
                    for url in thumbs:  # a browser without its cache: the file, still not made again
                        async with http.get(url) as answer:
                            assert answer.status == 200
                made_after = dashboard.thumbnails.made

                jar.clear()
                jar.update_cookies(operator_cookies)
                _, operator_page = await timed(f"/g/{GUILD}", 5)
                guild_server = server_ms.pop(f"/g/{GUILD}")

            def line(name: str, server: list[float], client: list[float]) -> str:
                return (
                    f"  {name:<42} server p50 {percentile(server, 50):6.1f} ms"
                    f"  p95 {percentile(server, 95):6.1f} ms"
                    f"   client p95 {percentile(client, 95):6.1f} ms"
                )

            print(f"GET /me and variants, {args.runs} requests each:")
            print(line("first page (24 images)", first_server, first_client))
            print(line(f"a page deep in the gallery (before={deep_before})", deep_server, deep_client))
            print(line("model filter + text search", search_server, search_client))
            print(f"  operators' page /g/{{id}}: server p50 {percentile(guild_server, 50):.1f} ms")
            print(
                f"thumbnails: {len(thumbs)} on the first page made in {cold * 1000:.0f} ms (cold); "
                f"then {len(thumbs) * 6} more requests: {not_modified} answered 304,"
                f" made again {made_after - made_first}"
            )
            me_total = len(first_page) + css_bytes
            guild_total = len(operator_page) + css_bytes
            print(
                f"bytes: My images {len(first_page):,} HTML + {css_bytes:,} CSS = {me_total:,}; "
                f"operators' page {len(operator_page):,} HTML + {css_bytes:,} CSS = {guild_total:,}"
            )
            p95 = percentile(first_server, 95)
            verdicts = [
                Verdict("My images, first page, server time p95", f"{p95:.1f} ms", "< 100 ms", p95 < 100),
                Verdict(
                    "thumbnails made again after the first time",
                    str(made_after - made_first),
                    "0",
                    made_after == made_first == len(thumbs),
                ),
                Verdict("My images: HTML + CSS", f"{me_total:,} B", "< 100 KB", me_total < 100_000),
                Verdict(
                    "operators' page: HTML + CSS", f"{guild_total:,} B", "< 100 KB", guild_total < 100_000
                ),
            ]
        finally:
            await runner.cleanup()
    return verdicts


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=10_000)
    parser.add_argument("--others", type=int, default=40_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print_machine()
    with tempfile.TemporaryDirectory() as tmp:
        print_verdicts(await measure(args, Path(tmp)))


if __name__ == "__main__":
    asyncio.run(main())
