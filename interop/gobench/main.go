// Command gobench measures Go's github.com/hibiken/asynq on a given Redis, for
// `cargo xtask bench`, which runs the same workloads with the Rust crates in
// the same run and prints the ratios. Each workload prints one JSON object.
//
//	gobench enqueue --redis 127.0.0.1:6379 --n 20000 --size 128 --concurrency 16
//	gobench worker --redis 127.0.0.1:6379 --queues default:1 --concurrency 16
//	gobench pickup-worker --redis 127.0.0.1:6379 --n 2000 --queues critical:6,default:3,low:1
//	gobench pickup-produce --redis 127.0.0.1:6379 --n 2000 --rate 500 --queues critical,default,low
//	gobench aggregate-worker --redis 127.0.0.1:6379 --n 20000 --queue default --concurrency 16 --grace 1s --max-size 100
//
// The queues of the drain workloads are filled by `asynq-bench fill` (Rust),
// and the groups of the aggregation workload by `asynq-bench aggregate-fill`,
// so both workers process the same messages.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"github.com/hibiken/asynq"
)

type enqueueResult struct {
	Workload    string  `json:"workload"`
	Side        string  `json:"side"`
	Tasks       int     `json:"tasks"`
	Concurrency int     `json:"concurrency"`
	Seconds     float64 `json:"seconds"`
	TasksPerSec float64 `json:"tasks_per_sec"`
	P50Micros   float64 `json:"p50_us"`
	P99Micros   float64 `json:"p99_us"`
	Errors      int64   `json:"errors"`
}

func main() {
	workloads := map[string]func([]string){
		"enqueue":          enqueue,
		"worker":           worker,
		"pickup-produce":   pickupProduce,
		"pickup-worker":    pickupWorker,
		"aggregate-worker": aggregateWorker,
	}
	if len(os.Args) < 2 || workloads[os.Args[1]] == nil {
		fmt.Fprintln(os.Stderr, "usage: gobench enqueue|worker|pickup-produce|pickup-worker|aggregate-worker --redis HOST:PORT [flags]")
		os.Exit(1)
	}
	workloads[os.Args[1]](os.Args[2:])
}

// enqueue measures n Client.Enqueue calls from --concurrency goroutines
// sharing one client.
func enqueue(args []string) {
	fs := flag.NewFlagSet("enqueue", flag.ExitOnError)
	addr := fs.String("redis", "127.0.0.1:6379", "Redis address")
	n := fs.Int("n", 20000, "number of tasks")
	size := fs.Int("size", 128, "payload size in bytes")
	conc := fs.Int("concurrency", 1, "concurrent producers sharing one client")
	queue := fs.String("queue", "default", "queue name")
	_ = fs.Parse(args)

	client := asynq.NewClient(asynq.RedisClientOpt{Addr: *addr})
	defer client.Close()
	payload := make([]byte, *size)
	for i := range payload {
		payload[i] = 'x'
	}
	// Warm up the connection pool and the script cache.
	if _, err := client.Enqueue(asynq.NewTask("bench:warmup", payload), asynq.Queue(*queue+"-warmup")); err != nil {
		fmt.Fprintln(os.Stderr, "warm-up enqueue failed:", err)
		os.Exit(1)
	}

	lat := make([]time.Duration, *n)
	var next int64 = -1
	var errs int64
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < *conc; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := atomic.AddInt64(&next, 1)
				if i >= int64(*n) {
					return
				}
				t0 := time.Now()
				if _, err := client.Enqueue(asynq.NewTask("bench:noop", payload), asynq.Queue(*queue)); err != nil {
					atomic.AddInt64(&errs, 1)
				}
				lat[i] = time.Since(t0)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	sort.Slice(lat, func(a, b int) bool { return lat[a] < lat[b] })
	pct := func(p float64) float64 {
		return float64(lat[int(p*float64(len(lat)-1))].Nanoseconds()) / 1e3
	}
	_ = json.NewEncoder(os.Stdout).Encode(enqueueResult{
		Workload: "enqueue", Side: "go", Tasks: *n, Concurrency: *conc,
		Seconds: elapsed.Seconds(), TasksPerSec: float64(*n) / elapsed.Seconds(),
		P50Micros: pct(0.50), P99Micros: pct(0.99), Errors: errs,
	})
}
