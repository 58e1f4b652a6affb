"""Serving a sequence-classification adapter: the request checked against it, the classifier started."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from extractor.class_decision import check_labels
from extractor.errors import ConfigError
from extractor.methods import Method, build_method
from extractor.options import ExtractOptions

from .merge import adapter_class_labels


def check_request(adapter: Any, options: ExtractOptions) -> str:
    """The class name the adapter answers; ``ConfigError`` unless the run asks exactly that class, no entities."""
    name, labels = adapter_class_labels(adapter)
    asked = {c.name: c for c in options.classes}
    if options.schema.labels:
        raise ConfigError(f"the sequence method labels whole messages, it finds no entities: pass --schema none "
                          f"--classify {name}")
    if set(asked) != {name}:
        raise ConfigError(f"adapter {adapter.name} classifies {name} ({', '.join(labels)}): pass --classify {name} "
                          "(and nothing else)")
    if list(asked[name].labels) != labels:
        raise ConfigError(f"adapter {adapter.name} was trained on {name} labels {', '.join(labels)}, not "
                          f"{', '.join(asked[name].labels)}: pass the class schema it was trained with")
    check_labels(options.min_scores, labels, f"--min-score for class {name}")
    return name


def sequence_method(adapter: Any, base_path: str, cache_dir: Any, options: ExtractOptions, enforce_eager: bool,
                    say: Callable[[str], None]) -> tuple[Method, dict[str, str]]:
    """The sequence method serving ``adapter`` (merged into ``base_path`` once, cached), and summary facts
    (what it reads, and the minimum scores it decides with, among them)."""
    from .classifier import SequenceClassifier

    name = check_request(adapter, options)
    t0 = time.perf_counter()
    say(f"starting the sequence classifier on {adapter.path} (merged into the base once, cached)")
    decided = {"min_scores": options.min_scores} if options.min_scores else {}  # else the adapter's own
    classifier = SequenceClassifier.for_adapter(adapter, base_path, cache_dir, enforce_eager=enforce_eager, **decided)
    say(f"sequence classifier ready in {time.perf_counter() - t0:.0f} s ({classifier.backend_name})")
    method = build_method("sequence", classifier=classifier, options=options, class_name=name)
    facts = {"method": "sequence", "backend": classifier.backend_name, "reads": classifier.reads}
    if classifier.min_scores:
        facts["min_scores"] = ", ".join(f"{label}={p:g}" for label, p in classifier.min_scores.items())
    return method, facts
