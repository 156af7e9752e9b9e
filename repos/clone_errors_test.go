package repos

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestCloneSourceErrors: a git source that cannot be read gives one line naming the source, what went wrong
// and what to do.
func TestCloneSourceErrors(t *testing.T) {
	html := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("<html>hello</html>")) }))
	defer html.Close()
	missing := httptest.NewServer(http.NotFoundHandler())
	defer missing.Close()
	plain := t.TempDir()
	file := filepath.Join(t.TempDir(), "f")
	os.WriteFile(file, []byte("x"), 0o644)
	for name, c := range map[string]struct {
		src  string
		want []string
	}{
		"connection refused": {"http://127.0.0.1:1/x.git", []string{"http://127.0.0.1:1/x.git", "cannot reach the host", "check the URL"}},
		"unknown host":       {"https://nonexistent.invalid/x.git", []string{"nonexistent.invalid", "cannot reach the host", "network"}},
		"not a git server":   {html.URL + "/x.git", []string{html.URL, "did not answer as a git repository"}},
		"not found":          {missing.URL + "/x.git", []string{missing.URL, "not found"}},
		"plain directory":    {plain, []string{plain, "not a git repository", "path:"}},
		"missing directory":  {"/nonexistent/ssr/dir", []string{"/nonexistent/ssr/dir", "no such directory"}},
		"a file, not a dir":  {file, []string{file, "not a directory"}},
		"ssh without agent":  {"git@nohost.invalid:x/y.git", []string{"git@nohost.invalid:x/y.git"}},
	} {
		t.Run(name, func(t *testing.T) {
			t.Setenv("SSH_AUTH_SOCK", "")
			_, err := Clone(context.Background(), Source{Git: c.src}, WithCacheDir(t.TempDir()))
			if !errors.Is(err, ErrSourceUnavailable) {
				t.Fatalf("err = %v; want ErrSourceUnavailable", err)
			}
			msg := err.Error()
			if strings.Contains(msg, "\n") || !containsAll(msg, c.want...) {
				t.Fatalf("err = %q; want one line with %q", msg, c.want)
			}
		})
	}
}
