"""The webhook's settings (off unless asked, on by itself against the local cluster) and its certificate."""

from __future__ import annotations

import ssl

import kopf

from ecs_operator.handlers import build_registry
from ecs_operator.handlers.admission import configure
from ecs_operator.handlers.webhook_server import WebhookServer
from ecs_operator.settings import LOCAL_WEBHOOK_CONFIGURATION, WEBHOOK_PORT, Settings


def test_off_by_default_and_switched_by_the_environment() -> None:
    assert not Settings.from_environ({}).webhook_enabled
    assert Settings.from_environ({"ECS_OPERATOR_WEBHOOK": "on"}).webhook_enabled
    off = Settings.from_environ({"ECS_OPERATOR_WEBHOOK": "off"})
    assert off.webhook is False and off.with_local_webhook() == off  # an explicit off wins locally too
    env = {"ECS_OPERATOR_WEBHOOK_PORT": "0", "ECS_OPERATOR_WEBHOOK_CERT_DIR": "/certs"}
    parsed = Settings.from_environ(env)
    assert parsed.webhook_port == 0 and parsed.webhook_cert_dir == "/certs"


def test_local_cluster_defaults_loopback_a_free_port_and_the_managed_configuration() -> None:
    local = Settings().with_local_webhook()
    assert local.webhook_enabled and local.webhook_address == "127.0.0.1" and local.webhook_port == 0
    assert local.webhook_configuration == LOCAL_WEBHOOK_CONFIGURATION
    chosen = Settings(webhook_port=9000, webhook_configuration="mine.example.com").with_local_webhook()
    assert (chosen.webhook_port, chosen.webhook_configuration) == (9000, "mine.example.com")


def test_kopf_settings_follow_ours() -> None:
    settings = kopf.OperatorSettings()
    configure(settings, Settings())
    assert settings.admission.server is None and settings.admission.managed is None
    configure(settings, Settings(webhook=True, webhook_cert_dir="/certs"))
    server = settings.admission.server
    assert isinstance(server, WebhookServer)
    assert (server.addr, server.port) == ("0.0.0.0", WEBHOOK_PORT)
    assert (server.certfile, server.pkeyfile) == ("/certs/tls.crt", "/certs/tls.key")
    assert settings.admission.managed is None  # in a pod deploy/webhook ships the configuration
    configure(settings, Settings().with_local_webhook())
    local = settings.admission.server
    assert isinstance(local, WebhookServer) and local.port is None and local.certfile is None
    assert settings.admission.managed == LOCAL_WEBHOOK_CONFIGURATION


def test_validate_handlers_only_when_the_webhook_is_served() -> None:
    """kopf refuses to start with admission handlers and no server, so they come with the server."""
    assert list(build_registry()._webhooks.get_all_handlers()) == []
    handlers = list(build_registry(admission_webhook=True)._webhooks.get_all_handlers())
    assert sorted(h.id for h in handlers) == [
        "validate-ecsclusters",
        "validate-ecsservices",
        "validate-ecstasks",
        "validate-taskdefinitions",
    ]
    assert all(h.ignore_failures and h.persistent and not h.side_effects for h in handlers)


def test_generated_certificate_serves_tls_for_its_address(tmp_path) -> None:
    cert, key = WebhookServer.build_certificate(["127.0.0.1", "0.0.0.0", "webhook.example"])
    (tmp_path / "tls.crt").write_bytes(cert)
    (tmp_path / "tls.key").write_bytes(key)
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp_path / "tls.crt", tmp_path / "tls.key")
    client = ssl.create_default_context(cadata=cert.decode())
    assert client.cert_store_stats()["x509_ca"] == 1  # a CA the API server can trust as caBundle
    info = ssl._ssl._test_decode_cert(str(tmp_path / "tls.crt"))  # type: ignore[attr-defined]
    sans = {value for _, value in info["subjectAltName"]}
    assert {"127.0.0.1", "webhook.example"} <= sans and "0.0.0.0" not in sans
