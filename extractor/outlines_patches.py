"""Fixes to vLLM's Outlines structured-output backend (measured in ``benchmarks/RESULTS.md``).

Each patch checks the names it replaces and leaves another vLLM layout alone.
"""

from __future__ import annotations

from typing import Any


class _MemoizedIndexCache:
    """vLLM's Outlines disk cache, with the indexes already read kept in memory.

    vLLM looks the compiled index up for every request, and its SQLite cache reads and
    deserialises the whole index each time (tens of MB for our schemas on Qwen's vocabulary,
    about a second per request: see ``benchmarks/RESULTS.md``). An index is immutable
    and vLLM's in-memory cache already shares one between requests, so keeping the last few
    in memory is safe.
    """

    def __init__(self, disk: Any, size: int = 8) -> None:
        self._disk = disk
        self._size = size
        self._memo: dict[str, Any] = {}

    def __contains__(self, key: str) -> bool:
        return key in self._memo or key in self._disk

    def __getitem__(self, key: str) -> Any:
        try:
            return self._memo[key]
        except KeyError:
            value = self._disk[key]
            self._remember(key, value)
            return value

    def __setitem__(self, key: str, value: Any) -> None:
        self._disk[key] = value
        self._remember(key, value)

    def _remember(self, key: str, value: Any) -> None:
        if len(self._memo) >= self._size:
            self._memo.pop(next(iter(self._memo)))
        self._memo[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def set(self, key: str, value: Any) -> None:
        self[key] = value


class _QuietGuide:
    """An ``outlines_core.Guide`` whose ``advance`` does not return the allowed tokens.

    vLLM's Outlines grammar ignores what ``advance`` returns, but outlines-core builds it
    unless told not to: a Python list of up to the whole vocabulary, for every generated token
    of every request (its cost per token is in ``benchmarks/RESULTS.md``).
    """

    __slots__ = ("_guide",)

    def __init__(self, guide: Any) -> None:
        self._guide = guide

    def advance(self, token_id: int, return_tokens: bool = False) -> Any:
        return self._guide.advance(token_id, return_tokens=return_tokens)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._guide, name)


def patch_outlines_backend() -> None:
    """Three fixes to vLLM's Outlines backend (their effect is measured in ``benchmarks/RESULTS.md``).

    * vLLM keys its Outlines disk cache by a sha256 of ``repr(outlines_core.Vocabulary)``,
      whose token order comes from a Rust hash map and changes from one process to the next:
      the disk cache never hit, every run compiled the schema again and the database grew by
      the size of an index per run. The key is now a
      digest of the sorted reduced vocabulary, which is what the index is built from.
    * :class:`_MemoizedIndexCache` goes in front of the disk cache (one read per index).
    * Guides are wrapped in :class:`_QuietGuide` (no allowed-token list per token).

    Each patch checks the names it replaces and leaves another vLLM layout alone.
    """
    try:
        from vllm.v1.structured_output import backend_outlines
        from vllm.v1.structured_output import utils as so_utils
    except ImportError:
        return
    get_cache = getattr(backend_outlines, "get_outlines_cache", None)
    if get_cache is not None and not getattr(get_cache, "_extract_entities", False):

        def get_outlines_cache() -> Any:
            cache = get_cache()
            return cache if type(cache).__name__ == "LRUCache" else _MemoizedIndexCache(cache)

        get_outlines_cache._extract_entities = True  # type: ignore[attr-defined]
        backend_outlines.get_outlines_cache = get_outlines_cache
    get_vocab = getattr(backend_outlines, "get_outlines_vocabulary", None)
    needed = ("_reduced_vocabulary", "OutlinesVocabulary")
    if get_vocab is not None and not getattr(get_vocab, "_extract_entities", False) and all(
        hasattr(so_utils, n) for n in needed
    ):

        def get_outlines_vocabulary(tokenizer: Any) -> Any:
            if hasattr(tokenizer, "_outlines_vocabulary"):
                return tokenizer._outlines_vocabulary
            import hashlib

            import outlines_core

            reduced = so_utils._reduced_vocabulary(tokenizer)
            vocabulary = so_utils.OutlinesVocabulary(outlines_core.Vocabulary(tokenizer.eos_token_id, reduced))
            digest = hashlib.sha256(f"eos={tokenizer.eos_token_id}".encode())
            for token in sorted(reduced):
                digest.update(token + b"\x00" + ",".join(map(str, sorted(reduced[token]))).encode() + b"\x00")
            vocabulary._hash = int(digest.hexdigest(), 16)
            tokenizer._outlines_vocabulary = vocabulary
            return vocabulary

        get_outlines_vocabulary._extract_entities = True  # type: ignore[attr-defined]
        backend_outlines.get_outlines_vocabulary = get_outlines_vocabulary
    backend = getattr(backend_outlines, "OutlinesBackend", None)
    compile_grammar = getattr(backend, "compile_grammar", None)
    if compile_grammar is not None and not getattr(compile_grammar, "_extract_entities", False):

        def quiet_compile_grammar(self: Any, *args: Any, **kwargs: Any) -> Any:
            grammar = compile_grammar(self, *args, **kwargs)
            guide = getattr(grammar, "guide", None)
            if guide is not None and not isinstance(guide, _QuietGuide):
                grammar.guide = _QuietGuide(guide)
            return grammar

        quiet_compile_grammar._extract_entities = True  # type: ignore[attr-defined]
        backend.compile_grammar = quiet_compile_grammar
