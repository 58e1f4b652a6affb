"""Sources: streamed mbox (offsets, >From unquoting, size cap), Maildir with subfolders, .eml dirs."""

from __future__ import annotations

import mailbox
import time
from pathlib import Path

import pytest

from extractor.errors import InputError
from extractor.records import ErrorRecord, RawMessage
from extractor.sources import files
from extractor.sources.files import iter_mbox, iter_path

MSG = b"From: a@b.it\nSubject: s%d\n\nbody %d\n>From here quoted\n"


def write_mbox(path: Path, n: int, crlf: bool = False) -> bytes:
    data = b"".join(b"From a@b.it Mon Jan  1 00:00:00 2024\n" + (MSG % (i, i)) + b"\n" for i in range(n))
    if crlf:
        data = data.replace(b"\n", b"\r\n")
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("crlf", [False, True], ids=["lf", "crlf"])
def test_mbox_offsets_and_unquoting(tmp_path, crlf):
    path = tmp_path / "box.mbox"
    data = write_mbox(path, 3, crlf)
    items = list(iter_mbox(path))
    assert [type(i) for i in items] == [RawMessage] * 3
    for i, item in enumerate(items):
        offset = int(item.key.split(":")[1])
        assert data[offset:].startswith(b"From a@b.it")
        assert b"Subject: s%d" % i in item.data
        assert b"\nFrom here quoted" in item.data.replace(b"\r\n", b"\n")


def test_mbox_agrees_with_stdlib(tmp_path):
    path = tmp_path / "box.mbox"
    write_mbox(path, 5)
    ours = [i.data for i in iter_mbox(path)]
    theirs = [m.as_bytes().split(b"\n", 1)[1] if m.as_bytes().startswith(b"From ") else m.as_bytes()
              for m in mailbox.mbox(str(path))]
    assert len(ours) == len(theirs) == 5
    assert [o.split(b"\n\n")[0] for o in ours] == [t.split(b"\n\n")[0] for t in theirs]


def test_mbox_oversized_message_is_an_error_record(tmp_path):
    path = tmp_path / "box.mbox"
    write_mbox(path, 2)
    items = list(iter_mbox(path, max_bytes=20))
    assert all(isinstance(i, ErrorRecord) and "larger than 20 bytes" in i.reason for i in items)


def test_maildir_with_subfolders_and_flag_independent_keys(tmp_path):
    md = mailbox.Maildir(str(tmp_path / "md"), create=True)
    md.add(b"Subject: uno\n\nx")
    md.add_folder("PEC").add(b"Subject: due\n\ny")
    items = list(iter_path(tmp_path / "md"))
    assert sorted(i.folder or "" for i in items) == ["", "PEC"]
    # Moving a message new/ -> cur/ with flags must not change its key.
    key_before = {i.key for i in items}
    for f in (tmp_path / "md" / "new").iterdir():
        f.rename(tmp_path / "md" / "cur" / (f.name + ":2,S"))
    assert {i.key for i in iter_path(tmp_path / "md")} == key_before


def test_directory_of_eml_and_mbox_files(tmp_path):
    (tmp_path / "a.eml").write_bytes(b"Subject: a\n\nx")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.eml").write_bytes(b"Subject: b\n\ny")
    write_mbox(tmp_path / "sub" / "c.mbox", 2)
    (tmp_path / ".hidden").write_bytes(b"Subject: h\n\nz")
    items = list(iter_path(tmp_path))
    assert len(items) == 4
    assert [Path(i.source).name for i in items] == ["a.eml", "b.eml", "c.mbox", "c.mbox"]


def test_missing_path_raises_input_error(tmp_path):
    with pytest.raises(InputError, match="no such file"):
        list(iter_path(tmp_path / "nope"))


def test_streaming_reads_lazily(tmp_path):
    path = tmp_path / "box.mbox"
    write_mbox(path, 1000)
    it = iter_mbox(path)
    first = next(it)
    assert first.key == "offset:0"


def test_mbox_read_in_small_pieces_gives_the_same_messages(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    body = b"corto\n" + b"lunga " * 40 + b"\n>From quoted\n\n"
    data = b"".join(b"From a@b.it Mon Jan  1 00:00:00 2024\nSubject: %d\n\n" % i + body for i in range(3))
    path = tmp_path / "box.mbox"
    path.write_bytes(data)
    whole = [(m.key, m.data) for m in iter_mbox(path)]
    monkeypatch.setattr(files, "READ_CHUNK_BYTES", 48)  # envelope lines fit, body lines come in pieces
    assert [(m.key, m.data) for m in iter_mbox(path)] == whole
    assert len(whole) == 3 and all(b"\nFrom quoted" in d for _, d in whole)


def test_endless_first_envelope_line_is_skipped_not_read_as_headers(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "READ_CHUNK_BYTES", 16)
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From " + b"x" * 100 + b"\nSubject: uno\n\ncorpo\n")
    (item,) = list(iter_mbox(path))
    assert isinstance(item, RawMessage) and item.data == b"Subject: uno\n\ncorpo\n"


def test_file_without_line_ends_over_the_limit_is_an_error_record(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(files, "READ_CHUNK_BYTES", 64)
    path = tmp_path / "box.mbox"
    path.write_bytes(b"From a@b.it Mon Jan  1 00:00:00 2024\nSubject: x\n\n" + b"z" * 5000)
    (item,) = list(iter_mbox(path, max_bytes=1000))
    assert isinstance(item, ErrorRecord) and "larger than 1000 bytes" in item.reason


def test_envelope_check_is_linear_on_a_long_from_line(tmp_path) -> None:
    path = tmp_path / "box.mbox"
    line = b"From " + b"a@" * 500_000 + b" x\n"
    path.write_bytes(b"From a@b.it Mon Jan  1 00:00:00 2024\nSubject: x\n\ncorpo\n\n" + line)
    t0 = time.perf_counter()
    (item,) = list(iter_mbox(path))
    assert time.perf_counter() - t0 < 5
    assert isinstance(item, RawMessage) and item.data.endswith(line)
