"""MIME decoding, header decoding, quoted-reply removal and header entities on hand-made messages."""

from __future__ import annotations

import base64
import time

import pytest

from extractor.errors import MessageError
from extractor.mail import (
    BODY_PART_HEADER,
    MAX_TEXT_CHARS,
    decode_bytes,
    decode_header_value,
    dedup_key,
    header_entities,
    limits,
    parse_message,
    strip_quotes,
)
from extractor.records import RawMessage


def raw(data: str | bytes, key: str = "k") -> RawMessage:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return RawMessage(source="test", key=key, data=data)


def msg(body: str, headers: str = "", ctype: str = "text/plain; charset=utf-8") -> RawMessage:
    return raw(
        "From: Mario Rossi <mario.rossi@example.it>\nTo: luigi@example.it\nSubject: Prova\n"
        f"Message-ID: <1@example.it>\n{headers}MIME-Version: 1.0\nContent-Type: {ctype}\n\n{body}"
    )


ALTERNATIVE = """From: a@example.it
Subject: alt
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/plain; charset=utf-8

Testo semplice.
--b1
Content-Type: text/html; charset=utf-8

<html><body><p>Testo <b>HTML</b></p></body></html>
--b1--
"""

HTML_ONLY = """From: a@example.it
Subject: html
MIME-Version: 1.0
Content-Type: text/html; charset=utf-8

<html><head><style>p {color: red}</style><script>alert("x")</script></head>
<body><p>Gentile <b>cliente</b>,</p><p>la fattura &egrave; pronta.</p></body></html>
"""


# --- body selection ---------------------------------------------------------------------------


def test_plain_alternative_wins_over_html() -> None:
    m = parse_message(raw(ALTERNATIVE))
    assert m.text.strip() == "Testo semplice."
    assert m.body_type == "text/plain"


def test_html_only_becomes_text_without_tags() -> None:
    m = parse_message(raw(HTML_ONLY))
    assert m.body_type == "text/html"
    assert "Gentile cliente," in m.text
    assert "la fattura è pronta." in m.text
    assert "<" not in m.text and "alert" not in m.text and "color" not in m.text


def test_crlf_and_lone_cr_become_lf() -> None:
    m = parse_message(raw(b"From: a@example.it\r\nSubject: x\r\n\r\nriga uno\r\nriga due\rriga tre\r\n"))
    assert m.text == "riga uno\nriga due\nriga tre\n"


def test_attachments_listed_not_read() -> None:
    pdf = base64.b64encode(b"%PDF-1.4 " + b"x" * 1000).decode()
    m = parse_message(
        raw(f"""From: a@example.it
Subject: allegato
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="b"

--b
Content-Type: text/plain; charset=utf-8

Vedi allegato.
--b
Content-Type: application/pdf; name="fattura.pdf"
Content-Disposition: attachment; filename="fattura.pdf"
Content-Transfer-Encoding: base64

{pdf}
--b
Content-Type: text/plain; name="note.txt"
Content-Disposition: attachment; filename="=?utf-8?q?not=C3=A8.txt?="

testo allegato da non leggere
--b--
""")
    )
    assert m.text.strip() == "Vedi allegato."
    names = {a.filename: a for a in m.attachments}
    assert names["fattura.pdf"].content_type == "application/pdf"
    assert names["fattura.pdf"].size == 1009
    assert "notè.txt" in names
    assert "non leggere" not in m.text


ATTACHED = """From: a@example.it
Subject: Fwd: vecchio
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="o"

--o
Content-Type: text/plain; charset=utf-8

{outer}
--o
Content-Type: message/rfc822; name="vecchio.eml"

From: Anna Bianchi <anna@example.it>
Subject: vecchio
Content-Type: text/plain; charset=utf-8

Testo del messaggio allegato.
--o--
"""


def test_attached_message_is_not_the_body() -> None:
    m = parse_message(raw(ATTACHED.format(outer="Ti inoltro il messaggio.")))
    assert m.text.strip() == "Ti inoltro il messaggio."
    assert "allegato" not in m.text
    assert [a.content_type for a in m.attachments] == ["message/rfc822"]
    assert BODY_PART_HEADER not in m.headers


