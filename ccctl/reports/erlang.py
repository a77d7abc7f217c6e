"""Erlang C: how many agents an M/M/N queue needs to answer X% of contacts within T seconds.

Traffic ``A = λ × AHT`` in erlangs. The probability that a contact waits is

    C(N, A) = (A^N / N! · N / (N − A)) / (Σ_{k<N} A^k / k! + A^N / N! · N / (N − A)),

computed here through the Erlang B recursion ``B(0) = 1, B(k) = A·B(k−1) / (k + A·B(k−1))``
and ``C = N·B / (N − A·(1 − B))``: no factorials or powers, so no overflow at hundreds
of agents. Service level ``SL = 1 − C · exp(−(N − A) · T / AHT)``.
"""

from __future__ import annotations

import math


def erlang_b(agents: int, traffic: float) -> float:
    """Blocking probability with ``agents`` servers and ``traffic`` erlangs (no queue)."""
    if agents < 0 or traffic < 0:
        raise ValueError("agents and traffic must not be negative")
    blocking = 1.0
    for k in range(1, agents + 1):
        blocking = traffic * blocking / (k + traffic * blocking)
    return blocking


def erlang_c(agents: int, traffic: float) -> float:
    """Probability that a contact has to wait; 1.0 when ``agents`` cannot carry ``traffic``."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return 1.0
    blocking = erlang_b(agents, traffic)
    return agents * blocking / (agents - traffic * (1 - blocking))


def service_level(agents: int, traffic: float, aht_seconds: float, target_seconds: float) -> float:
    """Share of contacts answered within ``target_seconds``."""
    if traffic <= 0:
        return 1.0
    if agents <= traffic:
        return 0.0
    wait = erlang_c(agents, traffic)
    return 1 - wait * math.exp(-(agents - traffic) * target_seconds / aht_seconds)


def average_speed_of_answer(agents: int, traffic: float, aht_seconds: float) -> float:
    """Mean wait in seconds (infinite when understaffed)."""
    if traffic <= 0:
        return 0.0
    if agents <= traffic:
        return math.inf
    return erlang_c(agents, traffic) * aht_seconds / (agents - traffic)


def agents_needed(arrivals: float, interval_seconds: float, aht_seconds: float, target_share: float,
                  target_seconds: float) -> int:
    """Fewest agents reaching ``target_share`` (e.g. 0.8) within ``target_seconds``; 0 with no arrivals."""
    if not 0 < target_share < 1:
        raise ValueError("the target share must be between 0 and 1 (exclusive)")
    if interval_seconds <= 0 or aht_seconds <= 0:
        raise ValueError("interval and handling time must be positive")
    if arrivals <= 0:
        return 0
    traffic = arrivals * aht_seconds / interval_seconds
    agents = max(1, math.floor(traffic) + 1)
    while service_level(agents, traffic, aht_seconds, target_seconds) < target_share:
        agents += 1
    return agents
