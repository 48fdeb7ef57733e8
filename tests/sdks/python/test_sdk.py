"""The Python SDK (pulumi_cloudflare_stream, installed from its wheel) under Pulumi's mocks: what it sends to the
provider must be what schema.json declares, so that a stale or drifted SDK fails here.

Run by tests/sdks/python.test.ts (npm run test:sdks) in a virtual environment holding the wheel and pulumi from
PyPI; STREAM_DOWNLOAD_SCHEMA points at schema.json.
"""

import json
import os
import re

import pulumi
import pytest

import pulumi_cloudflare_stream as cfs
from pulumi_cloudflare_stream import outputs

with open(os.environ.get("STREAM_DOWNLOAD_SCHEMA", os.path.join(os.path.dirname(__file__), "..", "..", "..", "schema.json")), encoding="utf-8") as f:
    SCHEMA = json.load(f)

TYPE = "cloudflare-stream:index:StreamDownload"
RESOURCE = SCHEMA["resources"][TYPE]
ACCOUNT = "023e105f4ecef8ad9ca31a8372d0c353"
VIDEO = "ea95132c15732412d22c1476fa83f27a"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"


def snake(name: str) -> str:
    """The Python name of a schema property, as Pulumi's Python generator makes it (requireSignedURLs -> require_signed_urls)."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name).lower()


class Mocks(pulumi.runtime.Mocks):
    """Records every resource registration; answers like the provider: inputs, plus a live download per type."""

    def __init__(self):
        self.registered = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs):
        self.registered.append(args)
        state = dict(args.inputs)
        if args.typ == TYPE:
            for kind in [t for t in args.inputs.get("downloadTypes", ["default"])]:
                ext = "mp4" if kind == "default" else "m4a"
                state[kind] = {
                    "status": "ready",
                    "percentComplete": 100,
                    "url": f"https://customer-x.example/{VIDEO}/downloads/{kind}.{ext}",
                    "sizeBytes": 3125000 if kind == "default" else 200000,
                    "contentType": "video/mp4" if kind == "default" else "audio/mp4",
                }
            state["requireSignedURLs"] = False
            return [f"{args.inputs['accountId']}/{args.inputs['identifier']}", state]
        return [f"{args.name}-id", state]

    def call(self, args: pulumi.runtime.MockCallArgs):
        return {}


MOCKS = Mocks()
pulumi.runtime.set_mocks(MOCKS, project="sdk-tests", stack="test", preview=False)


@pytest.fixture(autouse=True)
def fresh():
    MOCKS.registered.clear()
    yield


def registered(typ):
    return [r for r in MOCKS.registered if r.typ == typ]


def unwrap(value):
    """A secret input arrives wrapped with the secret signature; returns (value, is_secret)."""
    if isinstance(value, dict) and value.get("4dabf18193072939515e22adb298388d") == SECRET_SIG:
        return value["value"], True
    return value, False


@pulumi.runtime.test
def test_every_input_reaches_the_provider_under_its_schema_name():
    talk = cfs.StreamDownload(
        "talk",
        account_id=ACCOUNT,
        identifier=VIDEO,
        download_types=[cfs.DownloadType.DEFAULT, cfs.DownloadType.AUDIO],
        wait_for_ready=False,
        ready_timeout_seconds=60,
    )

    def check(_):
        [args] = registered(TYPE)
        assert args.name == "talk"
        assert sorted(args.inputs) == sorted(RESOURCE["inputProperties"])
        assert args.inputs == {
            "accountId": ACCOUNT,
            "identifier": VIDEO,
            "downloadTypes": ["default", "audio"],
            "waitForReady": False,
            "readyTimeoutSeconds": 60,
        }

    return talk.id.apply(check)


@pulumi.runtime.test
def test_omitted_inputs_get_the_schema_defaults_and_required_ones_are_required():
    talk = cfs.StreamDownload("talk", account_id=ACCOUNT, identifier=VIDEO)
    with pytest.raises(TypeError):
        cfs.StreamDownload("missing", identifier=VIDEO)  # type: ignore[call-arg]
    required = {snake(p) for p in RESOURCE["requiredInputs"]}
    assert required == {"account_id", "identifier"}

    def check(_):
        [args] = registered(TYPE)
        defaults = {k: v["default"] for k, v in RESOURCE["inputProperties"].items() if "default" in v}
        assert defaults == {"waitForReady": True, "readyTimeoutSeconds": 1800}
        for key, value in defaults.items():
            assert args.inputs[key] == value, key
        assert "downloadTypes" not in args.inputs

    return talk.id.apply(check)


def test_enum_values_and_names_are_the_schemas():
    enum = SCHEMA["types"]["cloudflare-stream:index:DownloadType"]["enum"]
    assert {m.name: m.value for m in cfs.DownloadType} == {e["name"].upper(): e["value"] for e in enum}
    assert cfs.DownloadType.AUDIO == "audio" and isinstance(cfs.DownloadType.AUDIO, str)


@pulumi.runtime.test
def test_outputs_are_typed_as_the_schema_says():
    talk = cfs.StreamDownload("talk", account_id=ACCOUNT, identifier=VIDEO, download_types=[cfs.DownloadType.AUDIO])
    for prop in RESOURCE["properties"]:
        assert isinstance(getattr(talk, snake(prop)), pulumi.Output), prop
    info = SCHEMA["types"]["cloudflare-stream:index:DownloadInfo"]["properties"]

    def check_audio(audio):
        # Checked in its own apply: Output.all copies nested dicts into plain ones.
        assert isinstance(audio, outputs.DownloadInfo), type(audio)
        assert {snake(p): getattr(audio, snake(p)) for p in info} == {
            "status": "ready",
            "percent_complete": 100,
            "url": f"https://customer-x.example/{VIDEO}/downloads/audio.m4a",
            "size_bytes": 200000,
            "content_type": "audio/mp4",
        }

    def check(values):
        tid, default, signed, types = values
        assert tid == f"{ACCOUNT}/{VIDEO}"
        assert default is None
        assert signed is False
        assert types == ["audio"] and isinstance(types[0], cfs.DownloadType)

    return pulumi.Output.all(
        talk.audio.apply(check_audio),
        pulumi.Output.all(talk.id, talk.default, talk.require_signed_urls, talk.download_types).apply(check),
    )


@pulumi.runtime.test
def test_the_provider_resource_sends_its_config_with_secrets_marked():
    provider = cfs.Provider("stream", api_token="token-123", base_url="http://127.0.0.1:1/client/v4", requests_per_five_minutes=600)
    talk = cfs.StreamDownload("talk", account_id=ACCOUNT, identifier=VIDEO, opts=pulumi.ResourceOptions(provider=provider))

    def check(_):
        [args] = registered("pulumi:providers:cloudflare-stream")
        assert args.name == "stream"
        assert set(args.inputs) <= set(SCHEMA["provider"]["inputProperties"])
        token, token_secret = unwrap(args.inputs["apiToken"])
        assert (token, token_secret) == ("token-123", True)
        assert unwrap(args.inputs["baseUrl"]) == ("http://127.0.0.1:1/client/v4", False)
        # A provider's non-string inputs travel JSON-encoded, as for every Pulumi provider.
        assert args.inputs["requestsPerFiveMinutes"] == "600"
        secret = {k for k, v in SCHEMA["provider"]["inputProperties"].items() if v.get("secret")}
        assert secret == {"apiToken", "apiKey", "email"}
        [download] = registered(TYPE)
        assert re.fullmatch(r"urn:pulumi:test::sdk-tests::(pulumi:pulumi:Stack\$)?pulumi:providers:cloudflare-stream::stream::stream-id", download.provider), download.provider

    return talk.id.apply(check)


@pulumi.runtime.test
def test_the_provider_falls_back_to_the_schemas_environment_variables(monkeypatch):
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", "env-token")
    monkeypatch.setenv("CLOUDFLARE_BASE_URL", "http://127.0.0.1:2/client/v4")
    provider = cfs.Provider("from-env")
    for key in ("apiToken", "baseUrl"):
        assert SCHEMA["provider"]["inputProperties"][key]["defaultInfo"]["environment"] == [
            "CLOUDFLARE_API_TOKEN" if key == "apiToken" else "CLOUDFLARE_BASE_URL"
        ]

    def check(_):
        [args] = registered("pulumi:providers:cloudflare-stream")
        assert unwrap(args.inputs["apiToken"]) == ("env-token", True)
        assert unwrap(args.inputs["baseUrl"]) == ("http://127.0.0.1:2/client/v4", False)

    return provider.urn.apply(check)


def test_config_reads_the_schemas_keys():
    variables = SCHEMA["config"]["variables"]
    for key in variables:
        assert hasattr(cfs.config, snake(key)), key
    pulumi.runtime.set_config("cloudflare-stream:baseUrl", "http://127.0.0.1:3/client/v4")
    pulumi.runtime.set_config("cloudflare-stream:requestsPerFiveMinutes", "300")
    assert cfs.config.base_url == "http://127.0.0.1:3/client/v4"
    assert cfs.config.requests_per_five_minutes == 300
