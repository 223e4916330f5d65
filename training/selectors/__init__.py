"""The training app's reads, one module per area."""
