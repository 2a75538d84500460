/* A small sched.h-like header for the drift-rule examples (examples/rules/header-*.toml). */
#ifndef _DRIFT_H
#define _DRIFT_H

struct task_struct {
	unsigned int			flags;	/* Per task flags (PF_*) */

	/* Scheduler bits, serialized by scheduler locks: */
	unsigned			sched_reset_on_fork:1;
	unsigned			sched_contributes_to_load:1;

	/* Force alignment to the next boundary: */
	unsigned			:0;

	/* Unserialized, strictly 'current' */
	unsigned			in_execve:1;
#ifdef CONFIG_PSI
	/* Stalled due to lack of memory */
	unsigned			in_memstall:1;
#endif

	unsigned long			atomic_flags; /* Flags requiring atomic access. */
};

/*
 * Only the _current_ task can read/write to tsk->flags.
 */
#define PF_IDLE			0x00000002	/* I am an IDLE thread */
#define PF_EXITING		0x00000004	/* Getting shut down */

#define PFA_NO_NEW_PRIVS		0	/* May not gain new privileges. */

#endif
