"""One loaded engine serves consecutive experiments of a batch that share engine-initialisation parameters
(backend, model, backend section). It is reloaded when those differ or when the experiment asks for
force_cold_start. Load time is returned separately: it is never inside a measured window."""

from __future__ import annotations

import gc
import time
from typing import Any, Callable

from lem_harness.settings import Settings


class EngineCache:
    def __init__(self, factory: Callable[[str], Any]):
        self._factory = factory
        self.engine: Any = None
        self.key: str | None = None
        self._frozen = False

    def acquire(
        self,
        settings: Settings,
        on_loading: Callable[[], None],
        on_loaded: Callable[[float], None],
        before_load: Callable[[Any], None] | None = None,
    ) -> tuple[Any, float | None]:
        """The engine for these settings and its load time in seconds (None when reused). `before_load` sees the
        created engine before it loads (the device_idle baseline is measured there, before any CUDA context)."""
        key = settings.engine_key()
        if self.engine is not None and self.key == key and not settings.force_cold_start:
            return self.engine, None
        self.release()
        on_loading()
        engine = self._factory(settings.backend)
        if before_load is not None:
            before_load(engine)
        t0 = time.perf_counter()
        engine.load(settings)
        load_s = time.perf_counter() - t0
        self.engine, self.key = engine, key
        # A loaded engine is hundreds of thousands of long-lived Python objects; a full garbage collection
        # walking them all stalls generation by tens of milliseconds at random moments of a measured window.
        # Collect once now and move them out of the collector's sight (gc.freeze); release() undoes it.
        # An engine that declares large_object_graph = False (engines/base.py) has nothing worth walking or
        # freezing: the two full collections (~5 ms a load) are skipped for it.
        if getattr(engine, "large_object_graph", True):
            gc.collect()
            gc.freeze()
            self._frozen = True
        on_loaded(load_s)
        return engine, load_s

    def release(self) -> None:
        # Forget the engine before unloading it: if unload raises, it is not unloaded twice.
        engine, self.engine, self.key = self.engine, None, None
        if engine is not None:
            frozen, self._frozen = self._frozen, False
            if frozen:
                gc.unfreeze()  # or the unloaded engine's objects would never be collected
            engine.unload()
            if frozen:
                gc.collect()
