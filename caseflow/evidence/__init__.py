"""Evidence: the hash chain of events, the document store, exports and verification."""
