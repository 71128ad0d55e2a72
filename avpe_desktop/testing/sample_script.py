"""A small, fixed script for tests and benchmarks: every segment's text differs, so every
keyframe and clip has its own content hash."""

from __future__ import annotations

from avpe_desktop.domain import Content, Segment


def garden_script(segments: int) -> Content:
    return Content(
        title="Floof and the Box",
        segments=[
            Segment(
                segment=i,
                first_frame_description=f"Floof in the garden, moment {i}",
                last_frame_description=f"Floof near the red box, moment {i}",
                scene=f"Scene {i} in the garden",
                action=f"Floof takes step {i} towards the box",
                creature_sounds=["squeak"],
            )
            for i in range(1, segments + 1)
        ],
    )
