// Command asynqmonget serves HTTP GET requests with the asynqmon v0.7.2 web
// handler (built on github.com/hibiken/asynq v0.24.1, the Inspector asynqmon
// ships with) in process, without a listening socket:
//
//	asynqmonget --redis 127.0.0.1:6379 [--db 0] /api/queues /api/queues/default/pending_tasks ...
//
// It prints one JSON list with, for each path in order, {"path", "status",
// "body"}: body is the response's JSON value, or its text when it is not
// JSON (asynqmon answers errors with plain text and status 500).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

type response struct {
	Path   string `json:"path"`
	Status int    `json:"status"`
	Body   any    `json:"body"`
}

func main() {
	addr := flag.String("redis", "127.0.0.1:6379", "Redis address host:port")
	db := flag.Int("db", 0, "Redis database number")
	flag.Parse()
	h := asynqmon.New(asynqmon.Options{
		RootPath:     "/",
		RedisConnOpt: asynq.RedisClientOpt{Addr: *addr, DB: *db},
	})
	defer h.Close()
	out := make([]response, 0, flag.NArg())
	for _, path := range flag.Args() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		r := response{Path: path, Status: rec.Code}
		var body any
		if json.Unmarshal(rec.Body.Bytes(), &body) == nil {
			r.Body = body
		} else {
			r.Body = rec.Body.String()
		}
		out = append(out, r)
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		fmt.Fprintf(os.Stderr, "asynqmonget: %v\n", err)
		os.Exit(1)
	}
}
