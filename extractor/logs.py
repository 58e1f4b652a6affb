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
        os.environ.setdefault("TORCH_CPP_LOG_LEVEL", "ERROR")
    return level


KNOWN_NOISE = (
    "is not found in LD_PRELOAD",  # vLLM CPU: tcmalloc/iomp preload advice, on every start
    "doesn't allow to use `torch.set_num_threads`",  # vLLM CPU: repeated once per compiled graph
    "Enabling outlines cache",  # we enable it on purpose (EngineConfig.cache_dir)
)
"""vLLM warnings checked to be harmless here; shown with ``-v``, hidden by default."""


class KnownNoise(logging.Filter):
    """Drops the warnings in :data:`KNOWN_NOISE`; errors always pass."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING or not any(s in record.getMessage() for s in KNOWN_NOISE)


def quiet_engine_logs() -> bool:
    """Once vLLM is imported: hide its known-harmless warnings when its INFO logs are off.

    Returns whether vLLM's INFO output (and its progress bars) should show.
    """
    logger = logging.getLogger("vllm")
    verbose = logger.isEnabledFor(logging.INFO)
    if not verbose:
        for handler in logger.handlers:
            if not any(isinstance(f, KnownNoise) for f in handler.filters):
                handler.addFilter(KnownNoise())
    return verbose
