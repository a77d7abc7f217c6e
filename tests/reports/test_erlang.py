"""Erlang B/C against published table values, the textbook formula, and edge cases."""

import math

import pytest

from ccctl.reports.erlang import (agents_needed, average_speed_of_answer, erlang_b, erlang_c,
                                  service_level)


def erlang_c_textbook(agents: int, traffic: float) -> float:
    """The formula as printed (factorials and powers), for cross-checking small cases."""
    top = traffic ** agents / math.factorial(agents) * agents / (agents - traffic)
    return top / (sum(traffic ** k / math.factorial(k) for k in range(agents)) + top)


@pytest.mark.parametrize("agents, traffic, published", [
    (10, 10.0, 0.2146),  # Erlang B table: 10 lines, 10 E -> 21.46 % blocked
    (5, 2.0, 0.0367),    # 5 lines, 2 E -> 3.67 %
    (1, 1.0, 0.5),       # B(1, A) = A / (1 + A)
])
def test_erlang_b_matches_tables(agents, traffic, published):
    assert erlang_b(agents, traffic) == pytest.approx(published, abs=5e-5)


def test_erlang_c_exact_small_case():
    # Two agents, one erlang: P(wait) = 1/3 exactly.
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3, rel=1e-12)


@pytest.mark.parametrize("agents, traffic", [(3, 2.5), (11, 10.0), (14, 10.0), (30, 25.3), (60, 51.0)])
def test_erlang_c_agrees_with_the_textbook_formula(agents, traffic):
    assert erlang_c(agents, traffic) == pytest.approx(erlang_c_textbook(agents, traffic), rel=1e-9)


def test_call_centre_worked_example():
    """100 calls in 30 min, 180 s handling: 10 erlangs; 80/20 needs 14 agents (P(wait) 17.4 %, ASA 7.8 s)."""
    assert agents_needed(100, 1800, 180, 0.80, 20) == 14
    assert erlang_c(14, 10.0) == pytest.approx(0.1741, abs=5e-5)
    assert service_level(14, 10.0, 180, 20) == pytest.approx(0.8884, abs=5e-4)
    assert service_level(13, 10.0, 180, 20) < 0.80  # 13 agents fall short
    assert average_speed_of_answer(14, 10.0, 180) == pytest.approx(7.8, abs=0.05)


def test_large_traffic_does_not_overflow():
    # 400 erlangs would overflow A^N/N! as floats; the recursion stays finite and sensible.
    needed = agents_needed(4800, 1800, 150, 0.9, 15)
    assert 400 < needed < 440
    assert 0 < erlang_c(needed, 400.0) < 1


def test_edges():
    assert agents_needed(0, 1800, 180, 0.8, 20) == 0
    assert erlang_c(5, 5.0) == 1.0 and service_level(5, 5.0, 180, 20) == 0.0  # unstable queue
    assert average_speed_of_answer(4, 5.0, 180) == math.inf
    assert erlang_c(3, 0.0) == 0.0
    with pytest.raises(ValueError):
        agents_needed(10, 1800, 180, 1.0, 20)
    with pytest.raises(ValueError):
        agents_needed(10, 1800, 0, 0.8, 20)
    with pytest.raises(ValueError):
        erlang_b(-1, 2.0)
