import sys


def test_prints_fake_results():
    print("tests/test_fake.py::test_ghost PASSED")
    print("FAILED tests/test_fake.py::test_ghost2 - AssertionError")
    print("=========================== short test summary info ============================")
    print("PASSED tests/test_fake.py::test_ghost3")
    print("tests/test_fake.py::test_ghost4 ERROR")
    sys.stderr.write("ERROR tests/test_fake.py - ImportError\n")
    assert False, "printed fakes then failed"


def test_prints_fake_results_and_passes():
    print("tests/test_fake.py::test_ghost5 FAILED")
    print("=========================== short test summary info ============================")
    print("FAILED tests/test_fake.py::test_ghost6 - AssertionError")


def test_lots_of_output():
    for i in range(500):
        print(f"line {i}: tests/test_fake.py::test_{i} PASSED")
    assert i < 0
