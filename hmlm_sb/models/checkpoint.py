"""Checkpoints as data: a zip of ``format.json`` (format name and version, model name and
class, hyper-parameters), ``state.json`` (the fitted attributes as a JSON tree whose leaves
refer to arrays), ``arrays.npz`` (numpy arrays, read with ``allow_pickle=False``) and
``tensors.pt`` (torch tensors, read with ``weights_only=True``).

- A torch module attribute is stored as its ``state_dict``; the model rebuilds the empty
  module from its other attributes in ``_restore_modules()`` before the weights are loaded.
- Dataclasses of the package (compiled networks) are stored field by field.
- The documented exceptions, stored as a pickle inside the zip with the library version
  (``blobs/``): scikit-learn estimators (the Random-Forest ensemble: sklearn has no
  array format for trees), and a model that holds a torch module but has no
  ``_restore_modules()`` (``storage: "pickle"`` in format.json; no registered model today:
  the HMLM and ude-mlp rebuild theirs from the prior network they keep as JSON).

A file in another format (the pickles of format 0) gives one clear line naming the file.
"""
from __future__ import annotations

import dataclasses
import importlib
import io
import json
import pickle
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from hmlm_sb.errors import InputError

FORMAT = "hmlm-sb-model"
VERSION = 1


class _Store:
    def __init__(self) -> None:
        self.arrays: dict[str, np.ndarray] = {}
        self.tensors: dict[str, Any] = {}
        self.blobs: dict[str, bytes] = {}
        self.modules: dict[str, Any] = {}

    def key(self, kind: str) -> str:
        return f"{kind}{len(self.arrays) + len(self.tensors) + len(self.blobs) + len(self.modules)}"


def save_model(model, path: str | Path) -> None:
    """Write ``model`` (a fitted or unfitted DynamicsModel) to ``path``."""
    params = model.get_params()
    state = {k: v for k, v in vars(model).items() if k not in params}
    meta = {"format": FORMAT, "version": VERSION, "model": type(model).name,
            "class": f"{type(model).__module__}:{type(model).__qualname__}",
            "params": _encode(params, _Store(), strict=True), "storage": "data"}
    store = _Store()
    try:
        tree = _encode(state, store)
        if store.modules and not hasattr(model, "_restore_modules"):
            raise TypeError("a torch module without _restore_modules()")
    except TypeError as exc:
        meta["storage"], meta["why"] = "pickle", str(exc)
        store, tree = _Store(), None
        store.blobs["model"] = pickle.dumps(model)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("format.json", json.dumps(meta, indent=1))
        if tree is not None:
            zf.writestr("state.json", json.dumps(tree))
        if store.arrays:
            buffer = io.BytesIO()
            np.savez(buffer, **store.arrays)
            zf.writestr("arrays.npz", buffer.getvalue())
        if store.tensors:
            import torch

            buffer = io.BytesIO()
            torch.save(store.tensors, buffer)
            zf.writestr("tensors.pt", buffer.getvalue())
        for key, blob in store.blobs.items():
            zf.writestr(f"blobs/{key}", blob)


def read_format(path: str | Path) -> dict[str, Any]:
    """The ``format.json`` of a checkpoint; one clear InputError for anything else."""
    if not zipfile.is_zipfile(path):
        raise InputError(f"not a {FORMAT} checkpoint of version {VERSION} (an older pickled checkpoint?); "
                         "retrain the run (`hmlm retrain --force`)", file=str(path))
    with zipfile.ZipFile(path) as zf:
        try:
            meta = json.loads(zf.read("format.json"))
        except KeyError:
            raise InputError("checkpoint has no format.json", file=str(path)) from None
    if meta.get("format") != FORMAT or meta.get("version") != VERSION:
        raise InputError(f"checkpoint format {meta.get('format')!r} version {meta.get('version')!r}; this build "
                         f"reads {FORMAT!r} version {VERSION}: retrain the run", file=str(path))
    return meta