def test_attached_message_is_the_body_when_it_is_the_only_text() -> None:
    m = parse_message(raw(ATTACHED.format(outer="")))
    assert m.text.strip() == "Testo del messaggio allegato."
    assert m.headers[BODY_PART_HEADER] == "message/rfc822"
    assert m.headers["X-Attached-From"] == "Anna Bianchi <anna@example.it>"


PEC = """From: "Per conto di: mario.rossi@pec.example.it" <posta-certificata@pec.example.it>
To: ufficio@pec.example.it
Subject: POSTA CERTIFICATA: Fattura
X-Trasporto: posta-certificata
X-Riferimento-Message-ID: <abc@pec.example.it>
MIME-Version: 1.0
Content-Type: multipart/signed; protocol="application/pkcs7-signature"; boundary="s"

--s
Content-Type: multipart/mixed; boundary="m"

--m
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

--Questo =E8 un Messaggio di Posta Certificata--
Il messaggio originale =E8 incluso in allegato.
--m
Content-Type: application/xml; name="daticert.xml"
Content-Disposition: inline; filename="daticert.xml"

<postacert tipo="posta-certificata"/>
--m
Content-Type: message/rfc822; name="postacert.eml"
Content-Disposition: inline; filename="postacert.eml"

From: Mario Rossi <mario.rossi@pec.example.it>
Subject: Fattura
Content-Type: text/plain; charset=utf-8

Buongiorno, in allegato la fattura n. 58.
--m--
--s
Content-Type: application/pkcs7-signature; name="smime.p7s"
Content-Disposition: attachment; filename="smime.p7s"
Content-Transfer-Encoding: base64

AAAA
--s--
"""


def test_pec_envelope_takes_the_postacert_body() -> None:
    m = parse_message(raw(PEC))
    assert m.text.strip() == "Buongiorno, in allegato la fattura n. 58."
    assert m.headers[BODY_PART_HEADER] == "postacert.eml"
    assert m.headers["X-Trasporto"] == "posta-certificata"
    assert m.headers["X-Postacert-From"] == "Mario Rossi <mario.rossi@pec.example.it>"
    assert {a.filename for a in m.attachments} == {"daticert.xml", "postacert.eml", "smime.p7s"}


def test_pec_receipt_without_postacert_keeps_its_own_text() -> None:
    receipt = PEC.replace("X-Trasporto: posta-certificata", "X-Ricevuta: accettazione")
    receipt = receipt[: receipt.index("--m\nContent-Type: message/rfc822")] + "--m--\n--s--\n"
    m = parse_message(raw(receipt))
    assert "Messaggio di Posta Certificata" in m.text
    assert m.headers["X-Ricevuta"] == "accettazione"
    assert BODY_PART_HEADER not in m.headers


def test_base64_encoded_attached_message_is_decoded() -> None:
    inner = base64.b64encode(b"Content-Type: text/plain\r\n\r\nTesto interno\r\n").decode()
    m = parse_message(
        raw(f"From: a@example.it\nContent-Type: message/rfc822\nContent-Transfer-Encoding: base64\n\n{inner}\n")
    )
    assert m.text.strip() == "Testo interno"


def test_multipart_with_wrong_boundary_is_recovered() -> None:
    m = parse_message(
        raw("""From: a@example.it
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="dichiarato"

--usato
Content-Type: text/plain; charset=utf-8

Testo recuperato.
--usato--
""")
    )
    assert m.text.strip() == "Testo recuperato."
    assert any("recovered" in d for d in m.defects)


def test_single_text_part_marked_attachment_is_still_the_body() -> None:
    m = parse_message(
        raw(
            'From: a@example.it\nContent-Type: text/plain\nContent-Disposition: attachment; filename="a.txt"\n\nSaluti\n'
        )
    )
    assert m.text.strip() == "Saluti"


# --- charsets ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "charset", "expected"),
    [
        ("declared latin-1", "perché è così".encode("latin-1"), "iso-8859-1", "perché è così"),
        ("utf-8 mislabelled as latin-1", "perché è così".encode(), "iso-8859-1", "perché è così"),
        ("euro sign in windows-1252 labelled latin-1", b"costo 10 \x80", "iso-8859-1", "costo 10 €"),
        ("no charset, utf-8 bytes", "città".encode(), None, "città"),
        ("no charset, latin-1 bytes", "città".encode("latin-1"), None, "città"),
        ("utf-8 declared, latin-1 bytes", "perché è così".encode("latin-1"), "utf-8", "perché è così"),
        ("unknown charset label", "città".encode(), "x-nonexistent", "città"),
        ("gb2312 with a GBK-only character", "我把屄".encode("gbk"), "gb2312", "我把屄"),
        ("iso-2022-jp", "日本語".encode("iso-2022-jp"), "iso-2022-jp", "日本語"),
    ],
)
def test_decode_bytes(name: str, data: bytes, charset: str | None, expected: str) -> None:
    assert decode_bytes(data, charset)[0] == expected, name


