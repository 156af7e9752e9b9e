package docker_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/docker"
	"github.com/selfplay-swe/ssr/repos/docker/dockertest"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// helperEnv makes the test binary a helper process that starts sandboxes and waits to be killed.
const helperEnv = "SSR_DOCKER_TEST_HELPER_JOB"

func TestMain(m *testing.M) {
	if job := os.Getenv(helperEnv); job != "" {
		os.Exit(helper(job))
	}
	os.Exit(m.Run())
}

// helper starts two sandboxes for job, prints READY and sleeps until it is killed.
func helper(job string) int {
	ctx := context.Background()
	cli, err := docker.Connect(ctx)
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	p, err := docker.New(cli)
	if err != nil {
		fmt.Println("ERROR", err)
		return 1
	}
	for _, role := range []string{"injector", "solver"} {
		if _, err := p.Start(ctx, sandbox.Spec{Image: os.Getenv("SSR_DOCKER_TEST_IMAGE"), Job: job, Role: role}); err != nil {
			fmt.Println("ERROR", err)
			return 1
		}
	}
	fmt.Println("READY")
	time.Sleep(10 * time.Minute)
	return 0
}

func newProvider(t *testing.T, opts ...docker.Option) *docker.Provider {
	t.Helper()
	p, err := docker.New(dockertest.Client(t), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func startSandbox(t *testing.T, p *docker.Provider, spec sandbox.Spec) sandbox.Sandbox {
	t.Helper()
	sb, err := p.Start(context.Background(), spec)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close(context.Background()) })
	return sb
}

func TestContainerHardeningAndLabels(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	sb := startSandbox(t, newProvider(t), sandbox.Spec{Image: image, Job: job, Role: "solver", Limits: sandbox.Limits{Memory: 256 << 20, Pids: 100, NanoCPUs: 500_000_000}})
	ins, err := cli.ContainerInspect(context.Background(), sb.ID())
	if err != nil {
		t.Fatal(err)
	}
	self, _ := docker.Self()
	labels := ins.Config.Labels
	if labels[docker.LabelOwner] != self.String() || labels[docker.LabelJob] != job || labels[docker.LabelRole] != "solver" {
		t.Errorf("labels %v, want owner %s, job %s, role solver", labels, self, job)
	}
	hc := ins.HostConfig
	checks := []struct {
		what string
		ok   bool
	}{
		{"network none", hc.NetworkMode == "none"},
		{"all capabilities dropped", len(hc.CapDrop) == 1 && strings.EqualFold(hc.CapDrop[0], "ALL") && len(hc.CapAdd) == 0},
		{"no-new-privileges", len(hc.SecurityOpt) == 1 && strings.HasPrefix(hc.SecurityOpt[0], "no-new-privileges")},
		{"pids limit", hc.PidsLimit != nil && *hc.PidsLimit == 100},
		{"memory limit, no swap", hc.Memory == 256<<20 && hc.MemorySwap == 256<<20},
		{"cpu limit", hc.NanoCPUs == 500_000_000},
		{"tmpfs /tmp", strings.Contains(hc.Tmpfs["/tmp"], "size=")},
		{"tmpfs /var/tmp", strings.Contains(hc.Tmpfs["/var/tmp"], "size=")},
		{"init", hc.Init != nil && *hc.Init},
		{"not privileged", !hc.Privileged},
	}
	for _, c := range checks {
		if !c.ok {
			t.Errorf("%s: not set (host config %+v)", c.what, hc)
		}
	}
}

// startHelper starts a helper process that owns two sandboxes of job and waits until they run.
func startHelper(t *testing.T, job, image string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+job, "SSR_DOCKER_TEST_IMAGE="+image)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "READY" {
		t.Fatalf("helper said %q, want READY", line)
	}
	return cmd
}

