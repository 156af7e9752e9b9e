def test_never_reached():
    pass
