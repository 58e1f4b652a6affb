"""A throw-away Dovecot on loopback for the IMAP tests, plus fixtures to import into a test module.

Its own config, base_dir, state_dir and log in a temp dir; passwd-file users (one fresh user per
test); free ports for imap (STARTTLS) and imaps with a CA and server certificate made on the
spot. Dovecot 2.3 and 2.4 spell settings differently: the version decides which config is
written. Needs ``dovecot`` (Debian: ``dovecot-imapd``); the fixtures skip without it.
"""

from __future__ import annotations

import datetime as dt
import grp
import itertools
import os
import pwd
import re
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import make_msgid
from pathlib import Path

import pytest
from imapclient import IMAPClient

HOST = "127.0.0.1"
_NOBODY = 65534


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (p for p in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.access(p, os.X_OK)), None
    )


def dovecot_version(binary: str) -> tuple[int, int]:
    """``(major, minor)`` from ``dovecot --version`` (e.g. ``2.3.19.1 (9b53102964)``)."""
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=True).stdout
    m = re.match(r"\s*(\d+)\.(\d+)", out)
    if not m:
        raise RuntimeError(f"cannot read the Dovecot version from {out!r}")
    return int(m.group(1)), int(m.group(2))


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def make_certs(directory: Path) -> tuple[Path, Path, Path]:
    """A CA and a server certificate for ``localhost``/``127.0.0.1``; returns (ca, cert, key)."""
    try:
        return _make_certs_cryptography(directory)
    except ImportError:
        return _make_certs_openssl(directory)


def _make_certs_cryptography(directory: Path) -> tuple[Path, Path, Path]:
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = dt.datetime.now(dt.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "extract-entities test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name).issuer_name(ca_name).public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                                     key_encipherment=False, data_encipherment=False, key_agreement=False,
                                     encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
        .issuer_name(ca_name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5)).not_valid_after(now + dt.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                    x509.IPAddress(ipaddress.ip_address(HOST))]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    ca_path, cert_path, key_path = directory / "ca.pem", directory / "server.pem", directory / "server.key"
    ca_path.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    return ca_path, cert_path, key_path


def _make_certs_openssl(directory: Path) -> tuple[Path, Path, Path]:
    ca_path, ca_key = directory / "ca.pem", directory / "ca.key"
    cert_path, key_path, csr = directory / "server.pem", directory / "server.key", directory / "server.csr"
    ext = directory / "server.ext"
    ext.write_text(f"basicConstraints=critical,CA:FALSE\nsubjectAltName=DNS:localhost,IP:{HOST}\n"
                   "extendedKeyUsage=serverAuth\nauthorityKeyIdentifier=keyid\n")

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=60)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
        "-subj", "/CN=extract-entities test CA", "-keyout", str(ca_key), "-out", str(ca_path),
        "-addext", "basicConstraints=critical,CA:TRUE,pathlen:0", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
        "-keyout", str(key_path), "-out", str(csr))
    run("x509", "-req", "-in", str(csr), "-CA", str(ca_path), "-CAkey", str(ca_key), "-CAcreateserial",
        "-days", "2", "-extfile", str(ext), "-out", str(cert_path))
    return ca_path, cert_path, key_path


def make_message(subject: str, message_id: str | None = "auto", body: str = "Hello from the test.\n") -> bytes:
    """A small RFC 822 message; ``message_id=None`` leaves the header out."""
    lines = ["From: Alice Example <alice@example.org>", "To: Bob <bob@example.org>", f"Subject: {subject}",
             "Date: Mon, 02 Jan 2023 10:00:00 +0000"]
    if message_id == "auto":
        message_id = make_msgid(domain="test.example")
    if message_id is not None:
        lines.append(f"Message-ID: {message_id}")
    lines += ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "", body]
    return "\r\n".join(lines).encode()


def _common(s: DovecotServer) -> str:
    """Settings spelled the same in Dovecot 2.3 and 2.4."""
    return f"""protocols = imap
listen = {HOST}
base_dir = {s.root}/run
state_dir = {s.root}/state
log_path = {s.log_path}
info_log_path = {s.log_path}
instance_name = extract-entities-test
default_internal_user = {s.internal_user}
default_login_user = {s.login_user}
{s.group_line}
first_valid_uid = 1
first_valid_gid = 1
ssl = yes
"""


