"""kopf's WebhookServer, with its self-signed certificate made by ``cryptography``.

kopf generates the self-signed certificate (a CA certificate whose SANs are the listening
address and host) with ``certbuilder`` and ``oscrypto``; oscrypto 1.3.0, the last release,
cannot parse OpenSSL 3.0.10+ version strings ("Error detecting the version of libcrypto") and
fails on current distributions. This subclass only replaces kopf's ``build_certificate`` hook
with the same certificate built by the well-kept ``cryptography`` package; serving, the
client configuration and the certificate renewal stay kopf's.
"""

from __future__ import annotations

import datetime
import ipaddress
from collections.abc import Collection

import kopf
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = ["WebhookServer"]

VALIDITY_DAYS = 365


class WebhookServer(kopf.WebhookServer):
    """``kopf.WebhookServer`` whose generated certificate does not need certbuilder/oscrypto."""

    @staticmethod
    def build_certificate(hostnames: Collection[str], password: str | None = None) -> tuple[bytes, bytes]:
        """A self-signed CA certificate for ``hostnames`` (IPs as IP SANs) and its PEM private key."""
        ips: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
        names: list[str] = []
        for hostname in hostnames:
            try:
                ip = ipaddress.ip_address(hostname)
            except ValueError:
                names.append(hostname)
                continue
            if not ip.is_unspecified:
                ips.append(ip)
        common_name = names[0] if names else str(ips[0])
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
        now = datetime.datetime.now(datetime.UTC)
        sans: list[x509.GeneralName] = [x509.DNSName(n) for n in dict.fromkeys(names)]
        sans += [x509.IPAddress(ip) for ip in dict.fromkeys(ips)]
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(days=VALIDITY_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(sans), critical=False)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        encryption: serialization.KeySerializationEncryption = (
            serialization.BestAvailableEncryption(password.encode()) if password else serialization.NoEncryption()
        )
        key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption)
        return certificate.public_bytes(serialization.Encoding.PEM), key_pem
