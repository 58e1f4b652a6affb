"""Evaluation tooling: gold NER data loaders, entity-level metrics, reports and leaderboards.

Pure Python (no engine): something else produces predicted spans and hands them to
:func:`training.report.evaluate_predictions`.
"""
