"""Putting the Google engine together: one client and its limits shared by all four roles."""

from __future__ import annotations

from collections.abc import Mapping

from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.google.analyst import GeminiCharacterAnalyst
from avpe_desktop.engines.google.client import ClientOptions, GoogleClient, GoogleCredentials
from avpe_desktop.engines.google.models import GoogleModels
from avpe_desktop.engines.google.painter import GeminiFramePainter
from avpe_desktop.engines.google.runtime import GoogleRuntime
from avpe_desktop.engines.google.script import GeminiScriptWriter
from avpe_desktop.engines.google.video import VeoVideoMaker
from avpe_desktop.engines.resilience import (
    DEFAULT_POLICY,
    InFlightLimit,
    ModelRateLimits,
)
from avpe_desktop.retry_policy import RetryPolicy


def google_engine(
    credentials: GoogleCredentials,
    *,
    models: GoogleModels | Mapping[str, str] | None = None,
    requests_per_minute: int = 15,
    videos_in_flight: int = 4,
    options: ClientOptions | None = None,
    policy: RetryPolicy = DEFAULT_POLICY,
    rate_limit_period: float = 60.0,
    output_gcs_uri: str | None = None,
    poll_interval: float = 10.0,
) -> Engine:
    """All four roles on one client, so they share quotas and the in-flight video limit.

    An AI Studio key builds an engine too: scripts, analysis and keyframes work, and video
    refuses with a CredentialsError that says what to configure.
    """
    if not isinstance(models, GoogleModels):
        models = GoogleModels.from_settings(models)
    runtime = GoogleRuntime(
        client=GoogleClient(credentials, options),
        models=models,
        policy=policy,
        limits=ModelRateLimits(requests_per_minute, period=rate_limit_period),
        in_flight=InFlightLimit(videos_in_flight),
    )
    return Engine(
        name="google",
        writer=GeminiScriptWriter(runtime),
        analyst=GeminiCharacterAnalyst(runtime),
        painter=GeminiFramePainter(runtime),
        video=VeoVideoMaker(runtime, output_gcs_uri=output_gcs_uri),
        poll_interval=poll_interval,
    )
