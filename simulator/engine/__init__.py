"""Compilation of the IR to vectorised numpy closures, and the batched run loop."""