func TestReapKilledOwner(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	cmd := startHelper(t, job, image)
	// A live owner's containers are not reaped, nor are this process's.
	mine := startSandbox(t, newProvider(t), sandbox.Spec{Image: image, Job: job, Role: "bystander"})
	if _, err := docker.Reap(ctx, cli); err != nil {
		t.Fatal(err)
	}
	infos, err := docker.List(ctx, cli, job)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 3 {
		t.Fatalf("%d containers of job %s before the kill, want 3: %+v", len(infos), job, infos)
	}

	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()
	n, err := docker.Reap(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 {
		t.Errorf("Reap removed %d containers, want at least the helper's 2", n)
	}
	infos, err = docker.List(ctx, cli, job)
	if err != nil {
		t.Fatal(err)
	}
	if len(infos) != 1 || infos[0].ID != mine.ID() {
		t.Errorf("after Reap, job %s has %+v; want only this process's sandbox %.12s", job, infos, mine.ID())
	}
}

// TestReapZombieOwner is issue 11's item 4: right after kill -9 the owner is a zombie until its parent
// waits for it (here: this test, which does not), and its containers must be reaped all the same.
func TestReapZombieOwner(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	cmd := startHelper(t, job, image)
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", cmd.Process.Pid))
		if err != nil {
			t.Fatalf("the killed helper is gone although nobody waited for it: %v", err)
		}
		if f := strings.Fields(string(stat[strings.LastIndexByte(string(stat), ')')+1:])); f[0] == "Z" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the killed helper is not a zombie after 10s: %s", stat)
		}
		time.Sleep(20 * time.Millisecond)
	}
	n, err := docker.Reap(ctx, cli)
	if err != nil {
		t.Fatal(err)
	}
	infos, err := dockertest.Left(ctx, cli, job)
	if err != nil {
		t.Fatal(err)
	}
	if n < 2 || len(infos) != 0 {
		t.Errorf("Reap removed %d containers and left %+v; want the zombie owner's 2 removed", n, infos)
	}
}

// TestReapLapsedOwner: an owner that is alive by /proc but has lost its job's lease in the store is
// dead to the reaper when the job wires WithLapsed.
func TestReapLapsedOwner(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	sb := startSandbox(t, newProvider(t), sandbox.Spec{Image: image, Job: job, Role: "lapsed"})
	self, _ := docker.Self()
	var asked []string
	lapsed := func(lapsed bool, err error) docker.ReapOption {
		return docker.WithLapsed(func(_ context.Context, j, owner string) (bool, error) {
			if j == job {
				asked = append(asked, owner)
				return lapsed, err
			}
			return false, nil
		})
	}
	for _, c := range []struct {
		name   string
		opt    docker.ReapOption
		remain int
	}{
		{"lease held", lapsed(false, nil), 1},
		{"store error", lapsed(true, errors.New("store down")), 1},
		{"lease lapsed", lapsed(true, nil), 0},
	} {
		_, err := docker.Reap(ctx, cli, c.opt)
		if (err != nil) != (c.name == "store error") {
			t.Errorf("%s: Reap error %v", c.name, err)
		}
		infos, _ := docker.List(ctx, cli, job)
		if len(infos) != c.remain {
			t.Errorf("%s: %d containers remain, want %d", c.name, len(infos), c.remain)
		}
	}
	if len(asked) == 0 || asked[0] != self.String() {
		t.Errorf("the lapsed check was asked about %v, want this process's owner %s", asked, self)
	}
	if _, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}}); err == nil {
		t.Errorf("exec in a reaped sandbox succeeded")
	}
}

// A container whose owner pid was reused by another process (same pid, other start time) is reaped.
func TestReapReusedPID(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	self, _ := docker.Self()
	ghost := self
	ghost.Start++
	p := newProvider(t, docker.WithOwner(ghost))
	sb := startSandbox(t, p, sandbox.Spec{Image: image, Job: job, Role: "ghost"})
	if _, err := docker.Reap(context.Background(), cli); err != nil {
		t.Fatal(err)
	}
	infos, _ := dockertest.Left(context.Background(), cli, job)
	if len(infos) != 0 {
		t.Errorf("the container of a reused pid survived Reap: %+v", infos)
	}
	if _, err := sb.Exec(context.Background(), sandbox.ExecRequest{Cmd: []string{"true"}}); err == nil {
		t.Errorf("exec in a reaped sandbox succeeded")
	}
}

