"""STOP/START keywords of inbound SMS: the whole message must be the word (accents, case, punctuation aside)."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ccctl_sms.inbound import START_WORDS, STOP_WORDS, keyword


@given(st.sampled_from(sorted(STOP_WORDS)), st.sampled_from(["", ".", "!", " ", "\n"]), st.booleans())
def test_a_stop_word_alone_opts_out_whatever_its_case_and_punctuation(word, tail, lower):
    text = (word.lower() if lower else word) + tail
    assert keyword(text) == "stop"
    assert keyword(" " + text.replace("ARRET", "ARRÊT").replace("arret", "arrêt")) == "stop"


@given(st.sampled_from(sorted(START_WORDS)))
def test_a_start_word_alone_opts_back_in(word):
    assert keyword(word.title()) == "start"


@given(st.text(max_size=40))
def test_any_text_gives_stop_start_or_nothing_and_never_raises(text):
    assert keyword(text) in ("stop", "start", None)


@given(st.sampled_from(sorted(STOP_WORDS)), st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10))
def test_a_stop_word_inside_a_sentence_is_not_an_opt_out(word, other):
    assert keyword(f"{word} {other} {other}") is None or f"{word} {other} {other}".upper() in STOP_WORDS
