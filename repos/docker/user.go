package docker

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// fileOwner is the numeric owner that files written into a sandbox's workdir get.
type fileOwner struct{ uid, gid int }

func (o fileOwner) root() bool { return o.uid == 0 && o.gid == 0 }

// owner is the numeric user and group of the sandbox's user (Spec.User): read from the spec when it is
// numeric ("1000:1000") or root, else asked of the sandbox once (`id`): only its /etc/passwd knows a name,
// and only its image knows its default user.
func (s *container_) owner(ctx context.Context) (fileOwner, error) {
	s.mu.Lock()
	known := s.own
	s.mu.Unlock()
	if known != nil {
		return *known, nil
	}
	own, ok := parseNumericUser(s.spec.User)
	if !ok {
		res, err := s.execNow(ctx, sandbox.ExecRequest{Cmd: []string{"sh", "-c", "id -u && id -g"}, Timeout: time.Minute, MaxOutput: 4096}, execOpts{})
		if err != nil {
			return fileOwner{}, err
		}
		f := strings.Fields(string(res.Stdout))
		if !res.OK() || len(f) != 2 {
			return fileOwner{}, fmt.Errorf("sandbox %.12s: cannot tell the ids of user %q (id printed %q, %s): name a user that the image's /etc/passwd holds, or give uid:gid",
				s.id, s.spec.User, res.Stdout, strings.TrimSpace(string(res.Stderr)))
		}
		if own.uid, err = strconv.Atoi(f[0]); err == nil {
			own.gid, err = strconv.Atoi(f[1])
		}
		if err != nil {
			return fileOwner{}, fmt.Errorf("sandbox %.12s: user %q: id printed %q", s.id, s.spec.User, res.Stdout)
		}
	}
	s.mu.Lock()
	s.own = &own
	s.mu.Unlock()
	return own, nil
}

// parseNumericUser reads a user that needs no lookup: "root", "0" (root) or "uid:gid" in numbers.
func parseNumericUser(u string) (fileOwner, bool) {
	switch u {
	case "root", "0", "root:root", "0:0":
		return fileOwner{}, true
	}
	us, gs, ok := strings.Cut(u, ":")
	if !ok {
		return fileOwner{}, false
	}
	uid, err1 := strconv.Atoi(us)
	gid, err2 := strconv.Atoi(gs)
	if err1 != nil || err2 != nil || uid < 0 || gid < 0 {
		return fileOwner{}, false
	}
	return fileOwner{uid, gid}, true
}
