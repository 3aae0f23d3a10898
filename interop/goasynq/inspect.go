package main

import (
	"flag"
	"fmt"
	"sort"
	"time"

	"github.com/hibiken/asynq"
)

// rfc3339 formats t as RFC 3339 with nanoseconds, or "" for the zero time.
func rfc3339(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.RFC3339Nano)
}

// serverOut is asynq.ServerInfo; times in RFC 3339, payloads as strings.
type serverOut struct {
	ID             string         `json:"id"`
	Host           string         `json:"host"`
	PID            int            `json:"pid"`
	Concurrency    int            `json:"concurrency"`
	Queues         map[string]int `json:"queues"`
	StrictPriority bool           `json:"strict_priority"`
	Status         string         `json:"status"`
	Started        string         `json:"started"`
	ActiveWorkers  []workerOut    `json:"active_workers"`
}

// workerOut is asynq.WorkerInfo.
type workerOut struct {
	TaskID      string `json:"task_id"`
	TaskType    string `json:"task_type"`
	TaskPayload string `json:"task_payload"`
	Queue       string `json:"queue"`
	Started     string `json:"started"`
	Deadline    string `json:"deadline"`
}

// queueInfoOut is asynq.QueueInfo; Latency in milliseconds, Timestamp in
// RFC 3339.
type queueInfoOut struct {
	Queue          string `json:"queue"`
	MemoryUsage    int64  `json:"memory_usage"`
	LatencyMs      int64  `json:"latency_ms"`
	Size           int    `json:"size"`
	Groups         int    `json:"groups"`
	Pending        int    `json:"pending"`
	Active         int    `json:"active"`
	Scheduled      int    `json:"scheduled"`
	Retry          int    `json:"retry"`
	Archived       int    `json:"archived"`
	Completed      int    `json:"completed"`
	Aggregating    int    `json:"aggregating"`
	Processed      int    `json:"processed"`
	Failed         int    `json:"failed"`
	ProcessedTotal int    `json:"processed_total"`
	FailedTotal    int    `json:"failed_total"`
	Paused         bool   `json:"paused"`
	Timestamp      string `json:"timestamp"`
}

// okOut is the output of the commands that only succeed or fail.
type okOut struct {
	OK bool `json:"ok"`
}

func inspector(fs *flag.FlagSet, args []string) (*asynq.Inspector, error) {
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	return asynq.NewInspector(conn), nil
}

// cmdServers prints Inspector.Servers(), sorted by server ID, each server's
// workers sorted by task ID.
func cmdServers(fs *flag.FlagSet, args []string) (any, error) {
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	servers, err := insp.Servers()
	if err != nil {
		return nil, err
	}
	out := make([]serverOut, 0, len(servers))
	for _, s := range servers {
		workers := make([]workerOut, 0, len(s.ActiveWorkers))
		for _, w := range s.ActiveWorkers {
			workers = append(workers, workerOut{
				TaskID:      w.TaskID,
				TaskType:    w.TaskType,
				TaskPayload: string(w.TaskPayload),
				Queue:       w.Queue,
				Started:     rfc3339(w.Started),
				Deadline:    rfc3339(w.Deadline),
			})
		}
		sort.Slice(workers, func(a, b int) bool { return workers[a].TaskID < workers[b].TaskID })
		queues := s.Queues
		if queues == nil {
			queues = map[string]int{}
		}
		out = append(out, serverOut{
			ID:             s.ID,
			Host:           s.Host,
			PID:            s.PID,
			Concurrency:    s.Concurrency,
			Queues:         queues,
			StrictPriority: s.StrictPriority,
			Status:         s.Status,
			Started:        rfc3339(s.Started),
			ActiveWorkers:  workers,
		})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].ID < out[b].ID })
	return out, nil
}

// cmdQueueInfo prints Inspector.GetQueueInfo(--queue).
func cmdQueueInfo(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	i, err := insp.GetQueueInfo(*queue)
	if err != nil {
		return nil, err
	}
	return queueInfoOut{
		Queue:          i.Queue,
		MemoryUsage:    i.MemoryUsage,
		LatencyMs:      i.Latency.Milliseconds(),
		Size:           i.Size,
		Groups:         i.Groups,
		Pending:        i.Pending,
		Active:         i.Active,
		Scheduled:      i.Scheduled,
		Retry:          i.Retry,
		Archived:       i.Archived,
		Completed:      i.Completed,
		Aggregating:    i.Aggregating,
		Processed:      i.Processed,
		Failed:         i.Failed,
		ProcessedTotal: i.ProcessedTotal,
		FailedTotal:    i.FailedTotal,
		Paused:         i.Paused,
		Timestamp:      rfc3339(i.Timestamp),
	}, nil
}

// cmdListTasks prints Inspector.List<State>Tasks(--queue) with --page-size
// and --page, as a list of TaskInfo JSON.
func cmdListTasks(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	state := fs.String("state", "pending", "pending|active|scheduled|retry|archived|completed|aggregating")
	group := fs.String("group", "", "group name (state aggregating)")
	pageSize := fs.Int("page-size", 1000, "ListOption PageSize")
	page := fs.Int("page", 1, "ListOption Page (1 is the first)")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	opts := []asynq.ListOption{asynq.PageSize(*pageSize), asynq.Page(*page)}
	var tasks []*asynq.TaskInfo
	switch *state {
	case "pending":
		tasks, err = insp.ListPendingTasks(*queue, opts...)
	case "active":
		tasks, err = insp.ListActiveTasks(*queue, opts...)
	case "scheduled":
		tasks, err = insp.ListScheduledTasks(*queue, opts...)
	case "retry":
		tasks, err = insp.ListRetryTasks(*queue, opts...)
	case "archived":
		tasks, err = insp.ListArchivedTasks(*queue, opts...)
	case "completed":
		tasks, err = insp.ListCompletedTasks(*queue, opts...)
	case "aggregating":
		tasks, err = insp.ListAggregatingTasks(*queue, *group, opts...)
	default:
		return nil, usageError{fmt.Errorf("unknown state %q", *state)}
	}
	if err != nil {
		return nil, err
	}
	out := make([]taskInfoOut, 0, len(tasks))
	for _, t := range tasks {
		out = append(out, taskInfoJSON(t))
	}
	return out, nil
}

// cmdCancel runs Inspector.CancelProcessing(--id).
func cmdCancel(fs *flag.FlagSet, args []string) (any, error) {
	id := fs.String("id", "", "task ID")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.CancelProcessing(*id); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}

// cmdPause runs Inspector.PauseQueue(--queue).
func cmdPause(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.PauseQueue(*queue); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}

// cmdUnpause runs Inspector.UnpauseQueue(--queue).
func cmdUnpause(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.UnpauseQueue(*queue); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}