def test_one_bad_byte_in_a_long_utf8_text_keeps_utf8() -> None:
    data = ("Профиль пользователя " * 50).encode() + b"\xd1 fine"
    text, defect = decode_bytes(data, "utf-8")
    assert text.startswith("Профиль") and text.count("\ufffd") == 1
    assert defect and "undecodable" in defect


def test_html_meta_charset_is_used_when_the_header_has_none() -> None:
    body = '<html><head><meta charset="iso-8859-1"></head><body>Citt\xe0</body></html>'.encode("latin-1")
    m = parse_message(raw(b"From: a@example.it\nContent-Type: text/html\n\n" + body))
    assert "Città" in m.text


# --- headers ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw_value", "expected"),
    [
        ("=?utf-8?q?Fattura_n=C2=B0_58?=", "Fattura n° 58"),
        ("=?ISO-8859-1?B?UGVyY2jpIG5vPw==?=", "Perché no?"),
        ("=?utf-8?b?8J+Ygg==?= ok", "😂 ok"),
        ("=?utf-8?B?w6g=?= =?utf-8?B?w6A=?=", "èà"),  # whitespace between encoded words dropped
        ("=?utf-8?B?4oI=?= =?utf-8?B?rA==?=", "€"),  # one character split over two words
        ("Re: =?utf-8?q?caff=C3=A8?= e latte", "Re: caffè e latte"),
        ("=?utf-8?q?broken", "=?utf-8?q?broken"),
        ("=?utf-8?b?!!!notbase64?=", "=?utf-8?b?!!!notbase64?="),
        ("=?x-unknown?q?abc?=", "abc"),
        ("riga\n piegata", "riga piegata"),
        ("", None),
    ],
)
def test_decode_header_value(raw_value: str, expected: str | None) -> None:
    assert decode_header_value(raw_value) == expected


def test_raw_8bit_headers_are_decoded() -> None:
    m = parse_message(raw("From: Niccolò Bianchi <n@example.it>\nSubject: Perché sì\n\nciao\n".encode()))
    assert m.subject == "Perché sì"
    assert m.sender == "Niccolò Bianchi <n@example.it>"
    latin = parse_message(raw("Subject: Perché sì\n\nciao\n".encode("latin-1")))
    assert latin.subject == "Perché sì"


def test_obsolete_header_syntax_is_accepted() -> None:
    m = parse_message(raw(b"Subject : spazio prima dei due punti\nFrom : a@example.it\n\ncorpo\n"))
    assert m.subject == "spazio prima dei due punti"
    assert m.text == "corpo\n"


def test_byte_order_mark_is_dropped() -> None:
    m = parse_message(raw(b"\xef\xbb\xbfFrom: a@example.it\nSubject: bom\n\ncorpo\n"))
    assert m.subject == "bom"


# --- errors and bounds ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Outlook .msg"),
        (b"", "empty message"),
        (b"  \n\n", "empty message"),
        (b"%PDF-1.4\n...", "PDF"),
        (b"just some words\nwithout headers\n", "no RFC 822 headers"),
        (b"From -\nFrom: a@x.it\nSubject: 1\n\nuno\n\nFrom -\nFrom: b@x.it\nSubject: 2\n\ndue\n", "mbox"),
    ],
)
def test_not_mail_raises_message_error_with_reason(data: bytes, reason: str) -> None:
    with pytest.raises(MessageError, match=reason):
        parse_message(raw(data))


def _deep(n: int) -> bytes:
    head = b"From: a@example.it\nSubject: deep\n"
    opens = b"".join(b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(n))
    closes = b"".join(b"--b%d--\n" % i for i in reversed(range(n)))
    return head + opens + b"Content-Type: text/plain\n\nin fondo\n" + closes


