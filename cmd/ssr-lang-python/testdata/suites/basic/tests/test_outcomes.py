import sys

import pytest


def test_pass():
    assert 1 + 1 == 2


def test_fail():
    assert [1, 2] == [1, 3]


def test_skip():
    pytest.skip("not today")


@pytest.mark.skipif(sys.platform != "nonexistent", reason="never on this platform")
def test_skipif():
    pass


@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert False


@pytest.mark.xfail(reason="fixed already")
def test_xpass():
    pass


@pytest.mark.xfail(strict=True, reason="must fail")
def test_xpass_strict():
    pass


def test_raises_error():
    raise RuntimeError("boom - PASSED")


def test_duration():
    import time

    time.sleep(0.02)
