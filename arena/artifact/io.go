package artifact

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// ErrNotArtifact reports a directory or record that lacks a required part.
var ErrNotArtifact = errors.New("not an artifact")

// Load reads an artifact from a directory holding the five parts, or from a JSON record when path is a
// file. A missing part is an error naming the part and the path; an empty part is loaded as is (Check
// rejects it with its reason).
func Load(path string) (*Artifact, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("load artifact: %w", err)
	}
	if !info.IsDir() {
		data, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("load artifact: %w", err)
		}
		return UnmarshalJSON(path, data)
	}
	return loadDir(path)
}

// UnmarshalJSON decodes one JSON record; name is used in errors. Unknown fields are rejected so that a
// misspelt part is not silently dropped.
func UnmarshalJSON(name string, data []byte) (*Artifact, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var a Artifact
	if err := dec.Decode(&a); err != nil {
		return nil, fmt.Errorf("%s: %w: not a JSON artifact record (%v)", name, ErrNotArtifact, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: %w: trailing data after the JSON record", name, ErrNotArtifact)
	}
	return &a, nil
}

func loadDir(dir string) (*Artifact, error) {
	read := func(name string, required bool) (string, bool, error) {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, fs.ErrNotExist) {
			if required {
				return "", false, fmt.Errorf("%s: %w: %s is missing (an artifact directory holds %s, %s, %s, %s and a parser)",
					dir, ErrNotArtifact, name, TestScriptFile, TestFilesFile, BugDiffFile, WeakenDiffFile)
			}
			return "", false, nil
		}
		if err != nil {
			return "", false, fmt.Errorf("load artifact: %w", err)
		}
		return string(data), true, nil
	}
	var a Artifact
	var err error
	if a.TestScript, _, err = read(TestScriptFile, true); err != nil {
		return nil, err
	}
	files, _, err := read(TestFilesFile, true)
	if err != nil {
		return nil, err
	}
	a.TestFiles = parseTestFiles(files)
	if a.BugDiff, _, err = read(BugDiffFile, true); err != nil {
		return nil, err
	}
	if a.WeakenDiff, _, err = read(WeakenDiffFile, true); err != nil {
		return nil, err
	}
	if a.Parser, err = loadParser(dir); err != nil {
		return nil, err
	}
	if meta, ok, err := read(MetadataFile, false); err != nil {
		return nil, err
	} else if ok {
		dec := json.NewDecoder(strings.NewReader(meta))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&a.Meta); err != nil {
			return nil, fmt.Errorf("%s: %s is not valid metadata JSON: %v", dir, MetadataFile, err)
		}
	}
	return &a, nil
}

// loadParser finds the parser: parser.txt names a builtin; otherwise exactly one test_parser* file is a script.
func loadParser(dir string) (Parser, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return Parser{}, fmt.Errorf("load artifact: %w", err)
	}
	var scripts []string
	for _, e := range entries {
		if !e.IsDir() && strings.HasPrefix(e.Name(), ScriptParserPrefix) {
			scripts = append(scripts, e.Name())
		}
	}
	sort.Strings(scripts)
	builtin, err := os.ReadFile(filepath.Join(dir, ParserFile))
	hasBuiltin := err == nil
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return Parser{}, fmt.Errorf("load artifact: %w", err)
	}
	switch {
	case hasBuiltin && len(scripts) > 0:
		return Parser{}, fmt.Errorf("%s: both %s and %s name a parser: keep one", dir, ParserFile, scripts[0])
	case hasBuiltin:
		return Parser{Builtin: strings.TrimSpace(string(builtin))}, nil
	case len(scripts) > 1:
		return Parser{}, fmt.Errorf("%s: several script parsers (%s): keep one", dir, strings.Join(scripts, ", "))
	case len(scripts) == 1:
		data, err := os.ReadFile(filepath.Join(dir, scripts[0]))
		if err != nil {
			return Parser{}, fmt.Errorf("load artifact: %w", err)
		}
		return Parser{ScriptName: scripts[0], Script: string(data)}, nil
	}
	return Parser{}, fmt.Errorf("%s: %w: no parser (write a builtin parser's name to %s, or add a %s script)",
		dir, ErrNotArtifact, ParserFile, ScriptParserPrefix+".py")
}

// Save writes the artifact as a directory (created if needed). Existing part files are replaced; a script
// parser is written executable.
func Save(a *Artifact, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("save artifact: %w", err)
	}
	files := map[string]string{
		TestScriptFile: a.TestScript,
		TestFilesFile:  strings.Join(a.TestFiles, "\n") + "\n",
		BugDiffFile:    a.BugDiff,
		WeakenDiffFile: a.WeakenDiff,
	}
	if len(a.TestFiles) == 0 {
		files[TestFilesFile] = ""
	}
	if a.Parser.IsScript() {
		name := a.Parser.ScriptName
		if name == "" {
			name = ScriptParserPrefix + ".py"
		}
		if filepath.Base(name) != name || !strings.HasPrefix(name, ScriptParserPrefix) {
			return fmt.Errorf("save artifact: script parser name %q must be a plain file name starting with %q", name, ScriptParserPrefix)
		}
		files[name] = a.Parser.Script
	} else {
		files[ParserFile] = a.Parser.Builtin + "\n"
	}
	if a.Meta != (Metadata{}) {
		meta, err := json.MarshalIndent(a.Meta, "", "  ")
		if err != nil {
			return fmt.Errorf("save artifact: %w", err)
		}
		files[MetadataFile] = string(meta) + "\n"
	}
	for name, content := range files {
		mode := os.FileMode(0o644)
		if name == TestScriptFile || strings.HasPrefix(name, ScriptParserPrefix) {
			mode = 0o755
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), mode); err != nil {
			return fmt.Errorf("save artifact: %w", err)
		}
	}
	return nil
}

// MarshalRecord encodes the artifact as one JSON record (the same fields Load reads from a file).
func (a *Artifact) MarshalRecord() ([]byte, error) {
	return json.MarshalIndent(a, "", "  ")
}