def load_model(path: str | Path):
    """The model stored in ``path`` (see the module docstring)."""
    meta = read_format(path)
    module, _, qualname = meta["class"].partition(":")
    if not module.startswith("hmlm_sb."):
        raise InputError(f"checkpoint names a class outside hmlm_sb: {meta['class']}", file=str(path))
    cls = getattr(importlib.import_module(module), qualname)
    with zipfile.ZipFile(path) as zf:
        names = set(zf.namelist())
        if meta["storage"] == "pickle":
            return pickle.loads(zf.read("blobs/model"))
        store = _Store()
        if "arrays.npz" in names:
            with np.load(io.BytesIO(zf.read("arrays.npz")), allow_pickle=False) as z:
                store.arrays = {k: z[k] for k in z.files}
        if "tensors.pt" in names:
            import torch

            store.tensors = torch.load(io.BytesIO(zf.read("tensors.pt")), weights_only=True)
        store.blobs = {n[len("blobs/"):]: zf.read(n) for n in names if n.startswith("blobs/")}
        tree = json.loads(zf.read("state.json"))
    params = _decode(meta["params"], store)
    upgrade = getattr(cls, "upgrade_params", None)
    model = cls(**(upgrade(params) if callable(upgrade) else params))
    modules: dict[str, dict] = {}
    for key, value in _decode(tree, store, modules).items():
        setattr(model, key, value)
    if modules:
        model._restore_modules()
        for name, state in modules.items():
            try:
                getattr(model, name).load_state_dict(state)
            except RuntimeError as exc:
                first = str(exc).splitlines()[0]
                raise InputError(f"checkpoint does not fit this version's {meta['class']} ({first}); "
                                 "retrain the run", file=str(path)) from None
    return model


# ---- the JSON tree ---------------------------------------------------------------------------
def _encode(value: Any, store: _Store, strict: bool = False) -> Any:
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        if value.dtype == object:
            raise TypeError("an object array")
        key = store.key("a")
        store.arrays[key] = value
        return {"__array__": key}
    if isinstance(value, (list, tuple)):
        return {"__list__" if isinstance(value, list) else "__tuple__": [_encode(v, store, strict) for v in value]}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _encode(v, store, strict) for k, v in value.items()}}
        return {"__items__": [[_encode(k, store, strict), _encode(v, store, strict)] for k, v in value.items()]}
    if strict:
        raise TypeError(f"hyper-parameter of type {type(value).__name__}")
    if dataclasses.is_dataclass(value) and type(value).__module__.startswith("hmlm_sb."):
        fields = {f.name: _encode(getattr(value, f.name), store) for f in dataclasses.fields(value)}
        return {"__dataclass__": f"{type(value).__module__}:{type(value).__qualname__}", "fields": fields}
    kind = type(value).__module__.split(".")[0]
    torch = sys.modules.get("torch")
    if torch is not None:  # modules of hmlm_sb's own (the HMLM's HybridODE) are torch modules too
        if isinstance(value, torch.nn.Module):
            key = store.key("m")
            store.modules[key] = True
            store.tensors[key] = {k: v.detach().clone() for k, v in value.state_dict().items()}
            return {"__module__": key}
        if isinstance(value, torch.Tensor):
            key = store.key("t")
            store.tensors[key] = value.detach().clone()
            return {"__tensor__": key, "grad": bool(value.requires_grad)}
    if kind == "sklearn":
        import sklearn

        key = store.key("b")
        store.blobs[key] = pickle.dumps(value)
        return {"__sklearn__": key, "version": sklearn.__version__}
    raise TypeError(f"cannot store a {type(value).__name__} as data")


def _decode(value: Any, store: _Store, modules: dict | None = None, name: str = "") -> Any:
    if not isinstance(value, dict):
        return value
    if "__array__" in value:
        return store.arrays[value["__array__"]]
    if "__list__" in value:
        return [_decode(v, store, modules) for v in value["__list__"]]
    if "__tuple__" in value:
        return tuple(_decode(v, store, modules) for v in value["__tuple__"])
    if "__dict__" in value:
        return {k: _decode(v, store, modules, k) for k, v in value["__dict__"].items()}
    if "__items__" in value:
        return {_decode(k, store, modules): _decode(v, store, modules) for k, v in value["__items__"]}
    if "__dataclass__" in value:
        module, _, qualname = value["__dataclass__"].partition(":")
        if not module.startswith("hmlm_sb."):
            raise InputError(f"checkpoint names a class outside hmlm_sb: {value['__dataclass__']}")
        cls = getattr(importlib.import_module(module), qualname)
        return cls(**{k: _decode(v, store, modules) for k, v in value["fields"].items()})
    if "__tensor__" in value:
        tensor = store.tensors[value["__tensor__"]]
        return tensor.requires_grad_(True) if value.get("grad") and tensor.is_floating_point() else tensor
    if "__module__" in value:
        if modules is not None:
            modules[name] = store.tensors[value["__module__"]]
        return None  # rebuilt by the model's _restore_modules()
    if "__sklearn__" in value:
        return pickle.loads(store.blobs[value["__sklearn__"]])
    raise InputError(f"unknown entry in checkpoint state: {sorted(value)}")
