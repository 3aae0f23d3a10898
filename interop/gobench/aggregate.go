package main

import (
	"context"
	"flag"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// aggregateDigits is the width of a group task's payload: its index in ASCII
// digits, zero-padded (written by `asynq-bench aggregate-fill`).
const aggregateDigits = 8

// aggregateWorker is W6's worker: an asynq.Server with default settings apart
// from the queue, the concurrency, GroupGracePeriod, GroupMaxSize and a
// GroupAggregator that concatenates the payloads of a group's tasks into one
// task of type bench:aggregated. The handler splits each aggregated payload
// into its 8-digit indices and counts the distinct ones. It prints a started
// line (Unix ns just before Start), a done line once all n group tasks have
// been seen inside processed aggregated tasks (Unix ns of the handler call
// that completed the count, of the first aggregated task, how many aggregated
// tasks, duplicates), then runs until standard input is closed, shuts down and
// prints a stopped line. The groups are filled by `asynq-bench
// aggregate-fill` (Rust) for both sides; `asynq-bench aggregate-worker` does
// the same with the Rust crates.
func aggregateWorker(args []string) {
	fs := flag.NewFlagSet("aggregate-worker", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 20000, "number of group tasks to wait for")
	queue := fs.String("queue", "default", "queue name")
	conc := fs.Int("concurrency", 16, "Config.Concurrency")
	grace := fs.Duration("grace", time.Second, "Config.GroupGracePeriod")
	maxSize := fs.Int("max-size", 100, "Config.GroupMaxSize")
	limit := fs.Duration("timeout", 5*time.Minute, "give up after")
	_ = fs.Parse(args)

	aggregator := asynq.GroupAggregatorFunc(func(_ string, tasks []*asynq.Task) *asynq.Task {
		size := 0
		for _, t := range tasks {
			size += len(t.Payload())
		}
		p := make([]byte, 0, size)
		for _, t := range tasks {
			p = append(p, t.Payload()...)
		}
		return asynq.NewTask("bench:aggregated", p)
	})

	var mu sync.Mutex
	seen := make([]bool, *n)
	distinct, duplicates, bad, aggregated := 0, 0, 0, 0
	var firstNs, doneNs int64
	allIn := make(chan struct{})
	handler := asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		now := time.Now().UnixNano()
		mu.Lock()
		defer mu.Unlock()
		if aggregated == 0 {
			firstNs = now
		}
		aggregated++
		p := t.Payload()
		if len(p)%aggregateDigits != 0 {
			bad++
		}
		for off := 0; off+aggregateDigits <= len(p); off += aggregateDigits {
			i, err := strconv.Atoi(string(p[off : off+aggregateDigits]))
			switch {
			case err != nil || i < 0 || i >= *n:
				bad++
			case seen[i]:
				duplicates++
			default:
				seen[i] = true
				distinct++
			}
		}
		if distinct == *n && doneNs == 0 {
			doneNs = now
			close(allIn)
		}
		return nil
	})

	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: *addr}, asynq.Config{
		Concurrency:      *conc,
		Queues:           map[string]int{*queue: 1},
		GroupGracePeriod: *grace,
		GroupMaxSize:     *maxSize,
		GroupAggregator:  aggregator,
	})
	started := time.Now()
	if err := srv.Start(handler); err != nil {
		failf("aggregate-worker", "starting the server: %v", err)
	}
	printLine(map[string]any{"event": "started", "side": "go", "unix_ns": started.UnixNano(), "concurrency": *conc})
	event := "done"
	select {
	case <-allIn:
	case <-time.After(*limit):
		event = "timeout"
	}
	mu.Lock()
	report := map[string]any{
		"event": event, "side": "go", "unix_ns": doneNs, "first_unix_ns": firstNs,
		"group_tasks": distinct, "aggregated_tasks": aggregated,
		"duplicates": duplicates, "bad": bad,
	}
	mu.Unlock()
	printLine(report)
	waitForStdinEOF()
	srv.Shutdown()
	printLine(map[string]any{"event": "stopped", "side": "go"})
}
