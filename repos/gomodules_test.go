package repos

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// moduleProxy serves the GOPROXY protocol (list, .info, .mod, .zip) for modules made in a test.
type moduleProxy struct {
	*httptest.Server
	mods map[string]map[string]string // "path@version" → file name → content
}

// newModuleProxy starts a proxy serving mods and points this test's go commands at it (GOPROXY, no checksum
// database, as a user with a private proxy would have them).
func newModuleProxy(t *testing.T, mods map[string]map[string]string) *moduleProxy {
	t.Helper()
	p := &moduleProxy{mods: mods}
	p.Server = httptest.NewServer(http.HandlerFunc(p.serve))
	t.Cleanup(p.Close)
	t.Setenv("GOPROXY", p.URL)
	t.Setenv("GOSUMDB", "off")
	t.Setenv("GOFLAGS", "")
	return p
}

func (p *moduleProxy) serve(w http.ResponseWriter, r *http.Request) {
	mod, file, ok := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/@v/")
	if !ok {
		http.NotFound(w, r)
		return
	}
	if file == "list" {
		for key := range p.mods {
			if path, v, _ := strings.Cut(key, "@"); path == mod {
				fmt.Fprintln(w, v)
			}
		}
		return
	}
	ext := filepath.Ext(file)
	version := strings.TrimSuffix(file, ext)
	files, ok := p.mods[mod+"@"+version]
	if !ok {
		http.NotFound(w, r)
		return
	}
	switch ext {
	case ".info":
		fmt.Fprintf(w, `{"Version":%q,"Time":"2024-01-01T00:00:00Z"}`, version)
	case ".mod":
		w.Write([]byte(files["go.mod"]))
	case ".zip":
		var buf bytes.Buffer
		zw := zip.NewWriter(&buf)
		for name, content := range files {
			f, _ := zw.Create(mod + "@" + version + "/" + name)
			f.Write([]byte(content))
		}
		zw.Close()
		w.Write(buf.Bytes())
	default:
		http.NotFound(w, r)
	}
}

// greetModule is a third-party module for the tests' Go repository.
var greetModule = map[string]map[string]string{
	"example.test/greet@v1.2.0": {
		"go.mod":   "module example.test/greet\n\ngo 1.21\n",
		"greet.go": "package greet\n\n// Hello greets name.\nfunc Hello(name string) string { return \"hello, \" + name }\n",
	},
}

// goRepoWithDependency writes a Go module that imports example.test/greet, with its go.sum made by `go mod
// tidy` against the proxy, and returns its directory.
func goRepoWithDependency(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("go is not installed on this host")
	}
	dir := writeTree(t, map[string]string{
		"go.mod":         "module example.test/app\n\ngo 1.21\n\nrequire example.test/greet v1.2.0\n",
		"app.go":         "package app\n\nimport \"example.test/greet\"\n\n// Welcome greets a user.\nfunc Welcome(user string) string { return greet.Hello(user) + \"!\" }\n\n// Twice doubles n.\nfunc Twice(n int) int { return n * 2 }\n",
		"app_test.go":    "package app\n\nimport \"testing\"\n\nfunc TestWelcome(t *testing.T) {\n\tif got := Welcome(\"ann\"); got != \"hello, ann!\" {\n\t\tt.Fatal(got)\n\t}\n}\n\nfunc TestTwice(t *testing.T) {\n\tif Twice(3) != 6 {\n\t\tt.Fatal(Twice(3))\n\t}\n}\n",
		"more/more.go":   "package more\n\n// Three is three.\nfunc Three() int { return 3 }\n",
		"more/m_test.go": "package more\n\nimport \"testing\"\n\nfunc TestThree(t *testing.T) {\n\tif Three() != 3 {\n\t\tt.Fatal()\n\t}\n}\n",
	})
	cmd := exec.Command(goBin, "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	return dir
}

