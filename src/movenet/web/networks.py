"""The networks the server runs: loaded once per engine setting, on first use, and shared by all
clients (one :class:`movenet.api.Networks` per engine setting)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from movenet.api import EngineOptions, Networks, networks_for
from movenet.registry import MODELS
from movenet.runtime import Network

__all__ = ["NetworkLoader", "NetworkPool"]

log = logging.getLogger("movenet.web")

#: ``graph name -> Network`` on the server's engine (a stand-in for the default loader, e.g. in tests).
NetworkLoader = Callable[[str], Network]


class NetworkPool:
    """One shared :class:`Networks` per engine setting (thread-safe)."""

    def __init__(self, default: EngineOptions, loader: NetworkLoader | None = None) -> None:
        self.default = default
        self._loader = loader
        self._pools: dict[EngineOptions, Networks] = {}
        self._lock = threading.Lock()

    def networks(self, engine: EngineOptions | None = None) -> Networks:
        engine = engine or self.default
        with self._lock:
            pool = self._pools.get(engine)
            if pool is None:
                if self._loader is None:
                    pool = networks_for(engine)
                else:
                    loader = self._loader
                    pool = Networks(engine, lambda name, _engine: loader(name))
                self._pools[engine] = pool
        return pool

    def loaded(self) -> list[str]:
        """The models all of whose graphs are loaded on some engine, in registry order."""
        keys = {key for pool in list(self._pools.values()) for key in pool.loaded()}
        return [name for name, entry in MODELS.items() if all(g in keys for g in entry.graphs)]
