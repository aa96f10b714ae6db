"""The networks the server runs: each model's loaded once, on first use, and shared by all clients."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from movenet.models.catalog import MODEL_NAMES
from movenet.runtime import Backend

__all__ = ["NetworkLoader", "NetworkPool"]

log = logging.getLogger("movenet.web")

NetworkLoader = Callable[[str], Backend]


class NetworkPool:
    """Loads each model's network once, on first use, and shares it (thread-safe)."""

    def __init__(self, loader: NetworkLoader) -> None:
        self._loader = loader
        self._networks: dict[str, Backend] = {}
        self._locks = {name: threading.Lock() for name in MODEL_NAMES}

    def get(self, name: str) -> Backend:
        network = self._networks.get(name)
        if network is not None:
            return network
        with self._locks[name]:  # two first requests for a model load it once
            network = self._networks.get(name)
            if network is None:
                log.info("loading the %s network", name)
                network = self._loader(name)
                self._networks[name] = network
        return network

    def loaded(self) -> list[str]:
        return [name for name in MODEL_NAMES if name in self._networks]
