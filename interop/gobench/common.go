package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// parseQueues reads "critical:6,default:3,low:1" (a name without ":N" has
// priority 1).
func parseQueues(s string) (map[string]int, error) {
	qs := map[string]int{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, p, found := strings.Cut(part, ":")
		prio := 1
		if found {
			v, err := strconv.Atoi(p)
			if err != nil {
				return nil, fmt.Errorf("priority of %s: %v", name, err)
			}
			prio = v
		}
		qs[name] = prio
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("no queue in %q", s)
	}
	return qs, nil
}

// queueNames returns the names of a comma-separated list in the order given.
func queueNames(s string) []string {
	var names []string
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		name, _, _ := strings.Cut(part, ":")
		names = append(names, name)
	}
	return names
}

// printLine writes one JSON line to standard output (unbuffered).
func printLine(v any) {
	_ = json.NewEncoder(os.Stdout).Encode(v)
}

// waitForStdinEOF blocks until standard input is closed: the parent's signal
// to shut down.
func waitForStdinEOF() {
	_, _ = io.Copy(io.Discard, os.Stdin)
}

func failf(workload, format string, a ...any) {
	fmt.Fprintf(os.Stderr, "gobench "+workload+": "+format+"\n", a...)
	os.Exit(1)
}
