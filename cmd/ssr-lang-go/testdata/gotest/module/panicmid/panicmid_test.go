package panicmid

import "testing"

func TestA(t *testing.T) {}

func TestB(t *testing.T) {
	t.Run("inner", func(t *testing.T) {
		var s []int
		_ = s[3]
	})
}

func TestC(t *testing.T) {}
