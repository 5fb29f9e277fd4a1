"""A python-threatexchange extension: PDQ hashed and matched by hashwatch.

Two signal types, both python-threatexchange's ``PdqSignal`` with
hashwatch's hasher (:func:`hashwatch.hash_bytes`, bit-exact with
``pdqhash``) and index (:class:`HashwatchPDQIndex`, exact, in place of
faiss):

- :class:`PdqSignal` keeps the name ``pdq``, so it replaces the built-in
  one wherever signal types are listed in configuration (HMA's
  ``SIGNAL_TYPES`` setting, or ``SignalTypeMapping`` in your own code) and
  banks, exchanges and stored indexes keep working unchanged.
- :class:`HashwatchPdqSignal` is named ``hashwatch_pdq``, because the
  ``threatexchange`` CLI refuses a second ``pdq``. It is this module's
  ``TX_MANIFEST``::

      threatexchange config extensions add hashwatch.threatexchange

Needs the ``threatexchange`` package (``pip install hashwatch[threatexchange]``).
"""

from __future__ import annotations

import pathlib
import typing as t

from threatexchange.extensions.manifest import ThreatExchangeExtensionManifest
from threatexchange.signal_type.index import (
    IndexMatchUntyped,
    SignalSimilarityInfoWithIntDistance,
    SignalTypeIndex,
)
from threatexchange.signal_type.index import T as IndexT
from threatexchange.signal_type.pdq import signal as _pytx_pdq

import hashwatch

__all__ = ["HashwatchPDQIndex", "HashwatchPdqSignal", "PdqSignal", "TX_MANIFEST"]


class HashwatchPDQIndex(SignalTypeIndex[IndexT]):
    """python-threatexchange's PDQ index contract on :class:`hashwatch.Index`:
    ``query`` returns every entry whose hash is within ``threshold`` bits
    (31, as python-threatexchange's ``PDQIndex``), exactly. An entry added
    twice under one hash is returned twice, as there."""

    def __init__(
        self,
        entries: t.Iterable[t.Tuple[str, IndexT]] = (),
        *,
        threshold: int = 31,
    ) -> None:
        super().__init__()
        self.threshold = threshold
        self._index = hashwatch.Index()
        self._slot_of_hash: t.Dict[str, int] = {}
        self._entries: t.List[t.List[IndexT]] = []
        self.add_all(entries)

    def __len__(self) -> int:
        return sum(len(e) for e in self._entries)

    def query(self, hash: str) -> t.Sequence[IndexMatchUntyped[SignalSimilarityInfoWithIntDistance, IndexT]]:
        return [
            IndexMatchUntyped(SignalSimilarityInfoWithIntDistance(distance), entry)
            for slot, distance in self._index.query(hash, self.threshold)
            for entry in self._entries[slot]
        ]

    def add(self, signal_str: str, entry: IndexT) -> None:
        self.add_all(((signal_str, entry),))

    def add_all(self, entries: t.Iterable[t.Tuple[str, IndexT]]) -> None:
        # All or nothing: every hash is checked (and its hex form made
        # canonical) before anything changes.
        rows = [(hashwatch.to_hex(signal_str), entry) for signal_str, entry in entries]
        new_slots: t.Dict[str, int] = {}
        for signal_str, _ in rows:
            if signal_str not in self._slot_of_hash and signal_str not in new_slots:
                new_slots[signal_str] = len(self._entries) + len(new_slots)
        if new_slots:
            self._index.add_with_ids(list(new_slots), list(new_slots.values()))
        self._slot_of_hash.update(new_slots)
        self._entries.extend([] for _ in new_slots)
        for signal_str, entry in rows:
            self._entries[self._slot_of_hash[signal_str]].append(entry)


class PdqSignal(_pytx_pdq.PdqSignal):
    """python-threatexchange's ``pdq`` signal type, hashed and indexed by
    hashwatch. Same name, same hashes, same matches."""

    @classmethod
    def get_index_cls(cls) -> t.Type[HashwatchPDQIndex]:
        return HashwatchPDQIndex

    @classmethod
    def hash_from_bytes(cls, bytes_: bytes) -> str:
        return cls._usable(hashwatch.hash_bytes(bytes_))

    @classmethod
    def hash_from_file(cls, file: pathlib.Path) -> str:
        return cls._usable(hashwatch.hash_file(file))

    @classmethod
    def _usable(cls, signals: t.Mapping[str, t.Any]) -> str:
        # As python-threatexchange: no hash for low-quality images.
        if signals.get("quality", 0) < cls.QUALITY_THRESHOLD:
            return ""
        return signals["pdq"]


class HashwatchPdqSignal(PdqSignal):
    """The same signal type under the name ``hashwatch_pdq``, for the
    ``threatexchange`` CLI, which allows one type per name."""


TX_MANIFEST = ThreatExchangeExtensionManifest(signal_types=(HashwatchPdqSignal,))
