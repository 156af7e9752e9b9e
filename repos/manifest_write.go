package repos

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// AddRepo appends r to the manifest at path, creating the file when it does not exist. Comments and the
// order of existing entries are kept. The result is parsed again before it is written, so a bad entry never
// reaches the file; a name already in use is an ErrDuplicateRepo.
func AddRepo(path string, r Repo) error {
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("read manifest: %w", err)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		data = []byte("# ssr manifest: the repositories ssr works with (see 'ssr repos --help').\nrepos:\n")
	}
	m, err := ParseManifest(path, data)
	if err != nil {
		return err
	}
	for _, old := range m.Repos {
		if old.Name == r.Name {
			return fmt.Errorf("%w: %s already has a repo named %q (choose another name)", ErrDuplicateRepo, path, r.Name)
		}
	}

	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("read manifest %s: %w", path, err)
	}
	root := doc.Content[0]
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == "repos" {
			list = root.Content[i+1]
		}
	}
	if list.Kind != yaml.SequenceNode { // "repos:" with nothing after it
		*list = yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq"}
	}
	var entry yaml.Node
	if err := entry.Encode(r); err != nil {
		return fmt.Errorf("encode repo %q: %w", r.Name, err)
	}
	list.Content = append(list.Content, &entry)

	var out bytes.Buffer
	enc := yaml.NewEncoder(&out)
	enc.SetIndent(2)
	if err := enc.Encode(&doc); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if err := enc.Close(); err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	if _, err := ParseManifest(path, out.Bytes()); err != nil {
		return fmt.Errorf("repo %q would make the manifest invalid: %w", r.Name, err)
	}
	return writeFileAtomic(path, out.Bytes(), 0o644)
}

// writeFileAtomic writes data to a temporary file beside path and renames it into place, so a crash never
// leaves half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}
