"""Erlang A against published values: its Erlang C limit and its M/M/infinity case."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.reports.erlang import erlang_c, service_level
from ccctl.reports.erlang_a import agents_needed_a, answered_within, erlang_a, stationary


def test_patient_callers_give_erlang_c_published_value():
    # Erlang C tables: 10 erlangs on 11 agents, probability to wait 0.6821.
    figures = erlang_a(11, 10 / 180, 180, patience_s=1e9, target_s=20)
    assert figures.wait_probability == pytest.approx(0.6821, abs=5e-4)
    assert figures.abandon_probability == pytest.approx(0, abs=1e-5)
    assert figures.service_level == pytest.approx(service_level(11, 10, 180, 20), abs=2e-3)


def test_patience_equal_to_handling_time_is_the_poisson_case():
    # θ = μ: M/M/N+M behaves as M/M/∞, so the number in system is Poisson(A). Poisson tables, A = 10:
    # P(X <= 9) = 0.4579, P(X <= 10) = 0.5830; P(wait) = P(X >= 10) = 0.5421,
    # P(abandon) = E[(X − 10)+] / A = (10·0.5421 − 10·0.4170) / 10 = 0.1251.
    figures = erlang_a(10, 10 / 300, 300, patience_s=300, target_s=20)
    assert figures.wait_probability == pytest.approx(0.5421, abs=1e-4)
    assert figures.abandon_probability == pytest.approx(0.1251, abs=2e-4)
    pi = stationary(10, 10 / 300, 1 / 300, 1 / 300)
    assert pi[3] == pytest.approx(math.exp(-10) * 10**3 / 6, rel=1e-9)


def test_answered_within_one_step_is_the_exponential_race():
    # No one ahead: answered when the first of N agents frees up (rate Nμ) before hanging up (θ).
    rate, theta, t = 4 / 200, 1 / 60, 30
    expected = rate / (rate + theta) * (1 - math.exp(-(rate + theta) * t))
    assert answered_within(4, 1 / 200, theta, 0, t)[0] == pytest.approx(expected, rel=1e-9)


@given(agents=st.integers(1, 40), load=st.floats(0.1, 1.5), patience=st.floats(10, 900), target=st.floats(0, 120))
def test_figures_are_probabilities_and_abandonment_cuts_the_wait(agents, load, patience, target):
    aht = 240.0
    rate = agents * load / aht
    a = erlang_a(agents, rate, aht, patience, target)
    for value in (a.wait_probability, a.abandon_probability, a.service_level):
        assert -1e-9 <= value <= 1 + 1e-9
    if load < 1:
        assert a.wait_probability <= erlang_c(agents, agents * load) + 1e-6  # impatience shortens the queue


def test_staffing_with_impatient_callers_needs_no_more_agents_than_erlang_c():
    from ccctl.reports.erlang import agents_needed

    patient = agents_needed(100, 1800, 240, 0.8, 20)
    impatient = agents_needed_a(100, 1800, 240, 90, 0.8, 20)
    assert 1 <= impatient <= patient
    assert agents_needed_a(0, 1800, 240, 90, 0.8, 20) == 0
    with pytest.raises(ValueError):
        agents_needed_a(10, 1800, 240, 90, 1.2, 20)
    with pytest.raises(ValueError):
        stationary(0, 1, 1, 1)
