package arena

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/selfplay-swe/ssr/arena/artifact"
	"github.com/selfplay-swe/ssr/repos/sandbox"
)

// paperNames are the self-play paper's appendix names of artifact parts, with the design's name of each.
var paperNames = map[string]string{
	"bug_patch.diff":       artifact.BugDiffFile,
	"test_patch.diff":      artifact.WeakenDiffFile,
	"parse_test_output.py": artifact.ScriptParserPrefix + ".py",
}

// collectArtifact reads the artifact an injector wrote to dir in its sandbox, under the design's file names
// or the paper's, and loads it with arena/artifact's directory loader. A hand-in that is not an artifact (a
// part missing, two parsers) gives the reason it will be rejected for, not an error; the error is for the
// sandbox failing.
func collectArtifact(ctx context.Context, sb sandbox.Sandbox, dir string) (art *artifact.Artifact, rejection string, err error) {
	res, err := sb.Exec(ctx, sandbox.ExecRequest{Cmd: []string{"find", dir, "-maxdepth", "1", "-type", "f", "-printf", `%f\n`}})
	if err != nil {
		return nil, "", fmt.Errorf("collect the artifact: %w", err)
	}
	if !res.OK() {
		return nil, fmt.Sprintf("no artifact: %s does not exist or cannot be read", dir), nil
	}
	names := strings.Fields(string(res.Stdout))
	tmp, err := os.MkdirTemp("", "ssr-collect-")
	if err != nil {
		return nil, "", err
	}
	defer os.RemoveAll(tmp)
	for _, name := range names {
		target, ok := partName(name)
		if !ok {
			continue // notes and scratch files beside the parts are not part of the artifact
		}
		if target != name && slices.Contains(names, target) {
			return nil, fmt.Sprintf("%s holds both %s and %s (the same part under the design's and the paper's name): keep one", dir, target, name), nil
		}
		data, err := sb.ReadFile(ctx, path.Join(dir, name))
		if err != nil {
			return nil, "", fmt.Errorf("collect %s: %w", path.Join(dir, name), err)
		}
		if err := os.WriteFile(filepath.Join(tmp, target), data, 0o644); err != nil {
			return nil, "", err
		}
	}
	art, err = artifact.Load(tmp)
	if err != nil {
		why := strings.ReplaceAll(err.Error(), tmp, dir)
		if !errors.Is(err, artifact.ErrNotArtifact) {
			why = "the artifact does not load: " + why
		}
		return nil, why, nil
	}
	return art, "", nil
}

// partName maps a file name in the artifact directory to the name the loader reads it by.
func partName(name string) (string, bool) {
	switch name {
	case artifact.TestScriptFile, artifact.TestFilesFile, artifact.BugDiffFile, artifact.WeakenDiffFile,
		artifact.ParserFile, artifact.MetadataFile:
		return name, true
	}
	if to, ok := paperNames[name]; ok {
		return to, true
	}
	return name, strings.HasPrefix(name, artifact.ScriptParserPrefix)
}
