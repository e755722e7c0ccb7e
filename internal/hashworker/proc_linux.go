package hashworker

import (
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"
)

// lowerPriority puts every thread of this process in the SCHED_IDLE class,
// or at nice 19 where that is refused: the server's requests that need no
// hash come first whenever both want a core. On Linux the policy belongs
// to a thread, and the runtime has started several before main runs;
// threads started later inherit their creator's.
//
// SCHED_IDLE rather than nice 19 alone: a waking server thread preempts an
// idle-class thread at once, where the fair scheduler lets a nice-19
// thread finish part of its slice first. Each PostgreSQL round trip is
// such a wake-up, and /me's p99 during cmd/latchkey-bench's login flood
// fell from 3.6-3.7 × its unloaded p99 to 2.3 × on PostgreSQL (2.0 to 1.5 ×
// on SQLite), the login rate unchanged within the noise. Best effort: a
// worker at normal priority still computes correct keys.
func lowerPriority() {
	tasks, _ := os.ReadDir("/proc/self/task")
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			_ = syscall.Setpriority(syscall.PRIO_PROCESS, tid, 19)
			_ = unix.SchedSetAttr(tid, &unix.SchedAttr{Policy: unix.SCHED_IDLE}, 0)
		}
	}
}

// dieWithParent has the kernel kill the worker if the server dies (a
// worker also exits when its input ends, which is how Close stops it).
func dieWithParent(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
