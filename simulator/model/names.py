"""Vensim-style name matching: case-, space- and underscore-insensitive."""

from __future__ import annotations

import difflib
import re

__all__ = ["canonical", "suggest"]

_SEPARATORS = re.compile(r"[\s_]+")


def canonical(name: str) -> str:
    """The identifier of a Vensim name.

    Examples
    --------
    >>> canonical("CBEC  Trade_volume ")
    'cbec_trade_volume'
    >>> canonical('"quoted name"')
    'quoted_name'
    """
    return _SEPARATORS.sub("_", name.strip().strip('"').strip().lower())


def suggest(name: str, candidates: list[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``name``, best first.

    Examples
    --------
    >>> suggest("tax incentiv", ["tax incentive", "tariff cut", "time"])
    ['tax incentive']
    """
    by_ident = {canonical(c): c for c in candidates}
    close = difflib.get_close_matches(canonical(name), list(by_ident), n=n, cutoff=0.6)
    return [by_ident[c] for c in close]
