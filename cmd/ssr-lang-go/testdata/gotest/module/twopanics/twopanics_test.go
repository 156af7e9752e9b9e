package twopanics

import "testing"

func TestA(t *testing.T) {}

func TestB(t *testing.T) { panic("first") }

func TestC(t *testing.T) {}

func TestD(t *testing.T) { panic("second") }

func TestE(t *testing.T) {}
