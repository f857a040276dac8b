"""Writing results: atomically, with provenance in every file.

Each writer writes to a hidden temporary file in the destination directory
and then renames it over the destination with :func:`os.replace`, which is
atomic on POSIX and Windows: a reader sees the old file or the complete new
one, never a partial file. If writing fails or is interrupted (including by
Ctrl-C), the temporary file is removed and the destination is untouched.

Provenance (model hash, scenario hash, package version, ...) goes where each
format keeps metadata: NetCDF global attributes, PNG text chunks, an HTML
``<meta>`` block, and ``# key: value`` comment lines at the top of a CSV file
(read it back with ``pandas.read_csv(path, comment="#")``).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import xarray as xr

from simulator.atomic import atomic_write

if TYPE_CHECKING:  # matplotlib is imported by whoever makes a figure, not on import
    from matplotlib.figure import Figure

__all__ = [
    "WRITERS",
    "atomic_write",
    "png_bytes",
    "provenance",
    "slug",
    "write",
    "write_bytes",
    "write_csv",
    "write_html",
    "write_json",
    "write_netcdf",
    "write_png",
]

Provenance = Mapping[str, str]


def provenance(dataset: xr.Dataset) -> dict[str, str]:
    """The provenance of a result: model hash, scenario hash(es), package version.

    For a comparison, ``scenario_hash`` lists ``name=hash`` for every scenario.
    """
    keys = ("model_file", "model_hash", "package_version", "method", "engine")
    out = {k: str(dataset.attrs[k]) for k in keys if k in dataset.attrs}
    if "scenario_hash" in dataset.coords:
        pairs = zip(
            dataset["scenario"].to_numpy(), dataset["scenario_hash"].to_numpy(), strict=True
        )
        out["scenario_hash"] = "; ".join(f"{name}={digest}" for name, digest in pairs)
    elif "scenario_hash" in dataset.attrs:
        out["scenario"] = str(dataset.attrs.get("scenario", ""))
        out["scenario_hash"] = str(dataset.attrs["scenario_hash"])
    return out


def write_csv(frame: pd.DataFrame, path: str | Path, meta: Provenance) -> Path:
    """Write ``frame`` as CSV, provenance as leading ``#`` comment lines.

    Floats are written with full round-trip precision.
    """
    header = "".join(f"# {key}: {_one_line(value)}\n" for key, value in meta.items())
    text = header + frame.to_csv(index=False, lineterminator="\n")
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_netcdf(dataset: xr.Dataset, path: str | Path, meta: Provenance) -> Path:
    """Write ``dataset`` as NetCDF, provenance added to its global attributes."""
    spaced = [c for c in dataset.coords if c not in dataset.dims and " " in str(c)]
    out = dataset.reset_coords(spaced)  # NetCDF cannot mark such names as coordinates
    out.attrs = {**{k: _netcdf_attr(v) for k, v in dataset.attrs.items()}, **meta}
    return atomic_write(path, lambda p: out.to_netcdf(p))


def png_bytes(figure: Figure, meta: Provenance | None = None) -> bytes:
    """``figure`` rendered as PNG, provenance in the file's text chunks."""
    metadata = {key: _one_line(value) for key, value in (meta or {}).items()}
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, metadata=metadata)
    return buffer.getvalue()


def write_png(figure: Figure | bytes, path: str | Path, meta: Provenance) -> Path:
    """Write ``figure`` (or PNG bytes from :func:`png_bytes`) as a PNG file."""
    data = figure if isinstance(figure, bytes) else png_bytes(figure, meta)
    return write_bytes(data, path)


def write_bytes(data: bytes, path: str | Path, meta: Provenance | None = None) -> Path:
    """Write ``data`` as is."""
    return atomic_write(path, lambda p: p.write_bytes(data))


def write_html(text: str, path: str | Path, meta: Provenance | None = None) -> Path:
    """Write an HTML document (its provenance is part of the text)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def write_json(data: Any, path: str | Path, meta: Provenance | None = None) -> Path:
    """Write ``data`` as indented JSON, with ``meta`` under the key ``provenance``."""
    content = {**({"provenance": dict(meta)} if meta else {}), **data}
    text = json.dumps(content, indent=2, sort_keys=True, default=str) + "\n"
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


#: Writers by file suffix.
WRITERS: dict[str, Callable[..., Path]] = {
    ".csv": write_csv,
    ".nc": write_netcdf,
    ".png": write_png,
    ".html": write_html,
    ".json": write_json,
}


def write(obj: Any, path: str | Path, meta: Provenance) -> Path:
    """Write ``obj`` with the writer registered for the suffix of ``path``.

    Raises
    ------
    ValueError
        No writer for that suffix.
    """
    suffix = Path(path).suffix.lower()
    if suffix not in WRITERS:
        raise ValueError(f"no writer for '{suffix}' files; use one of {', '.join(WRITERS)}")
    return WRITERS[suffix](obj, path, meta)


def slug(name: str) -> str:
    """A file-name-safe version of a variable name.

    Examples
    --------
    >>> slug("coupling coordination degree D")
    'coupling_coordination_degree_d'
    """
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") or "output"


def _one_line(value: object) -> str:
    return " ".join(str(value).split())


def _netcdf_attr(value: object) -> Any:
    return (
        value
        if isinstance(value, str | int | float) and not isinstance(value, bool)
        else str(value)
    )
