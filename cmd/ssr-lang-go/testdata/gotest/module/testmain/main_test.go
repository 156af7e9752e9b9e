package testmain

import (
	"log"
	"os"
	"testing"
)

func TestMain(m *testing.M) {
	if os.Getenv("NEVER_SET_SSR") == "" {
		log.Fatal("setup: database not reachable")
	}
	os.Exit(m.Run())
}

func TestNeverRuns(t *testing.T) {}
