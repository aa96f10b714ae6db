"""The reference's binary max-heap, kept exactly so that equal scores leave in the same order.

Follows ``pose-detection/src/posenet/calculators/max_heap.ts`` (spec section 16.2): elements
are stored from index 0, yet the parent of ``k`` is ``k // 2`` and its children ``2k`` and
``2k + 1``. That is still a valid heap (node 0's only child is node 1), so elements leave by
descending key; only the order among equal keys depends on this exact layout, which a library
heap (``heapq``) would not reproduce.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class MaxHeap(Generic[T]):
    """A max-heap of elements ordered by ``key(element)`` (a float)."""

    def __init__(self, key: Callable[[T], float]) -> None:
        self._items: list[T] = []
        self._keys: list[float] = []
        self._key = key

    def __len__(self) -> int:
        return len(self._items)

    def empty(self) -> bool:
        return not self._items

    def peek(self) -> T:
        """The element with the largest key (IndexError when empty)."""
        return self._items[0]

    def push(self, item: T) -> None:
        """Append, then swim up while the parent's key is strictly smaller."""
        self._items.append(item)
        self._keys.append(self._key(item))
        k = len(self._items) - 1
        while k > 0 and self._keys[k // 2] < self._keys[k]:
            self._swap(k, k // 2)
            k //= 2

    def pop(self) -> T:
        """Remove the largest: swap the root with the last element, drop it, sink the new root."""
        if not self._items:
            raise IndexError("pop from an empty MaxHeap")
        top = self._items[0]
        self._swap(0, len(self._items) - 1)
        self._items.pop()
        self._keys.pop()
        last = len(self._items) - 1  # the reference's numberOfElements
        k = 0
        while 2 * k <= last:
            j = 2 * k
            if j < last and self._keys[j] < self._keys[j + 1]:
                j += 1
            if not self._keys[k] < self._keys[j]:
                break
            self._swap(k, j)
            k = j
        return top

    def _swap(self, i: int, j: int) -> None:
        items, keys = self._items, self._keys
        items[i], items[j] = items[j], items[i]
        keys[i], keys[j] = keys[j], keys[i]
