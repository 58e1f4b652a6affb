"""Reports (JSON, Markdown) and the leaderboard built from them (Markdown table, PNG chart)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from data_paths import REPO_ROOT  # noqa: F401  (puts the checkout on sys.path)

from training.examples import Example, Span
from training.leaderboard import build_leaderboard, plot_leaderboard
from training.report import Report, evaluate_predictions

EXAMPLES = [
    Example("Mario Rossi vive a Roma", (Span(0, 11, "PER"), Span(19, 23, "LOC")), "kind:WN_test:0", "WN"),
    Example("Renzo ama Lucia", (Span(0, 5, "PER"), Span(10, 15, "PER")), "kind:FIC_test:0", "FIC"),
]
PERFECT = [list(ex.spans) for ex in EXAMPLES]
HALF = [[Span(0, 11, "PER"), Span(19, 23, "ORG")], [Span(0, 5, "PER"), Span(10, 12, "PER")]]
NONE: list[list[Span]] = [[], []]
LABELS = ["PER", "LOC", "ORG"]


def _report(pred: list[list[Span]], model: str, adapter: str | None = None, shots: int = 0,
            data: str = "kind:test", **kw: float) -> Report:
    return evaluate_predictions(EXAMPLES, pred, LABELS, model=model, adapter=adapter, shots=shots, data=data, **kw)


def test_evaluate_predictions() -> None:
    report = _report(HALF, "m", messages_per_s=2.5, tokens_per_s=300.0)
    micro = report.scores.strict.micro
    assert (micro.tp, micro.fp, micro.fn) == (2, 2, 2)
    assert report.scores.partial.micro.tp == 3
    assert report.n_examples == 2
    assert sorted(report.per_domain) == ["FIC", "WN"]
    assert report.per_domain["FIC"].strict.micro.tp == 1


def test_report_json_roundtrip(tmp_path: Path) -> None:
    report = _report(HALF, "qwen", "kind-lora", 3, messages_per_s=1.5, tokens_per_s=None, extra={"seed": 1})
    path = report.to_json(tmp_path / "sub" / "r.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert set(data) == {"version", "model", "adapter", "shots", "data", "n_examples", "messages_per_s",
                         "tokens_per_s", "scores", "per_domain", "extra"}
    assert set(data["scores"]) == {"labels", "n_examples", "strict", "partial"}
    assert data["scores"]["strict"]["per_label"]["LOC"]["support"] == 1
    assert Report.from_json(path) == report


def test_report_markdown() -> None:
    md = _report(HALF, "qwen", "kind-lora", 3).to_markdown()
    assert md.startswith("## qwen + kind-lora (3-shot) on kind:test")
    assert "| PER | 66.7 | 66.7 | 66.7 | 3 | 3 |" in md  # strict: 2 of 3 gold, 3 predicted
    assert "| ORG | 0.0 | 0.0 | 0.0 | 0 | 1 |" in md
    assert "| **micro** | 50.0 | 50.0 | 50.0 | 4 | 4 |" in md
    assert "| PER | 100.0 | 100.0 | 100.0 | 3 | 3 |" in md  # partial: "Lu" overlaps "Lucia"
    assert "### partial match" in md
    assert "| FIC | 1 |" in md


def test_report_markdown_undefined_label() -> None:
    md = _report(PERFECT, "m").to_markdown()
    assert "| ORG | n/a | n/a | n/a | 0 | 0 |" in md


@pytest.fixture
def report_paths(tmp_path: Path) -> list[Path]:
    reports = [
        _report(NONE, "base", None, 0, messages_per_s=5.0, tokens_per_s=900.0),
        _report(PERFECT, "base", "kind-lora", 0, messages_per_s=4.0, tokens_per_s=800.0),
        _report(HALF, "base", None, 5),
    ]
    return [r.to_json(tmp_path / f"r{i}.json") for i, r in enumerate(reports)]


def _rows(md: str) -> list[list[str]]:
    return [[c.strip() for c in line.strip("|").split("|")] for line in md.splitlines() if line.startswith("| ")]


def test_build_leaderboard(report_paths: list[Path]) -> None:
    rows = _rows(build_leaderboard(report_paths))
    assert rows[0] == ["#", "model", "method", "adapter", "shots", "P", "R", "F1", "F1 LOC", "F1 ORG", "F1 PER",
                       "msg/s", "tok/s", "n"]
    assert [r[1:5] for r in rows[1:]] == [["base", "generative", "kind-lora", "0"], ["base", "generative", "-", "5"],
                                          ["base", "generative", "-", "0"]]
    assert rows[1][5:] == ["100.0", "100.0", "100.0", "100.0", "n/a", "100.0", "4.00", "800", "2"]
    assert rows[2][7] == "50.0" and rows[2][11:13] == ["n/a", "n/a"]
    assert rows[3][5:8] == ["0.0", "0.0", "0.0"]


LEADERBOARD_CASES = [
    ("last duplicate wins", [("m", "kind:test", NONE), ("m", "kind:test", PERFECT)], [["1", "m", "100.0"]]),
    ("one table per dataset", [("m", "kind:WN", HALF), ("m", "wikineural:test", PERFECT)],
     [["1", "m", "50.0"], ["1", "m", "100.0"]]),
]


@pytest.mark.parametrize(("runs", "expected"), [c[1:] for c in LEADERBOARD_CASES], ids=[c[0] for c in LEADERBOARD_CASES])
def test_leaderboard_grouping(runs: list[tuple[str, str, list]], expected: list[list[str]]) -> None:
    md = build_leaderboard([_report(pred, model, data=data) for model, data, pred in runs])
    assert [[r[0], r[1], r[6]] for r in _rows(md) if r[0] != "#"] == expected
    assert ("### wikineural:test" in md) == (len(expected) > 1)


def test_leaderboard_empty() -> None:
    assert build_leaderboard([]) == "_no reports_\n"


def test_plot_leaderboard(report_paths: list[Path], tmp_path: Path) -> None:
    png = plot_leaderboard(report_paths, tmp_path / "plots" / "leaderboard.png")
    data = png.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) > 1000
