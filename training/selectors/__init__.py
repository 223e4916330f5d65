"""The training app's reads, one module per area, each taking the tenant."""
