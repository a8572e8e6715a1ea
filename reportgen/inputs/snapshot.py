"""Read a stored snapshot (a baseline): untrusted bytes, refused in one line unless whole."""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable
from typing import Any

import msgspec

from reportgen.analysis.models import CoverageSnapshot
from reportgen.analysis.snapshot import FORMAT, MAGIC, Snapshot, SnapshotError, unpack_tests
from reportgen.errors import InputError

# A snapshot inflates to at most this: far above the 5,000-file benchmark's few MB, far below
# what a zlib bomb of a few KB would otherwise take.
MAX_INFLATED = 1 << 30
_DECODER = msgspec.msgpack.Decoder(Snapshot)
# Empty for a snapshot archived beside a step's reports (keyed by step, not by commit).
_COMMIT = re.compile(r"|[0-9a-f]{40}|[0-9a-f]{64}")


class Baseline(msgspec.Struct, frozen=True):
    """A snapshot read back: the run's coverage and tests, as the other readers give them."""

    commit: str
    coverage_version: str | None
    coverage: CoverageSnapshot | None
    tests: Any  # TestRun | None


def read_snapshot(
    data: bytes,
    source: str,
    want_regions: Callable[[str], bool] | None = None,
    want_arcs: Callable[[str], bool] | None = None,
) -> Baseline:
    """A snapshot's coverage and tests; `want_regions` as for a coverage JSON report."""
    snapshot = decode_snapshot(data, source)
    coverage = None
    if snapshot.coverage is not None:
        from reportgen.inputs.coverage_json import parse_coverage_json

        # The coverage reader's own checks: a snapshot is trusted no more than a report.
        coverage = parse_coverage_json(snapshot.coverage, source, want_regions, want_arcs)
        if coverage.has_branches != snapshot.branches:
            raise InputError(f"{source}: corrupt snapshot (branch measurement contradicts itself)")
    tests = None
    if snapshot.tests is not None:
        try:
            tests = unpack_tests(snapshot.tests)
        except SnapshotError as err:
            raise InputError(f"{source}: corrupt snapshot ({err})") from None
    return Baseline(snapshot.commit, snapshot.coverage_version, coverage, tests)


def decode_snapshot(data: bytes, source: str) -> Snapshot:
    """The snapshot's model, its framing and types checked (not yet its content)."""
    if not data.startswith(MAGIC):
        if MAGIC.startswith(data):
            raise InputError(f"{source}: truncated snapshot")
        raise InputError(f"{source}: not a reportgen snapshot")
    if len(data) == len(MAGIC):
        raise InputError(f"{source}: truncated snapshot")
    version = data[len(MAGIC)]
    if version > FORMAT:
        raise InputError(
            f"{source}: snapshot format {version} is newer than this reportgen reads"
            f" ({FORMAT}); upgrade reportgen or save the baseline again"
        )
    if version < 1:
        raise InputError(f"{source}: not a reportgen snapshot (format {version})")
    inflater = zlib.decompressobj()
    try:
        body = inflater.decompress(data[len(MAGIC) + 1 :], MAX_INFLATED)
    except zlib.error:
        raise InputError(f"{source}: corrupt snapshot (bad compressed data)") from None
    if inflater.unconsumed_tail:
        raise InputError(f"{source}: snapshot inflates beyond {MAX_INFLATED >> 20} MB")
    if not inflater.eof:
        raise InputError(f"{source}: truncated snapshot")
    if inflater.unused_data:
        raise InputError(f"{source}: corrupt snapshot (data after its end)")
    try:
        snapshot = _DECODER.decode(body)
    except (msgspec.DecodeError, msgspec.ValidationError) as err:
        raise InputError(f"{source}: corrupt snapshot ({str(err).splitlines()[0]})") from None
    if not _COMMIT.fullmatch(snapshot.commit):
        raise InputError(f"{source}: corrupt snapshot (commit {snapshot.commit[:80]!r})")
    return snapshot


class _Meta(msgspec.Struct):
    version: str | None = None


class _Versioned(msgspec.Struct):
    meta: _Meta | None = None


_META_DECODER = msgspec.json.Decoder(_Versioned)


def coverage_py_version(data: bytes | memoryview) -> str | None:
    """The coverage.py version a JSON report names (None when it names none or is not JSON:
    the report itself is checked by its reader)."""
    try:
        meta = _META_DECODER.decode(data).meta
    except (msgspec.DecodeError, msgspec.ValidationError):
        return None
    return meta.version if meta and isinstance(meta.version, str) else None
