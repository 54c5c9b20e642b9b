"""One loaded engine serves consecutive experiments of a batch that share engine-initialisation parameters
(backend, model, backend section). It is reloaded when those differ or when the experiment asks for
force_cold_start. Load time is returned separately: it is never inside a measured window."""

from __future__ import annotations

import time
from typing import Any, Callable

from lem_harness.settings import Settings


class EngineCache:
    def __init__(self, factory: Callable[[str], Any]):
        self._factory = factory
        self.engine: Any = None
        self.key: str | None = None

    def acquire(self, settings: Settings, on_loading: Callable[[], None],
                on_loaded: Callable[[float], None]) -> tuple[Any, float | None]:
        """The engine for these settings and its load time in seconds (None when reused)."""
        key = settings.engine_key()
        if self.engine is not None and self.key == key and not settings.force_cold_start:
            return self.engine, None
        self.release()
        on_loading()
        engine = self._factory(settings.backend)
        t0 = time.perf_counter()
        engine.load(settings)
        load_s = time.perf_counter() - t0
        self.engine, self.key = engine, key
        on_loaded(load_s)
        return engine, load_s

    def release(self) -> None:
        # Forget the engine before unloading it: if unload raises, it is not unloaded twice.
        engine, self.engine, self.key = self.engine, None, None
        if engine is not None:
            engine.unload()
