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
	"sync/atomic"
	"syscall"
	"time"

	"github.com/hibiken/asynq"
)

// behaviour is how the serve handler treats a task, read from its payload
// when the payload is a JSON object. Steps run in this order: sleep, write
// the result, then return the error (revoke, skip_retry, error) or panic.
type behaviour struct {
	SleepMs   int64   `json:"sleep_ms"`   // sleep; return ctx.Err() if the context ends first
	Result    *string `json:"result"`     // written with Task.ResultWriter()
	Error     string  `json:"error"`      // return errors.New(error)
	SkipRetry bool    `json:"skip_retry"` // wrap the error with asynq.SkipRetry
	Revoke    bool    `json:"revoke"`     // wrap the error with asynq.RevokeTask
	Panic     string  `json:"panic"`      // panic(panic) when not empty
}

// handledOut is one line of the --log file, written before the handler
// returns.
type handledOut struct {
	ID       string            `json:"id"`
	Type     string            `json:"type"`
	Queue    string            `json:"queue"`
	Retried  int               `json:"retried"`
	MaxRetry int               `json:"max_retry"`
	Payload  string            `json:"payload"`
	Headers  map[string]string `json:"headers"` // Task.Headers()
	Outcome  string            `json:"outcome"` // "ok", the error text, or "panic: <text>"
}

// serveOut is what serve prints on exit.
type serveOut struct {
	Handled int64 `json:"handled"`
}

// serveLog appends JSON lines to a file, one write per line.
type serveLog struct {
	mu sync.Mutex
	f  *os.File
}

func (l *serveLog) write(h handledOut) {
	if l == nil {
		return
	}
	line, err := json.Marshal(h)
	if err != nil {
		fmt.Fprintf(os.Stderr, "goasynq serve: encoding log line: %v\n", err)
		return
	}
	line = append(line, '\n')
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, err := l.f.Write(line); err != nil {
		fmt.Fprintf(os.Stderr, "goasynq serve: writing log: %v\n", err)
	}
}

// parseQueues parses "critical:6,default:3,low:1"; a name without a
// priority gets 1.
func parseQueues(s string) (map[string]int, error) {
	queues := make(map[string]int)
	for _, item := range strings.Split(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		name, prio, found := strings.Cut(item, ":")
		p := 1
		if found {
			n, err := strconv.Atoi(prio)
			if err != nil {
				return nil, fmt.Errorf("queue %q: bad priority %q", name, prio)
			}
			p = n
		}
		queues[name] = p
	}
	if len(queues) == 0 {
		return nil, errors.New("no queues")
	}
	return queues, nil
}

