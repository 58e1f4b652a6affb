"""The HTML report: escaping, one <mark> per placed entity with exactly its text, legend, errors, 0600 file.

The ``browser`` test renders the page in headless Chromium (``/usr/bin/chromium``, Debian
package ``chromium``) and checks the marks in the DOM Chromium built, plus a screenshot.
"""

from __future__ import annotations

import json
import shutil
import stat
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from extractor.view import errors_path_for, render_html, write_view

TEXT = (
    "Buongiorno Mario Rossi,\n<script>document.title='pwned'</script> la ditta Rossi & Figli S.r.l. di Torino "
    'ha pagato 1.250,00 € sull\'IBAN IT60X0542811101000000123456 "subito".\n'
)


def _span(text: str, label: str, surface: str, nth: int = 0) -> dict[str, Any]:
    start = -1
    for _ in range(nth + 1):
        start = text.index(surface, start + 1)
    return {"text": surface, "label": label, "start": start, "end": start + len(surface)}


def _record(**extra: Any) -> dict[str, Any]:
    rec: dict[str, Any] = {
        "source": "inbox.mbox",
        "key": "offset:0",
        "message_id": "<1@example.it>",
        "folder": None,
        "date": "Mon, 3 Mar 2024 10:00:00 +0100",
        "from": "Mario Rossi <mario@example.it>",
        "subject": "Pagamento <urgente>",
        "model": "tiny",
        "adapter": None,
        "schema": "italian_email",
        "text": TEXT,
        "entities": [
            _span(TEXT, "PER", "Mario Rossi"),
            _span(TEXT, "ORG", "Rossi & Figli S.r.l."),
            _span(TEXT, "LOC", "Torino"),
            _span(TEXT, "MONEY", "1.250,00 €"),
            {**_span(TEXT, "IBAN", "IT60X0542811101000000123456"), "valid": True},
            {"text": "Mario Rossi", "label": "PER", "start": 0, "end": 11, "field": "from"},
        ],
    }
    rec.update(extra)
    return rec


ERROR = {"source": "inbox.mbox", "key": "offset:999", "stage": "parse", "reason": "not an RFC 822 message: <b>bad</b>"}


