"""The monitoring writes and the rules behind them, one module per entity or concern."""
