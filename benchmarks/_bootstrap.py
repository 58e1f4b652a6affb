"""Imported first by every benchmark script: puts the repository root on ``sys.path``.

A script run as ``python benchmarks/<script>.py`` has only ``benchmarks/`` on the path; after this
``benchmarks.*`` (and the project's packages, from a checkout that is not installed) import.
Only scripts import it; the helper modules have no side effects at import.
"""

import sys
from pathlib import Path

REPO = str(Path(__file__).resolve().parents[1])
if REPO not in sys.path:
    sys.path.insert(0, REPO)
