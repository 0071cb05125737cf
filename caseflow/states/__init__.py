"""The request state machine (see ARCHITECTURE.md)."""
