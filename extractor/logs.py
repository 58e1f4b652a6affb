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


KNOWN_NOISE: dict[str, tuple[str, ...]] = {
    "vllm.v1.worker.cpu_worker": (
        "is not found in LD_PRELOAD",  # tcmalloc/iomp preload advice, on every CPU start
        "doesn't allow to use `torch.set_num_threads`",  # once per compiled graph
    ),
    "vllm.v1.structured_output.utils": ("Enabling outlines cache",),  # we enable it on purpose
    "vllm.triton_utils.importing": ("Triton is installed, but doesn't include CPU backend",),
    "vllm.platforms.cpu": ("Triton is not installed", "Reset SSM cache type"),
    "vllm.config.vllm": ("Model Runner V2 requires Triton",),
    "vllm.engine.arg_utils": ("The global random seed is set",),  # greedy decoding: the seed changes nothing
}
"""vLLM warnings checked to be harmless here, by the logger that emits them; shown with ``-v``."""


class KnownNoise(logging.Filter):
    """Drops a logger's warnings listed in :data:`KNOWN_NOISE`; errors always pass."""

    def __init__(self, phrases: tuple[str, ...]) -> None:
        super().__init__()
        self.phrases = phrases

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.WARNING or not any(s in record.getMessage() for s in self.phrases)


def quiet_engine_logs() -> bool:
    """Before vLLM is imported: hide its known-harmless warnings unless its INFO logs are on.

    The filters sit on the emitting loggers, which vLLM's ``init_logger`` returns as they are
    (it reconfigures only its handlers when an engine starts). Returns whether vLLM's INFO
    output (and its progress bars) should show: ``VLLM_LOGGING_LEVEL`` as
    :func:`configure_logging` set it, else vLLM's own default (INFO).
    """
    level = logging.getLevelName(os.environ.get("VLLM_LOGGING_LEVEL", "INFO").upper())
    verbose = not isinstance(level, int) or level <= logging.INFO
    if not verbose:
        for name, phrases in KNOWN_NOISE.items():
            logger = logging.getLogger(name)
            if not any(isinstance(f, KnownNoise) for f in logger.filters):
                logger.addFilter(KnownNoise(phrases))
    return verbose
