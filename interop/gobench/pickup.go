package main

import (
	"context"
	"flag"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/hibiken/asynq"
)

// pickupProduce is W3's producer: n tasks at --rate per second, task i to
// queues[i % len], each payload the enqueue time in Unix nanoseconds as
// decimal ASCII, read just before Client.Enqueue.
func pickupProduce(args []string) {
	fs := flag.NewFlagSet("pickup-produce", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 2000, "number of tasks")
	rate := fs.Float64("rate", 500, "tasks per second")
	queues := fs.String("queues", "critical,default,low", "queue names")
	_ = fs.Parse(args)
	names := queueNames(*queues)

	client := asynq.NewClient(asynq.RedisClientOpt{Addr: *addr})
	defer client.Close()
	// Warm up the connection and the script cache on a queue no worker serves.
	if _, err := client.Enqueue(asynq.NewTask("bench:warmup", []byte("0")), asynq.Queue("bench-warmup")); err != nil {
		failf("pickup-produce", "warm-up enqueue: %v", err)
	}
	interval := time.Duration(float64(time.Second) / *rate)
	errs := 0
	start := time.Now()
	for i := 0; i < *n; i++ {
		time.Sleep(time.Until(start.Add(time.Duration(i) * interval)))
		payload := []byte(strconv.FormatInt(time.Now().UnixNano(), 10))
		if _, err := client.Enqueue(asynq.NewTask("bench:pickup", payload), asynq.Queue(names[i%len(names)])); err != nil {
			errs++
		}
	}
	printLine(map[string]any{
		"workload": "pickup-produce", "side": "go", "tasks": *n,
		"seconds": time.Since(start).Seconds(), "errors": errs,
	})
}

// pickupWorker is W3's worker: an asynq.Server with default settings apart
// from the queues; the handler records now minus the payload's time on
// entry. It prints a started line, and once n tasks have been handled it
// shuts down and prints p50/p99/max in milliseconds.
func pickupWorker(args []string) {
	fs := flag.NewFlagSet("pickup-worker", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 2000, "number of tasks to wait for")
	queues := fs.String("queues", "critical:6,default:3,low:1", "queues with priorities")
	limit := fs.Duration("timeout", 2*time.Minute, "give up after")
	_ = fs.Parse(args)
	qs, err := parseQueues(*queues)
	if err != nil {
		failf("pickup-worker", "%v", err)
	}
	if *n < 1 {
		*n = 1
	}

	var mu sync.Mutex
	lat := make([]int64, 0, *n)
	bad := 0
	allIn := make(chan struct{})
	handler := asynq.HandlerFunc(func(_ context.Context, t *asynq.Task) error {
		now := time.Now().UnixNano()
		sent, err := strconv.ParseInt(string(t.Payload()), 10, 64)
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			bad++
			return nil
		}
		lat = append(lat, now-sent)
		if len(lat) == *n {
			close(allIn)
		}
		return nil
	})
	srv := asynq.NewServer(asynq.RedisClientOpt{Addr: *addr}, asynq.Config{Queues: qs})
	started := time.Now()
	if err := srv.Start(handler); err != nil {
		failf("pickup-worker", "starting the server: %v", err)
	}
	printLine(map[string]any{"event": "started", "side": "go", "unix_ns": started.UnixNano()})
	select {
	case <-allIn:
	case <-time.After(*limit):
		mu.Lock()
		got := len(lat)
		mu.Unlock()
		failf("pickup-worker", "%d of %d tasks handled in %v", got, *n, *limit)
	}
	srv.Shutdown()
	mu.Lock()
	defer mu.Unlock()
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(p float64) float64 { return float64(lat[int(float64(len(lat)-1)*p)]) / 1e6 }
	var sum int64
	for _, l := range lat {
		sum += l
	}
	printLine(map[string]any{
		"workload": "pickup", "side": "go", "tasks": *n,
		"p50_ms": pct(0.5), "p99_ms": pct(0.99), "max_ms": pct(1.0),
		"mean_ms": float64(sum) / float64(len(lat)) / 1e6, "bad_payloads": bad,
	})
}
