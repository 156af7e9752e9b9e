package llm

import "errors"

// Errors that callers branch on. Act wraps them with the endpoint and the cause.
var (
	// ErrConfig: the configuration cannot be used (see the message for the field).
	ErrConfig = errors.New("llm: invalid config")
	// ErrUnavailable: the endpoint did not answer usefully within the retry limit (connection refused,
	// 429 or 5xx every time, timeouts, unreadable replies).
	ErrUnavailable = errors.New("llm: endpoint unavailable")
	// ErrAuth: the endpoint refused the API key (401 or 403); retrying cannot help.
	ErrAuth = errors.New("llm: endpoint refused the credentials")
	// ErrRejected: the endpoint rejected the request itself (another 4xx, e.g. the prompt exceeds the
	// served context, or the model name is wrong).
	ErrRejected = errors.New("llm: endpoint rejected the request")
	// ErrTask: the observation's task has no prompt (an unknown role or injector strategy).
	ErrTask = errors.New("llm: no prompt for this task")
)
