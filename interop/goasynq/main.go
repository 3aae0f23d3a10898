// Command goasynq drives Go's github.com/hibiken/asynq for the Rust interop
// tests. Each subcommand reads its input as flags and/or JSON on stdin and
// writes one JSON value to stdout, so that all assertions live on the Rust
// side. The long-running `serve` runs an asynq.Server, writes "ready" to
// stderr once it has started, and prints its summary when it stops.
//
//	goasynq <subcommand> --redis 127.0.0.1:6379 [--db 0] [flags] < input.json
//
// Exit status: 0 with the result on stdout; 2 with {"error": ..., "kind": ...}
// on stdout when the asynq call itself failed; 1 for usage or I/O errors
// (message on stderr).
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	"github.com/hibiken/asynq"
)

// A command parses its flags from fs (which already has --redis and --db),
// runs, and returns the value to print as JSON.
type command func(fs *flag.FlagSet, args []string) (any, error)

var commands = map[string]command{
	"cancel":       cmdCancel,
	"enqueue":      cmdEnqueue,
	"inspect-task": cmdInspectTask,
	"list-queues":  cmdListQueues,
	"list-tasks":   cmdListTasks,
	"pause":        cmdPause,
	"queue-info":   cmdQueueInfo,
	"serve":        cmdServe,
	"servers":      cmdServers,
	"unpause":      cmdUnpause,
}

// usageError marks errors in how the program was called (exit status 1).
type usageError struct{ error }

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		names := make([]string, 0, len(commands))
		for name := range commands {
			names = append(names, name)
		}
		sort.Strings(names)
		fmt.Fprintf(os.Stderr, "usage: goasynq <subcommand> --redis HOST:PORT [--db N] [flags]\nsubcommands: %v\n", names)
		os.Exit(1)
	}
	name := os.Args[1]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.StringVar(&redisAddr, "redis", "127.0.0.1:6379", "Redis address host:port")
	fs.IntVar(&redisDB, "db", 0, "Redis database number")

	result, err := commands[name](fs, os.Args[2:])
	var usage usageError
	switch {
	case errors.As(err, &usage):
		fmt.Fprintf(os.Stderr, "goasynq %s: %v\n", name, err)
		os.Exit(1)
	case err != nil:
		writeJSON(errorJSON(err))
		os.Exit(2)
	}
	writeJSON(result)
}

var (
	redisAddr string
	redisDB   int
)

// parse parses the flags and returns the Redis connection they describe.
func parse(fs *flag.FlagSet, args []string) (asynq.RedisClientOpt, error) {
	if err := fs.Parse(args); err != nil {
		return asynq.RedisClientOpt{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return asynq.RedisClientOpt{}, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return asynq.RedisClientOpt{Addr: redisAddr, DB: redisDB}, nil
}

// readInput decodes the JSON value on stdin into v.
func readInput(v any) error {
	data, err := io.ReadAll(os.Stdin)
	if err != nil {
		return usageError{fmt.Errorf("reading stdin: %w", err)}
	}
	if err := json.Unmarshal(data, v); err != nil {
		return usageError{fmt.Errorf("decoding stdin: %w", err)}
	}
	return nil
}

func writeJSON(v any) {
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "goasynq: encoding output: %v\n", err)
		os.Exit(1)
	}
}

// errorOut is how a failed asynq call is reported.
type errorOut struct {
	Error string `json:"error"`
	Kind  string `json:"kind"`
}

// errorJSON classifies err by the asynq sentinel error it wraps.
func errorJSON(err error) errorOut {
	kind := "other"
	switch {
	case errors.Is(err, asynq.ErrDuplicateTask):
		kind = "duplicate"
	case errors.Is(err, asynq.ErrTaskIDConflict):
		kind = "conflict"
	case errors.Is(err, asynq.ErrQueueNotFound):
		kind = "queue_not_found"
	case errors.Is(err, asynq.ErrTaskNotFound):
		kind = "task_not_found"
	case errors.Is(err, asynq.ErrQueueNotEmpty):
		kind = "queue_not_empty"
	}
	return errorOut{Error: err.Error(), Kind: kind}
}
