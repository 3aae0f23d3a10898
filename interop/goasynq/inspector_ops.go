package main

import (
	"flag"
	"fmt"
	"sort"
)

// The Inspector operations of the parity cases (wire-protocol.md §8.5):
// History, Groups, ArchiveTask, DeleteTask, UpdateTaskPayload, the RunAll*,
// ArchiveAll* and DeleteAll* methods, and DeleteQueue.
func init() {
	commands["history"] = cmdHistory
	commands["groups"] = cmdGroups
	commands["archive-task"] = cmdArchiveTask
	commands["delete-task"] = cmdDeleteTask
	commands["update-payload"] = cmdUpdatePayload
	commands["bulk"] = cmdBulk
	commands["delete-queue"] = cmdDeleteQueue
}

// dailyStatsOut is asynq.DailyStats; Date in Unix seconds and as its UTC
// calendar day.
type dailyStatsOut struct {
	Queue     string `json:"queue"`
	Processed int    `json:"processed"`
	Failed    int    `json:"failed"`
	Date      int64  `json:"date"`
	Day       string `json:"day"`
}

// cmdHistory prints Inspector.History(--queue, --days), in Go's order.
func cmdHistory(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	days := fs.Int("days", 7, "number of days")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	stats, err := insp.History(*queue, *days)
	if err != nil {
		return nil, err
	}
	out := make([]dailyStatsOut, 0, len(stats))
	for _, s := range stats {
		out = append(out, dailyStatsOut{
			Queue:     s.Queue,
			Processed: s.Processed,
			Failed:    s.Failed,
			Date:      s.Date.Unix(),
			Day:       s.Date.UTC().Format("2006-01-02"),
		})
	}
	return out, nil
}

// groupOut is asynq.GroupInfo.
type groupOut struct {
	Group string `json:"group"`
	Size  int    `json:"size"`
}

// cmdGroups prints Inspector.Groups(--queue), sorted by group name.
func cmdGroups(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	groups, err := insp.Groups(*queue)
	if err != nil {
		return nil, err
	}
	out := make([]groupOut, 0, len(groups))
	for _, g := range groups {
		out = append(out, groupOut{Group: g.Group, Size: g.Size})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].Group < out[b].Group })
	return out, nil
}

// taskFlags adds --queue and --id to fs.
func taskFlags(fs *flag.FlagSet) (queue, id *string) {
	return fs.String("queue", "default", "queue name"), fs.String("id", "", "task ID")
}

// cmdArchiveTask runs Inspector.ArchiveTask(--queue, --id): {"ok": true}.
func cmdArchiveTask(fs *flag.FlagSet, args []string) (any, error) {
	queue, id := taskFlags(fs)
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.ArchiveTask(*queue, *id); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}

// cmdDeleteTask runs Inspector.DeleteTask(--queue, --id): {"ok": true}.
func cmdDeleteTask(fs *flag.FlagSet, args []string) (any, error) {
	queue, id := taskFlags(fs)
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.DeleteTask(*queue, *id); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}

// payloadIn is the stdin of update-payload: the new payload in base64
// (null for a nil payload).
type payloadIn struct {
	Payload []byte `json:"payload"`
}

// cmdUpdatePayload runs Inspector.UpdateTaskPayload(--queue, --id, payload
// from stdin): {"ok": true}.
func cmdUpdatePayload(fs *flag.FlagSet, args []string) (any, error) {
	queue, id := taskFlags(fs)
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	var in payloadIn
	if err := readInput(&in); err != nil {
		return nil, err
	}
	if err := insp.UpdateTaskPayload(*queue, *id, in.Payload); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}

// countOut is the output of the bulk operations.
type countOut struct {
	Count int `json:"count"`
}

// cmdBulk runs one of the bulk methods, chosen by --op (run, archive,
// delete) and --state (pending, scheduled, retry, archived, completed,
// aggregating with --group), on --queue: {"count": n}.
func cmdBulk(fs *flag.FlagSet, args []string) (any, error) {
	op := fs.String("op", "", "run|archive|delete")
	state := fs.String("state", "", "pending|scheduled|retry|archived|completed|aggregating")
	queue := fs.String("queue", "default", "queue name")
	group := fs.String("group", "", "group name (state aggregating)")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	q, g := *queue, *group
	methods := map[string]func() (int, error){
		"run scheduled":       func() (int, error) { return insp.RunAllScheduledTasks(q) },
		"run retry":           func() (int, error) { return insp.RunAllRetryTasks(q) },
		"run archived":        func() (int, error) { return insp.RunAllArchivedTasks(q) },
		"run aggregating":     func() (int, error) { return insp.RunAllAggregatingTasks(q, g) },
		"archive pending":     func() (int, error) { return insp.ArchiveAllPendingTasks(q) },
		"archive scheduled":   func() (int, error) { return insp.ArchiveAllScheduledTasks(q) },
		"archive retry":       func() (int, error) { return insp.ArchiveAllRetryTasks(q) },
		"archive aggregating": func() (int, error) { return insp.ArchiveAllAggregatingTasks(q, g) },
		"delete pending":      func() (int, error) { return insp.DeleteAllPendingTasks(q) },
		"delete scheduled":    func() (int, error) { return insp.DeleteAllScheduledTasks(q) },
		"delete retry":        func() (int, error) { return insp.DeleteAllRetryTasks(q) },
		"delete archived":     func() (int, error) { return insp.DeleteAllArchivedTasks(q) },
		"delete completed":    func() (int, error) { return insp.DeleteAllCompletedTasks(q) },
		"delete aggregating":  func() (int, error) { return insp.DeleteAllAggregatingTasks(q, g) },
	}
	method := methods[*op+" "+*state]
	if method == nil {
		return nil, usageError{fmt.Errorf("no bulk method for --op %q --state %q", *op, *state)}
	}
	n, err := method()
	if err != nil {
		return nil, err
	}
	return countOut{Count: n}, nil
}

// cmdDeleteQueue runs Inspector.DeleteQueue(--queue, --force): {"ok": true}.
func cmdDeleteQueue(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	force := fs.Bool("force", false, "delete the tasks too")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.DeleteQueue(*queue, *force); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}
