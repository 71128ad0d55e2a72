"""Video and image plumbing: ffmpeg, probing, frames, merging, image validation."""
