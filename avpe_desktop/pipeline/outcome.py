"""What a render and a retry came to, in the words the CLI and the queue panel both use.

A render that lost segments still merges the ones it made, so the creator has something to
watch; these words make sure that video is never taken for the whole one ("finished with 1
failed segment", "partial video"), and that a retry says what it changed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable

from avpe_desktop.domain import Job, JobStatus, RenderResult, Step, StepKind, StepStatus

_STOPPED = (StepStatus.FAILED, StepStatus.SKIPPED)


def counted(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def numbers_text(numbers: Iterable[int]) -> str:
    """`3`, `2 and 3`, `1, 2 and 4`."""
    words = [str(n) for n in sorted(numbers)]
    if len(words) < 2:
        return "".join(words)
    return f"{', '.join(words[:-1])} and {words[-1]}"


def segments_text(numbers: Collection[int]) -> str:
    """`segment 3`, `segments 2 and 3`."""
    return f"segment{'' if len(numbers) == 1 else 's'} {numbers_text(numbers)}"


def failed_label(failed: int) -> str:
    return f"Finished with {counted(failed, 'failed segment')}"


def failure_text(result: RenderResult) -> str:
    """The job's error when segments failed: how many, which, and the first one's reason."""
    failed = result.failed_segments
    first = failed[0]
    head = (
        f"All {counted(len(failed), 'segment')} failed"
        if result.success_count == 0
        else failed_label(len(failed))
    )
    return f"{head} ({segments_text(failed)}). Segment {first}: {result.errors[first]}"


def partial_note(result: RenderResult) -> str:
    """What the merged video holds when segments are missing."""
    return (
        f"The merged video is partial: {result.success_count} of {result.total_segments} segments."
    )


def failed_steps(steps: Iterable[Step]) -> set[int]:
    """Segments whose newest clip step failed or was skipped (a retry may have added a
    newer, finished one beside an old failed one)."""
    newest: dict[int, Step] = {}
    for step in steps:
        if step.kind is StepKind.VIDEO and step.segment is not None:
            newest[step.segment] = step
    return {number for number, step in newest.items() if step.status in _STOPPED}


def retry_report(retried: Collection[int], job: Job) -> list[str]:
    """One line per segment the retry was for: rendered, or failed again and why."""
    result = job.result
    lines = []
    for number in sorted(retried):
        if result is not None and number in result.errors:
            lines.append(f"Segment {number} failed again: {result.errors[number]}")
        elif result is not None and job.status in (JobStatus.DONE, JobStatus.PARTIAL):
            lines.append(f"Segment {number} rendered.")
        else:
            reason = job.error or job.status.value
            lines.append(f"Segment {number} was not rendered: {reason}")
    return lines
