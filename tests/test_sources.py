"""Sources: streamed mbox (offsets, >From unquoting, size cap), Maildir with subfolders, .eml dirs."""

from __future__ import annotations

import mailbox
from pathlib import Path

import pytest

from extractor.errors import InputError
from extractor.records import ErrorRecord, RawMessage
from extractor.sources import iter_mbox, iter_path

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
