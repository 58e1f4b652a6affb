"""Every file of the shared email corpus (205 real and malformed messages) through parse_message.

Each file yields at least one item; each item is a :class:`Message` or a :class:`MessageError`
with a reason, within a time bound; the files expected to be errors are listed below, with why.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from data_emails import corpus_files, require_email, require_emails_dir

from extractor.errors import MessageError
from extractor.mail import BODY_PART_HEADER, header_entities, parse_message
from extractor.records import ErrorRecord, Message, RawMessage
from extractor.sources.files import iter_path

PER_MESSAGE_SECONDS = 5.0

# path under emails/ -> (text the MessageError reason must contain, why this file is not a message)
EXPECTED_ERRORS: dict[str, tuple[str, str]] = {
    "mail-parser/mail_outlook_1": ("Outlook .msg", "an Outlook .msg (OLE compound file), not RFC 822"),
    "mime4j/testmsgs/malformedHeader-noheader.msg": ("no RFC 822 headers", "two lines of text, no header block"),
    "mime4j/testmsgs/malformedHeaderStartsBody-noheader.msg": ("no RFC 822 headers", "two lines of text, no headers"),
}

# mbox file -> messages it holds (counted by hand: 'From ' envelope lines)
MBOX_COUNTS = {
    "mime4j/mbox/mbox.rlug": 5,
    "mimekit/mbox/issue1189.mbox.txt": 4,
    # a byte-order mark, and 'From Russia with love' lines in the bodies (unmunged)
    "mimekit/mbox/unmunged.mbox.txt": 2,
}
MBOX_COUNTS_NOT_SPLIT = {
    # envelope lines with no blank line before them
    "mimekit/mbox/content-length.mbox.txt": 29,
    "mimekit/mbox/simple.mbox.txt": 3,
}


def _outcomes(path: Path) -> list[tuple[str, Message | MessageError | ErrorRecord, float]]:
    out: list[tuple[str, Message | MessageError | ErrorRecord, float]] = []
    for item in iter_path(path):
        if isinstance(item, ErrorRecord):
            out.append((item.key, item, 0.0))
            continue
        assert isinstance(item, RawMessage)
        t0 = time.perf_counter()
        try:
            result: Message | MessageError = parse_message(item)
        except MessageError as exc:
            result = exc
        out.append((item.key, result, time.perf_counter() - t0))
    return out


def _corpus() -> list[Path]:
    root = require_emails_dir()
    return corpus_files(root)


def _rel(path: Path) -> str:
    return path.relative_to(require_emails_dir()).as_posix()


@pytest.fixture(scope="module")
def corpus() -> dict[str, list[tuple[str, Message | MessageError | ErrorRecord, float]]]:
    return {_rel(p): _outcomes(p) for p in _corpus()}


def test_corpus_is_complete(corpus: dict) -> None:
    assert len(corpus) == 205, "the README counts 205 message or mbox files"


def test_every_file_yields_a_message_or_a_reasoned_error(corpus: dict) -> None:
    unexpected: list[str] = []
    for rel, outcomes in corpus.items():
        assert outcomes, f"{rel}: nothing came out (silent drop)"
        for key, result, _ in outcomes:
            if isinstance(result, ErrorRecord):
                unexpected.append(f"{rel}:{key}: read error {result.reason}")
            elif isinstance(result, MessageError):
                expected = EXPECTED_ERRORS.get(rel)
                if expected is None or expected[0] not in str(result):
                    unexpected.append(f"{rel}:{key}: {result}")
                assert str(result).strip(), f"{rel}: MessageError without a reason"
            else:
                assert isinstance(result, Message)
                if rel in EXPECTED_ERRORS:
                    unexpected.append(f"{rel}:{key}: parsed, but the table expects an error")
    assert not unexpected, "\n".join(unexpected)


def test_expected_errors_table_is_current(corpus: dict) -> None:
    assert set(EXPECTED_ERRORS) <= set(corpus)


def test_per_message_time_bound(corpus: dict) -> None:
    slow = [f"{rel}:{key} {dt:.2f}s" for rel, outs in corpus.items() for key, _, dt in outs if dt > PER_MESSAGE_SECONDS]
    assert not slow, slow


def test_text_is_lf_only_and_header_entities_point_into_headers(corpus: dict) -> None:
    for rel, outs in corpus.items():
        for _, m, _ in outs:
            if not isinstance(m, Message):
                continue
            assert "\r" not in m.text, rel
            stored = {"from": m.sender, **{f"to[{i}]": v for i, v in enumerate(m.to)},
                      **{f"cc[{i}]": v for i, v in enumerate(m.cc)}}  # fmt: skip
            for e in header_entities(m):
                assert stored[e.field][e.start : e.end] == e.text, (rel, e)


def test_no_replacement_character_floods(corpus: dict) -> None:
    """Latin-1, GB2312, KOI8-R, ISO-2022-JP ... decode without U+FFFD floods (at most 2 per message)."""
    flooded = [
        f"{rel}: {m.text.count(chr(0xFFFD))} in text"
        for rel, outs in corpus.items()
        for _, m, _ in outs
        if isinstance(m, Message) and (m.text.count("\ufffd") + (m.subject or "").count("\ufffd")) > 2
    ]
    assert not flooded, flooded


_TAG = re.compile(r"<\s*/?\s*(?:html|head|body|div|p|table|td|tr|span|br|a|img|font|style|script)\b", re.IGNORECASE)


def test_html_bodies_become_text_without_tags(corpus: dict) -> None:
    html = [(rel, m) for rel, outs in corpus.items() for _, m, _ in outs
            if isinstance(m, Message) and m.body_type == "text/html"]  # fmt: skip
    assert len(html) >= 8
    tagged = [rel for rel, m in html if _TAG.search(m.text)]
    assert not tagged, tagged


@pytest.mark.parametrize(("rel", "count"), sorted(MBOX_COUNTS.items()))
def test_mbox_files_yield_each_message(rel: str, count: int) -> None:
    assert len(list(iter_path(require_email(rel)))) == count


@pytest.mark.parametrize(("rel", "count"), sorted(MBOX_COUNTS_NOT_SPLIT.items()))
def test_mbox_files_without_blank_line_before_from(rel: str, count: int) -> None:
    assert len(list(iter_path(require_email(rel)))) == count


def _one(rel: str, *, keep_quotes: bool = False) -> Message:
    (item,) = list(iter_path(require_email(rel)))
    assert isinstance(item, RawMessage)
    return parse_message(item, keep_quotes=keep_quotes)


def test_mail_test_7_is_italian_with_its_signature_and_without_the_quoted_thread() -> None:
    m = _one("mail-parser/mail_test_7")
    assert m.subject == "I: Ordine"
    assert m.text.startswith("Ciao sere mi puoi dire se il mio cliente deve fare questa dichiarazione?")
    for fact in (
        "Via Mazzini, 53",
        "Valdobbiadene",
        "04336160264",
        "0423/972429",
        "info@voidstudicom.it",
        "riservatezza",
    ):
        assert fact in m.text
    assert "Anna Milone" not in m.text and "Inviato:" not in m.text
    assert "Anna Milone" in _one("mail-parser/mail_test_7", keep_quotes=True).text
    assert [a.filename for a in m.attachments if a.content_type == "application/pdf"] == ["20170609091403417.pdf"]
    assert ("PER", "Mariachiara Geronazzo") in [(e.label, e.text) for e in header_entities(m)]


def test_mail_test_10_latin1_italian() -> None:
    m = _one("mail-parser/mail_test_10")
    assert "Gentili Business Partner, vi segnalo che oggi è stato annunciato" in m.text
    assert "Partita IVA 10914660153" in m.text
    assert "\ufffd" not in m.text


@pytest.mark.parametrize(
    ("rel", "subject_start", "text_piece"),
    [
        ("mail-parser/mail_test_9", "我把镜头拉近些", "我把镜头拉近些"),
        ("mail-parser/mail_test_12", "代开各地增值税发票", "你好！我公司可代开各类增值税发票"),
        ("mimekit/messages/japanese.txt", "日本語メールテスト", "日本語が"),
        ("mail-parser/mail_test_6", "Быстрее вкладывайте в золото!", "Профиль"),
    ],
)
def test_non_latin_charsets(rel: str, subject_start: str, text_piece: str) -> None:
    m = _one(rel)
    assert (m.subject or "").startswith(subject_start)
    assert text_piece in m.text
    assert m.text.count("\ufffd") <= 1


@pytest.mark.parametrize(
    ("rel", "phrase"),
    [
        ("pec_it/go-pec/accettazione.eml", "Ricevuta di accettazione del messaggio"),
        ("pec_it/java-pec-parser/accettazione.eml", "è stato accettato dal sistema"),
        ("pec_it/go-pec/consegna.eml", "Avviso di mancata consegna"),
        ("pec_it/java-pec-parser/consegna.eml", "Avviso di mancata consegna"),
        ("pec_it/go-pec/email_2.eml", "Ricevuta di avvenuta consegna"),  # its postacert.eml body is only ")"
    ],
)
def test_pec_receipts_give_readable_text(rel: str, phrase: str) -> None:
    m = _one(rel)
    assert phrase in m.text
    assert "\ufffd" not in m.text
    assert any(k in m.headers for k in ("X-Ricevuta", "X-Trasporto"))


def test_pec_transport_envelope_reads_postacert() -> None:
    m = _one("pec_it/go-pec/email_3.eml")
    assert m.headers["X-Trasporto"] == "posta-certificata"
    assert m.headers[BODY_PART_HEADER] == "postacert.eml"
    assert m.headers["X-Postacert-Subject"] == "POSTA CERTIFICATA: SUBJECT"
    assert m.text.strip() == "text"
    assert "Posta Certificata" not in m.text


def test_gmail_italian_reply_is_cut_at_the_attribution() -> None:
    assert _one("pec_it/java-pec-parser/Test - Simple Mail (3).eml").text == "Reply!"


def test_endless_nesting_is_bounded() -> None:
    t0 = time.perf_counter()
    m = _one("flanker/enclosed-endless.eml")
    assert time.perf_counter() - t0 < PER_MESSAGE_SECONDS
    assert m.text.strip() == "Hello"
    assert any("MIME structure cut" in d for d in m.defects)


def test_attached_message_is_listed_not_read() -> None:
    m = _one("flanker/enclosed.eml")
    assert m.text.strip() == "Hello"
    assert "message/rfc822" in [a.content_type for a in m.attachments]


def test_outlook_msg_reason() -> None:
    (item,) = list(iter_path(require_email("mail-parser/mail_outlook_1")))
    with pytest.raises(MessageError, match=r"Outlook \.msg.*export it as \.eml"):
        parse_message(item)
