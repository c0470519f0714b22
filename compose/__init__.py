"""pycompose: the Compose side (loader, model, graph, planner, executor, CLI)."""
__version__ = "0.1.0"
