package parallel

import (
	"testing"
	"time"
)

func TestP1(t *testing.T) {
	t.Parallel()
	time.Sleep(20 * time.Millisecond)
}

func TestP2(t *testing.T) {
	t.Parallel()
	time.Sleep(10 * time.Millisecond)
	t.Error("p2 fails")
}

func TestGroup(t *testing.T) {
	for _, n := range []string{"x", "y"} {
		t.Run(n, func(t *testing.T) {
			t.Parallel()
			time.Sleep(5 * time.Millisecond)
		})
	}
}
