"""Compare evaluation reports: a Markdown leaderboard and a bar chart."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path

from training.classify_report import ClassReport, class_leaderboard, is_class_report
from training.report import Report

ReportLike = Report | str | Path


def _load(reports: Iterable[ReportLike]) -> list[Report]:
    return [r if isinstance(r, Report) else Report.from_json(r) for r in reports]


def _split_tasks(reports: Iterable[ReportLike]) -> tuple[list[ReportLike], list[ClassReport]]:
    """Entity reports (as given) and classification reports (loaded), told apart by their ``task``."""
    entities: list[ReportLike] = []
    classes: list[ClassReport] = []
    for r in reports:
        if isinstance(r, (str, Path)):
            doc = json.loads(Path(r).read_text(encoding="utf-8"))
            if is_class_report(doc):
                classes.append(ClassReport.from_dict(doc))
                continue
        entities.append(r)
    return entities, classes


def _dedupe(reports: Sequence[Report]) -> list[Report]:
    """One report per (data, model, method, adapter, shots); a later one replaces an earlier one."""
    keyed: dict[tuple[str, str, str, str | None, int], Report] = {}
    for r in reports:
        keyed[(r.data, r.model, str(r.extra.get("method", "generative")), r.adapter, r.shots)] = r
    return list(keyed.values())


def _ranked(reports: Sequence[Report]) -> list[Report]:
    return sorted(reports, key=lambda r: (-r.f1, r.model, r.adapter or "", r.shots))


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _fmt(x: float | None, digits: int = 1, scale: float = 1.0) -> str:
    return "n/a" if x is None else f"{x * scale:.{digits}f}"


def build_leaderboard(report_paths: Iterable[ReportLike]) -> str:
    """Markdown leaderboard, one table per dataset, one row per model/adapter/shots.

    Columns: strict micro P/R/F1, F1 per label, messages/s, tokens/s; rows sorted by F1
    (descending). Reports with the same dataset, model, method, adapter and shots: the last one wins.
    Classification reports (``--task classify``) get their own tables after the entity ones.
    """
    entity_reports, class_reports = _split_tasks(report_paths)
    reports = _dedupe(_load(entity_reports))
    if not reports and not class_reports:
        return "_no reports_\n"
    out: list[str] = []
    datasets = sorted({r.data for r in reports})
    for data in datasets:
        group = _ranked([r for r in reports if r.data == data])
        labels = sorted({label for r in group for label in r.scores.labels})
        if len(datasets) > 1:
            out += [f"### {data}", ""]
        header = ["#", "model", "method", "adapter", "shots", "P", "R", "F1", *(f"F1 {lab}" for lab in labels),
                  "msg/s", "tok/s", "n"]
        out.append("| " + " | ".join(header) + " |")
        out.append("|" + "|".join(["---:", "---", "---", "---", "---:"] + ["---:"] * (len(header) - 5)) + "|")
        for rank, r in enumerate(group, 1):
            micro = r.scores.strict.micro
            per = r.scores.strict.per_label
            cells = [str(rank), _cell(r.model), _cell(str(r.extra.get("method", "generative"))), _cell(r.adapter or "-"),
                     str(r.shots), _fmt(micro.precision, scale=100),
                     _fmt(micro.recall, scale=100), _fmt(micro.f1, scale=100),
                     *(_fmt(per[lab].f1, scale=100) if lab in per and per[lab].defined else "n/a" for lab in labels),
                     _fmt(r.messages_per_s, 2), _fmt(r.tokens_per_s, 0), str(r.n_examples)]
            out.append("| " + " | ".join(cells) + " |")
        out.append("")
    if class_reports:
        out.append(class_leaderboard(class_reports))
    return "\n".join(out)


def plot_leaderboard(reports: Iterable[ReportLike], png_path: str | Path) -> Path:
    """Grouped bar chart of strict micro F1 and per-label F1 per run, written to ``png_path``."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # lazy: matplotlib is optional
    from matplotlib.figure import Figure

    runs = _ranked(_dedupe(_load(_split_tasks(reports)[0])))
    several = len({r.data for r in runs}) > 1
    names = [f"{r.title} [{r.extra.get('method', 'generative')}]" + (f"\n{r.data}" if several else "") for r in runs]
    labels = sorted({label for r in runs for label in r.scores.labels})
    series = ["micro", *labels]
    width = 0.8 / max(len(series), 1)
    fig = Figure(figsize=(max(6.0, 0.6 * len(runs) * len(series) + 2), 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for k, name in enumerate(series):
        values = [
            100 * (r.scores.strict.micro.f1 if name == "micro" else
                   r.scores.strict.per_label[name].f1 if name in r.scores.strict.per_label else 0.0)
            for r in runs
        ]
        ax.bar([i + (k - (len(series) - 1) / 2) * width for i in range(len(runs))], values, width, label=name)
    ax.set_xticks(range(len(runs)), names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("strict F1 (%)")
    ax.set_ylim(0, 100)
    ax.set_title("NER leaderboard")
    if runs:
        ax.legend(fontsize=8)
    path = Path(png_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    return path
