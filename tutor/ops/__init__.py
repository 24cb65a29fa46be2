"""Running the service: the swappable Tutor, background jobs (index rebuild, eval runs), readiness, usage."""
