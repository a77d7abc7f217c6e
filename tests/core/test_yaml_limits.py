"""Hostile tenant YAML: size, alias expansion (billion laughs), nesting, complex keys and values
Python cannot build are refused with exit 2 naming the file and line; no input gives a traceback."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ccctl.config.model import validate_tenant
from ccctl.config.yamlsource import MAX_BYTES, load_yaml
from ccctl.errors import InputError

GOOD = "tenant: zulu\nname: Zulu\n"
LAUGHS = GOOD + 'a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n' + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n" for i in range(8))


@pytest.mark.parametrize("text, line, reason", [
    (LAUGHS, 3, "expands to more than 100,000 values"),
    (GOOD + "deep: " + "[" * 20000 + "]" * 20000 + "\n", 3, "nested deeper than 64 levels"),
    (GOOD + "deep:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)) + "  " * 80 + "v: 1\n", 66,
     "nested deeper than 64 levels"),
    (GOOD + "a: &a [*a]\n", 3, "aliases nest values deeper than 64 levels"),
    (GOOD + "? [a, b]\n: 1\n", 3, "a key must be plain text"),
    (GOOD + "opened: 2026-02-30\n", 3, "invalid value: day is out of range"),
    (GOOD + "n: " + "9" * 5000 + "\n", 3, "invalid value"),
    (GOOD + "x: a\x00b\n", 3, "invalid YAML: unacceptable character"),
], ids=["billion-laughs", "20000-brackets", "deep-block", "self-alias", "complex-key", "bad-date", "huge-int", "nul"])
def test_hostile_yaml_is_refused_with_file_and_line(ccctl, tmp_path, text, line, reason):
    path = tmp_path / "hostile.yaml"
    path.write_text(text, encoding="utf-8")
    result = ccctl("tenant", "apply", "-f", path, code=2)
    assert f"{path}:{line}:" in result.stderr and reason in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert ccctl.json("tenant", "list") == []


def test_a_file_over_the_size_limit_is_not_even_read(ccctl, tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "notes: |\n" + ("  " + "x" * 99 + "\n") * (MAX_BYTES // 100 + 1), encoding="utf-8")
    result = ccctl("tenant", "apply", "-f", path, code=2)
    assert f"{path}: the file is larger than 1024 KB" in result.stderr
    assert ccctl.json("tenant", "list") == []


def test_aliases_within_the_limits_still_work():
    located = load_yaml("base: &base {sla: 4h}\nqueues:\n  - {name: a, hours: *base}\n  - *base\n", "t.yaml")
    assert located.data["queues"] == [{"name": "a", "hours": {"sla": "4h"}}, {"sla": "4h"}]
    assert located.line_of(("queues", 0, "name")) == 3


YAML_BITS = st.sampled_from(["tenant: zulu\n", "name: Zulu\n", "a:", " b", "- ", "? ", ": ", "&x ", "*x ", "*y ",
                             "&y ", "[", "]", "{", "}", ",", "!!binary ", "!!timestamp ", "!!python/object ", "<<: ",
                             "'", '"', "|", ">", "\n", "  ", "\t", "#", "%YAML 1.1\n", "---\n", "...\n", "2026-02-30",
                             "0x", "1e999", "\x00", "\ufeff", "é", "~", "plugins:\n  email:\n    enabled: ", "true"])


@given(st.lists(st.one_of(YAML_BITS, st.text(max_size=6)), max_size=40).map("".join))
def test_no_yaml_input_gives_anything_but_a_located_error(text):
    try:
        located = load_yaml(text, "fuzz.yaml")
        validate_tenant(located, {}, {"email", "sms"})
    except InputError as exc:  # ConfigError included: exit 2, with the file named
        assert exc.format_message().startswith("fuzz.yaml")
