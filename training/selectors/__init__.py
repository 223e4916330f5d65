"""Reads of the training app, each taking the tenant."""
