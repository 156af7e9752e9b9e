// Package docker is the Docker Engine backend of package sandbox: it connects to the engine through its API
// client (never the docker CLI), makes base images from a Debian root filesystem without a registry, starts
// hardened, labelled sandbox containers, limits how many run at once per process, and reaps the containers
// that a dead process left behind.
//
// Start reading at Provider (provider.go) and the sandbox it starts (container.go, exec.go with the wrapper's
// stderr framing in staged.go, files.go, and deferred.go, where writes to the tree wait for the next exec to
// carry them); a one-off command that is a container's own process is Provider.Run (run.go); base images are
// in recipe.go and bootstrap.go, the owner labels and the reaper in owner.go and reap.go, and the optional
// warm pool of pre-started containers (WithWarmPool), one for every role, in pool.go.
package docker
