"""Security properties that hold by construction, checked so they keep holding.

- SQL is only ever built with parameters: a lint over bot/ and cogs/ finds every SQL string with an
  interpolation and allows only placeholder lists and reviewed, whitelisted column lists.
- Callback authentication compares in constant time (`hmac.compare_digest`), never with `==`.
- Outbound requests go only to allow-listed hosts: hostile result and polling URLs are refused
  before any connection is made, and the key is never sent to a foreign host.
- The web server binds to HTTP_HOST only and answers nothing but its routes.
- Admin subcommands each check Manage Server in the bot (the client-side default_permissions is
  only a hint); issue 5's SimCord test proves the refusal, this one that no subcommand forgets.
"""

from __future__ import annotations

import ast
import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import SecretStr

from bot.jobs.callbacks import callback_authentic
from bot.jobs.model import JobState
from bot.providers.base import ResultDownloadError
from bot.providers.bfl import BFLProvider
from bot.providers.ttapi import TTAPIProvider
from bot.web import bound_port, serve
from tests.conftest import finish_jobs
from tests.fakes.bfl import FakeBFL

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "cogs").rglob("*.py")])
SQL_START = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|PRAGMA|WITH|CREATE|REPLACE|ALTER|DROP)\b", re.I)
PLACEHOLDERS = re.compile(r"""^['"],\s?['"]\.join\(['"]\?['"] \* len\(\w+\)\)( or ['"]NULL['"])?$""")

#: Interpolations reviewed by hand: (file, expression) → why it cannot carry a value.
REVIEWED = {
    ("bot/store/jobs.py", "', '.join(columns)"): "names checked against MUTABLE_COLUMNS, values are ?",
    ("bot/store/db.py", "number"): "a migration number formatted with :d",
    ("bot/store/deliveries.py", "', '.join((f'{name} = ?' for name in messages))"): (
        "names checked against MESSAGE_COLUMNS, values are ?"
    ),
    ("bot/store/web.py", "' AND '.join(where)"): "the gallery's filters: fixed clauses, values are ?",
    ("bot/store/ledger.py", "fits_sql"): "the hold's check from `hold_fits`: fixed SQL, values are ?",
    ("bot/store/ledger.py", "'guild_id IS NULL' if guild_id is None else 'guild_id = ?'"): (
        "`recent_entries_query`: one of two fixed clauses, the value is ?"
    ),
    ("bot/store/postgres.py", "sql.rstrip().removesuffix(';')"): (
        "a unit's own statement, wrapped by `one_row` to answer one row; values stay $n"
    ),
}


def _functions(tree: ast.AST) -> Iterator[ast.AST]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def sql_interpolations() -> list[tuple[str, int, str]]:
    """Every value interpolated into an SQL string literal in bot/ and cogs/, as source text."""
    found = []
    for path in SOURCES:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        rel = str(path.relative_to(ROOT))
        for function in _functions(tree):
            assigned = {
                target.id: node.value
                for node in ast.walk(function)
                if isinstance(node, ast.Assign)
                for target in node.targets
                if isinstance(target, ast.Name)
            }
            for node in ast.walk(function):
                if not isinstance(node, ast.JoinedStr):
                    continue
                text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
                if not SQL_START.match(text):
                    continue
                for value in node.values:
                    if isinstance(value, ast.FormattedValue):
                        expression = ast.unparse(value.value)
                        # A local like `marks` stands for what it was assigned; a literal is safe.
                        source = assigned.get(expression)
                        if isinstance(source, ast.Constant) and isinstance(source.value, str):
                            continue
                        found.append((rel, node.lineno, ast.unparse(source) if source else expression))
    return found


def test_sql_is_only_built_with_placeholders_or_reviewed_column_lists():
    interpolations = sql_interpolations()
    assert interpolations, "the lint found no dynamic SQL at all: is it still looking?"
    unreviewed = [
        f"{file}:{line}: {expression}"
        for file, line, expression in set(interpolations)
        if not PLACEHOLDERS.match(expression) and (file, expression) not in REVIEWED
    ]
    assert unreviewed == [], "SQL built from values; use ? parameters:\n" + "\n".join(sorted(unreviewed))


def test_no_sql_is_built_with_percent_format_or_concatenation():
    offences = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            left = None
            if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
                left = node.left
            elif (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "format"
            ):
                left = node.func.value
            if isinstance(left, ast.Constant) and isinstance(left.value, str) and SQL_START.match(left.value):
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert offences == []


