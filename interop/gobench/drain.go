package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// drainResult has the fields of enqueueResult that apply to a drain, so that
// both parse alike.
type drainResult struct {
	Workload    string  `json:"workload"`
	Side        string  `json:"side"`
	Tasks       int     `json:"tasks"`
	Concurrency int     `json:"concurrency"`
	Size        int     `json:"size"`
	Seconds     float64 `json:"seconds"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	Errors      int64   `json:"errors"`
}

// drain enqueues n no-op tasks (not timed), then measures how long an
// asynq.Server with --concurrency workers takes from Start until the
// queue's all-time processed counter (asynq:{<queue>}:processed) has grown
// by the number of tasks enqueued, polled every 2 ms.
func drain(args []string) {
	fs := flag.NewFlagSet("drain", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 20000, "number of tasks")
	size := fs.Int("size", 0, "payload size in bytes")
	conc := fs.Int("concurrency", 16, "Config.Concurrency of the server")
	queue := fs.String("queue", "bench", "queue name")
	limit := fs.Duration("timeout", 10*time.Minute, "give up when the drain takes longer")
	_ = fs.Parse(args)
	fail := func(format string, a ...any) {
		fmt.Fprintf(os.Stderr, "gobench drain: "+format+"\n", a...)
		os.Exit(1)
	}

	ctx := context.Background()
	conn := asynq.RedisClientOpt{Addr: *addr}
	rdb := redis.NewClient(&redis.Options{Addr: *addr})
	defer rdb.Close()
	counterKey := "asynq:{" + *queue + "}:processed"
	processed := func() int64 {
		v, err := rdb.Get(ctx, counterKey).Int64()
		if err != nil && !errors.Is(err, redis.Nil) {
			fail("GET %s: %v", counterKey, err)
		}
		return v
	}
	before := processed()

	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = 'x'
	}
	client := asynq.NewClient(conn)
	var next int64 = -1
	var errs int64
	var wg sync.WaitGroup
	for w := 0; w < 32; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for atomic.AddInt64(&next, 1) < int64(*n) {
				if _, err := client.Enqueue(asynq.NewTask("bench:noop", payload), asynq.Queue(*queue)); err != nil {
					atomic.AddInt64(&errs, 1)
				}
			}
		}()
	}
	wg.Wait()
	client.Close()
	target := before + int64(*n) - errs

	srv := asynq.NewServer(conn, asynq.Config{
		Concurrency: *conc,
		Queues:      map[string]int{*queue: 1},
	})
	noop := asynq.HandlerFunc(func(context.Context, *asynq.Task) error { return nil })
	start := time.Now()
	if err := srv.Start(noop); err != nil {
		fail("starting the server: %v", err)
	}
	tick := time.NewTicker(2 * time.Millisecond)
	for processed() < target {
		if time.Since(start) > *limit {
			fail("processed %d of %d tasks in %v", processed()-before, target-before, *limit)
		}
		<-tick.C
	}
	elapsed := time.Since(start)
	tick.Stop()
	srv.Shutdown()

	_ = json.NewEncoder(os.Stdout).Encode(drainResult{
		Workload: "drain", Side: "go", Tasks: *n, Concurrency: *conc, Size: *size,
		Seconds: elapsed.Seconds(), TasksPerSec: float64(target-before) / elapsed.Seconds(), Errors: errs,
	})
}
