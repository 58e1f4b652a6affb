"""The IMAP source against a real Dovecot on loopback (see ``imap_server.py``)."""

from __future__ import annotations

import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from imap_server import Account, DovecotServer, dovecot_binary, dovecot_server, imap_account, make_message

from extractor.records import ErrorRecord, Flush, RawMessage
from extractor.sources import open_source
from extractor.sources.imap import PASSWORD_ENV, ImapError
from extractor.sources.imap.options import ImapOptions
from extractor.sources.imap.source import ImapSource, message_id_of
from extractor.sources.imap.url import parse_imap_url
from extractor.state import StateStore

__all__ = ["dovecot_server", "imap_account"]  # fixtures imported from imap_server

pytestmark = pytest.mark.imap

SEEN = b"\\Seen"


@pytest.fixture
def state(tmp_path: Path) -> Iterator[StateStore]:
    with StateStore(tmp_path / "state.sqlite") as store:
        yield store


def source(account: Account, *folders: str, scheme: str = "imaps", **opts: object) -> ImapSource:
    opts.setdefault("ca_file", str(account.server.ca))
    opts.setdefault("max_backoff", 0.5)
    opts.setdefault("timeout", 10.0)
    return ImapSource(parse_imap_url(account.url(*folders, scheme=scheme)), ImapOptions(**opts),  # type: ignore[arg-type]
                      password=account.password)


def mark(state: StateStore, items: list[RawMessage | ErrorRecord]) -> None:
    """What the pipeline does after writing: done rows carry the Message-ID."""
    state.mark_done([(i.source, i.key, "ok", message_id_of(i.data) if isinstance(i, RawMessage) else None)
                     for i in items])


def one_pass(src: ImapSource, state: StateStore, *, done: bool = True) -> tuple[list[RawMessage | ErrorRecord], int]:
    """Consume one pass like the pipeline: mark the pending batch done at each Flush."""
    got: list[RawMessage | ErrorRecord] = []
    pending: list[RawMessage | ErrorRecord] = []
    flushes = 0
    for item in src.iter_messages(state, threading.Event()):
        if isinstance(item, Flush):
            flushes += 1
            if done:
                mark(state, pending)
            pending = []
            continue
        got.append(item)
        pending.append(item)
    if done:
        mark(state, pending)
    return got, flushes


def subjects(items: list[RawMessage | ErrorRecord]) -> list[str]:
    out = []
    for item in items:
        assert isinstance(item, RawMessage)
        line = next(ln for ln in item.data.split(b"\r\n") if ln.startswith(b"Subject: "))
        out.append(line[9:].decode())
    return out


class Watcher(threading.Thread):
    """A consumer thread on a watching source; marks done at each Flush."""

    def __init__(self, src: ImapSource, state: StateStore) -> None:
        super().__init__(daemon=True)
        self.src, self.state, self.stop = src, state, threading.Event()
        self.items: list[RawMessage | ErrorRecord] = []
        self.flushes = 0
        self.error: BaseException | None = None
        self._cond = threading.Condition()

    def run(self) -> None:
        pending: list[RawMessage | ErrorRecord] = []
        try:
            for item in self.src.iter_messages(self.state, self.stop):
                if isinstance(item, Flush):
                    mark(self.state, pending)
                    pending = []
                    with self._cond:
                        self.flushes += 1
                        self._cond.notify_all()
                    continue
                pending.append(item)
                with self._cond:
                    self.items.append(item)
                    self._cond.notify_all()
            mark(self.state, pending)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            self.error = exc
        finally:
            with self._cond:
                self._cond.notify_all()

    def wait_for(self, n_items: int = 0, n_flushes: int = 0, timeout: float = 5.0) -> bool:
        with self._cond:
            return self._cond.wait_for(
                lambda: self.error is not None or (len(self.items) >= n_items and self.flushes >= n_flushes), timeout)

    def finish(self, timeout: float = 3.0) -> None:
        self.stop.set()
        self.join(timeout)
        assert not self.is_alive(), "the watching source did not stop"
        assert self.error is None, self.error


# -- one pass and incremental -----------------------------------------------------------------


def test_first_pass_reads_all_with_peek(imap_account: Account, state: StateStore) -> None:
    msgs = [make_message(f"m{i}") for i in range(3)]
    imap_account.append("INBOX", *msgs)
    src = source(imap_account)
    got, flushes = one_pass(src, state)
    assert subjects(got) == ["m0", "m1", "m2"]
    assert flushes == 1
    uv = imap_account.uidvalidity()
    url = imap_account.url("INBOX")
    for uid, item in enumerate(got, start=1):
        assert isinstance(item, RawMessage)
        assert (item.source, item.key, item.folder, item.uid) == (url, f"INBOX:{uv}:{uid}", "INBOX", uid)
        assert item.data.rstrip(b"\r\n") == msgs[uid - 1].rstrip(b"\r\n")
    assert all(SEEN not in flags for flags in imap_account.flags().values())  # BODY.PEEK
    assert state.get_meta(f"imap:{url}:INBOX:uidvalidity") == str(uv)
    assert state.get_meta(f"imap:{url}:INBOX:last_uid") == "3"


