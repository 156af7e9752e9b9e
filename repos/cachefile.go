package repos

import (
	"encoding/json"
	"fmt"
	"os"
)

// A cache record (baseline, coverage) carries the format number of its JSON shape; a file in another format
// is a miss, never a wrong answer.
type cacheRecord interface {
	cacheFormat() int
}

func (bl *Baseline) cacheFormat() int { return bl.Format }
func (c *Coverage) cacheFormat() int  { return c.Format }

// readCache decodes the record of kind what at path and checks that it is in format want.
func readCache[T any, P interface {
	*T
	cacheRecord
}](path, what string, want int) (P, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	v := P(new(T))
	if err := json.Unmarshal(data, v); err != nil {
		return nil, err
	}
	if got := v.cacheFormat(); got != want {
		return nil, fmt.Errorf("%s %s has format %d, want %d", what, path, got, want)
	}
	return v, nil
}

// writeCache writes a record atomically; indent makes it readable by hand, at the cost of size.
func writeCache(path string, v cacheRecord, indent bool) error {
	var data []byte
	var err error
	if indent {
		data, err = json.MarshalIndent(v, "", "  ")
	} else {
		data, err = json.Marshal(v)
	}
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}
