package main

import "flag"

func init() {
	commands["run-task"] = cmdRunTask
}

// cmdRunTask calls Inspector.RunTask(queue, id): the task moves to pending
// without its message being rewritten. Output: {"ok": true}.
func cmdRunTask(fs *flag.FlagSet, args []string) (any, error) {
	queue := fs.String("queue", "default", "queue name")
	id := fs.String("id", "", "task ID")
	insp, err := inspector(fs, args)
	if err != nil {
		return nil, err
	}
	defer insp.Close()
	if err := insp.RunTask(*queue, *id); err != nil {
		return nil, err
	}
	return okOut{OK: true}, nil
}