func TestBudget(t *testing.T) {
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	b := docker.NewBudget(1)
	p := newProvider(t, docker.WithBudget(b))
	first := startSandbox(t, p, sandbox.Spec{Image: image, Job: job})
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if sb, err := p.Start(ctx, sandbox.Spec{Image: image, Job: job}); !errors.Is(err, context.DeadlineExceeded) {
		if sb != nil {
			sb.Close(context.Background())
		}
		t.Fatalf("Start beyond the budget: %v, want DeadlineExceeded", err)
	}
	// A waiting Start proceeds once a slot is free.
	done := make(chan error, 1)
	go func() {
		sb, err := p.Start(context.Background(), sandbox.Spec{Image: image, Job: job})
		if err == nil {
			err = sb.Close(context.Background())
		}
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if b.InUse() != 1 {
		t.Errorf("budget in use %d, want 1 while the second Start waits", b.InUse())
	}
	first.Close(context.Background())
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the waiting Start did not proceed after Close")
	}
	if b.InUse() != 0 {
		t.Errorf("budget in use %d after every Close, want 0", b.InUse())
	}
	// A failed start gives its slot back.
	if _, err := p.Start(context.Background(), sandbox.Spec{Image: "ssr-no-such-image:never", Job: job}); !errors.Is(err, docker.ErrImageNotFound) {
		t.Errorf("Start from a missing image: %v", err)
	}
	if b.InUse() != 0 {
		t.Errorf("budget in use %d after a failed Start, want 0", b.InUse())
	}
}

func TestConnectUnreachable(t *testing.T) {
	t.Setenv("DOCKER_HOST", "unix:///nonexistent/ssr/docker.sock")
	_, err := docker.Connect(context.Background())
	if !errors.Is(err, docker.ErrEngineUnreachable) {
		t.Fatalf("Connect: %v, want ErrEngineUnreachable", err)
	}
	msg := err.Error()
	for _, want := range []string{"unix:///nonexistent/ssr/docker.sock", "DOCKER_HOST", "running"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q lacks %q", msg, want)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error spans lines: %q", msg)
	}
}

func TestEnsureBaseCached(t *testing.T) {
	cli := dockertest.Client(t)
	ref := dockertest.BaseImage(t)
	start := time.Now()
	got, err := docker.EnsureBase(context.Background(), cli, docker.DefaultRecipe())
	if err != nil || got != ref {
		t.Fatalf("EnsureBase = %q, %v; want %q", got, err, ref)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("cached EnsureBase took %v, want seconds at most", d)
	}
	ins, err := cli.ImageInspect(context.Background(), ref)
	if err != nil {
		t.Fatal(err)
	}
	if ins.Config.Labels[docker.LabelKind] != "base" || ins.Config.Labels["ssr.recipe"] != docker.DefaultRecipe().JSON() {
		t.Errorf("base image labels %v", ins.Config.Labels)
	}
}

// The shell runs with a TTY; pipes stand in for the terminal.
func TestShell(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	var out strings.Builder
	in := strings.NewReader("echo shell-$((6*7)); cat /proc/self/status | grep CapEff; tty; exit 3\n")
	resize := make(chan docker.TermSize, 1)
	resize <- docker.TermSize{Rows: 30, Cols: 100}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := docker.Shell(ctx, cli, sandbox.Spec{Image: image, Job: job, Role: "shell"}, docker.ShellIO{TTY: true, In: in, Out: &out, Size: docker.TermSize{Rows: 24, Cols: 80}, Resize: resize})
	if err != nil {
		t.Fatal(err)
	}
	if code != 3 {
		t.Errorf("exit status %d, want 3\n%s", code, out.String())
	}
	for _, want := range []string{"shell-42", "CapEff:\t0000000000000000", "/dev/pts/"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("shell output lacks %q:\n%s", want, out.String())
		}
	}
}

// Without a terminal the shell reads a script and ends with it.
func TestShellScript(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	var out strings.Builder
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code, err := docker.Shell(ctx, cli, sandbox.Spec{Image: image, Job: job, Role: "shell"}, docker.ShellIO{In: strings.NewReader("echo out-$((2+3))\necho err >&2\n"), Out: &out})
	if err != nil {
		t.Fatal(err)
	}
	if code != 0 || !strings.Contains(out.String(), "out-5\n") || !strings.Contains(out.String(), "err\n") {
		t.Errorf("exit %d, output %q; want 0 with out-5 and err", code, out.String())
	}
}

