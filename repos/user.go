package repos

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/selfplay-swe/ssr/repos/plugin"
)

// The sandbox user: in every image ssr builds, tests and agents' commands run as this unprivileged user,
// who owns the workdir and plugin.SandboxHome (HOME, where plugins keep build caches), and can write
// nowhere else but /tmp and /var/tmp. A manifest entry with run_as_root: true runs them as root instead;
// its image leaves those directories root's (root in a sandbox has no capabilities, so it can only write
// what it owns).
const (
	SandboxUserName = "ssr"
	SandboxUID      = 1000
	SandboxGID      = 1000
)

// rootUser is the user of a repo with run_as_root.
const rootUser = "0:0"

// User is the user that sandboxes of r's image run commands as, in the form the sandbox takes (uid:gid):
// SandboxUID:SandboxGID, root when the manifest says run_as_root, and the image's own user for an image
// source (ssr did not make that image and cannot know whom its workdir belongs to) unless run_as_root.
// It is the one place the setting is read; images record it (Image.User) for everything that starts
// their sandboxes.
func (r Repo) User() string {
	switch {
	case r.RunAsRoot:
		return rootUser
	case r.Source.Kind() == SourceImage:
		return ""
	}
	return strconv.Itoa(SandboxUID) + ":" + strconv.Itoa(SandboxGID)
}

// userSetup is the build step that makes the sandbox user (when the image lacks a user with its uid) and
// its home; it runs as root before the setup steps, so that they may fill the home (a warmed build cache).
var userSetup = fmt.Sprintf(`set -e
getent group %[2]d >/dev/null || groupadd --gid %[2]d %[3]s
getent passwd %[1]d >/dev/null || useradd --uid %[1]d --gid %[2]d --no-create-home --home-dir %[4]s --shell /bin/bash %[3]s
mkdir -p %[4]s`, SandboxUID, SandboxGID, SandboxUserName, plugin.SandboxHome)

// ArtifactDir is where a code-writing injector writes its artifact: outside the workdir, so that the parts
// are not in the repository's diff. Every image ssr builds has it, open to all (artifactStep): only root
// may make a directory at /, and root in a sandbox has no capability to give one away; the arena makes it
// in a sandbox of an image that lacks it.
const ArtifactDir = "/ssr/artifact"

// artifactStep is the build step that makes ArtifactDir.
var artifactStep = "mkdir -p -m 0777 " + ArtifactDir

// ownerStep is the last build step for a repo that runs as the sandbox user: the workdir and the home
// become the user's.
func ownerStep(workdir string) string {
	return fmt.Sprintf("chown -R %d:%d %s %s", SandboxUID, SandboxGID, shellQuote(workdir), plugin.SandboxHome)
}

// shellQuote quotes s for sh as one word.
func shellQuote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }
