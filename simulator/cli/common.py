"""Small helpers every subcommand uses: quiet output, one-line messages, a settled heap."""

from __future__ import annotations

import argparse
import gc

__all__ = ["one_line", "say", "settle"]


def settle() -> None:
    """Exempt everything alive now (modules, the model) from later garbage collections.

    Plotting makes many short-lived cyclic objects; without this, each collection
    rescans the large, long-lived heap that imports and the model left behind.
    """
    gc.collect()
    gc.freeze()


def say(args: argparse.Namespace, text: str) -> None:
    """Print ``text`` unless ``--quiet`` was given."""
    if not args.quiet:
        print(text)


def one_line(exc: object) -> str:
    """``str(exc)`` with its whitespace (newlines included) collapsed to single spaces."""
    return " ".join(str(exc).split())
