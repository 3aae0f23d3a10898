package main

import (
	"context"
	"flag"
	"time"

	"github.com/hibiken/asynq"
)

// worker is the measured process of the drain workloads (W2 drain, W4 cost,
// W5 scale) and of W4's idle measurement: an asynq.Server with a no-op
// handler and default settings apart from the queues (and the concurrency
// when given). It prints {"event":"started","unix_ns":...} with the time
// taken just before Start, runs until standard input is closed, shuts down
// and prints {"event":"stopped"}. It sends nothing to Redis of its own:
// `cargo xtask bench` watches the processed counters, Redis' statistics and
// this process' /proc entries from outside. `asynq-bench worker` does the
// same with the Rust crates.
func worker(args []string) {
	fs := flag.NewFlagSet("worker", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	queues := fs.String("queues", "default:1", "queues with priorities")
	conc := fs.Int("concurrency", 0, "Config.Concurrency (0: the default)")
	_ = fs.Parse(args)
	qs, err := parseQueues(*queues)
	if err != nil {
		failf("worker", "%v", err)
	}

	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: *addr}, asynq.Config{
		Concurrency: *conc,
		Queues:      qs,
	})
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	started := time.Now()
	if err := srv.Start(noop); err != nil {
		failf("worker", "starting the server: %v", err)
	}
	printLine(map[string]any{"event": "started", "side": "go", "unix_ns": started.UnixNano(), "concurrency": *conc})
	waitForStdinEOF()
	srv.Shutdown()
	printLine(map[string]any{"event": "stopped", "side": "go"})
}
