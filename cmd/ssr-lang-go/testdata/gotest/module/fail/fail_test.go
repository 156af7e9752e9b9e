package fail

import "testing"

func TestGood(t *testing.T) {}

func TestBad(t *testing.T) {
	t.Errorf("got %d, want %d", 1, 2)
}

func TestFatal(t *testing.T) {
	t.Fatal("PASS")
}
