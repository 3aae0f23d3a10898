// Command goasynq025 runs Go github.com/hibiken/asynq v0.25.1, a release that
// predates TaskMessage field 15 (headers), against the Redis of a Rust interop
// test. Each subcommand prints one JSON value on stdout.
//
//	goasynq025 serve --redis 127.0.0.1:6379 [--db 0] --exit-after N [flags]
//	goasynq025 list-tasks --redis ... --queue Q --state S
//	goasynq025 queue-info --redis ... --queue Q
//
// serve runs an asynq.Server whose handler fails the first attempt of every
// task (retried == 0) with the error "v0.25.1 fails attempt 0" and succeeds
// on later attempts. It shuts down gracefully after --exit-after handler
// invocations (or --max-time) and prints {"handled": [...]}, one entry per
// invocation. It writes "ready" to stderr once Server.Start returned.
//
// Exit status: 0 with the result on stdout; 2 with {"error": ...} on stdout
// when the asynq call failed; 1 for usage errors (message on stderr).
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
)

type usageError struct{ error }

var commands = map[string]func(fs *flag.FlagSet, args []string) (any, error){
	"serve":      cmdServe,
	"list-tasks": cmdListTasks,
	"queue-info": cmdQueueInfo,
}

var (
	redisAddr string
	redisDB   int
)

func main() {
	if len(os.Args) < 2 || commands[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: goasynq025 serve|list-tasks|queue-info --redis HOST:PORT [--db N] [flags]")
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
		fmt.Fprintf(os.Stderr, "goasynq025 %s: %v\n", name, err)
		os.Exit(1)
	case err != nil:
		writeJSON(map[string]string{"error": err.Error()})
		os.Exit(2)
	}
	writeJSON(result)
}

func parse(fs *flag.FlagSet, args []string) (asynq.RedisClientOpt, error) {
	if err := fs.Parse(args); err != nil {
		return asynq.RedisClientOpt{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return asynq.RedisClientOpt{}, usageError{fmt.Errorf("unexpected arguments %q", fs.Args())}
	}
	return asynq.RedisClientOpt{Addr: redisAddr, DB: redisDB}, nil
}

func writeJSON(v any) {
	if err := json.NewEncoder(os.Stdout).Encode(v); err != nil {
		fmt.Fprintf(os.Stderr, "goasynq025: encoding output: %v\n", err)
		os.Exit(1)
	}
}

// handledOut is one handler invocation.
type handledOut struct {
	ID      string `json:"id"`
	Type    string `json:"type"`
	Queue   string `json:"queue"`
	Retried int    `json:"retried"`
	Payload []byte `json:"payload"`
	Outcome string `json:"outcome"` // "ok" or the error text
}

func cmdServe(fs *flag.FlagSet, args []string) (any, error) {
	concurrency := fs.Int("concurrency", 2, "Config.Concurrency")
	queuesFlag := fs.String("queues", "default", "Config.Queues as name:priority,...")
	retryDelay := fs.Duration("retry-delay", time.Hour, "fixed Config.RetryDelayFunc")
	exitAfter := fs.Int("exit-after", 1, "shut down after this many handler invocations")
	maxTime := fs.Duration("max-time", time.Minute, "shut down after this long")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	queues := make(map[string]int)
	for _, item := range strings.Split(*queuesFlag, ",") {
		name, prio, found := strings.Cut(strings.TrimSpace(item), ":")
		p := 1
		if found {
			if p, err = strconv.Atoi(prio); err != nil {
				return nil, usageError{fmt.Errorf("queue %q: bad priority %q", name, prio)}
			}
		}
		if name != "" {
			queues[name] = p
		}
	}
	d := *retryDelay
	srv := asynq.NewServer(conn, asynq.Config{
		Concurrency:              *concurrency,
		Queues:                   queues,
		ShutdownTimeout:          2 * time.Second,
		TaskCheckInterval:        50 * time.Millisecond,
		DelayedTaskCheckInterval: 200 * time.Millisecond,
		RetryDelayFunc:           func(int, error, *asynq.Task) time.Duration { return d },
	})

	var mu sync.Mutex
	handled := []handledOut{}
	reached := make(chan struct{})
	handler := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) error {
		h := handledOut{Type: t.Type(), Payload: t.Payload(), Outcome: "ok"}
		h.ID, _ = asynq.GetTaskID(ctx)
		h.Queue, _ = asynq.GetQueueName(ctx)
		h.Retried, _ = asynq.GetRetryCount(ctx)
		var err error
		if h.Retried == 0 {
			err = fmt.Errorf("v0.25.1 fails attempt %d", h.Retried)
			h.Outcome = err.Error()
		}
		mu.Lock()
		handled = append(handled, h)
		if len(handled) == *exitAfter {
			close(reached)
		}
		mu.Unlock()
		return err
	})
	if err := srv.Start(handler); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "ready")
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-signals:
	case <-reached:
	case <-time.After(*maxTime):
	}
	srv.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	return map[string]any{"handled": handled}, nil
}

// taskOut is the part of asynq.TaskInfo (v0.25.1 has no Headers) the tests
// read; times in Unix seconds, 0 for the zero time.
type taskOut struct {
	ID           string `json:"id"`
	Queue        string `json:"queue"`
	Type         string `json:"type"`
	Payload      []byte `json:"payload"`
	State        string `json:"state"`
	MaxRetry     int    `json:"max_retry"`
	Retried      int    `json:"retried"`
	LastErr      string `json:"last_err"`
	LastFailedAt int64  `json:"last_failed_at"`
}

func unix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func cmdListTasks(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	state := fs.String("state", "pending", "pending, active, scheduled, retry, archived or completed")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	list := map[string]func(string, ...asynq.ListOption) ([]*asynq.TaskInfo, error){
		"pending":   insp.ListPendingTasks,
		"active":    insp.ListActiveTasks,
		"scheduled": insp.ListScheduledTasks,
		"retry":     insp.ListRetryTasks,
		"archived":  insp.ListArchivedTasks,
		"completed": insp.ListCompletedTasks,
	}[*state]
	if list == nil {
		return nil, usageError{fmt.Errorf("unknown state %q", *state)}
	}
	infos, err := list(*queue, asynq.PageSize(1000))
	if err != nil {
		return nil, err
	}
	out := make([]taskOut, 0, len(infos))
	for _, i := range infos {
		out = append(out, taskOut{
			ID: i.ID, Queue: i.Queue, Type: i.Type, Payload: i.Payload,
			State: i.State.String(), MaxRetry: i.MaxRetry, Retried: i.Retried,
			LastErr: i.LastErr, LastFailedAt: unix(i.LastFailedAt),
		})
	}
	return out, nil
}

func cmdQueueInfo(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	i, err := insp.GetQueueInfo(*queue)
	if err != nil {
		return nil, err
	}
	return map[string]any{
		"queue": i.Queue, "size": i.Size, "memory_usage": i.MemoryUsage,
		"pending": i.Pending, "active": i.Active, "scheduled": i.Scheduled,
		"retry": i.Retry, "archived": i.Archived, "completed": i.Completed,
		"aggregating": i.Aggregating, "groups": i.Groups,
	}, nil
}
