"""Model files on disk, and the one way to write any file atomically.

A trained model (a ranker, the distilled parser) is one ``.npz``: numpy arrays plus a JSON
header, written beside the target and moved over it. Reading needs numpy only, never torch
and never pickle: torch is for training, and importing it costs about 2 s on every command
that merely *uses* a model. Checkpoints written before this format (``.pt``, ``torch.save`` of
a dict of tensors) are still read, through torch, by ``load_weights``.
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

import numpy as np

SUFFIX = ".npz"
LEGACY_SUFFIX = ".pt"
_HEADER = "__header__"


class WeightsError(ValueError):
    """A model file that cannot be read (truncated, foreign, or of an unknown format)."""


def atomic_write(path: Path, data: str | bytes) -> None:
    """Readers see the old file or the new one, never half of it."""
    path = Path(path)
    # a temporary name of its own, so two processes writing the same file never share one
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data if isinstance(data, bytes) else data.encode("utf-8"))
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide a shared home's files from others
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save_weights(path: Path, header: dict, arrays: dict[str, np.ndarray]) -> Path:
    """Writes ``header`` (JSON-able) and ``arrays`` to ``path`` (an ``.npz``), atomically. The
    same content gives the same bytes (no timestamps inside), so shipped models can be
    rebuilt and compared by hash."""
    path = Path(path)
    if _HEADER in arrays:
        raise ValueError(f"{_HEADER!r} is reserved")
    tmp = path.with_name(path.name + ".tmp")
    entries = {_HEADER: np.asarray(json.dumps(header, sort_keys=True)), **arrays}
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            with zf.open(info, "w", force_zip64=True) as fh:
                array = np.asarray(entries[name])
                # ascontiguousarray would make a 0-d array (the header) 1-d
                np.lib.format.write_array(fh, np.ascontiguousarray(array) if array.ndim else array,
                                          allow_pickle=False)
    os.replace(tmp, path)
    return path


def load_weights(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """(header, arrays) of a file ``save_weights`` wrote; a legacy ``.pt`` gives its dict's
    non-tensor entries as the header and its tensors as arrays (nested dicts flattened with
    ``/``: ``state/weight``)."""
    path = Path(path)
    try:
        if path.suffix == LEGACY_SUFFIX:
            return _load_legacy(path)
        with np.load(path, allow_pickle=False) as npz:
            arrays = {k: npz[k] for k in npz.files}
    except Exception as exc:  # zip, pickle, torch and numpy each fail their own way on a bad file
        raise WeightsError(f"cannot read {path}: {exc}") from exc
    if _HEADER not in arrays:
        raise WeightsError(f"{path} is not a RecPilot model file (no header)")
    header = json.loads(str(arrays.pop(_HEADER)))
    return header, arrays


def weights_path(folder: Path, name: str) -> Path | None:
    """``folder/name.npz``, else a legacy ``folder/name.pt``, else None."""
    for suffix in (SUFFIX, LEGACY_SUFFIX):
        path = Path(folder) / f"{name}{suffix}"
        if path.exists():
            return path
    return None


def _load_legacy(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    import torch

    blob = torch.load(path, map_location="cpu", weights_only=True)
    header: dict = {}
    arrays: dict[str, np.ndarray] = {}

    def walk(prefix: str, value) -> None:
        if isinstance(value, torch.Tensor):
            arrays[prefix] = value.detach().cpu().numpy()
        elif isinstance(value, dict) and prefix:
            for k, v in value.items():
                walk(f"{prefix}/{k}", v)
        else:
            header[prefix] = value

    for key, value in blob.items():
        if isinstance(value, dict) and any(isinstance(v, torch.Tensor) for v in value.values()):
            walk(key, value)
        elif isinstance(value, torch.Tensor):
            arrays[key] = value.detach().cpu().numpy()
        else:
            header[key] = value
    return header, arrays
