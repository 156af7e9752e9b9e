def test_ok():
    assert True


def test_also_ok():
    assert "a" in "abc"
