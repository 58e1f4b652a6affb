"""The unit of evaluation data: a text with gold entity spans given as character offsets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Span:
    """``text[start:end]`` is an entity of type ``label`` (``end`` exclusive, never empty)."""

    start: int
    end: int
    label: str

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start:
            raise ValueError(f"bad span offsets {self.start}:{self.end} ({self.label})")

    def overlaps(self, other: Span) -> bool:
        """True when the two character ranges share at least one character (labels ignored)."""
        return self.start < other.end and other.start < self.end

    def overlap(self, other: Span) -> int:
        """Number of characters the two ranges share."""
        return max(0, min(self.end, other.end) - max(self.start, other.start))


@dataclass(frozen=True)
class Example:
    """A text plus its gold spans.

    ``token_offsets`` is set by the token-based loaders (one ``(start, end)`` per original
    token) so the text can be turned back into the original tokens and BIO tags.
    """

    text: str
    spans: tuple[Span, ...]
    id: str
    domain: str | None = None
    token_offsets: tuple[tuple[int, int], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "spans", tuple(sorted(self.spans)))
        if self.token_offsets is not None:
            object.__setattr__(self, "token_offsets", tuple((int(a), int(b)) for a, b in self.token_offsets))
        for span in self.spans:
            if span.end > len(self.text):
                raise ValueError(f"{self.id}: span {span} beyond text of length {len(self.text)}")

    def span_text(self, span: Span) -> str:
        """The surface form of ``span`` in this example's text."""
        return self.text[span.start : span.end]

    @property
    def tokens(self) -> list[str] | None:
        """The original tokens, when the example came from a token-based file."""
        if self.token_offsets is None:
            return None
        return [self.text[a:b] for a, b in self.token_offsets]