def test_incremental_pass_reads_only_new(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", make_message("old1"), make_message("old2"))
    src = source(imap_account)
    assert subjects(one_pass(src, state)[0]) == ["old1", "old2"]
    assert one_pass(src, state)[0] == []
    imap_account.append("INBOX", make_message("new1"), make_message("new2"))
    assert subjects(one_pass(source(imap_account), state)[0]) == ["new1", "new2"]


def test_unfinished_message_is_not_skipped(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", *(make_message(f"m{i}") for i in range(1, 5)))
    src = source(imap_account)
    got, _ = one_pass(src, state, done=False)
    mark(state, [got[0], got[2], got[3]])  # m2 never finished (crash before its write)
    got2, _ = one_pass(source(imap_account), state)
    assert subjects(got2) == ["m2"]
    url = src.url
    assert state.get_meta(f"imap:{url}:INBOX:last_uid") == "4"


def test_several_folders_and_mark_seen(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", make_message("in1"))
    imap_account.append("Archive", make_message("ar1"), make_message("ar2"))
    src = source(imap_account, "INBOX", "Archive", mark_seen=True)
    got, _ = one_pass(src, state)
    assert subjects(got) == ["in1", "ar1", "ar2"]
    assert {i.source for i in got} == {imap_account.url("INBOX"), imap_account.url("Archive")}
    assert all(SEEN in f for f in imap_account.flags("INBOX").values())
    assert all(SEEN in f for f in imap_account.flags("Archive").values())


def test_oversized_message_becomes_error_record(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", make_message("small"), make_message("big", body="x" * 5000))
    got, _ = one_pass(source(imap_account, max_bytes=2000), state)
    assert isinstance(got[0], RawMessage)
    assert isinstance(got[1], ErrorRecord) and got[1].uid == 2 and "larger than" in got[1].reason


def test_stop_during_a_batch_persists_state(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", *(make_message(f"m{i}") for i in range(1, 6)))
    src = source(imap_account, batch_size=2)
    stop = threading.Event()
    got = []
    for item in src.iter_messages(state, stop):
        got.append(item)
        if isinstance(item, RawMessage):
            mark(state, [item])
            if item.uid == 3:
                stop.set()
    assert [type(i) for i in got] == [RawMessage, RawMessage, RawMessage, Flush]
    assert state.get_meta(f"imap:{src.url}:INBOX:last_uid") == "3"
    assert subjects(one_pass(source(imap_account), state)[0]) == ["m4", "m5"]


# -- UIDVALIDITY ----------------------------------------------------------------------------


def test_uidvalidity_change_skips_done_message_ids(imap_account: Account, state: StateStore) -> None:
    imap_account.append("Archive", make_message("a"), make_message("b"), make_message("no-id", message_id=None))
    src = source(imap_account, "Archive")
    assert len(one_pass(src, state)[0]) == 3
    old_uv = imap_account.uidvalidity("Archive")
    imap_account.recreate_folder("Archive", make_message("new"))
    assert imap_account.uidvalidity("Archive") != old_uv
    got, _ = one_pass(source(imap_account, "Archive"), state)
    # Done Message-IDs are not redone; a message without one cannot be matched and comes again.
    assert sorted(subjects(got)) == ["new", "no-id"]
    assert one_pass(source(imap_account, "Archive"), state)[0] == []
    assert state.get_meta(f"imap:{src.url}:Archive:last_uid") == "4"


# -- watching -------------------------------------------------------------------------------


def test_idle_wakes_up_on_new_mail(imap_account: Account, state: StateStore) -> None:
    imap_account.append("INBOX", make_message("before"))
    w = Watcher(source(imap_account, watch=True, idle=True, interval=30), state)
    w.start()
    try:
        assert w.wait_for(1, 1), w.error
        t0 = time.monotonic()
        imap_account.append("INBOX", make_message("during"))
        assert w.wait_for(2, 2, timeout=5), w.error
        assert time.monotonic() - t0 < 3, "IDLE did not wake up promptly"
        t1 = time.monotonic()
    finally:
        w.finish()
    assert time.monotonic() - t1 < 2.5
    assert subjects(w.items) == ["before", "during"]
    assert state.get_meta(f"imap:{w.src.url}:INBOX:last_uid") == "2"


def test_polling_without_idle(imap_account: Account, state: StateStore) -> None:
    w = Watcher(source(imap_account, watch=True, idle=False, interval=0.3), state)
    w.start()
    try:
        assert w.wait_for(0, 1), w.error
        imap_account.append("INBOX", make_message("polled"))
        assert w.wait_for(1, timeout=5), w.error
    finally:
        w.finish()
    assert subjects(w.items) == ["polled"]


def test_server_crash_and_restart_mid_watch(imap_account: Account, state: StateStore) -> None:
    server = imap_account.server
    imap_account.append("INBOX", make_message("m1"), make_message("m2"))
    w = Watcher(source(imap_account, watch=True, idle=True, interval=30, max_backoff=0.5), state)
    w.start()
    try:
        assert w.wait_for(2, 1), w.error
        server.kill()  # SIGKILL: the IDLE connection just drops
        imap_account.deliver_offline(make_message("m3"))  # arrives while the server is down
        time.sleep(0.5)
        server.start()
        assert w.wait_for(3, timeout=8), w.error
        imap_account.append("INBOX", make_message("m4"))
        assert w.wait_for(4, timeout=5), w.error
        server.restart()  # graceful: BYE to the idling client
        imap_account.append("INBOX", make_message("m5"))
        assert w.wait_for(5, timeout=8), w.error
        time.sleep(0.3)
    finally:
        if not server.running:
            server.start()
        w.finish()
    assert subjects(w.items) == ["m1", "m2", "m3", "m4", "m5"]
    assert len({i.key for i in w.items}) == 5
    assert one_pass(source(imap_account), state)[0] == []


# -- errors and TLS -------------------------------------------------------------------------


@pytest.fixture
def lonely_server() -> Iterator[DovecotServer]:
    """A server of its own: failed logins make Dovecot slow down later logins from the same IP."""
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (Debian/Ubuntu: apt-get install dovecot-imapd)")
    root = Path(tempfile.mkdtemp(prefix="extract-entities-dovecot-"))
    server = DovecotServer(binary, root)
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(root, ignore_errors=True)


def test_wrong_password_fails_fast_and_clearly(lonely_server: DovecotServer, state: StateStore) -> None:
    account = lonely_server.add_user()
    src = ImapSource(parse_imap_url(account.url()), ImapOptions(ca_file=str(lonely_server.ca), watch=True),
                     password="not-the-password")
    t0 = time.monotonic()
    with pytest.raises(ImapError, match="login failed") as info:
        list(src.iter_messages(state, threading.Event()))
    assert time.monotonic() - t0 < 3
    assert "not-the-password" not in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_folder_is_a_clear_error(imap_account: Account, state: StateStore) -> None:
    with pytest.raises(ImapError, match="no folder 'Nope'.*INBOX"):
        one_pass(source(imap_account, "Nope"), state)


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_untrusted_certificate_is_refused(imap_account: Account, state: StateStore, scheme: str) -> None:
    imap_account.append("INBOX", make_message("tls"))
    t0 = time.monotonic()
    with pytest.raises(ImapError, match="not trusted.*--ca-file"):
        one_pass(source(imap_account, scheme=scheme, ca_file=None), state)
    assert time.monotonic() - t0 < 3  # no retry loop
    assert subjects(one_pass(source(imap_account, scheme=scheme), state)[0]) == ["tls"]  # with the CA


@pytest.mark.parametrize("scheme", ["imaps", "imap"])
def test_insecure_accepts_untrusted_certificate(imap_account: Account, state: StateStore, scheme: str) -> None:
    imap_account.append("INBOX", make_message("tls"))
    got, _ = one_pass(source(imap_account, scheme=scheme, ca_file=None, insecure=True), state)
    assert subjects(got) == ["tls"]


def test_open_source_on_a_url_with_env_password(imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    imap_account.append("INBOX", make_message("via-sources"))
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    monkeypatch.setenv("SSL_CERT_FILE", str(imap_account.server.ca))  # default verified context
    *items, last = open_source(imap_account.url()).iter_messages(None, threading.Event())
    assert subjects(items) == ["via-sources"]  # type: ignore[arg-type]
    assert isinstance(last, Flush)
    with_options = list(open_source(imap_account.url(), ImapOptions(ca_file=str(imap_account.server.ca)))
                        .iter_messages(None))
    assert subjects(with_options[:-1]) == ["via-sources"]  # type: ignore[arg-type]
    assert isinstance(with_options[-1], Flush)


def test_message_id_is_normalized_like_the_pipeline(imap_account: Account, state: StateStore) -> None:
    """``message_id_of`` must give what the pipeline stores (the mail parser's header value, whitespace folded)."""
    imap_account.append("INBOX", make_message("mid", message_id="\r\n <abc.123@test.example>"))
    (item,), _ = one_pass(source(imap_account), state)
    assert isinstance(item, RawMessage)
    assert message_id_of(item.data) == "<abc.123@test.example>"
    assert state.seen_message_id("<abc.123@test.example>")
    assert message_id_of(b"Subject: none\r\n\r\nbody") is None