async def test_the_reviewed_column_list_refuses_names_outside_the_whitelist(running):
    from bot.jobs.model import Job, Origin

    job = Job(
        id="0123456789abcdef", seq=0, state=JobState.QUEUED, origin=Origin.CLI, provider="ttapi",
        model="flux-pro-1.1", prompt="x", params={}, user_id=1, guild_id=None, channel_id=None,
        estimate=__import__("decimal").Decimal(1), created_at=0.0, updated_at=0.0,
    )  # fmt: skip
    hostile = {"cost = 0, state = 'delivered' --": 1}
    with pytest.raises(ValueError, match="not a mutable job column"):
        await running.jobs.update(job, **hostile)
    with pytest.raises(ValueError, match="not a mutable job column"):
        await running.jobs.transition(job, JobState.SUBMITTING, **hostile)


async def test_a_prompt_full_of_sql_is_stored_verbatim_and_harms_nothing(
    simcord_env, running, guild_setup, fake_ttapi
):
    _, channel, alice = guild_setup
    prompt = "a cat'); DROP TABLE jobs; DELETE FROM ledger; -- \" OR 1=1"

    await alice.slash(channel, "imagine", prompt=prompt)
    await finish_jobs(simcord_env, running)

    (job,) = await running.jobs.for_user(alice.id)
    assert job.prompt == prompt
    assert job.state is JobState.DELIVERED
    assert len(await running.db.fetchall("SELECT * FROM ledger WHERE job_id = ?", (job.id,))) == 2


# -- constant-time authentication ------------------------------------------------------------

SECRET_NAME = re.compile(r"(secret|token|signature|digest)", re.I)


def test_secrets_and_tokens_are_never_compared_with_equality():
    offences = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Compare):
                continue
            if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
                continue
            operands = [node.left, *node.comparators]
            if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
                continue
            names = " ".join(ast.unparse(o) for o in operands)
            if SECRET_NAME.search(names) and "response_message_id" not in names:
                offences.append(f"{path.relative_to(ROOT)}:{node.lineno}: {ast.unparse(node)}")
    assert offences == [], "compare secrets with hmac.compare_digest:\n" + "\n".join(offences)


def test_callback_verification_uses_compare_digest_and_rejects_near_misses():
    import hashlib
    import hmac

    source = Path(ROOT / "bot/jobs/callbacks.py").read_text(encoding="utf-8")
    assert "hmac.compare_digest" in source
    body, secret = b'{"id":"x","status":"Ready"}', "s3cret-per-job-value"
    good_hmac = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert callback_authentic(secret, body, secret=secret)
    assert callback_authentic(secret, body, signature=good_hmac)
    assert callback_authentic(secret, body, signature=good_hmac.removeprefix("sha256="))
    for given in (
        {},
        {"secret": secret[:-1]},
        {"secret": secret + "x"},
        {"secret": ""},
        {"signature": good_hmac[:-1] + ("0" if good_hmac[-1] != "0" else "1")},
        {"signature": "sha256=" + hmac.new(b"other", body, hashlib.sha256).hexdigest()},
        {"signature": ""},
    ):
        assert not callback_authentic(secret, body, **given), given
    assert not callback_authentic(secret, body + b" ", signature=good_hmac)


# -- outbound requests only to allow-listed hosts --------------------------------------------

HOSTILE_RESULT_URLS = [
    "http://169.254.169.254/latest/meta-data/",
    "http://localhost:22/",
    "https://evil.example/image.png",
    "https://ttapi.io.evil.example/image.png",
    "https://evilttapi.io/image.png",
    "https://cdn.ttapi.io@evil.example/image.png",
    "https://bfl.ai.evil.example/x.png",
    "file:///etc/passwd",
    "ftp://cdn.ttapi.io/x.png",
    # Allow-listed hosts, but in clear text: the provider's base URL is https.
    "http://cdn.ttapi.io/x.png",
    "http://delivery-eu1.bfl.ai/x.png",
    "http://api.ttapi.io/files/x.png",
]
#: A base URL configured over http (a local stand-in, as the loopback fakes run) opens http to itself only.
HTTP_STAND_IN = "http://127.0.0.1:8080"