// TestDownloadGoModules: the host downloads what go.mod needs through the user's GOPROXY; a module that
// cannot be had is named in one line.
func TestDownloadGoModules(t *testing.T) {
	newModuleProxy(t, greetModule)
	dir := goRepoWithDependency(t)
	c := newConfig([]Option{WithCacheDir(t.TempDir())})
	ctx := context.Background()

	mods, err := c.downloadGoModules(ctx, "app", &Checkout{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(mods.Modules, []string{"example.test/greet@v1.2.0"}) {
		t.Fatalf("modules %v", mods.Modules)
	}
	if _, err := os.Stat(filepath.Join(mods.Dir, "example.test", "greet@v1.2.0", "greet.go")); err != nil {
		t.Fatalf("module not extracted in the cache: %v", err)
	}

	for name, c2 := range map[string]struct {
		gomod string
		want  []string
	}{
		"missing module":  {"module example.test/app\n\ngo 1.21\n\nrequire example.test/absent v0.1.0\n", []string{"module example.test/absent@v0.1.0 cannot be downloaded", "GOPROXY"}},
		"missing version": {"module example.test/app\n\ngo 1.21\n\nrequire example.test/greet v1.9.9\n", []string{"example.test/greet@v1.9.9", "GOPROXY"}},
	} {
		t.Run(name, func(t *testing.T) {
			bad := writeTree(t, map[string]string{"go.mod": c2.gomod, "a.go": "package app\n"})
			_, err := c.downloadGoModules(ctx, "bad", &Checkout{Dir: bad})
			if !errors.Is(err, ErrGoModules) || strings.Contains(err.Error(), "\n") || !containsAll(err.Error(), append(c2.want, "repo bad")...) {
				t.Fatalf("err = %v; want one line wrapping ErrGoModules with %q", err, c2.want)
			}
		})
	}
	t.Run("no go on the host", func(t *testing.T) {
		old := lookGo
		lookGo = func() (string, error) { return "", exec.ErrNotFound }
		defer func() { lookGo = old }()
		_, err := c.downloadGoModules(ctx, "app", &Checkout{Dir: dir})
		if !errors.Is(err, ErrGoModules) || !strings.Contains(err.Error(), "vendor") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestKeepInImage: the zip archives, sumdb tiles and VCS checkouts stay on the host.
func TestKeepInImage(t *testing.T) {
	for rel, want := range map[string]bool{
		"example.test/greet@v1.2.0/greet.go":                  true,
		"cache/download/example.test/greet/@v/v1.2.0.mod":     true,
		"cache/download/example.test/greet/@v/v1.2.0.ziphash": true,
		"cache/download/example.test/greet/@v/v1.2.0.info":    true,
		"cache/download/example.test/greet/@v/v1.2.0.zip":     false,
		"cache/download/sumdb/sum.golang.org/lookup/x@v1.0.0": false,
		"cache/vcs/0123456789abcdef/HEAD":                     false,
	} {
		if got := keepInImage(rel); got != want {
			t.Errorf("keepInImage(%q) = %v, want %v", rel, got, want)
		}
	}
}

// TestGoModulesOffline: a Go repository with a third-party module, served by a local proxy only to the host,
// builds its image and baselines offline (sandboxes have no network and GOPROXY=off), its tests passing; a
// changed go.sum makes a new image.
func TestGoModulesOffline(t *testing.T) {
	if testing.Short() {
		t.Skip("builds images on the Docker Engine")
	}
	newModuleProxy(t, greetModule)
	dir := goRepoWithDependency(t)
	b, cli := testBuilder(t)
	ctx := context.Background()
	repo := Repo{Name: uniqueName(t, cli, "test-gomod"), Source: Source{Path: dir}}
	img, err := b.Build(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s", img.Ref, img.Duration)
	bl, err := b.Baseline(ctx, repo, img)
	if err != nil {
		t.Fatal(err)
	}
	passing := bl.Passing()
	for _, id := range []string{"example.test/app::TestWelcome", "example.test/app::TestTwice", "example.test/app/more::TestThree"} {
		if !slices.Contains(passing, id) {
			t.Errorf("%s did not pass offline; passing: %v; output:\n%s", id, passing, bl.Runs[0].Output)
		}
	}

	// A new dependency version is a new go.sum, hence new inputs and a new image.
	newModuleProxy(t, map[string]map[string]string{
		"example.test/greet@v1.2.0": greetModule["example.test/greet@v1.2.0"],
		"example.test/greet@v1.3.0": greetModule["example.test/greet@v1.2.0"],
	})
	gomod := filepath.Join(dir, "go.mod")
	data, _ := os.ReadFile(gomod)
	os.WriteFile(gomod, bytes.Replace(data, []byte("v1.2.0"), []byte("v1.3.0"), 1), 0o644)
	cmd := exec.Command("go", "mod", "tidy")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOMODCACHE="+t.TempDir(), "GOFLAGS=-modcacherw", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go mod tidy: %v\n%s", err, out)
	}
	img2, err := b.Build(ctx, repo)
	if err != nil {
		t.Fatal(err)
	}
	if img2.Cached || img2.Inputs == img.Inputs {
		t.Fatalf("a changed go.sum reused %s", img.Ref)
	}
}

// TestGoSetupEnv: setup steps with a network get the host's proxy settings, never the recipe's GOPROXY=off.
func TestGoSetupEnv(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed on this host")
	}
	for name, c := range map[string]struct {
		env  map[string]string
		want []string
	}{
		"the user's proxy":        {map[string]string{"GOPROXY": "https://goproxy.example,direct", "GONOSUMDB": "corp.example/*"}, []string{"GOPROXY=https://goproxy.example,direct", "GONOSUMDB=corp.example/*"}},
		"off becomes the default": {map[string]string{"GOPROXY": "off"}, []string{"GOPROXY=https://proxy.golang.org,direct"}},
	} {
		t.Run(name, func(t *testing.T) {
			for k, v := range c.env {
				t.Setenv(k, v)
			}
			got := goSetupEnv(context.Background())
			for _, w := range c.want {
				if !slices.Contains(got, w) {
					t.Errorf("goSetupEnv() = %v, want %s in it", got, w)
				}
			}
		})
	}
}
