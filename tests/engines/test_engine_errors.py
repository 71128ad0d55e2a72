"""Engine errors cross process boundaries intact (offline clips render in worker processes)."""

from __future__ import annotations

import pickle

from avpe_desktop.engines.base import SafetyFilteredError, TransientError


def test_safety_error_keeps_its_reason_through_pickle() -> None:
    error = pickle.loads(pickle.dumps(SafetyFilteredError("Blocked by the filter", "IMAGE_SAFETY")))
    assert isinstance(error, SafetyFilteredError)
    assert (str(error), error.reason) == ("Blocked by the filter", "IMAGE_SAFETY")


def test_transient_error_keeps_retry_after_through_pickle() -> None:
    error = pickle.loads(pickle.dumps(TransientError("Busy", retry_after=7.5)))
    assert (str(error), error.retry_after) == ("Busy", 7.5)
