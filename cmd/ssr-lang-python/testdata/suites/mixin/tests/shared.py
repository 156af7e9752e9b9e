class RoundTripChecks:
    """A mixin imported by the test module: its tests run in every class that inherits it."""

    def test_round_trip(self):
        self.assertEqual(self.decode(self.encode("abc")), "abc")

    def test_empty(self):
        self.assertEqual(self.encode(""), "")
