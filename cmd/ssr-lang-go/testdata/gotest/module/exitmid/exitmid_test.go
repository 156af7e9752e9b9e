package exitmid

import (
	"os"
	"testing"
)

func TestA(t *testing.T) {}

func TestB(t *testing.T) { os.Exit(3) }

func TestC(t *testing.T) {}
