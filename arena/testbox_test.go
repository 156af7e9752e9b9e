package arena

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos"
	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/plugin"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// boxProbeScript prints what a run can see of the state that earlier runs in its sandbox left, then leaves
// some of its own: a file in the tree, a directory, a file in /tmp and a process that outlives the script.
const boxProbeScript = `cd /repo
echo "script $0"
echo "money $(sha256sum ledger/money.py | cut -c1-16)"
echo "textfmt $(test -e ledger/textfmt.py && echo present || echo absent)"
echo "untracked $(git -c safe.directory='*' ls-files -o --directory | tr '\n' ' ')"
echo "tmp $(ls -A /tmp | grep -v '^.ssr-' | tr '\n' ' ')"
n=0; for d in /proc/[0-9]*; do case "$(tr '\0' ' ' < $d/cmdline 2>/dev/null)" in "sleep 1004"*) n=$((n+1));; esac; done; echo "sleepers $n"
touch left-behind.txt 'keep a-x.txt'; mkdir -p ledger/newdir && touch ledger/newdir/x; echo junk > /tmp/junk; touch /tmp/.hidden
setsid sleep 1004 >/dev/null 2>&1 < /dev/null &
`

// TestBoxRunsFromACleanTree: runs in one test box each see the tree at the commit with only their own
// overlay (same-size edits of one file in quick succession included), with nothing an earlier run left in
// the tree, in /tmp or running, while what the image had untracked stays; a run killed at its limit is
// reported as timed out and the box serves the next run. A run after the first costs one exec for the
// script and one for a script parser: no container start, no file transfer.
func TestBoxRunsFromACleanTree(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	a, calls := countedArena(t, f, DefaultConfig())
	ctx := context.Background()
	box, err := a.startBox(ctx, repo, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.release(box.sb) })
	// What an image's setup could leave untracked in the tree (build outputs): a reset keeps it, even under
	// a name that would be a pattern (a reset removes "keep a-x.txt", which the run made and "keep [ab]*.txt"
	// would match as a glob).
	if err := box.sb.WriteFiles(ctx, sandbox.File{Path: "build/ext.so", Data: []byte("built")},
		sandbox.File{Path: "keep [ab]*.txt", Data: []byte("built")}); err != nil {
		t.Fatal(err)
	}

	orig, err := artifact.ReadTree(repo.Dir, []string{moneyPy})
	if err != nil {
		t.Fatal(err)
	}
	money := string(orig[moneyPy])
	i := strings.Index(money, addLine) + len("return Money(self.units ")
	sameSize := func(op string) []byte { return []byte(money[:i] + op + money[i+1:]) } // "+" → op
	sum := func(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:])[:16] }
	art := &artifact.Artifact{
		TestScript: boxProbeScript,
		Parser:     artifact.Parser{ScriptName: "test_parser.sh", Script: "#!/bin/sh\ncat >/dev/null\necho '{\"probe\": \"passed\"}'\n"},
	}
	run := func(ov *overlay, timeout time.Duration) (*TestRun, string) {
		t.Helper()
		r, err := a.runIn(ctx, box, repo, "probe", ov, art, timeout)
		if err != nil {
			t.Fatal(err)
		}
		return r, string(r.Output)
	}

	_, out := run(&overlay{write: map[string][]byte{moneyPy: sameSize("-")}, remove: []string{textfmtPy}}, time.Minute)
	for _, want := range []string{"script " + runScriptPath + "\n", "money " + sum(sameSize("-")), "textfmt absent", "untracked build/ keep [ab]*.txt \n", "tmp \n", "sleepers 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("first run: output lacks %q:\n%s", want, out)
		}
	}

	before, total := calls.snapshot()
	r, out := run(&overlay{write: map[string][]byte{moneyPy: sameSize("*")}}, time.Minute)
	for _, want := range []string{"money " + sum(sameSize("*")), "textfmt present", "untracked build/ keep [ab]*.txt \n", "tmp \n", "sleepers 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("second run: output lacks %q (the reset left something behind):\n%s", want, out)
		}
	}
	if r.Results["probe"] != plugin.StatusPassed || r.End != plugin.RunCompleted {
		t.Errorf("second run: results %v, end %s: want the script parser's answer", r.Results, r.End)
	}
	after, total2 := calls.snapshot()
	t.Logf("second run in the box: %d engine calls (%s)", total2-total, calls)
	if n := after["ContainerExecCreate"] - before["ContainerExecCreate"]; n != 2 {
		t.Errorf("second run made %d execs, want 2 (the script's, with its setup, and the parser's)", n)
	}
	for _, op := range []string{"CopyToContainer", "ContainerCreate", "ContainerStart", "ContainerRemove"} {
		if n := after[op] - before[op]; n != 0 {
			t.Errorf("second run called %s %d times, want none", op, n)
		}
	}

	// A run killed at its limit is a timed-out run, and the box still serves the next one from a clean tree.
	slow := *art
	slow.TestScript = "sleep 1005\n"
	r, err = a.runIn(ctx, box, repo, "probe", &overlay{write: map[string][]byte{"new.txt": []byte("x")}}, &slow, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !r.TimedOut || r.End != plugin.RunTimedOut || r.Duration > 10*time.Second {
		t.Errorf("slow run: timed out %v, end %s after %v: want a timeout at the 2s limit", r.TimedOut, r.End, r.Duration)
	}
	_, out = run(nil, time.Minute)
	for _, want := range []string{"money " + sum(orig[moneyPy]), "textfmt present", "untracked build/ keep [ab]*.txt \n", "tmp \n", "sleepers 0"} {
		if !strings.Contains(out, want) {
			t.Errorf("run after a timeout: output lacks %q:\n%s", want, out)
		}
	}

	// A script too large for one argument is installed as root's file, once, and run from it; $0 is the
	// same for both.
	big := *art
	big.TestScript = strings.Repeat("# padding to pass the limit of a script in the command\n", maxInlineScript/50) + `echo "big from $0"` + "\n"
	if inlineScript(&big) || !inlineScript(art) {
		t.Fatalf("inlineScript: %d bytes inline %v, %d bytes inline %v", len(big.TestScript), inlineScript(&big), len(art.TestScript), inlineScript(art))
	}
	for i := range 2 {
		before, _ := calls.snapshot()
		r, err := a.runIn(ctx, box, repo, "probe", nil, &big, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		after, _ := calls.snapshot()
		if want := "big from " + runScriptPath; !strings.Contains(string(r.Output), want) {
			t.Errorf("large script, run %d: output lacks %q:\n%s", i, want, r.Output)
		}
		if n, want := after["CopyToContainer"]-before["CopyToContainer"], 1-i; n != want {
			t.Errorf("large script, run %d: %d file transfers, want %d", i, n, want)
		}
	}
}

// TestValidateEngineCalls: a validation with one container runs the original, bug and weakening runs of a
// one-file bug in one sandbox, one exec each, with no file transfer through the engine.
func TestValidateEngineCalls(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	a, calls := countedArena(t, f, conf(func(c *Config) { c.Containers = 1 }))
	rep, err := a.Validate(context.Background(), repo, moneyBug(t, repo))
	if err != nil || !rep.Valid {
		t.Fatalf("the money bug must be valid: %v %v", err, rep.Rejection)
	}
	a.Wait()
	n, total := calls.snapshot()
	runs := len(rep.Runs)
	t.Logf("%d runs: %s, %.1f a run", runs, calls, float64(total)/float64(runs))
	if runs != 5 {
		t.Fatalf("%d runs, want 2 original, 2 bug and 1 weakening run", runs)
	}
	if n["ContainerCreate"] != 1 || n["ContainerRemove"] != 1 {
		t.Errorf("%d containers created and %d removed, want 1 and 1", n["ContainerCreate"], n["ContainerRemove"])
	}
	// The test script travels in each run's command (scriptCommand): nothing goes through the archive API.
	if n["ContainerExecCreate"] != runs || n["CopyToContainer"] != 0 {
		t.Errorf("%d execs and %d file transfers for %d runs, want one exec a run and none", n["ContainerExecCreate"], n["CopyToContainer"], runs)
	}
}

// TestBoxForAUserThatCannotWriteTheTree: in a sandbox whose user cannot write /repo, each run is prepared
// as the tree's owner and the script runs as the sandbox's user.
func TestBoxForAUserThatCannotWriteTheTree(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	a := f.arena(DefaultConfig())
	ctx := context.Background()
	spec := repo.spec(f.job, "test")
	spec.User = "65534"
	sb, err := f.provider.Start(ctx, spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.release(sb) })
	box := &testBox{sb: sb, keep: true, installed: map[string]string{}}
	art := &artifact.Artifact{
		TestScript: "id -u; head -c 7 /repo/ledger/money.py; echo; test -e /repo/ledger/textfmt.py && echo present || echo absent\n",
		Parser:     artifact.Parser{ScriptName: "test_parser.sh", Script: "#!/bin/sh\ncat >/dev/null\necho '{\"probe\": \"passed\"}'\n"},
	}
	for i, c := range []struct {
		ov   *overlay
		want string
	}{
		{&overlay{write: map[string][]byte{moneyPy: []byte("changed\n")}, remove: []string{textfmtPy}}, "65534\nchanged\nabsent\n"},
		{nil, "65534\n\"\"\"Exac\npresent\n"},
	} {
		r, err := a.runIn(ctx, box, repo, "probe", c.ov, art, time.Minute)
		if err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if string(r.Output) != c.want || r.Results["probe"] != plugin.StatusPassed {
			t.Errorf("run %d: output %q, results %v; want %q and the parser's answer", i+1, r.Output, r.Results, c.want)
		}
	}
	if box.prepUser != strconv.Itoa(repos.SandboxUID) {
		t.Errorf("the box prepares runs as %q, want the tree's owner %d", box.prepUser, repos.SandboxUID)
	}
}

// countedArena is an arena on a provider of its own (a budget of 2) whose engine calls the counter counts.
func countedArena(t *testing.T, f fixture, cfg Config) (*Arena, *callCounter) {
	t.Helper()
	calls := newCallCounter(f.cli)
	p, err := docker.New(calls, docker.WithBudget(docker.NewBudget(2)))
	if err != nil {
		t.Fatal(err)
	}
	a := New(p, f.job, cfg, nil)
	t.Cleanup(a.Wait)
	return a, calls
}