// cmdServe runs an asynq.Server until SIGTERM/SIGINT, --exit-after handler
// invocations, or --max-time, then shuts it down gracefully and prints
// {"handled": N}. It writes "ready" to stderr once Server.Start returned.
func cmdServe(fs *flag.FlagSet, args []string) (any, error) {
	concurrency := fs.Int("concurrency", 4, "Config.Concurrency")
	queuesFlag := fs.String("queues", "default:1", "Config.Queues as name:priority,...")
	strict := fs.Bool("strict", false, "Config.StrictPriority")
	shutdownTimeout := fs.Duration("shutdown-timeout", 8*time.Second, "Config.ShutdownTimeout")
	taskCheck := fs.Duration("task-check-interval", 0, "Config.TaskCheckInterval (0: Go's default)")
	delayedCheck := fs.Duration("delayed-task-check-interval", 0, "Config.DelayedTaskCheckInterval (0: Go's default)")
	retryDelay := fs.Duration("retry-delay", -1, "fixed Config.RetryDelayFunc (negative: Go's default)")
	logPath := fs.String("log", "", "append one JSON line per handler invocation to this file")
	exitAfter := fs.Int64("exit-after", 0, "shut down after this many handler invocations (0: never)")
	maxTime := fs.Duration("max-time", 0, "shut down after this long (0: never)")
	aggregate := fs.Bool("aggregate", false, "set a GroupAggregator: one task of type \"aggregated\" whose payload is the JSON array of the group's payloads, oldest first, with header group=<name>")
	gracePeriod := fs.Duration("group-grace-period", 0, "Config.GroupGracePeriod (0: Go's default)")
	maxDelay := fs.Duration("group-max-delay", 0, "Config.GroupMaxDelay")
	maxSize := fs.Int("group-max-size", 0, "Config.GroupMaxSize")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	queues, err := parseQueues(*queuesFlag)
	if err != nil {
		return nil, usageError{err}
	}
	var log *serveLog
	if *logPath != "" {
		f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
		if err != nil {
			return nil, usageError{err}
		}
		defer f.Close()
		log = &serveLog{f: f}
	}

	cfg := asynq.Config{
		Concurrency:              *concurrency,
		Queues:                   queues,
		StrictPriority:           *strict,
		ShutdownTimeout:          *shutdownTimeout,
		TaskCheckInterval:        *taskCheck,
		DelayedTaskCheckInterval: *delayedCheck,
	}
	if *aggregate {
		cfg.GroupGracePeriod = *gracePeriod
		cfg.GroupMaxDelay = *maxDelay
		cfg.GroupMaxSize = *maxSize
		cfg.GroupAggregator = asynq.GroupAggregatorFunc(func(group string, tasks []*asynq.Task) *asynq.Task {
			payloads := make([]string, len(tasks))
			for i, t := range tasks {
				payloads[i] = string(t.Payload())
			}
			b, err := json.Marshal(payloads)
			if err != nil {
				fmt.Fprintf(os.Stderr, "goasynq serve: aggregating: %v\n", err)
				return nil
			}
			return asynq.NewTaskWithHeaders("aggregated", b, map[string]string{"group": group})
		})
	}
	if *retryDelay >= 0 {
		d := *retryDelay
		cfg.RetryDelayFunc = func(int, error, *asynq.Task) time.Duration { return d }
	}
	srv := asynq.NewServer(conn, cfg)

	var handled atomic.Int64
	reached := make(chan struct{})
	var reachedOnce sync.Once
	handler := asynq.HandlerFunc(func(ctx context.Context, t *asynq.Task) (err error) {
		h := handledOut{Type: t.Type(), Payload: string(t.Payload()), Headers: t.Headers()}
		h.ID, _ = asynq.GetTaskID(ctx)
		h.Queue, _ = asynq.GetQueueName(ctx)
		h.Retried, _ = asynq.GetRetryCount(ctx)
		h.MaxRetry, _ = asynq.GetMaxRetry(ctx)
		defer func() {
			if n := handled.Add(1); *exitAfter > 0 && n >= *exitAfter {
				reachedOnce.Do(func() { close(reached) })
			}
		}()
		var b behaviour
		if json.Unmarshal(t.Payload(), &b) != nil {
			b = behaviour{}
		}
		err = perform(ctx, t, b)
		switch {
		case b.Panic != "" && err == nil:
			h.Outcome = "panic: " + b.Panic
			log.write(h)
			panic(b.Panic)
		case err != nil:
			h.Outcome = err.Error()
		default:
			h.Outcome = "ok"
		}
		log.write(h)
		return err
	})

	if err := srv.Start(handler); err != nil {
		return nil, err
	}
	fmt.Fprintln(os.Stderr, "ready")

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, syscall.SIGTERM, syscall.SIGINT)
	var timeout <-chan time.Time
	if *maxTime > 0 {
		timeout = time.After(*maxTime)
	}
	select {
	case <-signals:
	case <-reached:
	case <-timeout:
	}
	srv.Shutdown()
	return serveOut{Handled: handled.Load()}, nil
}

// perform runs the steps of b other than the panic.
func perform(ctx context.Context, t *asynq.Task, b behaviour) error {
	if b.SleepMs > 0 {
		timer := time.NewTimer(time.Duration(b.SleepMs) * time.Millisecond)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
	if b.Result != nil {
		if _, err := t.ResultWriter().Write([]byte(*b.Result)); err != nil {
			return err
		}
	}
	text := b.Error
	switch {
	case b.Revoke:
		if text == "" {
			return asynq.RevokeTask
		}
		return fmt.Errorf("%s: %w", text, asynq.RevokeTask)
	case b.SkipRetry:
		if text == "" {
			return asynq.SkipRetry
		}
		return fmt.Errorf("%s: %w", text, asynq.SkipRetry)
	case text != "":
		return errors.New(text)
	}
	return nil
}
