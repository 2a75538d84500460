// Whole-word save and restore of current->flags, and a write the scan cannot resolve.
struct task_struct;

void save_restore(void)
{
	unsigned int old = current->flags;

	current->flags |= PF_DEMO_D;
	do_work();
	current->flags = old;		/* a whole-word store: writes every PF_* of the word */
}

void poke_param(struct task_struct *p)
{
	p->flags |= PF_DEMO_C;		/* no caller seen: the receiver is unknown */
}
