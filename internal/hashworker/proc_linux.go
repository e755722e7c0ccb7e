package hashworker

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"
)

// niceness is the workers' CPU priority: below the server's, so requests
// that need no hash are served first when both want a core.
const niceness = 19

// lowerPriority renices every thread of this process. On Linux a nice
// value belongs to a thread, and the runtime has started several before
// main runs; threads started later inherit their creator's. Best effort: a
// worker at normal priority still computes correct keys.
func lowerPriority() {
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, niceness)
		}
	}
}

// dieWithParent has the kernel kill the worker if the server dies (a
// worker also exits when its input ends, which is how Close stops it).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
