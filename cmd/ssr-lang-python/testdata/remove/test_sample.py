"""Tests for removal."""
import pytest


def helper():
    return 1


def test_plain():
    assert helper() == 1


@pytest.mark.parametrize("x", [1, 2])
@pytest.mark.slow
def test_param(x):
    assert x > 0


class TestOnly:
    def test_alone(self):
        assert True


class TestMany:
    """Docstring stays."""

    def test_one(self):
        assert 1

    # a comment between methods
    def test_two(self):
        assert 2

    class TestInner:
        def test_deep(self):
            assert 3


class TestWithDoc:
    """Only a docstring will be left."""

    def test_x(self):
        pass


def test_plain():  # redefined: both go
    assert True


def test_last(): assert True
