package docker

import (
	"errors"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/selfplay-swe/ssr/repos/internal/proc"
)

func TestParseOwner(t *testing.T) {
	cases := map[string]struct {
		in      string
		want    Owner
		wantErr bool
	}{
		"ok":             {in: "123@host-a@98765", want: Owner{PID: 123, Host: "host-a", Start: 98765}},
		"fqdn":           {in: "1@a.b.example@0", want: Owner{PID: 1, Host: "a.b.example", Start: 0}},
		"empty":          {in: "", wantErr: true},
		"two parts":      {in: "123@host", wantErr: true},
		"four parts":     {in: "1@h@2@3", wantErr: true},
		"no host":        {in: "1@@2", wantErr: true},
		"zero pid":       {in: "0@h@2", wantErr: true},
		"negative pid":   {in: "-4@h@2", wantErr: true},
		"text start":     {in: "4@h@soon", wantErr: true},
		"blanked commit": {in: "", wantErr: true},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := ParseOwner(c.in)
			if c.wantErr {
				if !errors.Is(err, ErrBadOwner) {
					t.Fatalf("ParseOwner(%q) = %v, %v; want an error wrapping ErrBadOwner", c.in, got, err)
				}
				return
			}
			if err != nil || got != c.want {
				t.Fatalf("ParseOwner(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
			}
			if got.String() != c.in {
				t.Errorf("String() = %q, want %q", got.String(), c.in)
			}
		})
	}
}

func FuzzParseOwner(f *testing.F) {
	f.Add("123@host@456")
	f.Add("1@@2")
	f.Fuzz(func(t *testing.T, s string) {
		o, err := ParseOwner(s)
		if err != nil {
			return
		}
		back, err := ParseOwner(o.String())
		if err != nil || back != o {
			t.Fatalf("round trip of %q: %+v -> %q -> %+v, %v", s, o, o.String(), back, err)
		}
	})
}

func TestOwnerAlive(t *testing.T) {
	self, err := Self()
	if err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	if self.PID != os.Getpid() || self.Host != host || self.Start == 0 {
		t.Fatalf("Self() = %+v", self)
	}
	cases := map[string]struct {
		o    Owner
		want bool
	}{
		"this process":             {self, true},
		"pid reused (other start)": {Owner{PID: self.PID, Host: host, Start: self.Start + 1}, false},
		"no such pid":              {Owner{PID: 1 << 30, Host: host, Start: 1}, false},
		"other host":               {Owner{PID: 1 << 30, Host: host + "-elsewhere", Start: 1}, true},
	}
	for name, c := range cases {
		if got := c.o.Alive(host); got != c.want {
			t.Errorf("%s: Alive = %v, want %v", name, got, c.want)
		}
	}
}

// TestOwnerAliveZombie: a process that has exited but was not waited for (state Z) is dead.
func TestOwnerAliveZombie(t *testing.T) {
	cmd := exec.Command("true")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	pid := cmd.Process.Pid
	host, _ := os.Hostname()
	var st proc.Stat
	deadline := time.Now().Add(10 * time.Second)
	for {
		var err error
		if st, err = proc.Read(pid); err != nil {
			t.Fatalf("the exited child is gone although nobody waited for it: %v", err)
		}
		if st.State == 'Z' {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("child %d not a zombie after 10s (state %c)", pid, st.State)
		}
		time.Sleep(5 * time.Millisecond)
	}
	if (Owner{PID: pid, Host: host, Start: st.Start}).Alive(host) {
		t.Errorf("a zombie owner (pid %d, state Z) counts as alive", pid)
	}
}

func TestParseOOMKills(t *testing.T) {
	cases := map[string]struct {
		in   string
		want int64
		ok   bool
	}{
		"cgroup v1": {in: "oom_kill_disable 0\nunder_oom 0\noom_kill 3\n", want: 3, ok: true},
		"cgroup v2": {in: "low 0\nhigh 0\nmax 12\noom 2\noom_kill 2\noom_group_kill 0\n", want: 2, ok: true},
		"missing":   {in: "oom_kill_disable 0\n", ok: false},
		"garbage":   {in: "oom_kill x\n", ok: false},
	}
	for name, c := range cases {
		got, ok := parseOOMKills([]byte(c.in))
		if got != c.want || ok != c.ok {
			t.Errorf("%s: parseOOMKills = %d, %v; want %d, %v", name, got, ok, c.want, c.ok)
		}
	}
}
