"""From a brief to a finished video: writing, rendering, post-processing."""
