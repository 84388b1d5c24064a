"""A multi-round curriculum: each round's data mixes hard and easy instructions, hard rising.

TAPIR (arXiv 2405.13448, section 3.4) trains the student in R rounds; round r's mix holds a
share `hard_share[r]` of hard instructions (MFD > delta), rising from round to round. The paper
uses three rounds; the shares 0.3, 0.5, 0.7 here are this package's default, a choice (the
paper states only that the share rises).

`mix` makes one round's data with exact counts: `round(share * n)` hard rows (half-way rounds
to even, Python's `round`), the rest easy, each drawn without replacement while the pool lasts
and with repetition beyond (as `balance.resample` does), seeded. Rows come out in a seeded
shuffled order, which the round's `sft` run keeps (`order="given"`).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from langadapt.errors import ConfigError

DEFAULT_SHARES = (0.3, 0.5, 0.7)


def hard_shares(rounds: int = 3, shares: Sequence[float] | None = None) -> list[float]:
    """The hard share of each round: `shares` if given (one per round), else the default for 3
    rounds, else evenly spaced from 0.3 to 0.7. Raises ConfigError for a share outside [0, 1]
    or a count that does not match."""
    if rounds < 1:
        raise ConfigError(f"--rounds must be at least 1, not {rounds}")
    if shares is None:
        if rounds == 3:
            shares = DEFAULT_SHARES
        else:
            shares = [0.5] if rounds == 1 else [0.3 + 0.4 * r / (rounds - 1) for r in range(rounds)]
    shares = [float(s) for s in shares]
    if len(shares) != rounds:
        raise ConfigError(f"{len(shares)} hard shares given for {rounds} rounds; give one a round")
    if any(not 0 <= s <= 1 for s in shares):
        raise ConfigError(f"hard shares must lie in [0, 1]; got {shares}")
    return shares


def _draw(pool: Sequence[dict], k: int, rng: random.Random) -> list[dict]:
    if k == 0:
        return []
    if not pool:
        raise ConfigError(f"{k} rows are wanted from an empty pool; lower the share or add rows")
    times, rest = divmod(k, len(pool))
    return list(pool) * times + rng.sample(list(pool), rest)


def mix(
    hard: Sequence[dict], easy: Sequence[dict], n: int, share: float, *, seed: int = 0
) -> list[dict]:
    """`n` rows of which `round(share * n)` are hard; seeded, shuffled."""
    if n < 0 or not 0 <= share <= 1:
        raise ConfigError(f"mix needs n >= 0 and a share in [0, 1]; got n={n}, share={share}")
    rng = random.Random(seed)
    k = round(share * n)
    rows = _draw(hard, k, rng) + _draw(easy, n - k, rng)
    rng.shuffle(rows)
    return rows


def plan(
    hard: Sequence[dict],
    easy: Sequence[dict],
    n: int,
    *,
    rounds: int = 3,
    shares: Sequence[float] | None = None,
    seed: int = 0,
) -> list[list[dict]]:
    """The data of every round: `n` rows each, round r mixed with `hard_shares(...)[r]` and its
    own seed (`seed + r`), so rounds draw different rows."""
    return [mix(hard, easy, n, s, seed=seed + r) for r, s in enumerate(hard_shares(rounds, shares))]
