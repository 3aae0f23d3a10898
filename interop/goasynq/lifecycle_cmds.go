package main

import (
	"flag"

	"github.com/hibiken/asynq"
)

func init() {
	commands["run-task"] = cmdLifecycleRunTask
}

// cmdLifecycleRunTask runs Inspector.RunTask(--queue, --id): a scheduled,
// retry, archived or completed task goes to pending.
func cmdLifecycleRunTask(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	id := fs.String("id", "", "task ID")
	conn, err := parse(fs, args)
	if err != nil {
		return nil, err
	}
	insp := asynq.NewInspector(conn)
	defer insp.Close()
	if err := insp.RunTask(*queue, *id); err != nil {
		return nil, err
	}
	return map[string]bool{"ok": true}, nil
}
