"""Hostile messages, built in memory: the cases of ``tests/test_hostile_mail.py`` and ``bench_mail_corpus.py``.

Each :class:`HostileCase` builds its raw bytes, names the file it is written as (an mbox with an
envelope line, or a bare ``.eml``) and says what must come out: a marker string that survives in
the text or subject, a defect the message records, or the piece of an error reason.
:func:`outcomes` runs one written file through ``sources.files.iter_path`` and ``mail.parse_message``.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from extractor.errors import MessageError
from extractor.mail import MAX_CONTAINERS, MAX_HEADER_CHARS, MAX_LINES, MAX_PARTS, MAX_TEXT_CHARS, parse_message
from extractor.records import ErrorRecord, Message, RawMessage
from extractor.sources.files import iter_path
from extractor.sources.limits import MAX_MESSAGE_BYTES

MARKER = "MARCATORE-7Q"
"""A word every case with a readable body puts in it; it must reach ``Message.text``."""

Outcome = Message | MessageError | ErrorRecord


@dataclass(frozen=True)
class HostileCase:
    """One hostile input and what must come out of it."""

    name: str
    build: Callable[[], bytes]
    container: Literal["mbox", "eml"] = "eml"
    text: str | None = MARKER
    """Must occur in ``Message.text`` (None: no body text is expected)."""
    subject: str | None = None
    """Must occur in ``Message.subject``."""
    defect: str | None = None
    """Must occur in one of ``Message.defects``."""
    error: str | None = None
    """When set, the outcome must be an error whose reason contains it."""

    def write(self, folder: Path) -> Path:
        """Write the message as a file in ``folder`` (mbox: with an envelope line); returns its path."""
        data = self.build()
        if self.container == "mbox":
            path = folder / f"{self.name}.mbox"
            path.write_bytes(b"From hostile@example.org Mon Jan  8 09:00:00 2024\n" + data + b"\n")
        else:
            path = folder / f"{self.name}.eml"
            path.write_bytes(data)
        return path


def outcomes(path: Path) -> list[Outcome]:
    """Every message under ``path``, parsed: a Message, the MessageError it raised, or the read error."""
    out: list[Outcome] = []
    for item in iter_path(path):
        if isinstance(item, ErrorRecord):
            out.append(item)
            continue
        assert isinstance(item, RawMessage)
        try:
            out.append(parse_message(item))
        except MessageError as exc:
            out.append(exc)
    return out


# ---------------------------------------------------------------------------------------------
# builders

_HEAD = "From: Mario Rossi <mario.rossi@example.it>\nTo: luigi@example.it\nSubject: prova\nMIME-Version: 1.0\n"


def _head(subject: str = "prova") -> bytes:
    return _HEAD.replace("Subject: prova", f"Subject: {subject}").encode()


def _text_part(body: str, boundary: str) -> bytes:
    return f"--{boundary}\nContent-Type: text/plain; charset=utf-8\n\n{body}\n".encode()


def nested(depth: int, line_end: bytes = b"\n") -> bytes:
    """A readable first part, then ``depth`` multipart/mixed levels, each inside the previous."""
    opens = b"".join(b'--n%d\nContent-Type: multipart/mixed; boundary="n%d"\n\n' % (i, i + 1) for i in range(depth))
    closes = b"".join(b"--n%d--\n" % i for i in reversed(range(depth + 1)))
    data = (
        _head()
        + b'Content-Type: multipart/mixed; boundary="n0"\n\n'
        + _text_part(f"{MARKER} in cima", "n0")
        + opens
        + b"--n%d\nContent-Type: text/plain\n\nin fondo\n" % depth
        + closes
    )
    return data.replace(b"\n", line_end)


def nested_messages(depth: int) -> bytes:
    """``depth`` message/rfc822 parts, each the whole of the previous one's body."""
    inner = b"Content-Type: text/plain\n\nin fondo\n"
    for i in range(depth):
        inner = b"Subject: livello %d\nContent-Type: message/rfc822\n\n" % i + inner
    return (
        _head()
        + b'Content-Type: multipart/mixed; boundary="m"\n\n'
        + _text_part(MARKER, "m")
        + b"--m\n"
        + inner
        + b"--m--\n"
    )


def many_parts(n: int) -> bytes:
    parts = b"".join(b"--p\nContent-Type: text/plain\n\nparte %d %s\n" % (i, MARKER.encode() if i == 0 else b"")
                     for i in range(n))
    return _head() + b'Content-Type: multipart/mixed; boundary="p"\n\n' + parts + b"--p--\n"


