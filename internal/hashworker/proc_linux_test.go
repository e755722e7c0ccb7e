package hashworker

import (
	"os"
	"strconv"
	"testing"

	"golang.org/x/sys/unix"
)

// TestWorkerThreadsRunIdleClass: every thread of a worker, including those
// the runtime started before Serve ran, yields to the server's.
func TestWorkerThreadsRunIdleClass(t *testing.T) {
	ws := start(t, 1)
	if _, err := ws.Derive(request(false)); err != nil { // Serve has run
		t.Fatal(err)
	}
	w := <-ws.idle
	pid := w.cmd.Process.Pid
	ws.idle <- w
	tasks, err := os.ReadDir("/proc/" + strconv.Itoa(pid) + "/task")
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		tid, _ := strconv.Atoi(task.Name())
		attr, err := unix.SchedGetAttr(tid, 0)
		if err != nil {
			t.Fatal(err)
		}
		if attr.Policy != unix.SCHED_IDLE {
			t.Errorf("worker thread %d: scheduling policy %d, want SCHED_IDLE (%d)", tid, attr.Policy, unix.SCHED_IDLE)
		}
	}
	if len(tasks) < 2 {
		t.Errorf("worker has %d threads: the test looked at too few to tell", len(tasks))
	}
}
