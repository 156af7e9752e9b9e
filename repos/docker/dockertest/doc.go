// Package dockertest is what every Docker test in ssr starts from: an engine client that skips the test
// (or fails it under SSR_REQUIRE_DOCKER=1) when no engine answers, the shared base image, and a unique job
// label whose containers must all be gone when the test ends.
package dockertest
