package setupfail

import (
	"testing"

	"example.com/missing/dependency"
)

func TestX(t *testing.T) { dependency.Do() }
