package arena

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlError turns a YAML decoding error of a job config into one line for its user: the file, the line,
// the field's path (arena.test_timeout) and what the field wants, in words rather than Go types.
func yamlError(name string, data []byte, err error) error {
	msgs := []string{err.Error()}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msgs = te.Errors
	}
	line, msg := 0, strings.TrimPrefix(msgs[0], "yaml: ")
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	}
	var field string
	unmarshal, unknown := yamlUnmarshalRE.FindStringSubmatch(msg), yamlUnknownRE.FindStringSubmatch(msg)
	switch {
	case unmarshal != nil:
		tag, text := unmarshal[1], unmarshal[3]
		field = yamlFieldAt(data, line, func(_, v *yaml.Node) bool { return nodeShows(v, tag, text) })
		got := "a " + yamlKind(tag)
		if text != "" {
			got = strconv.Quote(text)
		}
		msg = fmt.Sprintf("want %s, got %s", goTypeInWords(unmarshal[4]), got)
	case unknown != nil:
		key := unknown[1]
		field = yamlFieldAt(data, line, func(k, _ *yaml.Node) bool { return k.Value == key })
		msg = fmt.Sprintf("unknown field %q", key)
		if known := yamlFields(unknown[2]); len(known) > 0 {
			msg += " (known here: " + strings.Join(known, ", ") + ")"
		}
	default:
		msg = goTypeNameRE.ReplaceAllString(strings.ReplaceAll(msg, "\n", " "), "the expected kind of value") + " (YAML syntax)"
	}
	if len(msgs) > 1 {
		msg += fmt.Sprintf(" (and %d more problem(s) after it)", len(msgs)-1)
	}
	where := name
	if line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	if field != "" {
		where += ": " + field
	}
	return fmt.Errorf("%s: %s", where, msg)
}

var (
	yamlLineRE      = regexp.MustCompile(`(?s)^line (\d+): (.*)$`)
	yamlUnmarshalRE = regexp.MustCompile("(?s)^cannot unmarshal (\\S+)( `(.*)`)? into (.+)$")
	goTypeNameRE    = regexp.MustCompile(`\b[a-z]\w*\.[A-Z]\w*|map\[\S+|\[\]\S+`)
	yamlUnknownRE   = regexp.MustCompile(`(?s)^field (.*) not found in type (\S+)$`)
)

// nodeShows reports whether v is the node a yaml.v3 type error shows as tag and text (cut to 7 characters
// and "..." past 10).
func nodeShows(v *yaml.Node, tag, text string) bool {
	if v.ShortTag() != tag {
		return false
	}
	if cut, ok := strings.CutSuffix(text, "..."); ok && len(v.Value) > 10 {
		return strings.HasPrefix(v.Value, cut)
	}
	return text == "" || v.Value == text
}

// yamlFieldAt finds the path (limits.wall_time, examples[1]) of the first key/value pair on line that
// match accepts; "" when none does or data does not parse.
func yamlFieldAt(data []byte, line int, match func(k, v *yaml.Node) bool) string {
	var doc yaml.Node
	if line <= 0 || yaml.Unmarshal(data, &doc) != nil {
		return ""
	}
	var walk func(n *yaml.Node, path string) string
	walk = func(n *yaml.Node, path string) string {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				if p := walk(c, path); p != "" {
					return p
				}
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i], n.Content[i+1]
				p := k.Value
				if path != "" {
					p = path + "." + k.Value
				}
				if (k.Line == line || v.Line == line) && match(k, v) {
					return p
				}
				if sub := walk(v, p); sub != "" {
					return sub
				}
			}
		case yaml.SequenceNode:
			for i, c := range n.Content {
				p := fmt.Sprintf("%s[%d]", path, i)
				if c.Line == line && match(c, c) {
					return p
				}
				if sub := walk(c, p); sub != "" {
					return sub
				}
			}
		}
		return ""
	}
	return walk(&doc, "")
}

func yamlKind(tag string) string {
	switch tag {
	case "!!map":
		return "mapping"
	case "!!seq":
		return "list"
	}
	return "value"
}

// goTypeInWords says what a Go type wants of a YAML value, so that no Go type name reaches the user.
func goTypeInWords(goType string) string {
	switch goType {
	case "int", "int64", "int32":
		return "a whole number"
	case "uint64", "uint", "uint32":
		return "a whole number, 0 or more"
	case "float64", "float32":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "time.Duration":
		return "a duration with a unit, like 90s, 5m or 2h"
	}
	switch {
	case strings.HasPrefix(goType, "[]"):
		return "a list"
	case strings.HasPrefix(goType, "map["):
		return "a mapping of name: value"
	}
	return "a mapping of fields"
}

// yamlFields lists the YAML field names of the job config's struct type named goType (arena.Limits).
func yamlFields(goType string) []string {
	var found reflect.Type
	var visit func(t reflect.Type)
	visit = func(t reflect.Type) {
		for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice || t.Kind() == reflect.Map {
			t = t.Elem()
		}
		if t.Kind() != reflect.Struct || found != nil {
			return
		}
		if t.String() == goType {
			found = t
			return
		}
		for i := 0; i < t.NumField(); i++ {
			visit(t.Field(i).Type)
		}
	}
	visit(reflect.TypeFor[JobConfig]())
	if found == nil {
		return nil
	}
	var names []string
	for i := 0; i < found.NumField(); i++ {
		f := found.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if f.IsExported() && name != "-" {
			if name == "" {
				name = strings.ToLower(f.Name)
			}
			names = append(names, name)
		}
	}
	return names
}
