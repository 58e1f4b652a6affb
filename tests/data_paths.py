"""Where the shared third-party data lives, for tests that use it (they skip when it is absent)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# The editable install predates the training/ package; make it importable from the checkout.
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def shared_data_dir() -> Path | None:
    """``$EXTRACT_ENTITIES_DATA`` if set, else ``<repo>/../shared/data``; None if it is not a folder."""
    env = os.environ.get("EXTRACT_ENTITIES_DATA")
    candidate = Path(env) if env else REPO_ROOT.parent / "shared" / "data"
    return candidate.resolve() if candidate.is_dir() else None


def require_shared_file(*parts: str) -> Path:
    """The file ``<shared data>/<parts...>``, or skip the test saying what is missing."""
    root = shared_data_dir()
    if root is None:
        pytest.skip("../shared/data not found: set EXTRACT_ENTITIES_DATA to the shared data folder")
    path = root.joinpath(*parts)
    if not path.is_file():
        pytest.skip(f"../shared/data not found: {path} is missing")
    return path
