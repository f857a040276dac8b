"""Model loading and the frozen model IR."""
