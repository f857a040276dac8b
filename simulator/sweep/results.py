"""A sweep's results: :class:`SweepResult` and its files (samples, one per output, manifest)."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd
import xarray as xr

from simulator.atomic import atomic_write
from simulator.sweep.description import Sweep

__all__ = ["FORMATS", "SweepResult"]


@dataclass(frozen=True)
class _Format:
    suffix: str
    write: Callable[[xr.Dataset, Path], None]
    read: Callable[[Path], xr.Dataset]


def _read_netcdf(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="netcdf4") as ds:
        return ds.load()


#: Output file formats by name.
FORMATS: dict[str, _Format] = {
    "netcdf": _Format(".nc", lambda ds, p: ds.to_netcdf(p, engine="netcdf4"), _read_netcdf),
}


@dataclass(frozen=True)
class SweepResult:
    """What a sweep produced.

    Attributes
    ----------
    sweep : Sweep
    samples : xarray.Dataset
        ``X`` with dims ``(run, parameter)``: the sample matrix.
    outputs : mapping of str -> xarray.Dataset
        One per output key. ``value`` has dims ``(scenario, run[, time])``.
        Index methods add each index with dims ``(scenario[, time], factor)``
        (``factor_j`` too for S2) and its confidence half-width ``<index>_conf``;
        band methods add ``quantile`` ``(scenario[, time], percentile)``, ``mean``
        and ``std``. ``scenario`` lists the base, the compared policies, and then
        each policy minus the base (``effect`` is True for those).
    provenance : mapping
        Model and sweep hashes, seed, method, N, versions; also in every
        Dataset's ``attrs``.
    """

    sweep: Sweep
    samples: xr.Dataset
    outputs: Mapping[str, xr.Dataset]
    provenance: Mapping[str, Any] = field(default_factory=dict)

    MANIFEST: ClassVar[str] = "sweep.json"

    def __getitem__(self, key: str) -> xr.Dataset:
        try:
            return self.outputs[key]
        except KeyError:
            raise KeyError(f"no output '{key}'; outputs are {', '.join(self.outputs)}") from None

    def summary(self) -> pd.DataFrame:
        """Headline numbers at each output's last time: indices per factor, or percentiles.

        Returns
        -------
        pandas.DataFrame
            Indexed by (output, scenario[, factor]).
        """
        frames = []
        for key, ds in self.outputs.items():
            last = ds.isel(time=-1) if "time" in ds.dims else ds
            if "factor" in ds.dims:
                names = [n for n in ds.attrs.get("headline_indices", "").split() if n in ds]
                names += [f"{n}_conf" for n in names if f"{n}_conf" in ds]
                frame = last[names].to_dataframe()[names]
            else:
                quantile = last["quantile"]
                frame = pd.DataFrame(
                    quantile.values.reshape(-1, quantile.sizes["percentile"]),
                    index=pd.Index(quantile["scenario"].values, name="scenario"),
                    columns=[f"p{p:g}" for p in quantile["percentile"].values],
                )
            frame = pd.concat({key: frame}, names=["output"])
            frames.append(frame)
        return pd.concat(frames)

    def save(self, directory: str | Path, *, format: str = "netcdf") -> list[Path]:
        """Write the samples, each output and a manifest, each file atomically.

        Parameters
        ----------
        directory : str or Path
            Created if missing; files in it with the same names are replaced.
        format : str
            A key of :data:`FORMATS`.

        Returns
        -------
        list of Path
            ``samples.nc``, one file per output, and ``sweep.json`` (the sweep, the
            provenance and which file holds which output).
        """
        fmt = FORMATS[format]
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        written = [directory / f"samples{fmt.suffix}"]
        atomic_write(written[0], lambda p: fmt.write(self.samples, p))
        files: dict[str, str] = {}
        for key, ds in self.outputs.items():
            name = _slug(key, set(files.values())) + fmt.suffix
            files[key] = name
            written.append(directory / name)
            atomic_write(written[-1], functools.partial(fmt.write, ds))
        manifest = {
            "format": format,
            "sweep": self.sweep.model_dump(mode="json"),
            "provenance": dict(self.provenance),
            "outputs": files,
        }
        written.append(directory / self.MANIFEST)
        text = json.dumps(manifest, indent=2)
        atomic_write(written[-1], lambda p: p.write_text(text, encoding="utf-8"))
        return written

    @classmethod
    def load(cls, directory: str | Path) -> SweepResult:
        """Read a result written by :meth:`save`."""
        directory = Path(directory)
        manifest = json.loads((directory / cls.MANIFEST).read_text(encoding="utf-8"))
        fmt = FORMATS[manifest["format"]]
        outputs = {key: fmt.read(directory / name) for key, name in manifest["outputs"].items()}
        samples = fmt.read(directory / f"samples{fmt.suffix}")
        sweep = Sweep.model_validate(manifest["sweep"])
        return cls(sweep, samples, outputs, manifest["provenance"])


def _slug(key: str, taken: Iterable[str]) -> str:
    base = re.sub(r"[^0-9a-zA-Z]+", "_", key).strip("_").lower() or "output"
    taken = {Path(t).stem for t in taken}
    name, k = base, 2
    while name in taken or name == "samples":
        name, k = f"{base}_{k}", k + 1
    return name
