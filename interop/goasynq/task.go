package main

import (
	"time"

	"github.com/hibiken/asynq"
)

// taskIn is one task to enqueue. A null payload gives Go's nil payload; null
// headers use NewTask, a map (even empty) uses NewTaskWithHeaders.
type taskIn struct {
	Type    string            `json:"type"`
	Payload []byte            `json:"payload"` // base64
	Headers map[string]string `json:"headers"`
	Options optionsIn         `json:"options"`
}

// optionsIn holds the enqueue options; absent (null) fields are not passed.
type optionsIn struct {
	MaxRetry      *int    `json:"max_retry"`
	Queue         *string `json:"queue"`
	TaskID        *string `json:"task_id"`
	TimeoutMs     *int64  `json:"timeout_ms"`
	DeadlineUnix  *int64  `json:"deadline_unix"`
	UniqueMs      *int64  `json:"unique_ms"`
	ProcessInMs   *int64  `json:"process_in_ms"`
	ProcessAtUnix *int64  `json:"process_at_unix"`
	RetentionMs   *int64  `json:"retention_ms"`
	Group         *string `json:"group"`
}

func (t taskIn) task() *asynq.Task {
	if t.Headers == nil {
		return asynq.NewTask(t.Type, t.Payload)
	}
	return asynq.NewTaskWithHeaders(t.Type, t.Payload, t.Headers)
}

func ms(n int64) time.Duration { return time.Duration(n) * time.Millisecond }

// list returns the options in a fixed order (ProcessAt before ProcessIn, so
// ProcessIn wins when both are given, as the later option does in Go).
func (o optionsIn) list() []asynq.Option {
	var opts []asynq.Option
	if o.MaxRetry != nil {
		opts = append(opts, asynq.MaxRetry(*o.MaxRetry))
	}
	if o.Queue != nil {
		opts = append(opts, asynq.Queue(*o.Queue))
	}
	if o.TaskID != nil {
		opts = append(opts, asynq.TaskID(*o.TaskID))
	}
	if o.TimeoutMs != nil {
		opts = append(opts, asynq.Timeout(ms(*o.TimeoutMs)))
	}
	if o.DeadlineUnix != nil {
		opts = append(opts, asynq.Deadline(time.Unix(*o.DeadlineUnix, 0)))
	}
	if o.UniqueMs != nil {
		opts = append(opts, asynq.Unique(ms(*o.UniqueMs)))
	}
	if o.ProcessAtUnix != nil {
		opts = append(opts, asynq.ProcessAt(time.Unix(*o.ProcessAtUnix, 0)))
	}
	if o.ProcessInMs != nil {
		opts = append(opts, asynq.ProcessIn(ms(*o.ProcessInMs)))
	}
	if o.RetentionMs != nil {
		opts = append(opts, asynq.Retention(ms(*o.RetentionMs)))
	}
	if o.Group != nil {
		opts = append(opts, asynq.Group(*o.Group))
	}
	return opts
}

// taskInfoOut is asynq.TaskInfo with every field: durations in
// milliseconds, times in Unix seconds (null when zero), bytes in base64
// (null when nil).
type taskInfoOut struct {
	ID            string            `json:"id"`
	Queue         string            `json:"queue"`
	Type          string            `json:"type"`
	Payload       []byte            `json:"payload"`
	Headers       map[string]string `json:"headers"`
	State         string            `json:"state"`
	MaxRetry      int               `json:"max_retry"`
	Retried       int               `json:"retried"`
	LastErr       string            `json:"last_err"`
	LastFailedAt  *int64            `json:"last_failed_at"`
	TimeoutMs     int64             `json:"timeout_ms"`
	Deadline      *int64            `json:"deadline"`
	Group         string            `json:"group"`
	NextProcessAt *int64            `json:"next_process_at"`
	IsOrphaned    bool              `json:"is_orphaned"`
	RetentionMs   int64             `json:"retention_ms"`
	CompletedAt   *int64            `json:"completed_at"`
	Result        []byte            `json:"result"`
}

func unixOrNull(t time.Time) *int64 {
	if t.IsZero() {
		return nil
	}
	s := t.Unix()
	return &s
}

func taskInfoJSON(i *asynq.TaskInfo) taskInfoOut {
	return taskInfoOut{
		ID:            i.ID,
		Queue:         i.Queue,
		Type:          i.Type,
		Payload:       i.Payload,
		Headers:       i.Headers,
		State:         i.State.String(),
		MaxRetry:      i.MaxRetry,
		Retried:       i.Retried,
		LastErr:       i.LastErr,
		LastFailedAt:  unixOrNull(i.LastFailedAt),
		TimeoutMs:     i.Timeout.Milliseconds(),
		Deadline:      unixOrNull(i.Deadline),
		Group:         i.Group,
		NextProcessAt: unixOrNull(i.NextProcessAt),
		IsOrphaned:    i.IsOrphaned,
		RetentionMs:   i.Retention.Milliseconds(),
		CompletedAt:   unixOrNull(i.CompletedAt),
		Result:        i.Result,
	}
}
