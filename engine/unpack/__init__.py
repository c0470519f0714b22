"""unpack package."""
