// Package plugin is the language-plugin protocol: the public request and response types a plugin answers
// (start with Language in types.go), the SDK a plugin author calls (Serve), the host that discovers and runs
// ssr-lang-* programs over gRPC, and the harness in plugintest that any plugin author runs against a plugin.
//
// The .proto file and its generated code live in internal/pb and are not part of the API.
package plugin