def _config_23(s: DovecotServer) -> str:
    return f"""
{_common(s)}ssl_cert = <{s.cert}
ssl_key = <{s.key}
auth_mechanisms = plain login
disable_plaintext_auth = no
auth_failure_delay = 0
mail_location = maildir:~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb {{
  driver = passwd-file
  args = username_format=%u {s.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {s.passwd}
}}
{_services(s)}
"""


def _config_24(s: DovecotServer) -> str:
    return f"""dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
{_common(s)}ssl_server_cert_file = {s.cert}
ssl_server_key_file = {s.key}
auth_mechanisms = plain login
auth_allow_cleartext = yes
auth_failure_delay = 0
mail_driver = maildir
mail_path = ~/Maildir
mail_fsync = never
mailbox_idle_check_interval = 1 secs
namespace inbox {{
  inbox = yes
  separator = /
}}
passdb passwd-file {{
  passwd_file_path = {s.passwd}
}}
userdb passwd-file {{
  passwd_file_path = {s.passwd}
}}
{_services(s)}
"""


def _services(s: DovecotServer) -> str:
    return f"""service imap-login {{
  chroot =
  inet_listener imap {{
    address = {HOST}
    port = {s.imap_port}
  }}
  inet_listener imaps {{
    address = {HOST}
    port = {s.imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""


@dataclass(frozen=True)
class Account:
    """One mail user on the test server."""

    server: DovecotServer
    user: str
    password: str

    def url(self, *folders: str, scheme: str = "imaps") -> str:
        port = self.server.imaps_port if scheme == "imaps" else self.server.imap_port
        return f"{scheme}://{self.user}@{HOST}:{port}/{','.join(folders or ('INBOX',))}"

    @contextmanager
    def client(self) -> Iterator[IMAPClient]:
        ctx = ssl.create_default_context(cafile=str(self.server.ca))
        client = IMAPClient(HOST, port=self.server.imaps_port, ssl=True, ssl_context=ctx, timeout=10)
        try:
            client.login(self.user, self.password)
            yield client
        finally:
            try:
                client.logout()
            except Exception:  # noqa: BLE001 - best effort
                client.shutdown()

    def append(self, folder: str, *messages: bytes, create: bool = True) -> None:
        with self.client() as c:
            if create and folder.upper() != "INBOX" and not c.folder_exists(folder):
                c.create_folder(folder)
            for msg in messages:
                c.append(folder, msg)

    def flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            return {uid: tuple(d[b"FLAGS"]) for uid, d in c.fetch(c.search(["ALL"]), ["FLAGS"]).items()}

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.client() as c:
            return int(c.folder_status(folder, [b"UIDVALIDITY"])[b"UIDVALIDITY"])

    def recreate_folder(self, folder: str, *extra: bytes) -> None:
        """Delete and recreate ``folder`` with the same messages (plus ``extra``): new UIDVALIDITY."""
        with self.client() as c:
            c.select_folder(folder, readonly=True)
            bodies = [d[b"BODY[]"] for _, d in sorted(c.fetch(c.search(["ALL"]), ["BODY.PEEK[]"]).items())]
            c.unselect_folder()
            c.delete_folder(folder)
            c.create_folder(folder)
            for msg in [*bodies, *extra]:
                c.append(folder, msg)

    def deliver_offline(self, message: bytes) -> None:
        """Drop a message into the INBOX Maildir directly (works while the server is down)."""
        new = self.server.home(self.user) / "Maildir" / "new"
        new.mkdir(parents=True, exist_ok=True)
        path = new / f"{time.time_ns()}.offline.localhost"
        path.write_bytes(message)
        if os.geteuid() == 0:
            os.chown(path, self.server.mail_uid, self.server.mail_gid)


class DovecotServer:
    """A Dovecot master process run in the foreground, stoppable and restartable by PID."""

    POOL = 40
    POOL_PASSWORD = "s3cret-pw"

    def __init__(self, binary: str, root: Path) -> None:
        self.binary = binary
        self.root = root
        self.version = dovecot_version(binary)
        self.imap_port = free_port()
        self.imaps_port = free_port()
        self.log_path = root / "dovecot.log"
        self.passwd = root / "passwd"
        self.conf = root / "dovecot.conf"
        self.proc: subprocess.Popen[bytes] | None = None
        self._users = itertools.count(1)
        self.group_line = ""
        if os.geteuid() == 0:
            self.mail_uid = self.mail_gid = _NOBODY
            self.internal_user = "dovecot" if _user_exists("dovecot") else "nobody"
            self.login_user = "dovenull" if _user_exists("dovenull") else "nobody"
        else:
            self.mail_uid, self.mail_gid = os.getuid(), os.getgid()
            self.internal_user = self.login_user = pwd.getpwuid(os.getuid()).pw_name
            # Unprivileged: sockets cannot be chowned to the "dovecot" group.
            self.group_line = f"default_internal_group = {grp.getgrgid(os.getgid()).gr_name}"
        for sub in ("run", "state", "home"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        root.chmod(0o755)
        (root / "home").chmod(0o755)
        self.ca, self.cert, self.key = make_certs(root)
        self.passwd.write_text("")
        self.passwd.chmod(0o644)
        for n in range(1, self.POOL + 1):
            self._write_user(n, self.POOL_PASSWORD)
        self.conf.write_text(_config_24(self) if self.version >= (2, 4) else _config_23(self))

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def add_user(self, password: str = "s3cret-pw") -> Account:
        """A user with an empty mailbox; the first ``POOL`` exist before the server starts."""
        n = next(self._users)
        if n > self.POOL:
            self._write_user(n, password)
            time.sleep(1.1)  # Dovecot re-reads a changed passwd-file at most once a second
        return Account(self, f"user{n}", password if n > self.POOL else self.POOL_PASSWORD)

    def _write_user(self, n: int, password: str) -> None:
        user = f"user{n}"
        home = self.home(user)
        home.mkdir()
        if os.geteuid() == 0:
            os.chown(home, self.mail_uid, self.mail_gid)
        with open(self.passwd, "a") as fh:
            fh.write(f"{user}:{{PLAIN}}{password}:{self.mail_uid}:{self.mail_gid}::{home}::\n")

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def start(self, timeout: float = 10.0) -> None:
        """Start ``dovecot -F`` and wait until both ports accept connections."""
        assert not self.running
        with open(self.root / "stderr.log", "ab") as err:
            self.proc = subprocess.Popen([self.binary, "-F", "-c", str(self.conf)], stdout=err, stderr=err,
                                         start_new_session=True)
        deadline = time.monotonic() + timeout
        for port in (self.imap_port, self.imaps_port):
            while True:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"dovecot exited with {self.proc.returncode}:\n{self.log_tail()}")
                try:
                    socket.create_connection((HOST, port), timeout=0.5).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        self.kill()
                        raise RuntimeError(f"dovecot did not listen on {port}:\n{self.log_tail()}") from None
                    time.sleep(0.02)

    def stop(self) -> None:
        """Graceful shutdown (SIGTERM): clients get BYE, sessions end."""
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()

    def kill(self) -> None:
        """Crash: SIGKILL the master and every process it started."""
        if self.proc is None:
            return
        self._kill_group()

    def _kill_group(self) -> None:
        assert self.proc is not None
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # our own session: dovecot and its children
        except ProcessLookupError:
            pass
        self.proc.wait(10)
        self._wait_closed()

    def _wait_closed(self, timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                socket.create_connection((HOST, self.imaps_port), timeout=0.2).close()
            except OSError:
                return
            time.sleep(0.02)

    def restart(self) -> None:
        self.stop()
        self.start()

    def log_tail(self, n: int = 30) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += "\n".join(path.read_text(errors="replace").splitlines()[-n:]) + "\n"
        return text


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


# -- fixtures (import them into a test module) ------------------------------------------------


@pytest.fixture(scope="session")
def dovecot_server() -> Iterator[DovecotServer]:
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (Debian/Ubuntu: apt-get install dovecot-imapd); "
                    "scripts/install_test_deps.sh installs it")
    root = Path(tempfile.mkdtemp(prefix="extract-entities-dovecot-"))
    server = DovecotServer(binary, root)
    try:
        server.start()
    except Exception:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield server
    finally:
        server.kill()  # throw-away: no need to wait for a graceful shutdown
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap_account(dovecot_server: DovecotServer) -> Account:
    """A fresh user (empty mailbox) on a running server; restarts the server if a test left it down."""
    if not dovecot_server.running:
        dovecot_server.start()
    return dovecot_server.add_user()
