"""A throw-away PKI and static tokens for a test kube-apiserver, made with the openssl CLI.

The openssl CLI (1.1.1 or newer) is on every machine we target, so this needs no Python
crypto dependency. Keys are ECDSA P-256: generating them takes milliseconds where RSA-2048
takes a noticeable share of a start-up, and kube-apiserver accepts them for serving,
client certificates and service-account token signing alike.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

ADMIN_USER = "kubetyped-admin"
UNPRIVILEGED_USER = "kubetyped-unprivileged"
_DAYS = "7"


class PkiError(RuntimeError):
    """Raised when the openssl CLI is missing or fails."""


@dataclass(frozen=True)
class Pki:
    """Paths of the generated files, and the two static bearer tokens."""

    ca_cert: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path
    sa_key: Path
    sa_pub: Path
    token_file: Path
    admin_token: str
    unprivileged_token: str


def _openssl(*args: str, cwd: Path) -> None:
    exe = shutil.which("openssl")
    if exe is None:
        raise PkiError("the openssl command is needed to make test certificates; install openssl")
    proc = subprocess.run(
        [exe, *args], check=False, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, text=True
    )
    if proc.returncode != 0:
        raise PkiError(f"openssl {' '.join(args)} failed:\n{proc.stderr.strip()}")


def _signed(d: Path, name: str, subject: str, extensions: str) -> tuple[Path, Path]:
    """Make a key and a certificate for it signed by ``ca.crt``."""
    ext = d / f"{name}.ext"
    ext.write_text(extensions)
    _openssl(
        "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-subj", subject, "-keyout", f"{name}.key", "-out", f"{name}.csr", cwd=d,
    )  # fmt: skip
    _openssl(
        "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
        "-set_serial", f"0x{secrets.token_hex(16)}", "-days", _DAYS, "-sha256",
        "-extfile", ext.name, "-out", f"{name}.crt", cwd=d,
    )  # fmt: skip
    return d / f"{name}.crt", d / f"{name}.key"


def generate_pki(d: Path) -> Pki:
    """Write a CA, a serving cert (127.0.0.1, localhost), an admin client cert, SA keys, tokens."""
    d.mkdir(mode=0o700, parents=True, exist_ok=True)
    _openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-days", _DAYS, "-sha256", "-subj", "/CN=kubetyped-test-ca",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign",
        "-keyout", "ca.key", "-out", "ca.crt", cwd=d,
    )  # fmt: skip
    serving_cert, serving_key = _signed(
        d,
        "apiserver",
        "/CN=kube-apiserver",
        # The in-cluster names and the first service IP too, so a pod-style client would pass.
        "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,"
        "DNS:kubernetes.default.svc,IP:10.0.0.1\n"
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=serverAuth\n",
    )
    # O=system:masters is the group RBAC lets do anything, without any binding.
    admin_cert, admin_key = _signed(
        d,
        "admin",
        f"/O=system:masters/CN={ADMIN_USER}",
        "basicConstraints=critical,CA:FALSE\n"
        "keyUsage=critical,digitalSignature\n"
        "extendedKeyUsage=clientAuth\n",
    )
    _openssl(
        "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "sa.key",
        cwd=d,
    )  # fmt: skip
    _openssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub", cwd=d)

    admin_token, unprivileged_token = secrets.token_hex(24), secrets.token_hex(24)
    token_file = d / "tokens.csv"
    # token,user,uid,"group,..."; the unprivileged user's group has no RBAC bindings.
    token_file.write_text(
        f'{admin_token},{ADMIN_USER},uid-admin,"system:masters"\n'
        f'{unprivileged_token},{UNPRIVILEGED_USER},uid-unprivileged,"kubetyped:unprivileged"\n'
    )
    return Pki(
        ca_cert=d / "ca.crt",
        serving_cert=serving_cert,
        serving_key=serving_key,
        admin_cert=admin_cert,
        admin_key=admin_key,
        sa_key=d / "sa.key",
        sa_pub=d / "sa.pub",
        token_file=token_file,
        admin_token=admin_token,
        unprivileged_token=unprivileged_token,
    )
