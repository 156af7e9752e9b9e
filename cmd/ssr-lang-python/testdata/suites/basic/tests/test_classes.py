import pytest


class TestStack:
    def test_push(self):
        assert [1] + [2] == [1, 2]

    def test_pop(self):
        assert [].pop() is None

    @pytest.mark.parametrize("x", [0, 1])
    def test_param(self, x):
        assert x >= 0

    class TestNested:
        def test_inner(self):
            assert True


class TestEmpty:
    pass
