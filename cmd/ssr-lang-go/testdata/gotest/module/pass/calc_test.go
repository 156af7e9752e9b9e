package pass

import "testing"

func TestAdd(t *testing.T) {
	if Add(1, 2) != 3 {
		t.Fatal("bad")
	}
}

func TestAddZero(t *testing.T) {
	t.Log("progress: 50%")
	if Add(0, 0) != 0 {
		t.Fatal("bad")
	}
}

func ExampleAdd() {
	println(Add(1, 1))
	// Output:
}
