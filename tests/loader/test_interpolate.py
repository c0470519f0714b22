"""Interpolation: every ${VAR} form, nesting, $$, unset warnings and errors."""
import pytest

from compose.errors import ConfigError
from compose.loader.interpolate import InterpolationError, Interpolator, interpolate_tree

ENV = {"SET": "v", "EMPTY": ""}


@pytest.mark.parametrize("text,expected", [
    ("$SET", "v"), ("${SET}", "v"), ("a${SET}b", "avb"),
    ("${UNSET:-d}", "d"), ("${EMPTY:-d}", "d"), ("${EMPTY-d}", ""), ("${UNSET-d}", "d"),
    ("${SET:+alt}", "alt"), ("${EMPTY:+alt}", ""), ("${EMPTY+alt}", "alt"), ("${UNSET+alt}", ""),
    ("${UNSET:-${SET}}", "v"), ("${UNSET:-${NOPE:-deep}}", "deep"),
    ("$$SET", "$SET"), ("a$$", "a$"), ("$1 $- $", "$1 $- $"), ("${SET:?err}", "v"),
])
def test_forms(text, expected):
    assert Interpolator(ENV).substitute(text) == expected


def test_unset_warns_once_and_is_empty():
    seen = []
    interp = Interpolator(ENV, on_unset=seen.append)
    assert interp.substitute("${X}-$X") == "-"
    assert seen == ["X"]


@pytest.mark.parametrize("text", ["${UNSET:?need it}", "${EMPTY:?need it}", "${UNSET?need it}"])
def test_required_variable_missing(text):
    with pytest.raises(ConfigError, match="required variable .* is missing a value: need it"):
        Interpolator(ENV).substitute(text)


@pytest.mark.parametrize("text", ["${A B}", "${}", "${SET", "${-x}"])
def test_invalid_format(text):
    with pytest.raises(InterpolationError):
        Interpolator(ENV).substitute(text)


def test_tree_interpolates_values_not_keys_and_reports_path():
    data = {"services": {"w": {"image": "$SET", "labels": {"$SET": "x"}, "n": 1}}}
    out = interpolate_tree(data, Interpolator(ENV))
    assert out == {"services": {"w": {"image": "v", "labels": {"$SET": "x"}, "n": 1}}}
    with pytest.raises(ConfigError) as err:
        interpolate_tree({"services": {"w": {"image": "${A B}"}}}, Interpolator(ENV), file="c.yaml",
                         lines=lambda p: 3)
    issue = err.value.issues[0]
    assert issue.line == 3 and issue.path == "services.w.image"
    assert "invalid interpolation format for services.w.image" in issue.message
