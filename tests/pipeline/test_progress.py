"""The job fraction and ETA that the CLI's bars and the GUI's queue panel show."""

from __future__ import annotations

from avpe_desktop.pipeline.progress import ProgressEvent, ProgressTracker, Stage


def test_a_clip_in_flight_moves_the_bar_and_finishing_it_counts_once() -> None:
    events: list[ProgressEvent] = []
    tracker = ProgressTracker(segments=2, merge=True, callback=events.append)
    tracker.finished(Stage.KEYFRAME, "opening", None)
    before = events[-1].fraction
    tracker.working(Stage.VIDEO, "clip 1", 1, 0.5)
    halfway = events[-1]
    assert halfway.fraction > before and halfway.step_fraction == 0.5
    tracker.working(Stage.VIDEO, "clip 1", 1, 0.25)  # a poll may report less; never double
    assert events[-1].fraction < halfway.fraction
    tracker.finished(Stage.VIDEO, "clip 1 ready", 1)
    done_one = events[-1].fraction
    tracker.working(Stage.VIDEO, "clip 2", 2, None)  # Veo reports no fraction: nothing moves
    assert events[-1].fraction == done_one
    for stage, segment in [
        (Stage.KEYFRAME, 1),
        (Stage.KEYFRAME, 2),
        (Stage.VIDEO, 2),
        (Stage.THUMBNAIL, None),
        (Stage.MERGE, None),
    ]:
        tracker.finished(stage, "done", segment)
    assert events[-1].fraction == 1.0
    assert events[-1].eta_seconds == 0.0


def test_reused_steps_count_as_done_but_not_towards_the_pace() -> None:
    events: list[ProgressEvent] = []
    tracker = ProgressTracker(segments=1, merge=False, callback=events.append)
    tracker.finished(Stage.KEYFRAME, "reused", None, reused=True)
    assert events[-1].fraction > 0 and events[-1].eta_seconds is None
    tracker.working(Stage.VIDEO, "clip", 1, 0.5)
    assert events[-1].eta_seconds is not None
