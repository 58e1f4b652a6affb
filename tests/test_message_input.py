"""What a whole-message classifier reads of a message (``reads``): the composed text, the pipeline that
hands it to the method while the recognizers keep reading the body, the adapter metadata, the trainer
option. No model: a scripted classifier records what it was given."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from sequence_adapters import weightless_adapter

from extractor.adapters import load_adapter
from extractor.cli import main
from extractor.errors import ConfigError
from extractor.message_input import BODY, SUBJECT_BODY, message_input
from extractor.methods import build_method
from extractor.pipeline import ExtractOptions, Extractor
from extractor.records import RawMessage
from extractor.sequence.classifier import SequenceClassifier, SequenceEngineConfig
from extractor.sinks import JsonlSink
from schemas import NO_ENTITIES, load_schema
from schemas.classes import SPAM
from training.classify_data import LabelledText, split_texts
from training.sequence_trainer import SequenceTrainConfig


@pytest.mark.parametrize(("body", "subject", "reads", "expected"), [
    pytest.param("Ciao", "Offerta", SUBJECT_BODY, "Subject: Offerta\n\nCiao", id="subject-then-body"),
    pytest.param("Ciao", "Offerta", BODY, "Ciao", id="body-alone"),
    pytest.param("Ciao", None, SUBJECT_BODY, "Ciao", id="no-subject"),
    pytest.param("Ciao", "  \t ", SUBJECT_BODY, "Ciao", id="blank-subject"),
    pytest.param("Ciao", "Re: la\n riunione  di lunedì", SUBJECT_BODY, "Subject: Re: la riunione di lunedì\n\nCiao",
                 id="folded-subject-one-line"),
    pytest.param("", "WIN $$$", SUBJECT_BODY, "Subject: WIN $$$\n\n", id="empty-body"),
])
def test_message_input(body: str, subject: str | None, reads: str, expected: str):
    assert message_input(body, subject, reads) == expected


def test_an_unknown_reading_is_refused():
    with pytest.raises(ValueError, match="reads must be one of body, subject"):
        message_input("x", "y", "headers")


def test_a_labelled_message_reads_as_asked():
    ex = LabelledText("spam-1/00001", "Clicca qui", "spam", subject="Vinci ora")
    assert (ex.read(SUBJECT_BODY), ex.read(BODY)) == ("Subject: Vinci ora\n\nClicca qui", "Clicca qui")
    assert LabelledText("1", "Bel film", "positive").read(SUBJECT_BODY) == "Bel film"


class RecordingClassifier:
    """Spam when the text it is given says 'Vinci'; remembers every text."""

    labels = ("ham", "spam")

    def __init__(self, reads: str | None) -> None:
        self.min_scores: dict[str, float] = {}
        if reads is not None:
            self.reads = reads
        self.seen: list[str] = []

    def encode(self, text: str) -> list[int]:
        return list(range(len(text.split())))

    def distributions(self, texts):
        self.seen += texts
        return [{"ham": 0.2, "spam": 0.8} if "Vinci" in t else {"ham": 0.9, "spam": 0.1} for t in texts]


def _raw(key: str, subject: str, body: str) -> RawMessage:
    return RawMessage("box", key, f"Message-ID: <{key}@x.it>\nSubject: {subject}\nFrom: a@b.it\n\n{body}\n".encode())


@pytest.mark.parametrize(("reads", "seen", "labels"), [
    pytest.param(SUBJECT_BODY, ["Subject: Vinci un premio\n\nScrivi a info@premi.it oggi.",
                                "Subject: Verbale\n\nIn allegato."], ["spam", "ham"], id="subject-and-body"),
    pytest.param(BODY, ["Scrivi a info@premi.it oggi.", "In allegato."], ["ham", "ham"], id="body"),
    pytest.param(None, ["Scrivi a info@premi.it oggi.", "In allegato."], ["ham", "ham"], id="unsaid-is-body"),
])
def test_the_pipeline_gives_the_method_what_it_reads(tmp_path: Path, reads: str | None, seen: list[str],
                                                     labels: list[str]):
    """The classifier gets the Subject line when it reads it; the recognizers' spans stay on the body's offsets."""
    classifier = RecordingClassifier(reads)
    options = ExtractOptions(schema=load_schema("italian_email"), batch_size=4, classes=(SPAM,))
    extractor = Extractor(build_method("sequence", classifier=classifier, options=options, class_name="spam"),
                          options, model_name="tiny")
    out = tmp_path / "out.jsonl"
    extractor.run([_raw("1", "Vinci un premio", "Scrivi a info@premi.it oggi."), _raw("2", "Verbale", "In allegato.")],
                  JsonlSink(out), JsonlSink(tmp_path / "err.jsonl"))
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [t.strip() for t in classifier.seen] == seen
    assert [r["classes"]["spam"] for r in records] == labels
    (email,) = [e for e in records[0]["entities"] if e["label"] == "EMAIL"]
    assert "Scrivi a info@premi.it oggi."[email["start"]:email["end"]] == "info@premi.it" == email["text"]


def test_a_sequence_method_reads_what_its_classifier_reads():
    options = ExtractOptions(schema=NO_ENTITIES, classes=(SPAM,))
    method = build_method("sequence", classifier=RecordingClassifier(SUBJECT_BODY), options=options, class_name="spam")
    assert method.reads == SUBJECT_BODY
    assert SequenceEngineConfig(model="m").reads == BODY
    with pytest.raises(ValueError, match="reads must be one of"):
        SequenceEngineConfig(model="m", reads="headers")


def test_an_adapter_with_an_unknown_reading_is_a_config_error(tmp_path: Path):
    base, folder = weightless_adapter(tmp_path, {"method": "sequence", "class_schema": "spam",
                                                 "labels": ["ham", "spam"], "reads": "headers"})
    with pytest.raises(ConfigError, match="reads 'headers', not one of body, subject\\+body"):
        SequenceClassifier.for_adapter(load_adapter("s", folder), str(base), tmp_path / "cache")


def test_the_trainer_reads_subject_and_body_unless_told():
    assert SequenceTrainConfig(data="spamassassin:train").reads == SUBJECT_BODY
    with pytest.raises(ValueError, match="reads must be one of body, subject"):
        SequenceTrainConfig(data="spamassassin:train", reads="headers")


def test_split_texts_compose_what_is_read(tmp_path: Path):
    """Synthetic messages in the spamassassin layout through the real mail path: the Subject comes first."""
    for folder, subject in (("easy-ham-1", "Verbale"), ("spam-1", "Vinci ora")):
        (tmp_path / "spamassassin" / folder).mkdir(parents=True)
        for n in range(10):
            (tmp_path / "spamassassin" / folder / f"{n:05d}.txt").write_bytes(
                f"Subject: {subject} {n}\nFrom: a@b.it\n\nTesto {n}.\n".encode())
    read = split_texts("spamassassin:train", tmp_path, None, SUBJECT_BODY)
    plain = split_texts("spamassassin:train", tmp_path, None)
    assert read and all(ex.text.startswith("Subject: ") and ex.subject is None for ex in read)
    assert [ex.text.split("\n\n", 1)[1] for ex in read] == [ex.text for ex in plain]
    assert all(ex.text.startswith("Testo") for ex in plain)


@pytest.mark.parametrize(("args", "exit_code", "expected"), [
    pytest.param(["--task", "classify", "--method", "sequence", "--data", "spamassassin:train", "--reads", "body"], 0,
                 "body", id="reaches-the-config"),
    pytest.param(["--method", "tokens", "--data", "kind:WN_train", "--reads", "body"], 1,
                 "--reads is an option of --method sequence --task classify", id="tokens-refuse-it"),
])
def test_the_reads_option(monkeypatch: pytest.MonkeyPatch, args: list[str], exit_code: int, expected: str):
    seen: list = []
    monkeypatch.setattr("training.sequence_trainer.train_sequence", lambda config: seen.append(config) or Path("o"))
    result = CliRunner().invoke(main, ["train", *args])
    assert result.exit_code == exit_code, result.output
    assert (seen[0].reads == expected) if exit_code == 0 else (expected in result.output)