@pytest.mark.parametrize(
    ("base_url", "url"),
    [("https://api.ttapi.io", url) for url in HOSTILE_RESULT_URLS]
    + [(HTTP_STAND_IN, "http://cdn.ttapi.io/x.png"), (HTTP_STAND_IN, "http://localhost:8080/x.png")],
)
async def test_hostile_result_urls_are_refused_before_connecting(base_url, url):
    seen: list[str] = []

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(str(params.url))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = TTAPIProvider(session=session, base_url=base_url, api_key=SecretStr("k" * 8))
        with pytest.raises(ResultDownloadError):
            await client.download(url)
    assert seen == []


@pytest.mark.parametrize(
    ("base_url", "url", "allowed"),
    [
        ("https://api.ttapi.io", "https://cdn.ttapi.io/a.png", True),
        ("https://api.ttapi.io", "https://CDN.TTAPI.IO./a.png", True),
        ("https://api.ttapi.io", "https://delivery-eu1.bfl.ai/a.png", True),
        ("https://api.ttapi.io", "http://cdn.ttapi.io/a.png", False),
        # A stand-in on loopback over http (how the fakes run): http to that host only.
        (HTTP_STAND_IN, f"{HTTP_STAND_IN}/files/a.png", True),
        (HTTP_STAND_IN, "http://cdn.ttapi.io/a.png", False),
        (HTTP_STAND_IN, "https://cdn.ttapi.io/a.png", True),
    ],
)
def test_result_links_need_https_and_a_provider_host(base_url, url, allowed):
    client = TTAPIProvider(session=None, base_url=base_url, api_key=SecretStr("k" * 8))  # type: ignore[arg-type]
    assert client._link_allowed(url) is allowed


async def test_a_foreign_polling_url_never_receives_the_bfl_key(fake_bfl: FakeBFL):
    """BFL says where to poll; the key goes with the poll, so a foreign host is never used."""
    seen: list[str] = []

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(params.url.host or "")

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    async with aiohttp.ClientSession(trace_configs=[trace]) as session:
        client = BFLProvider(session=session, base_url=fake_bfl.url, api_key=SecretStr(fake_bfl.api_key))
        from bot.providers.base import ProviderRequest

        submission = await client.submit(ProviderRequest("/v1/flux-pro-1.1", {"prompt": "a cat"}))
        await client.poll(submission.provider_job_id, "https://collector.evil.example/v1/get_result?id=x")
    assert seen == ["127.0.0.1", "127.0.0.1"]


# -- the web server ----------------------------------------------------------------------------


async def test_the_web_server_binds_http_host_only_and_answers_only_its_routes(services, settings):
    settings = settings.model_copy(update={"http_host": "127.0.0.1", "http_port": 0})
    async with serve(settings, services, None) as site, aiohttp.ClientSession() as http:
        port = bound_port(site)
        base = f"http://127.0.0.1:{port}"
        async with http.get(f"{base}/healthz") as response:
            assert response.status == 200
        for path in (
            "/",
            "/admin",
            "/healthz/../etc/passwd",
            "/%2e%2e/%2e%2e/etc/passwd",
            "/.env",
            "/callbacks",
        ):
            async with http.get(base + path) as response:
                assert response.status == 404, path
        async with http.post(f"{base}/healthz", data=b"x") as response:
            assert response.status == 405
        # Another loopback address of this machine: nothing listens there.
        with pytest.raises(aiohttp.ClientConnectorError):
            async with http.get(f"http://127.0.0.2:{port}/healthz"):
                pass
    await asyncio.sleep(0)


# -- admin commands enforce their permission in the bot -----------------------------------------


def test_every_admin_subcommand_checks_manage_server_itself():
    tree = ast.parse((ROOT / "cogs/admin.py").read_text(encoding="utf-8"))
    privacy = ast.parse((ROOT / "cogs/privacy.py").read_text(encoding="utf-8"))
    admin_privacy = [n for n in ast.walk(privacy) if isinstance(n, ast.ClassDef) and n.name == "PrivacyAdmin"]
    commands = [
        node
        for root in (tree, *admin_privacy)  # `/admin privacy` is attached from cogs/privacy.py
        for node in ast.walk(root)
        if isinstance(node, ast.AsyncFunctionDef)
        and any("command" in ast.unparse(d) for d in node.decorator_list)
    ]
    assert len(commands) >= 6
    missing = [
        c.name
        for c in commands
        if not any(
            isinstance(n, ast.Call) and ast.unparse(n.func).endswith("require_admin") for n in ast.walk(c)
        )
    ]
    assert missing == []
