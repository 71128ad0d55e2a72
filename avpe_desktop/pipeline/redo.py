"""What resuming a job has to make again because files went missing, and what that costs.

A project folder can be deleted, moved or cleared (a full disk) between a pause and a resume.
What the job can rebuild from the library costs nothing (the character image, content.json);
paid results that are gone are made again, and the creator sees the price first. A clip whose
Veo operation is recorded is fetched again from Google for free while Google keeps it (about
two days), and only otherwise started again. Keyframes chain, so a repainted keyframe that
comes out different changes every keyframe and clip after it: `at_most_usd` counts that.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from avpe_desktop.domain import Job, Step, StepKind, StepStatus
from avpe_desktop.pipeline.costs import Prices
from avpe_desktop.pipeline.steps import kept_result
from avpe_desktop.storage.layout import ProjectLayout
from avpe_desktop.storage.repository import LibraryRepository


@dataclass(frozen=True)
class RedoPlan:
    """One job's lost results and the inputs it rebuilds, priced before anything is paid."""

    job: Job
    lost: tuple[Step, ...]
    rebuilt: tuple[str, ...]
    """What is made again for free: inputs from the library ("the character image") and a
    done job's published videos from its results."""
    cost_usd: float
    """The lost results at list prices, counting clips Google still holds as free."""
    at_most_usd: float
    """The same if Google no longer holds those clips and repainted keyframes change the
    clips after them."""

    @property
    def anything(self) -> bool:
        return bool(self.lost or self.rebuilt)

    @property
    def needs_consent(self) -> bool:
        return self.at_most_usd > 0

    def describe(self) -> list[str]:
        """Lines for the CLI: what is redone, what is rebuilt, and the price."""
        lines = [f"Job {self.job.id[:8]} ('{self.job.extra.get('title', '')}'):"]
        keyframes = sum(1 for s in self.lost if s.kind is StepKind.KEYFRAME)
        thumbnail = any(s.kind is StepKind.THUMBNAIL for s in self.lost)
        clips = sorted(s.segment or 0 for s in self.lost if s.kind is StepKind.VIDEO)
        polled = sorted(
            s.segment or 0 for s in self.lost if s.kind is StepKind.VIDEO and s.operation_name
        )
        images = [_count(keyframes, "keyframe")] if keyframes else []
        images += ["the thumbnail"] if thumbnail else []
        if images:
            lines.append(f"  {' and '.join(images)} to paint again")
        if clips:
            lines.append(f"  clips of segments {_numbers(clips)} to make again")
        if polled:
            lines.append(
                f"  (segments {_numbers(polled)}: fetched again from Google for free while it "
                "keeps them, about two days)"
            )
        if self.rebuilt:
            lines.append(f"  rebuilt for free: {', '.join(self.rebuilt)}")
        if self.at_most_usd <= 0:
            lines.append("  cost: nothing (the offline engine is free)")
        elif self.at_most_usd > self.cost_usd:
            lines.append(
                f"  cost: about ${self.cost_usd:.2f}, at most ${self.at_most_usd:.2f} if "
                "repainted keyframes change the clips after them or Google no longer has them"
            )
        else:
            lines.append(f"  cost: about ${self.cost_usd:.2f}")
        return lines


def plan_redo(
    library: LibraryRepository,
    job: Job,
    layout: ProjectLayout,
    prices: Prices,
    rebuilt: Sequence[str] = (),
) -> RedoPlan:
    """The job's DONE steps whose result is nowhere to be found (not in `.steps/`, not in a
    published copy, not in another job's record), with their price."""
    steps = library.list_steps(job.id)
    lost = tuple(s for s in steps if s.status is StepStatus.DONE and not _kept(library, s, layout))
    durations = {
        int(segment["segment"]): int(segment.get("duration") or job.settings.duration)
        for segment in job.extra.get("content", {}).get("segments", [])
    }

    def price(step: Step) -> float:
        if step.kind is StepKind.VIDEO:
            return prices.video(durations.get(step.segment or 0, job.settings.duration))
        return prices.per_image

    cost = sum(price(s) for s in lost if not (s.kind is StepKind.VIDEO and s.operation_name))
    frames = [s.segment or 1 for s in lost if s.kind is StepKind.KEYFRAME]
    first_changed = min(frames, default=None)
    at_most = sum(
        price(s)
        for s in steps
        if s in lost
        or (
            first_changed is not None
            and s.status is StepStatus.DONE
            and (s.kind is StepKind.THUMBNAIL or (s.segment or 0) >= first_changed)
        )
    )
    return RedoPlan(job, lost, tuple(rebuilt), round(cost, 4), round(at_most, 4))


def _kept(library: LibraryRepository, step: Step, layout: ProjectLayout) -> bool:
    if kept_result(step, layout) is not None:
        return True
    other = library.find_done_step(step.key)
    return other is not None and other.id != step.id and kept_result(other, layout) is not None


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _numbers(numbers: Sequence[int]) -> str:
    return ", ".join(str(n) for n in numbers)
