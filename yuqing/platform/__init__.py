"""The platform beneath every app: how views answer htmx and show tenant time, how jobs are queued,
and the operator's commands that run the whole system (runall, the embedded Redis, seed_demo)."""
