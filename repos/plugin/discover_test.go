package plugin

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestDiscoverFirstFoundWins(t *testing.T) {
	a, b := t.TempDir(), t.TempDir()
	write := func(dir, name string, mode os.FileMode) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte("#!/bin/sh\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	write(a, "ssr-lang-go", 0o755)
	write(b, "ssr-lang-go", 0o755)
	write(b, "ssr-lang-python", 0o755)
	write(a, "ssr-lang-noexec", 0o644)
	write(a, "ssr-lang-", 0o755)
	write(a, "other-tool", 0o755)
	if err := os.Mkdir(filepath.Join(a, "ssr-lang-dir"), 0o755); err != nil {
		t.Fatal(err)
	}
	got := discover([]string{"", filepath.Join(a, "missing"), a, b})
	want := []Program{{Name: "go", Path: filepath.Join(a, "ssr-lang-go")}, {Name: "python", Path: filepath.Join(b, "ssr-lang-python")}}
	if !slices.Equal(got, want) {
		t.Errorf("discover = %v, want %v", got, want)
	}
}

func TestSearchPathOrder(t *testing.T) {
	t.Setenv("SSR_PLUGIN_DIR", "/p1:/p2")
	t.Setenv("PATH", "/bin1:/bin2")
	got := SearchPath()
	exe, _ := os.Executable()
	exe, _ = filepath.EvalSymlinks(exe)
	want := []string{"/p1", "/p2", filepath.Dir(exe), "/bin1", "/bin2"}
	if !slices.Equal(got, want) {
		t.Errorf("SearchPath = %q, want %q", got, want)
	}
}

func TestErrorMessages(t *testing.T) {
	tests := map[string]struct {
		err  *Error
		want string
	}{
		"crash":  {&Error{Plugin: "ssr-lang-x", Op: "ParseTestOutput", Kind: ErrCrashed, Err: errString("exit status 2"), Stderr: "boom\n"}, "plugin ssr-lang-x crashed during ParseTestOutput: exit status 2; its stderr tail: boom"},
		"plugin": {&Error{Plugin: "ssr-lang-x", Op: "Detect", Err: errString("bad root")}, "plugin ssr-lang-x: Detect failed: bad root"},
		"closed": {&Error{Plugin: "ssr-lang-x", Op: "Open", Kind: ErrClosed}, "plugin ssr-lang-x: Open called after Close"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

type errString string

func (e errString) Error() string { return string(e) }

func TestTailKeepsTheEnd(t *testing.T) {
	tl := newTail(16)
	tl.Write([]byte("first line\nsecond line\n"))
	tl.Write([]byte(`{"@level":"debug","@message":"x"}` + "\nlast\n"))
	if got := tl.String(); got != "last" {
		t.Errorf("tail = %q, want %q", got, "last")
	}
}