class Marks(HTMLParser):
    """Collects ``<mark>`` elements (attributes and text) and notes any ``<script>`` element."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.marks: list[tuple[dict[str, str | None], str]] = []
        self.scripts = 0
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self.scripts += 1
        if tag == "mark":
            self._open, self._text = dict(attrs), []

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark" and self._open is not None:
            self.marks.append((self._open, "".join(self._text)))
            self._open = None

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)


def marks_of(html: str) -> Marks:
    parser = Marks()
    parser.feed(html)
    return parser


def _expected_marks(record: dict[str, Any]) -> list[tuple[str, int, int, str]]:
    return sorted((e["label"], e["start"], e["end"], e["text"]) for e in record["entities"] if "field" not in e)


def _found_marks(parser: Marks) -> list[tuple[str, int, int, str]]:
    return sorted(
        (str(a["data-label"]), int(a["data-start"] or -1), int(a["data-end"] or -1), text) for a, text in parser.marks
    )


def test_each_entity_is_marked_exactly_once_with_its_text() -> None:
    rec = _record()
    html = render_html([rec])
    parser = marks_of(html)
    assert _found_marks(parser) == _expected_marks(rec)
    for attrs, text in parser.marks:
        label = attrs["data-label"]
        assert f"ent-{label}" in str(attrs["class"]).split()
        assert TEXT[int(attrs["data-start"] or 0) : int(attrs["data-end"] or 0)] == text
    assert html.count('<mark class="ent ent-ORG" data-label="ORG"') == 1
    assert ">Rossi &amp; Figli S.r.l.</mark>" in html


def test_message_text_and_headers_are_escaped() -> None:
    html = render_html([_record(), ERROR])
    assert "<script" not in html.lower()
    assert "&lt;script&gt;document.title=&#x27;pwned&#x27;&lt;/script&gt;" in html
    assert "Pagamento &lt;urgente&gt;" in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "<b>bad</b>" not in html
    assert marks_of(html).scripts == 0


def test_page_is_self_contained() -> None:
    html = render_html([_record()])
    for needle in ("<link", "src=", "href=", "@import", "url(", "<script"):
        assert needle not in html
    assert "Content-Security-Policy" in html and "<style>" in html


def test_legend_counts_per_label_and_colours() -> None:
    html = render_html([_record(), _record(key="offset:5")])
    for label, n in (("PER", 4), ("ORG", 2), ("LOC", 2), ("MONEY", 2), ("IBAN", 2)):
        assert f'data-label="{label}">{label}: {n}</li>' in html
        assert f".ent-{label}{{background:" in html
    assert "2 messages, 12 entities, 0 errors" in html


def test_unknown_and_odd_labels_get_safe_classes() -> None:
    rec = _record(entities=[{"text": "Mario", "label": 'X"><b', "start": 11, "end": 16}])
    html = render_html([rec])
    assert 'class="ent ent-X___b"' in html and 'data-label="X&quot;&gt;&lt;b"' in html
    assert ".ent-X___b{background:hsl(" in html


def test_entities_that_cannot_be_placed_are_listed() -> None:
    rec = _record(
        entities=[
            {"text": "Mario Rossi", "label": "PER", "start": 11, "end": 22},
            {"text": "Mario", "label": "PER", "start": 11, "end": 16},  # overlaps the first
            {"text": "Torino", "label": "LOC", "start": 0, "end": 6},  # offsets do not match its text
            {"text": "Milano", "label": "LOC", "start": None, "end": None, "grounded": False},
            {"text": "mario@example.it", "label": "EMAIL", "start": 13, "end": 29, "field": "from"},
        ]
    )
    html = render_html([rec])
    assert _found_marks(marks_of(html)) == [("PER", 11, 22, "Mario Rossi")]
    for shown in (
        ">Mario</td>",
        ">Torino</td>",
        ">Milano</td>",
        ">mario@example.it</td>",
        ">from</td>",
        "not grounded",
    ):
        assert shown in html


def test_record_without_text_lists_entities() -> None:
    rec = _record()
    del rec["text"]
    html = render_html([rec])
    assert "<mark" not in html
    assert "Entities (the record has no text)" in html and ">IT60X0542811101000000123456</td>" in html


def test_invalid_entities_are_flagged() -> None:
    rec = _record(entities=[{**_span(TEXT, "IBAN", "IT60X0542811101000000123456"), "valid": False}])
    assert 'class="ent ent-IBAN invalid"' in render_html([rec])


def test_errors_get_their_own_section() -> None:
    html = render_html([_record(), ERROR])
    assert '<h2 id="errors">Errors (1)</h2>' in html
    assert "offset:999" in html and "1 messages, 6 entities, 1 errors" in html


def test_write_view_file_mode_count_and_errors_sibling(tmp_path: Path) -> None:
    out = tmp_path / "out.jsonl"
    out.write_text(
        json.dumps(_record()) + "\n\n" + json.dumps(_record(key="offset:5")) + "\n{not json\n", encoding="utf-8"
    )
    errors_path_for(out).write_text(json.dumps(ERROR) + "\n", encoding="utf-8")
    page = tmp_path / "view.html"
    page.write_text("old")
    page.chmod(0o644)
    assert write_view(out, page) == 2
    assert stat.S_IMODE(page.stat().st_mode) == 0o600
    html = page.read_text(encoding="utf-8")
    assert "Errors (2)" in html and "invalid JSON" in html and "offset:999" in html
    assert len(marks_of(html).marks) == 10
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


def _chromium(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    exe = shutil.which("chromium")
    assert exe is not None
    base = [
        exe, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={cwd / 'profile'}",
    ]  # fmt: skip
    return subprocess.run(base + args, capture_output=True, text=True, timeout=180, cwd=cwd, check=False)


@pytest.mark.browser
def test_page_renders_in_headless_chromium(tmp_path: Path) -> None:
    if shutil.which("chromium") is None:
        pytest.skip("headless Chromium not installed: apt-get install -y chromium (Debian) to run browser tests")
    rec = _record()
    jsonl = tmp_path / "out.jsonl"
    jsonl.write_text(json.dumps(rec) + "\n" + json.dumps(ERROR) + "\n", encoding="utf-8")
    page = tmp_path / "view.html"
    write_view(jsonl, page)

    dom = _chromium(["--dump-dom", page.as_uri()], tmp_path)
    assert dom.returncode == 0, dom.stderr[-2000:]
    parsed = marks_of(dom.stdout)
    assert _found_marks(parsed) == _expected_marks(rec)
    assert parsed.scripts == 0
    assert "<title>Entities: out.jsonl</title>" in dom.stdout  # the message's <script> never ran

    shot = tmp_path / "view.png"
    run = _chromium([f"--screenshot={shot}", "--window-size=1280,1600", page.as_uri()], tmp_path)
    assert run.returncode == 0, run.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 5000
