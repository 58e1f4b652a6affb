"""Every one of the 3,000 SpamAssassin messages (2,500 ham, 500 spam) through iter_path + parse_message.

2002-era real mail: undeclared 8-bit charsets, HTML-only spam, broken header blocks. Each file
must give one Message with text, or an error with a reason; the messages that rightly have no
text and the ones expected to fail are listed below, with why. Skips when the data is absent.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from data_paths import shared_data_dir

from benchmarks.hostile_mail import outcomes
from extractor.errors import MessageError
from extractor.records import ErrorRecord, Message

pytestmark = pytest.mark.slow

FOLDERS = {"easy-ham-1": 2500, "spam-1": 500}
PER_MESSAGE_SECONDS = 5.0
MAX_ERRORS = 5
"""At most this many of the 3,000 may end as errors, each listed in :data:`EXPECTED_ERRORS`."""

# "<folder>/<number>" -> why the message can only be an error (none today)
EXPECTED_ERRORS: dict[str, str] = {}

# "<folder>/<number>" -> why the message has no body text (its headers still count)
EXPECTED_EMPTY: dict[str, str] = {
    "spam-1/00307": "an image-only mail: the HTML part holds nothing but VML shapes and an <img>",
    "spam-1/00329": "the HTML body is a single <iframe>",
}

Outcome = Message | MessageError | ErrorRecord


def _data_dir() -> Path:
    root = shared_data_dir()
    folder = root / "spamassassin" if root is not None else None
    if folder is None or not folder.is_dir():
        pytest.skip("SpamAssassin corpus not found: set EXTRACT_ENTITIES_DATA to the shared data folder "
                    "(with spamassassin/easy-ham-1 and spamassassin/spam-1)")
    return folder


def _name(path: Path) -> str:
    return f"{path.parent.name}/{path.name.split('.', 1)[0]}"


def _parse(path: Path) -> tuple[list[Outcome], float]:
    t0 = time.perf_counter()
    return outcomes(path), time.perf_counter() - t0


@pytest.fixture(scope="module")
def corpus() -> dict[str, tuple[list[Outcome], float]]:
    root = _data_dir()
    return {_name(p): _parse(p) for folder in FOLDERS for p in sorted((root / folder).glob("*.txt"))}


def _one(corpus: dict[str, tuple[list[Outcome], float]], name: str) -> Message:
    (result,), _ = corpus[name]
    assert isinstance(result, Message), result
    return result


def _reason(result: MessageError | ErrorRecord) -> str:
    return result.reason if isinstance(result, ErrorRecord) else str(result)


def test_corpus_is_complete(corpus: dict) -> None:
    for folder, count in FOLDERS.items():
        assert sum(name.startswith(folder + "/") for name in corpus) == count, folder


def test_every_message_gives_text_or_a_reasoned_error(corpus: dict) -> None:
    errors = {name: _reason(r) for name, (rs, _) in corpus.items() for r in rs if not isinstance(r, Message)}
    print(f"\n{len(errors)} errors of {len(corpus)} messages:")
    for name, reason in sorted(errors.items()):
        print(f"  {name}: {reason}")
    problems: list[str] = []
    for name, (results, _) in corpus.items():
        if len(results) != 1:
            problems.append(f"{name}: {len(results)} items from one message file")
        for r in results:
            if isinstance(r, Message):
                if not r.text.strip() and name not in EXPECTED_EMPTY:
                    problems.append(f"{name}: no text (defects {r.defects}, attachments {r.attachments})")
                if r.text.strip() and name in EXPECTED_EMPTY:
                    problems.append(f"{name}: has text now, drop it from EXPECTED_EMPTY")
            elif not _reason(r).strip():
                problems.append(f"{name}: error without a reason")
            elif name not in EXPECTED_ERRORS:
                problems.append(f"{name}: unexpected error: {_reason(r)}")
    assert not problems, "\n".join(problems)
    assert len(errors) <= MAX_ERRORS


def test_per_message_time_bound(corpus: dict) -> None:
    slow = [f"{name} {dt:.2f}s" for name, (_, dt) in corpus.items() if dt > PER_MESSAGE_SECONDS]
    assert not slow, slow


def test_text_is_lf_only_without_nul(corpus: dict) -> None:
    for name, (results, _) in corpus.items():
        for r in results:
            if isinstance(r, Message):
                assert "\r" not in r.text and "\x00" not in r.text, name


# --- the parse bugs this corpus showed ------------------------------------------------------------


def test_us_ascii_declared_on_8bit_thai_text_is_detected(corpus: dict) -> None:
    m = _one(corpus, "spam-1/00072")
    assert "ตื่นตัว กับโลกธุรกิจบนอินเตอร์เน็ต" in m.text
    assert any("declared but content is 8-bit" in d for d in m.defects), m.defects


def test_html_document_sent_as_text_plain_is_rendered(corpus: dict) -> None:
    m = _one(corpus, "spam-1/00467")
    assert "<html>" not in m.text and "&quot;" not in m.text
    assert 'with the word "remove" in the subject line' in " ".join(m.text.split())


def test_header_block_split_by_blank_lines_is_rejoined(corpus: dict) -> None:
    m = _one(corpus, "spam-1/00481")
    assert "/9j/4AAQ" not in m.text, "the JPEG attachment was read as body text"
    assert m.text.startswith("第十一届中国国际电子设备")
    assert [a.filename for a in m.attachments] == ["2003电子展邮件邀请函简体.jpg"]
    assert "blank lines inside the header block removed" in m.defects
