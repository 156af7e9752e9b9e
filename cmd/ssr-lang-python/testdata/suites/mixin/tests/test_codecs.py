import unittest

from shared import RoundTripChecks


class LengthChecks:
    """A mixin in the same file."""

    def test_length_kept(self):
        self.assertEqual(len(self.encode("hello")), 5)


class TestIdentity(RoundTripChecks, LengthChecks, unittest.TestCase):
    def encode(self, s):
        return s

    def decode(self, s):
        return s

    def test_own(self):
        self.assertTrue(True)


class TestReverse(RoundTripChecks, LengthChecks, unittest.TestCase):
    def encode(self, s):
        return s[::-1]

    def decode(self, s):
        return s


class BaseCase(unittest.TestCase):
    def test_base(self):
        self.assertEqual(1, 1)


class TestDerived(BaseCase):
    def test_derived(self):
        self.assertEqual(2, 2)


class TestPlainBase:
    def test_plain_inherited(self):
        assert True


class TestPlainChild(TestPlainBase):
    def test_plain_own(self):
        assert True
