"""Benchmarks (``bench_*.py``, run as ``python benchmarks/<script>.py``) and their helpers.

:mod:`~benchmarks.synthetic` generates the messages, :mod:`~benchmarks.machine` describes the
machine, :mod:`~benchmarks.harness` measures and builds engines, :mod:`~benchmarks.profiler`
splits an engine step, :mod:`~benchmarks.children` runs one engine per process, and
:mod:`~benchmarks.hostile_mail` builds the hostile messages. Results go in ``RESULTS.md``.
"""
