"""The installed version of this package, for provenance."""

from __future__ import annotations

import functools

__all__ = ["package_version"]


@functools.cache
def package_version() -> str:
    """The installed version of this package."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cbec-sd")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0+unknown"
