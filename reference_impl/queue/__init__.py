"""Working the queue: one invocation of process-plan-queue, how it is run, and the loop."""
