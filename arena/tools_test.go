package arena

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/agent"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// startSandbox starts a sandbox of repo for a test and closes it when the test ends.
func startSandbox(t *testing.T, f fixture, repo *Repo, role string) sandbox.Sandbox {
	t.Helper()
	sb, err := f.provider.Start(context.Background(), repo.spec(f.job, role))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	return sb
}

// TestTools carries out the code-writing tools in a real sandbox.
func TestTools(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	sb := startSandbox(t, f, repo, "injector")
	ctx := context.Background()
	ws := newWorkspace(sb, hostBase(repo, nil))
	wd := sandbox.DefaultWorkdir
	short := toolLimits{timeout: 2 * time.Second, maxOutput: 100}
	mustWrite := func(res agent.Result, err error) agent.Result {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// The cases depend on each other's files: they run in order.
	tests := []struct {
		name      string
		do        func() agent.Result
		wantOut   string // contained in Output
		wantErr   string // contained in Error; empty: no error
		wantExit  int
		wantTrunc bool
	}{
		{name: "bash prints", do: func() agent.Result { return bash(ctx, sb, wd, "pwd; echo oops >&2", short) }, wantOut: "/repo\noops\n"},
		{name: "bash exit status", do: func() agent.Result { return bash(ctx, sb, wd, "exit 3", short) }, wantExit: 3},
		{name: "bash timeout", do: func() agent.Result { return bash(ctx, sb, wd, "sleep 30", short) }, wantErr: "timed out after 2s", wantExit: 137},
		{name: "bash output cap", do: func() agent.Result { return bash(ctx, sb, wd, "head -c 1000 /dev/zero | tr '\\0' x", short) }, wantOut: "[ssr: output truncated at 100 bytes]", wantTrunc: true},
		{name: "bash without a command", do: func() agent.Result { return bash(ctx, sb, wd, " ", short) }, wantErr: "no command"},
		{name: "create", do: func() agent.Result { return mustWrite(ws.create(ctx, wd, "notes/a.txt", "one\ntwo\nthree\ntwo\n")) }, wantOut: "created notes/a.txt"},
		{name: "view a range", do: func() agent.Result { return view(ctx, sb, wd, "/repo/notes/a.txt", []int{2, 3}) }, wantOut: "     2\ttwo\n     3\tthree\n"},
		{name: "view to the end", do: func() agent.Result { return view(ctx, sb, wd, "notes/a.txt", []int{4, -1}) }, wantOut: "     4\ttwo\n"},
		{name: "view outside the file", do: func() agent.Result { return view(ctx, sb, wd, "notes/a.txt", []int{9, 10}) }, wantErr: "outside the file's 4 lines"},
		{name: "view a missing file", do: func() agent.Result { return view(ctx, sb, wd, "nope.txt", nil) }, wantErr: "nope.txt does not exist"},
		{name: "replace absent text", do: func() agent.Result { return mustWrite(ws.replace(ctx, wd, "notes/a.txt", "four", "4")) }, wantErr: "does not occur"},
		{name: "replace text twice there", do: func() agent.Result { return mustWrite(ws.replace(ctx, wd, "notes/a.txt", "two", "2")) }, wantErr: "occurs 2 times"},
		{name: "replace in a missing file", do: func() agent.Result { return mustWrite(ws.replace(ctx, wd, "nope.txt", "a", "b")) }, wantErr: "no such file"},
		{name: "replace once", do: func() agent.Result { return mustWrite(ws.replace(ctx, wd, "notes/a.txt", "three\ntwo", "3\n2")) }, wantOut: "at line 3"},
		{name: "the replacement is there", do: func() agent.Result { return view(ctx, sb, wd, "notes/a.txt", nil) }, wantOut: "     3\t3\n     4\t2\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := tc.do()
			if !strings.Contains(res.Output, tc.wantOut) || res.ExitCode != tc.wantExit || res.Truncated != tc.wantTrunc {
				t.Errorf("result %+v; want output containing %q, exit %d, truncated %v", res, tc.wantOut, tc.wantExit, tc.wantTrunc)
			}
			if (tc.wantErr == "") != (res.Error == "") || !strings.Contains(res.Error, tc.wantErr) {
				t.Errorf("error %q, want %q", res.Error, tc.wantErr)
			}
		})
	}
	// Revert takes back what create and replace wrote: the new file goes.
	if n, err := ws.revert(ctx); err != nil || n != 1 {
		t.Fatalf("revert: %d file(s), %v; want 1", n, err)
	}
	if res := view(ctx, sb, wd, "notes/a.txt", nil); !strings.Contains(res.Error, "does not exist") {
		t.Fatalf("after revert: %+v, want the created file gone", res)
	}
}
