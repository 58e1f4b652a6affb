"""Where the shared email corpus lives (``<shared data>/emails``); tests skip cleanly when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

NOT_MESSAGES = frozenset({"LICENSE", "LICENSE.txt", "NOTICE", "README.txt", "ARTISTIC-LICENSE.txt"})
"""Licence and readme files that sit beside the messages in the corpus."""


def emails_dir() -> Path | None:
    """``$EXTRACT_ENTITIES_DATA/emails`` if set, else ``<repo>/../shared/data/emails``; None if absent."""
    env = os.environ.get("EXTRACT_ENTITIES_DATA")
    root = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    candidate = root / "emails"
    return candidate.resolve() if candidate.is_dir() else None


def require_emails_dir() -> Path:
    """The corpus folder, or skip the test saying how to provide it."""
    root = emails_dir()
    if root is None:
        pytest.skip("email corpus not found: set EXTRACT_ENTITIES_DATA to the shared data folder (with emails/)")
    return root


def require_email(relative: str) -> Path:
    """One corpus file by its path under ``emails/``, or skip the test."""
    path = require_emails_dir() / relative
    if not path.is_file():
        pytest.skip(f"email corpus file missing: {path}")
    return path


def corpus_files(root: Path) -> list[Path]:
    """Every message or mbox file under ``root`` (licences, readmes and dot files left out), sorted."""
    return sorted(
        p for p in root.rglob("*")
        if p.is_file() and p.name not in NOT_MESSAGES and not p.name.startswith(".")
    )  # fmt: skip
