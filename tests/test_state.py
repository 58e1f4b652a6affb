"""State store: done keys, meta, torn-tail repair, reconcile from the JSONL."""

from __future__ import annotations

import json

import pytest

from extractor.state import StateStore, repair_torn_tail

TORN = [
    ("clean", b'{"a": 1}\n{"b": 2}\n', b'{"a": 1}\n{"b": 2}\n', False),
    ("torn-last-line", b'{"a": 1}\n{"b": ', b'{"a": 1}\n', True),
    ("only-torn", b'{"b": ', b"", True),
    ("empty", b"", b"", False),
]


@pytest.mark.parametrize("data,expected,cut", [c[1:] for c in TORN], ids=[c[0] for c in TORN])
def test_repair_torn_tail(tmp_path, data, expected, cut):
    path = tmp_path / "out.jsonl"
    path.write_bytes(data)
    assert repair_torn_tail(path) is cut
    assert path.read_bytes() == expected


def test_done_keys_meta_and_permissions(tmp_path):
    path = tmp_path / "s.sqlite"
    with StateStore(path) as st:
        st.mark_done([("src", "k1", "ok", "<id1>"), ("src", "k2", "error", None)])
        st.set_meta("cursor", "42")
    assert (path.stat().st_mode & 0o777) == 0o600
    with StateStore(path) as st:
        assert st.is_done("src", "k1") and st.is_done("src", "k2") and not st.is_done("src", "k3")
        assert st.seen_message_id("<id1>") and not st.seen_message_id("<id2>")
        assert st.get_meta("cursor") == "42" and st.count() == 2
        st.clear()
        assert st.count() == 0 and st.get_meta("cursor") is None


def test_reconcile_marks_records_of_both_files(tmp_path):
    out, err = tmp_path / "o.jsonl", tmp_path / "e.jsonl"
    out.write_text(json.dumps({"source": "s", "key": "1", "dedup_key": "<a>"}) + "\n" + '{"source": "s", "ke')
    err.write_text(json.dumps({"source": "s", "key": "2", "reason": "bad"}) + "\n")
    with StateStore(tmp_path / "st.sqlite") as st:
        assert st.reconcile(out, err, None) == 2
        assert st.is_done("s", "1") and st.is_done("s", "2") and st.seen_message_id("<a>")
    assert out.read_text().endswith("}\n")
