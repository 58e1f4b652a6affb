"""IMAP URLs, passwords, options and backoff: no server needed."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest

from extractor.errors import ConfigError, ExtractError, InputError
from extractor.sources.imap import PASSWORD_ENV, ImapError, auth
from extractor.sources.imap.auth import resolve_password
from extractor.sources.imap.options import ImapOptions, backoff_delay
from extractor.sources.imap.source import ImapSource
from extractor.sources.imap.url import ImapTarget, display_url, parse_imap_url


@pytest.mark.parametrize(
    ("spec", "expected"),
    [
        pytest.param("imaps://alice@mail.example.org/INBOX",
                     ImapTarget("imaps", "alice", "mail.example.org", 993, ("INBOX",), starttls=False), id="imaps"),
        pytest.param("imap://alice@mail.example.org",
                     ImapTarget("imap", "alice", "mail.example.org", 143, ("INBOX",), starttls=True),
                     id="imap-default-folder-starttls"),
        pytest.param("imaps://alice@mail.example.org/", ImapTarget("imaps", "alice", "mail.example.org", 993,
                                                                    ("INBOX",), starttls=False), id="empty-path"),
        pytest.param("imaps://alice@Mail.Example.ORG:1993/INBOX,Archive",
                     ImapTarget("imaps", "alice", "mail.example.org", 1993, ("INBOX", "Archive"), starttls=False),
                     id="port-and-two-folders"),
        pytest.param("imaps://alice@host/Sent%20Items,A%2CB,Archive/2023",
                     ImapTarget("imaps", "alice", "host", 993, ("Sent Items", "A,B", "Archive/2023"), starttls=False),
                     id="percent-encoded-folders"),
        pytest.param("imaps://alice@example.org@host/INBOX",
                     ImapTarget("imaps", "alice@example.org", "host", 993, ("INBOX",), starttls=False),
                     id="user-with-at"),
        pytest.param("imaps://alice%40example.org@host/INBOX",
                     ImapTarget("imaps", "alice@example.org", "host", 993, ("INBOX",), starttls=False),
                     id="user-with-encoded-at"),
        pytest.param("IMAPS://bob@[::1]:1993/INBOX",
                     ImapTarget("imaps", "bob", "::1", 1993, ("INBOX",), starttls=False), id="ipv6-upper-scheme"),
        pytest.param("imap://bob@host/INBOX,,Archive,",
                     ImapTarget("imap", "bob", "host", 143, ("INBOX", "Archive")), id="empty-list-items"),
    ],
)
def test_parse_imap_url(spec: str, expected: ImapTarget) -> None:
    assert parse_imap_url(spec) == expected


@pytest.mark.parametrize(
    ("spec", "match"),
    [
        pytest.param("imaps://alice:hunter2@host/INBOX", PASSWORD_ENV, id="password-in-url"),
        pytest.param("imaps://alice:@host/INBOX", PASSWORD_ENV, id="empty-password-in-url"),
        pytest.param("pop3://alice@host/INBOX", "not an IMAP URL", id="wrong-scheme"),
        pytest.param("imaps://host/INBOX", "needs a user", id="no-user"),
        pytest.param("imaps://alice@/INBOX", "no host", id="no-host"),
        pytest.param("imaps://alice@host:99999/INBOX", "bad port", id="port-out-of-range"),
        pytest.param("imaps://alice@host:abc/INBOX", "bad port", id="port-not-a-number"),
        pytest.param("imaps://alice@host/INBOX?x=1", "unexpected", id="query"),
        pytest.param("imaps://alice@host/IN#BOX", "unexpected", id="fragment"),
        pytest.param("imaps://alice@host/INBOX,INBOX", "twice", id="duplicate-folder"),
    ],
)
def test_parse_imap_url_rejects(spec: str, match: str) -> None:
    with pytest.raises(ImapError, match=match) as info:
        parse_imap_url(spec)
    assert "hunter2" not in str(info.value)


def test_imap_error_is_an_input_error() -> None:
    assert issubclass(ImapError, InputError) and issubclass(ImapError, ExtractError)


def test_target_is_frozen_and_hashable() -> None:
    target = parse_imap_url("imaps://alice@host/INBOX")
    with pytest.raises(dataclasses.FrozenInstanceError):
        target.host = "other"  # type: ignore[misc]
    assert {target: 1}[parse_imap_url("imaps://alice@host:993/INBOX")] == 1


@pytest.mark.parametrize(
    ("spec", "url"),
    [
        ("imaps://alice@host:993/INBOX", "imaps://alice@host/INBOX"),
        ("imap://alice@host:143", "imap://alice@host/INBOX"),
        ("imaps://alice@host:1993/INBOX,Archive", "imaps://alice@host:1993/INBOX,Archive"),
        ("imaps://alice%40example.org@host/Sent%20Items,A%2CB", "imaps://alice@example.org@host/Sent%20Items,A%2CB"),
        ("imaps://bob@[::1]:1993/INBOX", "imaps://bob@[::1]:1993/INBOX"),
    ],
)
def test_display_url_round_trips(spec: str, url: str) -> None:
    target = parse_imap_url(spec)
    assert display_url(target) == url
    assert parse_imap_url(url) == target


def test_display_url_per_folder_is_the_message_source() -> None:
    both = parse_imap_url("imaps://alice@host/INBOX,Archive")
    alone = parse_imap_url("imaps://alice@host/Archive")
    assert display_url(both, "Archive") == display_url(alone) == "imaps://alice@host/Archive"


# -- passwords ------------------------------------------------------------------------------


@pytest.fixture
def no_password_sources(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    monkeypatch.delenv(PASSWORD_ENV, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("NETRC", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # not a TTY
    return tmp_path


def test_password_from_env(no_password_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "from-env")
    netrc = no_password_sources / "netrc"
    netrc.write_text("machine host login alice password from-netrc\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert resolve_password(parse_imap_url("imaps://alice@host/")) == "from-env"


def test_password_from_netrc_env(no_password_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    netrc = no_password_sources / "netrc"
    netrc.write_text("machine host login alice password from-netrc\nmachine other login bob password b\n")
    monkeypatch.setenv("NETRC", str(netrc))
    assert resolve_password(parse_imap_url("imaps://alice@host/")) == "from-netrc"
    with pytest.raises(ImapError, match=PASSWORD_ENV):  # login of the entry is someone else
        resolve_password(parse_imap_url("imaps://carol@host/"))


def test_password_from_home_netrc(no_password_sources: Path) -> None:
    netrc = no_password_sources / ".netrc"
    netrc.write_text("machine host login alice password home-netrc\n")
    netrc.chmod(0o600)
    assert resolve_password(parse_imap_url("imaps://alice@host/")) == "home-netrc"


def test_password_prompt_only_on_a_tty(no_password_sources: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = parse_imap_url("imaps://alice@host/")
    asked: list[str] = []

    def fake_getpass(prompt: str) -> str:
        asked.append(prompt)
        return "typed"

    monkeypatch.setattr(auth.getpass, "getpass", fake_getpass)
    with pytest.raises(ImapError, match=f"no password.*{PASSWORD_ENV}.*netrc"):
        resolve_password(target)
    assert asked == []

    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", Tty(""))
    assert resolve_password(target) == "typed"
    assert asked == ["IMAP password for alice@host: "]


def test_source_repr_hides_password() -> None:
    src = ImapSource(parse_imap_url("imaps://alice@host/INBOX"), password="hunter2")
    assert "hunter2" not in repr(src) and "hunter2" not in repr(src.__dict__.get("target"))
    assert src.url == "imaps://alice@host/INBOX"


# -- options and backoff --------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [{"batch_size": 0}, {"interval": 0}, {"timeout": -1}, {"max_backoff": 0}, {"retries": -1},
     {"ca_file": "/nonexistent/ca.pem"}],
)
def test_bad_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        ImapOptions(**kwargs)  # type: ignore[arg-type]


def test_options_defaults_are_safe() -> None:
    opts = ImapOptions()
    assert (opts.insecure, opts.ca_file, opts.watch, opts.mark_seen, opts.idle) == (False, None, False, False, True)


def test_backoff_doubles_from_half_a_second_and_is_capped() -> None:
    assert [backoff_delay(n, 60, rand=1.0) for n in range(1, 6)] == [0.5, 1.0, 2.0, 4.0, 8.0]
    assert backoff_delay(30, 5, rand=1.0) == 5
    assert backoff_delay(1000, 5, rand=0.0) == 2.5  # jitter keeps at least half
    assert all(0.25 <= backoff_delay(1, 60) <= 0.5 for _ in range(100))
