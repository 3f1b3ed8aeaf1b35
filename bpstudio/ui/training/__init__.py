"""Training in the window: the dock panel, the worker process and its runner, the live loss/grad/boundary plots."""
