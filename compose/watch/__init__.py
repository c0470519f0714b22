"""Watch mode (`pycompose watch`, `up --watch`; BEHAVIOUR.md §5.14, Docker Compose develop.watch).

    targets = rules.load_targets(project, services, warn)   # validated, ignores compiled
    batcher = debounce.Batcher(quiet=0.5)                     # 500 ms quiet-period batching
    Watcher(engine, project, targets, log=print).run(stop_event)   # loop.py

rules.py: which rule a changed path belongs to (ignores, include, editor temp files);
debounce.py: quiet-period batching; actions.py: sync / restart / exec / rebuild on the engine;
loop.py: the watchfiles loop tying them together.
"""
