"""Log levels for the tool and the libraries under it, set in one place from ``-v`` counts."""

from __future__ import annotations

import logging
import os
import sys

LEVELS = (logging.WARNING, logging.INFO, logging.DEBUG)
"""Verbosity 0 (default), 1 (``-v``: vLLM's INFO logs too) and 2 (``-vv``: debug)."""


def configure_logging(verbosity: int) -> int:
    """Route logs to stderr at the level ``verbosity`` picks; quiet engine logs by default.

    vLLM reads ``VLLM_LOGGING_LEVEL`` when it is first imported, so this runs before any engine
    starts; a level the user set in the environment is kept.
    """
    level = LEVELS[min(max(verbosity, 0), len(LEVELS) - 1)]
    os.environ.setdefault("VLLM_LOGGING_LEVEL", logging.getLevelName(level))
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    for name in ("vllm", "transformers", "torch", "urllib3", "httpx"):
        logging.getLogger(name).setLevel(level)
    if level > logging.INFO:
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    return level
