"""``open_source``: which source each kind of input gets, what ``check()`` refuses, what ``count()`` says."""

from __future__ import annotations

import mailbox
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from extractor.errors import InputError
from extractor.records import RawMessage
from extractor.sources import open_source
from extractor.sources.files import FileSource
from extractor.sources.imap.options import ImapOptions
from extractor.sources.imap.source import ImapUrlSource

ENVELOPE = b"From a@b.it Mon Jan  1 00:00:00 2024\n"


def mbox(tmp: Path, n: int = 3) -> str:
    path = tmp / "box.mbox"
    path.write_bytes(b"".join(ENVELOPE + b"Subject: m%d\n\nbody\n\n" % i for i in range(n)))
    return str(path)


def maildir(tmp: Path) -> str:
    md = mailbox.Maildir(str(tmp / "md"), create=True)
    md.add(b"Subject: uno\n\nx")
    md.add(b"Subject: due\n\ny")
    md.add_folder("Archive").add(b"Subject: tre\n\nz")
    return str(tmp / "md")


def eml(tmp: Path) -> str:
    path = tmp / "one.eml"
    path.write_bytes(b"Subject: one\n\nbody")
    return str(path)


def directory(tmp: Path) -> str:
    (tmp / "dir" / "sub").mkdir(parents=True)
    (tmp / "dir" / "a.eml").write_bytes(b"Subject: a\n\nx")
    (tmp / "dir" / "sub" / "b.eml").write_bytes(b"Subject: b\n\ny")
    mbox(tmp / "dir" / "sub", 2)
    return str(tmp / "dir")


@dataclass(frozen=True)
class FileCase:
    name: str
    make: Callable[[Path], str]
    count: int


FILE_CASES = [
    FileCase("mbox-file", mbox, 3),
    FileCase("maildir-folder", maildir, 3),
    FileCase("eml-file", eml, 1),
    FileCase("directory-of-files", directory, 4),
]


@pytest.mark.parametrize("case", FILE_CASES, ids=[c.name for c in FILE_CASES])
def test_paths_open_a_file_source(case: FileCase, tmp_path: Path) -> None:
    spec = case.make(tmp_path)
    source = open_source(spec, ImapOptions())  # IMAP options do not matter to a path
    assert isinstance(source, FileSource)
    assert (source.spec, source.live) == (spec, False)
    source.check()
    assert source.count() == case.count
    items = list(source.iter_messages(None, threading.Event()))
    assert len(items) == case.count and all(isinstance(i, RawMessage) for i in items)


def test_home_is_expanded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    mbox(tmp_path)
    source = open_source("~/box.mbox")
    source.check()
    assert source.spec == "~/box.mbox" and source.count() == 3


@pytest.mark.parametrize(
    ("spec", "scheme"),
    [
        pytest.param("imap://alice@mail.example.org/INBOX", "imap", id="imap-url"),
        pytest.param("imaps://alice@mail.example.org/INBOX,Archive", "imaps", id="imaps-url"),
    ],
)
def test_urls_open_an_imap_source_without_connecting(spec: str, scheme: str) -> None:
    options = ImapOptions(watch=True)
    source = open_source(spec, options)
    assert isinstance(source, ImapUrlSource)
    assert (source.spec, source.live, source.options) == (spec, True, options)
    source.check()  # nothing to check up front: no connection, no password
    assert source.count() is None


def test_a_bad_url_is_refused_only_when_read() -> None:
    source = open_source("imaps://alice:secret@host/INBOX")
    source.check()
    with pytest.raises(InputError, match="do not put the password in the URL"):
        next(source.iter_messages(None))


def test_upper_case_scheme_is_a_path(tmp_path: Path) -> None:
    assert isinstance(open_source("IMAPS://alice@host/INBOX"), FileSource)


def missing(tmp: Path) -> str:
    return str(tmp / "nope.mbox")


def empty_mbox(tmp: Path) -> str:
    (tmp / "empty.mbox").write_bytes(b"")
    return str(tmp / "empty.mbox")


def only_hidden_files(tmp: Path) -> str:
    (tmp / ".hidden").write_bytes(b"Subject: h\n\nx")
    return str(tmp)


NO_MESSAGES = "{spec}: no messages found (empty mailbox or folder)"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(missing, "{spec}: no such file or directory", id="missing-path"),
        pytest.param(empty_mbox, NO_MESSAGES, id="empty-mbox"),
        pytest.param(only_hidden_files, NO_MESSAGES, id="folder-without-messages"),
    ],
)
def test_check_refuses_with_todays_message(make: Callable[[Path], str], message: str, tmp_path: Path) -> None:
    spec = make(tmp_path)
    with pytest.raises(InputError) as info:
        open_source(spec).check()
    assert str(info.value) == message.format(spec=spec)


def test_count_and_iteration_end_once_stop_is_set(tmp_path: Path) -> None:
    source = open_source(mbox(tmp_path, 5))
    stop = threading.Event()
    stop.set()
    assert source.count(stop) is None
    assert list(source.iter_messages(None, stop)) == []
    stop.clear()
    seen = []
    for item in source.iter_messages(None, stop):
        seen.append(item)
        if len(seen) == 2:
            stop.set()
    assert len(seen) == 2
