"""Erlang A (Palm's M/M/N+M): agents for callers who hang up when they wait too long.

Erlang C assumes infinite patience and overstates the wait of a queue whose callers abandon.
Erlang A adds exponential patience (mean ``1/θ``): the queue is a birth–death chain with
arrival rate λ and, in state k, departure rate ``min(k, N)·μ + max(k − N, 0)·θ``.

* stationary probabilities ``π_k`` by the chain's balance equations, truncated where the tail
  no longer counts (< 1e-13);
* probability to wait ``Σ_{k≥N} π_k``; mean queue ``E[Q] = Σ_{k>N} (k−N) π_k``; abandonment
  ``P(ab) = θ·E[Q]/λ``; mean wait of all arrivals ``E[Q]/λ`` (Little);
* service level: the share of arrivals answered within T. An arrival finding ``j`` callers ahead
  is answered once ``j + 1`` places free up (rate ``N·μ + i·θ`` with ``i`` still ahead) before it
  hangs up itself (rate θ); that chance by time T is computed by uniformization.

Checks in tests: θ → 0 gives Erlang C; θ = μ gives the M/M/∞ (Poisson) values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

TAIL = 1e-13


@dataclass(frozen=True)
class ErlangA:
    wait_probability: float
    abandon_probability: float
    mean_wait_s: float
    service_level: float


def stationary(agents: int, arrival_rate: float, service_rate: float, abandon_rate: float) -> list[float]:
    """``π_0 … π_K`` of the M/M/N+M chain (normalised)."""
    if agents < 1 or arrival_rate < 0 or service_rate <= 0 or abandon_rate <= 0:
        raise ValueError("need agents >= 1, arrivals >= 0, service and abandon rates > 0")
    terms, term, total, k = [1.0], 1.0, 1.0, 0
    while True:
        k += 1
        term *= arrival_rate / (min(k, agents) * service_rate + max(k - agents, 0) * abandon_rate)
        terms.append(term)
        total += term
        if total > 1e250:  # rescale before floats overflow (hundreds of agents)
            terms = [t / total for t in terms]
            term, total = term / total, 1.0
        if k > agents and term < TAIL * total:
            break
    return [t / total for t in terms]


def answered_within(agents: int, service_rate: float, abandon_rate: float, most_ahead: int,
                    seconds: float) -> list[float]:
    """For ``j = 0 … most_ahead`` callers ahead on arrival: the chance to be answered within ``seconds``."""
    if seconds <= 0:
        return [0.0] * (most_ahead + 1)
    served = agents * service_rate
    uniform = served + most_ahead * abandon_rate + abandon_rate
    # g[i]: chance to be answered within m jumps of the uniformized chain, from i callers ahead.
    g = [0.0] * (most_ahead + 1)
    mean = uniform * seconds
    weight = math.exp(-mean)  # Poisson(m; mean) for m = 0; for large means start from the log
    log_weight = -mean
    result = [0.0] * (most_ahead + 1)
    jumps = int(mean + 10 * math.sqrt(mean) + 20)
    for m in range(1, jumps + 1):
        forward = [served + i * abandon_rate for i in range(most_ahead + 1)]
        g = [(forward[i] * (1.0 if i == 0 else g[i - 1]) + (uniform - forward[i] - abandon_rate) * g[i]) / uniform
             for i in range(most_ahead + 1)]
        log_weight += math.log(mean) - math.log(m)
        weight = math.exp(log_weight)
        result = [r + weight * gi for r, gi in zip(result, g)]
    return result


def erlang_a(agents: int, arrivals_per_s: float, aht_s: float, patience_s: float, target_s: float) -> ErlangA:
    """Erlang A figures for ``agents``, ``arrivals_per_s``, handling time and mean patience (seconds)."""
    if arrivals_per_s <= 0:
        return ErlangA(0.0, 0.0, 0.0, 1.0)
    mu, theta = 1 / aht_s, 1 / patience_s
    pi = stationary(agents, arrivals_per_s, mu, theta)
    waiting = pi[agents:]
    queue = sum(j * p for j, p in enumerate(waiting))  # (k − N) π_k for k ≥ N
    chances = answered_within(agents, mu, theta, len(waiting) - 1, target_s)
    level = sum(pi[:agents]) + sum(p * c for p, c in zip(waiting, chances))
    return ErlangA(sum(waiting), theta * queue / arrivals_per_s, queue / arrivals_per_s, level)


def agents_needed_a(arrivals: float, interval_s: float, aht_s: float, patience_s: float, target_share: float,
                    target_s: float, most: int = 2000) -> int:
    """Fewest agents answering ``target_share`` of the interval's arrivals within ``target_s``."""
    if not 0 < target_share < 1:
        raise ValueError("the target share must be between 0 and 1 (exclusive)")
    if arrivals <= 0:
        return 0
    rate = arrivals / interval_s
    agents = 1
    while erlang_a(agents, rate, aht_s, patience_s, target_s).service_level < target_share:
        agents += 1
        if agents > most:
            raise ValueError(f"more than {most} agents needed: check the arrivals and handling time")
    return agents
