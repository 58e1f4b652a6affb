"""Streaming ingestion: a large synthetic mbox through the sources and MIME decoding, no model.

Measures messages/s and MB/s of `iter_path` + `parse_message` + `dedup_key`, and the process's
RSS while it runs (sampled every 20k messages) to show memory stays flat whatever the mailbox size.
The mbox is written first (plain, HTML-only and latin-1 messages mixed), then read in a fresh
child process so its peak RSS is the ingestion's own. Last line: peak RSS / mailbox size.

    python benchmarks/bench_ingest.py --size-mb 1024
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _bootstrap  # noqa: F401  (the repository root on sys.path)

from benchmarks import harness


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def write_big_mbox(path: Path, size_mb: int) -> int:
    """Append generated messages until the file reaches ``size_mb``; returns the count."""
    from benchmarks.synthetic import italian_emails

    target, n, block = size_mb * 1024 * 1024, 0, 0
    with open(path, "wb") as fh:
        while fh.tell() < target:
            for e in italian_emails(500, seed=block):
                kind = n % 10
                head = (f"From {e.sender_addr} Mon Jan  8 09:00:00 2024\nFrom: {e.sender_name} <{e.sender_addr}>\n"
                        f"To: {e.to_name} <{e.to_addr}>\nSubject: {e.subject}\nDate: {e.date}\n"
                        f"Message-ID: <{n}.{e.message_id.strip('<>')}>\nMIME-Version: 1.0\n")
                body = "\n".join(">" + ln if ln.startswith("From ") else ln for ln in e.body.splitlines())
                if kind == 0:  # HTML only
                    html = "".join(f"<p>{ln}</p>" for ln in body.splitlines())
                    msg = head + "Content-Type: text/html; charset=utf-8\n\n" + f"<html><body>{html}</body></html>"
                    data = msg.encode()
                elif kind == 1:  # latin-1, quoted reply history
                    msg = head + "Content-Type: text/plain; charset=iso-8859-1\n\n" + body + \
                        "\n\nIl giorno lun 8 gen 2024 alle ore 09:00 Mario Rossi ha scritto:\n> testo citato\n"
                    data = msg.encode("latin-1", "replace")
                else:
                    data = (head + "Content-Type: text/plain; charset=utf-8\n\n" + body).encode()
                fh.write(data + b"\n\n")
                n += 1
            block += 1
    return n


def ingest(path: str) -> None:
    """Child process: read every message, print one JSON line of measurements."""
    from extractor.errors import MessageError
    from extractor.mail import dedup_key, parse_message
    from extractor.records import RawMessage
    from extractor.sources.files import iter_path

    t0 = time.perf_counter()
    n = errors = chars = 0
    samples = []
    for item in iter_path(Path(path)):
        if not isinstance(item, RawMessage):
            errors += 1
            continue
        try:
            msg = parse_message(item)
            dedup_key(msg)
            chars += len(msg.text)
        except MessageError:
            errors += 1
        n += 1
        if n % 20000 == 0:
            samples.append(round(rss_mb(), 1))
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"messages": n, "errors": errors, "seconds": round(secs, 1), "text_chars": chars,
                      "peak_rss_mb": round(peak, 1), "rss_samples_mb": samples}))


def main() -> None:
    harness.setup()
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size-mb", type=int, default=1024)
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        ingest(args.child)
        return
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "big.mbox"
        t0 = time.perf_counter()
        n = write_big_mbox(path, args.size_mb)
        size = path.stat().st_size / 1024 / 1024
        print(f"wrote {n} messages, {size:.0f} MB in {time.perf_counter() - t0:.0f} s", flush=True)
        out = subprocess.run([sys.executable, __file__, "--child", str(path)], capture_output=True, text=True,
                             check=True).stdout.strip().splitlines()[-1]
    res = json.loads(out)
    print(json.dumps(res))
    print(f"ingestion: {res['messages'] / res['seconds']:.0f} messages/s, {size / res['seconds']:.1f} MB/s, "
          f"peak RSS {res['peak_rss_mb']:.0f} MB")
    print(f"RATIO peak RSS / mailbox size: {res['peak_rss_mb']:.0f} MB / {size:.0f} MB = "
          f"{res['peak_rss_mb'] / size:.3f}")


if __name__ == "__main__":
    main()
