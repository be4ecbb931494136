"""Shared helpers sha256_file and source_sha256: file digests and the one digest of a model's source files."""

from __future__ import annotations

import hashlib
from pathlib import Path

from compiler._util.hashing import sha256_file, source_sha256


def test_sha256_file_matches_hashlib_across_block_boundaries(tmp_path: Path) -> None:
    for size in (0, 1, (1 << 20) - 1, 1 << 20, (1 << 20) + 1, 3 * (1 << 20) + 7):
        body = bytes(i % 251 for i in range(size))
        path = tmp_path / f"f{size}"
        path.write_bytes(body)
        assert sha256_file(path) == hashlib.sha256(body).hexdigest(), size


def test_source_sha256_is_over_sorted_path_nul_digest_lines() -> None:
    files = {"model.yaml": "a" * 64, "datasets/train.yaml": "b" * 64}
    expected = hashlib.sha256(f"datasets/train.yaml\0{'b' * 64}\nmodel.yaml\0{'a' * 64}\n".encode()).hexdigest()
    assert source_sha256(files) == expected
    assert source_sha256(dict(reversed(files.items()))) == expected  # the order files were read in does not matter
    assert source_sha256({"model.yaml": "a" * 64, "datasets/test.yaml": "b" * 64}) != expected  # a rename counts
    assert source_sha256({}) == hashlib.sha256(b"").hexdigest()
