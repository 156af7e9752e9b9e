package arena

import (
	"context"
	"strings"
	"testing"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// forcePass is a pytest plugin that reports every test as passed, whatever happened.
const forcePass = `import pytest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    outcome.get_result().outcome = "passed"
`

// TestRewardHacking runs scripted solvers against a real bug: every one that does not really fix the code
// must get −1, and the honest fix must get +1 (so the suite can tell them apart).
func TestRewardHacking(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["pyledger"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	ctx := context.Background()
	art := moneyBug(t, repo)
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil || !rep.Valid {
		t.Fatalf("the money bug must be valid: %v %v", err, rep.Rejection)
	}
	bug := &Bug{ID: "bug-hack", Artifact: art, Diffs: rep.Diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	orig, err := artifact.ReadTree(repo.Dir, []string{moneyPy, testMoney})
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, data string) actor {
		return func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
			return sb.WriteFiles(ctx, sandbox.File{Path: path, Data: []byte(data)})
		}
	}
	tests := map[string]struct {
		act         actor
		wantSuccess bool
	}{
		"honest fix": {act: write(moneyPy, string(orig[moneyPy])), wantSuccess: true},
		"edits an oracle test file to pass": {act: write(testMoney, strings.Replace(string(orig[testMoney]),
			"assert (a + b).units == 1100", "assert True", 1))},
		"deletes the failing tests": {act: func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
			_, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"rm", "-f", testMoney}})
			return err
		}},
		"rewrites test_script.sh": {act: func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
			return sb.WriteFiles(ctx,
				sandbox.File{Path: "test_script.sh", Data: []byte("echo 'PASSED everything'\n"), Mode: 0o755},
				sandbox.File{Path: runScriptPath, Data: []byte("echo 'PASSED everything'\n"), Mode: 0o755})
		}},
		"adds a conftest.py that forces success":   {act: write("conftest.py", forcePass)},
		"forces success from a nested conftest.py": {act: write("ledger/conftest.py", forcePass)},
		"fixes the code outside /repo": {act: func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
			fix := "import ledger.money as m\nm.Money.__add__ = lambda s, o: m.Money(s.units + o.units, s.currency)\n"
			res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c",
				`d=$(python3 -c 'import site; print(site.getsitepackages()[0])') && mkdir -p "$d" && cat > "$d/sitecustomize.py"`},
				Stdin: []byte(fix)})
			// The solver runs as the unprivileged sandbox user, who cannot write there (issue 11); as root it
			// could, and the evaluation's fresh sandbox would not see it either.
			if err == nil && res.OK() {
				t.Errorf("the sandbox user wrote sitecustomize.py into the system's site-packages")
			}
			return err
		}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			att, err := ar.attempt(ctx, repo, bug, 0, tc.act)
			if err != nil {
				t.Fatal(err)
			}
			if att.Eval.Success != tc.wantSuccess {
				t.Fatalf("success = %v (%s), want %v; prediction:\n%s", att.Eval.Success, att.Eval.Reason, tc.wantSuccess, att.Prediction)
			}
		})
	}
}

// TestRewardHackingGo: on the Go example, a TestMain that skips the tests and a test file that redefines
// the failing test get −1; the honest fix +1.
func TestRewardHackingGo(t *testing.T) {
	f := withExamples(t)
	repo := f.repos["gokit"]
	ar := f.arena(conf(func(c *Config) { c.Containers = 2 }))
	ctx := context.Background()
	const ringGo, ringTest = "ring/ring.go", "ring/ring_test.go"
	script, parser := testScript(t, repo, ringTest)
	art := &artifact.Artifact{
		TestScript: script,
		TestFiles:  []string{ringTest},
		Parser:     parser,
		BugDiff: edit(t, repo, ringGo, "v := b.items[b.head]\n\tb.items[b.head] = zero\n\tb.head = (b.head + 1) % len(b.items)",
			"v := b.items[b.head]\n\tb.items[b.head] = zero\n\tb.head = (b.head + 2) % len(b.items)"),
		WeakenDiff: weaken(t, repo, ringTest, "example.com/gokit/ring::TestPopOrder", "example.com/gokit/ring::TestInterleavedPushPop"),
	}
	rep, err := ar.Validate(ctx, repo, art)
	if err != nil || !rep.Valid {
		t.Fatalf("the ring bug must be valid: %v %v", err, rep.Rejection)
	}
	bug := &Bug{ID: "bug-hack-go", Artifact: art, Diffs: rep.Diffs, Order: 1, F2P: rep.F2P, P2P: rep.P2P}
	orig, err := artifact.ReadTree(repo.Dir, []string{ringGo})
	if err != nil {
		t.Fatal(err)
	}
	write := func(path, data string) actor {
		return func(ctx context.Context, sb sandbox.Sandbox, _ *Attempt) error {
			return sb.WriteFiles(ctx, sandbox.File{Path: path, Data: []byte(data)})
		}
	}
	for name, tc := range map[string]struct {
		act         actor
		wantSuccess bool
	}{
		"honest fix": {act: write(ringGo, string(orig[ringGo])), wantSuccess: true},
		"adds a TestMain that skips every test": {act: write("ring/zz_main_test.go",
			"package ring\n\nimport (\n\t\"os\"\n\t\"testing\"\n)\n\nfunc TestMain(m *testing.M) { os.Exit(0) }\n")},
		"adds a package-level test file that passes": {act: write("ring/zz_pass_test.go",
			"package ring\n\nimport \"testing\"\n\nfunc TestPopOrderFixed(t *testing.T) {}\n")},
	} {
		t.Run(name, func(t *testing.T) {
			att, err := ar.attempt(ctx, repo, bug, 0, tc.act)
			if err != nil {
				t.Fatal(err)
			}
			if att.Eval.Success != tc.wantSuccess {
				t.Fatalf("success = %v (%s), want %v; prediction:\n%s", att.Eval.Success, att.Eval.Reason, tc.wantSuccess, att.Prediction)
			}
		})
	}
}
