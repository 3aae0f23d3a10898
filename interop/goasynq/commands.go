package main

import (
	"flag"

	"github.com/hibiken/asynq"
)

// cmdEnqueue enqueues a JSON list of tasks one by one with Client.Enqueue.
// Output: one entry per task, the TaskInfo or {"error", "kind"}.
func cmdEnqueue(fs *flag.FlagSet, args []string) (any, error) {
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	var tasks []taskIn
	if err := readInput(&tasks); err != nil {
		return nil, err
	}
	client := asynq.NewClient(conn)
	defer client.Close()
	out := make([]any, 0, len(tasks))
	for _, t := range tasks {
		info, err := client.Enqueue(t.task(), t.Options.list()...)
		if err != nil {
			out = append(out, errorJSON(err))
		} else {
			out = append(out, taskInfoJSON(info))
		}
	}
	return out, nil
}

// cmdInspectTask prints Inspector.GetTaskInfo(--queue, --id).
func cmdInspectTask(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	id := fs.String("id", "", "task ID")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	info, err := insp.GetTaskInfo(*queue, *id)
	if err != nil {
		return nil, err
	}
	return taskInfoJSON(info), nil
}

// cmdListQueues prints Inspector.Queues().
func cmdListQueues(fs *flag.FlagSet, args []string) (any, error) {
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	queues, err := insp.Queues()
	if queues == nil {
		queues = []string{}
	}
	return queues, err
}
