// A tiny tree for the `flagplan check --src` examples in examples/rules/.
struct task_struct;

void worker(void)
{
	current->flags |= PF_DEMO_A | PF_DEMO_B;	/* one mask operation: A and B */
	if (current->flags & PF_DEMO_B)
		current->flags &= ~PF_DEMO_B;
}

static void poke(struct task_struct *p)
{
	p->flags &= ~PF_DEMO_A;		/* p is another task: see caller() */
	set_bit(PFA_DEMO, &p->atomic_flags);
}

void caller(struct task_struct *t)
{
	struct task_struct *other = t->group_leader;

	poke(other);
}
