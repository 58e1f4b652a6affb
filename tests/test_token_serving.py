"""The token method in the pipeline and the serving choices around it (no model: scripted classifier)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from extractor.cli import main
from extractor.errors import ConfigError
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.records import Entity
from extractor.serving import prepare_model
from extractor.settings import load_settings
from schemas import load_schema
from training.examples import Example, Span
from training.metrics import token_level_f1


class ScriptedClassifier:
    """Tags every occurrence of the words it knows; raises on a text containing 'BOOM'."""

    def __init__(self, known: dict[str, str]) -> None:
        self.known = known
        self.calls: list[int] = []

    def extract_texts(self, texts, encoded=None):
        self.calls.append(len(texts))
        if any("BOOM" in t for t in texts):
            raise RuntimeError("scripted failure")
        out = []
        for text in texts:
            ents = [Entity(w, lab, i, i + len(w), source="model") for w, lab in self.known.items()
                    if (i := text.find(w)) >= 0]
            out.append(sorted(ents, key=lambda e: e.start))
        return out

    def encode(self, text):
        class Encoded:
            ids = text.split()

        return Encoded()


def extractor(classifier, schema: str = "italian_email", recognizers: bool = True) -> Extractor:
    options = ExtractOptions(schema=load_schema(schema), recognizers=recognizers, batch_size=4)
    return Extractor(build_method("tokens", classifier=classifier, options=options), options, model_name="tiny")


def test_token_entities_plus_recognizers():
    classifier = ScriptedClassifier({"Mario Rossi": "PER", "Milano": "LOC", "MISC-THING": "MISC"})
    text = "Mario Rossi di Milano, tel. +39 02 1234 5678, MISC-THING."
    (res,) = extractor(classifier).extract_texts([text])
    got = {(e.text, e.label, e.source) for e in res.entities}
    assert got == {("Mario Rossi", "PER", "model"), ("Milano", "LOC", "model"), ("+39 02 1234 5678", "PHONE", "pattern")}


def test_a_failing_batch_is_retried_text_by_text():
    classifier = ScriptedClassifier({"Roma": "LOC"})
    results = extractor(classifier, recognizers=False).extract_texts(["a Roma", "BOOM", "da Roma", "x"])
    assert [r.error is not None for r in results] == [False, True, False, False]
    assert "scripted failure" in results[1].error
    assert [[e.text for e in r.entities] for r in results] == [["Roma"], [], ["Roma"], []]


def _token_adapter(folder: Path, base: Path, labels=("PER", "ORG", "LOC")) -> Path:
    folder.mkdir(parents=True)
    (folder / "adapter_config.json").write_text(json.dumps({"peft_type": "LORA", "r": 16,
                                                            "base_model_name_or_path": str(base)}))
    (folder / "extract_entities.json").write_text(json.dumps({"method": "tokens", "entity_labels": list(labels),
                                                              "base_model": str(base), "schema": "kind"}))
    return folder


@pytest.fixture
def base(tmp_path: Path) -> Path:
    folder = tmp_path / "base"
    folder.mkdir()
    (folder / "config.json").write_text("{}")
    return folder


@pytest.mark.parametrize(("method", "n_adapters", "schema", "error"), [
    pytest.param(None, 1, "italian_email", None, id="method-from-adapter-metadata"),
    pytest.param("tokens", 1, "kind", None, id="explicit-tokens"),
    pytest.param("generative", 1, "italian_email", "cannot serve adapters trained for the tokens method",
                 id="generative-refuses-a-token-adapter"),
    pytest.param(None, 2, "italian_email", "exactly one token-classification adapter", id="two-token-adapters"),
])
def test_the_method_comes_from_the_adapter(tmp_path, base, method, n_adapters, schema, error):
    specs = tuple(f"a{i}={_token_adapter(tmp_path / f'a{i}', base)}" for i in range(n_adapters))
    call = lambda: prepare_model(str(base), specs, merge=False, settings=load_settings(),
                                 schema=load_schema(schema), method=method)
    if error is None:
        prepared = call()
        assert prepared.method == "tokens" and prepared.merged == "a0"
    else:
        with pytest.raises(ConfigError, match=error):
            call()


def test_a_token_adapter_whose_labels_the_schema_lacks_is_refused(tmp_path, base):
    spec = f"a={_token_adapter(tmp_path / 'a', base, labels=('PER', 'MISC'))}"
    with pytest.raises(ConfigError, match=r"tags MISC, which schema .* lacks: pass --schema kind"):
        prepare_model(str(base), (spec,), merge=False, settings=load_settings(), schema=load_schema("kind"))


def _example(text: str, tokens: list[str], spans: list[tuple[int, int, str]]) -> Example:
    offsets, pos = [], 0
    for tok in tokens:
        pos = text.index(tok, pos)
        offsets.append((pos, pos + len(tok)))
        pos += len(tok)
    return Example(text, tuple(Span(*s) for s in spans), "x", token_offsets=tuple(offsets))


@pytest.mark.parametrize(("pred", "tp", "fp", "fn"), [
    pytest.param([(0, 11, "PER")], 2, 0, 1, id="one-of-two-entities"),
    pytest.param([(0, 5, "PER"), (15, 21, "LOC")], 2, 1, 1, id="partial-span-counts-its-tokens"),
    pytest.param([(0, 11, "ORG"), (15, 21, "LOC")], 1, 3, 2, id="wrong-label"),
    pytest.param([], 0, 0, 3, id="nothing-predicted"),
])
def test_token_level_f1_counts_tokens_without_prefixes(pred, tp, fp, fn):
    ex = _example("Mario Rossi a Milano!", ["Mario", "Rossi", "a", "Milano", "!"], [(0, 11, "PER"), (14, 20, "LOC")])
    fixed = [Span(s, min(e, len(ex.text)), lab) for s, e, lab in pred]
    result = token_level_f1([ex], [fixed], ["PER", "LOC", "ORG"])
    micro = result["micro"]
    assert (micro["tp"], micro["fp"], micro["fn"]) == (tp, fp, fn)


def test_train_tokens_refuses_generative_only_options():
    res = CliRunner().invoke(main, ["train", "--method", "tokens", "--data", "kind:WN_train", "--shots", "2"])
    assert res.exit_code == 1 and "--method tokens does not take --shots" in res.output
