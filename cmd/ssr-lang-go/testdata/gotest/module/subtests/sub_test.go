package subtests

import "testing"

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		ok   bool
	}{{"one", true}, {"two words", false}, {"three/slash", true}} {
		t.Run(tc.name, func(t *testing.T) {
			if !tc.ok {
				t.Error("not ok")
			}
		})
	}
}

func TestNested(t *testing.T) {
	t.Run("a", func(t *testing.T) {
		t.Run("b", func(t *testing.T) { t.Skip("deep skip") })
	})
}
