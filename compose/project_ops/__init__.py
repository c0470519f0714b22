"""Project operations (up, down, run, start/stop, logs attach, wait): each is
lock → observe → plan (pure) → execute, on any engine with the engine.api surface."""
