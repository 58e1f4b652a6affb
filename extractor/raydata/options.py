"""How a run reaches Ray (``--ray``), as one frozen option group."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..config import cli


@dataclass(frozen=True)
class RayOptions:
    """Run the generative method on Ray Data LLM instead of one in-process engine.

    Attributes:
        enabled: use Ray Data LLM (``ray.data.llm``): vLLM engine replicas scheduled by Ray.
        address: the cluster to join (``ray://head:10001`` or ``auto``); ``None``: Ray's own
            default (``RAY_ADDRESS``, else a local Ray started for the run).
        replicas: vLLM engine replicas (``--concurrency`` with ``--ray``).
        cpus_per_engine: CPUs each replica reserves on a cluster without GPUs (vLLM's CPU backend).
        stage_cpus: CPUs each CPU-side stage worker reserves (a fraction: whole CPUs deadlock
            against the engines on a small box).
        max_pending: requests each replica's engine holds at once (``None``: Ray's default, from
            vLLM's ``max_num_seqs``; 1 runs one request at a time, as a test needs to compare).
    """

    enabled: bool = field(default=False, metadata=cli(
        "--ray", "Extract on Ray Data LLM (vLLM engine replicas scheduled by Ray, many GPUs and nodes) instead "
                 "of one in-process engine; --concurrency is then the number of replicas (default 1)."))
    address: str | None = field(default=None, metadata=cli(
        "--ray-address", "Ray cluster to join with --ray (ray://head:10001 or auto) [default: RAY_ADDRESS, "
                         "else a local Ray]."))
    replicas: int = 1
    cpus_per_engine: float = 1.0
    stage_cpus: float = 0.1
    max_pending: int | None = None