def big_attachment(size: int) -> bytes:
    """A small text body and a base64 attachment of ``size`` random bytes."""
    blob = random.Random(0).randbytes(size)
    encoded = base64.encodebytes(blob)
    return (
        _head()
        + b'Content-Type: multipart/mixed; boundary="a"\n\n'
        + _text_part(f"In allegato il file. {MARKER}", "a")
        + b'--a\nContent-Type: application/octet-stream; name="dati.bin"\nContent-Transfer-Encoding: base64\n'
        b'Content-Disposition: attachment; filename="dati.bin"\n\n'
        + encoded
        + b"--a--\n"
    )


def encoded_word_headers(size: int) -> bytes:
    """Subject and From display name of ``size`` bytes of RFC 2047 encoded words, one per folded line."""
    word = "=?utf-8?B?" + base64.b64encode("già ".encode() * 9).decode() + "?="
    count = size // (len(word) + 2)
    subject = f"=?utf-8?Q?{MARKER}?=" + "\n " + "\n ".join([word] * count)
    sender = "\n ".join([word] * count) + " <mario.rossi@example.it>"
    return (
        f"From: {sender}\nTo: luigi@example.it\nSubject: {subject}\nMIME-Version: 1.0\n"
        f"Content-Type: text/plain; charset=utf-8\n\n{MARKER} corpo\n"
    ).encode()


