import os
import signal


def test_before():
    assert True


def test_fails():
    assert 1 + 1 == 3


def test_kills_the_run():
    # Stands for a run killed mid-suite (a time limit, the OOM killer): the process dies without a summary.
    os.kill(os.getpid(), signal.SIGKILL)


def test_after():
    pass
