"""Fingerprints of a token stream by winnowing (Schleimer, Wilkerson and Aiken, SIGMOD 2003), as MOSS does.

Every k consecutive tokens (a k-gram) are hashed; in each window of w consecutive hashes the smallest is
kept (the rightmost of equal ones, and each position once: the paper's robust winnowing). Any passage of
at least k + w - 1 tokens that two streams share gives them a common fingerprint, whatever surrounds it;
shorter coincidences mostly do not. Hashes are stable (blake2b of each token, a polynomial over the
k-gram, splitmix64's finaliser): the same code gives the same fingerprints in every run.
"""

import hashlib

import numpy as np

_IDS: dict[str, int] = {}  # token -> its 64-bit hash, memoised (a course reuses a few thousand distinct tokens)
_BASE = np.uint64(0x100000001B3)


def token_ids(tokens: list[str]) -> np.ndarray:
    """uint64 hash of each token."""
    out = np.empty(len(tokens), dtype=np.uint64)
    for i, token in enumerate(tokens):
        h = _IDS.get(token)
        if h is None:
            if len(_IDS) > 1_000_000:  # a course of hostile notebooks could invent endless names: bounded
                _IDS.clear()
            h = _IDS[token] = int.from_bytes(
                hashlib.blake2b(token.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little"
            )
        out[i] = h
    return out


def kgram_hashes(ids: np.ndarray, k: int) -> np.ndarray:
    """(n,) uint64 token hashes -> (n - k + 1,) uint64 hashes of each k-gram (empty where n < k)."""
    n = len(ids) - k + 1
    if n <= 0:
        return np.empty(0, dtype=np.uint64)
    h = np.zeros(n, dtype=np.uint64)
    with np.errstate(over="ignore"):
        for j in range(k):
            h = h * _BASE + ids[j : j + n]
        h ^= h >> np.uint64(30)  # splitmix64's finaliser: every bit of the k-gram reaches every bit
        h *= np.uint64(0xBF58476D1CE4E5B9)
        h ^= h >> np.uint64(27)
        h *= np.uint64(0x94D049BB133111EB)
        h ^= h >> np.uint64(31)
    return h


def winnow(hashes: np.ndarray, w: int) -> np.ndarray:
    """Positions selected by robust winnowing with windows of `w` hashes (sorted, each once)."""
    if len(hashes) == 0:
        return np.empty(0, dtype=np.int64)
    if len(hashes) <= w:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, w)
    rightmost = w - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(rightmost + np.arange(len(windows)))