def encoded_words_unknown_charsets(size: int) -> bytes:
    """A Subject of encoded words in alternating unknown charsets, each word worth a detection guess."""
    payload = base64.b64encode(bytes(range(0x80, 0xA0))).decode()
    words = [f"=?x-ignoto-{i % 2}?B?{payload}?=" for i in range(size // (len(payload) + 20))]
    return (
        f"From: a@example.it\nSubject: {MARKER} " + "\n ".join(words) + "\nContent-Type: text/plain\n\n"
        f"{MARKER}\n"
    ).encode()


JAPANESE = "日本語が正常に送れているかテスト"


def iso_2022_jp() -> bytes:
    subject = "=?ISO-2022-JP?B?" + base64.b64encode(JAPANESE.encode("iso2022_jp")).decode() + "?="
    body = f"{MARKER}\n{JAPANESE}。\n".encode("iso2022_jp")
    return (
        _head(subject) + b"Content-Type: text/plain; charset=ISO-2022-JP\nContent-Transfer-Encoding: 7bit\n\n" + body
    )


def base64_text_line(size: int) -> bytes:
    """A text/plain part whose base64 body is one line of ``size`` bytes (no line breaks)."""
    text = (f"{MARKER} " + "parola " * (size // 8)).encode()[: size * 3 // 4]
    line = base64.b64encode(text)
    return _head() + b"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n" + line + b"\n"


def plain_body(size: int) -> bytes:
    line = "Questa riga del corpo del messaggio si ripete molte volte.\n"
    return _head() + b"Content-Type: text/plain; charset=utf-8\n\n" + (MARKER + "\n" + line * (size // len(line))).encode()


def nested_html(depth: int) -> bytes:
    html = "<html><body>" + "<div>" * depth + f"{MARKER} in fondo" + "</div>" * depth + "</body></html>"
    return _head() + b"Content-Type: text/html; charset=utf-8\n\n" + html.encode()


def html_tags_only(tag: str, count: int) -> bytes:
    """HTML with a marker first, then ``count`` copies of ``tag`` (unclosed script tags, lone brackets)."""
    html = f"<p>{MARKER}</p>" + tag * count
    return _head() + b"Content-Type: text/html; charset=utf-8\n\n" + html.encode()


def html_wide_table(cells: int) -> bytes:
    row = "".join(f"<td>c{i}</td>" for i in range(cells))
    html = f"<p>{MARKER}</p><table><tr>{row}</tr></table>"
    return _head() + b"Content-Type: text/html; charset=utf-8\n\n" + html.encode()


def nul_and_invalid_utf8() -> bytes:
    body = f"Gentile cliente, {MARKER}\n".encode() + b"\x00\x00 byte\xff\xfe sbagliati \xc3\x28 e \x00 ancora\n" * 200
    return _head() + b"Content-Type: text/plain; charset=utf-8\n\n" + body


def headers_only() -> bytes:
    return _head(f"solo intestazioni {MARKER}").rstrip(b"\n")


def long_header_line(size: int) -> bytes:
    return (
        _head().replace(b"Subject: prova", b"Subject: " + MARKER.encode() + b"x" * size)
        + b"X-Junk: "
        + b"y" * size
        + b"\nContent-Type: text/plain\n\n"
        + MARKER.encode()
        + b"\n"
    )


def many_params(size: int) -> bytes:
    """Content-Type and Content-Disposition headers with ``size`` bytes of parameters."""
    params = b"; a=1" * (size // 5)
    return (
        _head()
        + b'Content-Type: multipart/mixed; boundary="q"'
        + params
        + b"\n\n--q\nContent-Type: text/plain; charset=utf-8"
        + params
        + b"\nContent-Disposition: inline"
        + params
        + b"\n\n"
        + MARKER.encode()
        + b"\n--q--\n"
    )


def nested_comments(size: int) -> bytes:
    """A From header of ``size`` opening parentheses (RFC 5322 comments nest)."""
    return (
        b"From: " + b"(" * size + b"\nTo: " + b"(" * size + b"\nSubject: commenti\n"
        b"Content-Type: text/plain\n\n" + MARKER.encode() + b"\n"
    )


def envelope_like_line(size: int) -> bytes:
    """A body line that starts like an mbox envelope and goes on with ``size`` bytes of ``a@``."""
    return _head() + b"Content-Type: text/plain\n\n" + MARKER.encode() + b"\n\nFrom " + b"a@" * (size // 2) + b" x\n"


def short_lines(size: int, line_end: bytes = b"\n") -> bytes:
    """A body of ``size`` bytes of one-character lines (the parser keeps an object per line)."""
    body = (MARKER.encode() + line_end + (b"a" + line_end) * (size // (1 + len(line_end))))
    return _head().replace(b"\n", line_end) + b"Content-Type: text/plain" + line_end * 2 + body


def one_line_body(size: int) -> bytes:
    return _head() + b"Content-Type: text/plain\n\n" + MARKER.encode() + b" " + b"z" * size


def raw_8bit_filenames(n: int, size: int) -> bytes:
    """``n`` attachments whose filenames are ``size`` bytes of raw (undeclared) GB2312, each worth a detection."""
    name = ("电子展邮件邀请函简体" * (size // 20 + 1)).encode("gb2312")[:size]
    part = (b'--r\nContent-Type: application/pdf; name="' + name + b'"\nContent-Disposition: attachment; filename="'
            + name + b'"\nContent-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n')
    return (_head() + b'Content-Type: multipart/mixed; boundary="r"\n\n' + _text_part(MARKER, "r") + part * n
            + b"--r--\n")


def many_headers(count: int) -> bytes:
    return _head() + b"Received: from a.example by b.example\n" * count + b"Content-Type: text/plain\n\n" + MARKER.encode()


def binary_garbage(size: int) -> bytes:
    """``size`` random bytes starting with a byte that no header line starts with."""
    return b"\x00" + random.Random(3).randbytes(size)


def no_newlines(size: int) -> bytes:
    """``size`` bytes with no line end at all, after a header: one endless line."""
    return b"Subject: una riga\n\n" + b"z" * size


def quote_headers(size: int) -> bytes:
    """A body of lines that each look like the start of a quoted-reply header."""
    lines = ["Da: Mario Rossi", "Inviato: lunedì", "On Mon, Jan 8, 2024 Mario wrote:", "-----", "Oggetto: x"]
    body = "\n".join(lines[i % len(lines)] for i in range(size // 16))
    return _head() + b"Content-Type: text/plain; charset=utf-8\n\n" + f"{MARKER}\n\n{body}\n".encode()


def html_parts(n: int, size: int) -> bytes:
    """``n`` HTML parts of ``size`` bytes each, mostly markup with little text."""
    html = ("<p>" + MARKER + "</p>" + "<span class='x'></span>" * (size // 24)).encode()
    parts = b"".join(b"--h\nContent-Type: text/html; charset=utf-8\n\n" + html + b"\n" for _ in range(n))
    return _head() + b'Content-Type: multipart/mixed; boundary="h"\n\n' + parts + b"--h--\n"


def undeclared_8bit_parts(n: int, size: int) -> bytes:
    """``n`` text parts of ``size`` bytes of high bytes, no charset declared (each wants a detection guess)."""
    high = random.Random(1).randbytes(size).translate(bytes(range(0x80, 0x100)) * 2)
    parts = b"".join(b"--u\nContent-Type: text/plain\n\n" + MARKER.encode() + b" " + high + b"\n" for _ in range(n))
    return _head() + b'Content-Type: multipart/mixed; boundary="u"\n\n' + parts + b"--u--\n"


def encoded_filenames(n: int, size: int) -> bytes:
    """``n`` attachments whose filenames are ``size`` bytes of encoded words in unknown charsets."""
    payload = base64.b64encode(bytes(range(0x80, 0xA0))).decode()
    words = " ".join(f"=?x-ignoto-{i % 2}?B?{payload}?=" for i in range(size // (len(payload) + 20)))
    part = (f'--f\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="{words}"\n'
            "Content-Transfer-Encoding: base64\n\nJVBERi0xLjQK\n").encode()
    return (_head() + b'Content-Type: multipart/mixed; boundary="f"\n\n' + _text_part(MARKER, "f") + part * n
            + b"--f--\n")


MB = 1024 * 1024
_CUT_CONTAINERS = f"MIME structure cut after {MAX_CONTAINERS} nested containers"

CASES: tuple[HostileCase, ...] = (
    HostileCase("nested-1000", lambda: nested(1000), defect=_CUT_CONTAINERS),
    HostileCase("nested-1000-cr-only", lambda: nested(1000, b"\r"), defect=_CUT_CONTAINERS),
    HostileCase("nested-message-rfc822-1000", lambda: nested_messages(1000), defect=_CUT_CONTAINERS),
    HostileCase("parts-10000", lambda: many_parts(10_000), "mbox", defect=f"MIME structure cut after {MAX_PARTS} parts"),
    HostileCase("attachment-20mb", lambda: big_attachment(20 * MB), "mbox"),
    HostileCase("encoded-word-headers-1mb", lambda: encoded_word_headers(MB), subject=MARKER,
                defect=f"Subject header cut to {MAX_HEADER_CHARS} characters"),
    HostileCase("encoded-words-unknown-charsets", lambda: encoded_words_unknown_charsets(MB), subject=MARKER),
    HostileCase("iso-2022-jp", iso_2022_jp, subject=JAPANESE),
    HostileCase("base64-text-line-1mb", lambda: base64_text_line(MB), defect="truncated"),
    HostileCase("plain-body-5mb", lambda: plain_body(5 * MB), "mbox", defect=f"truncated to {MAX_TEXT_CHARS}"),
    HostileCase("html-nested-div-50000", lambda: nested_html(50_000)),
    HostileCase("html-unclosed-script", lambda: html_tags_only("<script>", 125_000)),
    HostileCase("html-lone-brackets", lambda: html_tags_only("<", MB)),
    HostileCase("html-wide-table", lambda: html_wide_table(50_000)),
    HostileCase("nul-and-invalid-utf8", nul_and_invalid_utf8, "mbox"),
    HostileCase("headers-only", headers_only, text=None, subject=MARKER),
    HostileCase("header-line-1mb", lambda: long_header_line(MB), subject=MARKER,
                defect=f"Subject header cut to {MAX_HEADER_CHARS} characters"),
    HostileCase("content-type-params-1mb", lambda: many_params(MB)),
    HostileCase("address-comments-100k", lambda: nested_comments(100_000)),
    HostileCase("envelope-like-line-1mb", lambda: envelope_like_line(MB), "mbox"),
    HostileCase("quote-header-lines", lambda: quote_headers(MB)),
    HostileCase("html-parts-1000", lambda: html_parts(1000, 20_000), defect="HTML parts after the first"),
    HostileCase("undeclared-8bit-parts-1000", lambda: undeclared_8bit_parts(1000, 20_000), defect="truncated"),
    HostileCase("encoded-filenames-1000", lambda: encoded_filenames(1000, 16_000), defect="MIME structure cut"),
    HostileCase("raw-8bit-filenames-1000", lambda: raw_8bit_filenames(1000, 16_000), defect="MIME structure cut"),
    HostileCase("headers-500000", lambda: many_headers(500_000)),
    HostileCase("short-lines-20mb", lambda: short_lines(20 * MB), defect=f"message cut after {MAX_LINES} lines"),
    HostileCase("short-lines-cr-only-20mb", lambda: short_lines(20 * MB, b"\r"), "eml",
                defect=f"message cut after {MAX_LINES} lines"),
    HostileCase("one-line-body-30mb", lambda: one_line_body(30 * MB), defect="truncated"),
    HostileCase("binary-garbage-1mb", lambda: binary_garbage(MB), text=None, error="no RFC 822 headers"),
    HostileCase("no-newlines-over-limit", lambda: no_newlines(MAX_MESSAGE_BYTES + MB), "mbox", text=None,
                error=f"larger than {MAX_MESSAGE_BYTES} bytes"),
)
"""Every hostile case, by name (the test's parametrize ids)."""