def _many(n: int) -> bytes:
    parts = b"".join(b"--b\nContent-Type: text/plain\n\nparte %d\n" % i for i in range(n))
    return b'From: a@example.it\nContent-Type: multipart/mixed; boundary="b"\n\n' + parts + b"--b--\n"


@pytest.mark.parametrize(("name", "data"), [("deep nesting", _deep(3000)), ("many parts", _many(20000))])
def test_pathological_structure_is_bounded(name: str, data: bytes) -> None:
    t0 = time.perf_counter()
    m = parse_message(raw(data))
    assert time.perf_counter() - t0 < 5, name
    assert any("MIME structure cut" in d for d in m.defects), m.defects


def test_depth_limit_walk(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(limits, "MAX_DEPTH", 5)
    m = parse_message(raw(_deep(20)))
    assert any("nesting deeper than 5" in d for d in m.defects)
    assert "in fondo" not in m.text


def test_huge_body_is_truncated_with_a_defect() -> None:
    m = parse_message(msg("a" * (MAX_TEXT_CHARS + 500)))
    assert len(m.text) == MAX_TEXT_CHARS
    assert any("truncated" in d for d in m.defects)


def test_deep_nesting_with_lone_cr_line_ends_is_cut_too() -> None:
    m = parse_message(raw(_deep(3000).replace(b"\n", b"\r")))
    assert any("MIME structure cut" in d for d in m.defects), m.defects


@pytest.mark.parametrize(
    ("name", "data", "charset", "expected", "defect"),
    [
        ("us-ascii on utf-8", "città".encode(), "us-ascii", "città", "declared but content is UTF-8"),
        ("us-ascii on windows-1252", b"costo \x93alto\x94", "us-ascii", "costo “alto”", "content is 8-bit"),
        ("us-ascii on thai", "ตื่นตัว กับโลกธุรกิจบนอินเตอร์เน็ต".encode("cp874") * 2, "us-ascii",
         "ตื่นตัว กับโลกธุรกิจบนอินเตอร์เน็ต" * 2, "content is 8-bit; detected"),
        ("unknown label, no detection", bytes(range(0xC0, 0xE0)), "x-ignoto", bytes(range(0xC0, 0xE0)).decode("cp1252"),
         "unknown"),
    ],
)
def test_decode_bytes_defects(name: str, data: bytes, charset: str, expected: str, defect: str) -> None:
    text, found = decode_bytes(data, charset, detect=name != "unknown label, no detection")
    assert text == expected, name
    assert found is not None and defect in found, found


def test_text_plain_part_holding_an_html_document_is_rendered() -> None:
    m = parse_message(msg("<html><body><p>Gentile <b>cliente</b>,</p></body></html>"))
    assert m.text.strip() == "Gentile cliente,"
    assert "text/plain part is an HTML document; rendered as HTML" in m.defects


def test_text_plain_starting_with_a_tag_in_running_text_is_kept() -> None:
    m = parse_message(msg("<b> non e' HTML, solo un segno\n"))
    assert m.text.startswith("<b> non e'")


SPLIT_HEADERS = b"""From: a@example.it
Subject: =?utf-8?q?prima?=

 =?utf-8?q?_seconda?=
To: b@example.it
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="s"

--s
Content-Type: text/plain; charset=utf-8

Corpo vero.
--s--
"""


@pytest.mark.parametrize("eol", [b"\n", b"\r\n"], ids=["lf", "crlf"])
def test_header_block_split_by_a_blank_line_is_rejoined(eol: bytes) -> None:
    m = parse_message(raw(SPLIT_HEADERS.replace(b"\n", eol)))
    assert m.text.strip() == "Corpo vero."
    assert m.subject == "prima seconda" and m.to == ("b@example.it",)
    assert "blank lines inside the header block removed" in m.defects


def test_body_starting_with_indented_lines_is_not_taken_for_headers() -> None:
    m = parse_message(raw(b"From: a@example.it\nSubject: x\n\n  rientrato\nNota: non un header\n\nfine\n"))
    assert "rientrato" in m.text and "Nota: non un header" in m.text
    assert not m.defects


@pytest.mark.parametrize(
    ("raw_name", "expected"),
    [("fattura perché.pdf".encode(), "fattura perché.pdf"), ("città.pdf".encode("latin-1"), "città.pdf")],
    ids=["utf-8", "latin-1"],
)
def test_raw_8bit_attachment_filenames_are_decoded(raw_name: bytes, expected: str) -> None:
    data = (
        b'From: a@example.it\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nciao\n'
        b'--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="' + raw_name + b'"\n\nx\n--b--\n'
    )
    assert [a.filename for a in parse_message(raw(data)).attachments] == [expected]


# --- quotes -----------------------------------------------------------------------------------

QUOTE_CASES = [
    (
        "gmail italiano",
        (
            "Va bene, ci vediamo lunedì.\n\nIl giorno ven 15 nov 2024 alle ore 15:39 Mario Rossi <mario@example.it> "
            "ha scritto:\n\n> Ciao,\n> ci vediamo?\n"
        ),
        "Va bene, ci vediamo lunedì.",
    ),
    (
        "gmail italiano, attribuzione a capo",
        "Reply!\n\n\nIl giorno ven 15 nov 2024 alle ore 15:39 Tozzi APP <test@tozzi.app> ha\nscritto:\n\n> Test\n>\n",
        "Reply!",
    ),
    (
        "thunderbird italiano",
        "Confermo l'ordine.\n\nIl 03/03/2024 10:12, Luigi Bianchi ha scritto:\n> Confermi?\n",
        "Confermo l'ordine.",
    ),
    (
        "outlook messaggio originale",
        (
            "Confermo.\n\nMario\n\n-----Messaggio originale-----\nDa: Luigi Bianchi [mailto:l@example.it]\n"
            "Inviato: lunedì 3 marzo 2024 10:12\nA: Mario\nOggetto: R: ordine\n\nTesto vecchio\n"
        ),
        "Confermo.\n\nMario",
    ),
    (
        "outlook spaziato ----- Messaggio originale -----",
        "Ok.\n----- Messaggio originale -----\nDa: x@example.it\nOggetto: y\n\nvecchio\n",
        "Ok.",
    ),
    (
        "outlook Da/Inviato senza separatore",
        (
            "Confermo.\n\n________________________________\nDa: Luigi Bianchi <l@example.it>\n"
            "Inviato: lunedì 3 marzo 2024 10:12\nA: Mario\nOggetto: R: ordine\n\nTesto vecchio\n"
        ),
        "Confermo.",
    ),
    (
        "outlook da HTML, righe vuote tra i campi",
        (
            "Confermo.\n\n      Da: export@example.it [mailto:x@example.it]\n\n      Inviato: venerdì 9 giugno 2017 15:50\n\n"
            "      Oggetto: Ordine\n\nTesto vecchio\n"
        ),
        "Confermo.",
    ),
    (
        "outlook su una riga",
        "Ciao\nDa: Luigi Bianchi Inviato: lunedì 3 marzo 2024 A: Mario Oggetto: ordine\nvecchio\n",
        "Ciao",
    ),
    (
        "english on ... wrote",
        "Sounds good.\n\nOn Mon, Mar 3, 2024 at 10:12 AM John Smith <john@example.com> wrote:\n> Shall we meet?\n",
        "Sounds good.",
    ),
    (
        "english original message",
        "Fine.\n\n-----Original Message-----\nFrom: John\nSent: Monday\nTo: Bob\nSubject: x\n\nold\n",
        "Fine.",
    ),
    (
        "english from/sent block",
        "Thanks.\n\nFrom: John Smith <john@example.com>\nSent: Monday, March 3, 2024 10:12 AM\nTo: Bob\n\nold\n",
        "Thanks.",
    ),
    (
        "risposta inline: via attribuzione e righe citate, resta il resto",
        "Mario Rossi ha scritto:\n> prima domanda?\nRisposta uno.\n> seconda domanda?\nRisposta due.\n",
        "Risposta uno.\nRisposta due.",
    ),
    (
        "inoltro esplicito: il messaggio inoltrato resta",
        (
            "Vedi sotto.\n\n---------- Forwarded message ---------\nFrom: Anna <a@example.it>\nDate: Mon\n"
            "Subject: x\nTo: b@example.it\n\nContenuto inoltrato\n"
        ),
        None,
    ),
    ("solo citazione: resta tutto", "> solo citato\n> testo\n", None),
    ("campi Data/Oggetto nel testo non sono una risposta", "Ordine:\nData: 12/03/2024\nOggetto: sedie\n", None),
    ("'ha scritto:' nel testo corrente", "Buongiorno,\nIl cliente ha scritto:\nla merce arriva lunedì.\n", None),
    ("niente da togliere", "Ciao,\nnessuna citazione.\n", None),
]


@pytest.mark.parametrize(("name", "text", "expected"), QUOTE_CASES, ids=[c[0] for c in QUOTE_CASES])
def test_strip_quotes(name: str, text: str, expected: str | None) -> None:
    result = strip_quotes(text)
    assert result == (text if expected is None else expected)


@pytest.mark.parametrize(("name", "text", "expected"), QUOTE_CASES, ids=[c[0] for c in QUOTE_CASES])
def test_strip_quotes_keeps_whole_lines_in_order(name: str, text: str, expected: str | None) -> None:
    result = strip_quotes(text)
    lines = iter(text.split("\n"))
    assert all(line in lines for line in result.split("\n")), "not an ordered selection of input lines"
    first_cut = next((i for i, (a, b) in enumerate(zip(text, result)) if a != b), len(result))
    assert result[:first_cut] == text[:first_cut]


def test_strip_quotes_is_fast_on_long_text() -> None:
    text = "\n".join("Il " + "parola " * 60 + (" ha scritto:" if i % 7 == 0 else "") for i in range(3000))
    t0 = time.perf_counter()
    strip_quotes(text)
    assert time.perf_counter() - t0 < 3


def test_parse_message_strips_quotes_unless_asked() -> None:
    body = "Confermo.\n\nIl 03/03/2024 10:12, Luigi Bianchi ha scritto:\n> Confermi?\n"
    assert parse_message(msg(body)).text == "Confermo."
    assert parse_message(msg(body), keep_quotes=True).text == body


# --- dedup and header entities ----------------------------------------------------------------


def test_dedup_key_prefers_message_id() -> None:
    assert dedup_key(parse_message(msg("ciao"))) == "<1@example.it>"


def test_dedup_key_hashes_content_without_message_id() -> None:
    a = parse_message(raw("From: a@example.it\nDate: Mon, 3 Mar 2024 10:00:00 +0100\nSubject: x\n\nuno\n"))
    b = parse_message(raw("From: a@example.it\nDate: Mon, 3 Mar 2024 10:00:00 +0100\nSubject: x\n\nuno\n", key="other"))
    c = parse_message(raw("From: a@example.it\nDate: Mon, 3 Mar 2024 10:00:00 +0100\nSubject: x\n\ndue\n"))
    assert dedup_key(a) == dedup_key(b) != dedup_key(c)
    assert dedup_key(a).startswith("sha256:") and len(dedup_key(a)) == 7 + 64


HEADERS = (
    "From: =?utf-8?q?Niccol=C3=B2_Bianchi?= <niccolo@example.it>\n"
    'To: "Rossi, Mario" <mario@example.it>, anna@example.it\n'
    'Cc: "export@example.it" <export@example.it>, Ufficio <>\n'
    "Subject: x\n\ncorpo\n"
)


def test_header_entities_offsets_point_into_the_stored_strings() -> None:
    m = parse_message(raw(HEADERS))
    assert m.sender == "Niccolò Bianchi <niccolo@example.it>"
    assert m.to == ("Rossi, Mario <mario@example.it>", "anna@example.it")
    ents = header_entities(m)
    stored = {"from": m.sender, "to[0]": m.to[0], "to[1]": m.to[1], **{f"cc[{i}]": v for i, v in enumerate(m.cc)}}
    for e in ents:
        assert stored[e.field][e.start : e.end] == e.text
    got = [(e.field, e.label, e.text) for e in ents]
    assert got == [
        ("from", "PER", "Niccolò Bianchi"),
        ("from", "EMAIL", "niccolo@example.it"),
        ("to[0]", "PER", "Rossi, Mario"),
        ("to[0]", "EMAIL", "mario@example.it"),
        ("to[1]", "EMAIL", "anna@example.it"),
        ("cc[0]", "EMAIL", "export@example.it"),  # a display name that is an address is no person
        ("cc[1]", "PER", "Ufficio"),
    ]


def test_header_entities_skip_pec_on_behalf_names() -> None:
    m = parse_message(raw(PEC))
    assert [(e.label, e.text) for e in header_entities(m) if e.field == "from"] == [
        ("EMAIL", "posta-certificata@pec.example.it")
    ]
