"""`python -m bot generate --provider ttapi|bfl|mock` for every model, and DEFAULT_PROVIDER."""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image

from bot.__main__ import parse_args
from bot.cli import generate
from bot.providers.catalog import MODELS
from bot.store.db import open_database
from bot.store.jobs import JobRepository
from tests.conftest import FAST_POLLING, make_settings
from tests.models.conftest import b64, png

RUNS = [(spec.id, provider) for spec in MODELS.values() for provider in (*spec.routes, "mock")]


def cli_settings(tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune, **overrides):
    return make_settings(
        tmp_path,
        ttapi_api_key=fake_ttapi.api_key,
        ttapi_base_url=fake_ttapi.url,
        bfl_api_key=fake_bfl.api_key,
        bfl_base_url=fake_bfl.url,
        bfl_finetune_base_url=fake_bfl_finetune.url,
        **overrides,
    )


async def only_job(settings):
    async with open_database(settings.database_path) as db:
        jobs = await JobRepository(db).for_user(0)
    assert len(jobs) == 1
    return jobs[0]


@pytest.mark.parametrize(("model", "provider"), RUNS, ids=[f"{m}-{p}" for m, p in RUNS])
async def test_generate_runs_every_model_on_every_provider_that_offers_it(
    tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune, settings_overrides, model, provider, capsys
):
    settings = cli_settings(tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune)
    argv = [
        "generate",
        "a lighthouse --ar 1:1",
        "--model",
        model,
        "--provider",
        provider,
        "--out",
        str(tmp_path / "out.img"),
        "--seed",
        "3",
    ]
    reference = png()
    kind = MODELS[model].kind
    if kind in ("fill", "expand"):  # an image tool: `--tool`, its image, no `--ar`
        (tmp_path / "ref.png").write_bytes(reference)
        argv[1:4] = ["a lighthouse", "--tool", kind]
        argv += ["--image", str(tmp_path / "ref.png")]
        if kind == "fill":
            Image.new("L", (64, 48), 255).crop((0, 0, 32, 48)).save(tmp_path / "half.png")
            mask = Image.new("L", (64, 48), 0)
            mask.paste(Image.open(tmp_path / "half.png"))
            mask.save(tmp_path / "mask.png")
            argv += ["--mask", str(tmp_path / "mask.png")]
        else:
            argv += ["--left", "16"]
    if MODELS[model].kind == "edit":
        (tmp_path / "ref.png").write_bytes(reference)
        argv += ["--image", str(tmp_path / "ref.png")]
    if MODELS[model].kind == "finetune":
        argv += ["--finetune-id", "my-finetune", "--strength", "0.8"]
    if model.startswith("flux1-"):
        argv.remove("--seed"), argv.remove("3")  # the legacy endpoint takes no seed

    code = await generate(settings, parse_args(argv), mock_delay=0.05, poll_policy=FAST_POLLING)

    out = capsys.readouterr()
    assert code == 0, out.err
    assert f"saved {tmp_path / 'out.img'}" in out.out
    with Image.open(tmp_path / "out.img") as image:
        image.verify()
    job = await only_job(settings)
    assert (job.model, job.provider, job.state.value) == (model, provider, "delivered")
    fakes = {"ttapi": fake_ttapi, "bfl": fake_bfl_finetune if model == "flux-pro-finetuned" else fake_bfl}
    if provider == "mock":
        assert fake_ttapi.submits() == fake_bfl.submits() == fake_bfl_finetune.submits() == []
        return
    (submit,) = fakes[provider].submits()
    assert submit.path == MODELS[model].routes[provider].endpoint
    if MODELS[model].kind == "edit":
        assert submit.body["input_image"] == b64(reference)
    if model == "flux-pro-finetuned":
        assert submit.body["finetune_id"] == "my-finetune"
        assert submit.body["finetune_strength"] == 0.8


@pytest.mark.parametrize(
    ("default_provider", "model", "expected"),
    [
        ("bfl", "flux-pro-1.1", "bfl"),
        ("ttapi", "flux-pro-1.1", "ttapi"),
        ("bfl", "flux-kontext-max", "bfl"),
        ("bfl", "flux1-schnell", "ttapi"),  # only TTAPI offers it
        ("ttapi", "flux-pro-finetuned", "bfl"),  # only BFL offers it
        (None, "flux-dev", "ttapi"),  # unset: ttapi when its key is set
    ],
)
async def test_default_provider_picks_the_provider_for_a_model_both_offer(
    tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune, default_provider, model, expected, capsys
):
    settings = cli_settings(
        tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune, default_provider=default_provider
    )
    argv = (
        ["generate", "a fox", "--model", model, "--finetune-id", "ft"]
        if "finetuned" in model
        else ["generate", "a fox", "--model", model]
    )

    code = await generate(
        settings, parse_args([*argv, "--out", str(tmp_path / "o")]), poll_policy=FAST_POLLING
    )

    assert code == 0, capsys.readouterr().err
    assert (await only_job(settings)).provider == expected


async def test_without_out_the_file_is_named_for_the_job_and_what_the_provider_sent(
    tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune, monkeypatch, capsys
):
    monkeypatch.chdir(tmp_path)
    settings = cli_settings(tmp_path, fake_ttapi, fake_bfl, fake_bfl_finetune)

    code = await generate(
        settings, parse_args(["generate", "a fox", "--provider", "bfl"]), poll_policy=FAST_POLLING
    )

    assert code == 0
    job = await only_job(settings)
    assert f"saved out-{job.id}.jpg" in capsys.readouterr().out  # BFL answers JPEG by default
    assert Path(tmp_path / f"out-{job.id}.jpg").read_bytes()[:2] == b"\xff\xd8"
