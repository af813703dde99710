"""One module per command; each exposes `run(ctx, ...) -> int` (an exit code)."""
