"""What every view needs from the app: the open context, the engine, and a way to speak up."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from avpe_desktop.context import AppContext
from avpe_desktop.engines.base import Engine
from avpe_desktop.engines.registry import create_engine


@dataclass
class Services:
    ctx: AppContext
    show_error: Callable[[str], None]
    show_info: Callable[[str], None]
    _engine: Engine | None = field(default=None, init=False, repr=False)

    def engine(self) -> Engine:
        """Built on first use and kept, so rate limits and in-flight limits are shared by
        every view; Settings calls `settings_changed` to rebuild it."""
        if self._engine is None:
            self._engine = create_engine(self.ctx.settings)
        return self._engine

    def settings_changed(self) -> None:
        self._engine = None
