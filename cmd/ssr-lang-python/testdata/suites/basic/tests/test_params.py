import pytest


@pytest.mark.parametrize("a,b", [(1, 2), (3, 4)])
def test_pairs(a, b):
    assert a < b


@pytest.mark.parametrize("s", ["a b", "x [y] z", "p - q", "u::v", "PASSED", "éß"])
def test_strings(s):
    assert s != "PASSED"


@pytest.mark.parametrize("n", [1, 2], ids=["one two", "three - FAILED"])
def test_custom_ids(n):
    assert n == 1


def test_ünïcode_name():
    assert True