// The warm pool hands out started containers that no sandbox used, each at most once, only to a Start with
// the same configuration, and Provider.Close removes what it still holds.
func TestWarmPool(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	p := newProvider(t, docker.WithWarmPool(1))
	t.Cleanup(func() { p.Close(ctx) })
	spec := sandbox.Spec{Image: image, Job: job, Role: "pooled", Env: []string{"POOL=a"}}

	// waitPooled waits until the job has want containers that are not the given sandboxes, and returns them.
	waitPooled := func(want int, in ...sandbox.Sandbox) []docker.Info {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			infos, err := docker.List(ctx, cli, job)
			if err != nil {
				t.Fatal(err)
			}
			var idle []docker.Info
			for _, info := range infos {
				used := false
				for _, sb := range in {
					used = used || sb.ID() == info.ID
				}
				if !used && info.State == "running" {
					idle = append(idle, info)
				}
			}
			if len(idle) == want || time.Now().After(deadline) {
				if len(idle) != want {
					t.Fatalf("%d pooled containers of job %s, want %d: %+v", len(idle), job, want, idle)
				}
				return idle
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	first := startSandbox(t, p, spec)
	pooled := waitPooled(1, first)[0]
	if pooled.Role != docker.RoleWarm || pooled.Job != job {
		t.Errorf("pooled container labelled job %q role %q, want %q %q", pooled.Job, pooled.Role, job, docker.RoleWarm)
	}
	if _, err := docker.ParseOwner(pooled.Owner); err != nil {
		t.Errorf("pooled container's owner label %q: %v", pooled.Owner, err)
	}
	mustExec := func(sb sandbox.Sandbox, script string) string {
		t.Helper()
		res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"/bin/sh", "-c", script}})
		if err != nil || res.ExitCode != 0 {
			t.Fatalf("exec %q: %v, exit %d, stderr %s", script, err, res.ExitCode, res.Stderr)
		}
		return strings.TrimSpace(string(res.Stdout))
	}
	mustExec(first, "echo used > /tmp/mark")
	if err := first.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// The next Start with the same spec gets the pooled container; it is fresh and hardened alike.
	second := startSandbox(t, p, spec)
	if second.ID() != pooled.ID {
		t.Errorf("second sandbox %.12s, want the pooled container %.12s", second.ID(), pooled.ID)
	}
	if second.ID() == first.ID() {
		t.Fatalf("a closed sandbox's container %.12s was handed out again", first.ID())
	}
	// /tmp holds only the exec registry, with this exec's line alone: nothing ran there before.
	if got := mustExec(second, "ls -A /tmp; wc -l < /tmp/.ssr-exec; echo $POOL; grep CapEff /proc/self/status"); got != ".ssr-exec\n1\na\nCapEff:\t0000000000000000" {
		t.Errorf("pooled sandbox: /tmp, its exec registry, $POOL and CapEff are %q, want only this exec's registry line, a and no capabilities", got)
	}
	// A spec that differs in anything (here the environment) never gets that pool's container.
	pooledA := waitPooled(1, second)[0]
	other := startSandbox(t, p, sandbox.Spec{Image: image, Job: job, Role: "pooled", Env: []string{"POOL=b"}})
	if got := mustExec(other, "echo $POOL"); got != "b" {
		t.Errorf("sandbox of another spec sees POOL=%q, want b", got)
	}
	ids := map[string]bool{first.ID(): true, second.ID(): true}
	if ids[other.ID()] {
		t.Errorf("sandbox of another spec got container %.12s, already handed out", other.ID())
	}
	// Many Starts in a row, of roles that differ: every container is handed out once, and the pool
	// serves every role (its containers are made for any).
	for i := range 4 {
		s := spec
		s.Role = fmt.Sprintf("role%d", i)
		sb := startSandbox(t, p, s)
		if i == 0 && sb.ID() != pooledA.ID {
			t.Errorf("a Start of role %s got container %.12s, want the one pooled for its configuration, %.12s", s.Role, sb.ID(), pooledA.ID)
		}
		if ids[sb.ID()] {
			t.Fatalf("container %.12s handed out twice", sb.ID())
		}
		ids[sb.ID()] = true
		if err := sb.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
	second.Close(ctx)
	other.Close(ctx)
	if err := p.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if infos, err := dockertest.Left(ctx, cli, job); err != nil || len(infos) != 0 {
		t.Errorf("after Provider.Close, job %s has containers %+v (err %v), want none", job, infos, err)
	}
	// Start still works after Close, without the pool.
	after := startSandbox(t, p, spec)
	after.Close(ctx)
	if infos, err := dockertest.Left(ctx, cli, job); err != nil || len(infos) != 0 {
		t.Errorf("a Start after Provider.Close left containers %+v (err %v), want none", infos, err)
	}
}

