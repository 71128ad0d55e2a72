"""Offline engine: scripts, keyframes and interpolated clips with no network."""