// A pooled container that died while it waited is not handed out.
func TestWarmPoolSkipsDead(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	p := newProvider(t, docker.WithWarmPool(1))
	t.Cleanup(func() { p.Close(ctx) })
	spec := sandbox.Spec{Image: image, Job: job, Role: "pooled"}
	first := startSandbox(t, p, spec)
	first.Close(ctx)
	var dead string
	for deadline := time.Now().Add(60 * time.Second); dead == "" && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		infos, err := docker.List(ctx, cli, job)
		if err != nil {
			t.Fatal(err)
		}
		for _, info := range infos {
			if info.State == "running" {
				dead = info.ID
			}
		}
	}
	if dead == "" {
		t.Fatal("the pool made no container")
	}
	if err := cli.ContainerKill(ctx, dead, "KILL"); err != nil {
		t.Fatal(err)
	}
	sb := startSandbox(t, p, spec)
	if sb.ID() == dead {
		t.Fatalf("a dead pooled container %.12s was handed out", dead)
	}
	if res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"true"}}); err != nil || res.ExitCode != 0 {
		t.Fatalf("exec true: %v, exit %d", err, res.ExitCode)
	}
}

// A Start that takes the pool's container while the budget is full gets no replacement at once; the pool
// makes it when a sandbox gives its slot back, and the next Start, of another role, is handed that one.
func TestWarmPoolRefillsWhenASlotFrees(t *testing.T) {
	cli := dockertest.Client(t)
	image := dockertest.BaseImage(t)
	job := dockertest.Job(t)
	ctx := context.Background()
	p := newProvider(t, docker.WithWarmPool(1), docker.WithBudget(docker.NewBudget(2)))
	t.Cleanup(func() { p.Close(ctx) })
	spec := sandbox.Spec{Image: image, Job: job, Role: "solver"}
	// idle waits for one running container of the job that is none of busy, and returns its id.
	idle := func(busy ...sandbox.Sandbox) string {
		t.Helper()
		for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			infos, err := docker.List(ctx, cli, job)
			if err != nil {
				t.Fatal(err)
			}
			for _, info := range infos {
				used := false
				for _, sb := range busy {
					used = used || sb.ID() == info.ID
				}
				if !used && info.State == "running" && info.Role == docker.RoleWarm {
					return info.ID
				}
			}
		}
		t.Fatalf("no pooled container of job %s appeared", job)
		return ""
	}
	a := startSandbox(t, p, spec)
	warm := idle(a)
	spec.Role = "test"
	b := startSandbox(t, p, spec)
	if b.ID() != warm {
		t.Fatalf("second Start got %.12s, want the pooled %.12s", b.ID(), warm)
	}
	// The budget (2) is full: a and b. Nothing is being made; closing a frees a slot for the pool.
	time.Sleep(300 * time.Millisecond)
	if infos, err := docker.List(ctx, cli, job); err != nil || len(infos) != 2 {
		t.Fatalf("with the budget full, job %s has %d containers (err %v), want 2", job, len(infos), err)
	}
	if err := a.Close(ctx); err != nil {
		t.Fatal(err)
	}
	refill := idle(b)
	spec.Role = "injector"
	c := startSandbox(t, p, spec)
	if c.ID() != refill {
		t.Errorf("Start after the refill got %.12s, want the pooled %.12s", c.ID(), refill)
	}
}
